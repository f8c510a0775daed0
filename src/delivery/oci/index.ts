export * from './media-types.js';
export { type OciBlob, type Descriptor, sha256Digest, isDigest, formatSize, shortDigest } from './digest.js';
export { type ArtifactFile, type TarEntry, ArchiveError, checkArtifactPath, writeTar, readTar, gzipDeterministic, gunzip } from './tar.js';
export * from './artifact.js';
export * from './reference.js';
export * from './store.js';
export { OciLayout } from './layout.js';
export * from './auth.js';
export { RegistryClient, RegistryRepository, RegistryError, isLoopback, type RegistryClientOptions, type RetryPolicy } from './client.js';
