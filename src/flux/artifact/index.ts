export * from './media-types.js';
export { type OciBlob, type Descriptor, sha256Digest, isDigest, formatSize, shortDigest } from './digest.js';
export { type ArtifactFile, type TarEntry, ArchiveError, checkArtifactPath, writeTar, readTar, gzipDeterministic, gunzip } from './tar.js';
export * from './artifact.js';
