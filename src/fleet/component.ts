import { Chart } from 'cdk8s';
import { Namespace } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { ClusterProblems } from './cluster-problems.js';
import type { Cluster, ClusterInfo, FleetVariables, VariablesOf } from './cluster.js';
import { ComponentSource, type FolderSourceOptions } from './component-source.js';
import type { LockRef } from './fleet-lock.js';
import { FolderArtifact, hasFolder, topFolders } from './folder-artifact.js';
import type { PullCredentialFields, PullCredentials } from './pull-credentials.js';
import { insecureOptIn, type Registry, type RegistrySourceSettings } from './registry.js';
import type { Signing } from './signing.js';
import {
  artifactRefOf, artifactRefProblems, chartVersionProblems, chartVersionRef, floatingReason, PerCluster, resolvePerCluster,
} from './source-ref.js';
import { SOURCE_DIGEST_ANNOTATION } from './sync-health.js';
import { matchesTargets, Targets } from './targets.js';
import type { Tenant } from './tenant.js';
import type { CommonMetadata } from '../flux/core/api.js';
import type { FluxDuration } from '../flux/core/duration.js';
import { Checks, q } from '../flux/core/rules.js';
import { allowedLiteralValues, findLiteralSecrets, literalSecretMessage, markSecretsChecked } from '../flux/core/secrets.js';
import {
  HELM_CHART_LAYER_SELECTOR, HelmRelease, HelmReleaseDriftDetection, HelmReleaseInstall, HelmReleaseUpgrade, HelmReleaseValuesReference,
  HelmReleaseWaitStrategy,
} from '../flux/helm/helm-release.js';
import { HealthCheckExpression, HealthCheckTarget, Kustomization, KustomizeImage, KustomizePatch } from '../flux/kustomize/kustomization.js';
import type { FluxComponent } from '../flux/operator/flux-instance.js';
import { HelmRepository } from '../flux/source/helm-repository.js';
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
  /**
   * The name of the component's reconciler on each cluster: its Kustomization, or a Helm component's HelmRelease, e.g.
   * the name a running cluster already knows it by (two tenants' `apps` Kustomizations, each in its own namespace),
   * so that a cut-over changes the object rather than pruning and recreating it with everything it manages.
   * @default - the component's name
   */
  readonly objectName?: string;
  /**
   * Who signs the component's source (an app repository's own workflow, say), the same on every cluster or computed
   * from each (staging: the main branch, production: release tags); a source's or chart's own signing comes first.
   * @default - its tenant's signing identity, else its environment's (for a chart from another registry: none)
   */
  readonly signing?: PerCluster<Signing, V>;
  /** How often to reconcile, on every cluster or per cluster. @default - the fleet's reconcile interval (10m) */
  readonly interval?: PerCluster<FluxDuration, V>;
  /** Timeout of apply and health checks, on every cluster or per cluster. @default - the interval */
  readonly timeout?: PerCluster<FluxDuration, V>;
  /**
   * How long to wait before retrying a failed reconciliation, on every cluster or per cluster. A Helm component's
   * release then retries failed installs and upgrades at this interval (strategy `RetryOnFailure`) unless `install`
   * or `upgrade` set a strategy of their own.
   * @default - the interval
   */
  readonly retryInterval?: PerCluster<FluxDuration, V>;
  /**
   * The service account the component's reconciler impersonates, on every cluster or per cluster (it must exist in
   * the reconciler's namespace).
   * @default - the tenant's service account; on a cluster with tenants, the controller's own account; else none
   */
  readonly serviceAccountName?: PerCluster<string, V>;
}

/** What a component needs to build its objects on one cluster, given by the fleet at synth. */
export interface ComponentBuildContext {
  /** The cluster the objects are built for. */
  readonly cluster: Cluster<any>;
  /** The fleet's registry: where the cluster pulls from in its region. */
  readonly registry: Registry;
  /** The fleet's signature verification for this cluster. @default - none: its environment does not verify */
  readonly verification?: OciVerification;
  /** Whether the cluster's environment requires verification of everything it pulls. */
  readonly verificationRequired: boolean;
  /** Whether the cluster runs multi-tenant lockdown (Kustomizations need a service account). */
  readonly multitenant: boolean;
  /** The fleet's `sourceInterval`. @default - the fleet sets none: each object's own default */
  readonly sourceInterval?: FluxDuration;
  /** The fleet's `reconcileInterval`. @default - the fleet sets none: each object's own default */
  readonly reconcileInterval?: FluxDuration;
  /** The ConfigMap with the cluster's facts, for postBuild substitution. */
  readonly runtimeInfoName: string;
  /** The Kustomizations, on this cluster, of the components this one depends on. */
  readonly dependencies: Kustomization[];
  /** The Flux controllers the cluster runs. @default - the default set (which includes helm-controller) */
  readonly fluxComponents?: readonly FluxComponent[];
  /**
   * Whether the cluster's sync health-checks its components (it reports its health): a component whose source is
   * pinned to a digest then annotates its Kustomization with it ({@link SOURCE_DIGEST_ANNOTATION}).
   * @default false
   */
  readonly healthChecked?: boolean;
  /**
   * The artifact packed from a folder source, recording that this cluster uses it; the problems found instead when
   * the folder cannot be packed.
   */
  folderArtifact(source: ComponentSource): FolderArtifact | string[];
  /** Records an external chart or artifact that this cluster pulls, for the release manifest. */
  recordExternal(pull: ExternalPullRecord): void;
  /**
   * The digest (and the tag it was resolved from) the fleet's lock records for an upstream ref this production
   * cluster pulls; a problem, naming the fix, when the lock has none.
   */
  pinFromLock(kind: 'chart' | 'artifact', upstream: string, ref: LockRef): { digest: string; tag: string } | string;
  /**
   * The `spec.verify` of a source in `namespace` signed by `own` (else by the environment's identity, unless
   * `environmentFallback` is false); undefined when the environment does not verify. Records the public material the
   * namespace then needs.
   */
  verifyWith(own: Signing | undefined, namespace: string, environmentFallback?: boolean): OciVerification | undefined;
  /** Adds a chart whose objects are written to `file` under the cluster's folder. */
  addChart(id: string, file: string, namespace: string | undefined): Chart;
  /**
   * The cluster's one source for `key`: created with `create` in the cluster's `sources.yaml` the first time a
   * component asks for it, named `name` in `namespace` (or, when another source has that name there and the name was
   * derived rather than `named`, `name` and the component's), and shared by every component asking for the same key
   * afterwards. A `named` source whose name another source of the namespace has is a problem of the component.
   */
  sharedSource(key: string, name: string, namespace: string, create: (chart: Chart, name: string) => IOciRepository, named?: boolean): IOciRepository;
  /** The cluster's own sync source (created by the bootstrap), as seen from `chart`. */
  syncSource(chart: Chart): IOciRepository;
}

/** An external chart or artifact one cluster pulls, as a component records it while building. */
export interface ExternalPullRecord {
  /** `chart` or `artifact`. */
  readonly kind: 'chart' | 'artifact';
  /** Where it is published, `oci://...`. */
  readonly upstream: string;
  /** Whether the cluster pulls a copy in its region's registry. */
  readonly mirror: boolean;
  /** Whether the cluster verifies its signature. */
  readonly verify: boolean;
  /** The URL the cluster pulls. */
  readonly url: string;
  /** The ref the cluster pulls. */
  readonly ref: OciRepositoryRef;
  /** For a digest pinned from the lock: the ref the fleet declares and the tag the lock resolved. @default - not from the lock */
  readonly locked?: { readonly declared: LockRef; readonly tag: string };
}

const PLATFORM_NAMESPACE = 'flux-system';

/** Something deployed to clusters, reconciled on each by a Kustomization named after it. */
export abstract class Component<V extends VariablesOf<V> = FleetVariables> extends Construct {
  /** The component's name: the name of its file (and, unless `objectName` says otherwise, of its reconciler). */
  public readonly name: string;
  /** The name of its reconciler (Kustomization or HelmRelease) on each cluster: `objectName`, else its name. */
  public readonly objectName: string;
  /** The tenant it belongs to, if any. */
  public readonly tenant?: Tenant;

  private readonly deps: Component<V>[] = [];
  private readonly targets?: Targets;
  private readonly problems = new ClusterProblems();

  protected constructor(scope: Construct, name: string, props: ComponentProps<V>) {
    super(scope, name);
    this.name = name;
    this.objectName = props.objectName ?? name;
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

  /**
   * The metadata of the component's reconciler: its kept name when it differs from the component's (a name that is
   * not a DNS label is reported at the component, once, and left out here).
   */
  protected get reconcilerMetadata(): { name: string } | undefined {
    return this.objectName !== this.name && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(this.objectName) ? { name: this.objectName } : undefined;
  }

  /** The namespace of the component's reconciler on a cluster. */
  protected get namespace(): string {
    return this.tenant?.namespace ?? PLATFORM_NAMESPACE;
  }

  /**
   * Records a problem found while building for `cluster` (or for every cluster, when undefined); problems with the
   * same text are reported once, with the clusters they affect. @internal
   */
  public _problem(message: string, cluster?: string): void {
    this.problems.add(message, cluster);
  }

  /**
   * A prop's value on one cluster: the literal, or what its function returns for the cluster. When `check` finds a
   * problem with the value, it is recorded with the cluster's name and the value is left out (undefined), so that it
   * is reported once, grouped by cluster.
   */
  protected valueFor<T>(
    ctx: ComponentBuildContext,
    field: string,
    value: PerCluster<T, any> | undefined,
    check?: (c: Checks, field: string, value: T) => void,
  ): T | undefined {
    const resolved = typeof value === 'function' ? (value as (cluster: ClusterInfo<any>) => T)(ctx.cluster) : value;
    if (resolved === undefined || !check) return resolved;
    const c = new Checks();
    check(c, field, resolved);
    for (const message of c.errors) this._problem(message, ctx.cluster.name);
    return c.errors.length > 0 ? undefined : resolved;
  }

  /** The interval, retry interval, timeout and service account of the component on one cluster, checked. */
  protected timingsFor(ctx: ComponentBuildContext, props: ComponentProps<any>): {
    interval?: FluxDuration; retryInterval?: FluxDuration; timeout?: FluxDuration; serviceAccountName?: string;
  } {
    const duration = (c: Checks, field: string, v: FluxDuration) => c.duration(field, v);
    return {
      interval: this.valueFor(ctx, 'interval', props.interval, duration) ?? ctx.reconcileInterval,
      retryInterval: this.valueFor(ctx, 'retryInterval', props.retryInterval, duration),
      timeout: this.valueFor(ctx, 'timeout', props.timeout, duration),
      serviceAccountName: this.valueFor(ctx, 'serviceAccountName', props.serviceAccountName, (c, f, v) => c.dnsName(f, v)),
    };
  }

  /**
   * The signing identity a source verifies on one cluster: the first of `candidates` given (each a value or a function
   * of the cluster), checked when computed for the cluster.
   */
  protected signingFor(ctx: ComponentBuildContext, ...candidates: Array<PerCluster<Signing, any> | undefined>): Signing | undefined {
    const given = candidates.find((c) => c !== undefined);
    if (given === undefined) return undefined;
    const signing = resolvePerCluster(given, ctx.cluster);
    if (typeof given === 'function') for (const m of signing.validate()) this._problem(`signing computed for the cluster: ${m}`, ctx.cluster.name);
    return signing;
  }

  /**
   * How a source authenticates on one cluster: the first pull credentials given (the source's own, then its tenant's),
   * else `fallback` (the fleet's registry's settings for a source in it); `insecure` comes from the registry.
   */
  protected pullFieldsFor(
    ctx: ComponentBuildContext,
    own: PerCluster<PullCredentials> | undefined,
    fallback: RegistrySourceSettings | undefined,
  ): SourcePullFields {
    const given = own ?? this.tenant?.props.pullCredentials;
    if (given === undefined) return { ...fallback, credentials: false };
    const credentials = resolvePerCluster(given, ctx.cluster);
    if (typeof given === 'function') for (const m of credentials.validate()) this._problem(`pull credentials computed for the cluster: ${m}`, ctx.cluster.name);
    const f = credentials.fields;
    return {
      provider: f.provider,
      ...(f.secretRef ? { secretRef: { name: f.secretRef.name } } : {}),
      ...(f.serviceAccountName !== undefined ? { serviceAccountName: f.serviceAccountName } : {}),
      ...(fallback?.insecure ? { insecure: true } : {}),
      credentials: true,
    };
  }

  /** Records a problem when the component's tenant has no copy of the pull secret its source uses. */
  protected checkPullSecret(ctx: ComponentBuildContext, secretName: string | undefined): void {
    if (!this.tenant || secretName === undefined || this.tenant.providesPullSecret) return;
    this._problem(`pulls from the fleet's registry with the pull secret ${q(secretName)}, which nothing provides in namespace ${q(this.tenant.namespace)} of tenant ${this.tenant.name} (Secrets are not shared across namespaces); set pullSecret on the tenant: TenantPullSecret.external() if something else puts it there, or TenantPullSecret.objects(...) to have the fleet write what creates it`, ctx.cluster.name);
  }

  /**
   * Records a problem when `ref` floats on a production cluster following a tag channel, unless `floating` accepts
   * it: what such a cluster pulls must change only through promotion. For a chart from an HTTPS Helm repository,
   * which Flux cannot pin by digest.
   */
  protected checkPinned(ctx: ComponentBuildContext, what: string, ref: OciRepositoryRef, floating: boolean | undefined, fix: string): void {
    const env = ctx.cluster.env;
    if (floating || !env.production || env.channel.kind !== 'tag') return;
    const reason = floatingReason(ref);
    if (reason === undefined) return;
    this._problem(`${what} follows ${reason} in production environment ${env.name}, so a new upstream release would reach every wave within one source interval, bypassing promotion; ${fix}`, ctx.cluster.name);
  }

  /**
   * The ref a cluster pulls an upstream OCI chart or artifact at: on a production cluster, a tag or range the source
   * does not declare `floating` is pinned to the digest the fleet's lock records for it (a problem is recorded when
   * the lock has none), so that an upstream re-tag changes nothing until the lock does.
   */
  protected pinnedRef(ctx: ComponentBuildContext, kind: 'chart' | 'artifact', upstream: string, ref: OciRepositoryRef, floating: boolean | undefined):
  { ref: OciRepositoryRef; locked?: { declared: LockRef; tag: string } } {
    // An upstream that is not an oci:// URL is reported by the props' own checks.
    if (floating || !ctx.cluster.env.production || ref.digest !== undefined || !upstream.startsWith('oci://')) return { ref };
    const declared: LockRef = ref.semver !== undefined ? { semver: ref.semver } : { tag: ref.tag ?? 'latest' };
    const pin = ctx.pinFromLock(kind, upstream, declared);
    if (typeof pin === 'string') {
      this._problem(pin, ctx.cluster.name);
      return { ref };
    }
    return { ref: { digest: pin.digest }, locked: { declared, tag: pin.tag } };
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
    if (this.objectName !== this.name) c.dnsLabel('objectName', this.objectName);
    this.checkProps(c);
    for (const message of this.problems.messages()) c.add(message);
    return c.errors;
  }
}

/** Props of a {@link KustomizeComponent}. */
export interface KustomizeComponentProps<V extends VariablesOf<V> = FleetVariables> extends ComponentProps<V> {
  /**
   * Where the kustomize tree comes from: a folder of the fleet repository (`ComponentSource.folder('./infra')`),
   * packed at synth and pinned by digest, or an artifact another pipeline pushes
   * (`ComponentSource.artifact(url, { ref })`, `ComponentSource.mirroredArtifact(url, { ref })`).
   */
  readonly source: ComponentSource;
  /**
   * The folder of the source to apply, relative, e.g. `./controllers`, on every cluster or per cluster (e.g.
   * `(cluster) => \`./overlays/${cluster.environment}\``).
   * @default - the source's root
   */
  readonly path?: PerCluster<string, V>;
  /** Wait until every applied object is ready before dependents start. @default false */
  readonly wait?: boolean;
  /** Objects whose readiness dependents wait for (instead of `wait`). @default - none */
  readonly healthChecks?: HealthCheckTarget[];
  /**
   * How to tell the health of custom resources the component applies, in CEL (e.g. a cert-manager `Certificate` is
   * healthy when its Ready condition is True), for `wait` and `healthChecks`: dependents then wait for those too.
   * @default - kstatus decides: a custom resource is ready when its Ready condition is True
   */
  readonly healthCheckExprs?: HealthCheckExpression[];
  /** Recreate objects whose immutable fields changed (`spec.force`). @default false */
  readonly force?: boolean;
  /**
   * Kustomize patches applied on top of the artifact's own (strategic merge or JSON 6902, with an optional target),
   * on every cluster or per cluster. They are part of the Kustomization, not files of the tree.
   * @default - none
   */
  readonly patches?: PerCluster<KustomizePatch[], V>;
  /** Image overrides (`newName`, `newTag`, `digest`), on every cluster or per cluster. @default - none */
  readonly images?: PerCluster<KustomizeImage[], V>;
  /** Kustomize components of the artifact to include, relative paths, e.g. `["./components/ha"]`. @default - none */
  readonly components?: PerCluster<string[], V>;
  /** Labels and annotations set on every object the component applies (`spec.commonMetadata`). @default - none */
  readonly commonMetadata?: CommonMetadata;
  /** Delete objects that leave the source. @default true */
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

/**
 * A kustomize tree, from a folder of the fleet repository (packed at synth, pinned by digest, in each cluster's
 * region) or from an artifact another pipeline pushes. On each cluster, the components reading one source in one
 * namespace share one OCIRepository, named after it (a folder's artifact name, e.g. `infra`), in the cluster's
 * `sources.yaml`; each component gets a Kustomization named after it in `<name>.yaml`.
 */
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
    const t = this.timingsFor(ctx, p);
    const path = this.valueFor(ctx, 'path', p.path, (c, f, v) => c.relativePath(f, v));
    const pull = this.sourceFor(ctx, path);
    // Components reading one source in one namespace (with the same credentials and verification) share it, named
    // after the source.
    const namespace = this.namespace;
    const key = `${pull.url} ${JSON.stringify(pull.ref ?? {})} ${namespace} ${JSON.stringify(pull.settings ?? {})} ${JSON.stringify(pull.verify ?? {})}`;
    const source = ctx.sharedSource(key, pull.name, namespace, (sources, name) => new OciRepository(sources, `${name}-${namespace}`, {
      metadata: { name, namespace, annotations: insecureOptIn(pull.settings?.insecure) },
      url: pull.url,
      ref: pull.ref,
      interval: ctx.sourceInterval,
      provider: pull.settings?.provider,
      secretRef: pull.settings?.secretRef,
      serviceAccountName: pull.settings?.serviceAccountName,
      insecure: pull.settings?.insecure,
      verify: pull.verify,
    }), pull.named);
    if (!pull.settings?.credentials) this.checkPullSecret(ctx, pull.settings?.secretRef?.name);
    const components = this.valueFor(ctx, 'components', p.components, (c, f, v) => v.forEach((x, i) => c.relativePath(`${f}[${i}]`, x)));
    const patches = this.valueFor(ctx, 'patches', p.patches);
    const images = this.valueFor(ctx, 'images', p.images, (c, f, v) => v.forEach((x, i) => {
      if (!x.name) c.add(`${f}[${i}].name is empty; name the image to override, e.g. "ghcr.io/acme/app"`);
    }));
    const substitute = p.substitutions?.(ctx.cluster);
    for (const found of findLiteralSecrets(substitute ?? {}, 'substitute', allowedLiteralValues(this))) {
      this._problem(literalSecretMessage(found, 'keep it in a Secret on the cluster (or a SOPS-encrypted file in the artifact) and substitute from there'), ctx.cluster.name);
    }
    // The sync counts the component ready only once it applied the digest its source is pinned to.
    const digest = ctx.healthChecked ? pull.ref?.digest : undefined;
    const kustomization = new Kustomization(chart, this.name, {
      metadata: digest ? { ...this.reconcilerMetadata, annotations: { [SOURCE_DIGEST_ANNOTATION]: digest } } : this.reconcilerMetadata,
      sourceRef: source,
      path,
      interval: t.interval,
      retryInterval: t.retryInterval,
      timeout: t.timeout,
      prune: p.prune ?? true,
      wait: p.wait,
      force: p.force,
      healthChecks: p.healthChecks,
      healthCheckExprs: p.healthCheckExprs,
      components: components && components.length > 0 ? components : undefined,
      patches: patches && patches.length > 0 ? patches : undefined,
      images: images && images.length > 0 ? images : undefined,
      commonMetadata: p.commonMetadata,
      dependsOn: ctx.dependencies,
      targetNamespace: p.targetNamespace ?? this.tenant?.namespace,
      serviceAccountName: t.serviceAccountName ?? this.serviceAccountFor(ctx, 'kustomize-controller'),
      postBuild: {
        substitute: substitute && Object.keys(substitute).length > 0 ? substitute : undefined,
        substituteFrom: [{ kind: 'ConfigMap', name: ctx.runtimeInfoName }],
      },
    });
    markSecretsChecked(kustomization);
    return kustomization;
  }

  protected checkProps(c: Checks): void {
    const source = this.props.source;
    if (!(source instanceof ComponentSource)) {
      c.add(`source ${q(source)} is not a ComponentSource; use ComponentSource.folder('./infra') or ComponentSource.artifact('oci://...', { ref: { digest: 'sha256:...' } })`);
      return;
    }
    const sourceNameGiven = (source.options as { sourceName?: string }).sourceName;
    if (sourceNameGiven !== undefined) c.dnsName('source sourceName', sourceNameGiven);
    const o = source.artifactOptions;
    if (o === undefined) return;
    for (const m of typeof o.signing === 'object' ? o.signing.validate() : []) c.add(`source signing: ${m}`);
    for (const m of typeof o.pullCredentials === 'object' ? o.pullCredentials.validate() : []) c.add(`source pullCredentials: ${m}`);
    c.ociUrl(source.mirrored ? 'source upstream' : 'source url', source.location, 'source ref');
    if (typeof o.ref !== 'function') for (const m of artifactRefProblems(o.ref)) c.add(`source ${m}`);
    const repository = source.mirrorRepository;
    if (repository !== undefined && !REPOSITORY_PATH.test(repository)) {
      c.add(`source repository ${q(repository)} is not a repository path: use lowercase letters, digits, '.', '_', '-' and '/', e.g. "apps/web-shop"`);
    }
  }

  /** Where this cluster pulls the component's source from, recording what the release manifest lists. */
  private sourceFor(ctx: ComponentBuildContext, path: string | undefined): SourcePull {
    const source = this.props.source;
    const region = ctx.cluster.region;
    if (source.kind === 'folder') {
      const settings = this.pullFieldsFor(ctx, undefined, ctx.registry.sourceSettings(region));
      const packed = ctx.folderArtifact(source);
      if (Array.isArray(packed)) {
        for (const m of packed) this._problem(m);
        return { name: this.name, url: ctx.registry.urlFor(region, 'artifacts'), settings, verify: ctx.verification };
      }
      if (path !== undefined && !path.split('/').includes('..') && !hasFolder(packed, path)) {
        this._problem(`path ${q(path)} is not a folder of ${q(source.location)}; use one of ${topFolders(packed).map((f) => q(f)).join(', ') || '"./"'}`, typeof this.props.path === 'function' ? ctx.cluster.name : undefined);
      }
      const verify = ctx.verifyWith(this.signingFor(ctx, this.props.signing, this.tenant?.props.signing), this.namespace);
      const named = (source.options as FolderSourceOptions).sourceName;
      const url = ctx.registry.urlFor(region, packed.name);
      return { name: named ?? sourceName(packed.name), named: named !== undefined, url, ref: { digest: packed.digest }, settings, verify };
    }
    const o = source.artifactOptions!;
    const given = resolvePerCluster(o.ref, ctx.cluster);
    // A ref given as a value is checked once, with the props; one computed per cluster is checked here.
    const refProblems = artifactRefProblems(given);
    if (typeof o.ref === 'function') for (const m of refProblems) this._problem(`source ${m}`, ctx.cluster.name);
    let ref = refProblems.length > 0 ? undefined : artifactRefOf(given);
    const settings = this.pullFieldsFor(ctx, o.pullCredentials, source.mirrored ? ctx.registry.sourceSettings(region) : undefined);
    const url = source.mirrored ? ctx.registry.urlFor(region, source.mirrorRepository!) : source.location;
    const verify = ctx.verifyWith(this.signingFor(ctx, o.signing, this.props.signing, this.tenant?.props.signing), this.namespace, source.mirrored);
    if (ctx.verificationRequired && !verify && !o.signing) {
      this._problem(`artifact ${q(url)} has no signing identity, and production requires verification; set signing on the source (e.g. Signing.githubActions(...)), or Signing.none() to turn it off explicitly`, ctx.cluster.name);
    }
    if (ref) {
      const pinned = this.pinnedRef(ctx, 'artifact', source.location, ref, o.floating);
      ref = pinned.ref;
      ctx.recordExternal({ kind: 'artifact', upstream: source.location, mirror: source.mirrored, verify: verify !== undefined, url, ref, ...(pinned.locked ? { locked: pinned.locked } : {}) });
    }
    const name = o.sourceName ?? (source.mirrored ? sourceName(source.mirrorRepository!) : this.name);
    return { name, named: o.sourceName !== undefined, url, ref, settings, verify };
  }
}

/** The name of a source shared by the components reading one artifact: its repository path, e.g. `apps/web` gives `apps-web`. */
function sourceName(repository: string): string {
  return repository.replace(/[/._]+/g, '-');
}

/** What a cluster pulls a kustomize component's source from. */
interface SourcePull {
  /** The name of the cluster's OCIRepository for it. */
  readonly name: string;
  /** Whether the name was given (`sourceName`), rather than derived. @default false */
  readonly named?: boolean;
  readonly url: string;
  readonly ref?: OciRepositoryRef;
  readonly settings?: SourcePullFields;
  readonly verify?: OciVerification;
}

/** How a source authenticates on one cluster, and whether pull credentials (rather than the registry) say so. */
interface SourcePullFields extends PullCredentialFields {
  /** `spec.insecure`: the registry is reached over plain HTTP. @default false */
  readonly insecure?: boolean;
  /** Whether the source's or its tenant's pull credentials set the fields, rather than the fleet's registry. */
  readonly credentials: boolean;
}

const REPOSITORY_PATH = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** Options of a chart source. */
export interface ChartSourceOptions {
  /**
   * The chart version: exact (`6.7.0`), a semver range (`6.x`) or a digest (`sha256:...`), the same for every cluster
   * or computed from each, e.g. `(c) => c.production ? '6.7.0' : '6.x'`. On production clusters, a version or range of
   * an OCI chart is pulled at the digest the fleet's lock records for it (`flux-fleet lock`), unless `floating` is
   * true; a range of an HTTPS Helm repository's chart, which Flux cannot pin by digest, fails synth there.
   */
  readonly version: PerCluster<string>;
  /**
   * Who signs the chart; clusters verify it. Production requires one unless `Signing.none()` says so explicitly. The
   * same on every cluster, or computed from each.
   * @default - the component's signing, else its tenant's; for a mirrored chart, else the environment's; for another
   *   registry's chart, none
   */
  readonly signing?: PerCluster<Signing>;
  /**
   * How clusters authenticate when they pull the chart (an OCI chart: a pull secret, a service account with
   * `imagePullSecrets`, or workload identity; an HTTPS Helm repository: a pull secret with `username` and `password`),
   * the same on every cluster or computed from each.
   * @default - the tenant's pull credentials; else, for a mirrored chart, the fleet's registry's, and for another
   *   registry's chart, anonymous pulls
   */
  readonly pullCredentials?: PerCluster<PullCredentials>;
  /**
   * The name of the chart's source on each cluster (its OCIRepository or HelmRepository), e.g. the name a running
   * cluster already knows it by (`gateway-helm`), so that a cut-over keeps it.
   * @default - the component's `objectName`, else its name
   */
  readonly sourceName?: string;
  /**
   * Let production clusters follow the version or range upstream rather than the digest the lock resolved, knowing
   * that a new chart release (or a re-tag) then reaches every wave within one source interval, whatever the promotion
   * state.
   * @default false - production pulls the digest the fleet's lock records, and synth fails when the lock has none
   */
  readonly floating?: boolean;
}

/** Options of {@link ChartSource.mirrored}. */
export interface MirroredChartSourceOptions extends ChartSourceOptions {
  /**
   * The chart's name in each region's registry: its copy is at `<registry>/<chartsPath>/<name>`.
   * @default - the last segment of the upstream URL, e.g. `podinfo`
   */
  readonly name?: string;
}

/** A chart in an HTTPS Helm repository: the repository's URL and the chart's name in its index. */
export interface HelmRepositoryChart {
  /** The repository's URL, e.g. `https://charts.jetstack.io`. */
  readonly url: string;
  /** The chart's name in the repository's `index.yaml`, e.g. `cert-manager`. */
  readonly chart: string;
}

/** Where a Helm component's chart comes from: an OCI registry, or an HTTPS Helm repository. */
export class ChartSource {
  /**
   * A chart from an HTTPS Helm repository (an `index.yaml` over HTTPS), e.g.
   * `ChartSource.helmRepository('https://charts.jetstack.io', 'cert-manager', { version: '1.x' })`: each cluster gets
   * a HelmRepository named after the component and a HelmRelease whose chart template fetches the chart from it.
   * Flux verifies signatures of OCI charts only, so such a chart has no verification: in production, say so with
   * `signing: Signing.none()`, or mirror the chart into an OCI registry and sign it there.
   */
  public static helmRepository(url: string, chart: string, options: ChartSourceOptions): ChartSource {
    return new ChartSource(url, () => url, options, false, { url, chart });
  }

  /** A chart in any OCI registry, e.g. `oci://ghcr.io/stefanprodan/charts/podinfo`, pulled from there by every cluster. */
  public static oci(url: string, options: ChartSourceOptions): ChartSource {
    return new ChartSource(url, () => url, options, false);
  }

  /**
   * A chart published at `upstream` (e.g. `oci://ghcr.io/stefanprodan/charts/podinfo`), mirrored into the fleet's
   * registry: each cluster pulls the copy in its own region, `registry.helmChartUrl(region, name)`.
   */
  public static mirrored(upstream: string, options: MirroredChartSourceOptions): ChartSource {
    const name = options.name ?? upstream.replace(/[/]+$/, '').split('/').pop() ?? '';
    return new ChartSource(upstream, (registry, region) => registry.helmChartUrl(region, name), options, true);
  }

  private constructor(
    /** Where the chart is published, `oci://...`. */
    public readonly upstream: string,
    private readonly url: (registry: Registry, region: string) => string,
    /** The options, as given. */
    public readonly options: ChartSourceOptions,
    /** Whether the chart is mirrored in the fleet's registry. */
    public readonly mirrored: boolean,
    /** The HTTPS Helm repository and chart name, for a chart from one; undefined for an OCI chart. */
    public readonly helmRepository?: HelmRepositoryChart,
  ) {}

  /** The chart's URL for a cluster in `region`. */
  public urlFor(registry: Registry, region: string): string {
    return this.url(registry, region);
  }

  /** The chart version a cluster pulls. */
  public versionFor(cluster: ClusterInfo<any>): string {
    return resolvePerCluster(this.options.version, cluster);
  }

  /** The OCIRepository `ref` of the version a cluster pulls: a tag for an exact version, semver for a range, or a digest. */
  public refFor(cluster: ClusterInfo<any>): OciRepositoryRef {
    return chartVersionRef(this.versionFor(cluster));
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
  /**
   * The namespace of the HelmRelease and of its chart source, e.g. the release's own namespace, where a hand-written
   * fleet keeps it (`podinfo` in `podinfo`), so that a cut-over keeps the object. A tenant's component stays in the
   * tenant's namespace.
   * @default - the tenant's namespace, else flux-system
   */
  readonly namespace?: string;
  /**
   * The namespace the release installs into, and where Helm stores its release history (`storageNamespace`). Unless
   * it is a tenant's, the component creates it: with `namespaceLabels` or `namespaceAnnotations`, as a Namespace
   * object applied before the release; else by Helm (`install.createNamespace`).
   * @default - the tenant's namespace, else `namespace` when set, else the component's name
   */
  readonly targetNamespace?: string;
  /**
   * Labels of the namespace the component creates, e.g. the Pod Security level or what admission policies select
   * on. A tenant's namespace takes its labels from the tenant.
   * @default - none
   */
  readonly namespaceLabels?: Record<string, string>;
  /** Annotations of the namespace the component creates. @default - none */
  readonly namespaceAnnotations?: Record<string, string>;
  /**
   * The Helm release name. Flux itself would name the release `<targetNamespace>-<name>`; the component sets it.
   * Changing it (or `storageNamespace`) on a running cluster makes helm-controller uninstall the release and install
   * it again.
   * @default - the component's name
   */
  readonly releaseName?: string;
  /**
   * Where Helm stores the release's history. To adopt a release installed by a HelmRelease that set neither field
   * (Flux then names it `<targetNamespace>-<name>` and stores it in the HelmRelease's namespace), set
   * `storageNamespace: 'flux-system'` and `releaseName: '<targetNamespace>-<name>'`, so that nothing is reinstalled.
   * @default - the target namespace
   */
  readonly storageNamespace?: string;
  /**
   * Install settings: strategy (`RemediateOnFailure` or `RetryOnFailure`), remediation (retries), CRD policy,
   * timeout... `createNamespace` is the component's (see `targetNamespace`).
   * @default - Flux's defaults (remediate on failure, no retries)
   */
  readonly install?: Omit<HelmReleaseInstall, 'createNamespace'>;
  /**
   * Upgrade settings: strategy, remediation (retries, `rollback` or `uninstall`), CRD policy, cleanup on failure,
   * timeout...
   * @default - Flux's defaults (remediate on failure, no retries)
   */
  readonly upgrade?: HelmReleaseUpgrade;
  /**
   * Drift detection: `enabled` corrects changes made to the release's objects in the cluster, `warn` reports them,
   * with paths to ignore (e.g. `/spec/replicas` under an autoscaler).
   * @default - Flux's default (disabled)
   */
  readonly driftDetection?: HelmReleaseDriftDetection;
  /**
   * How Helm waits for the release's objects before the release, and so the component, is ready: `poller` checks
   * their status (with `healthCheckExprs` for custom resources), `legacy` uses Helm 3's logic. Flux 2.8 and newer.
   * @default - Flux's default, "poller"
   */
  readonly waitStrategy?: HelmReleaseWaitStrategy;
  /**
   * How to tell the health of custom resources the chart creates, in CEL (e.g. a cert-manager `Certificate`), so that
   * the release is ready, and dependents start, only when they are healthy. Flux 2.8 and newer; not with the
   * `legacy` wait strategy.
   * @default - kstatus decides: a custom resource is ready when its Ready condition is True
   */
  readonly healthCheckExprs?: HealthCheckExpression[];
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
    if (ctx.fluxComponents && !ctx.fluxComponents.includes('helm-controller')) {
      this._problem('is a Helm component, but the cluster\'s Flux components leave out helm-controller, so its HelmRelease would never be reconciled; add "helm-controller" to flux.components (of the fleet or the cluster), or narrow the targets of the component', ctx.cluster.name);
    }
    const t = this.timingsFor(ctx, p);
    const targetNamespace = p.targetNamespace ?? this.tenant?.namespace ?? p.namespace ?? this.name;
    // The namespaces the component creates as objects, applied before the release: the target namespace when it is
    // labelled, and the HelmRelease's own namespace (which must exist before the HelmRelease does) when it is not
    // flux-system's or a tenant's.
    const ownNamespace = Boolean(p.namespaceLabels || p.namespaceAnnotations) && !this.tenant;
    const releaseNamespace = !this.tenant && p.namespace !== undefined && p.namespace !== PLATFORM_NAMESPACE
      && !(ownNamespace && p.namespace === targetNamespace) ? p.namespace : undefined;
    if (ownNamespace || releaseNamespace !== undefined) {
      const namespaces = ctx.addChart(`${this.name}-namespace`, `${folder}/namespace.yaml`, undefined);
      if (releaseNamespace !== undefined) new Namespace(namespaces, `${this.name}-release-namespace`, { metadata: { name: releaseNamespace } });
      if (ownNamespace) {
        new Namespace(namespaces, `${this.name}-namespace`, {
          metadata: { name: targetNamespace, labels: p.namespaceLabels, annotations: p.namespaceAnnotations },
        });
      }
    }
    const chartSigning = p.chart.options.signing;
    const url = p.chart.urlFor(ctx.registry, ctx.cluster.region);
    const verify = ctx.verifyWith(this.signingFor(ctx, chartSigning, p.signing, this.tenant?.props.signing), this.namespace, p.chart.mirrored);
    if (ctx.verificationRequired && !verify && !chartSigning && p.chart.helmRepository) {
      this._problem(`chart ${q(p.chart.helmRepository.chart)} from the Helm repository ${q(p.chart.helmRepository.url)} cannot be verified (Flux verifies OCI charts only), and production requires verification; set signing: Signing.none() on the chart to accept it unverified, or mirror it into an OCI registry and sign it there`, ctx.cluster.name);
    } else if (ctx.verificationRequired && !verify && !chartSigning) {
      this._problem(`chart ${q(url)} has no signing identity, and production requires verification; set chart signing (e.g. Signing.githubActions(...)), or Signing.none() to turn it off explicitly`, ctx.cluster.name);
    }
    const version = p.chart.versionFor(ctx.cluster);
    // A version given as a value is checked once, with the props; one computed per cluster is checked here.
    const versionProblems = chartVersionProblems(version);
    if (typeof p.chart.options.version === 'function') for (const m of versionProblems) this._problem(m, ctx.cluster.name);
    let ref = versionProblems.length > 0 ? undefined : p.chart.refFor(ctx.cluster);
    if (ref && p.chart.helmRepository) {
      this.checkPinned(ctx, `chart ${q(p.chart.upstream)}`, ref, p.chart.options.floating,
        'pin production to an exact version, e.g. version: (c) => c.production ? "1.16.2" : "1.x", or set floating: true on the chart source to accept it');
    } else if (ref) {
      const pinned = this.pinnedRef(ctx, 'chart', p.chart.upstream, ref, p.chart.options.floating);
      ref = pinned.ref;
      ctx.recordExternal({ kind: 'chart', upstream: p.chart.upstream, mirror: p.chart.mirrored, verify: verify !== undefined, url, ref, ...(pinned.locked ? { locked: pinned.locked } : {}) });
    }
    const registrySettings = p.chart.mirrored ? ctx.registry.sourceSettings(ctx.cluster.region) : undefined;
    const settings = this.pullFieldsFor(ctx, p.chart.options.pullCredentials, registrySettings);
    if (!settings.credentials) this.checkPullSecret(ctx, settings.secretRef?.name);
    const chartSourceName = p.chart.options.sourceName ?? this.reconcilerMetadata?.name ?? this.name;
    const repo = p.chart.helmRepository;
    if (repo && verify) {
      this._problem(`chart ${q(repo.chart)} comes from the Helm repository ${q(repo.url)}, whose charts Flux cannot verify (verification is for OCI charts only); set signing: Signing.none() on the chart, or mirror it into an OCI registry and sign it there`, ctx.cluster.name);
    }
    const source = repo ? undefined : new OciRepository(release, `${this.name}-chart`, {
      metadata: { name: chartSourceName, annotations: insecureOptIn(settings.insecure) },
      url,
      ref,
      layerSelector: HELM_CHART_LAYER_SELECTOR,
      interval: ctx.sourceInterval,
      provider: settings.provider,
      secretRef: settings.secretRef,
      serviceAccountName: settings.serviceAccountName,
      insecure: settings.insecure,
      verify,
    });
    const values = typeof p.values === 'function' ? p.values(ctx.cluster) : p.values;
    for (const found of findLiteralSecrets(values ?? {}, 'values', allowedLiteralValues(this))) {
      this._problem(literalSecretMessage(found, `put it in a Secret on the cluster and reference it with valuesFrom (targetPath "${found.path.slice('values.'.length)}")`), ctx.cluster.name);
    }
    const chart = repo ? {
      chart: repo.chart,
      version,
      sourceRef: new HelmRepository(release, `${this.name}-repository`, {
        metadata: { name: chartSourceName },
        url: repo.url,
        interval: ctx.sourceInterval,
        secretRef: settings.credentials ? settings.secretRef : undefined,
      }),
    } : undefined;
    if (repo && settings.credentials && (settings.serviceAccountName !== undefined || (settings.provider !== undefined && settings.provider !== 'generic'))) {
      this._problem(`chart ${q(repo.chart)} comes from the HTTPS Helm repository ${q(repo.url)}, which authenticates with a Secret holding username and password only; use PullCredentials.secret(...) for it`, ctx.cluster.name);
    }
    const helmRelease = new HelmRelease(release, this.name, {
      metadata: this.reconcilerMetadata,
      chartRef: source,
      chart,
      interval: t.interval,
      timeout: t.timeout,
      releaseName: p.releaseName ?? this.name,
      targetNamespace,
      storageNamespace: p.storageNamespace ?? targetNamespace,
      install: {
        ...p.install,
        ...(t.retryInterval && !p.install?.strategy ? { strategy: { name: 'RetryOnFailure', retryInterval: t.retryInterval } } : {}),
        createNamespace: !this.tenant && !ownNamespace && targetNamespace !== releaseNamespace,
      },
      upgrade: p.upgrade || t.retryInterval ? {
        ...p.upgrade,
        ...(t.retryInterval && !p.upgrade?.strategy ? { strategy: { name: 'RetryOnFailure', retryInterval: t.retryInterval } } : {}),
      } : undefined,
      driftDetection: p.driftDetection,
      waitStrategy: p.waitStrategy,
      healthCheckExprs: p.healthCheckExprs,
      serviceAccountName: t.serviceAccountName ?? this.serviceAccountFor(ctx, 'helm-controller'),
      values,
      valuesFrom: p.valuesFrom,
    });
    markSecretsChecked(helmRelease);
    const wrapper = ctx.addChart(this.name, `${this.name}.yaml`, PLATFORM_NAMESPACE);
    return new Kustomization(wrapper, this.name, {
      sourceRef: ctx.syncSource(wrapper),
      path: `./${folder}`,
      interval: t.interval,
      retryInterval: t.retryInterval,
      timeout: t.timeout,
      prune: true,
      wait: true,
      dependsOn: ctx.dependencies,
      serviceAccountName: ctx.multitenant ? 'kustomize-controller' : undefined,
    });
  }

  /** The namespace of the HelmRelease and its chart source: `namespace`, else the tenant's, else flux-system. */
  protected get namespace(): string {
    return this.tenant?.namespace ?? this.props.namespace ?? PLATFORM_NAMESPACE;
  }

  protected checkProps(c: Checks): void {
    const chart = this.props.chart;
    if (typeof chart.options.version !== 'function') for (const m of chartVersionProblems(chart.options.version)) c.add(m);
    c.dnsLabel('namespace', this.props.namespace);
    if (this.tenant && this.props.namespace !== undefined && this.props.namespace !== this.tenant.namespace) {
      c.add(`namespace ${q(this.props.namespace)} is not the namespace of tenant ${this.tenant.name} (${q(this.tenant.namespace)}); a tenant's HelmRelease lives in its own namespace, so drop namespace (or set it to ${q(this.tenant.namespace)})`);
    }
    if (chart.options.sourceName !== undefined) c.dnsName('chart sourceName', chart.options.sourceName);
    for (const m of typeof chart.options.signing === 'object' ? chart.options.signing.validate() : []) c.add(`chart signing: ${m}`);
    for (const m of typeof chart.options.pullCredentials === 'object' ? chart.options.pullCredentials.validate() : []) c.add(`chart pullCredentials: ${m}`);
    c.dnsLabel('targetNamespace', this.props.targetNamespace);
    c.maxLength('releaseName', this.props.releaseName, 53);
    c.dnsLabel('storageNamespace', this.props.storageNamespace);
    const repo = chart.helmRepository;
    if (repo) {
      c.url('chart url', repo.url, ['http', 'https']);
      if (!/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/i.test(repo.chart)) c.add(`chart name ${q(repo.chart)} is not a chart name; use the name in the repository's index, e.g. "cert-manager"`);
    }
    if ((this.props.namespaceLabels || this.props.namespaceAnnotations) && this.tenant) {
      c.add(`namespaceLabels and namespaceAnnotations label the namespace the component creates, but tenant ${this.tenant.name} owns its namespace; set them on the tenant (namespaceLabels) instead`);
    }
    if (repo) return;
    if (chart.mirrored && !/^oci:\/\//.test(chart.upstream)) {
      c.add(`chart upstream ${q(chart.upstream)} is not an oci:// URL; name where the chart is published, e.g. ChartSource.mirrored("oci://ghcr.io/stefanprodan/charts/podinfo", {...})`);
    } else {
      c.ociUrl(chart.mirrored ? 'chart upstream' : 'chart url', chart.upstream, 'chart version');
    }
  }
}
