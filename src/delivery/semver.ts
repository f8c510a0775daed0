// Semver ranges live with the Flux objects whose fields hold them (src/flux/core/semver.ts); delivery resolves tags with them.
export * from '../flux/core/semver.js';
