import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { DeliveryError } from './artifacts.js';
import type { Fleet } from '../fleet/fleet.js';
import type { CiSigner, SigningIdentity } from '../fleet/signing.js';
import { parseRegistryReference } from './oci/reference.js';
import { readReleaseManifest, ReleaseManifestError } from '../output/release-manifest.js';
import { describeSigner, githubRefCondition, releaseSigners, releaseSignersOfFleet, signingSteps, type ReleaseSigner } from './signing/workflow-steps.js';
import { parseYamlDocuments } from '../flux/core/yaml-reader.js';

/** How CI logs in to a registry host before pushing. */
export interface RegistryLogin {
  /** The host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly host: string;
  /** What kind of registry: decides the login step. */
  readonly kind: 'ecr' | 'acr' | 'gar' | 'ghcr' | 'generic';
  /** The AWS region of an ECR host. @default - not ECR */
  readonly region?: string;
}

/** What the release workflow is made from: who signs, and where it pushes. */
export interface ReleaseWorkflowSpec {
  /** The identity CI signs with: the one every cluster verifies. */
  readonly identity: SigningIdentity;
  /** The registries pushed to, sorted by host. */
  readonly registries: readonly RegistryLogin[];
  /** Every signer with the clusters that verify it (e.g. staging: main, production: release tags). @default - `identity` signs every artifact */
  readonly signers?: readonly ReleaseSigner[];
  /**
   * The promotions after a push, in order: each production environment's waves (lowest first), or the whole
   * environment when its clusters have no wave. Each becomes a job gated by a GitHub environment.
   * @default - none: the workflow pushes, signs and verifies only
   */
  readonly promotions?: readonly WorkflowPromotion[];
}

/** One promotion step of the release workflow. */
export interface WorkflowPromotion {
  /** The fleet environment promoted, e.g. `production`. */
  readonly environment: string;
  /** The wave promoted. @default - every cluster of the environment */
  readonly wave?: number;
}

/** The GitHub environment that gates a promotion: `production-wave-1`, or the environment's name without waves. */
export function githubEnvironmentOf(p: WorkflowPromotion): string {
  return p.wave !== undefined ? `${p.environment}-wave-${p.wave}` : p.environment;
}

/** The promotions of production environments, wave by wave, from the clusters' environment, production flag and wave. */
export function promotionsOf(clusters: ReadonlyArray<{ environment: string; production: boolean; wave?: number }>): WorkflowPromotion[] {
  const byEnv = new Map<string, Set<number | undefined>>();
  for (const c of clusters.filter((x) => x.production)) byEnv.set(c.environment, (byEnv.get(c.environment) ?? new Set()).add(c.wave));
  const out: WorkflowPromotion[] = [];
  for (const env of [...byEnv.keys()].sort()) {
    const waves = [...byEnv.get(env)!];
    if (waves.includes(undefined)) out.push({ environment: env });
    else out.push(...(waves as number[]).sort((a, b) => a - b).map((wave) => ({ environment: env, wave })));
  }
  return out;
}

/** Options of the generated GitHub Actions workflow. */
export interface GithubWorkflowOptions {
  /** The command that synthesizes the config tree. @default "npm run synth" */
  readonly synthCommand?: string;
  /** The folder the synth writes (holding clusters/). @default "dist" */
  readonly outdir?: string;
  /** The Node.js version to run on. @default "24" */
  readonly nodeVersion?: string;
  /** Extra arguments of `flux-fleet push`, e.g. `--concurrency 8`. @default - none */
  readonly pushArguments?: string;
}

/** A generated workflow (GitHub Actions) or pipeline (GitLab CI) file. */
export interface GeneratedWorkflow {
  /** Its path in the repository: `.github/workflows/<the identity's workflow file>`, or the GitLab identity's `configPath` (`.gitlab-ci.yml`). */
  readonly path: string;
  /** Its text. */
  readonly content: string;
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The release workflow's inputs from a fleet declaration: its signing identity and its registries' hosts. */
export function releaseWorkflowSpecFromFleet(fleet: Fleet<any>): ReleaseWorkflowSpec {
  const signers = releaseSignersOfFleet(fleet);
  if (signers.length === 0) throw new DeliveryError('the fleet declares no signing identity, so there is nothing for CI to sign with; set signing on the fleet, e.g. Signing.githubActions({ repository, workflow })');
  const hosts = [...new Set(fleet.clusters.map((c) => fleet.props.registry.hostFor(c.region)))];
  return { identity: signers[0].identity, registries: hosts.sort().map(loginFor), signers, promotions: promotionsOf(fleet.clusters) };
}

/**
 * The release workflow's inputs from a synthesized tree: the identity every cluster verifies (read back from the
 * verification of its sync source, so it is what the clusters will accept) and the hosts of the clusters' artifacts.
 * Refuses when the clusters verify different identities, or an identity that is a regular expression rather than one
 * signer.
 */
export async function releaseWorkflowSpecFromTree(dir: string): Promise<ReleaseWorkflowSpec> {
  const clustersDir = join(dir, 'clusters');
  const names = (await readdir(clustersDir, { withFileTypes: true }).catch(() => {
    throw new DeliveryError(`${dir} has no clusters/ folder; give the folder that synth wrote`);
  })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const identities = new Map<string, { identity: SigningIdentity; clusters: string[] }>();
  const hosts = new Set<string>();
  const problems: string[] = [];
  for (const name of names) {
    const found = await syncOf(join(clustersDir, name));
    if (!found) {
      problems.push(`clusters/${name}: no FluxInstance or OCIRepository flux-system syncing an OCI artifact`);
      continue;
    }
    hosts.add(parseRegistryReference(found.url).host);
    if (!found.verify) {
      problems.push(`clusters/${name}: its sync source verifies no signature, so CI signing would not be checked by it; declare signing on the fleet`);
      continue;
    }
    const identity = identityOf(found.verify);
    if (typeof identity === 'string') {
      problems.push(`clusters/${name}: ${identity}`);
      continue;
    }
    const key = JSON.stringify(identity);
    const entry = identities.get(key) ?? { identity, clusters: [] };
    entry.clusters.push(name);
    identities.set(key, entry);
  }
  const workflowOf = (id: SigningIdentity): string => (id.keyless && id.ci?.system === 'github-actions'
    ? `${id.ci.repository}/${id.ci.workflow}`
    : id.keyless && id.ci?.system === 'gitlab-ci' ? `${id.ci.host}/${id.ci.project}//${id.ci.configPath}` : JSON.stringify(id));
  const workflows = new Set([...identities.values()].map((e) => workflowOf(e.identity)));
  if (workflows.size > 1) {
    problems.push(`the clusters verify different signers, and one workflow signs as one: ${[...identities.values()].map((e) => `${describeIdentity(e.identity)} (${e.clusters.join(', ')})`).join('; ')}`);
  }
  if (problems.length > 0) throw new DeliveryError(problems.join('\n'));
  let promotions: WorkflowPromotion[] = [];
  const environmentOf = new Map<string, string>();
  try {
    const release = await readReleaseManifest(dir);
    const production = new Map(release.environments.map((e) => [e.name, e.production]));
    promotions = promotionsOf(release.clusters.map((c) => ({
      environment: c.environment, production: production.get(c.environment) === true, ...(c.wave !== undefined ? { wave: c.wave } : {}),
    })));
    for (const c of release.clusters) {
      hosts.add(parseRegistryReference(c.url).host);
      environmentOf.set(c.name, c.environment);
    }
  } catch (e) {
    if (!(e instanceof ReleaseManifestError)) throw e;
    if (!e.message.includes('does not exist')) throw new DeliveryError(e.message);
  }
  const signers = releaseSigners([...identities.values()].flatMap((e) => e.clusters.map((cluster) => ({
    identity: e.identity, cluster, ...(environmentOf.has(cluster) ? { environment: environmentOf.get(cluster)! } : {}),
  }))));
  if (signers.length === 0) throw new DeliveryError(`${clustersDir} holds no cluster folder`);
  return { identity: signers[0].identity, registries: [...hosts].sort().map(loginFor), signers, promotions };
}

/**
 * A GitHub Actions workflow for the safe path from a push on the fleet repository to production.
 *
 * Job `release` (on every push to the signing identity's ref): synthesizes and validates the tree, mirrors the charts
 * and external artifacts marked for it into each region (with their signatures), pushes the release
 * (component artifacts, every cluster's candidate `rev-<commit>`, and the tags of environments that deploy on push),
 * signs every pushed digest with cosign (keyless as the fleet's declared identity, the one every cluster verifies, or
 * with the `COSIGN_PRIVATE_KEY` and `COSIGN_PASSWORD` secrets), checks each signature against that identity, and runs
 * `verify-release` for the commit.
 *
 * Then one job per production wave, each `needs:` the one before and runs in the GitHub environment
 * `<environment>-wave-<n>` (give those environments required reviewers, so that a person approves each wave): it runs
 * `verify-release` again and `promote --environment <env> --wave <n> --revision <commit>`.
 *
 * It runs only in the identity's repository on its ref. Strings from the fleet (the folder, the signer, extra
 * arguments) reach shell lines only through `env:` variables, quoted, so none can inject a command.
 */
export function githubReleaseWorkflow(spec: ReleaseWorkflowSpec, options: GithubWorkflowOptions = {}): GeneratedWorkflow {
  const id = spec.identity;
  const outdir = options.outdir ?? 'dist';
  let workflowFile = 'release.yaml';
  let trigger: Record<string, unknown> = { push: { branches: ['main'] }, workflow_dispatch: {} };
  let guard: string | undefined;
  let repositoryGuard: string | undefined;
  let signer: string;
  if (id.keyless) {
    if (id.trustedRootSecretName !== undefined) {
      throw new DeliveryError('the signing identity uses a private Sigstore instance (trustedRootSecretRef); the generated workflow signs with the public one: write the signing step for your instance yourself');
    }
    if (id.ci?.system !== 'github-actions' || (id.regex ? !id.ci.ref.endsWith('*') : id.issuer !== GITHUB_ISSUER)) {
      throw new DeliveryError(id.ci?.system === 'gitlab-ci'
        ? `the fleet's signer is ${describeSigner(id)}, a GitLab CI pipeline, which a GitHub Actions workflow cannot sign as; generate its pipeline with gitlabReleasePipeline (flux-fleet workflow picks it for a GitLab signer)`
        : `the fleet's signer is ${describeIdentity(id)}, which a GitHub Actions workflow cannot sign as; declare Signing.githubActions({ repository, workflow }) on the fleet, or write the pipeline of that signer yourself`);
    }
    const gitlab = (spec.signers ?? []).filter((x) => x.identity.keyless && x.identity.ci?.system === 'gitlab-ci');
    if (gitlab.length > 0) {
      throw new DeliveryError(`the clusters ${gitlab.flatMap((x) => x.clusters).join(', ')} verify ${gitlab.map((x) => describeSigner(x.identity)).join(' and ')}, a GitLab CI pipeline, and the others a GitHub Actions workflow; one workflow signs as one CI system: declare the same system for every environment`);
    }
    workflowFile = id.ci.workflow;
    const refs = (spec.signers ?? [{ identity: id }]).map((x) => (x.identity.keyless && x.identity.ci?.system === 'github-actions' ? x.identity.ci.ref : id.ci!.ref));
    const tags = refs.filter((r) => r.startsWith('refs/tags/')).map((r) => r.slice('refs/tags/'.length));
    const branches = refs.filter((r) => r.startsWith('refs/heads/')).map((r) => r.slice('refs/heads/'.length));
    trigger = {
      push: { ...(branches.length > 0 ? { branches } : {}), ...(tags.length > 0 ? { tags } : {}) },
      ...(branches.length > 0 ? { workflow_dispatch: {} } : {}),
    };
    const conditions = (spec.signers ?? [{ identity: id }]).map((x) => githubRefCondition(x.identity)!);
    repositoryGuard = `github.repository == ${expressionString(id.ci.repository)}`;
    guard = `${repositoryGuard} && ${conditions.length > 1 ? `(${conditions.join(' || ')})` : conditions[0]}`;
    signer = (spec.signers ?? []).length > 1 ? spec.signers!.map((x) => `${x.clusters.join(', ')} as ${describeSigner(x.identity)}`).join('; ') : describeSigner(id);
  } else {
    if (id.tool !== 'cosign') throw new DeliveryError('the fleet signs with notation; the generated workflow signs with cosign: write the notation signing step yourself');
    signer = `the cosign key whose public part is in Secret ${id.secretName} on the clusters`;
  }

  const digests = '${{ runner.temp }}/flux-fleet-digests.txt';
  const outdirEnv = { FLUX_FLEET_DIR: outdir };
  // With several signers, each run signs as the one of its ref (main for staging, release tags for production, say):
  // only the runs whose signer the environments that deploy on push verify move their tags, and only the runs whose
  // signer production verifies promote.
  const signers = spec.signers ?? [{ identity: id, environments: [], clusters: [] }];
  const promoted = new Set((spec.promotions ?? []).map((p) => p.environment));
  const runsOf = (which: (s: ReleaseSigner) => boolean): string | undefined => {
    if (signers.length < 2) return undefined;
    const conditions = signers.filter(which).map((x) => githubRefCondition(x.identity)).filter((c): c is string => c !== undefined);
    return conditions.length === 0 ? 'false' : conditions.length === 1 ? conditions[0] : `(${conditions.join(' || ')})`;
  };
  const deployRuns = runsOf((x) => x.environments.length === 0 || x.environments.some((e) => !promoted.has(e)));
  const promoteRuns = (environment: string) => runsOf((x) => x.environments.length === 0 || x.environments.includes(environment));
  const setup: Array<Record<string, unknown>> = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': options.nodeVersion ?? '24', 'cache': 'npm' } },
    { name: 'Install', run: 'npm ci' },
    { name: 'Synthesize', run: options.synthCommand ?? 'npm run synth' },
  ];
  const logins = loginSteps(spec.registries);
  const verifyStep = {
    name: 'Check that every source of every cluster resolves, signed',
    env: outdirEnv,
    run: 'npx flux-fleet verify-release "$FLUX_FLEET_DIR" --revision "$GITHUB_SHA"',
  };
  const push = 'npx flux-fleet push "$FLUX_FLEET_DIR" --registry --source "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY" --revision "$GITHUB_REF_NAME@sha1:$GITHUB_SHA"';
  const pushEnv = options.pushArguments ? { FLUX_FLEET_PUSH_ARGS: options.pushArguments } : {};
  const pushArgs = options.pushArguments ? ' $FLUX_FLEET_PUSH_ARGS' : '';
  const steps: Array<Record<string, unknown>> = [
    ...setup,
    { name: 'Validate', env: outdirEnv, run: 'npx flux-fleet validate "$FLUX_FLEET_DIR"' },
    ...logins,
    { name: 'Mirror charts and external artifacts, with their signatures, into each region', env: outdirEnv, run: 'npx flux-fleet mirror "$FLUX_FLEET_DIR"' },
    {
      name: 'Push the components and every cluster\'s candidate, moving no tag yet',
      env: { ...outdirEnv, FLUX_FLEET_DIGESTS: digests, ...pushEnv },
      run: `${push} --digests-file "$FLUX_FLEET_DIGESTS" --hold-tags${pushArgs}`,
    },
  ];
  steps.push(...signingSteps(signers, digests));
  // Only now that everything pushed is signed do the tags of the environments that deploy on push move (staging):
  // no tag ever points at an artifact its clusters would refuse. The push uploads nothing the first one did.
  steps.push({
    name: 'Move the tags of the environments that deploy on push (staging follows; production waits for promotion)',
    ...(deployRuns ? { if: deployRuns } : {}),
    env: { ...outdirEnv, ...pushEnv },
    run: `${push}${pushArgs}`,
  });
  steps.push(verifyStep);
  const permissions: Record<string, string> = { 'contents': 'read', 'id-token': 'write' };
  if (spec.registries.some((r) => r.kind === 'ghcr')) permissions.packages = 'write';
  const jobs: Record<string, unknown> = {
    release: {
      ...(guard ? { if: guard } : {}),
      'runs-on': 'ubuntu-latest',
      'concurrency': { 'group': 'flux-fleet-push', 'cancel-in-progress': false },
      steps,
    },
  };
  let previous = 'release';
  for (const p of spec.promotions ?? []) {
    const name = `promote-${githubEnvironmentOf(p)}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
    const promoteEnv: Record<string, string> = { ...outdirEnv, FLUX_FLEET_ENVIRONMENT: p.environment };
    const runs = promoteRuns(p.environment);
    jobs[name] = {
      'needs': previous,
      ...(guard ? { if: runs && repositoryGuard ? `${repositoryGuard} && ${runs}` : guard } : {}),
      'runs-on': 'ubuntu-latest',
      'environment': githubEnvironmentOf(p),
      'concurrency': { 'group': `flux-fleet-${name}`, 'cancel-in-progress': false },
      'steps': [
        ...setup,
        ...logins,
        verifyStep,
        {
          name: `Promote ${p.environment}${p.wave !== undefined ? ` wave ${p.wave}` : ''} to this commit`,
          env: promoteEnv,
          run: `npx flux-fleet promote "$FLUX_FLEET_DIR" --registry --environment "$FLUX_FLEET_ENVIRONMENT"${p.wave !== undefined ? ` --wave ${p.wave}` : ''} --revision "$GITHUB_SHA"`,
        },
      ],
    };
    previous = name;
  }
  const workflow = {
    name: 'release',
    on: trigger,
    permissions,
    jobs,
  };
  const header = '# Generated by flux-fleet. Do not edit: change the fleet program and generate again.\n'
    + ((spec.signers ?? []).length > 1
      ? `# Signs what each run pushes as the signer of its ref: ${signer.replace(/[\r\n]/g, ' ')}.\n`
      : `# Signs every pushed artifact as ${signer.replace(/[\r\n]/g, ' ')}: the signer every cluster verifies.\n`)
    + (spec.promotions && spec.promotions.length > 0
      ? `# Production moves only through the promote jobs; give each of the GitHub environments ${spec.promotions.map(githubEnvironmentOf).join(', ')} required reviewers.\n`
      : '');
  return { path: `.github/workflows/${workflowFile}`, content: header + stringify(workflow, { lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false }) };
}

/** A string literal of a GitHub Actions expression: single quotes, doubled inside. */
function expressionString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function loginSteps(registries: readonly RegistryLogin[]): Array<Record<string, unknown>> {
  const steps: Array<Record<string, unknown>> = [];
  const ecr = registries.filter((r) => r.kind === 'ecr');
  if (ecr.length > 0) {
    steps.push({
      name: 'AWS credentials',
      uses: 'aws-actions/configure-aws-credentials@v4',
      with: { 'role-to-assume': '${{ vars.FLUX_FLEET_AWS_ROLE_ARN }}', 'aws-region': ecr[0].region },
    });
    for (const r of ecr) {
      steps.push({ name: `Log in to ${r.host}`, run: `aws ecr get-login-password --region ${r.region} | docker login --username AWS --password-stdin ${r.host}` });
    }
  }
  const acr = registries.filter((r) => r.kind === 'acr');
  if (acr.length > 0) {
    steps.push({
      name: 'Azure credentials',
      uses: 'azure/login@v2',
      with: { 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' },
    });
    for (const r of acr) steps.push({ name: `Log in to ${r.host}`, run: `az acr login --name ${r.host.slice(0, -'.azurecr.io'.length)}` });
  }
  const gar = registries.filter((r) => r.kind === 'gar');
  if (gar.length > 0) {
    steps.push({
      name: 'Google Cloud credentials',
      uses: 'google-github-actions/auth@v2',
      with: { workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}', service_account: '${{ vars.GCP_SERVICE_ACCOUNT }}' },
    });
    steps.push({ uses: 'google-github-actions/setup-gcloud@v2' });
    steps.push({ name: 'Log in to Artifact Registry', run: `gcloud auth configure-docker ${gar.map((r) => r.host).join(',')} --quiet` });
  }
  for (const r of registries.filter((x) => x.kind === 'ghcr')) {
    steps.push({ name: `Log in to ${r.host}`, uses: 'docker/login-action@v3', with: { registry: r.host, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' } });
  }
  for (const r of registries.filter((x) => x.kind === 'generic')) {
    steps.push({ name: `Log in to ${r.host}`, uses: 'docker/login-action@v3', with: { registry: r.host, username: '${{ secrets.REGISTRY_USERNAME }}', password: '${{ secrets.REGISTRY_PASSWORD }}' } });
  }
  return steps;
}

/** The login of a registry host, by its well-known domain. */
export function loginFor(host: string): RegistryLogin {
  const ecr = /^[0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host);
  if (ecr) return { host, kind: 'ecr', region: ecr[1] };
  if (/^[a-z0-9]+\.azurecr\.io$/.test(host)) return { host, kind: 'acr' };
  if (/^[a-z0-9-]+-docker\.pkg\.dev$/.test(host)) return { host, kind: 'gar' };
  if (host === 'ghcr.io') return { host, kind: 'ghcr' };
  return { host, kind: 'generic' };
}

function describeIdentity(id: SigningIdentity): string {
  if (!id.keyless) return `${id.tool} with the keys in Secret ${id.secretName}`;
  return `${id.regex ? 'an identity matching ' : ''}${JSON.stringify(id.subject)} from ${JSON.stringify(id.issuer)}`;
}

interface Verify {
  provider?: string;
  secretRef?: { name?: string };
  matchOIDCIdentity?: Array<{ issuer?: string; subject?: string }>;
  trustedRootSecretRef?: { name?: string };
}

/** The sync URL and verification of a cluster folder's bootstrap. */
async function syncOf(folder: string): Promise<{ url: string; verify?: Verify } | undefined> {
  let found: { url: string; verify?: Verify } | undefined;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      if (!/\.ya?ml$/.test(entry.name)) continue;
      for (const doc of parseYamlDocuments(await readFile(full, 'utf8'), full)) {
        const o = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: any } | null;
        if (o?.kind === 'FluxInstance' && o.spec?.sync?.kind === 'OCIRepository') {
          const patch = (o.spec.kustomize?.patches ?? []).find((p: { target?: { kind?: string; name?: string } }) => p.target?.kind === 'OCIRepository' && p.target?.name === 'flux-system');
          const ops = patch ? parseYaml(String(patch.patch)) as Array<{ op?: string; path?: string; value?: Verify }> : [];
          found = { url: String(o.spec.sync.url), verify: ops.find((op) => op.path === '/spec/verify')?.value };
        } else if (o?.kind === 'OCIRepository' && o.metadata?.name === 'flux-system' && !found) {
          found = { url: String(o.spec?.url), verify: o.spec?.verify };
        }
      }
    }
  };
  await walk(folder);
  return found;
}

/** The signer a `spec.verify` accepts, when it accepts exactly one. */
function identityOf(verify: Verify): SigningIdentity | string {
  if (verify.secretRef?.name && !verify.matchOIDCIdentity) {
    return { tool: verify.provider === 'notation' ? 'notation' : 'cosign', keyless: false, secretName: verify.secretRef.name };
  }
  const ids = verify.matchOIDCIdentity ?? [];
  if (ids.length !== 1) return `its sync source accepts ${ids.length} keyless identities; a workflow signs as exactly one`;
  const issuer = exact(ids[0].issuer ?? '');
  const subject = exact(ids[0].subject ?? '');
  const root = verify.trustedRootSecretRef?.name ? { trustedRootSecretName: verify.trustedRootSecretRef.name } : {};
  const glob = githubGlobIdentity(ids[0].issuer ?? '', ids[0].subject ?? '') ?? gitlabGlobIdentity(ids[0].issuer ?? '', ids[0].subject ?? '');
  if (glob) return { ...glob, ...root };
  if (issuer === undefined || subject === undefined) {
    return `its sync source accepts signers matching ${JSON.stringify(ids[0].subject)}, a pattern rather than one signer; declare an exact identity (e.g. Signing.githubActions) for the fleet's own artifacts`;
  }
  const gh = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/\.github\/workflows\/([^/@]+)@(refs\/.+)$/.exec(subject);
  const gl = gitlabSubject(issuer, subject);
  return {
    tool: 'cosign',
    keyless: true,
    issuer,
    subject,
    regex: false,
    ...(issuer === GITHUB_ISSUER && gh ? { ci: { system: 'github-actions' as const, repository: gh[1], workflow: gh[2], ref: gh[3] } } : {}),
    ...(gl ? { ci: gl } : {}),
    ...root,
  };
}

/** The string an anchored regular expression matches when it matches exactly one (only escaped metacharacters). */
function exact(regex: string): string | undefined {
  const m = /^\^(.*)\$$/s.exec(regex);
  if (!m) return undefined;
  let out = '';
  for (let i = 0; i < m[1].length; i++) {
    const ch = m[1][i];
    if (ch === '\\') {
      const next = m[1][++i];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      out += next;
    } else if ('^$.*+?()[]{}|'.includes(ch)) {
      return undefined;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The GitHub Actions identity a tag or branch pattern (`Signing.githubActions({ ref: 'refs/tags/v*' })`) verifies. */
function githubGlobIdentity(issuer: string, subject: string): SigningIdentity | undefined {
  const m = /^(\^.*@refs\/(?:heads|tags)\/.*)\[\^@\]\+\$$/.exec(subject);
  if (exact(issuer) !== GITHUB_ISSUER || !m) return undefined;
  const prefix = exact(`${m[1]}$`);
  const gh = prefix === undefined ? null : /^https:\/\/github\.com\/([^/]+\/[^/]+)\/\.github\/workflows\/([^/@]+)@(refs\/.+)$/.exec(prefix);
  if (!gh) return undefined;
  return { tool: 'cosign', keyless: true, issuer, subject, regex: true, ci: { system: 'github-actions', repository: gh[1], workflow: gh[2], ref: `${gh[3]}*` } };
}

/** The GitLab CI pipeline a Fulcio subject names (`https://<host>/<project>//<configPath>@<ref>`, issuer `https://<host>`). */
function gitlabSubject(issuer: string, subject: string): CiSigner | undefined {
  const gl = /^https:\/\/([^/]+)\/([^/]+(?:\/[^/]+)+)\/\/([^@]+)@(refs\/.+)$/.exec(subject);
  if (!gl || issuer !== `https://${gl[1]}`) return undefined;
  return { system: 'gitlab-ci', host: gl[1], project: gl[2], configPath: gl[3], ref: gl[4] };
}

/** The GitLab CI identity a tag or branch pattern (`Signing.gitlabCi({ ref: 'refs/tags/v*' })`) verifies. */
function gitlabGlobIdentity(issuer: string, subject: string): SigningIdentity | undefined {
  const m = /^(\^.*@refs\/(?:heads|tags)\/.*)\[\^@\]\+\$$/.exec(subject);
  const exactIssuer = exact(issuer);
  const prefix = m ? exact(`${m[1]}$`) : undefined;
  if (exactIssuer === undefined || prefix === undefined) return undefined;
  const ci = gitlabSubject(exactIssuer, `${prefix}*`);
  return ci ? { tool: 'cosign', keyless: true, issuer, subject, regex: true, ci } : undefined;
}
