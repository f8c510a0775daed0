import { ClusterState, isFluxApiGroup, keyLabel, objectKey, StateObject } from './cluster-state.js';
import { diffFields, type FieldChange } from '../review/field-diff.js';

/**
 * What happens to one object of the running cluster, or one the synthesized cluster adds, when the cluster switches to
 * the synthesized tree:
 * - `kept`: the same object, the same fields;
 * - `changed`: the same object, changed in place;
 * - `renamed`: gone under its name, its role taken by another object of its kind (`to`): pruned and recreated, and
 *   with it what it manages;
 * - `removed`: gone, and pruned with what it manages;
 * - `retired`: gone, and nothing lost: everything it manages the new tree keeps (or retires too), or, for a source,
 *   every reader the new tree keeps reads another source; its owner must let go of what it manages first (`orphan`);
 * - `left`: gone from the config, but not pruned: its owner retires and lets go of it (delete it by hand when unused);
 * - `handed-over`: one of Flux's own objects (labelled `app.kubernetes.io/part-of: flux`), which the new tree's
 *   Kustomization of Flux's release manifests (`flux-components`) applies from then on; the sync must leave it to
 *   that Kustomization (`kustomize.toolkit.fluxcd.io/prune: disabled` before the cut-over);
 * - `new`: only in the synthesized cluster.
 */
export type AdoptionOutcome = 'kept' | 'changed' | 'renamed' | 'removed' | 'retired' | 'left' | 'handed-over' | 'new';

/** One line of the adoption report. */
export interface AdoptionEntry {
  /** What adoption does with the object. */
  readonly outcome: AdoptionOutcome;
  /** The object's key (`group/Kind/namespace/name`): the running one's, or for `new` the synthesized one's. */
  readonly key: string;
  /** For `renamed`, the key of the object that takes its place. @default - not renamed */
  readonly to?: string;
  /** For `changed`, the fields that change (status and server-set metadata left out). @default - not changed */
  readonly fields?: readonly FieldChange[];
  /** For `renamed` and `removed`, what goes with it: the objects it manages, or a Helm release it installed. @default - nothing goes with it */
  readonly loses?: readonly string[];
  /** Why: one sentence for the report, e.g. that a HelmRelease's release moves and is installed again. @default - the outcome says it all */
  readonly reason?: string;
}

/** The adoption report of one cluster. */
export interface Adoption {
  /** Where what runs now was read from. */
  readonly from: string;
  /** Which synthesized cluster it was compared with. */
  readonly to: string;
  /** Every object, running ones in key order, then the new ones. */
  readonly entries: readonly AdoptionEntry[];
  /** The owners that retire, in the order to orphan them (parents first): their objects move to the new tree. */
  readonly orphan: readonly string[];
  /** Objects the new config no longer holds and nothing prunes: to delete by hand once the cut-over is verified. */
  readonly deleteAfter: readonly string[];
  /**
   * The namespaces holding Flux's own objects that the new tree's Kustomization of Flux's release manifests takes
   * over (and `''` for its cluster-scoped ones): the sync must not prune them meanwhile.
   */
  readonly handOver: readonly string[];
  /** What could not be read on either side. */
  readonly notes: readonly string[];
  /** Whether anything would be pruned: an object renamed or removed, or a Helm release installed again. */
  readonly prunes: boolean;
}

const SOURCE_KINDS = new Set(['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket', 'ExternalArtifact', 'HelmChart']);
const OWNER_KINDS = new Set(['Kustomization', 'ResourceSet', 'ArtifactGenerator', 'FluxInstance']);

/** Labels and annotations the API server and Flux's controllers set on what they apply: not part of a change. */
const MANAGED_METADATA = /^(kustomize\.toolkit\.fluxcd\.io|resourceset\.fluxcd\.controlplane\.io|fluxcd\.controlplane\.io|helm\.toolkit\.fluxcd\.io)\/(name|namespace|ssa|prune|reconcile|reconcileAt|requestedAt|checksum)$|^kubectl\.kubernetes\.io\/last-applied-configuration$|^meta\.helm\.sh\/|^app\.kubernetes\.io\/managed-by$|^reconcile\.fluxcd\.io\/requestedAt$/;

/**
 * Compares what runs on a cluster with what its synthesized tree will apply, object by object, and says what the
 * cut-over does to each: kept, changed in place, renamed (pruned and recreated), removed (pruned), retired (deleted
 * with nothing lost, once orphaned) or new. Objects are compared where either side has their kind, or they are Flux's.
 */
export function planAdoption(current: ClusterState, next: ClusterState): Adoption {
  const now = new Map(current.objects.map((o) => [o.key, o]));
  const after = new Map(next.objects.map((o) => [o.key, o]));
  const kinds = new Set(current.objects.map((o) => `${o.group}/${o.kind}`));
  const compared = (o: StateObject) => isFluxApiGroup(o.group) || kinds.has(`${o.group}/${o.kind}`);
  const entries = new Map<string, AdoptionEntry>();

  // Objects of both sides.
  for (const o of current.objects) {
    const n = after.get(o.key);
    if (!n) continue;
    // The sync objects a FluxInstance generates are compared on what the instance decides (URL, path) alone.
    const generated = [o, n].some((x) => x.owner !== undefined && x.owner.startsWith('fluxcd.controlplane.io/FluxInstance/'));
    const fields = generated ? changedFields(pick(o.raw, n.raw), n.raw) : changedFields(o.raw, n.raw);
    const reinstall = o.kind === 'HelmRelease' ? releaseTargetChange(o.raw, n.raw) : undefined;
    if (reinstall !== undefined) {
      entries.set(o.key, { outcome: 'renamed', key: o.key, to: n.key, fields, loses: [helmReleaseOf(o.raw, o)], reason: reinstall });
    } else {
      entries.set(o.key, fields.length === 0 ? { outcome: 'kept', key: o.key } : { outcome: 'changed', key: o.key, fields });
    }
  }
  // Running objects the new tree lacks: renamed when an object of their kind takes their place.
  const gone = current.objects.filter((o) => !after.has(o.key));
  const added = next.objects.filter((o) => !now.has(o.key) && compared(o));
  const taken = new Set<string>();
  for (const o of gone) {
    const match = bestMatch(o, added.filter((n) => !taken.has(n.key)), now, after);
    if (!match) continue;
    taken.add(match.key);
    entries.set(o.key, { outcome: 'renamed', key: o.key, to: match.key, loses: losses(o, now), reason: `its place is taken by ${keyLabel(match.key)}` });
  }
  // The others: retired when nothing is lost, left when nothing prunes them, else removed.
  const retiring = new Map<string, boolean>();
  const isRetiring = (key: string, visiting: Set<string>): boolean => {
    const known = retiring.get(key);
    if (known !== undefined) return known;
    const o = now.get(key);
    if (!o || after.has(key) || entries.get(key)?.outcome === 'renamed' || visiting.has(key)) return false;
    visiting.add(key);
    let result = false;
    if (SOURCE_KINDS.has(o.kind)) {
      // Every reader the new tree keeps reads another source.
      result = readersOf(o, now).every((r) => !after.has(r) || !readsSource(after.get(r)!, o));
    } else if (o.kind === 'ArtifactGenerator') {
      // Its ExternalArtifacts go with it: it retires when every reader the new tree keeps reads another source.
      result = (managedBy(o) ?? []).every((m) => after.has(m) || [...now.values()]
        .filter((r) => readsRef(r, 'ExternalArtifact', m.split('/').slice(3).join('/'), o.namespace))
        .every((r) => !after.has(r.key) || readsRef(after.get(r.key)!, 'ExternalArtifact', m.split('/').slice(3).join('/'), o.namespace) === false));
    } else if (OWNER_KINDS.has(o.kind) && managedBy(o) !== undefined) {
      result = managedBy(o)!.every((m) => after.has(m) || m === key || isRetiring(m, visiting));
    }
    visiting.delete(key);
    retiring.set(key, result);
    return result;
  };
  // Flux's own objects, when the new tree applies Flux from its release manifests.
  const fluxComponents = next.objects.find((o) => o.kind === 'Kustomization' && sourceUrl(o, after)?.replace(/\/+$/, '').endsWith('/flux-manifests'));
  for (const o of gone) {
    if (entries.has(o.key)) continue;
    if (fluxComponents && partOfFlux(o)) {
      entries.set(o.key, { outcome: 'handed-over', key: o.key, reason: `${keyLabel(fluxComponents.key)} applies it from Flux's release manifests` });
    } else if (isRetiring(o.key, new Set())) {
      entries.set(o.key, { outcome: 'retired', key: o.key, reason: OWNER_KINDS.has(o.kind) ? 'everything it manages is kept by the new tree' : 'every reader the new tree keeps reads another source' });
    } else if (o.owner === undefined) {
      entries.set(o.key, { outcome: 'left', key: o.key, reason: 'no Flux owner applies it, so the cut-over does not touch it' });
    } else if (isRetiring(o.owner, new Set()) && !OWNER_KINDS.has(o.kind)) {
      entries.set(o.key, { outcome: 'left', key: o.key, reason: `its owner ${keyLabel(o.owner)} retires and lets go of it` });
    } else {
      entries.set(o.key, { outcome: 'removed', key: o.key, loses: losses(o, now) });
    }
  }
  // An owner that retires without an entry of its own (it is kept, say) does not matter here; those that retire must
  // let go of what they manage before the cut-over, parents first.
  // (An ArtifactGenerator's ExternalArtifacts retire with it: it has nothing to let go of.)
  const orphan = [...entries.values()].filter((e) => e.outcome === 'retired' && ['Kustomization', 'ResourceSet', 'FluxInstance'].includes(now.get(e.key)!.kind))
    .map((e) => e.key).sort((a, b) => depth(a, now) - depth(b, now) || compare(a, b));
  // What nothing prunes after the cut-over: the retired objects (their owners retired too, or were orphaned), and
  // those left behind.
  const deleteAfter = [...entries.values()].filter((e) => e.outcome === 'retired' || e.outcome === 'left').map((e) => e.key)
    .filter((key) => {
      const owner = now.get(key)!.owner;
      return owner !== undefined && (retiring.get(owner) === true || !after.has(owner));
    })
    .sort((a, b) => depth(b, now) - depth(a, now) || compare(a, b));
  const handOver = [...new Set([...entries.values()].filter((e) => e.outcome === 'handed-over').map((e) => now.get(e.key)!.namespace ?? ''))].sort(compare);
  for (const n of added) if (!taken.has(n.key)) entries.set(n.key, { outcome: 'new', key: n.key });
  const ordered = [...entries.values()].sort((a, b) => Number(a.outcome === 'new') - Number(b.outcome === 'new') || compare(a.key, b.key));
  return {
    from: current.label,
    to: next.label,
    entries: ordered,
    orphan,
    deleteAfter,
    handOver,
    notes: [...current.notes, ...next.notes],
    prunes: ordered.some((e) => e.outcome === 'renamed' || e.outcome === 'removed'),
  };
}

/** The fields of the new object that differ from the running one: spec, data and the labels and annotations it sets. */
function changedFields(current: Record<string, unknown>, next: Record<string, unknown>): FieldChange[] {
  const view = (o: Record<string, unknown>) => {
    const metadata = (o.metadata ?? {}) as { labels?: Record<string, unknown>; annotations?: Record<string, unknown> };
    const own = (m: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !MANAGED_METADATA.test(k)));
    return {
      labels: own(metadata.labels),
      annotations: own(metadata.annotations),
      ...Object.fromEntries(Object.entries(o).filter(([k]) => !['apiVersion', 'kind', 'metadata', 'status'].includes(k))),
    };
  };
  return diffFields(view(current), view(next));
}

/** The running object cut down to the spec fields the new one sets. */
function pick(current: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const spec = (current.spec ?? {}) as Record<string, unknown>;
  return { ...current, spec: Object.fromEntries(Object.keys((next.spec ?? {}) as object).map((k) => [k, spec[k]])) };
}

/**
 * Why helm-controller would uninstall a HelmRelease's release and install it again (its name, namespace, storage
 * namespace or chart changes), as `ReleaseTargetChanged` decides; undefined when it keeps it.
 */
function releaseTargetChange(current: Record<string, unknown>, next: Record<string, unknown>): string | undefined {
  const a = releaseTarget(current);
  const b = releaseTarget(next);
  if (a.storage !== b.storage) return `its Helm release's storage namespace changes from ${a.storage} to ${b.storage}, so helm-controller uninstalls it and installs it again`;
  if (a.namespace !== b.namespace) return `its Helm release's namespace changes from ${a.namespace} to ${b.namespace}, so helm-controller uninstalls it and installs it again`;
  if (a.name !== b.name) return `its Helm release's name changes from ${a.name} to ${b.name}, so helm-controller uninstalls it and installs it again`;
  if (a.chart !== undefined && b.chart !== undefined && a.chart !== b.chart) return `its chart changes from ${a.chart} to ${b.chart}, so helm-controller uninstalls the release and installs it again`;
  return undefined;
}

/** A HelmRelease's release name, namespace and storage namespace as helm-controller derives them, and its chart's name when said. */
function releaseTarget(raw: Record<string, unknown>): { name: string; namespace: string; storage: string; chart?: string } {
  const metadata = raw.metadata as { name: string; namespace?: string };
  const spec = (raw.spec ?? {}) as {
    releaseName?: string; targetNamespace?: string; storageNamespace?: string; chart?: { spec?: { chart?: string } };
  };
  const own = metadata.namespace ?? 'default';
  const name = spec.releaseName || (spec.targetNamespace ? `${spec.targetNamespace}-${metadata.name}` : metadata.name);
  return { name: name.length > 53 ? `${name.slice(0, 40)}-…` : name, namespace: spec.targetNamespace || own, storage: spec.storageNamespace || own, chart: spec.chart?.spec?.chart };
}

function helmReleaseOf(raw: Record<string, unknown>, o: StateObject): string {
  const t = releaseTarget(raw);
  return `the Helm release ${t.namespace}/${t.name} of ${keyLabel(o.key)}, and its workloads`;
}

/** Whether an object is one of Flux's own (its controllers, CRDs, RBAC...), as Flux's install manifests label them. */
function partOfFlux(o: StateObject): boolean {
  return (o.raw.metadata as { labels?: Record<string, unknown> } | undefined)?.labels?.['app.kubernetes.io/part-of'] === 'flux';
}

/**
 * What an owner manages: its inventory, or for an ArtifactGenerator, the ExternalArtifacts it makes (its own
 * objects, deleted with it).
 */
function managedBy(o: StateObject): readonly string[] | undefined {
  if (o.kind !== 'ArtifactGenerator') return o.manages;
  const artifacts = ((o.raw.spec as { artifacts?: Array<{ name?: unknown }> } | undefined)?.artifacts ?? []);
  return artifacts.filter((a) => typeof a.name === 'string').map((a) => objectKey('source.toolkit.fluxcd.io', 'ExternalArtifact', o.namespace, a.name as string));
}

/** What goes when an object is pruned: what it manages (its inventory), or the Helm release a HelmRelease installed. */
function losses(o: StateObject, now: ReadonlyMap<string, StateObject>): string[] {
  if (o.kind === 'HelmRelease') return [helmReleaseOf(o.raw, o)];
  if (OWNER_KINDS.has(o.kind)) {
    const manages = managedBy(o);
    if (manages === undefined) return ['everything it manages (its inventory is not in what was read: export it with kubectl get -o yaml to see it)'];
    return manages.filter((m) => m !== o.key).map((m) => (now.get(m)?.kind === 'HelmRelease' ? `${keyLabel(m)} (${helmReleaseOf(now.get(m)!.raw, now.get(m)!)})` : keyLabel(m)));
  }
  return [];
}

/** The running objects that read a source: by sourceRef, chartRef or chart.spec.sourceRef (same namespace unless said). */
function readersOf(source: StateObject, now: ReadonlyMap<string, StateObject>): string[] {
  return [...now.values()].filter((o) => readsSource(o, source)).map((o) => o.key);
}

function readsSource(reader: StateObject, source: StateObject): boolean {
  return readsRef(reader, source.kind, source.name, source.namespace);
}

/** Whether an object reads the source of that kind, name and namespace: by sourceRef, chartRef or chart.spec.sourceRef. */
function readsRef(reader: StateObject, kind: string, name: string, namespace: string | undefined): boolean {
  const spec = (reader.raw.spec ?? {}) as Record<string, any>;
  const refs = [spec.sourceRef, spec.chartRef, spec.chart?.spec?.sourceRef].filter((r) => r && typeof r === 'object') as Array<{ kind?: string; name?: string; namespace?: string }>;
  return refs.some((r) => r.kind === kind && r.name === name && (r.namespace ?? reader.namespace) === namespace);
}

/**
 * The new object of the same kind that takes a running object's place, or undefined: scored by the name (in another
 * namespace), the namespace, and what it does (a source's URL, a Kustomization's path and target namespace, a
 * HelmRelease's chart and target namespace); the best of those scoring at least 3.
 */
function bestMatch(
  o: StateObject,
  candidates: readonly StateObject[],
  now: ReadonlyMap<string, StateObject>,
  after: ReadonlyMap<string, StateObject>,
): StateObject | undefined {
  let best: StateObject | undefined;
  let bestScore = 2;
  for (const n of candidates) {
    if (n.group !== o.group || n.kind !== o.kind) continue;
    const a = (o.raw.spec ?? {}) as Record<string, any>;
    const b = (n.raw.spec ?? {}) as Record<string, any>;
    let score = 0;
    if (n.name === o.name) score += 3;
    if (n.namespace === o.namespace) score += 1;
    if (n.name.includes(o.name) || o.name.includes(n.name)) score += 1;
    if (SOURCE_KINDS.has(o.kind) && a.url !== undefined && stripHost(a.url) === stripHost(b.url)) score += 3;
    if (o.kind === 'Kustomization') {
      if (a.path !== undefined && normalizePath(a.path) === normalizePath(b.path)) score += 2;
      if (a.targetNamespace !== undefined && a.targetNamespace === b.targetNamespace) score += 1;
      if (sourceUrl(o, now) !== undefined && stripHost(sourceUrl(o, now)!) === stripHost(sourceUrl(n, after) ?? '')) score += 1;
    }
    if (o.kind === 'HelmRelease') {
      const ca = a.chart?.spec?.chart ?? lastSegment(sourceUrl(o, now, 'chartRef'));
      const cb = b.chart?.spec?.chart ?? lastSegment(sourceUrl(n, after, 'chartRef'));
      if (ca !== undefined && ca === cb) score += 2;
      if (releaseTarget(o.raw).namespace === releaseTarget(n.raw).namespace) score += 1;
    }
    if (score > bestScore || (score === bestScore && best !== undefined && compare(n.key, best.key) < 0)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

function sourceUrl(o: StateObject, side: ReadonlyMap<string, StateObject>, field: 'sourceRef' | 'chartRef' = 'sourceRef'): string | undefined {
  const ref = ((o.raw.spec ?? {}) as Record<string, any>)[field] as { kind?: string; name?: string; namespace?: string } | undefined;
  if (!ref?.kind || !ref.name) return undefined;
  const source = side.get(objectKey('source.toolkit.fluxcd.io', ref.kind, ref.namespace ?? o.namespace, ref.name));
  const url = (source?.raw.spec as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url : undefined;
}

function stripHost(url: unknown): string {
  return typeof url === 'string' ? url.replace(/^[a-z]+:\/\/[^/]+\//, '') : '';
}

function lastSegment(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, '').split('/').pop();
}

function normalizePath(path: unknown): string {
  return typeof path === 'string' ? path.replace(/^\.\/?/, '').replace(/\/+$/, '') : '';
}

/** How many owners an object has above it: parents are orphaned before their children, deleted after them. */
function depth(key: string, now: ReadonlyMap<string, StateObject>): number {
  let d = 0;
  const seen = new Set<string>();
  for (let owner = now.get(key)?.owner; owner !== undefined && !seen.has(owner); owner = now.get(owner)?.owner) {
    seen.add(owner);
    d++;
  }
  return d;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
