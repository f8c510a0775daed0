export {
  Kustomization, type IKustomization, type KustomizationProps, type KustomizationSource, type HealthCheckTarget, type SubstitutionSource,
  type SubstituteStrategy, type PostBuild, type HealthCheckExpression, type BuildMetadataOption, type IgnoreRule, type Decryption,
  type KubeConfigReference, type PatchSelector, type KustomizePatch, type KustomizeImage, type DependencyOptions,
} from './kustomization.js';
