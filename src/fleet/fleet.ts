import * as path from 'node:path';
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Bootstrap, BootstrapFacts, SYNC_NAME } from './bootstrap.js';
import { ClusterObjects, ClusterObjectsBuilder, ClusterObjectsOptions } from './cluster-objects.js';
import { ClusterProblems } from './cluster-problems.js';
import { Cluster, ClusterType, COMPUTED_RUNTIME_KEYS, FleetVariables, VariablesOf } from './cluster.js';
import type { ComponentSource } from './component-source.js';
import { Component, ComponentBuildContext, HelmComponent, HelmComponentProps, KustomizeComponent, KustomizeComponentProps } from './component.js';
import { Environment, EnvironmentProps } from './environment.js';
import { describeLockRef, FleetLock, LOCK_FILE, lockKey, type LockRef, type LockRequest } from './fleet-lock.js';
import type { FleetExternalPull, FleetFolderArtifact, FleetRelease } from './fleet-release.js';
import { FolderArtifact, packFolder } from './folder-artifact.js';
import { HEALTH_REPORT_MIN_FLUX, type HealthReport } from './health-report.js';
import type { Notification, NotificationRouting } from './notification.js';
import { readOutsideProgram } from './program-calls.js';
import type { Registry } from './registry.js';
import { checkResolvedRollout, checkRollout, resolveRollout, type ResolvedRolloutSettings, type RolloutSettings } from './rollout.js';
import { checkVerify, fluxMinor, materialSecret, Signing, signingMaterialObjects } from './signing.js';
import type { PerCluster } from './source-ref.js';
import { matchesTargets } from './targets.js';
import { Tenant, TenantProps } from './tenant.js';
import { API_VERSION } from '../flux/core/api.js';
import type { FluxDuration } from '../flux/core/duration.js';
import { ValidationError } from '../flux/core/errors.js';
import { Checks, isVariableName, q } from '../flux/core/rules.js';
import { HealthCheckTarget, IKustomization, Kustomization } from '../flux/kustomize/kustomization.js';
import type { FluxComponent } from '../flux/operator/flux-instance.js';
import { IOciRepository, OciRepository, type OciVerification } from '../flux/source/oci-repository.js';

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
  /**
   * The multi-tenancy lockdown (FluxInstance `cluster.multitenant`; on plain Flux, the same controller flags): no
   * cross-namespace references, reconcilers impersonating a service account of their namespace, no remote kustomize
   * bases. A cluster's own `flux.multitenant` comes first. A cluster with tenants always runs it: false there fails
   * synth.
   * @default - on for the clusters that have tenants, off for the others
   */
  readonly multitenant?: boolean;
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
  /**
   * How environments roll out on evidence: where every cluster reports whether it runs a revision and is healthy on
   * it (`report`), and the soak, progress deadline, failures tolerated and approvals of every environment's waves.
   * An environment's own `rollout` wins, setting by setting.
   * @default - no report, and the defaults of {@link RolloutSettings}
   */
  readonly rollout?: RolloutSettings;
  /**
   * The folder that relative `ComponentSource.folder()` paths start from, e.g. the fleet repository's root.
   * @default - the working directory of the process when the fleet is created
   */
  readonly baseDir?: string;
  /**
   * The lock: the digest each upstream tag or range production pulls resolved to, once (`flux-fleet lock` writes it;
   * commit it and review its changes like package-lock.json). Synth pins production's OCI charts and external
   * artifacts to those digests, unless their source says `floating: true`, and fails when the lock lacks one.
   * @default - FleetLock.fromFile(`<baseDir>/flux-fleet.lock`); no file is an empty lock
   */
  readonly lock?: FleetLock;
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
const RESERVED = ['components', 'tenants', 'flux-system', 'notifications', 'sources', 'kustomization', 'signing-keys', 'health-report'];
/** Repository paths the fleet's registry uses for other things: clusters' own artifacts and mirrored charts. */
const RESERVED_ARTIFACT_NAMES = ['clusters', 'charts'];

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
  /** How clusters are bootstrapped, unless a cluster says otherwise (see {@link bootstrapOf}). */
  public readonly bootstrap: Bootstrap;
  /** The folder that relative `ComponentSource.folder()` paths start from, absolute. */
  public readonly baseDir: string;
  /** The lock production's upstream refs are pinned from. */
  public readonly lock: FleetLock;

  private readonly envs: Environment<V>[] = [];
  private readonly clusterList: Cluster<V>[] = [];
  private readonly componentList: Component<V>[] = [];
  private readonly tenantList: Tenant[] = [];
  private readonly notificationList: Array<{ notification: Notification; routing: NotificationRouting }> = [];
  private readonly objectSets: Array<{ set: ClusterObjects<V>; within?: (cluster: Cluster<V>) => boolean }> = [];
  private readonly buildProblems = new ClusterProblems();
  private readonly componentsScope: Construct;
  private readonly tenantsScope: Construct;
  /** The components on dependency cycles, once building has started (the declaration is then closed). */
  private cyclic?: Set<Component<V>>;
  /** The clusters whose objects are in the construct tree now. */
  private readonly builtClusters = new Set<Cluster<V>>();
  /** What building each cluster recorded; it stays when the cluster's objects are released. */
  private readonly records = new Map<Cluster<V>, ClusterRecord>();
  private readonly folders = new Map<string, { result: FolderArtifact | string[]; clusters: Set<Cluster<V>> }>();
  private readonly lockRequestList = new Map<string, { upstream: string; ref: LockRef; uses: Map<string, { kind: 'chart' | 'artifact'; component: string; clusters: Set<string> }> }>();
  /** One copy of each string the records of many clusters hold (the URL a region's clusters pull a chart from). */
  private readonly strings = new Map<string, string>();

  public constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    this.props = props;
    this.bootstrap = props.flux?.bootstrap ?? Bootstrap.operator();
    this.baseDir = path.resolve(props.baseDir ?? process.cwd());
    this.lock = props.lock ?? FleetLock.fromFile(path.join(this.baseDir, LOCK_FILE));
    this.componentsScope = new Construct(this, 'components');
    this.tenantsScope = new Construct(this, 'tenants');
    this.notificationList.push(...(props.notifications ?? []).map((notification) => ({ notification, routing: {} })));
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

  /** Every notification, with its routing, in the order added (those of the fleet's props first). */
  public get notifications(): ReadonlyArray<{ readonly notification: Notification; readonly routing: NotificationRouting }> {
    return this.notificationList;
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

  /**
   * Adds objects to every cluster the options target, written to `clusters/<cluster>/<name>.yaml`: `build` creates
   * them in a chart for each cluster, e.g. a policy `ResourceSet`, a `Kustomization` of a shared folder, cdk8s-plus
   * objects or raw `ApiObject`s, computed from the cluster as component values are.
   */
  public addObjects(name: string, build: ClusterObjectsBuilder<V>, options: ClusterObjectsOptions = {}): ClusterObjects<V> {
    return this._addObjects(this.componentsScope, name, build, options);
  }

  /** Registers a set of objects made on `scope`, for the clusters `within` accepts too. @internal */
  public _addObjects(
    scope: Construct,
    name: string,
    build: ClusterObjectsBuilder<V>,
    options: ClusterObjectsOptions,
    within?: (cluster: Cluster<V>) => boolean,
  ): ClusterObjects<V> {
    this.assertOpen('objects');
    const set = new ClusterObjects<V>(scope, name, build, options);
    this.objectSets.push({ set, within });
    return set;
  }

  /**
   * Sends events to another destination: from every cluster, or from the clusters `routing.targets` selects (an
   * environment, a region, a cluster), with the severity and event sources `routing` gives per cluster.
   */
  public addNotification(notification: Notification, routing: NotificationRouting = {}): void {
    this.assertOpen('a notification');
    this.notificationList.push({ notification, routing });
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
   * Builds every cluster's objects, so that everything added after construction reaches them; later additions are
   * refused. Synth does not need it: it builds, checks and writes one cluster at a time, keeping only what fleet-wide
   * files need, so that its memory does not grow with the fleet.
   */
  public build(): void {
    this._seal();
    for (const cluster of this.clusterList) this._buildCluster(cluster);
  }

  /**
   * Builds one cluster's objects, unless they are built: its charts, recording what the release and the fleet's checks
   * need. Later additions to the fleet are refused. A cluster in a region the registry has no registry for is not
   * built: its URLs cannot be computed, and the registry's problem is reported with the others (see check()).
   * @internal
   */
  public _buildCluster(cluster: Cluster<V>): void {
    if (this.builtClusters.has(cluster)) return;
    this._seal();
    if (!this.props.registry.hasRegion(cluster.region)) return;
    this.buildCluster(cluster, this.cyclic!);
    this.builtClusters.add(cluster);
  }

  /**
   * Takes a built cluster's objects out of the construct tree, once checked and written; what building it recorded
   * stays. Building it again makes them anew. @internal
   */
  public _releaseCluster(cluster: Cluster<V>): void {
    if (!this.builtClusters.delete(cluster)) return;
    this.records.get(cluster)!.verifyProblems = this.verifyProblems(cluster);
    cluster._release();
  }

  /**
   * Closes the declaration: later additions are refused, and what building needs of the whole fleet is known from now
   * on, the lock file's entries included (read now, so that they are part of what the fleet was declared with).
   * Building does it first. @internal
   */
  public _seal(): void {
    if (this.cyclic) return;
    this.cyclic = componentCycles(this.componentList).members;
    this.lock.problems();
  }

  /**
   * Records, for a cluster that is not built (a synth takes its files as a previous synth wrote them), the external
   * charts and artifacts it pulls, as building it records them. @internal
   */
  public _restoreCluster(cluster: Cluster<V>, pulls: readonly Omit<FleetExternalPull, 'cluster'>[]): void {
    this.records.set(cluster, { pulls: pulls.map((p) => ({ ...p, cluster })), verifyProblems: [] });
  }

  /**
   * What the fleet releases beside its clusters' own artifacts: the folders synth packs (each with the clusters that
   * get it) and the external charts and artifacts each cluster pulls. Builds the clusters never built first.
   */
  public release(): FleetRelease {
    for (const cluster of this.clusterList) if (!this.records.has(cluster)) this._buildCluster(cluster);
    return this._release(this.clusterList);
  }

  /** The external charts and artifacts building a cluster recorded, in build order. @internal */
  public _pullsOf(cluster: Cluster<V>): readonly FleetExternalPull[] {
    return this.records.get(cluster)?.pulls ?? [];
  }

  /** What {@link release} gives, for some of the clusters only, each built before. @internal */
  public _release(clusters: Iterable<Cluster<V>>): FleetRelease {
    const selected = new Set(clusters);
    const artifacts: FleetFolderArtifact[] = [];
    for (const { result, clusters: users } of this.folders.values()) {
      const using = [...users].filter((c) => selected.has(c));
      if (!Array.isArray(result) && using.length > 0) artifacts.push({ artifact: result, clusters: using });
    }
    artifacts.sort((a, b) => (a.artifact.name < b.artifact.name ? -1 : a.artifact.name > b.artifact.name ? 1 : 0));
    const external = this.clusterList.filter((c) => selected.has(c)).flatMap((c) => this.records.get(c)?.pulls ?? []);
    return { artifacts, external };
  }

  /**
   * The upstream refs production pulls and the lock pins (found there or not), with what each is for: what
   * `flux-fleet lock` resolves. Builds the clusters never built first, one at a time.
   */
  public lockRequests(): LockRequest[] {
    // Each cluster not built yet is built and let go: what the lock must hold is recorded on the way.
    for (const cluster of this.clusterList) {
      if (this.records.has(cluster)) continue;
      this._buildCluster(cluster);
      this._releaseCluster(cluster);
    }
    return [...this.lockRequestList.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => ({
      upstream: r.upstream,
      ref: r.ref,
      usedBy: [...r.uses.values()].map((u) => ({ kind: u.kind, component: u.component, clusters: [...u.clusters].sort() })),
    }));
  }

  /** The synthesized files, sorted by path. Builds first. */
  public files(): FleetFile[] {
    this.build();
    return this.clusterList.flatMap((cluster) => this._filesOf(cluster)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The files of one built cluster, in the order its charts were made. @internal */
  public _filesOf(cluster: Cluster<V>): FleetFile[] {
    return cluster._files().map(({ file, chart }) => ({ path: `clusters/${cluster.name}/${file}`, chart }));
  }

  /** Whether a cluster's objects are in the construct tree now. @internal */
  public _isBuilt(cluster: Cluster<V>): boolean {
    return this.builtClusters.has(cluster);
  }

  /** How `cluster` is bootstrapped: its own `flux.bootstrap`, else the fleet's. */
  public bootstrapOf(cluster: Cluster<V>): Bootstrap {
    return cluster.props.flux?.bootstrap ?? this.bootstrap;
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
      multitenant: this.multitenantOf(cluster),
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
        ...(this.rolloutOf(env).report ? { healthChecks: this.componentHealthChecks(cluster) } : {}),
      },
      verification: verifies ? this.signingOf(env)?.verification() : undefined,
      runtimeInfo: runtimeInfoOf(cluster),
      release: { production: env.production, deployOnPush: env.deployOnPush },
    };
  }

  /** Whether a cluster runs the multi-tenancy lockdown: its own `flux.multitenant`, else the fleet's, else whether it has tenants. */
  public multitenantOf(cluster: Cluster<V>): boolean {
    const hasTenants = this.tenantList.some((t) => t.appliesTo(cluster));
    return cluster.props.flux?.multitenant ?? this.props.flux?.multitenant ?? hasTenants;
  }

  private buildCluster(cluster: Cluster<V>, cyclic: Set<Component<V>>): void {
    const record: ClusterRecord = { pulls: [] };
    this.records.set(cluster, record);
    const env = cluster.env;
    const tenants = this.tenantList.filter((t) => t.appliesTo(cluster));
    const multitenant = this.multitenantOf(cluster);
    if (!multitenant && tenants.length > 0) {
      const where = cluster.props.flux?.multitenant === false ? `on the cluster (${cluster.node.path})` : 'on the fleet';
      this.buildProblem(`flux.multitenant is false ${where}, but the cluster has tenants (${tenants.map((t) => t.name).join(', ')}), whose isolation rests on the multi-tenancy lockdown; drop multitenant: false, or narrow the tenants' targets`, cluster.name);
    }
    const verifies = env.verify ?? true;
    const signing = verifies ? this.signingOf(env) : undefined;
    const verification = signing?.verification();
    const registry = this.props.registry;
    // The public material each namespace's sources verify with: the sync source's in flux-system, then each source's.
    const material = new Map<string, Signing>();
    if (signing) material.set(`flux-system/${signing.material()?.secretName}`, signing);
    const verifyWith = (own: Signing | undefined, namespace: string, environmentFallback = true): OciVerification | undefined => {
      const chosen = verifies ? own ?? (environmentFallback ? signing : undefined) : undefined;
      const m = chosen?.material();
      if (chosen && m) material.set(`${namespace}/${m.secretName}`, chosen);
      return chosen?.verification();
    };
    // The bootstrap's own sources (the operator chart, Flux's release manifests) verify their signers' material too.
    for (const own of this.bootstrapOf(cluster).signings()) {
      const m = own.material();
      if (m) material.set(`flux-system/${m.secretName}`, own);
    }
    const facts = this.bootstrapFacts(cluster);
    const runtimeInfo = { ...facts.runtimeInfo };
    const bootstrapChart = cluster._addChart('flux-system', 'flux-system/flux-system.yaml', 'flux-system');
    this.bootstrapOf(cluster).build(bootstrapChart, facts);

    let tenantsChart: Chart | undefined;
    if (tenants.length > 0) {
      tenantsChart = cluster._addChart('tenants', 'tenants.yaml', undefined);
      const pullSecret = registry.sourceSettings(cluster.region).secretRef?.name;
      for (const tenant of tenants) tenant._build(tenantsChart, { name: RUNTIME_INFO, data: runtimeInfo }, pullSecret);
    }

    const present = this.componentList.filter((c) => c.appliesTo(cluster));
    const sources = new Map<string, IOciRepository>();
    const sourceNames = new Set<string>();
    let sourcesChart: Chart | undefined;
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
        verifyWith,
        multitenant,
        sourceInterval: this.props.sourceInterval,
        reconcileInterval: this.props.reconcileInterval,
        runtimeInfoName: RUNTIME_INFO,
        fluxComponents: facts.flux.components,
        healthChecked: this.rolloutOf(env).report !== undefined,
        dependencies,
        // The folder's files are read outside the program: recorded, so that a synth cache reads them again.
        folderArtifact: (source) => readOutsideProgram(this, this.folderArtifact, source, cluster),
        recordExternal: (pull) => record.pulls.push({ ...pull, url: this.shared(pull.url), component: component.name, cluster }),
        pinFromLock: (kind, upstream, ref) => this.pinFromLock(kind, upstream, ref, component.name, cluster.name),
        addChart: (id, file, namespace) => cluster._addChart(id, file, namespace),
        sharedSource: (key, name, namespace, create, named = false) => {
          let source = sources.get(key);
          if (!source) {
            sourcesChart ??= cluster._addChart('sources', 'sources.yaml', undefined);
            // Two different sources that would take one name: the later one is named after its component too, unless
            // its name was given, which is then a problem.
            const taken = (n: string) => sourceNames.has(`${namespace}/${n}`);
            if (named && taken(name)) {
              component._problem(`sourceName ${q(name)} is the name of another source in namespace ${q(namespace)} (another URL, ref, credentials or signer); give this source another name`, cluster.name);
            }
            const unique = taken(name) ? `${name}-${component.name}` : name;
            sourceNames.add(`${namespace}/${unique}`);
            source = create(sourcesChart, unique);
            sources.set(key, source);
          }
          return source;
        },
        syncSource: (chart) => OciRepository.fromName(chart, 'sync-source', 'flux-system', { namespace: 'flux-system' }),
      };
      const kustomization = component._build(ctx);
      visiting.delete(component);
      built.set(component, kustomization);
      return kustomization;
    };
    for (const component of present) buildComponent(component);
    // The sync source verifies before anything of the artifact applies: flux-system's material comes with the bootstrap.
    signingMaterialObjects(() => bootstrapChart, new Map([...material].filter(([k]) => k.startsWith('flux-system/'))));
    signingMaterialObjects(() => cluster._addChart('signing', 'signing-keys.yaml', undefined), new Map([...material].filter(([k]) => !k.startsWith('flux-system/'))));

    const files = new Map<string, string>();
    for (const { set, within } of this.objectSets) {
      if (!set.appliesTo(cluster) || (within && !within(cluster))) continue;
      const earlier = files.get(set.name);
      if (earlier !== undefined) {
        set._problem(`objects ${q(set.name)} are added twice (${earlier} and ${set.node.path}), and both would be written to ${set.name}.yaml; give one another name`, cluster.name);
        continue;
      }
      files.set(set.name, set.node.path);
      const kinds = set._build(cluster._addChart(`objects--${set.name}`, `${set.name}.yaml`, set.namespace), cluster);
      if (kinds.includes('HelmRelease') && facts.flux.components && !facts.flux.components.includes('helm-controller')) {
        set._problem('holds a HelmRelease, but the cluster\'s Flux components leave out helm-controller, so it would never be reconciled; add "helm-controller" to flux.components (of the fleet or the cluster), or leave the HelmRelease out on this cluster', cluster.name);
      }
    }

    // The Kustomizations whose source carries the fleet repository's commit: the sync, and those applying its artifact.
    const commitSources = (chart: Chart): IKustomization[] => [
      Kustomization.fromName(chart, 'sync', SYNC_NAME, { namespace: 'flux-system' }),
      ...[...built].filter(([component]) => component instanceof HelmComponent).map(([, k]) => k),
    ];
    const report = this.rolloutOf(env).report;
    if (report) {
      const chart = cluster._addChart('health-report', 'health-report.yaml', 'flux-system');
      report.build(chart, { clusterName: cluster.name, environment: env.name, region: cluster.region, sync: Kustomization.fromName(chart, 'sync', SYNC_NAME, { namespace: 'flux-system' }) });
    }

    const notifications = this.notificationList.filter((n) => matchesTargets(n.routing.targets, cluster));
    const tenantSecrets = new Set<string>();
    if (notifications.length > 0) {
      const chart = cluster._addChart('notifications', 'notifications.yaml', 'flux-system');
      const carrying = commitSources(chart);
      for (const { notification, routing } of notifications) {
        const eventSources = typeof routing.eventSources === 'function' ? routing.eventSources(cluster) : routing.eventSources;
        const routed = routedTenants(routing, tenants);
        // The notification's own sources win over the routing's: check those that will be used.
        for (const source of notification.eventSources ?? eventSources ?? []) {
          const namespace = source.options.namespace;
          if (multitenant && namespace !== undefined && namespace !== 'flux-system' && !routed.some((t) => t.namespace === namespace)) {
            this.buildProblem(`notification ${notification.id}: event source ${source.kind} in namespace ${q(namespace)} is dropped on a cluster with tenants, where notification-controller refuses Alerts watching other namespaces (--no-cross-namespace-refs); watch flux-system only there and route the notification to the tenant owning ${q(namespace)} (tenants: true), or narrow the notification's targets to clusters without tenants`, cluster.name);
          }
        }
        const options = {
          clusterName: cluster.name,
          environment: env.name,
          region: cluster.region,
          severity: typeof routing.severity === 'function' ? routing.severity(cluster) : routing.severity,
          eventSources,
          commitSources: carrying,
        };
        // Under the lockdown an Alert watches its own namespace only: each tenant routed to gets its own Provider and Alert.
        notification.build(chart, { ...options, ownNamespaceOnly: multitenant });
        for (const tenant of routed) {
          notification.build(new Construct(chart, `tenant-${tenant.name}--${notification.id}`), {
            ...options,
            ownNamespaceOnly: true,
            namespace: tenant.namespace,
            tenant: tenant.name,
          });
          const secretKey = `${tenant.name}/${notification.secretName}`;
          if (!tenant.providesNotificationSecret) {
            this.buildProblem(`notification ${notification.id}: routed to tenant ${tenant.name}, whose Provider reads the Secret ${q(notification.secretName)} in namespace ${q(tenant.namespace)}, which nothing provides there (Secrets are not shared across namespaces); set notificationSecret on the tenant: TenantNotificationSecret.external() if something else puts it there, or TenantNotificationSecret.objects(...) to have the fleet write what creates it`, cluster.name);
          } else if (tenantsChart && !tenantSecrets.has(secretKey)) {
            tenantSecrets.add(secretKey);
            tenant._buildNotificationSecret(tenantsChart, notification.secretName);
          }
        }
      }
    }
  }

  /**
   * How `env` rolls out: its own rollout settings over the fleet's, setting by setting, with the defaults for what
   * neither sets; `report` is where its clusters report, when either declares it.
   */
  public rolloutOf(env: Environment<V>): ResolvedRolloutSettings & { readonly report?: HealthReport } {
    const index = this.envs.indexOf(env);
    return resolveRollout(this.props.rollout, env.rollout, index > 0 ? this.envs[index - 1].name : undefined);
  }

  /** The Kustomization of every component a cluster gets: what its sync's readiness waits for when it reports. */
  private componentHealthChecks(cluster: Cluster<V>): HealthCheckTarget[] {
    return this.componentList.filter((c) => c.appliesTo(cluster)).map((c) => ({
      apiVersion: API_VERSION.kustomize,
      kind: 'Kustomization',
      name: c.name,
      namespace: c.tenant?.namespace ?? 'flux-system',
    }));
  }

  /** The one copy of `s` the fleet's records share. */
  private shared(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  /** Records a problem found while building `cluster`; the same text is reported once, with every cluster. */
  private buildProblem(message: string, cluster: string): void {
    this.buildProblems.add(message, cluster);
  }

  /** The problems of a built cluster's signature verification, as {@link check} reports them. */
  private verifyProblems(cluster: Cluster<V>): string[] {
    const problems: string[] = [];
    const version = cluster.props.flux?.version ?? this.props.flux?.version ?? '2.9.x';
    const verifying = (cluster.env.verify ?? true) ? this.signingOf(cluster.env) : undefined;
    const minor = fluxMinor(version);
    if (verifying && !verifying.legacyCompatible && minor !== undefined && minor < 2008) {
      problems.push(`cluster ${cluster.name} runs Flux ${version}, which reads only cosign v2 .sig signatures, and its environment's signer writes Sigstore bundles only (Flux v2.8+); move the cluster to Flux 2.8 or newer, or sign with a key declared with legacySig: true`);
    }
    for (const { file, chart } of cluster._files()) {
      for (const message of checkVerify(chart, version, true)) problems.push(`cluster ${cluster.name} (${file}): ${message}`);
    }
    return problems;
  }

  /** Packs a folder source once per folder, recording that `cluster` uses it; the problems found instead. */
  private folderArtifact(source: ComponentSource, cluster: Cluster<V>): FolderArtifact | string[] {
    const folder = path.resolve(this.baseDir, source.location);
    let entry = this.folders.get(folder);
    if (!entry) {
      entry = { result: this.packFolder(source, folder), clusters: new Set() };
      this.folders.set(folder, entry);
    }
    const named = (source.options as { name?: string }).name;
    if (!Array.isArray(entry.result) && named !== undefined && named !== entry.result.name) {
      return [`folder ${q(source.location)} is packed once, as artifact ${q(entry.result.name)}, but is also named ${q(named)} here; give every ComponentSource.folder() of ${folder} the same name, or share one ComponentSource`];
    }
    entry.clusters.add(cluster);
    return entry.result;
  }

  private packFolder(source: ComponentSource, folder: string): FolderArtifact | string[] {
    const what = `folder ${q(source.location)}`;
    const name = (source.options as { name?: string }).name ?? path.basename(folder);
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*$/.test(name) || RESERVED_ARTIFACT_NAMES.includes(name)) {
      return [`${what} would be artifact ${q(name)}, which is not a usable artifact name (lowercase letters, digits, '.', '_' and '-'; not ${RESERVED_ARTIFACT_NAMES.map((n) => q(n)).join(' or ')}); name it with ComponentSource.folder(${q(source.location)}, { name: "infra" })`];
    }
    for (const [other, { result }] of this.folders) {
      if (!Array.isArray(result) && result.name === name) {
        return [`${what} (${folder}) would be artifact ${q(name)}, like the folder ${other}; give one of them another name with ComponentSource.folder(..., { name })`];
      }
    }
    const packed = packFolder(name, folder, what);
    return packed.artifact ?? packed.problems;
  }

  /** The lock's entry for a ref a production cluster pulls, recorded as a request; a problem when there is none. */
  private pinFromLock(kind: 'chart' | 'artifact', upstream: string, ref: LockRef, component: string, cluster: string): { digest: string; tag: string } | string {
    const key = lockKey(upstream, ref);
    const request = this.lockRequestList.get(key) ?? { upstream, ref, uses: new Map() };
    this.lockRequestList.set(key, request);
    const use = request.uses.get(`${kind} ${component}`) ?? { kind, component, clusters: new Set<string>() };
    use.clusters.add(cluster);
    request.uses.set(`${kind} ${component}`, use);
    const entry = this.lock.entryFor(upstream, ref);
    if (entry) return { digest: entry.digest, tag: entry.tag };
    return `${kind} ${q(upstream)} at ${describeLockRef(ref)} has no entry in ${this.lock.where}, and production pins what it pulls from upstream ` +
      'to the digest the lock records (an upstream re-tag then changes nothing until the lock does in a reviewed change); run ' +
      '`npx flux-fleet lock --app "<the command that synthesizes this fleet>"` (the app of cdk8s.yaml by default) and commit the lock file, ' +
      'or set floating: true on the source to follow upstream';
  }

  private check(): string[] {
    const c = new Checks();
    for (const message of this.lock.problems()) c.add(message);
    for (const message of this.buildProblems.messages()) c.add(message);
    const byName = new Map<string, Cluster<V>[]>();
    for (const cluster of this.clusterList) byName.set(cluster.name, [...(byName.get(cluster.name) ?? []), cluster]);
    for (const [name, list] of byName) {
      if (list.length > 1) c.add(`cluster ${q(name)} is declared ${list.length} times (${list.map((x) => x.node.path).join(', ')}); cluster names must be unique across the fleet`);
    }
    for (const name of [...this.componentList.map((x) => x.name), ...this.envs.map((x) => x.name), ...this.objectSets.map((x) => x.set.name)]) {
      if (RESERVED.includes(name)) c.add(`the name ${q(name)} is reserved for the synthesized tree; choose another name`);
    }
    for (const { set } of this.objectSets) {
      if (this.componentList.some((x) => x.name === set.name)) {
        c.add(`objects ${q(set.name)} (${set.node.path}) and the component ${q(set.name)} would both be written to ${set.name}.yaml; give the objects another name`);
      }
    }
    // Environment and region names travel into tags, registry paths, CI variables and messages: DNS labels only.
    for (const env of this.envs) c.dnsLabel('environment name', env.name);
    const regions = [...new Set(this.clusterList.map((x) => x.region))].sort();
    for (const region of regions) {
      const users = this.clusterList.filter((x) => x.region === region).map((x) => x.name);
      c.dnsLabel(`region of cluster${users.length === 1 ? '' : 's'} ${users.join(', ')}`, region);
      const paths = this.clusterList.filter((x) => x.region === region).map((x) => `clusters/${x.name}`);
      for (const message of this.props.registry.validate(region, paths)) c.add(`registry: ${message}`);
    }
    for (const message of this.props.signing?.validate() ?? []) c.add(`signing: ${message}`);
    for (const env of this.envs) {
      for (const message of env.signing?.validate() ?? []) c.add(`environment ${env.name} signing: ${message}`);
    }
    // Signing and credentials computed per cluster are checked as they are computed, and reported with the cluster.
    const literal = <T>(value: T | ((...args: any[]) => T) | undefined): T | undefined => (typeof value === 'function' ? undefined : value);
    for (const t of this.tenantList) {
      for (const message of literal(t.props.signing)?.validate() ?? []) c.add(`tenant ${t.name} signing: ${message}`);
      for (const message of literal(t.props.pullCredentials)?.validate() ?? []) c.add(`tenant ${t.name} pullCredentials: ${message}`);
    }
    const bootstraps = new Set([this.bootstrap, ...this.clusterList.map((x) => this.bootstrapOf(x))]);
    for (const b of bootstraps) for (const own of b.signings()) for (const message of own.validate()) c.add(`bootstrap signing: ${message}`);
    for (const x of this.componentList) for (const message of literal((x as { props?: { signing?: PerCluster<Signing> } }).props?.signing)?.validate() ?? []) c.add(`component ${x.name} signing: ${message}`);
    for (const cluster of this.clusterList) {
      // A cluster's objects are checked while built (a change made to them meanwhile counts), else as they were.
      const problems = this.builtClusters.has(cluster) ? this.verifyProblems(cluster) : this.records.get(cluster)?.verifyProblems ?? [];
      for (const message of problems) c.add(message);
    }
    // The fleet's own artifacts (configs, packed folders) are signed by one release pipeline: the environments' CI
    // signers must name one pipeline (refs may differ); a key signs in any pipeline.
    const pipelines = new Map<string, string[]>();
    for (const env of this.envs) {
      const ci = env.verify === false ? undefined : (() => {
        const id = this.signingOf(env)?.identity();
        return id?.keyless ? id.ci : undefined;
      })();
      if (!ci) continue;
      const pipeline = ci.system === 'github-actions'
        ? `the GitHub Actions workflow ${ci.workflow} of ${ci.repository}`
        : `the GitLab CI pipeline ${ci.configPath} of ${ci.host}/${ci.project}`;
      pipelines.set(pipeline, [...(pipelines.get(pipeline) ?? []), env.name]);
    }
    if (pipelines.size > 1) {
      c.add(`the environments are signed by ${pipelines.size} different release pipelines (${[...pipelines].map(([p, envs]) => `${envs.join(', ')}: ${p}`).join('; ')}), `
        + 'and one pipeline signs the fleet\'s own artifacts as one identity: declare the same repository and workflow (or project and configPath) for every environment, with the ref each signs on, or sign some environments with a key (Signing.cosignKey)');
    }
    for (const env of this.envs) {
      const envSigning = this.signingOf(env);
      const signs = envSigning !== undefined && envSigning.kind !== 'none';
      if (env.production && env.verify !== false && !signs) {
        c.add(`environment ${env.name} is production and requires signature verification, but the fleet declares no signing identity; set signing (e.g. Signing.githubActions({...})) on the fleet, or verify: false on the environment to turn verification off explicitly`);
      }
    }
    for (const cycle of componentCycles(this.componentList).cycles) {
      c.add(`component dependsOn cycle: ${cycle.join(' -> ')}; remove one of these dependencies`);
    }
    for (const message of checkRollout('rollout', this.props.rollout)) c.add(message);
    if (this.props.rollout?.promotedFrom) {
      c.add(`rollout promotedFrom is set on the fleet (${this.props.rollout.promotedFrom.name}), where it would name every environment, itself included; set it on the environments that are promoted from it`);
    }
    const cannotReport: string[] = [];
    for (const env of this.envs) {
      const waves = [...new Set(env.clusters.map((x) => x.wave).filter((w): w is number => w !== undefined))].sort((a, b) => a - b);
      // The fleet's report is checked once, above; the environment's approvals against its own waves.
      for (const message of checkRollout(`environment ${env.name} rollout`, env.rollout, waves)) c.add(message);
      for (const message of checkResolvedRollout(`environment ${env.name} rollout`, this.rolloutOf(env))) c.add(message);
      const from = env.rollout?.promotedFrom;
      if (from === env) c.add(`environment ${env.name} rollout promotedFrom names the environment itself; name the environment a release reaches before it`);
      else if (from && !this.envs.includes(from as Environment<V>)) c.add(`environment ${env.name} rollout promotedFrom names environment ${from.name} (${from.node.path}), which is not an environment of this fleet; name one added with addEnvironment() on this fleet`);
      if (!this.rolloutOf(env).report) continue;
      for (const cluster of env.clusters) {
        const version = cluster.props.flux?.version ?? this.props.flux?.version ?? '2.9.x';
        const minor = fluxMinor(version);
        if (minor !== undefined && minor < fluxMinor(HEALTH_REPORT_MIN_FLUX)!) cannotReport.push(`${cluster.name} (Flux ${version})`);
      }
    }
    if (cannotReport.length > 0) {
      c.add(`rollout report is declared for clusters whose Flux cannot report failures (notification-controller sends them to a forge from Flux ${HEALTH_REPORT_MIN_FLUX} on): ${cannotReport.join(', ')}; move them to Flux ${HEALTH_REPORT_MIN_FLUX} or newer, or declare the report only on environments whose clusters run it`);
    }
    for (const { notification: n, routing } of this.notificationList) {
      for (const message of n.validate()) c.add(`notification ${n.id}: ${message}`);
      for (const tenant of Array.isArray(routing.tenants) ? routing.tenants : []) {
        if (!this.tenantList.includes(tenant)) {
          c.add(`notification ${n.id}: routed to tenant ${tenant.name} (${tenant.node.path}), which is not a tenant of this fleet; add it with addTenant() on this fleet, or leave it out of tenants`);
        }
      }
    }
    return c.errors;
  }

  /**
   * The Secrets with the public material a cluster's sync source verifies with (a public key, or a private Sigstore's
   * trusted root), then that of the bootstrap's own sources (the operator chart, Flux's release manifests), as plain
   * objects, when the declarations give it: the bootstrap applies them before the first sync.
   */
  public syncVerificationSecrets(cluster: Cluster<V>): Record<string, unknown>[] {
    const sync = (cluster.env.verify ?? true) ? this.signingOf(cluster.env)?.material() : undefined;
    const all = [sync, ...this.bootstrapOf(cluster).signings().map((s) => s.material())].filter((m) => m !== undefined);
    return [...new Map(all.map((m) => [m.secretName, m])).values()].map((m) => materialSecret('flux-system', m));
  }

  /** Who signs an environment's artifacts: its own identity, else the fleet's. */
  public signingOf(env: Environment<V>): Signing | undefined {
    return env.signing ?? this.props.signing;
  }

  private assertOpen(what: string): void {
    if (this.cyclic) throw new ValidationError(`Fleet ${this.node.path} is already synthesized; add ${what} before synth`);
  }
}

/** What building a cluster recorded for the release and the fleet's checks. */
interface ClusterRecord {
  /** The external charts and artifacts it pulls, in build order. */
  readonly pulls: FleetExternalPull[];
  /** The problems of its signature verification, found before its objects were released. */
  verifyProblems?: string[];
}

/** The facts of a cluster that its components can substitute. */
function runtimeInfoOf(cluster: Cluster<any>): Record<string, string> {
  return {
    CLUSTER_NAME: cluster.name,
    CLUSTER_ENVIRONMENT: cluster.environment,
    CLUSTER_REGION: cluster.region,
    ...(cluster.wave !== undefined ? { CLUSTER_WAVE: String(cluster.wave) } : {}),
    ...(cluster.tag !== undefined ? { ARTIFACT_TAG: cluster.tag } : {}),
    // Variables with invalid names, or named like a computed fact, are reported at the cluster; they are left out here
    // so as not to report them twice (and the computed facts stand).
    ...Object.fromEntries(Object.entries(cluster.vars)
      .filter(([k]) => isVariableName(k) && !COMPUTED_RUNTIME_KEYS.includes(k)).map(([k, v]) => [k, String(v as string)])),
  };
}

/** The tenants of a cluster (`tenants`) that a notification's routing sends the events of, in the fleet's order. */
function routedTenants(routing: NotificationRouting, tenants: readonly Tenant[]): Tenant[] {
  if (routing.tenants === true) return [...tenants];
  if (Array.isArray(routing.tenants)) return tenants.filter((t) => (routing.tenants as Tenant[]).includes(t));
  return [];
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
