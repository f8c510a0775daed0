import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterProblems } from './cluster-problems.js';
import type { Cluster, FleetVariables, VariablesOf } from './cluster.js';
import { matchesTargets, Targets } from './targets.js';
import { Checks } from '../flux/core/rules.js';

/**
 * Creates objects for one cluster in `chart`: any construct that makes Kubernetes objects (a Flux kind such as a
 * `ResourceSet` or a `Kustomization`, a cdk8s-plus object, a raw `ApiObject`). The chart's namespace is the set's
 * `namespace`; `cluster` gives the cluster's name, environment, region, labels and variables.
 */
export type ClusterObjectsBuilder<V extends VariablesOf<V> = FleetVariables> = (chart: Chart, cluster: Cluster<V>) => void;

/** Options of `addObjects` (on the fleet, an environment or a cluster). */
export interface ClusterObjectsOptions {
  /**
   * The clusters that get the objects. On an environment or a cluster, the selection is narrowed to it.
   * @default - every cluster of the fleet (of the environment, or the one cluster)
   */
  readonly targets?: Targets;
  /** The namespace of the objects that set none. @default "flux-system" */
  readonly namespace?: string;
}

/**
 * A set of objects the fleet writes to `clusters/<cluster>/<name>.yaml` on every cluster it targets, listed in the
 * cluster's kustomization.yaml and checked like everything else: names unique and references resolved within the
 * cluster, the Flux kinds against their schemas, and problems reported with the cluster's name.
 */
export class ClusterObjects<V extends VariablesOf<V> = FleetVariables> extends Construct {
  /** The name of the set: its file is `<name>.yaml` in the cluster's folder. */
  public readonly name: string;
  /** The namespace of its objects that set none. */
  public readonly namespace: string;

  private readonly targets?: Targets;
  private readonly builder: ClusterObjectsBuilder<V>;
  private readonly problems = new ClusterProblems();

  /** @internal */
  public constructor(scope: Construct, name: string, builder: ClusterObjectsBuilder<V>, options: ClusterObjectsOptions = {}) {
    super(scope, `objects-${name}`);
    this.name = name;
    this.builder = builder;
    this.targets = options.targets;
    this.namespace = options.namespace ?? 'flux-system';
    this.node.addValidation({ validate: () => this.check() });
  }

  /** Whether `cluster` gets the objects. */
  public appliesTo(cluster: Cluster<any>): boolean {
    return matchesTargets(this.targets, cluster);
  }

  /** Records a problem found while building for `cluster`; problems with the same text are reported once. @internal */
  public _problem(message: string, cluster: string): void {
    this.problems.add(message, cluster);
  }

  /** Creates the objects in `chart` for `cluster`; returns the kinds of the API objects made. @internal */
  public _build(chart: Chart, cluster: Cluster<V>): string[] {
    this.builder(chart, cluster);
    return chart.node.findAll().filter(ApiObject.isApiObject).map((o) => o.kind);
  }

  private check(): string[] {
    const c = new Checks();
    c.dnsLabel('objects name', this.name);
    c.dnsLabel('objects namespace', this.namespace);
    for (const message of this.problems.messages()) c.add(message);
    return c.errors;
  }
}
