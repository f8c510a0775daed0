export * from './provider.js';
export * from './alert.js';
export * from './receiver.js';
