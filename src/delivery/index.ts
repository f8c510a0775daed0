export * from './oci/index.js';
export * from './artifacts.js';
export * from './destinations.js';
export * from './push.js';
export * from './promote.js';
export * from './inspect.js';
export * from './workflow.js';
export * from './signing/index.js';
