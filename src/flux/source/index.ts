export {
  OciRepository, type IOciRepository, type OciRepositoryProps, type OciProvider, type OciRepositoryRef, type OciLayerSelector, type OidcIdentityMatch,
  type OciVerification,
} from './oci-repository.js';
export * from './git-repository.js';
export * from './helm-repository.js';
export * from './helm-chart.js';
export * from './bucket.js';
export * from './external-artifact.js';
export * from './artifact-generator.js';
