import { blobOf, type OciBlob, type Descriptor, sha256Digest } from './digest.js';
import { ANNOTATIONS, MEDIA_TYPES } from './media-types.js';
import { ArchiveError, type ArtifactFile, gunzip, gzipDeterministic, readTar, writeTar, UNPACK_LIMITS, type UnpackLimits } from './tar.js';

/** Where an artifact's content comes from: the manifest annotations Flux shows for it. */
export interface ArtifactMetadata {
  /**
   * When the artifact was created, RFC 3339 (`org.opencontainers.image.created`). A fixed value keeps the digest
   * reproducible; the time of the push would change it every time.
   * @default "1970-01-01T00:00:00Z" (what Flux's `--reproducible` writes)
   */
  readonly created?: string;
  /** The source address, e.g. the Git repository's URL (`org.opencontainers.image.source`). @default - left out */
  readonly source?: string;
  /** The source revision, e.g. `main@sha1:<commit>` (`org.opencontainers.image.revision`). @default - left out */
  readonly revision?: string;
  /** More manifest annotations. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An OCI image manifest. */
export interface OciManifest {
  /** The manifest schema version, always 2. */
  readonly schemaVersion: 2;
  /** The manifest's media type. @default - none named */
  readonly mediaType?: string;
  /** The artifact type. @default - none: the config's media type says it */
  readonly artifactType?: string;
  /** The config blob. */
  readonly config: Descriptor;
  /** The layers, in order. */
  readonly layers: readonly Descriptor[];
  /** The manifest's annotations. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Flux artifact, packed: its blobs and the manifest that lists them. */
export interface PackedArtifact {
  /** The manifest. */
  readonly manifest: OciManifest;
  /** The manifest's exact bytes, which its digest is computed from. */
  readonly manifestBytes: Buffer;
  /** The manifest's digest: what a tag points at, and what Flux reports as the revision. */
  readonly digest: string;
  /** The config blob. */
  readonly config: OciBlob;
  /** The one layer: a tar.gz of the files. */
  readonly layer: OciBlob;
  /** The files' paths, sorted. */
  readonly files: readonly string[];
}

/** The `created` annotation of a reproducible artifact. */
export const REPRODUCIBLE_CREATED = '1970-01-01T00:00:00Z';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Packs files as a Flux artifact, as `flux push artifact` does: an OCI image manifest with the config media type
 * `application/vnd.cncf.flux.config.v1+json`, one `application/vnd.cncf.flux.content.v1.tar+gzip` layer, and the
 * created, source and revision annotations. The same files and metadata always give the same digest; the blobs depend
 * on the files alone, so a new revision of an unchanged tree reuses them.
 */
export function packArtifact(files: readonly ArtifactFile[], metadata: ArtifactMetadata = {}): PackedArtifact {
  const created = metadata.created ?? REPRODUCIBLE_CREATED;
  if (!RFC3339.test(created) || Number.isNaN(Date.parse(created))) {
    throw new ArchiveError(`created ${JSON.stringify(created)} is not an RFC 3339 time; use e.g. "2026-01-31T12:00:00Z"`);
  }
  const tar = writeTar(files);
  const layer = blobOf(MEDIA_TYPES.fluxContent, gzipDeterministic(tar));
  const config = blobOf(MEDIA_TYPES.fluxConfig, configFor(sha256Digest(tar)));
  const annotations: Record<string, string> = { ...metadata.annotations, [ANNOTATIONS.created]: created };
  if (metadata.source !== undefined) annotations[ANNOTATIONS.source] = metadata.source;
  if (metadata.revision !== undefined) annotations[ANNOTATIONS.revision] = metadata.revision;
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: config.descriptor,
    layers: [layer.descriptor],
    annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  return {
    manifest,
    manifestBytes,
    digest: sha256Digest(manifestBytes),
    config,
    layer,
    files: files.map((f) => f.path).sort(),
  };
}

/**
 * The config blob: an image configuration whose only content is the digest of the uncompressed layer, as the Go
 * container libraries Flux uses write it. It depends on the files alone.
 */
function configFor(diffId: string): Buffer {
  const zero = '0001-01-01T00:00:00Z';
  return Buffer.from(JSON.stringify({
    architecture: '',
    created: zero,
    history: [{ created: zero }],
    os: '',
    rootfs: { type: 'layers', diff_ids: [diffId] },
    config: {},
  }), 'utf8');
}

/**
 * Parses manifest bytes, checking that they are an image manifest with a config and layers.
 * @param what names the manifest in errors, e.g. `oci://registry/fleet:stable`
 */
export function parseManifest(bytes: Buffer, what: string): OciManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ArchiveError(`the manifest of ${what} is not JSON: ${(e as Error).message}`);
  }
  const m = parsed as Partial<OciManifest> & { manifests?: unknown };
  if (typeof m !== 'object' || m === null) throw new ArchiveError(`the manifest of ${what} is not a JSON object`);
  if (m.manifests !== undefined) throw new ArchiveError(`${what} is an image index (a multi-platform image), not a Flux artifact`);
  if (m.schemaVersion !== 2 || typeof m.config?.digest !== 'string' || !Array.isArray(m.layers)) {
    throw new ArchiveError(`the manifest of ${what} is not an OCI image manifest (schemaVersion 2 with config and layers)`);
  }
  return m as OciManifest;
}

/**
 * The layer Flux's source-controller extracts: the first one with Flux's content media type, else the first layer
 * (what source-controller takes when no `layerSelector` is set).
 */
export function contentLayer(manifest: OciManifest, what: string): Descriptor {
  const layer = manifest.layers.find((l) => l.mediaType === MEDIA_TYPES.fluxContent) ?? manifest.layers[0];
  if (!layer) throw new ArchiveError(`${what} has no layer`);
  return layer;
}

/**
 * The regular files of a tar.gz layer, in archive order; links and folders are left out. Gzip stops at the total
 * limit and each entry is checked against the per-file limit before it is read.
 */
export function unpackLayer(layer: Buffer, what: string, limits: UnpackLimits = {}): ArtifactFile[] {
  const maxTotal = limits.maxTotalSize ?? UNPACK_LIMITS.maxTotalSize;
  if (!(layer[0] === 0x1f && layer[1] === 0x8b) && layer.length > maxTotal) {
    throw new ArchiveError(`the layer of ${what} is larger than the limit of ${maxTotal} bytes; raise maxTotalSize if it is expected`);
  }
  const tar = layer[0] === 0x1f && layer[1] === 0x8b ? gunzip(layer, `the layer of ${what}`, maxTotal) : layer;
  try {
    return readTar(tar, limits).filter((e) => e.type === 'file').map((e) => ({ path: e.path, content: e.content, mode: e.mode }));
  } catch (e) {
    if (e instanceof ArchiveError) throw new ArchiveError(`the layer of ${what}: ${e.message}`);
    throw e;
  }
}
