// `flux-fleet/artifact`: Flux's OCI artifact format (what `flux push artifact` writes), reproducible: media types,
// digests, the deterministic tarball, packing and unpacking within limits.
export * from './media-types.js';
export { type OciBlob, type Descriptor, blobOf, sha256Digest, isDigest, formatSize, shortDigest } from './digest.js';
export { type ArtifactFile, type TarEntry, ArchiveError, checkArtifactPath, writeTar, readTar, gzipDeterministic, gunzip, type UnpackLimits, UNPACK_LIMITS } from './tar.js';
export * from './artifact.js';
