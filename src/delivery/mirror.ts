import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { referrersFallbackTag, type RegistryRepository } from './oci/client.js';
import type { FetchedManifest } from './oci/store.js';
import { contentTag } from './release/push.js';
import { SemverRange } from './semver.js';
import { isDigest, type Descriptor } from '../flux/artifact/digest.js';
import { MEDIA_TYPES } from '../flux/artifact/media-types.js';
import type { ReleaseExternal, ReleaseManifest, ReleaseRef } from '../output/release-manifest.js';

/** The largest manifest or referrers index read (bytes). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Options of {@link mirrorRelease}. */
export interface MirrorOptions {
  /** The registries: upstreams and regional copies. */
  readonly destinations: Destinations;
  /** How many copies run at once. @default 4 */
  readonly concurrency?: number;
  /** Resolve and check, copying nothing. @default false */
  readonly dryRun?: boolean;
}

/** One external artifact copied to one region. */
export interface MirroredTarget {
  readonly component: string;
  readonly region: string;
  readonly upstream: string;
  /** The regional copy, `oci://<host>/<repository>`. */
  readonly url: string;
  /** The ref asked for, as in release.json. */
  readonly ref: ReleaseRef;
  /** The tag copied (the highest matching version of a semver range). @default - a digest ref: no tag */
  readonly tag?: string;
  /** The digest, the same upstream and in the copy. */
  readonly digest: string;
  /** Manifests copied (content, index children, signatures); 0 when the copy was up to date. */
  readonly manifests: number;
  /** Blobs copied. */
  readonly blobs: number;
  /** Bytes of blobs copied. */
  readonly bytes: number;
  /** Signature artifacts found upstream and present in the copy: `.sig`/`.att` tags and referrers. */
  readonly signatures: number;
}

/** What {@link mirrorRelease} did. */
export interface MirrorReport {
  readonly mirrored: readonly MirroredTarget[];
  readonly failed: ReadonlyArray<{ readonly component: string; readonly url: string; readonly error: Error }>;
  readonly dryRun: boolean;
}

interface Counters {
  manifests: number;
  blobs: number;
  bytes: number;
}

/**
 * Copies each external artifact with `mirror: true` from its upstream to every target URL (each region's copy),
 * keeping its digest: the manifest bytes unchanged, every blob, an index with its child manifests. Its signatures come
 * along: cosign's `sha256-<hex>.sig` (and `.att`) tags, and the digest's referrers (from the upstream's Referrers API,
 * else its `sha256-<hex>` fallback tag) with their blobs, listed at the copy in the fallback tag, which is what Flux
 * reads on registries without the Referrers API. So clusters verify the publisher's identity against the copy.
 *
 * A semver ref is resolved against the upstream's tags (the highest matching version) and copied under its tag. What
 * the copy holds already is not copied again (checked with HEAD first). The tag is set last, after the content and
 * its signatures, so a cluster never sees a tag without its signature.
 */
export async function mirrorRelease(release: ReleaseManifest, options: MirrorOptions): Promise<MirrorReport> {
  const jobs = release.external.filter((e) => e.mirror).flatMap((external) => external.targets.map((target) => ({ external, target })));
  const resolved = new Map<string, Promise<{ tag?: string; manifest: FetchedManifest }>>();
  const mirrored: MirroredTarget[] = new Array(jobs.length);
  const failed: Array<{ component: string; url: string; error: Error }> = [];
  await runBounded(jobs.length, options.concurrency ?? 4, async (i) => {
    const { external, target } = jobs[i];
    try {
      if (target.url === external.upstream) throw new Error(`the target ${target.url} is the upstream itself; a mirrored artifact needs a regional URL`);
      const upstream = options.destinations.repository(external.upstream);
      const key = `${external.upstream} ${JSON.stringify(target.ref)}`;
      let found = resolved.get(key);
      if (!found) {
        found = resolveRef(upstream, external, target.ref);
        resolved.set(key, found);
      }
      const { tag, manifest } = await found;
      const counters: Counters = { manifests: 0, blobs: 0, bytes: 0 };
      const dest = options.destinations.repository(target.url);
      let signatures = 0;
      if (!options.dryRun) {
        await copyManifest(upstream, dest, manifest.digest, counters, manifest);
        signatures = await copySignatures(upstream, dest, manifest.digest, counters);
        const keep = tag ?? contentTag(manifest.digest);
        const there = await dest.fetchManifest(keep);
        if (there?.digest !== manifest.digest) await dest.pushManifest(keep, manifest.bytes, manifest.mediaType);
      }
      mirrored[i] = {
        component: external.component,
        region: target.region,
        upstream: external.upstream,
        url: target.url,
        ref: target.ref,
        ...(tag !== undefined ? { tag } : {}),
        digest: manifest.digest,
        ...counters,
        signatures,
      };
    } catch (e) {
      failed.push({ component: external.component, url: target.url, error: e instanceof Error ? e : new Error(String(e)) });
    }
  });
  return { mirrored: mirrored.filter((m) => m !== undefined), failed, dryRun: options.dryRun === true };
}

/** The manifest a ref names upstream, and the tag it is copied under. */
async function resolveRef(
  upstream: RegistryRepository, external: ReleaseExternal, ref: ReleaseRef,
): Promise<{ tag?: string; manifest: FetchedManifest }> {
  let tag: string | undefined;
  let reference: string;
  if ('digest' in ref) {
    reference = ref.digest;
  } else if ('tag' in ref) {
    tag = ref.tag;
    reference = ref.tag;
  } else {
    const range = SemverRange.parse(ref.semver);
    const tags = await upstream.tags();
    const best = range.highest(tags);
    if (best === undefined) {
      throw new Error(`no tag of ${upstream.location} matches semver ${JSON.stringify(ref.semver)} (${tags.length} tags${tags.length > 0 ? `, e.g. ${tags.slice(-5).join(', ')}` : ''})`);
    }
    tag = best;
    reference = best;
  }
  const manifest = await upstream.fetchManifest(reference);
  if (!manifest) throw new Error(`${upstream.location}${isDigest(reference) ? '@' : ':'}${reference} does not exist upstream (component ${external.component})`);
  checkSize(manifest, upstream.location);
  return { ...(tag !== undefined ? { tag } : {}), manifest };
}

function checkSize(m: FetchedManifest, where: string): void {
  if (m.bytes.length > MAX_MANIFEST_BYTES) throw new Error(`the manifest ${m.digest} of ${where} is ${m.bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`);
}

/** Copies a manifest by digest (an index with its children, a manifest with its blobs), unless the copy has it. */
async function copyManifest(
  src: RegistryRepository, dst: RegistryRepository, digest: string, counters: Counters, known?: FetchedManifest, depth = 0,
): Promise<void> {
  if (depth > 4) throw new Error(`${src.location}@${digest}: indexes nest deeper than 4 levels`);
  if (await dst.manifestExists(digest)) return;
  const manifest = known ?? await src.fetchManifest(digest);
  if (!manifest) throw new Error(`${src.location}@${digest} does not exist upstream`);
  checkSize(manifest, src.location);
  const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  if (Array.isArray(parsed.manifests)) {
    for (const child of parsed.manifests) await copyManifest(src, dst, child.digest, counters, undefined, depth + 1);
  }
  for (const blob of [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])]) {
    if (await dst.blobExists(blob)) continue;
    const content = await src.fetchBlob(blob);
    const outcome = await dst.pushBlob({ descriptor: blob, content });
    if (outcome !== 'existing') {
      counters.blobs++;
      counters.bytes += content.length;
    }
  }
  await dst.pushManifestByDigest(manifest.bytes, manifest.mediaType);
  counters.manifests++;
}

/** Copies cosign's `.sig`/`.att` tags and the referrers of a digest; returns how many signature artifacts there are. */
async function copySignatures(src: RegistryRepository, dst: RegistryRepository, digest: string, counters: Counters): Promise<number> {
  let found = 0;
  const fallback = referrersFallbackTag(digest);
  for (const suffix of ['.sig', '.att']) {
    const tag = `${fallback}${suffix}`;
    const sig = await src.fetchManifest(tag);
    if (!sig) continue;
    found++;
    await copyManifest(src, dst, sig.digest, counters, sig);
    const there = await dst.fetchManifest(tag);
    if (there?.digest !== sig.digest) await dst.pushManifest(tag, sig.bytes, sig.mediaType);
  }
  const index = (await src.referrers(digest)) ?? (await src.fetchManifest(fallback));
  if (!index) return found;
  checkSize(index, src.location);
  const listed = (JSON.parse(index.bytes.toString('utf8')) as { manifests?: Array<Descriptor & { artifactType?: string; annotations?: Record<string, string> }> }).manifests ?? [];
  if (listed.length === 0) return found;
  for (const d of listed) await copyManifest(src, dst, d.digest, counters);
  found += listed.length;
  // The copy's registry may lack the Referrers API: list the referrers in its fallback tag, keeping what it listed.
  const existing = await dst.fetchManifest(fallback);
  const before = existing ? ((JSON.parse(existing.bytes.toString('utf8')) as { manifests?: typeof listed }).manifests ?? []) : [];
  const merged = new Map([...before, ...listed].map((d) => [d.digest, d]));
  const manifests = [...merged.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  if (!existing || manifests.length !== before.length) {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
    await dst.pushManifest(fallback, bytes, MEDIA_TYPES.ociIndex);
    counters.manifests++;
  }
  return found;
}
