export * from './writer/index.js';
export * from './validate/index.js';
