// Layer 1, the typed Flux kinds: a construct per kind Flux (and the Flux Operator) serves, their props and references,
// and the core they share (objects, cluster scopes, durations, the schema check, the errors). What the package root
// exports of this layer; Flux's OCI artifact format is the `flux-fleet/artifact` entry point.
export * from './core/api.js';
export type { FluxDuration } from './core/duration.js';
export * from './core/errors.js';
export { FluxObject, ImportedFluxObject, DEFAULT_NAMESPACE } from './core/flux-object.js';
export type { FluxObjectProps, FluxObjectType, FluxReference, IFluxObject, ImportedFluxObjectProps } from './core/flux-object.js';
export { ClusterScope } from './core/object-index.js';
export type { ClusterScopeProps } from './core/object-index.js';
export type { SchemaCheck } from './core/schema.js';
export { DEFAULT_FLUX_MINOR, FLUX_MINORS } from './core/flux-version.js';
export type { FluxMinor } from './core/flux-version.js';
export { allowLiteralValues } from './core/secrets.js';
export { checkFluxSchema } from './schema-registry.js';
export type { FluxSchemaOptions } from './schema-registry.js';
export * from './source/index.js';
export * from './kustomize/index.js';
export * from './helm/index.js';
export * from './notification/index.js';
export * from './image/index.js';
export * from './operator/index.js';
