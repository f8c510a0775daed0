import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Bootstrap, BootstrapFacts } from './bootstrap.js';
import { Cluster, ClusterType, FleetVariables, VariablesOf } from './cluster.js';
import { Component, ComponentBuildContext, HelmComponent, HelmComponentProps, KustomizeComponent, KustomizeComponentProps } from './component.js';
import { Environment, EnvironmentProps } from './environment.js';
import type { Notification } from './notification.js';
import type { Registry } from './registry.js';
import type { Signing } from './signing.js';
import { Tenant, TenantProps } from './tenant.js';
import type { FluxDuration } from '../flux/core/duration.js';
import { Checks, isVariableName, q } from '../flux/core/rules.js';
import type { Kustomization } from '../flux/kustomize/kustomization.js';
import type { FluxComponent } from '../flux/operator/flux-instance.js';
import { OciRepository } from '../flux/source/oci-repository.js';

/** Fleet-wide Flux settings. */
export interface FleetFluxSettings {
  /** The Flux version: exact (`2.9.4`) or a range the operator keeps up with (`2.9.x`). @default "2.9.x" */
  readonly version?: string;
  /** The Flux controllers to install. @default - the Flux Operator's default set */
  readonly components?: FluxComponent[];
  /** How clusters are bootstrapped. @default Bootstrap.operator() */
  readonly bootstrap?: Bootstrap;
  /** Network policies restricting the Flux controllers' namespace. @default true */
  readonly networkPolicy?: boolean;
}

/** Props of a {@link Fleet}. */
export interface FleetProps {
  /** Where every cluster's artifacts live: one registry per region. */
  readonly registry: Registry;
  /**
   * The identity CI signs the fleet's artifacts with; every OCIRepository the fleet emits verifies it.
   * @default - none: production environments then fail synth unless they set `verify: false`
   */
  readonly signing?: Signing;
  /** Flux settings. @default - Flux 2.9.x through the Flux Operator */
  readonly flux?: FleetFluxSettings;
  /** How often sources look for new artifacts. @default 5m */
  readonly sourceInterval?: FluxDuration;
  /** How often reconcilers reconcile. @default 10m */
  readonly reconcileInterval?: FluxDuration;
  /** Where each cluster sends events about its Flux objects. @default - nowhere */
  readonly notifications?: Notification[];
}

/** A file of the synthesized tree and the chart whose objects it holds. */
export interface FleetFile {
  /** The path relative to the output folder, e.g. `clusters/prod-eu-1/podinfo.yaml`. */
  readonly path: string;
  /** The chart. */
  readonly chart: Chart;
}

const RUNTIME_INFO = 'flux-runtime-info';
/** Names of the files and folders the writer puts beside components': a component of that name would overwrite them. */
const RESERVED = ['components', 'tenants', 'flux-system', 'notifications', 'kustomization'];

/**
 * A fleet of clusters: environments, their clusters by region and wave, and the components and tenants they get.
 * Synth writes `clusters/<cluster>/` for each cluster: its bootstrap in `flux-system/`, a file per component, and a
 * kustomization.yaml per folder. `V` types the variables every cluster carries.
 */
export class Fleet<V extends VariablesOf<V> = FleetVariables> extends Construct {
  /** Whether `x` is a Fleet. */
  public static isFleet(x: unknown): x is Fleet<any> {
    return x instanceof Fleet;
  }

  /** The props, as given. */
  public readonly props: FleetProps;
  /** How clusters are bootstrapped. */
  public readonly bootstrap: Bootstrap;

  private readonly envs: Environment<V>[] = [];
  private readonly clusterList: Cluster<V>[] = [];
  private readonly componentList: Component<V>[] = [];
  private readonly tenantList: Tenant[] = [];
  private readonly notificationList: Notification[] = [];
  private readonly componentsScope: Construct;
  private readonly tenantsScope: Construct;
  private built = false;

  public constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    this.props = props;
    this.bootstrap = props.flux?.bootstrap ?? Bootstrap.operator();
    this.componentsScope = new Construct(this, 'components');
    this.tenantsScope = new Construct(this, 'tenants');
    this.notificationList.push(...(props.notifications ?? []));
    this.node.addValidation({ validate: () => this.check() });
  }

  /** The environments, in the order they were added. */
  public get environments(): readonly Environment<V>[] {
    return this.envs;
  }

  /** Every cluster, in the order added. */
  public get clusters(): readonly Cluster<V>[] {
    return this.clusterList;
  }

  /** Every component, in the order added. */
  public get components(): readonly Component<V>[] {
    return this.componentList;
  }

  /** Every tenant. */
  public get tenants(): readonly Tenant[] {
    return this.tenantList;
  }

  /** Adds an environment (staging, production...) with its release channel. */
  public addEnvironment(name: string, props: EnvironmentProps): Environment<V> {
    this.assertOpen('an environment');
    const env = new Environment<V>(this, name, props);
    this.envs.push(env);
    return env;
  }

  /** Adds a component: a kustomize tree from an OCI artifact in the fleet's registry. */
  public addComponent(name: string, props: KustomizeComponentProps<V>): KustomizeComponent<V> {
    this.assertOpen('a component');
    const component = new KustomizeComponent<V>(this.componentsScope, name, props);
    this.componentList.push(component);
    return component;
  }

  /** Adds a component: a Helm chart from an OCI registry. */
  public addHelmComponent(name: string, props: HelmComponentProps<V>): HelmComponent<V> {
    this.assertOpen('a component');
    const component = new HelmComponent<V>(this.componentsScope, name, props);
    this.componentList.push(component);
    return component;
  }

  /** Adds a tenant: a team's namespace, service account and permissions. */
  public addTenant(name: string, props: TenantProps = {}): Tenant {
    this.assertOpen('a tenant');
    const tenant = new Tenant(this.tenantsScope, name, props);
    this.tenantList.push(tenant);
    return tenant;
  }

  /** Sends each cluster's events to another destination. */
  public addNotification(notification: Notification): void {
    this.assertOpen('a notification');
    this.notificationList.push(notification);
  }

  /** @internal */
  public _registerCluster(cluster: Cluster<V>): void {
    this.assertOpen('a cluster');
    this.clusterList.push(cluster);
  }

  /** The URL of a cluster's own artifact: the content of `clusters/<name>/`. */
  public artifactUrl(cluster: Cluster<V>): string {
    return this.props.registry.urlFor(cluster.region, `clusters/${cluster.name}`);
  }

  /**
   * Builds every cluster's objects. Synth calls it once, so that everything added after construction reaches the
   * output; later additions are refused.
   */
  public build(): void {
    if (this.built) return;
    this.built = true;
    const cyclic = componentCycles(this.componentList);
    for (const cluster of this.clusterList) this.buildCluster(cluster, cyclic.members);
  }

  /** The synthesized files, sorted by path. Builds first. */
  public files(): FleetFile[] {
    this.build();
    return this.clusterList
      .flatMap((cluster) => cluster._files().map(({ file, chart }) => ({ path: `clusters/${cluster.name}/${file}`, chart })))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * What a cluster's bootstrap is made from: its Flux settings, its own artifact and tag, signature verification and
   * runtime facts. Synth and the Pulumi component both build the bootstrap objects from it.
   */
  public bootstrapFacts(cluster: Cluster<V>): BootstrapFacts {
    const env = cluster.env;
    const registry = this.props.registry;
    const verifies = env.verify ?? true;
    return {
      clusterName: cluster.name,
      environment: env.name,
      region: cluster.region,
      wave: cluster.wave,
      cloud: cluster.props.type ?? cloudOf(registry),
      size: cluster.props.size,
      multitenant: this.tenantList.some((t) => t.appliesTo(cluster)),
      networkPolicy: this.props.flux?.networkPolicy,
      flux: {
        version: cluster.props.flux?.version ?? this.props.flux?.version ?? '2.9.x',
        components: cluster.props.flux?.components ?? this.props.flux?.components,
      },
      sync: {
        url: this.artifactUrl(cluster),
        tag: cluster.tag ?? 'latest',
        settings: registry.sourceSettings(cluster.region),
        interval: this.props.sourceInterval,
      },
      verification: verifies ? this.props.signing?.verification() : undefined,
      runtimeInfo: runtimeInfoOf(cluster),
    };
  }

  private buildCluster(cluster: Cluster<V>, cyclic: Set<Component<V>>): void {
    const env = cluster.env;
    const tenants = this.tenantList.filter((t) => t.appliesTo(cluster));
    const multitenant = tenants.length > 0;
    const verifies = env.verify ?? true;
    const verification = verifies ? this.props.signing?.verification() : undefined;
    const registry = this.props.registry;
    const facts = this.bootstrapFacts(cluster);
    const runtimeInfo = { ...facts.runtimeInfo };
    this.bootstrap.build(cluster._addChart('flux-system', 'flux-system/flux-system.yaml', 'flux-system'), facts);

    if (multitenant) {
      const chart = cluster._addChart('tenants', 'tenants.yaml', undefined);
      for (const tenant of tenants) tenant._build(chart, { name: RUNTIME_INFO, data: runtimeInfo });
    }

    const present = this.componentList.filter((c) => c.appliesTo(cluster));
    const built = new Map<Component<V>, Kustomization>();
    const visiting = new Set<Component<V>>();
    const buildComponent = (component: Component<V>): Kustomization => {
      const done = built.get(component);
      if (done) return done;
      visiting.add(component);
      const dependencies: Kustomization[] = [];
      for (const dep of component.dependencies) {
        if (!present.includes(dep)) {
          component._problem(`depends on ${dep.name}, which this cluster does not get; target ${dep.name} at the cluster too, or narrow the targets of ${component.name}`, cluster.name);
        } else if (!(cyclic.has(component) && cyclic.has(dep)) && !visiting.has(dep)) {
          dependencies.push(buildComponent(dep));
        }
      }
      if (component.tenant && !tenants.includes(component.tenant)) {
        component._problem(`belongs to tenant ${component.tenant.name}, which this cluster does not have; target the tenant at the cluster too`, cluster.name);
      }
      const ctx: ComponentBuildContext = {
        cluster,
        registry,
        verification,
        verificationRequired: env.production && verifies,
        multitenant,
        sourceInterval: this.props.sourceInterval,
        reconcileInterval: this.props.reconcileInterval,
        runtimeInfoName: RUNTIME_INFO,
        dependencies,
        addChart: (id, file, namespace) => cluster._addChart(id, file, namespace),
        syncSource: (chart) => OciRepository.fromName(chart, 'sync-source', 'flux-system', { namespace: 'flux-system' }),
      };
      const kustomization = component._build(ctx);
      visiting.delete(component);
      built.set(component, kustomization);
      return kustomization;
    };
    for (const component of present) buildComponent(component);

    if (this.notificationList.length > 0) {
      const chart = cluster._addChart('notifications', 'notifications.yaml', 'flux-system');
      for (const n of this.notificationList) {
        n.build(chart, { clusterName: cluster.name, environment: env.name, region: cluster.region });
      }
    }
  }

  private check(): string[] {
    const c = new Checks();
    const byName = new Map<string, Cluster<V>[]>();
    for (const cluster of this.clusterList) byName.set(cluster.name, [...(byName.get(cluster.name) ?? []), cluster]);
    for (const [name, list] of byName) {
      if (list.length > 1) c.add(`cluster ${q(name)} is declared ${list.length} times (${list.map((x) => x.node.path).join(', ')}); cluster names must be unique across the fleet`);
    }
    for (const name of [...this.componentList.map((x) => x.name), ...this.envs.map((x) => x.name)]) {
      if (RESERVED.includes(name)) c.add(`the name ${q(name)} is reserved for the synthesized tree; choose another name`);
    }
    const regions = [...new Set(this.clusterList.map((x) => x.region))].sort();
    for (const region of regions) {
      const paths = this.clusterList.filter((x) => x.region === region).map((x) => `clusters/${x.name}`);
      for (const message of this.props.registry.validate(region, paths)) c.add(`registry: ${message}`);
    }
    for (const message of this.props.signing?.validate() ?? []) c.add(`signing: ${message}`);
    for (const env of this.envs) {
      const signs = this.props.signing !== undefined && this.props.signing.kind !== 'none';
      if (env.production && env.verify !== false && !signs) {
        c.add(`environment ${env.name} is production and requires signature verification, but the fleet declares no signing identity; set signing (e.g. Signing.githubActions({...})) on the fleet, or verify: false on the environment to turn verification off explicitly`);
      }
    }
    for (const cycle of componentCycles(this.componentList).cycles) {
      c.add(`component dependsOn cycle: ${cycle.join(' -> ')}; remove one of these dependencies`);
    }
    for (const n of this.notificationList) for (const message of n.validate()) c.add(`notification ${n.id}: ${message}`);
    return c.errors;
  }

  private assertOpen(what: string): void {
    if (this.built) throw new Error(`Fleet ${this.node.path} is already synthesized; add ${what} before synth`);
  }
}

/** The facts of a cluster that its components can substitute. */
function runtimeInfoOf(cluster: Cluster<any>): Record<string, string> {
  return {
    CLUSTER_NAME: cluster.name,
    CLUSTER_ENVIRONMENT: cluster.environment,
    CLUSTER_REGION: cluster.region,
    ...(cluster.wave !== undefined ? { CLUSTER_WAVE: String(cluster.wave) } : {}),
    ...(cluster.tag !== undefined ? { ARTIFACT_TAG: cluster.tag } : {}),
    // Variables with invalid names are reported at the cluster; they are left out here so as not to report them twice.
    ...Object.fromEntries(Object.entries(cluster.vars).filter(([k]) => isVariableName(k)).map(([k, v]) => [k, String(v as string)])),
  };
}

function cloudOf(registry: Registry): ClusterType {
  switch (registry.kind) {
    case 'ecr': return 'aws';
    case 'acr': return 'azure';
    case 'gar': return 'gcp';
    default: return 'kubernetes';
  }
}

/** The components on dependency cycles, and each cycle once, by name. */
function componentCycles<V extends VariablesOf<V>>(components: readonly Component<V>[]): { members: Set<Component<V>>; cycles: string[][] } {
  const members = new Set<Component<V>>();
  const cycles: string[][] = [];
  const state = new Map<Component<V>, 'visiting' | 'done'>();
  const stack: Component<V>[] = [];
  const visit = (c: Component<V>): void => {
    state.set(c, 'visiting');
    stack.push(c);
    for (const d of c.dependencies) {
      if (state.get(d) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(d));
        cycle.forEach((m) => members.add(m));
        cycles.push([...cycle, d].map((m) => m.name));
      } else if (!state.has(d)) {
        visit(d);
      }
    }
    stack.pop();
    state.set(c, 'done');
  };
  for (const c of components) if (!state.has(c)) visit(c);
  return { members, cycles };
}
