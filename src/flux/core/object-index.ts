import { Construct, IConstruct } from 'constructs';
import type { FluxObject, FluxReference, IFluxObject } from './flux-object.js';
import { DEFAULT_FLUX_MINOR, FluxMinor, fluxVersionProblem, knownFluxMinorOf } from './flux-version.js';

const CLUSTER_SCOPE = Symbol.for('flux-fleet.ClusterScope');
const INDEX = Symbol.for('flux-fleet.ObjectIndex');

/** Props of a {@link ClusterScope}. */
export interface ClusterScopeProps {
  /**
   * Namespaces whose objects may not refer to sources in other namespaces, as on a cluster whose Flux controllers
   * run with `--no-cross-namespace-refs=true`; `'*'` locks every namespace.
   *
   * A multi-tenant `FluxInstance` in the scope locks every namespace whatever this says.
   *
   * @default - no namespace is locked
   */
  readonly lockedNamespaces?: string[] | '*';

  /**
   * The Flux version the cluster runs, as its FluxInstance asks for it (`2.9.x`, `2.10.x`, `2.10.1`): its minor
   * decides the API version of kinds whose served version differs between minors (Flux v2.10 serves `Provider` and
   * `Alert` as `notification.toolkit.fluxcd.io/v1`, v2.9 as `v1beta3`), and the schemas objects are checked against.
   * A version naming a minor flux-fleet does not know (2.9 or 2.10) fails synth.
   *
   * @default - Flux 2.9
   */
  readonly fluxVersion?: string;
}

/**
 * The objects of one cluster. Names must be unique within it, and every reference must resolve to an object of the
 * same cluster (or one imported by name). Without a ClusterScope, the whole app counts as one cluster.
 */
export class ClusterScope extends Construct {
  /** Whether `x` is a ClusterScope. */
  public static isClusterScope(x: unknown): x is ClusterScope {
    return x !== null && typeof x === 'object' && CLUSTER_SCOPE in x;
  }

  /** The Flux minor the cluster runs: 2.9 unless `fluxVersion` names another. */
  public readonly fluxMinor: FluxMinor;

  private readonly locked = new Set<string>();
  private lockedAll = false;

  public constructor(scope: Construct, id: string, props: ClusterScopeProps = {}) {
    super(scope, id);
    Object.defineProperty(this, CLUSTER_SCOPE, { value: true });
    const version = props.fluxVersion;
    this.fluxMinor = (version !== undefined ? knownFluxMinorOf(version) : undefined) ?? DEFAULT_FLUX_MINOR;
    if (version !== undefined) {
      const problem = fluxVersionProblem('Flux version', version);
      if (problem) this.node.addValidation({ validate: () => [problem] });
    }
    if (props.lockedNamespaces === '*') this.lockedAll = true;
    else this.lockNamespaces(...(props.lockedNamespaces ?? []));
  }

  /** Locks namespaces: their objects may refer to sources in their own namespace only. */
  public lockNamespaces(...namespaces: string[]): void {
    for (const ns of namespaces) this.locked.add(ns);
  }

  /** Locks every namespace of the cluster. */
  public lockAllNamespaces(): void {
    this.lockedAll = true;
  }

  /** Whether objects in `namespace` may refer only to sources in the same namespace. @internal */
  public _isLocked(namespace: string): boolean {
    return this.lockedAll || this.locked.has(namespace);
  }
}

/** The Flux minor objects created in `scope` target: the nearest ClusterScope's, or Flux 2.9. */
export function fluxMinorAt(scope: IConstruct): FluxMinor {
  const owner = scope.node.scopes.slice().reverse().find((s) => ClusterScope.isClusterScope(s));
  return owner ? (owner as ClusterScope).fluxMinor : DEFAULT_FLUX_MINOR;
}

/**
 * The Flux objects of one cluster (the nearest ClusterScope, or the app), with the checks that need all of them:
 * duplicates, references that resolve, kinds Flux orders, namespace lockdown, and dependsOn cycles.
 * @internal
 */
export class ObjectIndex {
  /** The index of the cluster `c` belongs to. */
  public static of(c: IConstruct): ObjectIndex {
    const owner = c.node.scopes.slice().reverse().find((s) => ClusterScope.isClusterScope(s)) ?? c.node.root;
    const holder = owner as unknown as { [INDEX]?: ObjectIndex };
    if (!holder[INDEX]) Object.defineProperty(holder, INDEX, { value: new ObjectIndex(owner), enumerable: false, configurable: true });
    return holder[INDEX]!;
  }

  /**
   * Forgets the objects of the cluster `owner` that are no longer in the construct tree (taken out with their chart,
   * once written), so that they can be garbage-collected.
   */
  public static prune(owner: IConstruct): void {
    const holder = owner as unknown as { [INDEX]?: ObjectIndex };
    const index = holder[INDEX];
    if (!index) return;
    const kept = index.objects.filter(inTree);
    if (kept.length === 0) {
      delete holder[INDEX];
      return;
    }
    index.objects.length = 0;
    index.lockers.length = 0;
    index.byIdentity = undefined;
    index.cycles = undefined;
    for (const o of kept) index.register(o);
  }

  private readonly objects: FluxObject[] = [];
  /** The objects that can lock every namespace (a multi-tenant FluxInstance). */
  private readonly lockers: FluxObject[] = [];
  private byIdentity?: Map<string, FluxObject[]>;
  private cycles?: Map<FluxObject, string[]>;

  private constructor(private readonly owner: IConstruct) {}

  /** Adds an object; called by every FluxObject at construction. */
  public register(o: FluxObject): void {
    this.objects.push(o);
    if (typeof (o as unknown as Locker)._locksNamespaces === 'function') this.lockers.push(o);
    this.byIdentity = undefined;
    this.cycles = undefined;
  }

  /** Every object of the cluster, in construction order. */
  public all(): readonly FluxObject[] {
    return this.objects;
  }

  /** The messages about `o` that need the whole cluster to find. */
  public check(o: FluxObject): string[] {
    const errors: string[] = [];
    const same = this.identityMap().get(identity(o)) ?? [];
    if (same.length > 1 && same[0] !== o) {
      errors.push(`duplicate ${o.kind} ${o.namespace}/${o.name}: ${same[0].node.path} defines it too; give one of them another metadata.name or namespace`);
    }
    const locked = this.isLocked(o.namespace);
    for (const ref of o.references()) errors.push(...this.checkReference(o, ref, locked));
    const cycle = this.cycleMap().get(o);
    if (cycle) errors.push(`dependsOn cycle: ${cycle.join(' -> ')}; remove one of these dependencies`);
    return errors;
  }

  private checkReference(o: FluxObject, ref: FluxReference, locked: boolean): string[] {
    const errors: string[] = [];
    const t = ref.target;
    const described = `${t.kind} ${t.namespace}/${t.name}`;
    if (!ref.kinds.includes(t.kind)) {
      errors.push(`${ref.field} refers to ${described}, but Flux accepts only ${ref.kinds.join(', ')} there${ref.kindHint ? `; ${ref.kindHint}` : ''}`);
    }
    if (!t.imported) {
      const found = this.identityMap().get(identity(t)) ?? [];
      const inThisCluster = found.includes(t as FluxObject) || (!isConstruct(t) && found.length > 0);
      if (!inThisCluster) {
        const where = isConstruct(t) && t.node.root === o.node.root ? 'it belongs to another cluster' : 'it is defined nowhere in this app';
        errors.push(`${ref.field} refers to ${described}, but ${where}; define it next to this object, or import it with fromName() if it is managed elsewhere`);
      }
    }
    if (ref.source && locked && t.namespace !== o.namespace) {
      errors.push(`${ref.field} refers to ${described} in another namespace, but namespace ${o.namespace} is locked down (no cross-namespace references); put the source in ${o.namespace}`);
    }
    return errors;
  }

  private isLocked(namespace: string): boolean {
    if (ClusterScope.isClusterScope(this.owner) && this.owner._isLocked(namespace)) return true;
    return this.lockers.some((o) => (o as unknown as Locker)._locksNamespaces() === true);
  }

  private identityMap(): Map<string, FluxObject[]> {
    if (!this.byIdentity) {
      this.byIdentity = new Map();
      for (const o of this.objects) {
        const key = identity(o);
        const list = this.byIdentity.get(key);
        if (list) list.push(o);
        else this.byIdentity.set(key, [o]);
      }
    }
    return this.byIdentity;
  }

  /** For each object on a dependsOn cycle that is the first of its cycle, the cycle as a list of names. */
  private cycleMap(): Map<FluxObject, string[]> {
    if (this.cycles) return this.cycles;
    const cycles = new Map<FluxObject, string[]>();
    const ids = this.identityMap();
    const edges = (o: FluxObject): FluxObject[] => o.references()
      .filter((r) => r.dependency)
      .map((r) => (FluxObject_is(r.target) ? r.target : ids.get(identity(r.target))?.[0]))
      .filter((t): t is FluxObject => t !== undefined && ids.get(identity(t))?.includes(t) === true);
    // Tarjan's strongly connected components, iterative to stay safe on long chains.
    const index = new Map<FluxObject, number>();
    const low = new Map<FluxObject, number>();
    const onStack = new Set<FluxObject>();
    const stack: FluxObject[] = [];
    let counter = 0;
    for (const start of this.objects) {
      if (index.has(start)) continue;
      const work: Array<{ node: FluxObject; next: FluxObject[]; i: number }> = [];
      const visit = (n: FluxObject) => {
        index.set(n, counter); low.set(n, counter); counter++;
        stack.push(n); onStack.add(n);
        work.push({ node: n, next: edges(n), i: 0 });
      };
      visit(start);
      while (work.length > 0) {
        const frame = work[work.length - 1];
        if (frame.i < frame.next.length) {
          const m = frame.next[frame.i++];
          if (!index.has(m)) visit(m);
          else if (onStack.has(m)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(m)!));
          continue;
        }
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1].node;
          low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
        }
        if (low.get(frame.node) === index.get(frame.node)) {
          const component: FluxObject[] = [];
          let m: FluxObject;
          do { m = stack.pop()!; onStack.delete(m); component.push(m); } while (m !== frame.node);
          const selfLoop = component.length === 1 && edges(component[0]).includes(component[0]);
          if (component.length > 1 || selfLoop) {
            const members = component.sort((a, b) => this.objects.indexOf(a) - this.objects.indexOf(b));
            cycles.set(members[0], describeCycle(members[0], new Set(members), edges));
          }
        }
      }
    }
    this.cycles = cycles;
    return cycles;
  }
}

/** Follows dependencies from `first` inside its component until it comes back, naming each step. */
function describeCycle(first: FluxObject, members: Set<FluxObject>, edges: (o: FluxObject) => FluxObject[]): string[] {
  // Breadth-first search for the shortest way back to `first`.
  const previous = new Map<FluxObject, FluxObject>();
  const queue: FluxObject[] = [first];
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const m of edges(n)) {
      if (!members.has(m)) continue;
      if (m === first) {
        const path: FluxObject[] = [n];
        while (path[0] !== first) path.unshift(previous.get(path[0])!);
        return [...path, first].map((o) => `${o.kind}/${o.name}`);
      }
      if (!previous.has(m)) { previous.set(m, n); queue.push(m); }
    }
  }
  return [`${first.kind}/${first.name}`];
}

/** An object that can lock the namespaces of its cluster. */
interface Locker {
  _locksNamespaces(): boolean;
}

/** Whether `c` is still in its root's construct tree: each scope up the way still holds it. */
function inTree(c: IConstruct): boolean {
  for (let child = c, parent = c.node.scope; parent; child = parent, parent = parent.node.scope) {
    if (parent.node.tryFindChild(child.node.id) !== child) return false;
  }
  return true;
}

function identity(o: IFluxObject): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}

function isConstruct(x: unknown): x is IConstruct {
  return x !== null && typeof x === 'object' && 'node' in x;
}

function FluxObject_is(x: unknown): x is FluxObject {
  return x !== null && typeof x === 'object' && Symbol.for('flux-fleet.FluxObject') in x;
}
