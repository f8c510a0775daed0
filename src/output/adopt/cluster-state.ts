/**
 * A cluster's Flux objects as the adoption report compares them: what runs now (exported from the cluster or read from
 * the repository that drives it) and what the synthesized cluster will apply, each object with the owner that applies
 * it (and so prunes it) and, for an owner, what it manages.
 */

/** An object of one side, identified by API group, kind, namespace and name. */
export interface StateObject {
  /** `group/Kind/namespace/name`, with `-` for no namespace: how the two sides are matched. */
  readonly key: string;
  /** The API group, `''` for the core group. */
  readonly group: string;
  /** The kind. */
  readonly kind: string;
  /** The namespace. @default - none: cluster-scoped, or not said */
  readonly namespace?: string;
  /** The name. */
  readonly name: string;
  /** The object as read (its `metadata`, `spec`, `data`...). */
  readonly raw: Record<string, unknown>;
  /**
   * The key of the object that applies it, and prunes it when it leaves that owner's content: a Kustomization, a
   * ResourceSet, a FluxInstance (the sync objects it generates) or a HelmRelease.
   * @default - not applied by Flux, or not known
   */
  readonly owner?: string;
  /**
   * For an owner, the keys of what it manages (its inventory): what its garbage collection deletes when it is deleted.
   * @default - not known (an export without status, or a source outside the folder read)
   */
  readonly manages?: readonly string[];
}

/** One side: its objects, and what could not be read of it. */
export interface ClusterState {
  /** Where it was read from, for messages. */
  readonly label: string;
  /** The objects read. */
  readonly objects: readonly StateObject[];
  /** What could not be followed, e.g. a Kustomization whose source lies outside the folder read. */
  readonly notes: readonly string[];
}

/** The key of an object: `group/Kind/namespace/name`. */
export function objectKey(group: string, kind: string, namespace: string | undefined, name: string): string {
  return `${group}/${kind}/${namespace ?? '-'}/${name}`;
}

/** How an object is named in a report: `Kustomization flux-system/apps`, `Namespace podinfo`. */
export function objectLabel(o: Pick<StateObject, 'kind' | 'namespace' | 'name'>): string {
  return `${o.kind} ${o.namespace !== undefined ? `${o.namespace}/` : ''}${o.name}`;
}

/** The label of a key: `Kustomization flux-system/apps`. */
export function keyLabel(key: string): string {
  const [, kind, namespace, ...name] = key.split('/');
  return objectLabel({ kind, namespace: namespace === '-' ? undefined : namespace, name: name.join('/') });
}

/** The API group of an apiVersion, `''` for the core group. */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Whether an API group is Flux's or the Flux Operator's. */
export function isFluxApiGroup(group: string): boolean {
  return group.endsWith('.toolkit.fluxcd.io') || group === 'fluxcd.controlplane.io' || group === 'source.extensions.fluxcd.io';
}

/** The groups of Flux's owners, whose objects carry `<group>/name` and `<group>/namespace` labels. */
const OWNER_LABELS: ReadonlyArray<{ readonly prefix: string; readonly group: string; readonly kind: string }> = [
  { prefix: 'kustomize.toolkit.fluxcd.io', group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization' },
  { prefix: 'resourceset.fluxcd.controlplane.io', group: 'fluxcd.controlplane.io', kind: 'ResourceSet' },
  { prefix: 'fluxcd.controlplane.io', group: 'fluxcd.controlplane.io', kind: 'FluxInstance' },
  { prefix: 'helm.toolkit.fluxcd.io', group: 'helm.toolkit.fluxcd.io', kind: 'HelmRelease' },
];

/** The owner an exported object's labels name (Flux's server-side apply labels), if any. */
export function ownerFromLabels(raw: Record<string, unknown>): string | undefined {
  const labels = (raw.metadata as { labels?: Record<string, unknown> } | undefined)?.labels ?? {};
  for (const o of OWNER_LABELS) {
    const name = labels[`${o.prefix}/name`];
    const namespace = labels[`${o.prefix}/namespace`];
    if (typeof name === 'string' && typeof namespace === 'string') return objectKey(o.group, o.kind, namespace, name);
  }
  return undefined;
}

/**
 * What an exported owner manages, from its `status.inventory.entries` (ids `<namespace>_<name>_<group>_<kind>`, as
 * kustomize-controller and the Flux Operator write them); undefined when the export has no inventory.
 */
export function inventoryOf(raw: Record<string, unknown>): string[] | undefined {
  const entries = (raw.status as { inventory?: { entries?: unknown } } | undefined)?.inventory?.entries;
  if (!Array.isArray(entries)) return undefined;
  const keys: string[] = [];
  for (const e of entries) {
    const id = (e as { id?: unknown }).id;
    if (typeof id !== 'string') continue;
    const [namespace, name, group, kind] = id.split('_');
    if (kind === undefined) continue;
    keys.push(objectKey(group, kind, namespace === '' ? undefined : namespace, name));
  }
  return keys;
}

/**
 * A state object of a raw Kubernetes object, or undefined when it is not one (no kind, apiVersion or name).
 */
export function stateObject(raw: unknown, extra: { owner?: string; manages?: readonly string[] } = {}): StateObject | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const metadata = r.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof r.apiVersion !== 'string' || typeof r.kind !== 'string' || typeof metadata?.name !== 'string') return undefined;
  const group = groupOfApiVersion(r.apiVersion);
  // A cluster-scoped object has no namespace, whatever its metadata says (a chart's default namespace, say).
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' && !CLUSTER_SCOPED.has(r.kind) ? metadata.namespace : undefined;
  return {
    key: objectKey(group, r.kind, namespace, metadata.name),
    group,
    kind: r.kind,
    ...(namespace !== undefined ? { namespace } : {}),
    name: metadata.name,
    raw: r,
    ...(extra.owner !== undefined ? { owner: extra.owner } : {}),
    ...(extra.manages !== undefined ? { manages: extra.manages } : {}),
  };
}

/** A document moved into `namespace` (a Kustomization's `targetNamespace`), unless its kind has no namespace. */
export function inNamespace(doc: unknown, namespace: string | undefined): unknown {
  if (namespace === undefined || doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const d = doc as { kind?: unknown; metadata?: Record<string, unknown> };
  if (typeof d.kind === 'string' && CLUSTER_SCOPED.has(d.kind)) return doc;
  return { ...d, metadata: { ...d.metadata, namespace } };
}

/** Kinds without a namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'ClusterIssuer', 'IngressClass', 'PersistentVolume', 'GatewayClass',
]);

/**
 * The sync objects a FluxInstance generates in its namespace (a source of its `sync.kind` and a Kustomization, named
 * `sync.name` or after the namespace), owned by it.
 */
export function fluxInstanceSyncObjects(instance: StateObject): StateObject[] {
  const sync = (instance.raw.spec as { sync?: { kind?: unknown; name?: unknown; url?: unknown; ref?: unknown; path?: unknown } } | undefined)?.sync;
  if (!sync || typeof sync.kind !== 'string') return [];
  const namespace = instance.namespace ?? 'flux-system';
  const name = typeof sync.name === 'string' ? sync.name : namespace;
  // Only what the instance decides is set: the generated objects are compared on these fields alone.
  const source = stateObject({
    apiVersion: 'source.toolkit.fluxcd.io/v1', kind: sync.kind, metadata: { name, namespace }, spec: { url: sync.url },
  }, { owner: instance.key })!;
  const kustomization = stateObject({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace },
    spec: { sourceRef: { kind: sync.kind, name }, path: sync.path },
  }, { owner: instance.key })!;
  return [source, kustomization];
}
