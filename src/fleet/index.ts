export * from './registry.js';
export * from './signing.js';
