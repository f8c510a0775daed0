export * from './writer/index.js';
export * from './validate/index.js';
export * from './review/index.js';
export * from './release-manifest.js';
export * from './shard.js';
export * from './shard-merge.js';
