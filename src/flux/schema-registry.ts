import * as helm from '@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2';
import * as image from '@kubernetes-models/flux-cd/image.toolkit.fluxcd.io/v1';
import * as kustomize from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import * as receiver from '@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1';
import * as notification from '@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1beta3';
import * as source from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { API_VERSION } from './core/api.js';
import { modelSchemaCheck, SchemaCheck } from './core/schema.js';
import { fluxInstanceSchemaCheck, resourceSetSchemaCheck } from './operator/schemas.js';

/** The schema of every kind Flux v2.9 serves, by API group and kind. */
const SCHEMAS: ReadonlyMap<string, { apiVersion: string; check: SchemaCheck }> = new Map([
  ...kindsOf(API_VERSION.source, {
    GitRepository: source.GitRepository,
    OCIRepository: source.OCIRepository,
    HelmRepository: source.HelmRepository,
    HelmChart: source.HelmChart,
    Bucket: source.Bucket,
    ExternalArtifact: source.ExternalArtifact,
  }),
  ...kindsOf(API_VERSION.kustomize, { Kustomization: kustomize.Kustomization }),
  ...kindsOf(API_VERSION.helm, { HelmRelease: helm.HelmRelease }),
  ...kindsOf(API_VERSION.notification, { Provider: notification.Provider, Alert: notification.Alert }),
  ...kindsOf(API_VERSION.receiver, { Receiver: receiver.Receiver }),
  ...kindsOf(API_VERSION.image, {
    ImageRepository: image.ImageRepository, ImagePolicy: image.ImagePolicy, ImageUpdateAutomation: image.ImageUpdateAutomation,
  }),
  ['fluxcd.controlplane.io/FluxInstance', { apiVersion: API_VERSION.operator, check: fluxInstanceSchemaCheck }],
  ['fluxcd.controlplane.io/ResourceSet', { apiVersion: API_VERSION.operator, check: resourceSetSchemaCheck }],
]);

/**
 * Checks one Kubernetes object, as read from YAML, against the Flux v2.9 schema of its kind. Objects outside Flux's
 * API groups are not checked (an empty list). A Flux kind at an API version Flux v2.9 no longer serves is an error.
 */
export function checkFluxSchema(object: Record<string, unknown>): string[] {
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const group = groupOf(apiVersion);
  if (!isFluxGroup(group)) return [];
  const entry = SCHEMAS.get(`${group}/${kind}`);
  if (!entry) return [`kind ${kind} of ${group} is not served by Flux v2.9`];
  if (entry.apiVersion !== apiVersion) {
    return [`apiVersion ${apiVersion} of ${kind} is not served by Flux v2.9; use ${entry.apiVersion}`];
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

type Entry = [string, { apiVersion: string; check: SchemaCheck }];

function kindsOf(apiVersion: string, models: Record<string, Parameters<typeof modelSchemaCheck>[0]>): Entry[] {
  return Object.entries(models).map(([kind, model]) => [`${groupOf(apiVersion)}/${kind}`, { apiVersion, check: modelSchemaCheck(model) }]);
}
