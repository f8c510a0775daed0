// `flux-fleet/output`: what synth writes and checks, read back. The config-repo writer, the tree validator, review
// (diff, the fleet picture, adoption of a running cluster), the release manifest, and each cluster's bootstrap plan.
export * from './writer/index.js';
export * from './validate/index.js';
export * from './review/index.js';
export * from './adopt/index.js';
export * from './release-manifest.js';
export * from './cluster-bootstrap.js';
export { bootstrapObjects } from '../fleet/bootstrap.js';
export { SHARD_MANIFEST_FILE, type ShardFleet, type ShardManifest } from './shard.js';
export { mergeShards, type MergeShardsOptions } from './shard-merge.js';
