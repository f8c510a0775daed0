export * from './flux-instance.js';
export * from './resource-set.js';
