export * from './keys.js';
export * from './bundle.js';
export * from './referrers.js';
export * from './legacy-sig.js';
export * from './sign.js';
export * from './verify.js';
export * from './keyless.js';
export * from './trusted-root.js';
