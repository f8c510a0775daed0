import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { readBootstrapPlan, type FluxBootstrapPlan } from '../../../output/cluster-bootstrap.js';
import { ConfigTreeError } from '../../../output/writer/tree-path.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { stringOption } from '../options.js';

const BOOTSTRAP_USAGE = `Usage: flux-fleet bootstrap <dir> --cluster <name> --output <folder> [--flux-manifests <folder>]

Writes what to apply to a cluster to bootstrap it from the synthesized tree in <dir> (its release.json and
clusters/<name>/flux-system/), and prints the commands that apply it, in order:

  through the Flux Operator   the Helm install of the operator (chart, version and values the cluster's artifact
                              keeps), then namespace.yaml and bootstrap.yaml (verification Secrets, runtime info,
                              the FluxInstance) as a kustomization: kubectl apply --server-side -k <folder>
  on plain Flux               flux-install.yaml: Flux's release manifests from --flux-manifests (a folder pulled
                              from oci://ghcr.io/fluxcd/flux-manifests with flux-fleet pull, after flux-fleet verify),
                              fitted to the cluster as its flux-components Kustomization fits them; then the same
                              kustomization, whose sync takes over

Options:
  --cluster <name>          The cluster of <dir> to bootstrap
  --output <folder>         Where to write the manifests (created; files there of the same names are replaced)
  --flux-manifests <folder> Plain Flux: Flux's release manifests for the cluster's version
  -h, --help                Show this help

Exit codes: 0 written, 1 the tree cannot be bootstrapped as it is, 2 usage error.
`;

/** `flux-fleet bootstrap <dir> --cluster <name> --output <folder>`: the manifests and commands that bootstrap a cluster. */
export const bootstrapCommand: Command = {
  summary: 'bootstrap <dir>   Write the manifests that bootstrap a cluster of the tree (Flux Operator or plain\n                    Flux), and print the commands that apply them',
  run: bootstrap,
};

async function bootstrap(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'cluster': { value: true }, 'output': { value: true }, 'flux-manifests': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(BOOTSTRAP_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length !== 1) throw new UsageError('bootstrap needs the synthesized folder: flux-fleet bootstrap <dir> --cluster <name> --output <folder>');
  const cluster = stringOption(args, 'cluster');
  const output = stringOption(args, 'output');
  if (cluster === undefined || output === undefined) throw new UsageError(`bootstrap needs ${cluster === undefined ? '--cluster <name>' : '--output <folder>'}`);
  const cwd = io.cwd ?? process.cwd();
  const out = resolve(cwd, output);
  const plan = readBootstrapPlan(resolve(cwd, args.positionals[0]), cluster);
  const manifests = stringOption(args, 'flux-manifests');
  if (plan.kind === 'plain' && manifests === undefined) {
    const ref = plan.fluxManifests!.ref;
    throw new UsageError(`cluster ${JSON.stringify(cluster)} runs plain Flux: give Flux's release manifests with --flux-manifests <folder>, e.g. after flux-fleet verify ${plan.fluxManifests!.url}:${ref.tag ?? '<release matching ' + ref.semver + '>'} ..., flux-fleet pull ${plan.fluxManifests!.url}:${ref.tag ?? '<release>'} --output flux-manifests`);
  }
  if (plan.kind === 'operator' && manifests !== undefined) throw new UsageError(`cluster ${JSON.stringify(cluster)} is bootstrapped through the Flux Operator, which installs Flux itself; drop --flux-manifests`);
  mkdirSync(out, { recursive: true });
  const shown = relative(cwd, out) || '.';
  const steps: string[] = [];
  if (plan.operator) {
    const o = plan.operator;
    const values = o.values !== undefined ? join(out, 'flux-operator-values.yaml') : undefined;
    if (values) writeFileSync(values, stringify(o.values));
    steps.push(`helm upgrade --install ${o.releaseName} ${o.chart} --version ${o.version} --namespace ${o.namespace} --create-namespace${values ? ` --values ${shown}/flux-operator-values.yaml` : ''}`);
  } else {
    writeFluxInstall(plan, resolve(cwd, manifests!), out);
    steps.push(`kubectl apply --server-side -f ${shown}/flux-install.yaml`, 'kubectl wait --for=condition=Established crd -l app.kubernetes.io/part-of=flux --timeout=2m');
  }
  if (plan.pullSecret) {
    steps.push(`kubectl -n ${plan.pullSecret.namespace} create secret docker-registry ${plan.pullSecret.name} --docker-server=<registry host> --docker-username=<user> --docker-password=<token>   # the registry's pull secret: its content is yours, never the tree's`);
  }
  writeFileSync(join(out, 'namespace.yaml'), stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: plan.namespace } }));
  writeFileSync(join(out, 'bootstrap.yaml'), plan.apply.map((o) => stringify(o)).join('---\n'));
  writeFileSync(join(out, 'kustomization.yaml'), stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['namespace.yaml', 'bootstrap.yaml'] }));
  steps.push(`kubectl apply --server-side -k ${shown}`);
  steps.push(plan.kind === 'operator'
    ? `kubectl -n ${plan.namespace} wait fluxinstance/flux --for=condition=Ready --timeout=10m`
    : `kubectl -n ${plan.namespace} wait kustomization/flux-system --for=condition=Ready --timeout=10m`);
  io.stdout.write([
    `Bootstrap of cluster ${cluster} (${plan.kind === 'operator' ? 'Flux Operator' : 'plain Flux'} ${plan.fluxVersion}, syncing ${plan.syncUrl}:${plan.syncTag}) written to ${shown}; apply it in this order:`,
    ...steps.map((s, i) => `  ${i + 1}. ${s}`),
    '',
  ].join('\n'));
  return EXIT.ok;
}

/**
 * Writes `flux/` (the release manifests, with a kustomization fitting them as the cluster's flux-components
 * Kustomization does: its patches, image overrides and common labels) and `flux-install.yaml`, what that kustomization
 * builds to.
 */
function writeFluxInstall(plan: FluxBootstrapPlan, manifests: string, out: string): void {
  if (!existsSync(manifests) || !statSync(manifests).isDirectory()) throw new UsageError(`--flux-manifests ${JSON.stringify(manifests)} is not a folder; give the folder flux-fleet pull wrote the release manifests to`);
  const files = readdirSync(manifests).filter((f) => /\.ya?ml$/.test(f) && !/^kustomization\.ya?ml$/.test(f)).sort();
  if (files.length === 0) throw new UsageError(`--flux-manifests ${JSON.stringify(manifests)} holds no YAML file; give the folder flux-fleet pull wrote the release manifests to`);
  const flux = join(out, 'flux');
  mkdirSync(flux, { recursive: true });
  for (const f of files) cpSync(join(manifests, f), join(flux, f));
  const fit = plan.fluxManifests!;
  const metadata = fit.commonMetadata;
  writeFileSync(join(flux, 'kustomization.yaml'), stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files,
    ...(fit.patches.length > 0 ? { patches: fit.patches } : {}),
    ...(fit.images.length > 0 ? { images: fit.images } : {}),
    ...(metadata?.labels ? { labels: [{ pairs: metadata.labels }] } : {}),
    ...(metadata?.annotations ? { commonAnnotations: metadata.annotations } : {}),
  }));
  const built = spawnSync('kubectl', ['kustomize', flux], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  if (built.error || built.status !== 0) {
    throw new ConfigTreeError(`kubectl kustomize ${flux} fails: ${(built.stderr || built.error?.message || '').trim()}; check the release manifests in ${manifests}`);
  }
  writeFileSync(join(out, 'flux-install.yaml'), built.stdout);
}
