export * from './writer/index.js';
