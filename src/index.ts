// The package root, `flux-fleet`: the user's model. The typed Flux kinds (layer 1), the fleet model (layer 2), and
// FluxApp, the cdk8s app that synthesizes them (layer 4). Delivery, output, Flux's artifact format, the Pulumi
// component and the command line are entry points of their own: `flux-fleet/delivery`, `flux-fleet/output`,
// `flux-fleet/artifact`, `flux-fleet/pulumi` and `flux-fleet/cli` (see ARCHITECTURE.md).
export * from './flux/index.js';
export * from './fleet/index.js';
export * from './frontends/cdk8s/index.js';
// Types the model's own props name, from the layers that define them: FluxApp's `foreignFiles` (the writer's) and a
// folder artifact's files (the artifact format's).
export type { ForeignFiles } from './output/writer/write-tree.js';
export type { ArtifactFile } from './flux/artifact/tar.js';
