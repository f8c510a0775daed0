/*
 * Values of the Flux Operator's API that the typed kinds name in their TypeScript types. The operator's schemas
 * themselves are vendored from its CRDs (src/flux/schemas/flux-operator-model.ts); a test checks these lists against
 * the enums there.
 */

/** The Flux controllers a FluxInstance can install. */
export const FLUX_COMPONENTS = [
  'source-controller',
  'kustomize-controller',
  'helm-controller',
  'notification-controller',
  'image-reflector-controller',
  'image-automation-controller',
  'source-watcher',
] as const;

/** The Flux distribution builds a FluxInstance can install. */
export const FLUX_VARIANTS = ['upstream-alpine', 'enterprise-alpine', 'enterprise-distroless', 'enterprise-distroless-fips'] as const;

/** The name Flux Operator accepts for a FluxInstance. */
export const FLUX_INSTANCE_NAME = 'flux';
