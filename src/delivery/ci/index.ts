export * from './release-spec.js';
export * from './ci-signers.js';
export * from './action-pins.js';
export * from './github-workflow.js';
export * from './gitlab-pipeline.js';
export * from './synth-shards.js';
