export * from './reference.js';
export * from './store.js';
export { OciLayout } from './layout.js';
export * from './auth.js';
export { RegistryClient, RegistryRepository, RegistryError, isLoopback, referrersFallbackTag, type RegistryClientOptions, type RetryPolicy } from './client.js';
