export * from './flux-app.js';
