export * from './core/api.js';
export * from './core/duration.js';
export { FluxObject, ImportedFluxObject, DEFAULT_NAMESPACE } from './core/flux-object.js';
export type { FluxObjectProps, FluxObjectType, FluxReference, IFluxObject, ImportedFluxObjectProps } from './core/flux-object.js';
export { ClusterScope } from './core/object-index.js';
export type { ClusterScopeProps } from './core/object-index.js';
export type { SchemaCheck } from './core/schema.js';
export { allowLiteralValues, findLiteralSecrets, findObjectSecrets, isSecretKey, type LiteralSecret } from './core/secrets.js';
export * from './source/index.js';
export * from './kustomize/index.js';
export * from './helm/index.js';
export * from './notification/index.js';
export * from './image/index.js';
export * from './operator/index.js';
// Flux's OCI artifact format (what `flux push artifact` writes), reproducible.
export * from './artifact/index.js';
export { checkFluxSchema, isFluxGroup } from './schema-registry.js';
