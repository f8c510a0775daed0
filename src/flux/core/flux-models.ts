/**
 * The Flux CRD schemas, compiled: the `@kubernetes-models/flux-cd` model classes the Flux kinds validate against.
 *
 * This is the only module that loads that package at run time. It publishes ES module exports with an `import`
 * condition only, which loaders resolving with `require` conditions (tsx in a CommonJS project, say) cannot reach, so
 * the build bundles this module with the package into `lib/` (scripts/bundle-models.ts): the shipped package loads
 * the models from its own files, under any loader. Type-only imports of the package elsewhere are erased.
 */
export { HelmRelease as HelmReleaseModel } from '@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2';
export {
  ImagePolicy as ImagePolicyModel,
  ImageRepository as ImageRepositoryModel,
  ImageUpdateAutomation as ImageUpdateAutomationModel,
} from '@kubernetes-models/flux-cd/image.toolkit.fluxcd.io/v1';
export { Kustomization as KustomizationModel } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
export { Receiver as ReceiverModel } from '@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1';
export { Alert as AlertModel, Provider as ProviderModel } from '@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1beta3';
export {
  Bucket as BucketModel,
  ExternalArtifact as ExternalArtifactModel,
  GitRepository as GitRepositoryModel,
  HelmChart as HelmChartModel,
  HelmRepository as HelmRepositoryModel,
  OCIRepository as OCIRepositoryModel,
} from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
