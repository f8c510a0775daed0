// Layer 1: typed Flux objects.
export * from './flux/index.js';
// Layer 2: the fleet model.
export * from './fleet/index.js';
// Layer 3: output (the config-repo writer, validation, review) and delivery (artifacts, registries, release).
export * from './output/index.js';
export * from './delivery/index.js';
// Layer 4: front ends.
export * from './frontends/cdk8s/index.js';
