export * from './flux-instance.js';
export * from './resource-set.js';
export { FLUX_COMPONENTS, FLUX_VARIANTS } from './schemas.js';
export * from './resource-set-input-provider.js';
