export * from './core/api.js';
export * from './core/duration.js';
export { FluxObject, ImportedFluxObject, DEFAULT_NAMESPACE } from './core/flux-object.js';
export type { FluxObjectProps, FluxObjectType, FluxReference, IFluxObject, ImportedFluxObjectProps } from './core/flux-object.js';
export { ClusterScope } from './core/object-index.js';
export type { ClusterScopeProps } from './core/object-index.js';
export type { SchemaCheck } from './core/schema.js';
export { DEFAULT_FLUX_MINOR, FLUX_MINORS, fluxMinorOf, fluxVersionProblem, knownFluxMinorOf, notificationApiVersion } from './core/flux-version.js';
export type { FluxMinor } from './core/flux-version.js';
export * from './source/index.js';
export * from './kustomize/index.js';
export * from './helm/index.js';
export * from './notification/index.js';
export * from './image/index.js';
export * from './operator/index.js';
// Flux's OCI artifact format (what `flux push artifact` writes), reproducible.
export * from './artifact/index.js';
export { checkFluxSchema, isFluxGroup } from './schema-registry.js';
export type { FluxSchemaOptions } from './schema-registry.js';
