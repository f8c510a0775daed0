export * from './media-types.js';
export { type OciBlob, type Descriptor, blobOf, sha256Digest, isDigest, formatSize, shortDigest } from './digest.js';
export { type ArtifactFile, type TarEntry, ArchiveError, checkArtifactPath, writeTar, readTar, gzipDeterministic, gunzip, type UnpackLimits, UNPACK_LIMITS } from './tar.js';
export * from './artifact.js';
