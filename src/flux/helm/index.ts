export * from './helm-release.js';
