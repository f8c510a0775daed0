import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WRITER_MARKER_FILE } from './writer/tree-path.js';
import { recordedDigest } from './writer/write-tree.js';
import { RELEASE_POLICY_ANNOTATIONS, RUNTIME_INFO_NAME, SYNC_NAME } from '../fleet/bootstrap.js';
import type { Cluster } from '../fleet/cluster.js';
import type { Fleet } from '../fleet/fleet.js';
import type { HealthReportTarget } from '../fleet/health-report.js';
import type { ResolvedRolloutSettings } from '../fleet/rollout.js';
import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../flux/core/errors.js';
import { parseYamlDocuments } from '../flux/core/yaml-reader.js';
import type { OciRepositoryRef } from '../flux/source/oci-repository.js';

/**
 * `release.json`: what one synth of a fleet releases, written at the root of the output tree. It is the contract
 * between synth and delivery: which environments a push deploys, which artifact each cluster follows at which tag,
 * the content synth packaged itself (with its digest), and what others publish that the clusters pull (Helm charts,
 * application artifacts), with where each region's clusters pull it from.
 *
 * Arrays are sorted (by name, then region), so the same fleet always gives the same bytes.
 */
export interface ReleaseManifest {
  /** The format version: 1. */
  readonly version: 1;
  /** Every environment, sorted by name. */
  readonly environments: readonly ReleaseEnvironment[];
  /** Every cluster, sorted by name. */
  readonly clusters: readonly ReleaseCluster[];
  /** The content synth packaged itself (folders of the fleet repository), sorted by name. */
  readonly artifacts: readonly ReleaseArtifact[];
  /** What others publish and the clusters pull (Helm charts, artifacts of other pipelines), sorted by component and kind. */
  readonly external: readonly ReleaseExternal[];
}

/** The release channel of an environment. */
export interface ReleaseChannel {
  /** `tag`: the clusters follow a tag moved by push and promotion; `semver`: they follow the highest tag in a range. */
  readonly kind: 'tag' | 'semver';
  /** The tag (e.g. `stable`) or the range (e.g. `>=1.0.0`). */
  readonly value: string;
}

/** An environment of the release. */
export interface ReleaseEnvironment {
  /** The environment's name. */
  readonly name: string;
  /** The channel its clusters follow. */
  readonly channel: ReleaseChannel;
  /** Whether it is a production environment. */
  readonly production: boolean;
  /** Whether a push moves its clusters' tags; when false, only promotion does. */
  readonly deployOnPush: boolean;
  /**
   * How its waves roll out on evidence (soak, progress deadline, failures tolerated, waves needing approval), every
   * default applied; absent when neither the fleet nor the environment declares rollout settings.
   * @default - no rollout settings
   */
  readonly rollout?: ResolvedRolloutSettings;
}

/** A cluster of the release: its own config artifact (the content of `clusters/<name>/`) and the tag it follows. */
export interface ReleaseCluster {
  /** The cluster's name. */
  readonly name: string;
  /** Its environment's name. */
  readonly environment: string;
  /** Its region. */
  readonly region: string;
  /** Its rollout wave within the environment. @default - none */
  readonly wave?: number;
  /** Its own config artifact in its region's registry, `oci://<host>/<repository>/clusters/<name>`, without tag. */
  readonly url: string;
  /**
   * The tag the cluster follows: its channel's tag, or `<channel>-wave-<n>` in a wave. Absent when its environment
   * follows a semver range.
   * @default - a semver range, not a tag
   */
  readonly tag?: string;
  /** The Flux version the cluster runs, as declared (e.g. `2.9.x`). @default - not recorded: a manifest of an older flux-fleet release */
  readonly flux?: string;
  /** Where the cluster reports whether it runs a revision and is healthy on it. @default - nowhere */
  readonly report?: HealthReportTarget;
}

/** Where one region's clusters pull an artifact from. */
export interface ReleaseArtifactTarget {
  /** The region. */
  readonly region: string;
  /** The artifact's repository in the region's registry, `oci://<host>/<repository>/<name>`, without tag or digest. */
  readonly url: string;
}

/**
 * Content synth packaged itself: a folder of the fleet repository, copied to `<outdir>/<folder>`. Packing the files
 * of that folder with `packArtifact(files, { created: '1970-01-01T00:00:00Z' })` (default file modes, no other
 * annotation) gives `digest`, which every cluster using it pins.
 */
export interface ReleaseArtifact {
  /** The artifact's name, e.g. `infra`. */
  readonly name: string;
  /** Its folder in the output tree, `artifacts/<name>`. */
  readonly folder: string;
  /** The digest of its manifest, `sha256:<hex>`. */
  readonly digest: string;
  /** One target per region that has a cluster using it, sorted by region. */
  readonly targets: readonly ReleaseArtifactTarget[];
}

/** The `ref` an OCIRepository pulls: exactly one of a tag, a semver range or a digest. */
export type ReleaseRef = { readonly tag: string } | { readonly semver: string } | { readonly digest: string };

/** Where some clusters of one region pull an external chart or artifact, and which ref they pull. */
export interface ReleaseExternalTarget {
  /** The region. */
  readonly region: string;
  /** The URL the clusters pull: the regional copy when mirrored, else the upstream itself. */
  readonly url: string;
  /** The ref those clusters pull. */
  readonly ref: ReleaseRef;
  /**
   * For a digest synth pinned from the fleet's lock file: the ref the fleet declares (a tag or a range) and the
   * upstream tag the lock resolved it to. Mirror copies the digest under that tag, and reports an upstream that has
   * moved the tag since.
   * @default - not pinned from the lock
   */
  readonly locked?: ReleaseLockedRef;
  /** The clusters pulling this URL at this ref, sorted. */
  readonly clusters: readonly string[];
}

/** A ref pinned from the lock file: what the fleet declares, and the tag the lock resolved it to. */
export interface ReleaseLockedRef {
  /** The ref the fleet declares: `{ tag }` or `{ semver }`. */
  readonly declared: { readonly tag: string } | { readonly semver: string };
  /** The upstream tag whose digest the lock records. */
  readonly tag: string;
}

/** A Helm chart or an artifact that others publish, and what the clusters pull of it. */
export interface ReleaseExternal {
  /** `chart` for a Helm chart, `artifact` for a Flux artifact another pipeline pushes. */
  readonly kind: 'chart' | 'artifact';
  /** The component using it. */
  readonly component: string;
  /** Where it is published, `oci://...`, without tag or digest. */
  readonly upstream: string;
  /** Whether clusters pull a copy in their own region's registry, which delivery mirrors from `upstream`. */
  readonly mirror: boolean;
  /** Whether any cluster verifies its signature (so a mirror must copy the signatures too). */
  readonly verify: boolean;
  /** One target per distinct region, url and ref, sorted by region, then url, then ref. */
  readonly targets: readonly ReleaseExternalTarget[];
}

/** The name of the release manifest at the root of the output tree. */
export const RELEASE_MANIFEST_FILE = 'release.json';

/** A release manifest that cannot be read; the message names the file, the field and what was expected. */
export class ReleaseManifestError extends FluxFleetError {
  public constructor(message: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.releaseManifest, message, options);
  }
}

/** The folder of the output tree where synth copies a packed folder: `artifacts/<name>`. */
export function artifactFolder(name: string): string {
  return `artifacts/${name}`;
}

/**
 * The release manifest of a fleet (building it first): its environments, its clusters with their own artifact and
 * tag, the folders synth packed with their digest and one target per region that has a cluster using them, and the
 * external charts and artifacts with one target per distinct region, URL and ref. Every array is sorted, so the same
 * fleet always gives the same manifest.
 *
 * @param clusters only these clusters (a shard of the fleet, each built before): the manifest of their release
 *   alone, which {@link mergeReleaseManifests} puts together with the other shards'
 */
export function buildReleaseManifest(fleet: Fleet<any>, clusters?: Iterable<Cluster<any>>): ReleaseManifest {
  const selected = clusters === undefined ? undefined : new Set(clusters);
  const release = selected ? fleet._release(selected) : fleet.release();
  const registry = fleet.props.registry;
  const environments = [...fleet.environments].sort((a, b) => compare(a.name, b.name)).map((env): ReleaseEnvironment => ({
    name: env.name,
    channel: { kind: env.channel.kind, value: env.channel.value },
    production: env.production,
    deployOnPush: env.deployOnPush,
    ...(fleet.props.rollout || env.rollout ? { rollout: rolloutSettingsOf(fleet.rolloutOf(env)) } : {}),
  }));
  const sorted = fleet.clusters.filter((c) => !selected || selected.has(c)).sort((a, b) => compare(a.name, b.name));
  const releaseClusters = sorted.map((cluster): ReleaseCluster => ({
    name: cluster.name,
    environment: cluster.environment,
    region: cluster.region,
    ...(cluster.wave !== undefined ? { wave: cluster.wave } : {}),
    url: fleet.artifactUrl(cluster),
    ...(cluster.tag !== undefined ? { tag: cluster.tag } : {}),
    flux: fleet.bootstrapFacts(cluster).flux.version,
    ...reportOf(fleet, cluster),
  }));
  const artifacts = release.artifacts.map(({ artifact, clusters: users }): ReleaseArtifact => ({
    name: artifact.name,
    folder: artifactFolder(artifact.name),
    digest: artifact.digest,
    targets: [...new Set(users.map((c) => c.region))].sort(compare).map((region) => ({ region, url: registry.urlFor(region, artifact.name) })),
  }));
  const external = groupExternal(release.external.map((pull) => ({
    component: pull.component,
    kind: pull.kind,
    upstream: pull.upstream,
    mirror: pull.mirror,
    verify: pull.verify,
    region: pull.cluster.region,
    url: pull.url,
    ref: releaseRefOf(pull.ref),
    ...(pull.locked ? { locked: { declared: pull.locked.declared, tag: pull.locked.tag } } : {}),
    cluster: pull.cluster.name,
  })));
  return { version: 1, environments, clusters: releaseClusters, artifacts, external };
}

/**
 * The release manifest of a whole fleet from the manifests of its shards, each built for some of its clusters
 * ({@link buildReleaseManifest} with `clusters`): byte for byte the manifest of the fleet built whole. Throws, saying
 * which, when they disagree (on the environments, or an artifact's digest) or share a cluster.
 */
export function mergeReleaseManifests(parts: readonly ReleaseManifest[]): ReleaseManifest {
  if (parts.length === 0) throw new ReleaseManifestError('no release manifest to merge; give the manifest of every shard');
  const environments = parts[0].environments;
  const clusters: ReleaseCluster[] = [];
  const seen = new Set<string>();
  const artifacts = new Map<string, { artifact: ReleaseArtifact; targets: Map<string, ReleaseArtifactTarget> }>();
  const pulls: ExternalPull[] = [];
  parts.forEach((part, i) => {
    if (JSON.stringify(part.environments) !== JSON.stringify(environments)) {
      throw new ReleaseManifestError(`the release manifests of shards 1 and ${i + 1} list other environments: they come from different fleets; synthesize every shard from the same program`);
    }
    for (const cluster of part.clusters) {
      if (seen.has(cluster.name)) throw new ReleaseManifestError(`cluster ${cluster.name} is in two shards' release manifests; give each shard once`);
      seen.add(cluster.name);
      clusters.push(cluster);
    }
    for (const artifact of part.artifacts) {
      const known = artifacts.get(artifact.name) ?? { artifact, targets: new Map() };
      if (known.artifact.digest !== artifact.digest) {
        throw new ReleaseManifestError(`artifact ${artifact.name} is ${known.artifact.digest} in one shard and ${artifact.digest} in another: its folder changed between their synths; synthesize every shard from the same commit`);
      }
      for (const target of artifact.targets) known.targets.set(target.region, target);
      artifacts.set(artifact.name, known);
    }
    for (const { targets, ...g } of part.external) {
      for (const { clusters: names, ...t } of targets) for (const cluster of names) pulls.push({ ...g, ...t, cluster });
    }
  });
  return {
    version: 1,
    environments,
    clusters: clusters.sort((a, b) => compare(a.name, b.name)),
    artifacts: [...artifacts.values()].sort((a, b) => compare(a.artifact.name, b.artifact.name)).map(({ artifact, targets }) => ({
      ...artifact,
      targets: [...targets.values()].sort((a, b) => compare(a.region, b.region)),
    })),
    external: groupExternal(pulls),
  };
}

/** An external chart or artifact one cluster pulls, as the release manifest groups them. */
interface ExternalPull {
  readonly component: string;
  readonly kind: 'chart' | 'artifact';
  readonly upstream: string;
  readonly mirror: boolean;
  readonly verify: boolean;
  readonly region: string;
  readonly url: string;
  readonly ref: ReleaseRef;
  readonly locked?: ReleaseLockedRef;
  readonly cluster: string;
}

/**
 * The external entries of a release manifest: one per component, kind, upstream and mirroring (verifying when any of
 * its pulls verifies), each with one target per region, URL and ref listing its clusters, all sorted: the same pulls
 * in any order give the same entries.
 */
function groupExternal(pulls: Iterable<ExternalPull>): ReleaseExternal[] {
  const groups = new Map<string, { entry: Omit<ReleaseExternal, 'targets' | 'verify'>; verify: boolean; targets: Map<string, { region: string; url: string; ref: ReleaseRef; locked?: ReleaseLockedRef; clusters: string[] }> }>();
  for (const pull of pulls) {
    const key = JSON.stringify([pull.component, pull.kind, pull.upstream, pull.mirror]);
    let group = groups.get(key);
    if (!group) {
      const entry = { kind: pull.kind, component: pull.component, upstream: pull.upstream, mirror: pull.mirror };
      group = { entry, verify: false, targets: new Map() };
      groups.set(key, group);
    }
    group.verify ||= pull.verify;
    const targetKey = JSON.stringify([pull.region, pull.url, pull.ref, pull.locked ?? null]);
    const locked = pull.locked ? { locked: pull.locked } : {};
    const target = group.targets.get(targetKey) ?? { region: pull.region, url: pull.url, ref: pull.ref, ...locked, clusters: [] };
    target.clusters.push(pull.cluster);
    group.targets.set(targetKey, target);
  }
  return [...groups].sort(([a], [b]) => compare(a, b)).map(([, { entry, verify, targets }]): ReleaseExternal => ({
    kind: entry.kind,
    component: entry.component,
    upstream: entry.upstream,
    mirror: entry.mirror,
    verify,
    targets: [...targets.entries()].sort(([a], [b]) => compare(a, b)).map(([, t]) => ({ ...t, clusters: [...t.clusters].sort(compare) })),
  }));
}

function rolloutSettingsOf(r: ResolvedRolloutSettings): ResolvedRolloutSettings {
  return {
    soak: r.soak,
    progressDeadline: r.progressDeadline,
    maxFailures: r.maxFailures,
    approval: [...r.approval],
    ...(r.promotedFrom !== undefined ? { promotedFrom: r.promotedFrom } : {}),
  };
}

function reportOf(fleet: Fleet<any>, cluster: Fleet<any>['clusters'][number]): { report?: HealthReportTarget } {
  const report = fleet.rolloutOf(cluster.env).report;
  return report ? { report: report.targetOf(cluster.name) } : {};
}

function releaseRefOf(ref: OciRepositoryRef): ReleaseRef {
  if (ref.digest !== undefined) return { digest: ref.digest };
  if (ref.semver !== undefined) return { semver: ref.semver };
  return { tag: ref.tag ?? 'latest' };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The text of a release manifest: 2-space JSON with a final newline. */
export function renderReleaseManifest(manifest: ReleaseManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Reads `<dir>/release.json` as delivery must: only the one synth wrote, and only if it says what the tree says.
 *
 * - Synth recorded its digest in the marker file (`.flux-fleet`) of the folder it wrote: a release.json without that
 *   record, or with other bytes, is refused (edited after synth, copied from elsewhere, or written by hand).
 * - Its shape, and names as synth accepts them (DNS labels for environments, clusters, regions and components; OCI
 *   tags; artifact names), see {@link parseReleaseManifest}.
 * - The folders it names (`clusters/<name>`, `artifacts/<name>`) are folders of the tree, not links out of it.
 * - Each cluster's own objects agree with it: the `flux-runtime-info` ConfigMap (name, environment, region, wave,
 *   tag, and whether its environment is production and deploys on push) and the sync source (URL and tag).
 *
 * Every error names the file and the field, and the fix.
 * @param dir a synthesized output folder
 */
export async function readReleaseManifest(dir: string): Promise<ReleaseManifest> {
  return readReleaseManifestSync(dir);
}

/** {@link readReleaseManifest}, for callers that cannot wait: the same checks, the same errors. */
export function readReleaseManifestSync(dir: string): ReleaseManifest {
  const file = path.join(dir, RELEASE_MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReleaseManifestError(`${file} does not exist; synthesize the fleet into ${dir} first`, { cause: e });
    throw new ReleaseManifestError(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  checkWrittenBySynth(dir, file, bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ReleaseManifestError(`${file} is not JSON: ${(e as Error).message}; synthesize the fleet again`, { cause: e });
  }
  const manifest = parseReleaseManifest(parsed, file);
  checkAgainstTree(dir, file, manifest);
  return manifest;
}

/**
 * Refuses a release.json whose digest synth did not record: the marker file of the folder synth wrote (the tree, or
 * for an app with several fleets, the folder above) lists the digest of each release.json it wrote.
 */
function checkWrittenBySynth(dir: string, file: string, bytes: Buffer): void {
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  for (const root of [dir, path.dirname(dir)]) {
    const recorded = recordedDigest(root, path.relative(root, file).split(path.sep).join('/'));
    if (recorded === undefined) continue;
    if (recorded === actual) return;
    throw new ReleaseManifestError(`${file} was changed after synth: its digest is ${actual}, and synth recorded ${recorded} in ${path.join(root, WRITER_MARKER_FILE)}; ` +
      'delivery reads only the release.json synth wrote: change the fleet program and synthesize again rather than editing it');
  }
  throw new ReleaseManifestError(`${file} is not one synth wrote: no ${WRITER_MARKER_FILE} marker in ${dir} records its digest; ` +
    `delivery reads only the release.json synth writes: synthesize the fleet into ${dir} with this version of flux-fleet`);
}

/** What a cluster's own objects say: its runtime info and its sync source. */
interface ClusterObjects {
  readonly file: string;
  readonly info?: { readonly data: Record<string, unknown>; readonly annotations: Record<string, unknown> };
  readonly sync?: { readonly url: unknown; readonly tag: unknown };
}

/**
 * Checks the folders release.json names (inside the tree, not links) and each cluster against its own objects;
 * reports every mismatch at once.
 */
function checkAgainstTree(dir: string, file: string, release: ReleaseManifest): void {
  const problems: string[] = [];
  const root = fs.realpathSync(dir);
  const folderProblem = (field: string, folder: string): string | undefined => {
    const full = path.join(dir, folder);
    const stat = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!stat) return `${field}: the folder ${folder} is missing from the tree`;
    if (stat.isSymbolicLink() || !stat.isDirectory()) return `${field}: ${folder} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}, and synth writes a folder there`;
    const real = fs.realpathSync(full);
    return real.startsWith(`${root}${path.sep}`) ? undefined : `${field}: ${folder} resolves to ${real}, outside the tree ${root}`;
  };
  const envs = new Map(release.environments.map((e) => [e.name, e]));
  for (const [i, cluster] of release.clusters.entries()) {
    const field = `clusters[${i}]`;
    const where = folderProblem(`${field}.name`, `clusters/${cluster.name}`);
    if (where) {
      problems.push(where);
      continue;
    }
    const objects = clusterObjects(dir, cluster.name);
    const env = envs.get(cluster.environment)!;
    const expect = (what: string, found: unknown, wanted: unknown, fieldName: string) => {
      if (found !== wanted) {
        problems.push(`${fieldName} is ${JSON.stringify(wanted ?? null)}, but ${what} in ${objects.file} is ${JSON.stringify(found ?? null)}`);
      }
    };
    if (!objects.info) {
      problems.push(`${field}: clusters/${cluster.name} has no ConfigMap ${RUNTIME_INFO_NAME} under flux-system/, which synth writes for every cluster`);
    } else {
      const { data, annotations } = objects.info;
      expect(`CLUSTER_NAME of ${RUNTIME_INFO_NAME}`, data.CLUSTER_NAME, cluster.name, `${field}.name`);
      expect(`CLUSTER_ENVIRONMENT of ${RUNTIME_INFO_NAME}`, data.CLUSTER_ENVIRONMENT, cluster.environment, `${field}.environment`);
      expect(`CLUSTER_REGION of ${RUNTIME_INFO_NAME}`, data.CLUSTER_REGION, cluster.region, `${field}.region`);
      expect(`CLUSTER_WAVE of ${RUNTIME_INFO_NAME}`, data.CLUSTER_WAVE, cluster.wave === undefined ? undefined : String(cluster.wave), `${field}.wave`);
      expect(`ARTIFACT_TAG of ${RUNTIME_INFO_NAME}`, data.ARTIFACT_TAG, cluster.tag, `${field}.tag`);
      const e = release.environments.indexOf(env);
      expect(`the annotation ${RELEASE_POLICY_ANNOTATIONS.production} of ${RUNTIME_INFO_NAME} (cluster ${cluster.name})`, annotations[RELEASE_POLICY_ANNOTATIONS.production],
        String(env.production), `environments[${e}].production`);
      expect(`the annotation ${RELEASE_POLICY_ANNOTATIONS.deployOnPush} of ${RUNTIME_INFO_NAME} (cluster ${cluster.name})`, annotations[RELEASE_POLICY_ANNOTATIONS.deployOnPush],
        String(env.deployOnPush), `environments[${e}].deployOnPush`);
    }
    if (!objects.sync) {
      problems.push(`${field}: clusters/${cluster.name} has no sync source under flux-system/ (a FluxInstance's sync, or the OCIRepository ${SYNC_NAME})`);
    } else {
      expect('the sync source\'s URL', objects.sync.url, cluster.url, `${field}.url`);
      expect('the tag the sync source follows', objects.sync.tag, cluster.tag, `${field}.tag`);
    }
  }
  for (const [i, artifact] of release.artifacts.entries()) {
    const where = folderProblem(`artifacts[${i}].folder`, artifact.folder);
    if (where) problems.push(where);
  }
  if (problems.length === 0) return;
  const shown = problems.slice(0, 20);
  throw new ReleaseManifestError(`${file} does not say what the tree's own objects say, so it was changed after synth or the tree was:\n` +
    `${shown.map((p) => `  ${p}`).join('\n')}${problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : ''}\n` +
    'synthesize the fleet again rather than editing the tree');
}

/** The runtime info and sync source in `clusters/<name>/flux-system/`. */
function clusterObjects(dir: string, name: string): ClusterObjects {
  const folder = path.join(dir, 'clusters', name, 'flux-system');
  const files = (fs.existsSync(folder) ? fs.readdirSync(folder) : []).filter((f) => /\.ya?ml$/.test(f)).sort();
  let info: ClusterObjects['info'];
  let sync: ClusterObjects['sync'];
  let where = `clusters/${name}/flux-system/`;
  for (const f of files) {
    const text = fs.readFileSync(path.join(folder, f), 'utf8');
    if (!text.includes(RUNTIME_INFO_NAME) && !text.includes('sync')) continue;
    for (const doc of parseYamlDocuments(text, `clusters/${name}/flux-system/${f}`)) {
      type Parsed = { kind?: unknown; metadata?: Record<string, any>; spec?: Record<string, any>; data?: Record<string, unknown> } | null;
      const o = doc.toJS({ maxAliasCount: 100 }) as Parsed;
      if (!o || typeof o !== 'object') continue;
      if (o.kind === 'ConfigMap' && o.metadata?.name === RUNTIME_INFO_NAME) {
        info = { data: o.data ?? {}, annotations: o.metadata?.annotations ?? {} };
        where = `clusters/${name}/flux-system/${f}`;
      } else if (o.kind === 'FluxInstance' && o.spec?.sync?.kind === 'OCIRepository') {
        sync = { url: o.spec.sync.url, tag: o.spec.sync.ref };
      } else if (o.kind === 'OCIRepository' && o.metadata?.name === SYNC_NAME && !sync) {
        sync = { url: o.spec?.url, tag: o.spec?.ref?.tag };
      }
    }
  }
  return { file: where, info, sync };
}

/**
 * Checks that a parsed value is a release manifest of version 1 and returns it. Every error names `file` and the
 * field, e.g. `release.json: clusters[2].url must be a string starting with "oci://"`.
 */
export function parseReleaseManifest(value: unknown, file: string = RELEASE_MANIFEST_FILE): ReleaseManifest {
  const fail = (field: string, expected: string): never => {
    throw new ReleaseManifestError(`${file}: ${field} must be ${expected}; synthesize the fleet again with this version of flux-fleet`);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'an object');
    return v as Record<string, unknown>;
  };
  const arr = (v: unknown, field: string): unknown[] => (Array.isArray(v) ? v : fail(field, 'an array'));
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v !== '' ? v : fail(field, 'a non-empty string'));
  const bool = (v: unknown, field: string): boolean => (typeof v === 'boolean' ? v : fail(field, 'true or false'));
  // Names as synth accepts them: they become folders, repository paths and tags.
  const label = (v: unknown, field: string): string => (typeof v === 'string' && DNS_LABEL.test(v) && v.length <= 63 ? v : fail(field, `a DNS-1123 label as synth writes it (lowercase letters, digits and '-', at most 63), not ${JSON.stringify(v)}`));
  const ociTag = (v: unknown, field: string): string => (typeof v === 'string' && OCI_TAG.test(v) ? v : fail(field, `an OCI tag (letters, digits, '_', '.' and '-'), not ${JSON.stringify(v)}`));
  const repository = (v: unknown, field: string): string => (typeof v === 'string' && OCI_URL.test(v) ? v : fail(field, `a string starting with "oci://", oci://<host>/<repository> without tag or digest, not ${JSON.stringify(v)}`));
  const unique = (names: readonly string[], field: string): void => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) fail(`${field}[${i}].name`, `a name no other entry has, and ${JSON.stringify(n)} comes twice`);
      seen.add(n);
    });
  };
  const digest = (v: unknown, field: string): string => (typeof v === 'string' && /^sha256:[a-f0-9]{64}$/.test(v) ? v : fail(field, 'a digest "sha256:<64 hex digits>"'));

  const root = obj(value, 'the manifest');
  if (root.version !== 1) fail('version', `1 (found ${JSON.stringify(root.version)})`);

  const environments = arr(root.environments, 'environments').map((e, i): ReleaseEnvironment => {
    const f = `environments[${i}]`;
    const o = obj(e, f);
    const ch = obj(o.channel, `${f}.channel`);
    if (ch.kind !== 'tag' && ch.kind !== 'semver') fail(`${f}.channel.kind`, '"tag" or "semver"');
    let rollout: ResolvedRolloutSettings | undefined;
    if (o.rollout !== undefined) {
      const r = obj(o.rollout, `${f}.rollout`);
      const duration = (v: unknown, field: string): string => (typeof v === 'string' && /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(v) ? v : fail(field, 'a Go duration, e.g. "10m"'));
      const count = (v: unknown, field: string): number => (Number.isInteger(v) && (v as number) >= 0 ? v as number : fail(field, 'a whole number of at least 0'));
      rollout = {
        soak: duration(r.soak, `${f}.rollout.soak`),
        progressDeadline: duration(r.progressDeadline, `${f}.rollout.progressDeadline`),
        maxFailures: count(r.maxFailures, `${f}.rollout.maxFailures`),
        approval: arr(r.approval, `${f}.rollout.approval`).map((w, j) => (Number.isInteger(w) && (w as number) >= 1 ? w as number : fail(`${f}.rollout.approval[${j}]`, 'a wave number from 1'))),
        ...(r.promotedFrom !== undefined ? { promotedFrom: label(r.promotedFrom, `${f}.rollout.promotedFrom`) } : {}),
      };
    }
    return {
      name: label(o.name, `${f}.name`),
      channel: { kind: ch.kind as 'tag' | 'semver', value: ch.kind === 'tag' ? ociTag(ch.value, `${f}.channel.value`) : str(ch.value, `${f}.channel.value`) },
      production: bool(o.production, `${f}.production`),
      deployOnPush: bool(o.deployOnPush, `${f}.deployOnPush`),
      ...(rollout ? { rollout } : {}),
    };
  });

  const clusters = arr(root.clusters, 'clusters').map((c, i): ReleaseCluster => {
    const f = `clusters[${i}]`;
    const o = obj(c, f);
    if (o.wave !== undefined && !(Number.isInteger(o.wave) && (o.wave as number) >= 1)) fail(`${f}.wave`, 'a whole number from 1, or absent');
    return {
      name: label(o.name, `${f}.name`),
      environment: str(o.environment, `${f}.environment`),
      region: label(o.region, `${f}.region`),
      ...(o.wave !== undefined ? { wave: o.wave as number } : {}),
      url: repository(o.url, `${f}.url`),
      ...(o.tag !== undefined ? { tag: ociTag(o.tag, `${f}.tag`) } : {}),
      ...(o.flux !== undefined ? { flux: str(o.flux, `${f}.flux`) } : {}),
      ...(o.report !== undefined ? { report: parseReport(obj(o.report, `${f}.report`), `${f}.report`, str) } : {}),
    };
  });
  unique(environments.map((e) => e.name), 'environments');
  unique(clusters.map((c) => c.name), 'clusters');
  const envNames = new Set(environments.map((e) => e.name));
  clusters.forEach((c, i) => {
    if (!envNames.has(c.environment)) fail(`clusters[${i}].environment`, `one of the environments (${[...envNames].join(', ')}), not ${JSON.stringify(c.environment)}`);
  });
  environments.forEach((e, i) => {
    const from = e.rollout?.promotedFrom;
    if (from !== undefined && (from === e.name || !envNames.has(from))) fail(`environments[${i}].rollout.promotedFrom`, `another of the environments (${[...envNames].filter((n) => n !== e.name).join(', ')}), not ${JSON.stringify(from)}`);
  });

  const artifacts = arr(root.artifacts, 'artifacts').map((a, i): ReleaseArtifact => {
    const f = `artifacts[${i}]`;
    const o = obj(a, f);
    const name = typeof o.name === 'string' && ARTIFACT_NAME.test(o.name) ? o.name : fail(`${f}.name`, `an artifact name as synth writes it (lowercase letters, digits, '.', '_' and '-'), not ${JSON.stringify(o.name)}`);
    const folder = str(o.folder, `${f}.folder`);
    if (folder !== `artifacts/${name}`) fail(`${f}.folder`, `"artifacts/${name}"`);
    return {
      name,
      folder,
      digest: digest(o.digest, `${f}.digest`),
      targets: arr(o.targets, `${f}.targets`).map((t, j): ReleaseArtifactTarget => {
        const tf = `${f}.targets[${j}]`;
        const to = obj(t, tf);
        return { region: label(to.region, `${tf}.region`), url: repository(to.url, `${tf}.url`) };
      }),
    };
  });

  const external = arr(root.external, 'external').map((x, i): ReleaseExternal => {
    const f = `external[${i}]`;
    const o = obj(x, f);
    if (o.kind !== 'chart' && o.kind !== 'artifact') fail(`${f}.kind`, '"chart" or "artifact"');
    return {
      kind: o.kind as 'chart' | 'artifact',
      component: label(o.component, `${f}.component`),
      upstream: repository(o.upstream, `${f}.upstream`),
      mirror: bool(o.mirror, `${f}.mirror`),
      verify: bool(o.verify, `${f}.verify`),
      targets: arr(o.targets, `${f}.targets`).map((t, j): ReleaseExternalTarget => {
        const tf = `${f}.targets[${j}]`;
        const to = obj(t, tf);
        const ref = parseRef(obj(to.ref, `${tf}.ref`), `${tf}.ref`, fail, digest);
        let locked: ReleaseLockedRef | undefined;
        if (to.locked !== undefined) {
          const lo = obj(to.locked, `${tf}.locked`);
          const declared = parseRef(obj(lo.declared, `${tf}.locked.declared`), `${tf}.locked.declared`, fail, digest);
          if ('digest' in declared || !('digest' in ref)) fail(`${tf}.locked`, 'a tag or range the lock resolved to this target\'s digest ref');
          locked = { declared: declared as ReleaseLockedRef['declared'], tag: ociTag(lo.tag, `${tf}.locked.tag`) };
        }
        return {
          region: label(to.region, `${tf}.region`),
          url: repository(to.url, `${tf}.url`),
          ref,
          ...(locked ? { locked } : {}),
          clusters: arr(to.clusters, `${tf}.clusters`).map((n, k) => label(n, `${tf}.clusters[${k}]`)),
        };
      }),
    };
  });

  unique(artifacts.map((a) => a.name), 'artifacts');
  return { version: 1, environments, clusters, artifacts, external };
}

function parseReport(o: Record<string, unknown>, field: string, str: (v: unknown, field: string) => string): HealthReportTarget {
  return {
    type: str(o.type, `${field}.type`),
    host: str(o.host, `${field}.host`),
    repository: str(o.repository, `${field}.repository`),
    context: str(o.context, `${field}.context`),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const ARTIFACT_NAME = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
/** `oci://<host>[:port]/<repository>`, the repository as the OCI distribution spec names them, without tag or digest. */
const OCI_URL = /^oci:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)+$/;

function parseRef(o: Record<string, unknown>, field: string, fail: (field: string, expected: string) => never,
  digest: (v: unknown, field: string) => string): ReleaseRef {
  const keys = Object.keys(o);
  if (keys.length !== 1 || !['tag', 'semver', 'digest'].includes(keys[0])) fail(field, 'exactly one of {"tag": ...}, {"semver": ...} or {"digest": ...}');
  const key = keys[0];
  if (key === 'digest') return { digest: digest(o.digest, `${field}.digest`) };
  const v = o[key];
  if (typeof v !== 'string' || v === '') fail(`${field}.${key}`, 'a non-empty string');
  return key === 'tag' ? { tag: v as string } : { semver: v as string };
}
