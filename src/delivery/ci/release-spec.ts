import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Fleet } from '../../fleet/fleet.js';
import { HEALTH_REPORT_MIN_FLUX } from '../../fleet/health-report.js';
import { fluxMinor, type CiSigner, type SigningIdentity } from '../../fleet/signing.js';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';
import { readReleaseManifest, ReleaseManifestError } from '../../output/release-manifest.js';
import { DeliveryError } from '../artifacts.js';
import { parseRegistryReference } from '../oci/reference.js';

/** How CI logs in to a registry host before pushing. */
export interface RegistryLogin {
  /** The host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly host: string;
  /** What kind of registry: decides the login step. */
  readonly kind: 'ecr' | 'acr' | 'gar' | 'ghcr' | 'generic';
  /** The AWS region of an ECR host. @default - not ECR */
  readonly region?: string;
}

/** One promotion step of the release pipeline: an environment's wave, or the whole environment. */
export interface WorkflowPromotion {
  /** The fleet environment promoted, e.g. `production`. */
  readonly environment: string;
  /** The wave promoted (the first, when the step rolls out several). @default - every cluster of the environment */
  readonly wave?: number;
  /**
   * The step rolls out on the health the clusters report (`flux-fleet rollout`, with the environment's soak,
   * progress deadline and failures tolerated from release.json), rather than promoting at once.
   * @default - a plain promotion
   */
  readonly rollout?: WorkflowRollout;
}

/** How a promotion step rolls out on the clusters' reports. */
export interface WorkflowRollout {
  /** The last wave the step rolls out: the waves from `wave` up to it, each once the one before is healthy for the soak. */
  readonly untilWave: number;
  /** Whether `wave` needs a person's approval (the environment's rollout `approval`): the step's environment is what approves it. */
  readonly approval: boolean;
  /** Which forge the clusters report to: decides the token the step reads with. */
  readonly forge: 'github' | 'gitlab';
}

/** What makes an environment's promotions roll out on health: its approvals, and where all its clusters report. */
export interface RolloutFacts {
  /** The waves that need a person's approval. */
  readonly approval: readonly number[];
  /** The forge every cluster of the environment, and of the one it is promoted from, reports to. */
  readonly forge: 'github' | 'gitlab';
}

/** One signer of a release and the clusters whose artifacts it signs (those that verify it). */
export interface ReleaseSigner {
  /** The identity, as the clusters verify it. */
  readonly identity: SigningIdentity;
  /** The environments whose clusters verify it, sorted. */
  readonly environments: readonly string[];
  /** Those clusters, sorted. */
  readonly clusters: readonly string[];
}

/** What the release pipeline is made from: who signs for which environments, where it pushes, what it promotes. */
export interface ReleaseWorkflowSpec {
  /** Every signer with the environments and clusters that verify it (e.g. staging: a key, production: release tags). */
  readonly signers: readonly ReleaseSigner[];
  /** The registries pushed to, sorted by host. */
  readonly registries: readonly RegistryLogin[];
  /**
   * The promotions after a push, in order: each production environment's waves (lowest first), or the whole
   * environment when its clusters have no wave.
   * @default - none: the pipeline pushes, signs and verifies only
   */
  readonly promotions?: readonly WorkflowPromotion[];
  /** The environments whose tags move on push (the others move by promotion). @default - every signer's environments that are not promoted */
  readonly deployOnPush?: readonly string[];
}

/** A generated workflow (GitHub Actions) or pipeline (GitLab CI) file. */
export interface GeneratedWorkflow {
  /** Its path in the repository: `.github/workflows/<the identity's workflow file>`, or the GitLab identity's `configPath` (`.gitlab-ci.yml`). */
  readonly path: string;
  /** Its text. */
  readonly content: string;
}

/** The GitHub environment (or GitLab environment) that gates a promotion: `production-wave-1`, or the environment's name. */
export function githubEnvironmentOf(p: WorkflowPromotion): string {
  return p.wave !== undefined ? `${p.environment}-wave-${p.wave}` : p.environment;
}

/**
 * The promotions of production environments, wave by wave, from the clusters' environment, production flag and wave.
 * An environment whose clusters all report (`rollout`) rolls out instead: one step from its first wave, and one from
 * each wave that needs a person's approval, each rolling out the waves up to the next such step.
 */
export function promotionsOf(
  clusters: ReadonlyArray<{ environment: string; production: boolean; wave?: number }>,
  rollout: ReadonlyMap<string, RolloutFacts> = new Map(),
): WorkflowPromotion[] {
  const byEnv = new Map<string, Set<number | undefined>>();
  for (const c of clusters.filter((x) => x.production)) byEnv.set(c.environment, (byEnv.get(c.environment) ?? new Set()).add(c.wave));
  const out: WorkflowPromotion[] = [];
  for (const env of [...byEnv.keys()].sort()) {
    const waves = [...byEnv.get(env)!];
    const facts = rollout.get(env);
    if (waves.includes(undefined)) {
      out.push({ environment: env });
      continue;
    }
    const sorted = (waves as number[]).sort((a, b) => a - b);
    if (!facts) {
      out.push(...sorted.map((wave) => ({ environment: env, wave })));
      continue;
    }
    const starts = sorted.filter((w, i) => i === 0 || facts.approval.includes(w));
    starts.forEach((wave, i) => {
      const untilWave = i + 1 < starts.length ? sorted[sorted.indexOf(starts[i + 1]) - 1] : sorted[sorted.length - 1];
      out.push({ environment: env, wave, rollout: { untilWave, approval: facts.approval.includes(wave), forge: facts.forge } });
    });
  }
  return out;
}

/**
 * The environments whose promotions roll out on health: those whose clusters, and those of the environment they are
 * promoted from, all report to one forge from a Flux that reports failures.
 */
export function rolloutFactsOf(
  environments: ReadonlyArray<{ name: string; approval?: readonly number[]; promotedFrom?: string }>,
  clusters: ReadonlyArray<{ environment: string; report?: string; flux?: string }>,
): Map<string, RolloutFacts> {
  const facts = new Map<string, RolloutFacts>();
  const min = fluxMinor(HEALTH_REPORT_MIN_FLUX)!;
  for (const env of environments) {
    if (env.approval === undefined) continue;
    const gated = clusters.filter((c) => c.environment === env.name || c.environment === env.promotedFrom);
    const forges = new Set(gated.map((c) => (c.report === 'github-commit-status' ? 'github' : c.report === 'gitlab-commit-status' ? 'gitlab' : undefined)));
    const canReport = gated.every((c) => c.flux !== undefined && (fluxMinor(c.flux) ?? min) >= min);
    if (forges.size === 1 && !forges.has(undefined) && canReport) facts.set(env.name, { approval: env.approval, forge: [...forges][0]! });
  }
  return facts;
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

/** The signers of a fleet's release: each environment's identity (its own, else the fleet's), with its clusters. */
export function releaseSignersOfFleet(fleet: Fleet<any>): ReleaseSigner[] {
  const entries: SignedCluster[] = [];
  for (const env of fleet.environments) {
    if (env.verify === false) continue;
    const identity = fleet.signingOf(env)?.identity();
    if (!identity) continue;
    for (const c of env.clusters) entries.push({ identity, environment: env.name, cluster: c.name });
  }
  return releaseSigners(entries);
}

/** A cluster and the identity it verifies. */
export interface SignedCluster {
  /** The identity the cluster verifies its config with. */
  readonly identity: SigningIdentity;
  /** The cluster's environment. @default - not known: the signer lists no environment for it */
  readonly environment?: string;
  /** The cluster's name. */
  readonly cluster: string;
}

/** Groups clusters by the identity they verify. */
export function releaseSigners(entries: ReadonlyArray<SignedCluster>): ReleaseSigner[] {
  const groups = new Map<string, { identity: SigningIdentity; environments: Set<string>; clusters: Set<string> }>();
  for (const e of entries) {
    const key = JSON.stringify(e.identity);
    const g = groups.get(key) ?? { identity: e.identity, environments: new Set(), clusters: new Set() };
    if (e.environment !== undefined) g.environments.add(e.environment);
    g.clusters.add(e.cluster);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => ({ identity: g.identity, environments: [...g.environments].sort(), clusters: [...g.clusters].sort() }))
    .sort((a, b) => (a.clusters[0] < b.clusters[0] ? -1 : 1));
}

/** A signer for people: the workflow or pipeline and ref (a `*` ref as a pattern), the exact identity, or the key's Secret. */
export function describeSigner(identity: SigningIdentity): string {
  if (!identity.keyless) return `the ${identity.tool} key whose public part is in Secret ${identity.secretName} on the clusters`;
  if (identity.ci?.system === 'github-actions') return `https://github.com/${identity.ci.repository}/.github/workflows/${identity.ci.workflow}@${identity.ci.ref}`;
  if (identity.ci?.system === 'gitlab-ci') return `https://${identity.ci.host}/${identity.ci.project}//${identity.ci.configPath}@${identity.ci.ref}`;
  return identity.regex ? `an identity matching ${identity.subject}` : identity.subject;
}

/** The release pipeline's inputs from a fleet declaration: its signers, registries' hosts and promotions. */
export function releaseWorkflowSpecFromFleet(fleet: Fleet<any>): ReleaseWorkflowSpec {
  const signers = releaseSignersOfFleet(fleet);
  if (signers.length === 0) throw new DeliveryError('the fleet declares no signing identity, so there is nothing for CI to sign with; set signing on the fleet, e.g. Signing.githubActions({ repository, workflow })');
  const hosts = [...new Set(fleet.clusters.map((c) => fleet.props.registry.hostFor(c.region)))];
  return checkedSpec({
    signers,
    registries: hosts.sort().map(loginFor),
    promotions: promotionsOf(fleet.clusters, rolloutFactsOf(
      fleet.environments.map((e) => {
        const r = fleet.rolloutOf(e);
        return { name: e.name, ...(r.report ? { approval: r.approval } : {}), ...(r.promotedFrom ? { promotedFrom: r.promotedFrom } : {}) };
      }),
      fleet.clusters.map((c) => {
        const report = fleet.rolloutOf(c.env).report?.targetOf(c.name).type;
        return { environment: c.environment, flux: fleet.bootstrapFacts(c).flux.version, ...(report ? { report } : {}) };
      }),
    )),
    deployOnPush: fleet.environments.filter((e) => e.deployOnPush && !e.production).map((e) => e.name).sort(),
  });
}

/**
 * The release pipeline's inputs from a synthesized tree: the identity each cluster verifies (read back from the
 * verification of its sync source, so it is what the clusters will accept), the hosts of the clusters' artifacts, and
 * from release.json the environments, which deploy on push, and the production waves. Every name is checked as synth
 * checks it (DNS labels): the pipeline refuses what synth would not write.
 */
export async function releaseWorkflowSpecFromTree(dir: string): Promise<ReleaseWorkflowSpec> {
  const clustersDir = join(dir, 'clusters');
  const names = (await readdir(clustersDir, { withFileTypes: true }).catch(() => {
    throw new DeliveryError(`${dir} has no clusters/ folder; give the folder that synth wrote`);
  })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const problems: string[] = [];
  const found: Array<{ identity: SigningIdentity; cluster: string }> = [];
  const hosts = new Set<string>();
  for (const name of names) {
    if (!DNS_LABEL.test(name)) {
      problems.push(`clusters/${JSON.stringify(name).slice(1, -1)}: a cluster folder whose name is not a DNS label (synth writes none); remove it`);
      continue;
    }
    const sync = await syncOf(join(clustersDir, name));
    if (!sync) {
      problems.push(`clusters/${name}: no FluxInstance or OCIRepository flux-system syncing an OCI artifact`);
      continue;
    }
    try {
      hosts.add(parseRegistryReference(sync.url).host);
    } catch (e) {
      problems.push(`clusters/${name}: ${(e as Error).message}`);
    }
    if (!sync.verify) {
      problems.push(`clusters/${name}: its sync source verifies no signature, so CI signing would not be checked by it; declare signing on the fleet`);
      continue;
    }
    const identity = identityOf(sync.verify);
    if (typeof identity === 'string') problems.push(`clusters/${name}: ${identity}`);
    else found.push({ identity, cluster: name });
  }
  if (problems.length > 0) throw new DeliveryError(problems.join('\n'));
  let promotions: WorkflowPromotion[] = [];
  let deployOnPush: string[] | undefined;
  const environmentOf = new Map<string, string>();
  try {
    const release = await readReleaseManifest(dir);
    const production = new Map(release.environments.map((e) => [e.name, e.production]));
    const facts = rolloutFactsOf(
      release.environments.map((e) => ({
        name: e.name,
        ...(e.rollout ? { approval: e.rollout.approval } : {}),
        ...(e.rollout?.promotedFrom ? { promotedFrom: e.rollout.promotedFrom } : {}),
      })),
      release.clusters.map((c) => ({
        environment: c.environment, ...(c.flux !== undefined ? { flux: c.flux } : {}), ...(c.report ? { report: c.report.type } : {}),
      })),
    );
    promotions = promotionsOf(release.clusters.map((c) => ({
      environment: c.environment, production: production.get(c.environment) === true, ...(c.wave !== undefined ? { wave: c.wave } : {}),
    })), facts);
    deployOnPush = release.environments.filter((e) => e.deployOnPush && !e.production).map((e) => e.name).sort();
    for (const c of release.clusters) {
      hosts.add(parseRegistryReference(c.url).host);
      environmentOf.set(c.name, c.environment);
    }
  } catch (e) {
    if (!(e instanceof ReleaseManifestError)) throw e;
    if (!e.message.includes('does not exist')) throw new DeliveryError(e.message);
  }
  const signers = releaseSigners(found.map((f) => {
    const environment = environmentOf.get(f.cluster);
    return { ...f, ...(environment !== undefined ? { environment } : {}) };
  }));
  if (signers.length === 0) throw new DeliveryError(`${clustersDir} holds no cluster folder`);
  return checkedSpec({ signers, registries: [...hosts].sort().map(loginFor), promotions, ...(deployOnPush ? { deployOnPush } : {}) });
}

/** A DNS-1123 label: what synth allows for environment, region, cluster, tenant and component names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/i;
/** A branch or tag ref a pipeline can filter on: no glob or shell characters but one trailing `*`. */
const REF = /^refs\/(heads|tags)\/[A-Za-z0-9._/-]+\*?$/;

/**
 * Checks every name a spec would put into a pipeline, as synth checks them: environments and clusters are DNS labels,
 * registry hosts are host names, and the signers' repositories, workflow files, projects and refs are what their
 * declarations allow. Throws listing every problem with the fix; returns the spec otherwise.
 */
export function checkedSpec(spec: ReleaseWorkflowSpec): ReleaseWorkflowSpec {
  const problems: string[] = [];
  const label = (what: string, value: string): void => {
    if (!DNS_LABEL.test(value)) problems.push(`${what} ${JSON.stringify(value)} is not a DNS label (lowercase letters, digits and '-'); rename it in the fleet program and synthesize again`);
  };
  for (const s of spec.signers) {
    s.environments.forEach((e) => label('environment', e));
    s.clusters.forEach((c) => label('cluster', c));
    const id = s.identity;
    if (!id.keyless) {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(id.secretName)) problems.push(`Secret name ${JSON.stringify(id.secretName)} is not a DNS name`);
      continue;
    }
    const ci = id.ci;
    if (!ci) continue;
    if (!REF.test(ci.ref)) problems.push(`signing ref ${JSON.stringify(ci.ref)} is not a branch or tag a pipeline can filter on; use e.g. "refs/heads/main" or "refs/tags/v*"`);
    if (ci.system === 'github-actions') {
      if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(ci.repository)) problems.push(`repository ${JSON.stringify(ci.repository)} is not "<owner>/<repo>"`);
      if (!/^[A-Za-z0-9._-]+\.ya?ml$/.test(ci.workflow)) problems.push(`workflow ${JSON.stringify(ci.workflow)} is not a workflow file name`);
    } else {
      if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(ci.project)) problems.push(`project ${JSON.stringify(ci.project)} is not a GitLab project path`);
      if (!HOST.test(ci.host)) problems.push(`GitLab host ${JSON.stringify(ci.host)} is not a host name`);
      if (!/^[A-Za-z0-9._/-]+$/.test(ci.configPath) || ci.configPath.split('/').includes('..')) problems.push(`configPath ${JSON.stringify(ci.configPath)} is not a file of the project`);
    }
  }
  for (const p of spec.promotions ?? []) label('environment', p.environment);
  for (const e of spec.deployOnPush ?? []) label('environment', e);
  for (const r of spec.registries) {
    if (!HOST.test(r.host)) problems.push(`registry host ${JSON.stringify(r.host)} is not a host name`);
    if (r.region !== undefined) label('region', r.region);
  }
  if (problems.length > 0) throw new DeliveryError(`the pipeline would carry names synth refuses:\n${[...new Set(problems)].map((p) => `  ${p}`).join('\n')}`);
  return spec;
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
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
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

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The signer a `spec.verify` accepts, when it accepts exactly one. */
function identityOf(verify: Verify): SigningIdentity | string {
  if (verify.secretRef?.name && !verify.matchOIDCIdentity) {
    return { tool: verify.provider === 'notation' ? 'notation' : 'cosign', keyless: false, secretName: verify.secretRef.name };
  }
  const ids = verify.matchOIDCIdentity ?? [];
  if (ids.length !== 1) return `its sync source accepts ${ids.length} keyless identities; a pipeline signs as exactly one`;
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
