// Layer 2, the fleet model: what the package root exports of it (the builders' helpers stay inside the package).
export {
  Registry, type RegistryKind, type RegistrySourceSettings, type RegistryOptions, type CloudRegistryOptions, type AwsPartition, type EcrRegistryProps,
  type AcrRegistryProps, type GarRegistryProps, type GhcrRegistryProps, type GenericRegistryProps,
} from './registry.js';
export { AWS_REGIONS, AZURE_REGIONS, GCP_MULTI_REGIONS, GCP_REGIONS } from './cloud-regions.js';
export {
  Signing, PUBLIC_MATERIAL_ANNOTATION, type SigningKind, type KeylessSigningOptions, type GithubActionsSigningProps, type GitlabCiSigningProps,
  type OidcSigningProps, type CosignKeySigningProps, type NotationSigningProps, type CiSigner, type KeylessSigningIdentity, type KeySigningIdentity,
  type SigningIdentity, type VerificationMaterial,
} from './signing.js';
export * from './channel.js';
export type { Targets } from './targets.js';
export * from './cluster.js';
export * from './cluster-objects.js';
export * from './environment.js';
export * from './tenant.js';
export * from './component.js';
export {
  Bootstrap, BOOTSTRAP_NAMESPACE, SYNC_NAME, SYNC_HEALTH_TIMEOUT, RUNTIME_INFO_NAME, RELEASE_POLICY_ANNOTATIONS, FLUX_OPERATOR_VERSION,
  FLUX_OPERATOR_VERSIONS, FLUX_OPERATOR_CHART_URL, FLUX_OPERATOR_CHART_SIGNING, FLUX_OPERATOR_CHART_VERIFICATION, FLUX_MANIFESTS_URL,
  FLUX_MANIFESTS_SIGNING, FLUX_MANIFESTS_VERIFICATION, type BootstrapFacts, type BootstrapKind, type FluxControllerSettings,
  type FluxInstanceSettings, type OperatorBootstrapOptions, type PlainBootstrapOptions,
} from './bootstrap.js';
export * from './notification.js';
export * from './health-report.js';
export * from './sync-health.js';
export { DEFAULT_ROLLOUT, type RolloutSettings, type ResolvedRolloutSettings } from './rollout.js';
export * from './fleet.js';
export * from './component-source.js';
export * from './pull-credentials.js';
export type { PerCluster, ArtifactRef } from './source-ref.js';
export type { FolderArtifact } from './folder-artifact.js';
export * from './fleet-release.js';
export { FleetLock, LOCK_FILE, LOCK_FILE_VERSION, type LockRef, type LockUse, type LockEntry, type LockRequest } from './fleet-lock.js';
export { Shard, SHARD_ENVIRONMENT_VARIABLE } from './shard.js';
