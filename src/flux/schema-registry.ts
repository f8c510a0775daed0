import { API_VERSION } from './core/api.js';
import {
  AlertModel, BucketModel, ExternalArtifactModel, GitRepositoryModel, HelmChartModel, HelmReleaseModel, HelmRepositoryModel,
  ImagePolicyModel, ImageRepositoryModel, ImageUpdateAutomationModel, KustomizationModel, OCIRepositoryModel, ProviderModel,
  ReceiverModel,
} from './core/flux-models.js';
import { DEFAULT_FLUX_MINOR, FluxMinor, notificationApiVersion } from './core/flux-version.js';
import { KubernetesModelClass, modelSchemaCheck, promotedSchemaCheck, SchemaCheck } from './core/schema.js';
import { fluxInstanceSchemaCheck, resourceSetSchemaCheck } from './operator/schemas.js';

type Schemas = ReadonlyMap<string, { apiVersion: string; check: SchemaCheck }>;

/** The schema of every kind both Flux minors serve at the same version, by API group and kind. */
const COMMON: Entry[] = [
  ...kindsOf(API_VERSION.source, {
    GitRepository: GitRepositoryModel,
    OCIRepository: OCIRepositoryModel,
    HelmRepository: HelmRepositoryModel,
    HelmChart: HelmChartModel,
    Bucket: BucketModel,
    ExternalArtifact: ExternalArtifactModel,
  }),
  ...kindsOf(API_VERSION.kustomize, { Kustomization: KustomizationModel }),
  ...kindsOf(API_VERSION.helm, { HelmRelease: HelmReleaseModel }),
  ...kindsOf(API_VERSION.receiver, { Receiver: ReceiverModel }),
  ...kindsOf(API_VERSION.image, {
    ImageRepository: ImageRepositoryModel, ImagePolicy: ImagePolicyModel, ImageUpdateAutomation: ImageUpdateAutomationModel,
  }),
  ['fluxcd.controlplane.io/FluxInstance', { apiVersion: API_VERSION.operator, check: fluxInstanceSchemaCheck }],
  ['fluxcd.controlplane.io/ResourceSet', { apiVersion: API_VERSION.operator, check: resourceSetSchemaCheck }],
];

/** The schemas up to v2.9: Provider and Alert at v1beta3. */
const UP_TO_2_9: Schemas = new Map([...COMMON, ...kindsOf(API_VERSION.notification, { Provider: ProviderModel, Alert: AlertModel })]);

/** The schemas of each Flux minor: v2.7 to v2.9 serve the same versions; v2.10 serves Provider and Alert as v1, with v1beta3's fields. */
const SCHEMAS: Readonly<Record<FluxMinor, Schemas>> = {
  '2.7': UP_TO_2_9,
  '2.8': UP_TO_2_9,
  '2.9': UP_TO_2_9,
  '2.10': new Map([
    ...COMMON,
    ...[ProviderModel, AlertModel].map((model): Entry => {
      const apiVersion = notificationApiVersion('2.10');
      return [`${groupOf(apiVersion)}/${kindOf(model)}`, { apiVersion, check: promotedSchemaCheck(model, apiVersion) }];
    }),
  ]),
};

/** Options of {@link checkFluxSchema}. */
export interface FluxSchemaOptions {
  /**
   * The Flux minor whose schemas to check against: the API versions it serves, and their fields.
   * @default "2.9"
   */
  readonly fluxMinor?: FluxMinor;
}

/**
 * Checks one Kubernetes object, as read from YAML, against the schema of its kind in a Flux minor (v2.9 unless told).
 * Objects outside Flux's API groups are not checked (an empty list). A Flux kind at an API version that minor does
 * not serve is an error.
 */
export function checkFluxSchema(object: Record<string, unknown>, options: FluxSchemaOptions = {}): string[] {
  const minor = options.fluxMinor ?? DEFAULT_FLUX_MINOR;
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const group = groupOf(apiVersion);
  if (!isFluxGroup(group)) return [];
  const entry = SCHEMAS[minor].get(`${group}/${kind}`);
  if (!entry) return [`kind ${kind} of ${group} is not served by Flux v${minor}`];
  if (entry.apiVersion !== apiVersion) {
    return [`apiVersion ${apiVersion} of ${kind} is not served by Flux v${minor}; use ${entry.apiVersion}`];
  }
  return entry.check(object);
}

/** Whether an API group belongs to Flux or the Flux Operator. */
export function isFluxGroup(group: string): boolean {
  return group.endsWith('.toolkit.fluxcd.io') || group === 'fluxcd.controlplane.io';
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function kindOf(model: KubernetesModelClass): string {
  return (model as unknown as { kind: string }).kind;
}

type Entry = [string, { apiVersion: string; check: SchemaCheck }];

function kindsOf(apiVersion: string, models: Record<string, KubernetesModelClass>): Entry[] {
  return Object.entries(models).map(([kind, model]) => [`${groupOf(apiVersion)}/${kind}`, { apiVersion, check: modelSchemaCheck(model) }]);
}
