export * from './kustomization.js';
