import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { API_VERSION, CommonMetadata, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';
import { checkHealthCheckExprs, checkIgnoreRules, renderHealthCheckExprs } from '../kustomize/kustomization.js';
import type { DependencyOptions, HealthCheckExpression, IgnoreRule, KubeConfigReference, KustomizeImage, KustomizePatch } from '../kustomize/kustomization.js';
import type { IBucket } from '../source/bucket.js';
import type { IExternalArtifact } from '../source/external-artifact.js';
import type { IGitRepository } from '../source/git-repository.js';
import type { IHelmChart } from '../source/helm-chart.js';
import type { IHelmRepository } from '../source/helm-repository.js';
import { IOciRepository, OciLayerSelector, OciRepository } from '../source/oci-repository.js';

/** The media type of a Helm chart layer in an OCI artifact. */
export const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/**
 * The `layerSelector` an OCIRepository needs when a HelmRelease takes its chart from it (`chartRef`): the chart
 * layer, kept as the packaged chart.
 */
export const HELM_CHART_LAYER_SELECTOR: OciLayerSelector = { mediaType: HELM_CHART_MEDIA_TYPE, operation: 'copy' };

/** The sources a HelmRelease can take a ready chart artifact from (`spec.chartRef`). */
export type HelmReleaseChartRef = IOciRepository | IHelmChart | IExternalArtifact;

/** The sources a HelmRelease's chart template can fetch a chart from (`spec.chart.spec.sourceRef`). */
export type HelmReleaseChartSource = IHelmRepository | IGitRepository | IBucket;

/** How the chart's signature is verified (OCI Helm repositories only). */
export interface HelmReleaseChartVerification {
  /** The signing tool. */
  readonly provider: 'cosign' | 'notation';
  /**
   * The Secret holding the public keys (cosign) or the trust policy and certificates (notation).
   * @default - keyless cosign verification against the public Sigstore instance
   */
  readonly secretRef?: SecretReference;
}

/**
 * A chart template: Flux creates a HelmChart from it, in the namespace of the source, and the HelmRelease
 * installs the chart that HelmChart fetches.
 */
export interface HelmReleaseChartTemplate {
  /** The chart's name in a Helm repository, or its path in a Git repository or bucket (e.g. `./charts/podinfo`). */
  readonly chart: string;
  /**
   * A semver range (Masterminds syntax) the chart version must match; the highest match is installed.
   * Ignored for charts from a GitRepository or Bucket.
   * @default "*" (the latest version; pre-releases only with a `-0` range)
   */
  readonly version?: string;
  /** The source holding the chart. */
  readonly sourceRef: HelmReleaseChartSource;
  /** How often to look for a new chart version. @default - the HelmRelease's interval */
  readonly interval?: FluxDuration;
  /**
   * What makes a new chart artifact: a new chart version, or also a new revision of the source.
   * @default "ChartVersion"
   */
  readonly reconcileStrategy?: 'ChartVersion' | 'Revision';
  /**
   * Values files of the chart to use instead of its `values.yaml`, merged in order (paths in the source).
   * @default - the chart's values.yaml
   */
  readonly valuesFiles?: string[];
  /** Skip values files that do not exist instead of failing. @default false */
  readonly ignoreMissingValuesFiles?: boolean;
  /** Signature verification. @default - none */
  readonly verify?: HelmReleaseChartVerification;
  /** Labels and annotations of the generated HelmChart. @default - none */
  readonly metadata?: CommonMetadata;
}

/** A ConfigMap or Secret holding values; cdk8s-plus ConfigMap and Secret fit. */
export interface HelmReleaseValuesReference {
  /** `ConfigMap` or `Secret`. */
  readonly kind: string;
  /** Its name, in the HelmRelease's namespace. */
  readonly name: string;
  /** The data key holding the values (a YAML document, or one value with `targetPath`). @default "values.yaml" */
  readonly valuesKey?: string;
  /** Where to merge a single value, in dot notation (`image.tag`, `hosts[0]`). @default - the values are merged at the root */
  readonly targetPath?: string;
  /** Reconcile even when the ConfigMap or Secret is missing. @default false */
  readonly optional?: boolean;
  /**
   * With `targetPath`, merge the value as it is, as `helm --set-literal` does: commas, brackets, dots and equal signs
   * are not read as `--set` syntax (the way to pass file content, JSON or multi-line text). Flux 2.9 and newer.
   * @default false
   */
  readonly literal?: boolean;
}

/** What helm-controller does about failed installs or upgrades. */
export interface HelmReleaseStrategy {
  /**
   * `RemediateOnFailure` remediates (uninstall, or rollback) as `remediation` says; `RetryOnFailure` leaves the
   * release as it failed and retries every `retryInterval`, with no remediation.
   */
  readonly name: 'RemediateOnFailure' | 'RetryOnFailure';
  /** How soon to retry; `RetryOnFailure` only. @default 5m */
  readonly retryInterval?: FluxDuration;
}

/** Remediation of failed installs (uninstall between attempts). */
export interface HelmReleaseInstallRemediation {
  /** Attempts after the first failure; a negative number retries forever. @default 0 */
  readonly retries?: number;
  /** Do not remediate when only the Helm tests failed. @default - test.ignoreFailures */
  readonly ignoreTestFailures?: boolean;
  /** Remediate the last failure too, once no retries remain. @default false */
  readonly remediateLastFailure?: boolean;
}

/** Remediation of failed upgrades. */
export interface HelmReleaseUpgradeRemediation {
  /** Attempts after the first failure; a negative number retries forever. @default 0 */
  readonly retries?: number;
  /** Do not remediate when only the Helm tests failed. @default - test.ignoreFailures */
  readonly ignoreTestFailures?: boolean;
  /** Remediate the last failure too, once no retries remain. @default - true when retries > 0, else false */
  readonly remediateLastFailure?: boolean;
  /** How to remediate. @default "rollback" */
  readonly strategy?: 'rollback' | 'uninstall';
}

/** What to do with the chart's CRDs on install or upgrade. */
export type HelmReleaseCrdsPolicy = 'Skip' | 'Create' | 'CreateReplace';

/** Settings of the Helm install action. */
export interface HelmReleaseInstall {
  /** Timeout of each Kubernetes operation of the install. @default - spec.timeout */
  readonly timeout?: FluxDuration;
  /** Remediation of failed installs (`RemediateOnFailure` strategy). @default - none */
  readonly remediation?: HelmReleaseInstallRemediation;
  /** How failures are handled. @default - "RemediateOnFailure" */
  readonly strategy?: HelmReleaseStrategy;
  /** Do not wait for the resources to be ready. @default false */
  readonly disableWait?: boolean;
  /** Do not wait for Jobs to complete. @default false */
  readonly disableWaitForJobs?: boolean;
  /** Do not run the chart's hooks. @default false */
  readonly disableHooks?: boolean;
  /** Do not validate the rendered manifests against the Kubernetes OpenAPI schema. @default false */
  readonly disableOpenAPIValidation?: boolean;
  /** Do not validate the values against the chart's JSON schema. @default false */
  readonly disableSchemaValidation?: boolean;
  /** Do not take ownership of resources that already exist. @default false */
  readonly disableTakeOwnership?: boolean;
  /** Reuse the release name of a deleted release still in the history. @default false */
  readonly replace?: boolean;
  /** What to do with the chart's CRDs. @default "Create" */
  readonly crds?: HelmReleaseCrdsPolicy;
  /** Create the target namespace if it is missing (it is never deleted). @default false */
  readonly createNamespace?: boolean;
  /** Apply with server-side apply. @default true */
  readonly serverSideApply?: boolean;
}

/** Server-side apply on upgrades and rollbacks: `auto` follows what the release used before. */
export type HelmReleaseServerSideApply = 'enabled' | 'disabled' | 'auto';

/** Settings of the Helm upgrade action. */
export interface HelmReleaseUpgrade {
  /** Timeout of each Kubernetes operation of the upgrade. @default - spec.timeout */
  readonly timeout?: FluxDuration;
  /** Remediation of failed upgrades (`RemediateOnFailure` strategy). @default - none */
  readonly remediation?: HelmReleaseUpgradeRemediation;
  /** How failures are handled. @default - "RemediateOnFailure" */
  readonly strategy?: HelmReleaseStrategy;
  /** Do not wait for the resources to be ready. @default false */
  readonly disableWait?: boolean;
  /** Do not wait for Jobs to complete. @default false */
  readonly disableWaitForJobs?: boolean;
  /** Do not run the chart's hooks. @default false */
  readonly disableHooks?: boolean;
  /** Do not validate the rendered manifests against the Kubernetes OpenAPI schema. @default false */
  readonly disableOpenAPIValidation?: boolean;
  /** Do not validate the values against the chart's JSON schema. @default false */
  readonly disableSchemaValidation?: boolean;
  /** Do not take ownership of resources that already exist. @default false */
  readonly disableTakeOwnership?: boolean;
  /** Replace resources on conflicts (client-side apply only). @default false */
  readonly force?: boolean;
  /** Reuse the last release's values (makes the release non-declarative). @default false */
  readonly preserveValues?: boolean;
  /** Delete resources created by a failed upgrade. @default false */
  readonly cleanupOnFail?: boolean;
  /** What to do with the chart's CRDs. @default "Skip" */
  readonly crds?: HelmReleaseCrdsPolicy;
  /** Server-side apply. @default "auto" */
  readonly serverSideApply?: HelmReleaseServerSideApply;
  /**
   * What to do when the chart's name changes: `Reinstall` uninstalls the release and installs the new chart,
   * `InPlaceUpdate` upgrades the release in place (Flux 2.9 and newer).
   * @default "Reinstall"
   */
  readonly chartNameChangeStrategy?: 'InPlaceUpdate' | 'Reinstall';
}

/** A Helm test to run or skip. */
export interface HelmReleaseTestFilter {
  /** The test's name. */
  readonly name: string;
  /** Skip this test instead of running only the listed ones. @default false */
  readonly exclude?: boolean;
}

/** Settings of the Helm test action. */
export interface HelmReleaseTest {
  /** Run the chart's tests after each install and upgrade. @default false */
  readonly enable?: boolean;
  /** Timeout of each Kubernetes operation of the tests. @default - spec.timeout */
  readonly timeout?: FluxDuration;
  /** Do not remediate when tests fail. @default false */
  readonly ignoreFailures?: boolean;
  /** Tests to run or exclude. @default - every test */
  readonly filters?: HelmReleaseTestFilter[];
}

/** Settings of the Helm rollback action (upgrade remediation). */
export interface HelmReleaseRollback {
  /** Timeout of each Kubernetes operation of the rollback. @default - spec.timeout */
  readonly timeout?: FluxDuration;
  /** Do not wait for the resources to be ready. @default false */
  readonly disableWait?: boolean;
  /** Do not wait for Jobs to complete. @default false */
  readonly disableWaitForJobs?: boolean;
  /** Do not run the chart's hooks. @default false */
  readonly disableHooks?: boolean;
  /** Replace resources on conflicts (client-side apply only). @default false */
  readonly force?: boolean;
  /** Delete resources created by a failed rollback. @default false */
  readonly cleanupOnFail?: boolean;
  /**
   * Restart the release's pods on rollback. Helm deprecated it; Flux 2.8 and newer (Helm 4) accept it and do nothing.
   * @default false
   */
  readonly recreate?: boolean;
  /** Server-side apply. @default "auto" */
  readonly serverSideApply?: HelmReleaseServerSideApply;
}

/** Settings of the Helm uninstall action. */
export interface HelmReleaseUninstall {
  /** Timeout of each Kubernetes operation of the uninstall. @default - spec.timeout */
  readonly timeout?: FluxDuration;
  /** Do not run the chart's hooks. @default false */
  readonly disableHooks?: boolean;
  /** Keep the release history (the release is marked deleted). @default false */
  readonly keepHistory?: boolean;
  /** Do not wait for the resources to be deleted. @default false */
  readonly disableWait?: boolean;
  /** The deletion propagation policy. @default "background" */
  readonly deletionPropagation?: 'background' | 'foreground' | 'orphan';
}

/** Changes drift detection ignores: fields of the release's objects left as the cluster has them. */
export type HelmReleaseDriftIgnoreRule = IgnoreRule;

/** How differences between the release and the cluster are handled. */
export interface HelmReleaseDriftDetection {
  /** `enabled` corrects drift, `warn` only reports it. @default "disabled" */
  readonly mode?: 'enabled' | 'warn' | 'disabled';
  /** Changes to ignore. @default - none */
  readonly ignore?: HelmReleaseDriftIgnoreRule[];
}

/** A post-renderer: kustomize patches and image overrides applied to the rendered chart. */
export interface HelmReleasePostRenderer {
  /** Kustomize post-rendering. */
  readonly kustomize: {
    /** Strategic merge or JSON 6902 patches. @default - none */
    readonly patches?: KustomizePatch[];
    /** Image overrides. @default - none */
    readonly images?: KustomizeImage[];
  };
}

/**
 * How Helm waits for the applied resources to become ready: `poller` checks their status with kstatus (and
 * `healthCheckExprs` for custom resources), `legacy` uses Helm 3's waiting logic (Flux 2.8 and newer).
 */
export type HelmReleaseWaitStrategy = 'poller' | 'legacy';

/**
 * Which manifests post-renderers get: `nohooks` the templates only (Helm 3's behaviour), `combined` the templates
 * and hooks together (Helm 4's), `separate` the hooks in a stream of their own (Flux 2.9 and newer).
 */
export type HelmReleasePostRenderStrategy = 'nohooks' | 'combined' | 'separate';

/** Props of a {@link HelmRelease}: set exactly one of `chartRef` or `chart`. */
export interface HelmReleaseProps extends FluxObjectProps {
  /**
   * The source holding the packaged chart: an OCIRepository (with `layerSelector: HELM_CHART_LAYER_SELECTOR`),
   * a HelmChart or an ExternalArtifact.
   * @default - none: set `chart` instead
   */
  readonly chartRef?: HelmReleaseChartRef;
  /** A chart template, from which Flux creates a HelmChart. @default - none: set `chartRef` instead */
  readonly chart?: HelmReleaseChartTemplate;
  /** How often to reconcile. @default 10m */
  readonly interval?: FluxDuration;
  /** Timeout of each Kubernetes operation (like hook Jobs) of a Helm action. @default 5m */
  readonly timeout?: FluxDuration;
  /** Values of the release; they win over `valuesFrom`. @default - the chart's defaults */
  readonly values?: Record<string, unknown>;
  /** ConfigMaps and Secrets holding values, merged in order before `values`. @default - none */
  readonly valuesFrom?: HelmReleaseValuesReference[];
  /** The install action. @default - Helm's defaults */
  readonly install?: HelmReleaseInstall;
  /** The upgrade action. @default - Helm's defaults */
  readonly upgrade?: HelmReleaseUpgrade;
  /** The test action. @default - tests are not run */
  readonly test?: HelmReleaseTest;
  /** The rollback action. @default - Helm's defaults */
  readonly rollback?: HelmReleaseRollback;
  /** The uninstall action. @default - Helm's defaults */
  readonly uninstall?: HelmReleaseUninstall;
  /** Drift detection. @default - disabled */
  readonly driftDetection?: HelmReleaseDriftDetection;
  /** HelmReleases that must be ready before this one is reconciled. @default - none */
  readonly dependsOn?: IHelmRelease[];
  /** Namespace the release is installed in. @default - the HelmRelease's namespace */
  readonly targetNamespace?: string;
  /** Namespace of the Helm release storage. @default - the HelmRelease's namespace */
  readonly storageNamespace?: string;
  /** The Helm release name, at most 53 characters. @default - `[targetNamespace-]name`, shortened with a hash past 53 */
  readonly releaseName?: string;
  /** Act as this service account (multi-tenancy). @default - the controller's, or its default service account */
  readonly serviceAccountName?: string;
  /** Release to a remote cluster. @default - this cluster */
  readonly kubeConfig?: KubeConfigReference;
  /** Revisions Helm keeps; 0 keeps every one. @default 5 */
  readonly maxHistory?: number;
  /** Post-renderers, applied in order. @default - none */
  readonly postRenderers?: HelmReleasePostRenderer[];
  /** Which manifests the post-renderers get. @default - "combined": templates and hooks together */
  readonly postRenderStrategy?: HelmReleasePostRenderStrategy;
  /** How Helm waits for the applied resources. @default - "poller" */
  readonly waitStrategy?: HelmReleaseWaitStrategy;
  /**
   * CEL expressions telling the health of the chart's custom resources, used while an action waits with the
   * `poller` strategy (Flux 2.8 and newer).
   * @default - kstatus decides: a custom resource is ready when its Ready condition is True
   */
  readonly healthCheckExprs?: HealthCheckExpression[];
  /** Labels and annotations added to every object of the release, over the chart's own. @default - none */
  readonly commonMetadata?: CommonMetadata;
  /** Reuse one Kubernetes client through a reconciliation. @default true */
  readonly persistentClient?: boolean;
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
}

/** A HelmRelease, as other objects may reference it. */
export interface IHelmRelease extends IFluxObject {
  readonly kind: 'HelmRelease';
}

const CHART_REF_KINDS = ['OCIRepository', 'HelmChart', 'ExternalArtifact'];
const CHART_SOURCE_KINDS = ['HelmRepository', 'GitRepository', 'Bucket'];
const VALUES_KEY = /^[\-._a-zA-Z0-9]+$/;
const TARGET_PATH = /^([a-zA-Z0-9_\-.\\/]|\[[0-9]{1,5}\])+$/;

/** A HelmRelease (`helm.toolkit.fluxcd.io/v2`): installs and upgrades a Helm chart, and keeps it as declared. */
export class HelmRelease extends FluxObject implements IHelmRelease {
  /** References a HelmRelease managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IHelmRelease {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.helm, kind: 'HelmRelease', name, namespace: options.namespace }) as IHelmRelease;
  }

  declare public readonly kind: 'HelmRelease';

  /** The props, as given. */
  public readonly props: HelmReleaseProps;

  private readonly dependencies: Array<{ target: IHelmRelease; readyExpr?: string }> = [];

  public constructor(scope: Construct, id: string, props: HelmReleaseProps) {
    super(scope, id, props, { apiVersion: API_VERSION.helm, kind: 'HelmRelease' });
    this.props = props;
    for (const d of props.dependsOn ?? []) this.addDependency(d);
  }

  /**
   * Makes this HelmRelease wait until `dependency` is ready. Only HelmReleases can be waited for; to order a
   * HelmRelease after a Kustomization, apply it from a Kustomization that depends on that one.
   */
  public addDependency(dependency: IHelmRelease, options: DependencyOptions = {}): void {
    this.dependencies.push({ target: dependency, readyExpr: options.readyExpr });
  }

  public references(): FluxReference[] {
    const p = this.props;
    return [
      ...(p.chartRef ? [{ field: 'spec.chartRef', target: p.chartRef, kinds: CHART_REF_KINDS, source: true }] : []),
      ...(p.chart ? [{ field: 'spec.chart.spec.sourceRef', target: p.chart.sourceRef, kinds: CHART_SOURCE_KINDS, source: true }] : []),
      ...this.dependencies.map((d, i): FluxReference => ({
        field: `spec.dependsOn[${i}]`,
        target: d.target,
        kinds: ['HelmRelease'],
        dependency: true,
        kindHint: 'to order it after a Kustomization, apply this HelmRelease from a Kustomization whose dependsOn lists that one (with wait: true on it, so it is ready only when its objects are)',
      })),
    ];
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const chart = p.chart;
    const spec = {
      chartRef: p.chartRef ? renderRef(this, p.chartRef) : undefined,
      chart: chart ? {
        ...(chart.metadata ? { metadata: { labels: chart.metadata.labels, annotations: chart.metadata.annotations } } : {}),
        spec: {
          chart: chart.chart,
          version: chart.version,
          sourceRef: renderRef(this, chart.sourceRef),
          interval: renderOptionalDuration(chart.interval),
          reconcileStrategy: chart.reconcileStrategy,
          valuesFiles: chart.valuesFiles ? [...chart.valuesFiles] : undefined,
          ignoreMissingValuesFiles: chart.ignoreMissingValuesFiles,
          verify: chart.verify ? {
            provider: chart.verify.provider,
            ...(chart.verify.secretRef ? { secretRef: { name: chart.verify.secretRef.name } } : {}),
          } : undefined,
        },
      } : undefined,
      interval: renderDuration(p.interval ?? '10m'),
      timeout: renderOptionalDuration(p.timeout),
      values: p.values,
      valuesFrom: p.valuesFrom?.map((v) => ({
        kind: v.kind as 'ConfigMap' | 'Secret',
        name: v.name,
        valuesKey: v.valuesKey,
        targetPath: v.targetPath,
        optional: v.optional,
        literal: v.literal,
      })),
      install: p.install ? {
        timeout: renderOptionalDuration(p.install.timeout),
        remediation: p.install.remediation ? { ...p.install.remediation } : undefined,
        strategy: renderStrategy(p.install.strategy),
        disableWait: p.install.disableWait,
        disableWaitForJobs: p.install.disableWaitForJobs,
        disableHooks: p.install.disableHooks,
        disableOpenAPIValidation: p.install.disableOpenAPIValidation,
        disableSchemaValidation: p.install.disableSchemaValidation,
        disableTakeOwnership: p.install.disableTakeOwnership,
        replace: p.install.replace,
        crds: p.install.crds,
        createNamespace: p.install.createNamespace,
        serverSideApply: p.install.serverSideApply,
      } : undefined,
      upgrade: p.upgrade ? {
        timeout: renderOptionalDuration(p.upgrade.timeout),
        remediation: p.upgrade.remediation ? { ...p.upgrade.remediation } : undefined,
        strategy: renderStrategy(p.upgrade.strategy),
        disableWait: p.upgrade.disableWait,
        disableWaitForJobs: p.upgrade.disableWaitForJobs,
        disableHooks: p.upgrade.disableHooks,
        disableOpenAPIValidation: p.upgrade.disableOpenAPIValidation,
        disableSchemaValidation: p.upgrade.disableSchemaValidation,
        disableTakeOwnership: p.upgrade.disableTakeOwnership,
        force: p.upgrade.force,
        preserveValues: p.upgrade.preserveValues,
        cleanupOnFail: p.upgrade.cleanupOnFail,
        crds: p.upgrade.crds,
        serverSideApply: p.upgrade.serverSideApply,
        chartNameChangeStrategy: p.upgrade.chartNameChangeStrategy,
      } : undefined,
      test: p.test ? {
        enable: p.test.enable,
        timeout: renderOptionalDuration(p.test.timeout),
        ignoreFailures: p.test.ignoreFailures,
        filters: p.test.filters?.map((f) => ({ name: f.name, exclude: f.exclude })),
      } : undefined,
      rollback: p.rollback ? {
        timeout: renderOptionalDuration(p.rollback.timeout),
        disableWait: p.rollback.disableWait,
        disableWaitForJobs: p.rollback.disableWaitForJobs,
        disableHooks: p.rollback.disableHooks,
        force: p.rollback.force,
        cleanupOnFail: p.rollback.cleanupOnFail,
        serverSideApply: p.rollback.serverSideApply,
        recreate: p.rollback.recreate,
      } : undefined,
      uninstall: p.uninstall ? {
        timeout: renderOptionalDuration(p.uninstall.timeout),
        disableHooks: p.uninstall.disableHooks,
        keepHistory: p.uninstall.keepHistory,
        disableWait: p.uninstall.disableWait,
        deletionPropagation: p.uninstall.deletionPropagation,
      } : undefined,
      driftDetection: p.driftDetection ? {
        mode: p.driftDetection.mode,
        ignore: p.driftDetection.ignore?.map((r) => ({ paths: [...r.paths], target: r.target ? { ...r.target } : undefined })),
      } : undefined,
      dependsOn: this.dependencies.length > 0
        ? this.dependencies.map((d) => ({ ...renderRef(this, d.target, false), ...(d.readyExpr ? { readyExpr: d.readyExpr } : {}) }))
        : undefined,
      targetNamespace: p.targetNamespace,
      storageNamespace: p.storageNamespace,
      releaseName: p.releaseName,
      serviceAccountName: p.serviceAccountName,
      kubeConfig: p.kubeConfig ? {
        secretRef: p.kubeConfig.secretRef ? { name: p.kubeConfig.secretRef.name, key: p.kubeConfig.secretRef.key } : undefined,
        ...(p.kubeConfig.configMapRef ? { configMapRef: { name: p.kubeConfig.configMapRef.name } } : {}),
      } : undefined,
      maxHistory: p.maxHistory,
      postRenderers: p.postRenderers?.map((r) => ({
        kustomize: {
          patches: r.kustomize.patches?.map((x) => ({
            patch: typeof x.patch === 'string' ? x.patch : stringify(x.patch),
            target: x.target ? { ...x.target } : undefined,
          })),
          images: r.kustomize.images?.map((i) => ({ ...i })),
        },
      })),
      postRenderStrategy: p.postRenderStrategy,
      waitStrategy: p.waitStrategy ? { name: p.waitStrategy } : undefined,
      healthCheckExprs: renderHealthCheckExprs(p.healthCheckExprs),
      commonMetadata: p.commonMetadata ? { labels: p.commonMetadata.labels, annotations: p.commonMetadata.annotations } : undefined,
      persistentClient: p.persistentClient,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.exactlyOne({ 'spec.chart': p.chart, 'spec.chartRef': p.chartRef });
    if (p.chartRef) this.checkChartRef(c, p.chartRef);
    if (p.chart) checkChartTemplate(c, p.chart);
    c.duration('spec.interval', p.interval);
    c.duration('spec.timeout', p.timeout);
    if (p.values !== undefined && (p.values === null || typeof p.values !== 'object' || Array.isArray(p.values))) {
      c.add(`spec.values ${q(p.values)} is not an object; give the values as a map, e.g. { replicaCount: 2 }`);
    }
    p.valuesFrom?.forEach((v, i) => checkValuesReference(c, `spec.valuesFrom[${i}]`, v));
    if (p.install) {
      c.duration('spec.install.timeout', p.install.timeout);
      c.oneOf('spec.install.crds', p.install.crds, ['Skip', 'Create', 'CreateReplace']);
      checkCount(c, 'spec.install.remediation.retries', p.install.remediation?.retries, true);
      checkStrategy(c, 'spec.install', p.install.strategy, p.install.remediation);
    }
    if (p.upgrade) {
      c.duration('spec.upgrade.timeout', p.upgrade.timeout);
      c.oneOf('spec.upgrade.crds', p.upgrade.crds, ['Skip', 'Create', 'CreateReplace']);
      c.oneOf('spec.upgrade.serverSideApply', p.upgrade.serverSideApply, ['enabled', 'disabled', 'auto']);
      c.oneOf('spec.upgrade.remediation.strategy', p.upgrade.remediation?.strategy, ['rollback', 'uninstall']);
      checkCount(c, 'spec.upgrade.remediation.retries', p.upgrade.remediation?.retries, true);
      c.oneOf('spec.upgrade.chartNameChangeStrategy', p.upgrade.chartNameChangeStrategy, ['InPlaceUpdate', 'Reinstall']);
      checkStrategy(c, 'spec.upgrade', p.upgrade.strategy, p.upgrade.remediation);
    }
    if (p.test) {
      c.duration('spec.test.timeout', p.test.timeout);
      p.test.filters?.forEach((f, i) => {
        if (!f.name) c.add(`spec.test.filters[${i}].name is empty; name the Helm test to run or exclude`);
      });
      if (p.test.filters?.length && !p.test.enable) c.add('spec.test.filters is set but spec.test.enable is not true, so no test runs; set enable: true or drop the filters');
    }
    if (p.rollback) {
      c.duration('spec.rollback.timeout', p.rollback.timeout);
      c.oneOf('spec.rollback.serverSideApply', p.rollback.serverSideApply, ['enabled', 'disabled', 'auto']);
    }
    if (p.uninstall) {
      c.duration('spec.uninstall.timeout', p.uninstall.timeout);
      c.oneOf('spec.uninstall.deletionPropagation', p.uninstall.deletionPropagation, ['background', 'foreground', 'orphan']);
    }
    if (p.driftDetection) {
      c.oneOf('spec.driftDetection.mode', p.driftDetection.mode, ['enabled', 'warn', 'disabled']);
      checkIgnoreRules(c, 'spec.driftDetection.ignore', p.driftDetection.ignore);
    }
    c.dnsLabel('spec.targetNamespace', p.targetNamespace);
    c.dnsLabel('spec.storageNamespace', p.storageNamespace);
    c.dnsName('spec.releaseName', p.releaseName, 53);
    c.dnsName('spec.serviceAccountName', p.serviceAccountName);
    if (p.kubeConfig) c.exactlyOne({ 'spec.kubeConfig.secretRef': p.kubeConfig.secretRef, 'spec.kubeConfig.configMapRef': p.kubeConfig.configMapRef });
    checkCount(c, 'spec.maxHistory', p.maxHistory, false);
    c.oneOf('spec.postRenderStrategy', p.postRenderStrategy, ['nohooks', 'combined', 'separate']);
    c.oneOf('spec.waitStrategy.name', p.waitStrategy, ['poller', 'legacy']);
    checkHealthCheckExprs(c, p.healthCheckExprs);
    if (p.healthCheckExprs?.length && p.waitStrategy === 'legacy') {
      c.add('spec.healthCheckExprs is used only with waitStrategy "poller"; drop waitStrategy "legacy" or the expressions');
    }
    this.dependencies.forEach((d, i) => c.celExpression(`spec.dependsOn[${i}].readyExpr`, d.readyExpr));
    p.postRenderers?.forEach((r, i) => {
      if (!r.kustomize?.patches?.length && !r.kustomize?.images?.length) {
        c.add(`spec.postRenderers[${i}].kustomize has no patches and no images; give it one, or drop the post-renderer`);
      }
    });
  }

  /** An OCIRepository used as a chart source must keep the chart layer as is. */
  private checkChartRef(c: Checks, ref: HelmReleaseChartRef): void {
    if (!(ref instanceof OciRepository)) return;
    let selector: { mediaType?: string; operation?: string } | undefined;
    try {
      selector = ref.toJson().spec?.layerSelector;
    } catch {
      selector = ref.props.layerSelector;
    }
    if (selector?.mediaType !== HELM_CHART_MEDIA_TYPE || selector?.operation !== 'copy') {
      const got = selector ? `has layerSelector ${q(selector)}` : 'has no layerSelector';
      c.add(`spec.chartRef refers to OCIRepository ${ref.namespace}/${ref.name}, which ${got}; to serve a Helm chart it needs ` +
        `layerSelector { mediaType: "${HELM_CHART_MEDIA_TYPE}", operation: "copy" } (HELM_CHART_LAYER_SELECTOR)`);
    }
  }
}

function renderStrategy(s: HelmReleaseStrategy | undefined): { name: 'RemediateOnFailure' | 'RetryOnFailure'; retryInterval?: string } | undefined {
  if (!s) return undefined;
  return { name: s.name, ...(s.retryInterval !== undefined ? { retryInterval: renderDuration(s.retryInterval) } : {}) };
}

function checkChartTemplate(c: Checks, chart: HelmReleaseChartTemplate): void {
  const fromFiles = chart.sourceRef.kind === 'GitRepository' || chart.sourceRef.kind === 'Bucket';
  if (!chart.chart || chart.chart.trim() === '') {
    c.add('spec.chart.spec.chart is empty; give the chart name (Helm repository) or its path (Git repository or bucket)');
  } else if (fromFiles) {
    c.relativePath('spec.chart.spec.chart', chart.chart);
  } else if (chart.chart.includes('/')) {
    c.add(`spec.chart.spec.chart ${q(chart.chart)} is a path, but a HelmRepository serves charts by name; use the chart name, e.g. ${q(chart.chart.split('/').filter((s) => s).pop() ?? 'podinfo')}`);
  }
  c.semverRange('spec.chart.spec.version', chart.version);
  if (fromFiles && chart.version !== undefined) {
    c.add(`spec.chart.spec.version ${q(chart.version)} is ignored for charts from a ${chart.sourceRef.kind} (the chart's own version is used); drop it`);
  }
  if (fromFiles && chart.verify) {
    c.add(`spec.chart.spec.verify is supported for OCI Helm repositories only, not a ${chart.sourceRef.kind}; drop it, or sign and serve the chart from an OCI registry`);
  }
  c.duration('spec.chart.spec.interval', chart.interval);
  c.oneOf('spec.chart.spec.reconcileStrategy', chart.reconcileStrategy, ['ChartVersion', 'Revision']);
  chart.valuesFiles?.forEach((f, i) => c.relativePath(`spec.chart.spec.valuesFiles[${i}]`, f));
  c.oneOf('spec.chart.spec.verify.provider', chart.verify?.provider, ['cosign', 'notation']);
  if (chart.verify?.provider === 'notation' && !chart.verify.secretRef) {
    c.add('spec.chart.spec.verify.secretRef is required with provider "notation" (the trust policy and certificates)');
  }
}

function checkValuesReference(c: Checks, field: string, v: HelmReleaseValuesReference): void {
  c.oneOf(`${field}.kind`, v.kind, ['ConfigMap', 'Secret']);
  c.dnsName(`${field}.name`, v.name);
  if (v.valuesKey !== undefined && (!VALUES_KEY.test(v.valuesKey) || v.valuesKey.length > 253)) {
    c.add(`${field}.valuesKey ${q(v.valuesKey)} is not a valid data key; use letters, digits, '-', '_' and '.', at most 253 characters, e.g. "values.yaml"`);
  }
  if (v.targetPath !== undefined && (!TARGET_PATH.test(v.targetPath) || v.targetPath.length > 250)) {
    c.add(`${field}.targetPath ${q(v.targetPath)} is not a values path; use dot notation with letters, digits, '-', '_' and [index], e.g. "image.tag" or "hosts[0]"`);
  }
}

function checkStrategy(c: Checks, action: string, s: HelmReleaseStrategy | undefined, remediation: object | undefined): void {
  if (!s) return;
  c.oneOf(`${action}.strategy.name`, s.name, ['RemediateOnFailure', 'RetryOnFailure']);
  c.duration(`${action}.strategy.retryInterval`, s.retryInterval);
  if (s.retryInterval !== undefined && s.name !== 'RetryOnFailure') {
    c.add(`${action}.strategy.retryInterval is set with strategy ${q(s.name)}; it applies to "RetryOnFailure" only, so drop it or change the strategy`);
  }
  if (s.name === 'RetryOnFailure' && remediation !== undefined) {
    c.add(`${action}.remediation is ignored with strategy "RetryOnFailure" (failures are retried, never remediated); drop it or use "RemediateOnFailure"`);
  }
}

function checkCount(c: Checks, field: string, value: number | undefined, negativeAllowed: boolean): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (!negativeAllowed && value < 0)) {
    c.add(`${field} ${q(value)} must be ${negativeAllowed ? 'an integer (negative retries forever)' : 'a whole number, 0 or more (0 keeps every revision)'}`);
  }
}
