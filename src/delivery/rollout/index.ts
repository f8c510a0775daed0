export * from './health-gate.js';
export * from './rollout.js';
