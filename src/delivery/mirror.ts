import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryError } from './artifacts.js';
import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { checkDescriptor, referrersFallbackTag, RegistryError, REGISTRY_LIMITS, type RegistryRepository } from './oci/client.js';
import type { FetchedManifest } from './oci/store.js';
import { contentTag } from './release/push.js';
import { SemverRange } from './semver.js';
import { MAX_REFERRERS, type ReferrerDescriptor } from './signing/referrers.js';
import { formatSize, isDigest, shortDigest, type Descriptor } from '../flux/artifact/digest.js';
import { MEDIA_TYPES } from '../flux/artifact/media-types.js';
import { ERROR_CODES, FluxFleetError } from '../flux/core/errors.js';
import { printable } from '../flux/core/terminal-text.js';
import type { ReleaseExternal, ReleaseExternalTarget, ReleaseManifest } from '../output/release-manifest.js';

/** The largest manifest or referrers index read (bytes): the registry client's own limit. */
export const MAX_MANIFEST_BYTES = REGISTRY_LIMITS.maxManifestSize;

/** What a mirror run reads and copies at most, by default. */
export const MIRROR_LIMITS = {
  /** 128 MiB: the largest signature or attestation artifact (its config and layers together), as cosign limits attachments. */
  maxSignatureSize: 128 * 1024 * 1024,
  /** 1,000: the most referrers of one digest, as many as `verify` (and source-controller's limit) reads. */
  maxReferrers: MAX_REFERRERS,
  /** 1,000: the most layers of one manifest, as cosign limits a `.sig`. */
  maxLayers: 1000,
  /** 1,000: the most distinct child manifests of one index. */
  maxIndexChildren: 1000,
  /** 4: how deep indexes may nest. */
  maxIndexDepth: 4,
} as const;

/** Limits of a mirror run; an artifact past one fails, naming the limit, and nothing of it is copied. */
export interface MirrorLimits {
  /**
   * The largest signature or attestation artifact copied (a `.sig` or `.att` tag, a referrer): its config and layers
   * together. cosign refuses attachments over 128 MiB by default.
   * @default 128 MiB
   */
  readonly maxSignatureSize?: number;
  /** The most referrers of one digest copied. @default 1000 (what `verify` reads) */
  readonly maxReferrers?: number;
  /** The most layers of one manifest. @default 1000 (cosign's limit on a `.sig`) */
  readonly maxLayers?: number;
  /** The most distinct child manifests of one index. @default 1000 */
  readonly maxIndexChildren?: number;
}

/** Options of {@link mirrorRelease}. */
export interface MirrorOptions {
  /** The registries: upstreams and regional copies. */
  readonly destinations: Destinations;
  /** How many copies run at once. @default 4 */
  readonly concurrency?: number;
  /** Resolve and compare with every copy, copying nothing: the report says what a real run would do. @default false */
  readonly dryRun?: boolean;
  /** Limits. @default - {@link MIRROR_LIMITS} */
  readonly limits?: MirrorLimits;
  /**
   * Where blobs are kept between their download from upstream and their upload to each region (each is downloaded
   * once per run, and streamed: memory does not grow with a blob's size); emptied at the end.
   * @default - a new folder under the system's temporary folder
   */
  readonly spoolDir?: string;
}

/** What mirror did (or, in a dry run, would do) for one external artifact in one region. */
export interface MirroredTarget {
  /** The component whose source it is. */
  readonly component: string;
  /** The region whose registry holds the copy. */
  readonly region: string;
  /** The upstream repository, `oci://<host>/<repository>`. */
  readonly upstream: string;
  /** The regional copy, `oci://<host>/<repository>`. */
  readonly url: string;
  /** The tag the copy is kept under: the version a tag or range resolved to, else `content-<hex>` of the digest. */
  readonly tag: string;
  /** The digest, the same upstream and in the copy. */
  readonly digest: string;
  /** `copy` when anything was (or would be) copied or tagged, `up-to-date` when the copy holds it all. */
  readonly action: 'copy' | 'up-to-date';
  /** Manifests copied, tags set and fallback indexes written (or that would be). */
  readonly manifests: number;
  /** Blobs copied (or that would be). */
  readonly blobs: number;
  /** Bytes of those blobs. */
  readonly bytes: number;
  /** Signature artifacts upstream: `.sig`/`.att` tags and referrers. */
  readonly signatures: number;
}

/** A tag that does not point where the fleet expects, which mirror reports and never moves. */
export interface MirrorDrift {
  /** The component whose source it is. */
  readonly component: string;
  /** The region whose registry holds the copy. */
  readonly region: string;
  /**
   * `destination`: the copy's tag points at another digest than the one upstream (a re-tag upstream, or another
   * writer); nothing is copied for it. `upstream`: the upstream tag the lock resolved has moved to another digest;
   * the locked digest is copied all the same.
   */
  readonly kind: 'destination' | 'upstream';
  /** The repository whose tag drifted, `oci://...`. */
  readonly url: string;
  /** The tag that drifted. */
  readonly tag: string;
  /** The digest mirror copies: upstream's for a destination drift, the lock's for an upstream one. */
  readonly expected: string;
  /** The digest the tag points at. */
  readonly found: string;
}

/** What {@link mirrorRelease} did. */
export interface MirrorReport {
  /** Every external artifact and region: what was (or would be) copied, or found up to date. */
  readonly mirrored: readonly MirroredTarget[];
  /** The tags that point elsewhere than the fleet expects; none of them is moved. */
  readonly drift: readonly MirrorDrift[];
  /** The artifacts that could not be mirrored, and why. */
  readonly failed: ReadonlyArray<{ readonly component: string; readonly url: string; readonly error: Error }>;
  /** Whether this was a dry run, which copies and tags nothing. */
  readonly dryRun: boolean;
  /** Blobs downloaded from upstream (each at most once per run), and their bytes. */
  readonly downloaded: { readonly blobs: number; readonly bytes: number };
}

/** A mirror limit was passed; nothing of the artifact was copied. */
export class MirrorLimitError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.registry, message);
  }
}

/** An artifact read upstream: its manifests (children before parents), blobs, and signature artifacts. */
interface UpstreamArtifact {
  readonly root: FetchedManifest;
  readonly manifests: readonly FetchedManifest[];
  readonly blobs: readonly Descriptor[];
  /** cosign's `.sig`/`.att` tags present upstream, with their content. */
  readonly signatureTags: ReadonlyArray<{ readonly tag: string; readonly manifest: FetchedManifest; readonly blobs: readonly Descriptor[] }>;
  /** The referrers of the digest, with their content. */
  readonly referrers: ReadonlyArray<{
    readonly descriptor: ReferrerDescriptor;
    readonly manifest: FetchedManifest;
    readonly blobs: readonly Descriptor[];
  }>;
}

/** What one target needs copied, found by comparing the upstream artifact with the copy. */
interface CopyPlan {
  readonly manifests: readonly FetchedManifest[];
  readonly blobs: readonly Descriptor[];
  readonly signatureTags: ReadonlyArray<{ readonly tag: string; readonly manifest: FetchedManifest }>;
  /** The fallback index to write, when the copy's registry has no Referrers API and its index lacks a referrer. */
  readonly fallback?: readonly ReferrerDescriptor[];
  /** Whether the copy's tag is to be set (it does not exist yet). */
  readonly setTag: boolean;
  /** The digest the copy's tag points at, when it points elsewhere. */
  readonly drift?: string;
}

type Limits = Required<MirrorLimits> & { maxIndexDepth: number };

/** A target compared with its copy: what to report, and what to copy unless it drifted. */
interface PlannedTarget {
  readonly drift: MirrorDrift[];
  /** Absent when the target drifted: nothing is copied for it. */
  readonly mirrored?: MirroredTarget;
  readonly upstream?: RegistryRepository;
  readonly dest?: RegistryRepository;
  readonly plan?: CopyPlan;
  readonly root?: FetchedManifest;
  readonly tag?: string;
}

/**
 * Copies each external artifact with `mirror: true` from its upstream to every target URL (each region's copy),
 * keeping its digest: the manifest bytes unchanged, every blob, an index with its child manifests (each distinct child
 * once). Its signatures come along: cosign's `sha256-<hex>.sig` (and `.att`) tags, and the digest's referrers (from the
 * upstream's Referrers API, else its `sha256-<hex>` fallback tag) with their blobs, listed at the copy in the fallback
 * tag, which is what Flux reads on registries without the Referrers API. So clusters verify the publisher's identity
 * against the copy.
 *
 * Bounded like pull: blobs stream from upstream into a spool folder (each downloaded once per run, whatever the
 * number of regions) and from there to each region a chunk at a time, so memory does not grow with a blob; signature
 * and attestation artifacts, referrer lists, layer lists and index children have limits ({@link MIRROR_LIMITS}), and
 * an artifact past one fails with the limit named, before anything of it is copied.
 *
 * Never moves a tag: a semver ref is resolved against the upstream's tags (the highest matching version) and copied
 * under its tag; a digest pinned from the lock under the tag the lock resolved; another digest under
 * `content-<hex>`. When the copy's tag exists and points at another digest, the target is reported as drift and
 * nothing is copied for it; when an upstream tag the lock resolved points elsewhere now, that drift is reported and
 * the locked digest copied. Everything is compared with the copy first (HEAD requests), so a dry run reports exactly
 * what a real run would copy, find up to date, or refuse as drift. The tag is set last, after the content and its
 * signatures, so a cluster never sees a tag without its signature.
 */
export async function mirrorRelease(release: ReleaseManifest, options: MirrorOptions): Promise<MirrorReport> {
  const limits: Limits = { ...MIRROR_LIMITS, ...options.limits };
  const jobs = release.external.filter((e) => e.mirror).flatMap((external) => external.targets.map((target) => ({ external, target })));
  const run = new MirrorRun(options.destinations, limits, options.spoolDir);
  const mirrored: MirroredTarget[] = new Array(jobs.length);
  const drift: MirrorDrift[] = [];
  const failed: Array<{ component: string; url: string; error: Error }> = [];
  const fail = (i: number, e: unknown) => failed.push({
    component: jobs[i].external.component,
    url: jobs[i].target.url,
    error: e instanceof Error ? e : new DeliveryError(String(e)),
  });
  try {
    // Every target is compared with its copy before anything is copied, so a real run copies what a dry run reports.
    const plans: Array<PlannedTarget | undefined> = new Array(jobs.length);
    await runBounded(jobs.length, options.concurrency ?? 4, async (i) => {
      try {
        const planned = await run.plan(jobs[i].external, jobs[i].target);
        drift.push(...planned.drift);
        plans[i] = planned;
        if (planned.mirrored) mirrored[i] = planned.mirrored;
      } catch (e) {
        fail(i, e);
      }
    });
    if (options.dryRun !== true) {
      await runBounded(jobs.length, options.concurrency ?? 4, async (i) => {
        const planned = plans[i];
        if (!planned?.mirrored || planned.mirrored.action === 'up-to-date') return;
        try {
          await run.copy(planned);
        } catch (e) {
          // Reported as failed, not as mirrored.
          delete mirrored[i];
          fail(i, e);
        }
      });
    }
  } finally {
    await run.close();
  }
  const order = (a: { component: string; url: string }, b: { component: string; url: string }) => compare(`${a.component} ${a.url}`, `${b.component} ${b.url}`);
  return {
    mirrored: mirrored.filter((m) => m !== undefined),
    drift: drift.sort(order),
    failed: failed.sort(order),
    dryRun: options.dryRun === true,
    downloaded: run.downloaded,
  };
}

/** One mirror run: upstream reads and blob downloads shared by every target. */
class MirrorRun {
  public readonly downloaded = { blobs: 0, bytes: 0 };
  private readonly resolved = new Map<string, Promise<{ tag?: string; manifest: FetchedManifest }>>();
  private readonly artifacts = new Map<string, Promise<UpstreamArtifact>>();
  private readonly manifests = new Map<string, Promise<FetchedManifest | undefined>>();
  private readonly spooled = new Map<string, Promise<string>>();
  private spool?: Promise<string>;

  public constructor(private readonly destinations: Destinations, private readonly limits: Limits, private readonly spoolDir?: string) {}

  /** Compares a target with its copy: what it lacks, and any drift. Reads only. */
  public async plan(external: ReleaseExternal, target: ReleaseExternalTarget): Promise<PlannedTarget> {
    if (target.url === external.upstream) throw new RegistryError(`the target ${target.url} is the upstream itself; a mirrored artifact needs a regional URL`);
    const upstream = this.destinations.repository(external.upstream);
    const dest = this.destinations.repository(target.url);
    const drift: MirrorDrift[] = [];
    const { tag: resolvedTag, manifest } = await this.resolve(upstream, external, target);
    const tag = resolvedTag ?? target.locked?.tag ?? contentTag(manifest.digest);
    if (target.locked) {
      // The lock pinned this digest from an upstream tag: an upstream that moved the tag since is reported.
      const now = await this.fetch(upstream, target.locked.tag);
      if (now?.digest !== manifest.digest) {
        drift.push({ component: external.component, region: target.region, kind: 'upstream', url: external.upstream, tag: target.locked.tag, expected: manifest.digest, found: now?.digest ?? 'nothing' });
      }
    }
    const artifact = await this.read(upstream, manifest);
    const plan = await this.compare(dest, artifact, tag);
    if (plan.drift !== undefined) {
      drift.push({ component: external.component, region: target.region, kind: 'destination', url: target.url, tag, expected: manifest.digest, found: plan.drift });
      return { drift };
    }
    const counts = {
      manifests: plan.manifests.length + plan.signatureTags.length + (plan.fallback ? 1 : 0) + (plan.setTag ? 1 : 0),
      blobs: plan.blobs.length,
      bytes: plan.blobs.reduce((n, b) => n + b.size, 0),
    };
    return {
      drift,
      upstream,
      dest,
      plan,
      root: manifest,
      tag,
      mirrored: {
        component: external.component,
        region: target.region,
        upstream: external.upstream,
        url: target.url,
        tag,
        digest: manifest.digest,
        action: counts.manifests + counts.blobs === 0 ? 'up-to-date' : 'copy',
        ...counts,
        signatures: artifact.signatureTags.length + artifact.referrers.length,
      },
    };
  }

  /** Removes the spool folder. */
  public async close(): Promise<void> {
    if (this.spool) await rm(await this.spool, { recursive: true, force: true });
  }

  /** The manifest a target's ref names upstream, and the tag it resolved (shared by targets with the same ref). */
  private resolve(
    upstream: RegistryRepository, external: ReleaseExternal, target: ReleaseExternalTarget,
  ): Promise<{ tag?: string; manifest: FetchedManifest }> {
    const key = `${external.upstream} ${JSON.stringify(target.ref)}`;
    let found = this.resolved.get(key);
    if (!found) {
      found = resolveRef(upstream, external, target, (repo, ref) => this.fetch(repo, ref));
      this.resolved.set(key, found);
    }
    return found;
  }

  /** A manifest upstream, read once per run. */
  private fetch(repo: RegistryRepository, reference: string): Promise<FetchedManifest | undefined> {
    const key = `${repo.location} ${reference}`;
    let found = this.manifests.get(key);
    if (!found) {
      found = repo.fetchManifest(reference);
      this.manifests.set(key, found);
      found.catch(() => this.manifests.delete(key));
    }
    return found;
  }

  /** The artifact upstream with everything a copy needs, read once per run and checked against the limits. */
  private read(upstream: RegistryRepository, root: FetchedManifest): Promise<UpstreamArtifact> {
    const key = `${upstream.location}@${root.digest}`;
    let found = this.artifacts.get(key);
    if (!found) {
      found = this.readArtifact(upstream, root);
      this.artifacts.set(key, found);
    }
    return found;
  }

  private async readArtifact(upstream: RegistryRepository, root: FetchedManifest): Promise<UpstreamArtifact> {
    const where = `${upstream.location}@${root.digest}`;
    const manifests: FetchedManifest[] = [];
    const blobs = new Map<string, Descriptor>();
    const seen = new Set<string>();
    const walk = async (m: FetchedManifest, depth: number): Promise<void> => {
      if (seen.has(m.digest)) return;
      seen.add(m.digest);
      if (depth > this.limits.maxIndexDepth) throw new MirrorLimitError(`${where}: indexes nest deeper than ${this.limits.maxIndexDepth} levels`);
      const parsed = parseManifest(m, upstream.location);
      if (parsed.children) {
        // Each distinct child once, however often the index lists it.
        const children = [...new Map(parsed.children.map((c) => [c.digest, c])).values()];
        if (children.length > this.limits.maxIndexChildren) {
          throw new MirrorLimitError(`${where}: the index ${shortDigest(m.digest)} lists ${children.length} distinct manifests, more than the ${this.limits.maxIndexChildren} mirror copies; nothing of it was copied`);
        }
        for (const child of children) {
          checkDescriptor(child, upstream.location);
          const fetched = await this.fetch(upstream, child.digest);
          if (!fetched) throw new RegistryError(`${upstream.location}@${child.digest}, a manifest of the index ${shortDigest(m.digest)}, does not exist upstream`);
          await walk(fetched, depth + 1);
        }
      }
      this.checkLayers(parsed.blobs, `${where}: the manifest ${shortDigest(m.digest)}`);
      for (const b of parsed.blobs) blobs.set(b.digest, b);
      manifests.push(m);
    };
    await walk(root, 0);

    const signatureTags: Array<{ tag: string; manifest: FetchedManifest; blobs: Descriptor[] }> = [];
    for (const suffix of ['.sig', '.att']) {
      const tag = `${referrersFallbackTag(root.digest)}${suffix}`;
      const sig = await this.fetch(upstream, tag);
      if (sig) signatureTags.push({ tag, manifest: sig, blobs: this.signatureBlobs(sig, upstream.location, `the ${suffix} ${suffix === '.sig' ? 'signature' : 'attestation'} tag of ${where}`) });
    }

    const listed = await this.referrersOf(upstream, root.digest, where);
    const referrers: Array<{ descriptor: ReferrerDescriptor; manifest: FetchedManifest; blobs: Descriptor[] }> = [];
    for (const r of listed) {
      const m = await this.fetch(upstream, r.digest);
      if (!m) throw new RegistryError(`${where}: its referrer ${r.digest} does not exist upstream`);
      referrers.push({ descriptor: r, manifest: m, blobs: this.signatureBlobs(m, upstream.location, `the referrer ${shortDigest(r.digest)} of ${where}`) });
    }
    return { root, manifests, blobs: [...blobs.values()], signatureTags, referrers };
  }

  /** The referrers of a digest upstream (Referrers API, else fallback tag), each once, within the count limit. */
  private async referrersOf(upstream: RegistryRepository, digest: string, where: string): Promise<ReferrerDescriptor[]> {
    const index = (await upstream.referrers(digest)) ?? (await this.fetch(upstream, referrersFallbackTag(digest)));
    if (!index) return [];
    const listed = parseManifest(index, upstream.location).children ?? [];
    const unique = [...new Map(listed.map((d) => [d.digest, d as ReferrerDescriptor])).values()];
    if (unique.length > this.limits.maxReferrers) {
      throw new MirrorLimitError(`${where} has ${unique.length} referrers, more than the ${this.limits.maxReferrers} that verify (and Flux) read, so a copy listing them all would not verify; ` +
        'nothing of it was copied: ask its publisher to prune them, or raise maxReferrers if they are all expected');
    }
    for (const d of unique) checkDescriptor(d, upstream.location);
    return unique;
  }

  /** The blobs of a signature or attestation artifact, within the layer and size limits. */
  private signatureBlobs(m: FetchedManifest, location: string, what: string): Descriptor[] {
    const parsed = parseManifest(m, location);
    if (parsed.children) throw new MirrorLimitError(`${what} is an index, not a signature or attestation manifest; nothing of it was copied`);
    this.checkLayers(parsed.blobs, what);
    const total = parsed.blobs.reduce((n, b) => n + b.size, 0);
    if (total > this.limits.maxSignatureSize) {
      throw new MirrorLimitError(`${what} is ${formatSize(total)}, more than the ${formatSize(this.limits.maxSignatureSize)} a signature or attestation may be (cosign refuses larger attachments too); ` +
        'nothing of it was copied: raise maxSignatureSize if it is expected');
    }
    return parsed.blobs;
  }

  private checkLayers(blobs: readonly Descriptor[], what: string): void {
    // The config is one of the blobs; the limit counts layers.
    if (blobs.length - 1 > this.limits.maxLayers) {
      throw new MirrorLimitError(`${what} has ${blobs.length - 1} layers, more than the ${this.limits.maxLayers} mirror copies (cosign refuses more in a signature too); nothing of it was copied`);
    }
  }

  /** What the copy lacks: compared with HEAD requests, nothing downloaded. */
  private async compare(dest: RegistryRepository, artifact: UpstreamArtifact, tag: string): Promise<CopyPlan> {
    const there = await dest.fetchManifest(tag);
    if (there && there.digest !== artifact.root.digest) {
      return { manifests: [], blobs: [], signatureTags: [], setTag: false, drift: there.digest };
    }
    const manifests: FetchedManifest[] = [];
    const blobs = new Map<string, Descriptor>();
    const need = async (m: FetchedManifest, mBlobs: readonly Descriptor[]) => {
      if (manifests.some((x) => x.digest === m.digest) || await dest.manifestExists(m.digest)) return;
      for (const b of mBlobs) if (!blobs.has(b.digest) && !(await dest.blobExists(b))) blobs.set(b.digest, b);
      manifests.push(m);
    };
    // Only the blobs of the manifests a copy lacks are checked: a manifest is stored only once its blobs are.
    const byDigest = new Map(artifact.manifests.map((m) => [m.digest, m]));
    for (const m of byDigest.values()) await need(m, parseManifest(m, dest.location).blobs);
    const signatureTags: Array<{ tag: string; manifest: FetchedManifest }> = [];
    for (const s of artifact.signatureTags) {
      await need(s.manifest, s.blobs);
      if ((await dest.fetchManifest(s.tag))?.digest !== s.manifest.digest) signatureTags.push({ tag: s.tag, manifest: s.manifest });
    }
    for (const r of artifact.referrers) await need(r.manifest, r.blobs);
    let fallback: ReferrerDescriptor[] | undefined;
    if (artifact.referrers.length > 0 && (await dest.referrers(artifact.root.digest)) === undefined) {
      const existing = await dest.fetchManifest(referrersFallbackTag(artifact.root.digest));
      const listed = existing ? parseManifest(existing, dest.location).children ?? [] : [];
      const missing = artifact.referrers.some((r) => !listed.some((l) => l.digest === r.descriptor.digest));
      if (missing) fallback = artifact.referrers.map((r) => r.descriptor);
    }
    return { manifests, blobs: [...blobs.values()], signatureTags, fallback, setTag: !there };
  }

  /** Copies what the plan found missing, the tag last (a copy another target made meanwhile is not made twice). */
  public async copy(planned: PlannedTarget): Promise<void> {
    const { upstream, dest, root, plan, tag } = planned as Required<PlannedTarget>;
    for (const b of plan.blobs) {
      if (!(await dest.blobExists(b))) await dest.pushBlobFile(b, await this.spooledFile(upstream, b));
    }
    // Children were read before their index, so they are stored first.
    for (const m of plan.manifests) await dest.pushManifestByDigest(m.bytes, m.mediaType);
    for (const s of plan.signatureTags) await dest.pushManifest(s.tag, s.manifest.bytes, s.manifest.mediaType);
    if (plan.fallback) await mergeFallbackIndex(dest, root.digest, plan.fallback);
    if (plan.setTag) {
      // Set only if nothing took the tag meanwhile: mirror moves no tag.
      const now = await dest.fetchManifest(tag);
      if (now && now.digest !== root.digest) throw new RegistryError(`${dest.location}:${tag} was set to ${now.digest} while mirror copied ${root.digest}; mirror moves no tag`);
      if (!now) await dest.pushManifest(tag, root.bytes, root.mediaType);
    }
  }

  /** A blob's file in the spool, downloaded from upstream on first need (once per run). */
  private spooledFile(upstream: RegistryRepository, blob: Descriptor): Promise<string> {
    let found = this.spooled.get(blob.digest);
    if (!found) {
      found = (async () => {
        this.spool ??= this.spoolDir !== undefined ? Promise.resolve(this.spoolDir) : mkdtemp(join(tmpdir(), 'flux-fleet-mirror-'));
        const file = join(await this.spool, blob.digest.replace(':', '-'));
        await upstream.downloadBlob(blob, file);
        this.downloaded.blobs++;
        this.downloaded.bytes += blob.size;
        return file;
      })();
      this.spooled.set(blob.digest, found);
      found.catch(() => this.spooled.delete(blob.digest));
    }
    return found;
  }
}

/** The manifest a target's ref names upstream, and the tag it is copied under (none for a digest ref). */
async function resolveRef(
  upstream: RegistryRepository, external: ReleaseExternal, target: ReleaseExternalTarget,
  fetch: (repo: RegistryRepository, reference: string) => Promise<FetchedManifest | undefined>,
): Promise<{ tag?: string; manifest: FetchedManifest }> {
  const ref = target.ref;
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
      throw new RegistryError(`no tag of ${upstream.location} matches semver ${JSON.stringify(ref.semver)} (${tags.length} tags${tags.length > 0 ? `, e.g. ${tags.slice(-5).join(', ')}` : ''})`);
    }
    tag = best;
    reference = best;
  }
  const manifest = await fetch(upstream, reference);
  if (!manifest) throw new RegistryError(`${upstream.location}${isDigest(reference) ? '@' : ':'}${reference} does not exist upstream (component ${external.component})`);
  if (manifest.bytes.length > MAX_MANIFEST_BYTES) throw new MirrorLimitError(`the manifest ${manifest.digest} of ${upstream.location} is ${manifest.bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`);
  return { ...(tag !== undefined ? { tag } : {}), manifest };
}

/** A manifest's blobs (config and layers) or, for an index, its children. */
function parseManifest(m: FetchedManifest, where: string): { blobs: Descriptor[]; children?: Descriptor[] } {
  let parsed: { manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    parsed = JSON.parse(m.bytes.toString('utf8')) as typeof parsed;
  } catch {
    throw new RegistryError(`${where}@${m.digest} is not JSON`);
  }
  const list = (v: unknown): Descriptor[] => (Array.isArray(v) ? v.filter((d): d is Descriptor => typeof d === 'object' && d !== null) : []);
  const blobs = [...(parsed.config && typeof parsed.config === 'object' ? [parsed.config as Descriptor] : []), ...list(parsed.layers)];
  for (const b of blobs) checkDescriptor(b, where);
  return { blobs, ...(Array.isArray(parsed.manifests) ? { children: list(parsed.manifests) } : {}) };
}

/**
 * Lists referrers in the copy's `sha256-<hex>` fallback index, keeping what it lists; read back after writing, and
 * written again (merged anew) while another writer's update dropped an entry, a few times at most.
 */
async function mergeFallbackIndex(dest: RegistryRepository, digest: string, referrers: readonly ReferrerDescriptor[]): Promise<void> {
  const tag = referrersFallbackTag(digest);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await dest.fetchManifest(tag);
    const before = existing ? parseManifest(existing, dest.location).children ?? [] : [];
    if (referrers.every((r) => before.some((b) => b.digest === r.digest))) return;
    const merged = new Map([...before, ...referrers].map((d) => [d.digest, d]));
    const manifests = [...merged.values()].sort((a, b) => compare(a.digest, b.digest));
    await dest.pushManifest(tag, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests })), MEDIA_TYPES.ociIndex);
  }
  throw new RegistryError(`${dest.location}:${tag}: another writer kept replacing the fallback index while mirror listed the referrers in it; mirror again`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line for a drift, naming both digests and what to do. */
export function describeDrift(d: MirrorDrift): string {
  return d.kind === 'destination'
    ? `drift ${d.component} ${d.url}:${d.tag}: the copy's tag points at ${d.found}, and upstream's at ${d.expected}; mirror moves no tag, so nothing was copied for it: ` +
      'if upstream re-published the version on purpose, review it and delete the copy\'s tag (or pin another version)'
    : `drift ${d.component} ${d.url}:${d.tag}: upstream's tag now points at ${printable(d.found)}, and the lock pins ${d.expected}, which production keeps: ` +
      'review the new content, then update the lock (flux-fleet lock --update) in a reviewed change';
}
