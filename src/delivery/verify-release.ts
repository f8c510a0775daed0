import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { MAX_MANIFEST_BYTES } from './mirror.js';
import { referrersFallbackTag, type RegistryRepository } from './oci/client.js';
import { candidateTag } from './revision.js';
import { SemverRange } from './semver.js';
import type { Descriptor } from '../flux/artifact/digest.js';
import { parseYamlDocuments } from '../flux/core/yaml-reader.js';
import type { ReleaseManifest, ReleaseRef } from '../output/release-manifest.js';

/** The artifact type prefix of sigstore bundles (cosign v3 signatures attached as referrers). */
export const SIGSTORE_BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle';

/** An OCI source a cluster pulls, as its folder declares it. */
export interface ClusterSource {
  readonly cluster: string;
  /** What declares it, e.g. `OCIRepository/flux-system/podinfo` or `FluxInstance/flux-system/flux (sync)`. */
  readonly source: string;
  /** The file, relative to the tree. */
  readonly file: string;
  /** `oci://<host>/<repository>`. */
  readonly url: string;
  readonly ref: ReleaseRef;
  /** Whether it verifies a signature. */
  readonly verify: boolean;
}

/** A reference that does not resolve. */
export interface DanglingReference {
  readonly cluster: string;
  /** What declares it, or `config` for the cluster's own config artifact. */
  readonly source: string;
  readonly url: string;
  /** The ref, e.g. `tag stable-wave-1`, `digest sha256:...`, `semver 6.x`. */
  readonly ref: string;
  /** What is missing, e.g. `the tag does not exist`. */
  readonly missing: string;
}

/** Options of {@link verifyRelease}. */
export interface VerifyReleaseOptions {
  readonly destinations: Destinations;
  /** Also check that every cluster's config has the candidate of this revision. @default - not checked */
  readonly revision?: string;
  /** How many registry checks run at once. @default 8 */
  readonly concurrency?: number;
}

/** What {@link verifyRelease} found. */
export interface VerifyReleaseReport {
  /** Every distinct url and ref checked. */
  readonly checked: number;
  /** Every source of every cluster, as read from its folder. */
  readonly sources: readonly ClusterSource[];
  /** What does not resolve, sorted by cluster and source. */
  readonly dangling: readonly DanglingReference[];
}

/**
 * Checks, read-only, that what every cluster of a release pulls is there, in its region: every OCI source in the
 * cluster's folder (`clusters/<name>/`, components included, and the sync source of its bootstrap: a FluxInstance's
 * `spec.sync` or the plain `flux-system` OCIRepository) resolves (the tag exists, the pinned digest is present, a
 * semver range has a matching tag), and where the source verifies signatures, a signature is attached (a sigstore
 * bundle referrer, in the Referrers API or the `sha256-<hex>` fallback tag, else a cosign `sha256-<hex>.sig` tag).
 * Each cluster's config has the tag it follows; with a revision, the candidate of that revision instead, and the
 * followed tag only where push moves it (environments that deploy on push), as production's moves by promotion.
 */
export async function verifyRelease(dir: string, release: ReleaseManifest, options: VerifyReleaseOptions): Promise<VerifyReleaseReport> {
  const sources: ClusterSource[] = [];
  for (const c of release.clusters) sources.push(...await clusterSources(dir, c.name));
  type Check = { url: string; ref: ReleaseRef; verify: boolean; users: Array<{ cluster: string; source: string }> };
  const checks = new Map<string, Check>();
  const add = (cluster: string, source: string, url: string, ref: ReleaseRef, verify: boolean) => {
    const key = `${url} ${JSON.stringify(ref)} ${verify}`;
    const check = checks.get(key) ?? { url, ref, verify, users: [] };
    check.users.push({ cluster, source });
    checks.set(key, check);
  };
  const deploysOnPush = new Map(release.environments.map((e) => [e.name, e.deployOnPush && !e.production]));
  for (const c of release.clusters) {
    // With a revision, the release of that revision is checked: every candidate, and the followed tags that its push
    // moved; the others (production's) move by promotion, and are checked without a revision.
    if (c.tag !== undefined && (options.revision === undefined || deploysOnPush.get(c.environment))) add(c.name, 'config', c.url, { tag: c.tag }, false);
    if (options.revision !== undefined) add(c.name, 'config', c.url, { tag: candidateTag(options.revision) }, false);
  }
  const configs = new Map(release.clusters.map((c) => [c.name, c]));
  for (const s of sources) {
    // The sync source is the cluster's config at the tag it follows; for a revision, its candidate stands for it.
    const config = configs.get(s.cluster);
    const isSync = config !== undefined && s.url === config.url && 'tag' in s.ref && s.ref.tag === config.tag;
    const ref = isSync && options.revision !== undefined ? { tag: candidateTag(options.revision) } : s.ref;
    add(s.cluster, s.source, s.url, ref, s.verify);
  }
  const list = [...checks.values()];
  const dangling: DanglingReference[] = [];
  await runBounded(list.length, options.concurrency ?? 8, async (i) => {
    const check = list[i];
    let missing: string | undefined;
    try {
      missing = await checkRef(options.destinations.repository(check.url), check.ref, check.verify);
    } catch (e) {
      missing = `cannot be checked: ${(e as Error).message}`;
    }
    if (missing !== undefined) {
      for (const u of check.users) dangling.push({ cluster: u.cluster, source: u.source, url: check.url, ref: describeRef(check.ref), missing });
    }
  });
  dangling.sort((a, b) => cmp(a.cluster, b.cluster) || cmp(a.source, b.source) || cmp(a.ref, b.ref));
  return { checked: list.length, sources, dangling };
}

/** `tag x`, `semver x`, `digest x`. */
export function describeRef(ref: ReleaseRef): string {
  if ('digest' in ref) return `digest ${ref.digest}`;
  if ('semver' in ref) return `semver ${ref.semver}`;
  return `tag ${ref.tag}`;
}

/** What is missing for a ref, or undefined when it resolves (and is signed, when asked). */
async function checkRef(repo: RegistryRepository, ref: ReleaseRef, verify: boolean): Promise<string | undefined> {
  let reference: string;
  if ('semver' in ref) {
    let range: SemverRange;
    try {
      range = SemverRange.parse(ref.semver);
    } catch (e) {
      return (e as Error).message;
    }
    const tags = await repo.tags();
    const best = range.highest(tags);
    if (best === undefined) return tags.length === 0 ? 'the repository has no tag' : 'no tag matches the range';
    reference = best;
  } else {
    reference = 'digest' in ref ? ref.digest : ref.tag;
  }
  if (!verify) return (await repo.manifestExists(reference)) ? undefined : 'digest' in ref ? 'the pinned digest is not there' : `the tag ${reference} does not exist`;
  const manifest = await repo.fetchManifest(reference);
  if (!manifest) return 'digest' in ref ? 'the pinned digest is not there' : `the tag ${reference} does not exist`;
  return (await isSigned(repo, manifest.digest)) ? undefined : `no signature of ${manifest.digest}${'semver' in ref ? ` (tag ${reference})` : ''}: neither a sigstore bundle referrer nor a cosign ${referrersFallbackTag(manifest.digest)}.sig tag`;
}

/** Whether a digest has a sigstore bundle among its referrers, or a cosign `.sig` tag. */
async function isSigned(repo: RegistryRepository, digest: string): Promise<boolean> {
  const fallback = referrersFallbackTag(digest);
  const index = (await repo.referrers(digest)) ?? (await repo.fetchManifest(fallback));
  if (index && index.bytes.length <= MAX_MANIFEST_BYTES) {
    const listed = (JSON.parse(index.bytes.toString('utf8')) as { manifests?: Array<Descriptor & { artifactType?: string }> }).manifests ?? [];
    for (const d of listed.slice(0, 100)) {
      if (d.artifactType?.startsWith(SIGSTORE_BUNDLE_TYPE)) return true;
      if (d.artifactType !== undefined) continue;
      const m = await repo.fetchManifest(d.digest);
      if (!m || m.bytes.length > MAX_MANIFEST_BYTES) continue;
      const parsed = JSON.parse(m.bytes.toString('utf8')) as { artifactType?: string; config?: { mediaType?: string } };
      if ((parsed.artifactType ?? parsed.config?.mediaType ?? '').startsWith(SIGSTORE_BUNDLE_TYPE)) return true;
    }
  }
  return repo.manifestExists(`${fallback}.sig`);
}

/** The OCI sources a cluster's folder declares: its OCIRepository objects and its FluxInstance's sync. */
export async function clusterSources(dir: string, cluster: string): Promise<ClusterSource[]> {
  const root = join(dir, 'clusters', cluster);
  const out: ClusterSource[] = [];
  const walk = async (folder: string, rel: string): Promise<void> => {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => cmp(a.name, b.name));
    for (const entry of entries) {
      if (entry.isDirectory()) {
        await walk(join(folder, entry.name), `${rel}${entry.name}/`);
        continue;
      }
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      const file = `clusters/${cluster}/${rel}${entry.name}`;
      for (const doc of parseYamlDocuments(await readFile(join(folder, entry.name), 'utf8'), join(folder, entry.name))) {
        const o = doc.toJS() as { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string }; spec?: any } | null;
        if (!o || typeof o !== 'object') continue;
        const id = `${o.kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
        if (o.kind === 'OCIRepository' && String(o.apiVersion).startsWith('source.toolkit.fluxcd.io/') && typeof o.spec?.url === 'string') {
          const r = o.spec.ref ?? {};
          const ref: ReleaseRef = r.digest ? { digest: String(r.digest) } : r.semver ? { semver: String(r.semver) } : { tag: String(r.tag ?? 'latest') };
          out.push({ cluster, source: id, file, url: o.spec.url, ref, verify: o.spec.verify !== undefined });
        } else if (o.kind === 'FluxInstance' && o.spec?.sync?.kind === 'OCIRepository' && typeof o.spec.sync.url === 'string') {
          const patches = (o.spec.kustomize?.patches ?? []) as Array<{ target?: { kind?: string; name?: string }; patch?: string }>;
          const verify = patches.some((p) => p.target?.kind === 'OCIRepository' && p.target?.name === 'flux-system'
            && (parseYaml(String(p.patch ?? '')) as Array<{ path?: string }> | null ?? []).some?.((op) => op.path === '/spec/verify'));
          const ref = String(o.spec.sync.ref ?? 'latest');
          out.push({ cluster, source: `${id} (sync)`, file, url: o.spec.sync.url, ref: ref.startsWith('sha256:') ? { digest: ref } : { tag: ref }, verify });
        }
      }
    }
  };
  await walk(root, '');
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
