import { Chart } from 'cdk8s';
import type { Bootstrap } from './bootstrap.js';
import type { ClusterObjects, ClusterObjectsBuilder } from './cluster-objects.js';
import type { Environment } from './environment.js';
import { ClusterScope, ObjectIndex } from '../flux/core/object-index.js';
import { Checks, q } from '../flux/core/rules.js';
import type { FluxComponent } from '../flux/operator/flux-instance.js';

/** The typed variables every cluster of a fleet carries (domain, account id...). */
export type FleetVariables = Record<string, string | number | boolean>;

/** The constraint on a fleet's variables type: an interface or type whose every field is a string, number or boolean. */
export type VariablesOf<V> = { readonly [K in keyof V]: string | number | boolean };

/**
 * The keys of a cluster's `flux-runtime-info` ConfigMap that the fleet computes (its name, environment, region, wave
 * and the tag it follows): a cluster variable of the same name would replace what every component substitutes.
 */
export const COMPUTED_RUNTIME_KEYS: readonly string[] = ['CLUSTER_NAME', 'CLUSTER_ENVIRONMENT', 'CLUSTER_REGION', 'CLUSTER_WAVE', 'ARTIFACT_TAG'];

/** The Kubernetes distribution a cluster runs, as the Flux Operator names it. */
export type ClusterType = 'kubernetes' | 'openshift' | 'aws' | 'azure' | 'gcp';

/** Props of a cluster, apart from its variables. */
export interface ClusterBaseProps {
  /** The region the cluster runs in; its sources point at the fleet's registry in this region. */
  readonly region: string;
  /**
   * The rollout wave within its environment: wave 1 gets a release first. A cluster with a wave follows its own tag,
   * `<channel>-wave-<n>`.
   * @default - no wave: the cluster follows the channel's tag
   */
  readonly wave?: number;
  /** Labels that components and tenants select clusters by. @default - none */
  readonly labels?: Record<string, string>;
  /** The Kubernetes distribution. @default - the registry's cloud: aws for ECR, azure for ACR, gcp for GAR, else kubernetes */
  readonly type?: ClusterType;
  /** The Flux controllers' size profile. @default - the Flux Operator's default */
  readonly size?: 'small' | 'medium' | 'large';
  /**
   * Overrides of the fleet's Flux settings for this cluster: `version` (e.g. `2.10.x` on a cluster that upgrades
   * first; a fleet may run several Flux minors during an upgrade), `components`, `bootstrap` (e.g.
   * `Bootstrap.plain()` on a cluster that runs Flux from its signed release manifests rather than the Flux Operator),
   * and `multitenant` (the multi-tenancy lockdown, e.g. on a cluster whose tenants another tool creates).
   * @default - the fleet's
   */
  readonly flux?: ClusterFluxSettings;
}

/** A cluster's overrides of the fleet's Flux settings. */
export interface ClusterFluxSettings {
  /** The Flux version: exact (`2.10.1`) or a minor kept up with (`2.10.x`). @default - the fleet's */
  readonly version?: string;
  /** The Flux controllers to install. @default - the fleet's */
  readonly components?: FluxComponent[];
  /** How the cluster is bootstrapped. @default - the fleet's */
  readonly bootstrap?: Bootstrap;
  /**
   * The multi-tenancy lockdown (see `FleetFluxSettings.multitenant`); false fails synth on a cluster with tenants.
   * @default - the fleet's, else on when the cluster has tenants
   */
  readonly multitenant?: boolean;
}

/** The variables of a cluster whose fleet declares none (`new Fleet(...)` without a type argument): optional. */
export interface OptionalClusterVars<V> {
  /**
   * The cluster's variables (domain, account id...): strings, numbers or booleans by name. Components' value
   * functions read them as `cluster.vars`, and they land in the cluster's `flux-runtime-info` ConfigMap for
   * `postBuild` substitution. @default - none
   */
  readonly vars?: V;
}

/** The variables of a cluster whose fleet declares them (`new Fleet<{ domain: string }>(...)`): required. */
export interface RequiredClusterVars<V> {
  /**
   * The cluster's variables, of the type the fleet declares (e.g. `{ domain: 'eu.acme.io' }`): a missing or
   * misspelled one is a compile error. Components' value functions read them as `cluster.vars`, and they land in the
   * cluster's `flux-runtime-info` ConfigMap for `postBuild` substitution.
   */
  readonly vars: V;
}

/**
 * Props of a {@link Cluster}: every field of {@link ClusterBaseProps} (region, wave, labels, type, size, Flux
 * overrides), and `vars`, the cluster's typed variables, which are required when the fleet declares a variables type
 * ({@link RequiredClusterVars}) and optional when it does not ({@link OptionalClusterVars}).
 */
export type ClusterProps<V extends VariablesOf<V>> = ClusterBaseProps & ({} extends V ? OptionalClusterVars<V> : RequiredClusterVars<V>);

/** What components' value functions see of a cluster. */
export interface ClusterInfo<V extends VariablesOf<V> = FleetVariables> {
  /** The cluster's name. */
  readonly name: string;
  /** Its environment's name. */
  readonly environment: string;
  /** Its region. */
  readonly region: string;
  /** Its rollout wave within the environment. @default - no wave */
  readonly wave?: number;
  /** Its labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Its typed variables. */
  readonly vars: Readonly<V>;
  /** Whether its environment is production. */
  readonly production: boolean;
}

/**
 * A cluster of the fleet. Its synthesized objects live under it (it is a {@link ClusterScope}: names are unique and
 * references resolve within it), and synth writes them to `clusters/<name>/`.
 */
export class Cluster<V extends VariablesOf<V> = FleetVariables> extends ClusterScope implements ClusterInfo<V> {
  public readonly name: string;
  public readonly environment: string;
  public readonly region: string;
  public readonly wave?: number;
  public readonly labels: Readonly<Record<string, string>>;
  public readonly vars: Readonly<V>;
  public readonly production: boolean;
  /** The props, as given. */
  public readonly props: ClusterProps<V>;
  /** The environment. */
  public readonly env: Environment<V>;

  private readonly chartFiles = new Map<Chart, string>();

  /** @internal */
  public constructor(env: Environment<V>, name: string, props: ClusterProps<V>) {
    // The cluster's Flux minor decides the API versions its objects are emitted at.
    super(env, name, { fluxVersion: props.flux?.version ?? env.fleet.props.flux?.version });
    this.env = env;
    this.name = name;
    this.environment = env.name;
    this.region = props.region;
    this.wave = props.wave;
    this.labels = { ...props.labels };
    this.vars = { ...(props as { vars?: V }).vars } as V;
    this.production = env.production;
    this.props = props;
    this.node.addValidation({ validate: () => this.check() });
  }

  /** The tag the cluster's sources follow; undefined for a semver channel. */
  public get tag(): string | undefined {
    return this.env.channel.tagFor(this.wave);
  }

  /**
   * Adds objects to this cluster alone, written to `clusters/<cluster>/<name>.yaml`: `build` creates them in a chart
   * whose namespace is `namespace` (default `flux-system`). See {@link Fleet.addObjects}.
   */
  public addObjects(name: string, build: ClusterObjectsBuilder<V>, options: { readonly namespace?: string } = {}): ClusterObjects<V> {
    return this.env.fleet._addObjects(this, name, build, options, (cluster) => cluster === this);
  }

  /** Adds a chart whose objects synth writes to `file`, relative to the cluster's folder. @internal */
  public _addChart(id: string, file: string, namespace: string | undefined): Chart {
    const chart = new Chart(this, id, { namespace, disableResourceNameHashes: true });
    this.chartFiles.set(chart, file);
    return chart;
  }

  /** The cluster's output: each file, relative to `clusters/<name>/`, with its chart. @internal */
  public _files(): Array<{ file: string; chart: Chart }> {
    return [...this.chartFiles].map(([chart, file]) => ({ file, chart }));
  }

  /** Takes the charts of {@link _addChart} out of the construct tree, with their objects. @internal */
  public _release(): void {
    for (const chart of this.chartFiles.keys()) this.node.tryRemoveChild(chart.node.id);
    this.chartFiles.clear();
    ObjectIndex.prune(this);
  }

  private check(): string[] {
    const c = new Checks();
    c.dnsLabel('cluster name', this.name);
    if (this.wave !== undefined && (!Number.isInteger(this.wave) || this.wave < 1 || this.wave > 999)) {
      c.add(`wave ${q(this.wave)} is not a wave number; use a whole number from 1 to 999`);
    }
    if (this.wave !== undefined && this.env.channel.kind === 'semver') {
      c.add(`wave ${this.wave} needs a tag channel, but environment ${this.environment} follows the semver range ${q(this.env.channel.value)}; drop the wave or use a tag channel`);
    }
    for (const [key, value] of Object.entries(this.vars)) {
      c.variableName(`vars.${key}`, key);
      if (COMPUTED_RUNTIME_KEYS.includes(key)) {
        c.add(`vars.${key} ${q(value)} has the name of a runtime fact the fleet computes (${COMPUTED_RUNTIME_KEYS.join(', ')}), and would replace it in flux-runtime-info, which every component substitutes; give the variable another name, e.g. ${q(`${key}_OVERRIDE`)}`);
      }
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        c.add(`vars.${key} ${q(value)} is not a string, number or boolean; cluster variables become substitution values`);
      }
    }
    for (const [key, value] of Object.entries(this.labels)) {
      if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key)) c.add(`labels key ${q(key)} is not a label key; use e.g. "tier" or "acme.io/tier"`);
      if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(value)) c.add(`labels.${key} ${q(value)} is not a label value: at most 63 letters, digits, '-', '_' or '.'`);
    }
    return c.errors;
  }
}
