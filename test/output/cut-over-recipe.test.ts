import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Destinations } from '../../src/delivery/destinations.js';
import type { RegistryRepository } from '../../src/delivery/oci/client.js';
import { keylessSigner, signArtifacts } from '../../src/delivery/signing/index.js';
import { packArtifact } from '../../src/flux/artifact/artifact.js';
import { MEDIA_TYPES } from '../../src/flux/artifact/media-types.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { synthesizeD2Staging } from '../fixtures/adopt/d2-staging/fleet.js';
import { synthesizeKustomizeHelm } from '../fixtures/adopt/kustomize-helm/fleet.js';
import { TestRegistry } from '../support/registry.js';
import { FakeSigstore } from '../support/sigstore.js';

/*
 * The cut-over recipes of docs/migration.md, run as written up to what needs a cluster: every flux-fleet command for
 * real (the registries on loopback standing in for ghcr.io, reached through --host-alias), kubectl kustomize of every
 * folder `kubectl apply -k` reads, and a check that every file `kubectl apply -f` reads exists and parses. The commands
 * that act on the cluster (apply, patch, annotate, wait, get, helm) are checked against what adopt and bootstrap print.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const GUIDE = readFileSync(join(ROOT, 'docs', 'migration.md'), 'utf8');
const COMMIT = 'c'.repeat(40);
const FLUX_RELEASE = 'https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/tags/v2.9.4';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SLOW = 240_000;

/** The shell lines of a recipe of the guide (the block after `<!-- recipe: <name> -->`). */
function recipe(name: string): string[] {
  const block = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(GUIDE);
  if (!block) throw new Error(`docs/migration.md has no recipe ${name}`);
  return block[1].split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** A command line's words, as a POSIX shell splits them (quotes, no expansion but the test's own). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.replace(/\$\(git rev-parse HEAD\)/g, COMMIT).matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

let work: string;
let registry: TestRegistry;
let sigstore: FakeSigstore;

async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } }, cwd });
  return { code, stdout, stderr };
}

/** Flux's release manifests, published and signed as Flux's release workflow does, on the stand-in for ghcr.io. */
async function publishFluxManifests(): Promise<void> {
  const destinations = new Destinations({ hostAliases: { 'ghcr.io': registry.host }, retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 } });
  const install = `apiVersion: v1
kind: Namespace
metadata: { name: flux-system, labels: { app.kubernetes.io/part-of: flux } }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: kustomizations.kustomize.toolkit.fluxcd.io, labels: { app.kubernetes.io/part-of: flux } }
spec: { group: kustomize.toolkit.fluxcd.io, names: { kind: Kustomization, plural: kustomizations }, scope: Namespaced, versions: [] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: kustomize-controller, namespace: flux-system, labels: { app.kubernetes.io/part-of: flux } }
spec:
  selector: { matchLabels: { app: kustomize-controller } }
  template:
    metadata: { labels: { app: kustomize-controller } }
    spec: { containers: [{ name: manager, image: ghcr.io/fluxcd/kustomize-controller:v1.9.4, args: [--log-level=info] }] }
`;
  const packed = packArtifact([{ path: 'install.yaml', content: Buffer.from(install) }], { created: '1970-01-01T00:00:00Z' });
  const repo = destinations.repository('oci://ghcr.io/fluxcd/flux-manifests') as RegistryRepository;
  await repo.pushBlob(packed.config);
  await repo.pushBlob(packed.layer);
  await repo.pushManifest('v2.9.4', packed.manifestBytes, MEDIA_TYPES.ociManifest);
  const signer = keylessSigner({ identityToken: async () => sigstore.token(FLUX_RELEASE, ISSUER), fulcioUrl: sigstore.url, rekorUrl: sigstore.url });
  await signArtifacts([{ repository: repo, host: 'ghcr.io', reference: 'v2.9.4' }], { signer });
  destinations.close();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cut-over-'));
  [registry, sigstore] = await Promise.all([TestRegistry.start(), FakeSigstore.start()]);
  writeFileSync(join(work, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
  await publishFluxManifests();
}, SLOW);

afterAll(async () => {
  await Promise.all([registry.destroy(), sigstore.stop()]);
  rmSync(work, { recursive: true, force: true });
});

/**
 * Runs a recipe's lines in `cwd`: flux-fleet commands for real, kubectl kustomize for real, the rest checked as far as
 * it can be without a cluster. Returns what each flux-fleet command printed, by its subcommand.
 */
async function runRecipe(cwd: string, lines: readonly string[], clusterFiles: readonly string[]): Promise<Map<string, string[]>> {
  const printed = new Map<string, string[]>();
  for (const line of lines) {
    const argv = words(line);
    if (argv[0] === 'npx' && argv[1] === 'flux-fleet') {
      const args = argv.slice(2);
      // After the cut-over, what runs is exported from the cluster: there is none here.
      if (args.some((a) => clusterFiles.includes(a))) continue;
      const registryCommand = ['push', 'verify-release', 'verify', 'pull'].includes(args[0]);
      const result = await cli(registryCommand ? [...args, '--host-alias', `ghcr.io=${registry.host}`] : args, cwd);
      // verify-release, and push of an environment whose tag it moves, find the upstream artifacts the fleet pulls
      // unpublished and nothing signed here (the release workflow signs): they run, and say so.
      const refuses = args[0] === 'verify-release' || (args[0] === 'push' && result.stderr.includes('would refuse revision'));
      const expected = refuses ? EXIT.errors : EXIT.ok;
      expect({ line, code: result.code, stderr: result.stderr }).toStrictEqual({ line, code: expected, stderr: expected === EXIT.ok ? '' : result.stderr });
      printed.set(args[0], [...(printed.get(args[0]) ?? []), refuses ? result.stderr : result.stdout]);
    } else if (argv[0] === 'kubectl' && argv[1] === 'kustomize') {
      const built = spawnSync('kubectl', argv.slice(1), { cwd, encoding: 'utf8', timeout: 60_000 });
      expect({ line, status: built.status, stderr: built.stderr }).toStrictEqual({ line, status: 0, stderr: '' });
    } else if (argv[0] === 'kubectl' && argv.includes('apply')) {
      // What it applies: a kustomization that builds, or a file of objects.
      const k = argv.indexOf('-k');
      const f = argv.indexOf('-f');
      if (k >= 0) expect(spawnSync('kubectl', ['kustomize', argv[k + 1]], { cwd, encoding: 'utf8', timeout: 60_000 }).status).toBe(0);
      if (f >= 0 && !clusterFiles.includes(argv[f + 1])) {
        const docs = parseAllDocuments(readFileSync(join(cwd, argv[f + 1]), 'utf8')).map((d) => d.toJS());
        expect(docs.every((d) => typeof d?.kind === 'string')).toBe(true);
      }
    }
  }
  return printed;
}

describe('the cut-over recipes of docs/migration.md', () => {
  test('through the Flux Operator: a d2-style cluster, adopted with nothing pruned, its bootstrap written and built', async () => {
    // GIVEN: the synthesized fleet and what runs now
    synthesizeD2Staging(join(work, 'operator', 'dist'), true);
    cpSync(join(ROOT, 'test', 'fixtures', 'adopt', 'd2-staging', 'current.yaml'), join(work, 'operator', 'current.yaml'));
    const lines = recipe('operator');
    // WHEN
    const printed = await runRecipe(join(work, 'operator'), lines, ['after.yaml', 'rollback.yaml']);
    // THEN: adopt found nothing pruned, and each command it says to run before the cut-over is in the recipe
    const adopt = printed.get('adopt')![0];
    expect(adopt).toContain('No object is pruned');
    const before = adopt.split('\n').filter((l) => l.startsWith('  kubectl') && !l.includes(' delete '));
    expect(before.length).toBeGreaterThan(0);
    for (const command of before) expect(lines).toContain(command.trim());
    for (const command of adopt.split('\n').filter((l) => l.startsWith('  kubectl') && l.includes(' delete '))) expect(lines).toContain(command.trim());
    // and the recipe applies what bootstrap says to, in its order
    const steps = printed.get('bootstrap')![0].split('\n').filter((l) => /^ {2}\d\. /.test(l)).map((l) => l.replace(/^ {2}\d\. /, ''));
    expect(steps[0]).toBe(lines.find((l) => l.startsWith('helm ')));
    expect(existsSync(join(work, 'operator', 'bootstrap', 'staging', 'flux-operator-values.yaml'))).toBe(true);
    // push published the candidates and moved no tag: staging would refuse what is unsigned and unpublished here
    expect(printed.get('push')![0]).toContain(`push refused before moving any followed tag (the components and candidates are pushed; no cluster follows them yet):
  staging's clusters would refuse revision main@sha1:${COMMIT}:`);
    expect(printed.get('push')![0]).toMatch(/^ {2}staging config: oci:\/\/ghcr\.io\/acme\/d2-fleet\/clusters\/staging digest sha256:[0-9a-f]{64}: the cluster accepts keyless subject /m);
  }, SLOW);

  test('plain Flux: a kustomize-helm style cluster, adopted from its repository, Flux\'s verified release manifests fitted and built', async () => {
    // GIVEN
    synthesizeKustomizeHelm(join(work, 'plain', 'dist'), true);
    cpSync(join(ROOT, 'test', 'fixtures', 'adopt', 'kustomize-helm'), join(work, 'plain', 'fleet-repo'), { recursive: true });
    cpSync(join(work, 'trusted_root.json'), join(work, 'plain', 'trusted_root.json'));
    const lines = recipe('plain');
    // WHEN
    const printed = await runRecipe(join(work, 'plain'), lines, ['after.yaml']);
    // THEN
    const adopt = printed.get('adopt')![0];
    expect(adopt).toContain('No object is pruned');
    for (const command of adopt.split('\n').filter((l) => l.startsWith('  kubectl') && !l.includes(' delete '))) expect(lines).toContain(command.trim());
    expect(printed.get('verify')![0]).toMatch(/^verified oci:\/\/ghcr\.io\/fluxcd\/flux-manifests@sha256:[0-9a-f]{64} \(Sigstore bundle, signed by https:\/\/github\.com\/fluxcd\/flux2/);
    // Flux as the cluster's flux-components fits it: the controller flag and the team label on every object
    const install = parseAllDocuments(readFileSync(join(work, 'plain', 'bootstrap', 'production', 'flux-install.yaml'), 'utf8')).map((d) => d.toJS());
    const controller = install.find((o) => o.kind === 'Deployment');
    expect(controller.spec.template.spec.containers[0].args).toStrictEqual(['--log-level=info', '--concurrent=20']);
    expect(install.every((o) => o.metadata.labels['toolkit.fluxcd.io/tenant'] === 'sre-team')).toBe(true);
  }, SLOW);
});
