import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The release manifest, `release.json` at the root of a synthesized tree: what one revision of the fleet delivers, and
 * where. It is the contract between synth and delivery: push, promote, mirror and verify-release read it.
 */
export interface ReleaseManifest {
  /** The format version: 1. */
  readonly version: 1;
  /** The environments, sorted by name. */
  readonly environments: readonly ReleaseEnvironment[];
  /** The clusters, sorted by name. */
  readonly clusters: readonly ReleaseCluster[];
  /** The content synth packaged itself (folders of the fleet repo), sorted by name. */
  readonly artifacts: readonly ReleaseArtifact[];
  /** What others publish (Helm charts, application artifacts) that the clusters pull. */
  readonly external: readonly ReleaseExternal[];
}

/** An environment and the channel its clusters follow. */
export interface ReleaseEnvironment {
  readonly name: string;
  /** The channel: the tag its clusters follow (`<value>-wave-<n>` for a cluster in a wave). */
  readonly channel: { readonly kind: 'tag'; readonly value: string };
  /** Whether it is production: its tags move only through promotion. */
  readonly production: boolean;
  /** Whether a push moves the tags its clusters follow. */
  readonly deployOnPush: boolean;
}

/** A cluster, and where its own config artifact (the content of `clusters/<name>/`) goes. */
export interface ReleaseCluster {
  readonly name: string;
  readonly environment: string;
  readonly region: string;
  /** The rollout wave. @default - none */
  readonly wave?: number;
  /** `oci://<host>/<repository>`: the cluster's config artifact in its region. */
  readonly url: string;
  /** The tag the cluster follows. */
  readonly tag: string;
}

/** Content synth packaged itself, copied to `<outdir>/<folder>`, pinned by digest by the clusters that use it. */
export interface ReleaseArtifact {
  readonly name: string;
  /** Its folder in the tree, e.g. `artifacts/infra`. */
  readonly folder: string;
  /** Its manifest digest, packed reproducibly (created 1970-01-01T00:00:00Z, no other annotation). */
  readonly digest: string;
  /** One target per region that has a cluster using it. */
  readonly targets: ReadonlyArray<{ readonly region: string; readonly url: string }>;
}

/** An OCIRepository's ref: a tag, a semver range or a digest. */
export type ReleaseRef = { readonly tag: string } | { readonly semver: string } | { readonly digest: string };

/** What others publish, and where the clusters of each region pull it. */
export interface ReleaseExternal {
  /** `chart` or `artifact`. */
  readonly kind: 'chart' | 'artifact';
  /** The component that uses it. */
  readonly component: string;
  /** Where it is published, `oci://<host>/<repository>`. */
  readonly upstream: string;
  /** Whether it is copied into each region's registry (the targets' URLs are the copies). */
  readonly mirror: boolean;
  /** Whether the clusters verify its signature. */
  readonly verify: boolean;
  /** One entry per distinct url and ref. */
  readonly targets: ReadonlyArray<{ readonly region: string; readonly url: string; readonly ref: ReleaseRef; readonly clusters: readonly string[] }>;
}

/** A release.json that cannot be read; the message names the file and the field. */
export class ReleaseManifestError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ReleaseManifestError';
  }
}

/** The name of the release manifest at the root of a synthesized tree. */
export const RELEASE_MANIFEST = 'release.json';

/**
 * Reads and checks `<dir>/release.json`: its version and the shape of every entry. Every problem is reported together,
 * each naming the file and the field.
 */
export async function readReleaseManifest(dir: string): Promise<ReleaseManifest> {
  const file = join(dir, RELEASE_MANIFEST);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ReleaseManifestError(`${file} does not exist; synthesize the tree with a fleet (synth writes release.json beside clusters/)`);
    }
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ReleaseManifestError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const problems = checkManifest(parsed);
  if (problems.length > 0) throw new ReleaseManifestError(`${file} is not a release manifest:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return parsed as ReleaseManifest;
}

/**
 * The registry hosts of the fleet itself: those of the clusters' configs, of the component artifacts and of the
 * regional copies of mirrored artifacts (not the upstreams they are copied from), sorted.
 */
export function fleetRegistryHosts(release: ReleaseManifest): string[] {
  const urls = [
    ...release.clusters.map((c) => c.url),
    ...release.artifacts.flatMap((a) => a.targets.map((t) => t.url)),
    ...release.external.filter((e) => e.mirror).flatMap((e) => e.targets.map((t) => t.url)),
  ];
  return [...new Set(urls.map((u) => u.slice('oci://'.length).split('/')[0]))].sort();
}

function checkManifest(m: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(m)) return ['it is not a JSON object'];
  if (m.version !== 1) return [`version ${JSON.stringify(m.version)} is not supported; this flux-fleet reads version 1 (synthesize again with the same flux-fleet version)`];
  const str = (o: Record<string, unknown>, at: string, key: string) => {
    if (typeof o[key] !== 'string' || o[key] === '') problems.push(`${at}.${key} must be a non-empty string, got ${JSON.stringify(o[key])}`);
  };
  const list = (key: string, each: (o: Record<string, unknown>, at: string) => void) => {
    const v = m[key];
    if (!Array.isArray(v)) {
      problems.push(`${key} must be an array, got ${JSON.stringify(v)}`);
      return;
    }
    v.forEach((o, i) => {
      const at = `${key}[${i}]`;
      if (!isObject(o)) problems.push(`${at} must be an object`);
      else each(o, at);
    });
  };
  const url = (o: Record<string, unknown>, at: string, key: string) => {
    str(o, at, key);
    if (typeof o[key] === 'string' && !/^oci:\/\/[^/]+\/.+/.test(o[key] as string)) problems.push(`${at}.${key} ${JSON.stringify(o[key])} is not oci://<host>/<repository>`);
  };
  list('environments', (o, at) => {
    str(o, at, 'name');
    const c = o.channel;
    if (!isObject(c) || c.kind !== 'tag' || typeof c.value !== 'string') problems.push(`${at}.channel must be { "kind": "tag", "value": "<tag>" }`);
    for (const k of ['production', 'deployOnPush']) if (typeof o[k] !== 'boolean') problems.push(`${at}.${k} must be true or false`);
  });
  list('clusters', (o, at) => {
    for (const k of ['name', 'environment', 'region', 'tag']) str(o, at, k);
    url(o, at, 'url');
    if (o.wave !== undefined && !(Number.isInteger(o.wave) && (o.wave as number) >= 1)) problems.push(`${at}.wave must be a whole number of at least 1, got ${JSON.stringify(o.wave)}`);
  });
  list('artifacts', (o, at) => {
    for (const k of ['name', 'folder']) str(o, at, k);
    if (typeof o.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(o.digest)) problems.push(`${at}.digest must be sha256:<64 hex>, got ${JSON.stringify(o.digest)}`);
    if (typeof o.folder === 'string' && (o.folder.startsWith('/') || o.folder.split('/').includes('..'))) problems.push(`${at}.folder ${JSON.stringify(o.folder)} must be a relative path inside the tree`);
    targets(o, at, (t, tat) => {
      str(t, tat, 'region');
      url(t, tat, 'url');
    });
  });
  list('external', (o, at) => {
    if (o.kind !== 'chart' && o.kind !== 'artifact') problems.push(`${at}.kind must be "chart" or "artifact", got ${JSON.stringify(o.kind)}`);
    str(o, at, 'component');
    url(o, at, 'upstream');
    for (const k of ['mirror', 'verify']) if (typeof o[k] !== 'boolean') problems.push(`${at}.${k} must be true or false`);
    targets(o, at, (t, tat) => {
      str(t, tat, 'region');
      url(t, tat, 'url');
      const r = t.ref;
      const keys = isObject(r) ? Object.keys(r) : [];
      if (!isObject(r) || keys.length !== 1 || !['tag', 'semver', 'digest'].includes(keys[0]) || typeof r[keys[0]] !== 'string') {
        problems.push(`${tat}.ref must be one of { "tag": ... }, { "semver": ... }, { "digest": ... }, got ${JSON.stringify(r)}`);
      }
      if (!Array.isArray(t.clusters) || !t.clusters.every((c) => typeof c === 'string')) problems.push(`${tat}.clusters must be an array of cluster names`);
    });
  });
  const envs = new Set(Array.isArray(m.environments) ? (m.environments as Array<{ name?: unknown }>).map((e) => e?.name) : []);
  if (Array.isArray(m.clusters)) {
    (m.clusters as Array<Record<string, unknown>>).forEach((c, i) => {
      if (isObject(c) && typeof c.environment === 'string' && !envs.has(c.environment)) problems.push(`clusters[${i}].environment ${JSON.stringify(c.environment)} is not one of the environments`);
    });
  }
  return problems;

  function targets(o: Record<string, unknown>, at: string, each: (t: Record<string, unknown>, tat: string) => void): void {
    if (!Array.isArray(o.targets)) {
      problems.push(`${at}.targets must be an array`);
      return;
    }
    o.targets.forEach((t, j) => {
      if (!isObject(t)) problems.push(`${at}.targets[${j}] must be an object`);
      else each(t, `${at}.targets[${j}]`);
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
