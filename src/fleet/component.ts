import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { Cluster, ClusterInfo, FleetVariables, VariablesOf } from './cluster.js';
import type { Registry } from './registry.js';
import type { Signing } from './signing.js';
import { matchesTargets, Targets } from './targets.js';
import type { Tenant } from './tenant.js';
import { ALLOW_INSECURE_ANNOTATION } from '../flux/core/api.js';
import type { FluxDuration } from '../flux/core/duration.js';
import { Checks, isSemverRange, q } from '../flux/core/rules.js';
import { allowedLiteralValues, findLiteralSecrets, literalSecretMessage, markSecretsChecked } from '../flux/core/secrets.js';
import { HELM_CHART_LAYER_SELECTOR, HelmRelease, HelmReleaseValuesReference } from '../flux/helm/helm-release.js';
import { HealthCheckTarget, Kustomization } from '../flux/kustomize/kustomization.js';
import { IOciRepository, OciRepository, OciRepositoryRef, OciVerification } from '../flux/source/oci-repository.js';


/** Props every component takes. */
export interface ComponentProps<V extends VariablesOf<V> = FleetVariables> {
  /** The clusters that get the component. @default - every cluster of the fleet */
  readonly targets?: Targets;
  /**
   * Components that must be ready first, on every cluster that gets this one (each of them must target those
   * clusters too).
   * @default - none
   */
  readonly dependsOn?: Component<V>[];
  /** The tenant the component belongs to: reconciled in its namespace, as its service account. @default - the platform's */
  readonly tenant?: Tenant;
  /** How often to reconcile. @default - the fleet's reconcile interval (10m) */
  readonly interval?: FluxDuration;
  /** Timeout of apply and health checks. @default - the interval */
  readonly timeout?: FluxDuration;
}

/** What a component needs to build its objects on one cluster, given by the fleet at synth. */
export interface ComponentBuildContext {
  readonly cluster: Cluster<any>;
  readonly registry: Registry;
  /** The fleet's signature verification for this cluster; undefined when its environment does not verify. */
  readonly verification?: OciVerification;
  /** Whether the cluster's environment requires verification of everything it pulls. */
  readonly verificationRequired: boolean;
  readonly multitenant: boolean;
  readonly sourceInterval?: FluxDuration;
  readonly reconcileInterval?: FluxDuration;
  /** The ConfigMap with the cluster's facts, for postBuild substitution. */
  readonly runtimeInfoName: string;
  /** The Kustomizations, on this cluster, of the components this one depends on. */
  readonly dependencies: Kustomization[];
  /** Adds a chart whose objects are written to `file` under the cluster's folder. */
  addChart(id: string, file: string, namespace: string): Chart;
  /** The cluster's own sync source (created by the bootstrap), as seen from `chart`. */
  syncSource(chart: Chart): IOciRepository;
}

const PLATFORM_NAMESPACE = 'flux-system';

/** The annotation that records a registry's explicit plain-HTTP opt-in on a source, for the tree validator. */
function insecureOptIn(insecure: boolean | undefined): Record<string, string> | undefined {
  return insecure ? { [ALLOW_INSECURE_ANNOTATION]: 'true' } : undefined;
}

/** Something deployed to clusters, reconciled on each by a Kustomization named after it. */
export abstract class Component<V extends VariablesOf<V> = FleetVariables> extends Construct {
  /** The component's name: the name of its file and of its Kustomization on each cluster. */
  public readonly name: string;
  /** The tenant it belongs to, if any. */
  public readonly tenant?: Tenant;

  private readonly deps: Component<V>[] = [];
  private readonly targets?: Targets;
  private readonly problems = new Map<string, string[]>();

  protected constructor(scope: Construct, name: string, props: ComponentProps<V>) {
    super(scope, name);
    this.name = name;
    this.tenant = props.tenant;
    this.targets = props.targets;
    for (const d of props.dependsOn ?? []) this.addDependency(d);
    this.node.addValidation({ validate: () => this.check() });
  }

  /** The components this one depends on. */
  public get dependencies(): readonly Component<V>[] {
    return this.deps;
  }

  /** Makes this component wait until `dependency` is ready, on every cluster that gets both. */
  public addDependency(...dependencies: Component<V>[]): void {
    this.deps.push(...dependencies);
  }

  /** Whether `cluster` gets this component. */
  public appliesTo(cluster: ClusterInfo<any>): boolean {
    return matchesTargets(this.targets, cluster);
  }

  /** The namespace of the component's reconciler on a cluster. */
  protected get namespace(): string {
    return this.tenant?.namespace ?? PLATFORM_NAMESPACE;
  }

  /** Records a problem found while building for `cluster`; problems with the same text are reported once. @internal */
  public _problem(message: string, cluster: string): void {
    const clusters = this.problems.get(message) ?? [];
    clusters.push(cluster);
    this.problems.set(message, clusters);
  }

  /** Creates the component's objects on one cluster; returns the Kustomization others depend on. @internal */
  public abstract _build(ctx: ComponentBuildContext): Kustomization;

  /** The service account a reconciler of this component runs as on a locked-down cluster. */
  protected serviceAccountFor(ctx: ComponentBuildContext, controller: 'kustomize-controller' | 'helm-controller'): string | undefined {
    if (this.tenant) return this.tenant.serviceAccountName;
    return ctx.multitenant ? controller : undefined;
  }

  /** The kind's own checks of its props. */
  protected abstract checkProps(c: Checks): void;

  private check(): string[] {
    const c = new Checks();
    c.dnsLabel('component name', this.name);
    this.checkProps(c);
    for (const [message, clusters] of this.problems) {
      c.add(`${message} (on cluster${clusters.length > 1 ? 's' : ''} ${clusters.join(', ')})`);
    }
    return c.errors;
  }
}

/** Props of a {@link KustomizeComponent}. */
export interface KustomizeComponentProps<V extends VariablesOf<V> = FleetVariables> extends ComponentProps<V> {
  /**
   * The OCI artifact holding the kustomize tree, as a repository path in the fleet's registry (e.g. `infra`): each
   * cluster pulls it from its own region's registry, at its channel's (or wave's) tag.
   */
  readonly artifact: string;
  /** The folder of the artifact to apply, relative, e.g. `./controllers`. @default - the artifact root */
  readonly path?: string;
  /** Wait until every applied object is ready before dependents start. @default false */
  readonly wait?: boolean;
  /** Objects whose readiness dependents wait for (instead of `wait`). @default - none */
  readonly healthChecks?: HealthCheckTarget[];
  /** Delete objects that leave the artifact. @default true */
  readonly prune?: boolean;
  /** Namespace of every applied object that has none. @default - the tenant's namespace, or the objects' own */
  readonly targetNamespace?: string;
  /**
   * Substitution variables computed from each cluster, on top of the runtime facts every component gets
   * (`CLUSTER_NAME`, `CLUSTER_ENVIRONMENT`, `CLUSTER_REGION`, `CLUSTER_WAVE`, `ARTIFACT_TAG` and the cluster variables).
   * @default - the runtime facts only
   */
  readonly substitutions?: (cluster: ClusterInfo<V>) => Record<string, string>;
}

/** A kustomize tree from an OCI artifact in the fleet's registry. */
export class KustomizeComponent<V extends VariablesOf<V> = FleetVariables> extends Component<V> {
  /** The props, as given. */
  public readonly props: KustomizeComponentProps<V>;

  /** @internal */
  public constructor(scope: Construct, name: string, props: KustomizeComponentProps<V>) {
    super(scope, name, props);
    this.props = props;
  }

  /** @internal */
  public _build(ctx: ComponentBuildContext): Kustomization {
    const p = this.props;
    const chart = ctx.addChart(this.name, `${this.name}.yaml`, this.namespace);
    const settings = ctx.registry.sourceSettings(ctx.cluster.region);
    const source = new OciRepository(chart, `${this.name}-source`, {
      metadata: { name: this.name, annotations: insecureOptIn(settings.insecure) },
      url: ctx.registry.urlFor(ctx.cluster.region, p.artifact),
      ref: ctx.cluster.env.channel.refFor(ctx.cluster.wave),
      interval: ctx.sourceInterval,
      provider: settings.provider,
      secretRef: settings.secretRef,
      insecure: settings.insecure,
      verify: ctx.verification,
    });
    const substitute = p.substitutions?.(ctx.cluster);
    for (const found of findLiteralSecrets(substitute ?? {}, 'substitute', allowedLiteralValues(this))) {
      this._problem(literalSecretMessage(found, 'keep it in a Secret on the cluster (or a SOPS-encrypted file in the artifact) and substitute from there'), ctx.cluster.name);
    }
    const kustomization = new Kustomization(chart, this.name, {
      sourceRef: source,
      path: p.path,
      interval: p.interval ?? ctx.reconcileInterval,
      timeout: p.timeout,
      prune: p.prune ?? true,
      wait: p.wait,
      healthChecks: p.healthChecks,
      dependsOn: ctx.dependencies,
      targetNamespace: p.targetNamespace ?? this.tenant?.namespace,
      serviceAccountName: this.serviceAccountFor(ctx, 'kustomize-controller'),
      postBuild: {
        substitute: substitute && Object.keys(substitute).length > 0 ? substitute : undefined,
        substituteFrom: [{ kind: 'ConfigMap', name: ctx.runtimeInfoName }],
      },
    });
    markSecretsChecked(kustomization);
    return kustomization;
  }

  protected checkProps(c: Checks): void {
    c.relativePath('path', this.props.path);
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(this.props.artifact)) {
      c.add(`artifact ${q(this.props.artifact)} is not a repository path: use lowercase letters, digits, '.', '_', '-' and '/', e.g. "infra" or "apps/podinfo"`);
    }
  }
}

/** Options of a chart source. */
export interface ChartSourceOptions {
  /** The chart version: exact (`6.7.0`) or a semver range (`6.x`). */
  readonly version: string;
  /**
   * Who signs the chart; clusters verify it. Production requires one unless `Signing.none()` says so explicitly.
   * @default - for a mirrored chart, the fleet's signing identity; for another registry's chart, none
   */
  readonly signing?: Signing;
}

/** Where a Helm component's chart comes from: an OCI registry. */
export class ChartSource {
  /** A chart in any OCI registry, e.g. `oci://ghcr.io/stefanprodan/charts/podinfo`. */
  public static oci(url: string, options: ChartSourceOptions): ChartSource {
    return new ChartSource(() => url, options, false);
  }

  /** A chart mirrored into the fleet's registry: each cluster pulls it from its own region. */
  public static mirrored(chart: string, options: ChartSourceOptions): ChartSource {
    return new ChartSource((registry, region) => registry.helmChartUrl(region, chart), options, true);
  }

  private constructor(
    private readonly url: (registry: Registry, region: string) => string,
    /** The options, as given. */
    public readonly options: ChartSourceOptions,
    /** Whether the chart is mirrored in the fleet's registry. */
    public readonly mirrored: boolean,
  ) {}

  /** The chart's URL for a cluster in `region`. */
  public urlFor(registry: Registry, region: string): string {
    return this.url(registry, region);
  }

  /** The OCIRepository `ref` for the version. */
  public get ref(): OciRepositoryRef {
    const v = this.options.version;
    return /^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$/.test(v) ? { tag: v } : { semver: v };
  }
}

/** Props of a {@link HelmComponent}. */
export interface HelmComponentProps<V extends VariablesOf<V> = FleetVariables> extends ComponentProps<V> {
  /** The chart. */
  readonly chart: ChartSource;
  /**
   * Helm values, or a function computing them from each cluster. Credentials do not belong here: a literal string
   * under a key such as `password` or `token` fails synth; reference a Secret with `valuesFrom` instead.
   * @default - the chart's defaults
   */
  readonly values?: Record<string, unknown> | ((cluster: ClusterInfo<V>) => Record<string, unknown>);
  /** ConfigMaps and Secrets on the cluster holding values (credentials, say), merged over `values`. @default - none */
  readonly valuesFrom?: HelmReleaseValuesReference[];
  /** The namespace the release installs into (created if missing). @default - the tenant's namespace, or the component's name */
  readonly targetNamespace?: string;
  /** The Helm release name. @default - the component's name */
  readonly releaseName?: string;
}

/**
 * A Helm chart from an OCI registry. On each cluster a Kustomization named after the component applies the chart's
 * OCIRepository and HelmRelease (from `components/<name>/` of the cluster's own artifact) and waits for the release,
 * so other components can depend on it: Flux does not order a HelmRelease against a Kustomization directly.
 */
export class HelmComponent<V extends VariablesOf<V> = FleetVariables> extends Component<V> {
  /** The props, as given. */
  public readonly props: HelmComponentProps<V>;

  /** @internal */
  public constructor(scope: Construct, name: string, props: HelmComponentProps<V>) {
    super(scope, name, props);
    this.props = props;
  }

  /** @internal */
  public _build(ctx: ComponentBuildContext): Kustomization {
    const p = this.props;
    const folder = `components/${this.name}`;
    const release = ctx.addChart(`${this.name}-release`, `${folder}/${this.name}.yaml`, this.namespace);
    const chartSigning = p.chart.options.signing;
    const verify = chartSigning ? chartSigning.verification() : (p.chart.mirrored ? ctx.verification : undefined);
    if (ctx.verificationRequired && !verify && !chartSigning) {
      this._problem(`chart ${q(p.chart.urlFor(ctx.registry, ctx.cluster.region))} has no signing identity, and production requires verification; set chart signing (e.g. Signing.githubActions(...)), or Signing.none() to turn it off explicitly`, ctx.cluster.name);
    }
    const settings = p.chart.mirrored ? ctx.registry.sourceSettings(ctx.cluster.region) : undefined;
    const source = new OciRepository(release, `${this.name}-chart`, {
      metadata: { name: this.name, annotations: insecureOptIn(settings?.insecure) },
      url: p.chart.urlFor(ctx.registry, ctx.cluster.region),
      ref: p.chart.ref,
      layerSelector: HELM_CHART_LAYER_SELECTOR,
      interval: ctx.sourceInterval,
      provider: settings?.provider,
      secretRef: settings?.secretRef,
      insecure: settings?.insecure,
      verify,
    });
    const values = typeof p.values === 'function' ? p.values(ctx.cluster) : p.values;
    for (const found of findLiteralSecrets(values ?? {}, 'values', allowedLiteralValues(this))) {
      this._problem(literalSecretMessage(found, `put it in a Secret on the cluster and reference it with valuesFrom (targetPath "${found.path.slice('values.'.length)}")`), ctx.cluster.name);
    }
    const helmRelease = new HelmRelease(release, this.name, {
      chartRef: source,
      interval: p.interval ?? ctx.reconcileInterval,
      timeout: p.timeout,
      releaseName: p.releaseName,
      targetNamespace: p.targetNamespace ?? this.tenant?.namespace ?? this.name,
      install: { createNamespace: !this.tenant },
      serviceAccountName: this.serviceAccountFor(ctx, 'helm-controller'),
      values,
      valuesFrom: p.valuesFrom,
    });
    markSecretsChecked(helmRelease);
    const wrapper = ctx.addChart(this.name, `${this.name}.yaml`, PLATFORM_NAMESPACE);
    return new Kustomization(wrapper, this.name, {
      sourceRef: ctx.syncSource(wrapper),
      path: `./${folder}`,
      interval: p.interval ?? ctx.reconcileInterval,
      timeout: p.timeout,
      prune: true,
      wait: true,
      dependsOn: ctx.dependencies,
      serviceAccountName: ctx.multitenant ? 'kustomize-controller' : undefined,
    });
  }

  protected checkProps(c: Checks): void {
    const v = this.props.chart.options.version;
    if (!isSemverRange(v)) c.add(`chart version ${q(v)} is not a version or semver range; use e.g. "6.7.0" or "6.x"`);
    c.dnsLabel('targetNamespace', this.props.targetNamespace);
    c.maxLength('releaseName', this.props.releaseName, 53);
    const url = this.props.chart.mirrored ? undefined : this.props.chart.urlFor(undefined as never, '');
    if (url !== undefined) c.ociUrl('chart url', url, 'chart version');
  }
}
