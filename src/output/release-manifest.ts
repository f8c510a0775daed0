import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Fleet } from '../fleet/fleet.js';
import type { HealthReportTarget } from '../fleet/health-report.js';
import type { ResolvedRolloutSettings } from '../fleet/rollout.js';
import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../flux/core/errors.js';
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
  /** Its rollout wave within the environment; absent when it has none. */
  readonly wave?: number;
  /** Its own config artifact in its region's registry, `oci://<host>/<repository>/clusters/<name>`, without tag. */
  readonly url: string;
  /**
   * The tag the cluster follows: its channel's tag, or `<channel>-wave-<n>` in a wave. Absent when its environment
   * follows a semver range.
   */
  readonly tag?: string;
  /** The Flux version the cluster runs, as declared (e.g. `2.9.x`); absent in manifests of older flux-fleet releases. */
  readonly flux?: string;
  /** Where the cluster reports whether it runs a revision and is healthy on it; absent when it reports nowhere. */
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
  /** The clusters pulling this URL at this ref, sorted. */
  readonly clusters: readonly string[];
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
 */
export function buildReleaseManifest(fleet: Fleet<any>): ReleaseManifest {
  const release = fleet.release();
  const registry = fleet.props.registry;
  const environments = [...fleet.environments].sort((a, b) => compare(a.name, b.name)).map((env): ReleaseEnvironment => ({
    name: env.name,
    channel: { kind: env.channel.kind, value: env.channel.value },
    production: env.production,
    deployOnPush: env.deployOnPush,
    ...(fleet.props.rollout || env.rollout ? { rollout: rolloutSettingsOf(fleet.rolloutOf(env)) } : {}),
  }));
  const clusters = [...fleet.clusters].sort((a, b) => compare(a.name, b.name)).map((cluster): ReleaseCluster => ({
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

  const byExternal = new Map<string, { entry: Omit<ReleaseExternal, 'targets' | 'verify'>; verify: boolean; targets: Map<string, { region: string; url: string; ref: ReleaseRef; clusters: string[] }> }>();
  for (const pull of release.external) {
    const key = JSON.stringify([pull.component, pull.kind, pull.upstream, pull.mirror]);
    let group = byExternal.get(key);
    if (!group) {
      const entry = { kind: pull.kind, component: pull.component, upstream: pull.upstream, mirror: pull.mirror };
      group = { entry, verify: false, targets: new Map() };
      byExternal.set(key, group);
    }
    group.verify ||= pull.verify;
    const ref = releaseRefOf(pull.ref);
    const targetKey = JSON.stringify([pull.cluster.region, pull.url, ref]);
    const target = group.targets.get(targetKey) ?? { region: pull.cluster.region, url: pull.url, ref, clusters: [] };
    target.clusters.push(pull.cluster.name);
    group.targets.set(targetKey, target);
  }
  const external = [...byExternal.values()].map(({ entry, verify, targets }): ReleaseExternal => ({
    kind: entry.kind,
    component: entry.component,
    upstream: entry.upstream,
    mirror: entry.mirror,
    verify,
    targets: [...targets.entries()].sort(([a], [b]) => compare(a, b)).map(([, t]) => ({ ...t, clusters: [...t.clusters].sort(compare) })),
  })).sort((a, b) => compare(JSON.stringify([a.component, a.kind, a.upstream]), JSON.stringify([b.component, b.kind, b.upstream])));

  return { version: 1, environments, clusters, artifacts, external };
}

function rolloutSettingsOf(r: ResolvedRolloutSettings): ResolvedRolloutSettings {
  return { soak: r.soak, progressDeadline: r.progressDeadline, maxFailures: r.maxFailures, approval: [...r.approval] };
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
 * Reads `<dir>/release.json`, checking its version and shape: every error names the file and the field.
 * @param dir a synthesized output folder
 */
export async function readReleaseManifest(dir: string): Promise<ReleaseManifest> {
  const file = path.join(dir, RELEASE_MANIFEST_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReleaseManifestError(`${file} does not exist; synthesize the fleet into ${dir} first`, { cause: e });
    throw new ReleaseManifestError(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ReleaseManifestError(`${file} is not JSON: ${(e as Error).message}; synthesize the fleet again`, { cause: e });
  }
  return parseReleaseManifest(parsed, file);
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
  const url = (v: unknown, field: string): string => (typeof v === 'string' && /^oci:\/\/[^\s]+$/.test(v) ? v : fail(field, 'a string starting with "oci://"'));
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
      };
    }
    return {
      name: str(o.name, `${f}.name`),
      channel: { kind: ch.kind as 'tag' | 'semver', value: str(ch.value, `${f}.channel.value`) },
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
      name: str(o.name, `${f}.name`),
      environment: str(o.environment, `${f}.environment`),
      region: str(o.region, `${f}.region`),
      ...(o.wave !== undefined ? { wave: o.wave as number } : {}),
      url: url(o.url, `${f}.url`),
      ...(o.tag !== undefined ? { tag: str(o.tag, `${f}.tag`) } : {}),
      ...(o.flux !== undefined ? { flux: str(o.flux, `${f}.flux`) } : {}),
      ...(o.report !== undefined ? { report: parseReport(obj(o.report, `${f}.report`), `${f}.report`, str) } : {}),
    };
  });
  const envNames = new Set(environments.map((e) => e.name));
  clusters.forEach((c, i) => {
    if (!envNames.has(c.environment)) fail(`clusters[${i}].environment`, `one of the environments (${[...envNames].join(', ')}), not ${JSON.stringify(c.environment)}`);
  });

  const artifacts = arr(root.artifacts, 'artifacts').map((a, i): ReleaseArtifact => {
    const f = `artifacts[${i}]`;
    const o = obj(a, f);
    const name = str(o.name, `${f}.name`);
    const folder = str(o.folder, `${f}.folder`);
    if (folder !== `artifacts/${name}`) fail(`${f}.folder`, `"artifacts/${name}"`);
    return {
      name,
      folder,
      digest: digest(o.digest, `${f}.digest`),
      targets: arr(o.targets, `${f}.targets`).map((t, j): ReleaseArtifactTarget => {
        const tf = `${f}.targets[${j}]`;
        const to = obj(t, tf);
        return { region: str(to.region, `${tf}.region`), url: url(to.url, `${tf}.url`) };
      }),
    };
  });

  const external = arr(root.external, 'external').map((x, i): ReleaseExternal => {
    const f = `external[${i}]`;
    const o = obj(x, f);
    if (o.kind !== 'chart' && o.kind !== 'artifact') fail(`${f}.kind`, '"chart" or "artifact"');
    return {
      kind: o.kind as 'chart' | 'artifact',
      component: str(o.component, `${f}.component`),
      upstream: url(o.upstream, `${f}.upstream`),
      mirror: bool(o.mirror, `${f}.mirror`),
      verify: bool(o.verify, `${f}.verify`),
      targets: arr(o.targets, `${f}.targets`).map((t, j): ReleaseExternalTarget => {
        const tf = `${f}.targets[${j}]`;
        const to = obj(t, tf);
        return {
          region: str(to.region, `${tf}.region`),
          url: url(to.url, `${tf}.url`),
          ref: parseRef(obj(to.ref, `${tf}.ref`), `${tf}.ref`, fail, digest),
          clusters: arr(to.clusters, `${tf}.clusters`).map((n, k) => str(n, `${tf}.clusters[${k}]`)),
        };
      }),
    };
  });

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
