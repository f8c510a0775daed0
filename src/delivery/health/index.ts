export * from './forge-client.js';
export * from './health-source.js';
export * from './health.js';
export * from './render.js';
