// Layer 1: typed Flux objects.
export * from './flux/index.js';
// Layer 2: the fleet model.
export * from './fleet/index.js';
// Layer 3: output.
export * from './output/index.js';
// Layer 4: front ends.
export * from './frontends/cdk8s/index.js';
