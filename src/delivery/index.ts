// `flux-fleet/delivery`: how the desired state travels. The registry client, Flux artifacts pushed and read back,
// signing and verification, the release (push, promote, rollback, verify-release, the lease), mirror and the lock's
// resolution, the CI pipeline as data, and the health the clusters report.
export * from './oci/index.js';
export * from './artifacts.js';
export * from './destinations.js';
export * from './inspect.js';
export * from './ci/index.js';
export * from './semver.js';
export * from './mirror.js';
export * from './release/index.js';
export * from './signing/index.js';
export * from './health/index.js';
export * from './lock.js';
export * from './rollout/index.js';
