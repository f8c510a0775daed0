import { compare, isRecord, TreeObject } from './tree.js';
import { isFluxGroup } from '../../flux/schema-registry.js';

/** A problem about one object that needs the other objects of its cluster to find. */
export interface ClusterProblem {
  readonly object: TreeObject;
  readonly message: string;
}

/** One reference field of a raw object. */
interface RawReference {
  readonly field: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** The kinds Flux accepts in the field. */
  readonly kinds: readonly string[];
  /** A source reference: refused across namespaces under multi-tenant lockdown. */
  readonly source?: boolean;
  /** A dependsOn entry: an edge of the ordering graph. */
  readonly dependency?: boolean;
}

const SOURCE_KINDS = ['OCIRepository', 'GitRepository', 'Bucket', 'ExternalArtifact'];
const CHART_REF_KINDS = ['OCIRepository', 'HelmChart', 'ExternalArtifact'];
const CHART_SOURCE_KINDS = ['HelmRepository', 'GitRepository', 'Bucket'];
const GENERATOR_SOURCE_KINDS = ['OCIRepository', 'GitRepository', 'Bucket'];

/** Flux's groups, and source-watcher's, whose objects are indexed and whose references are checked. */
function isIndexedGroup(group: string): boolean {
  return isFluxGroup(group) || group === 'source.extensions.fluxcd.io';
}

/** How to order across kinds, since dependsOn is same-kind only. */
const CROSS_KIND_HINTS: Record<string, string> = {
  Kustomization: 'to wait for a HelmRelease, depend on the Kustomization that applies it (with wait: true on that one)',
  HelmRelease: 'to order it after a Kustomization, apply this HelmRelease from a Kustomization whose dependsOn lists that one (with wait: true on it, so it is ready only when its objects are)',
};

/**
 * The checks that need every object of a cluster: duplicates, references that must resolve to an object of the
 * right kind in the same cluster, dependsOn across kinds, dependsOn cycles, and cross-namespace source references
 * under a multi-tenant FluxInstance.
 *
 * @param cluster the cluster's name
 * @param objects the objects of every cluster, by cluster name, to tell "defined in another cluster" from "nowhere"
 */
export function checkCluster(cluster: string, objects: ReadonlyMap<string, readonly TreeObject[]>): ClusterProblem[] {
  const own = objects.get(cluster) ?? [];
  const problems: ClusterProblem[] = [];
  const index = new ClusterIndex(own);

  const first = new Map<string, TreeObject>();
  for (const o of own) {
    const key = `${o.group}/${o.id}`;
    const earlier = first.get(key);
    if (earlier) {
      problems.push({ object: o, message: `duplicate ${describe(o)}: ${earlier.file} defines it too; keep one of them, or give one another metadata.name or namespace` });
    } else {
      first.set(key, o);
    }
  }

  const locked = own.some((o) => o.kind === 'FluxInstance' && isRecord(o.raw.spec) && isRecord(o.raw.spec.cluster) && o.raw.spec.cluster.multitenant === true);
  problems.push(...helmWithoutController(own));
  for (const o of own) {
    for (const ref of referencesOf(o)) {
      const message = checkReference(cluster, o, ref, index, objects);
      if (message) problems.push({ object: o, message });
      if (ref.source && locked && ref.namespace !== o.namespace) {
        problems.push({ object: o, message: `${ref.field} refers to ${ref.kind} ${ref.namespace}/${ref.name} in another namespace, but the cluster's FluxInstance sets spec.cluster.multitenant: true, which refuses cross-namespace references; put the source in ${o.namespace}` });
      }
    }
  }

  for (const cycle of findCycles(own, index)) {
    problems.push({ object: cycle[0], message: `dependsOn cycle: ${[...cycle, cycle[0]].map((o) => `${o.kind}/${o.namespace}/${o.name}`).join(' -> ')} (each waits for the next); Flux would wait forever, so remove one of these dependencies` });
  }
  return problems;
}

/**
 * HelmReleases on a cluster whose FluxInstance lists its components without helm-controller: nothing would reconcile
 * them.
 */
function helmWithoutController(own: readonly TreeObject[]): ClusterProblem[] {
  const instance = own.find((o) => o.kind === 'FluxInstance' && o.group === 'fluxcd.controlplane.io');
  const components = instance && isRecord(instance.raw.spec) ? instance.raw.spec.components : undefined;
  if (!Array.isArray(components) || components.includes('helm-controller')) return [];
  return own
    .filter((o) => o.kind === 'HelmRelease' && o.group === 'helm.toolkit.fluxcd.io')
    .map((o) => ({
      object: o,
      message: `the cluster's FluxInstance (${instance!.file}) lists spec.components without helm-controller, so nothing reconciles this HelmRelease; add helm-controller to spec.components, or remove the HelmRelease from the cluster`,
    }));
}

/** Why a reference does not resolve, or undefined when it does. */
function checkReference(
  cluster: string,
  o: TreeObject,
  ref: RawReference,
  index: ClusterIndex,
  objects: ReadonlyMap<string, readonly TreeObject[]>,
): string | undefined {
  // A kind Flux does not accept here is a schema error, reported by the schema check.
  if (!ref.kinds.includes(ref.kind)) return undefined;
  if (index.has(ref.kind, ref.namespace, ref.name)) return undefined;
  const target = `${ref.kind} ${ref.namespace}/${ref.name}`;
  const others = index.kindsNamed(ref.namespace, ref.name).filter((k) => k !== ref.kind);
  if (ref.dependency && others.length > 0) {
    return `${ref.field} names ${ref.namespace}/${ref.name}, which is ${others.map(withArticle).join(' and ')} in this cluster, but a ${o.kind} can depend only on ${o.kind}s; ${CROSS_KIND_HINTS[o.kind] ?? 'order them with a Kustomization that applies both'}`;
  }
  const accepted = others.filter((k) => ref.kinds.includes(k));
  if (accepted.length > 0) {
    return `${ref.field} refers to ${target}, which cluster ${JSON.stringify(cluster)} does not define; it defines ${withArticle(accepted[0])} of that name: set ${ref.field}.kind to ${JSON.stringify(accepted[0])}`;
  }
  const elsewhere = [...objects.entries()]
    .filter(([c]) => c !== cluster)
    .flatMap(([c, list]) => list
      .filter((x) => x.kind === ref.kind && x.namespace === ref.namespace && x.name === ref.name)
      .map((x) => ({ cluster: c, file: x.file })));
  if (elsewhere.length > 0) {
    const names = [...new Set(elsewhere.map((e) => JSON.stringify(e.cluster)))];
    return `${ref.field} refers to ${target}, which only ${names.length === 1 ? `cluster ${names[0]} defines` : `clusters ${names.join(' and ')} define`} (${elsewhere[0].file}); a cluster applies only its own folder, so define it under clusters/${cluster}/ too, or drop the reference`;
  }
  return `${ref.field} refers to ${target}, which cluster ${JSON.stringify(cluster)} does not define; define it under clusters/${cluster}/, or fix the name`;
}

/** The reference fields of a raw Flux object, with the namespace defaulted to the object's own. */
function referencesOf(o: TreeObject): RawReference[] {
  if (!isIndexedGroup(o.group) || !isRecord(o.raw.spec)) return [];
  const spec = o.raw.spec;
  const ns = o.namespace ?? 'default';
  const refs: RawReference[] = [];
  /** A `{kind?, name, namespace?}` field; `sameNamespace` for fields without a namespace. */
  const add = (field: string, value: unknown, kinds: readonly string[], opts: { kind?: string; sameNamespace?: boolean; source?: boolean } = {}) => {
    if (!isRecord(value) || typeof value.name !== 'string') return;
    const kind = typeof value.kind === 'string' ? value.kind : opts.kind;
    if (kind === undefined) return;
    const namespace = !opts.sameNamespace && typeof value.namespace === 'string' && value.namespace !== '' ? value.namespace : ns;
    refs.push({ field, kind, name: value.name, namespace, kinds, source: opts.source });
  };
  const dependsOn = () => {
    if (!Array.isArray(spec.dependsOn)) return;
    spec.dependsOn.forEach((d, i) => {
      if (!isRecord(d) || typeof d.name !== 'string') return;
      const namespace = typeof d.namespace === 'string' && d.namespace !== '' ? d.namespace : ns;
      refs.push({ field: `spec.dependsOn[${i}]`, kind: o.kind, name: d.name, namespace, kinds: [o.kind], dependency: true });
    });
  };
  switch (`${o.group}/${o.kind}`) {
    case 'kustomize.toolkit.fluxcd.io/Kustomization':
      add('spec.sourceRef', spec.sourceRef, SOURCE_KINDS, { source: true });
      dependsOn();
      break;
    case 'helm.toolkit.fluxcd.io/HelmRelease':
      add('spec.chartRef', spec.chartRef, CHART_REF_KINDS, { source: true });
      if (isRecord(spec.chart) && isRecord(spec.chart.spec)) {
        add('spec.chart.spec.sourceRef', spec.chart.spec.sourceRef, CHART_SOURCE_KINDS, { source: true });
      }
      dependsOn();
      break;
    case 'source.toolkit.fluxcd.io/HelmChart':
      add('spec.sourceRef', spec.sourceRef, CHART_SOURCE_KINDS, { sameNamespace: true, source: true });
      break;
    case 'notification.toolkit.fluxcd.io/Alert':
      add('spec.providerRef', spec.providerRef, ['Provider'], { kind: 'Provider', sameNamespace: true });
      break;
    case 'image.toolkit.fluxcd.io/ImagePolicy':
      add('spec.imageRepositoryRef', spec.imageRepositoryRef, ['ImageRepository'], { kind: 'ImageRepository', source: true });
      break;
    case 'image.toolkit.fluxcd.io/ImageUpdateAutomation':
      add('spec.sourceRef', spec.sourceRef, ['GitRepository'], { kind: 'GitRepository', source: true });
      break;
    case 'source.extensions.fluxcd.io/ArtifactGenerator':
      if (Array.isArray(spec.sources)) {
        spec.sources.forEach((s, i) => add(`spec.sources[${i}]`, s, GENERATOR_SOURCE_KINDS, { source: true }));
      }
      break;
  }
  return refs;
}

/**
 * The Flux objects of one cluster: those in its files, those its FluxInstance creates for the sync (a source and a
 * Kustomization named by `spec.sync.name`, or after the instance's namespace), those its ResourceSets create
 * (templated names match any value), and the ExternalArtifacts its ArtifactGenerators produce (in their namespace).
 */
class ClusterIndex {
  private readonly explicit = new Map<string, TreeObject>();
  private readonly implicit = new Set<string>();
  private readonly patterns: Array<{ kind: string; namespace?: RegExp; name: RegExp }> = [];

  public constructor(objects: readonly TreeObject[]) {
    for (const o of objects) {
      if (!isIndexedGroup(o.group)) continue;
      const key = `${o.kind}/${o.namespace}/${o.name}`;
      if (!this.explicit.has(key)) this.explicit.set(key, o);
      const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
      if (o.kind === 'FluxInstance' && isRecord(spec.sync)) {
        const name = typeof spec.sync.name === 'string' && spec.sync.name !== '' ? spec.sync.name : o.namespace;
        const sourceKind = typeof spec.sync.kind === 'string' ? spec.sync.kind : 'OCIRepository';
        this.implicit.add(`${sourceKind}/${o.namespace}/${name}`);
        this.implicit.add(`Kustomization/${o.namespace}/${name}`);
      }
      if (o.kind === 'ArtifactGenerator' && Array.isArray(spec.artifacts)) {
        for (const a of spec.artifacts) {
          if (isRecord(a) && typeof a.name === 'string') this.implicit.add(`ExternalArtifact/${o.namespace}/${a.name}`);
        }
      }
      if (o.kind === 'ResourceSet') {
        const steps = Array.isArray(spec.steps) ? spec.steps.filter(isRecord) : [];
        for (const r of [spec.resources, ...steps.map((s) => s.resources)].flatMap((x) => (Array.isArray(x) ? x : []))) {
          if (!isRecord(r) || typeof r.kind !== 'string' || !isRecord(r.metadata) || typeof r.metadata.name !== 'string') continue;
          const namespace = typeof r.metadata.namespace === 'string' ? templatePattern(r.metadata.namespace) : undefined;
          this.patterns.push({ kind: r.kind, namespace, name: templatePattern(r.metadata.name) });
        }
      }
    }
  }

  /** Whether an object of that kind, namespace and name exists in the cluster. */
  public has(kind: string, namespace: string, name: string): boolean {
    const key = `${kind}/${namespace}/${name}`;
    return this.explicit.has(key) || this.implicit.has(key)
      || this.patterns.some((p) => p.kind === kind && p.name.test(name) && (p.namespace?.test(namespace) ?? true));
  }

  /** The object the files define, if any. */
  public get(kind: string, namespace: string, name: string): TreeObject | undefined {
    return this.explicit.get(`${kind}/${namespace}/${name}`);
  }

  /** The kinds of the objects with that namespace and name. */
  public kindsNamed(namespace: string, name: string): string[] {
    const kinds = [...this.explicit.values(), ...[...this.implicit].map((k) => ({ kind: k.split('/')[0], namespace: k.split('/')[1], name: k.split('/')[2] }))]
      .filter((o) => o.namespace === namespace && o.name === name)
      .map((o) => o.kind);
    return [...new Set(kinds)].sort(compare);
  }
}

/** A ResourceSet name such as `app-<< inputs.id >>` as a pattern matching any value of its inputs. */
function templatePattern(template: string): RegExp {
  const parts = template.split(/<<.*?>>/s).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

/**
 * The dependsOn cycles of a cluster (strongly connected components of more than one object, or an object that
 * depends on itself), each as the shortest way round from its first object in file order.
 */
function findCycles(objects: readonly TreeObject[], index: ClusterIndex): TreeObject[][] {
  const edges = new Map<TreeObject, TreeObject[]>();
  for (const o of objects) {
    const targets = referencesOf(o)
      .filter((r) => r.dependency)
      .map((r) => index.get(r.kind, r.namespace, r.name))
      .filter((t): t is TreeObject => t !== undefined);
    if (targets.length > 0) edges.set(o, targets);
  }
  const next = (o: TreeObject) => edges.get(o) ?? [];

  // Tarjan's strongly connected components.
  const order = new Map<TreeObject, number>();
  const low = new Map<TreeObject, number>();
  const stack: TreeObject[] = [];
  const onStack = new Set<TreeObject>();
  const components: TreeObject[][] = [];
  const visit = (v: TreeObject) => {
    order.set(v, order.size);
    low.set(v, order.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
    }
    if (low.get(v) === order.get(v)) {
      const component: TreeObject[] = [];
      let w: TreeObject;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next(v).includes(v)) components.push(component);
    }
  };
  for (const o of edges.keys()) if (!order.has(o)) visit(o);

  const position = (o: TreeObject) => objects.indexOf(o);
  return components
    .map((component) => {
      const members = new Set(component);
      const start = component.slice().sort((a, b) => position(a) - position(b))[0];
      return shortestCycle(start, members, next);
    })
    .sort((a, b) => position(a[0]) - position(b[0]));
}

/** The shortest way from `start` back to itself inside its component, without repeating `start` at the end. */
function shortestCycle(start: TreeObject, members: Set<TreeObject>, next: (o: TreeObject) => TreeObject[]): TreeObject[] {
  const previous = new Map<TreeObject, TreeObject>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return path;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** `an OCIRepository`, `a HelmRelease`. */
function withArticle(kind: string): string {
  return `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

function describe(o: TreeObject): string {
  return o.namespace === undefined ? `${o.kind} ${o.name}` : `${o.kind} ${o.namespace}/${o.name}`;
}
