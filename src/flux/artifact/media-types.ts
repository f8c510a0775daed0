/** Media types of OCI manifests and of Flux's artifacts. */
export const MEDIA_TYPES = {
  /** An OCI image manifest: what Flux artifacts are. */
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  /** An OCI image index (a list of manifests). */
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  /** A Docker image manifest (schema 2); read, never written. */
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  /** A Docker manifest list; read, never written. */
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The config blob of a Flux artifact. */
  fluxConfig: 'application/vnd.cncf.flux.config.v1+json',
  /** The layer of a Flux artifact: a tar.gz of the files. */
  fluxContent: 'application/vnd.cncf.flux.content.v1.tar+gzip',
} as const;

/** The manifest annotations Flux writes and reads. */
export const ANNOTATIONS = {
  /** When the artifact was created (RFC 3339). */
  created: 'org.opencontainers.image.created',
  /** Where its content comes from, e.g. the Git repository's URL. */
  source: 'org.opencontainers.image.source',
  /** The source revision, e.g. `main@sha1:<commit>`. */
  revision: 'org.opencontainers.image.revision',
  /** The tag of a manifest in an OCI image layout's index.json. */
  refName: 'org.opencontainers.image.ref.name',
} as const;

/** The media types a client accepts when it reads a manifest. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
];
