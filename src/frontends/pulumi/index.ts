// The Pulumi front end: `flux-fleet/pulumi`. It needs @pulumi/pulumi and @pulumi/kubernetes, which the package root
// never imports.
export * from './bootstrap-plan.js';
export * from './flux-bootstrap.js';
