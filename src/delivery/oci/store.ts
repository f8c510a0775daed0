import { RegistryError } from './client.js';
import { contentLayer, parseManifest, unpackLayer, type OciManifest, type PackedArtifact } from '../../flux/artifact/artifact.js';
import type { OciBlob, Descriptor } from '../../flux/artifact/digest.js';
import type { ArtifactFile, UnpackLimits } from '../../flux/artifact/tar.js';
import { ValidationError } from '../../flux/core/errors.js';

/** What pushing a blob did: sent it, mounted it from another repository of the registry, or found it there. */
export type BlobOutcome = 'uploaded' | 'mounted' | 'existing';

/** A manifest read from a store. */
export interface FetchedManifest {
  /** The exact bytes. */
  readonly bytes: Buffer;
  /** Their digest. */
  readonly digest: string;
  /** The media type the store gave (or the manifest's own). */
  readonly mediaType: string;
}

/**
 * One repository of artifacts: a repository of an OCI registry, or an OCI image layout folder on disk. Push, promote
 * and pull work the same on both.
 */
export interface ArtifactStore {
  /** Where it is, for messages: `oci://<host>/<repository>` or `oci:<folder>`. */
  readonly location: string;
  /** Whether the store holds a blob. */
  blobExists(descriptor: Descriptor): Promise<boolean>;
  /**
   * Stores a blob unless the store already holds it (then nothing is sent); a registry mounts it from another of its
   * repositories when one is known to hold it.
   */
  pushBlob(blob: OciBlob): Promise<BlobOutcome>;
  /** Reads a blob, checking its digest. */
  fetchBlob(descriptor: Descriptor): Promise<Buffer>;
  /** Stores a manifest under a tag (or moves the tag to it); returns its digest. Its blobs must be there already. */
  pushManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string>;
  /** Reads a manifest by tag or digest; undefined when there is none. */
  fetchManifest(reference: string): Promise<FetchedManifest | undefined>;
  /** The tags, sorted; none when the repository does not exist. */
  tags(): Promise<string[]>;
}

/** Progress of {@link pushArtifact}: a blob done. */
export interface BlobProgress {
  /** `config` or `layer`. */
  readonly blob: 'config' | 'layer';
  /** The blob's descriptor. */
  readonly descriptor: Descriptor;
  /** Whether it was uploaded, mounted from another repository, or there already. */
  readonly outcome: BlobOutcome;
}

/** What {@link pushArtifact} did. */
export interface PushedArtifact {
  /** Where. */
  readonly location: string;
  /** The manifest's digest. */
  readonly digest: string;
  /** The tags now pointing at it. */
  readonly tags: readonly string[];
  /** Blobs sent. */
  readonly uploaded: number;
  /** Blobs mounted from another repository of the registry. */
  readonly mounted: number;
  /** Blobs the store held already. */
  readonly existing: number;
  /** Bytes of blobs sent. */
  readonly bytesUploaded: number;
}

/**
 * Pushes a packed artifact: its blobs first (each skipped when the store has it), then the manifest under each tag,
 * last, so that a push that fails never leaves a tag pointing at missing blobs.
 */
export async function pushArtifact(
  store: ArtifactStore, artifact: PackedArtifact, tags: readonly string[], onBlob?: (progress: BlobProgress) => void,
): Promise<PushedArtifact> {
  if (tags.length === 0) throw new ValidationError(`pushing to ${store.location} needs at least one tag; give the tag to push the artifact under`);
  const counts = { uploaded: 0, mounted: 0, existing: 0, bytesUploaded: 0 };
  for (const [name, blob] of [['config', artifact.config], ['layer', artifact.layer]] as const) {
    const outcome = await store.pushBlob(blob);
    counts[outcome]++;
    if (outcome === 'uploaded') counts.bytesUploaded += blob.descriptor.size;
    onBlob?.({ blob: name, descriptor: blob.descriptor, outcome });
  }
  for (const tag of tags) {
    const digest = await store.pushManifest(tag, artifact.manifestBytes, artifact.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json');
    if (digest !== artifact.digest) throw new RegistryError(`${store.location}:${tag} stored the manifest as ${digest}, not ${artifact.digest}`);
  }
  return { location: store.location, digest: artifact.digest, tags: [...tags], ...counts };
}

/** An artifact read back from a store. */
export interface FetchedArtifact {
  /** Where, with the reference asked for. */
  readonly location: string;
  /** The manifest's digest. */
  readonly digest: string;
  /** The manifest, parsed. */
  readonly manifest: OciManifest;
  /** The manifest's bytes, as the registry served them (their digest is `digest`). */
  readonly manifestBytes: Buffer;
  /** The layer the files come from. */
  readonly layer: Descriptor;
  /** The regular files of that layer, in archive order. */
  readonly files: ArtifactFile[];
}

/**
 * Reads an artifact by tag or digest, and its files; throws when there is none. Its layer is unpacked within
 * `limits`.
 * @param limits what the layer may expand to @default - 256 MiB in all, 64 MiB per file, 100,000 entries
 */
export async function fetchArtifact(store: ArtifactStore, reference: string, limits: UnpackLimits = {}): Promise<FetchedArtifact> {
  const location = `${store.location}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  const fetched = await store.fetchManifest(reference);
  if (!fetched) throw new RegistryError(`${location} does not exist`, { status: 404 });
  const manifest = parseManifest(fetched.bytes, location);
  const layer = contentLayer(manifest, location);
  const files = unpackLayer(await store.fetchBlob(layer), location, limits);
  return { location, digest: fetched.digest, manifest, manifestBytes: fetched.bytes, layer, files };
}
