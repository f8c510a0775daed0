import { SigningError } from './keys.js';
import { blobOf, isDigest, type Descriptor } from '../../flux/artifact/digest.js';
import { MEDIA_TYPES } from '../../flux/artifact/media-types.js';
import { REGISTRY_LIMITS, type RegistryRepository } from '../oci/client.js';

/** A manifest that refers to another through its `subject`, as listed in a referrers index. */
export interface ReferrerDescriptor extends Descriptor {
  /** The referrer's artifact type (a Sigstore bundle's, a lease's...). @default - none: the manifest names none */
  readonly artifactType?: string;
}

/** The referrers of a digest, and where the list came from. */
export interface ReferrerList {
  /** The referrers found. */
  readonly referrers: readonly ReferrerDescriptor[];
  /** The Referrers API, the `sha256-<hex>` fallback index tag, or neither (no referrer). */
  readonly via: 'referrers-api' | 'fallback-tag' | 'none';
}

/** OCI's empty descriptor: the config of an artifact that has none. */
export const EMPTY_CONFIG = blobOf('application/vnd.oci.empty.v1+json', Buffer.from('{}'));

/** The most referrers a list may hold, and the largest index read: a registry cannot make a reader loop or swell. */
export const MAX_REFERRERS = 1000;
const MAX_INDEX_BYTES = REGISTRY_LIMITS.maxManifestSize;

/** The tag of the referrers fallback index of a digest: `sha256-<hex>`. */
export function fallbackTag(digest: string): string {
  if (!isDigest(digest)) throw new SigningError(`${JSON.stringify(digest)} is not a sha256 digest`);
  return digest.replace(':', '-');
}

/**
 * The referrers of `digest`: from the Referrers API, or, when the registry does not serve it (404), from the
 * `sha256-<hex>` fallback index tag, in the order source-controller reads them.
 */
export async function listReferrers(repo: RegistryRepository, digest: string): Promise<ReferrerList> {
  const api = await repo.referrers(digest);
  if (api !== undefined) return { referrers: parseIndex(api.bytes, `the referrers of ${repo.location}@${digest}`), via: 'referrers-api' };
  const tagged = await repo.fetchManifest(fallbackTag(digest));
  if (!tagged) return { referrers: [], via: 'none' };
  return { referrers: parseIndex(tagged.bytes, `${repo.location}:${fallbackTag(digest)}`), via: 'fallback-tag' };
}

/** Options of {@link attachReferrer}. */
export interface AttachOptions {
  /** The referrer's artifactType, also its one layer's media type. */
  readonly artifactType: string;
  /** The layer's content. */
  readonly content: Buffer;
  /** Annotations of the referrer manifest (and of its entry in the fallback index). */
  readonly annotations: Readonly<Record<string, string>>;
  /** Annotations of the layer. @default - none */
  readonly layerAnnotations?: Readonly<Record<string, string>>;
}

/** The referrer manifest {@link attachReferrer} puts: the same bytes for the same subject and options. */
export function referrerManifest(subject: Descriptor, options: AttachOptions): Buffer {
  const layer = blobOf(options.artifactType, options.content).descriptor;
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: options.artifactType,
    config: EMPTY_CONFIG.descriptor,
    layers: [{ ...layer, ...(options.layerAnnotations ? { annotations: options.layerAnnotations } : {}) }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: options.annotations,
  }));
}

/**
 * Attaches content to an artifact as an OCI referrer: its blobs, then the referrer manifest by digest (its `subject`
 * the artifact), then, for a registry without the Referrers API, its entry in the `sha256-<hex>` fallback index (see
 * {@link addToFallbackIndex}). Returns the referrer manifest's descriptor.
 */
export async function attachReferrer(repo: RegistryRepository, subject: Descriptor, options: AttachOptions): Promise<ReferrerDescriptor> {
  await repo.pushBlob(EMPTY_CONFIG);
  await repo.pushBlob(blobOf(options.artifactType, options.content));
  const bytes = referrerManifest(subject, options);
  const digest = await repo.pushManifestByDigest(bytes, MEDIA_TYPES.ociManifest);
  const entry: ReferrerDescriptor = {
    mediaType: MEDIA_TYPES.ociManifest, digest, size: bytes.length, artifactType: options.artifactType, annotations: options.annotations,
  };
  if ((await repo.referrers(subject.digest)) !== undefined) return entry;
  await addToFallbackIndex(repo, subject.digest, entry);
  return entry;
}

/** How many times an entry is written into a fallback index that a concurrent writer keeps replacing. */
export const MAX_INDEX_WRITES = 10;

/**
 * Adds an entry to the `sha256-<hex>` fallback index of a digest, keeping the entries there. Registries offer no
 * compare-and-swap, so two signers updating one index at once can each write a list that lacks the other's entry:
 * after writing, the index is read again, and written again (merged with what it then holds, after a random pause)
 * until the entry is there, at most {@link MAX_INDEX_WRITES} times.
 */
export async function addToFallbackIndex(repo: RegistryRepository, subjectDigest: string, entry: ReferrerDescriptor): Promise<void> {
  const tag = fallbackTag(subjectDigest);
  for (let writes = 0; ; writes++) {
    const existing = await repo.fetchManifest(tag);
    const entries = existing ? parseIndex(existing.bytes, `${repo.location}:${tag}`) : [];
    if (entries.some((e) => e.digest === entry.digest)) return;
    if (writes >= MAX_INDEX_WRITES) {
      throw new SigningError(`${repo.location}:${tag}: the referrer ${entry.digest} was written ${writes} times and another writer replaced the index each time; sign again when the other signers are done`);
    }
    if (writes > 0) await sleep(50 + Math.random() * 100 * writes);
    const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [...entries, entry] };
    await repo.pushManifest(tag, Buffer.from(JSON.stringify(index)), MEDIA_TYPES.ociIndex);
  }
}

/** A referrer just attached, to confirm with {@link confirmFallbackEntries}. */
export interface AttachedEntry {
  /** The repository the referrer was attached in. */
  readonly repository: RegistryRepository;
  /** The digest it refers to. */
  readonly subject: string;
  /** Its entry in the fallback index. */
  readonly entry: ReferrerDescriptor;
}

/** How long a signer waits before it checks that its fallback index entries are still there (ms). */
export const FALLBACK_SETTLE_MS = 300;

/**
 * Confirms, a moment after attaching, that each entry is still in its fallback index, and adds back any that a
 * concurrent writer dropped: a signer that read the index before an entry was added may write its own list after the
 * entry's writer checked it. Waits {@link FALLBACK_SETTLE_MS} (longer than such a read-then-write takes), checks, and
 * repeats while it finds an entry missing (at most {@link MAX_INDEX_WRITES} rounds). Registries with the Referrers API
 * need nothing of this.
 */
export async function confirmFallbackEntries(attached: readonly AttachedEntry[]): Promise<void> {
  const pending = new Map<string, AttachedEntry>();
  for (const a of attached) {
    if ((await a.repository.referrers(a.subject)) === undefined) pending.set(`${a.repository.location} ${a.entry.digest}`, a);
  }
  for (let round = 0; pending.size > 0 && round < MAX_INDEX_WRITES; round++) {
    await sleep(FALLBACK_SETTLE_MS + Math.random() * FALLBACK_SETTLE_MS);
    for (const [key, a] of pending) {
      const index = await a.repository.fetchManifest(fallbackTag(a.subject));
      const present = index !== undefined && parseIndex(index.bytes, `${a.repository.location}:${fallbackTag(a.subject)}`).some((e) => e.digest === a.entry.digest);
      // Written back, it is checked again after the next pause.
      if (present) pending.delete(key);
      else await addToFallbackIndex(a.repository, a.subject, a.entry);
    }
  }
  if (pending.size > 0) {
    throw new SigningError(`other writers kept replacing the fallback index of ${[...pending.values()].map((a) => `${a.repository.location}@${a.subject}`).join(', ')}; sign again when they are done`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The descriptors of a referrers index, checked. */
export function parseIndex(bytes: Buffer, where: string): ReferrerDescriptor[] {
  if (bytes.length > MAX_INDEX_BYTES) throw new SigningError(`${where} is ${bytes.length} bytes, more than a referrers index may be (${MAX_INDEX_BYTES})`);
  let doc: { mediaType?: string; manifests?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw new SigningError(`${where} is not JSON`);
  }
  if (!Array.isArray(doc.manifests)) throw new SigningError(`${where} is not an OCI image index (no manifests)`);
  if (doc.manifests.length > MAX_REFERRERS) throw new SigningError(`${where} lists ${doc.manifests.length} referrers, more than ${MAX_REFERRERS}`);
  return (doc.manifests as ReferrerDescriptor[]).filter((m) => typeof m?.digest === 'string' && isDigest(m.digest) && typeof m.size === 'number');
}
