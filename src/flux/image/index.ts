export * from './image-repository.js';
export * from './image-policy.js';
export * from './image-update-automation.js';
