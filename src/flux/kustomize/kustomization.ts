import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { API_VERSION, CommonMetadata, FromNameOptions, SecretKeyReference, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';
import type { IBucket } from '../source/bucket.js';
import type { IExternalArtifact } from '../source/external-artifact.js';
import type { IGitRepository } from '../source/git-repository.js';
import type { IOciRepository } from '../source/oci-repository.js';

/** The sources a Kustomization can reconcile. */
export type KustomizationSource = IOciRepository | IGitRepository | IBucket | IExternalArtifact;

/** A Kubernetes object to health-check; Flux objects and cdk8s-plus resources fit. */
export interface HealthCheckTarget {
  /** The object's API version, e.g. `apps/v1`. @default - the API version of the kind, as Flux resolves it */
  readonly apiVersion?: string;
  /** The object's kind, e.g. `Deployment`. */
  readonly kind: string;
  /** The object's name. */
  readonly name: string;
  /** The object's namespace. @default - the Kustomization's target namespace */
  readonly namespace?: string;
}

/** A ConfigMap or Secret whose data feeds postBuild substitution; cdk8s-plus ConfigMap and Secret fit. */
export interface SubstitutionSource {
  /** `ConfigMap` or `Secret`. */
  readonly kind: string;
  /** Its name, in the Kustomization's namespace. */
  readonly name: string;
  /** Reconcile even when the object is missing. @default false */
  readonly optional?: boolean;
}

/**
 * When substitution runs: `WithVariables` only when some variable is defined (inline or from the ConfigMaps and
 * Secrets), `Always` even with none, so that `${var:=default}` expressions take their defaults.
 */
export type SubstituteStrategy = 'WithVariables' | 'Always';

/** Variable substitution in the built manifests. */
export interface PostBuild {
  /** Variables and their values: `${name}` in the manifests becomes the value. @default - none */
  readonly substitute?: Record<string, string>;
  /** ConfigMaps and Secrets whose data are variables; `substitute` wins on conflicts. @default - none */
  readonly substituteFrom?: SubstitutionSource[];
  /** When substitution runs (Flux 2.9 and newer). @default - "WithVariables": only when some variable is defined */
  readonly substituteStrategy?: SubstituteStrategy;
}

/**
 * How to tell the health of a custom resource, in CEL: each expression sees the object's fields (`status`,
 * `metadata`, `spec`) as variables, e.g. `status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')`.
 * The first of `failed`, `current` and `inProgress` that holds decides; when none holds, the object is in progress.
 */
export interface HealthCheckExpression {
  /** The API version of the objects this applies to, e.g. `cert-manager.io/v1`. */
  readonly apiVersion: string;
  /** Their kind, e.g. `Certificate`. */
  readonly kind: string;
  /** When the object is healthy. */
  readonly current: string;
  /** When the object is still progressing. @default - progressing whenever neither `current` nor `failed` holds */
  readonly inProgress?: string;
  /** When the object has failed. @default - never failed: it stays in progress until the timeout */
  readonly failed?: string;
}

/** Kustomize build metadata added to every built object as annotations. */
export type BuildMetadataOption = 'originAnnotations' | 'transformerAnnotations';

/** Fields of applied objects that reconciliation leaves as the cluster has them. */
export interface IgnoreRule {
  /** JSON pointers (RFC 6901) of the fields, e.g. `/spec/replicas`. */
  readonly paths: string[];
  /** The objects the rule applies to. @default - every applied object */
  readonly target?: PatchSelector;
}

/** How encrypted manifests are decrypted. */
export interface Decryption {
  /** The decryption tool. @default "sops" */
  readonly provider?: 'sops';
  /** The Secret with the decryption keys. @default - cloud KMS through workload identity */
  readonly secretRef?: SecretReference;
  /** The service account whose identity reaches the KMS. @default - the controller's */
  readonly serviceAccountName?: string;
}

/** A kubeconfig for applying to a remote cluster: exactly one of the two. */
export interface KubeConfigReference {
  /** A Secret with the kubeconfig (key `value` or `value.yaml` unless `key` is set). @default - none: set `configMapRef` */
  readonly secretRef?: SecretKeyReference;
  /** A ConfigMap describing a cloud provider identity for the remote cluster. @default - none: set `secretRef` */
  readonly configMapRef?: SecretReference;
}

/** Which objects a patch applies to. */
export interface PatchSelector {
  /** The API group of the objects, e.g. `apps`. @default - any group */
  readonly group?: string;
  /** The API version of the objects, e.g. `v1`. @default - any version */
  readonly version?: string;
  /** The kind of the objects, e.g. `Deployment`. @default - any kind */
  readonly kind?: string;
  /** The name of the objects, a regular expression. @default - any name */
  readonly name?: string;
  /** The namespace of the objects, a regular expression. @default - any namespace */
  readonly namespace?: string;
  /** A label selector the objects must match, e.g. `app=web,tier!=db`. @default - any labels */
  readonly labelSelector?: string;
  /** An annotation selector the objects must match. @default - any annotations */
  readonly annotationSelector?: string;
}

/** A strategic merge or JSON 6902 patch. */
export interface KustomizePatch {
  /** The patch: YAML text, or an object (written as YAML). */
  readonly patch: string | Record<string, unknown> | Array<Record<string, unknown>>;
  /** The objects the patch applies to. @default - the object the patch names */
  readonly target?: PatchSelector;
}

/** An image override. */
export interface KustomizeImage {
  /** The image name to match. */
  readonly name: string;
  /** The image name to use instead. @default - the same name */
  readonly newName?: string;
  /** The tag to use instead. @default - the same tag */
  readonly newTag?: string;
  /** A digest to pin the image to, which wins over the tag. @default - none */
  readonly digest?: string;
}

/** Options of a dependency. */
export interface DependencyOptions {
  /** A CEL expression over the dependency that must hold, beyond Ready. @default - Ready */
  readonly readyExpr?: string;
}

/** Props of a {@link Kustomization}. */
export interface KustomizationProps extends FluxObjectProps {
  /** The source whose artifact holds the manifests. */
  readonly sourceRef: KustomizationSource;
  /** The folder of the artifact with the kustomization, relative, e.g. `./apps/podinfo`. @default - the artifact root */
  readonly path?: string;
  /** How often to reconcile. @default 10m */
  readonly interval?: FluxDuration;
  /** How soon to retry after a failure. @default - the interval */
  readonly retryInterval?: FluxDuration;
  /** Timeout of build, apply and health checks. @default - the interval */
  readonly timeout?: FluxDuration;
  /** Delete objects that leave the source. @default true */
  readonly prune?: boolean;
  /** Wait for every applied object to become ready. @default false */
  readonly wait?: boolean;
  /** Recreate objects whose immutable fields changed. @default false */
  readonly force?: boolean;
  /** Objects whose readiness this Kustomization's readiness waits for. @default - none */
  readonly healthChecks?: HealthCheckTarget[];
  /**
   * CEL expressions telling the health of custom resources, for `wait` and `healthChecks` (which they need: without
   * either, nothing is health-checked).
   * @default - kstatus decides: a custom resource is ready when its Ready condition is True
   */
  readonly healthCheckExprs?: HealthCheckExpression[];
  /** Fields of applied objects that drift detection and apply leave alone (Flux 2.9 and newer). @default - none */
  readonly ignore?: IgnoreRule[];
  /** Kustomizations that must be ready before this one is applied. @default - none */
  readonly dependsOn?: IKustomization[];
  /** Variable substitution. @default - none */
  readonly postBuild?: PostBuild;
  /** Namespace of every applied object that has none of its own. @default - the objects' own */
  readonly targetNamespace?: string;
  /** Apply as this service account (multi-tenancy). @default - the controller's, or its default service account */
  readonly serviceAccountName?: string;
  /** SOPS decryption. @default - none */
  readonly decryption?: Decryption;
  /** Apply to a remote cluster. @default - this cluster */
  readonly kubeConfig?: KubeConfigReference;
  /** Kustomize components to include, relative to `path`. @default - none */
  readonly components?: string[];
  /** Leave out `components` that the source lacks instead of failing. @default false */
  readonly ignoreMissingComponents?: boolean;
  /** Kustomize build metadata to annotate the applied objects with (Flux 2.9 and newer). @default - none */
  readonly buildMetadata?: BuildMetadataOption[];
  /** Patches applied after the build. @default - none */
  readonly patches?: KustomizePatch[];
  /** Image overrides. @default - none */
  readonly images?: KustomizeImage[];
  /** Labels and annotations for every applied object. @default - none */
  readonly commonMetadata?: CommonMetadata;
  /** Prefix of every applied object's name. @default - none */
  readonly namePrefix?: string;
  /** Suffix of every applied object's name. @default - none */
  readonly nameSuffix?: string;
  /** What happens to applied objects when the Kustomization is deleted. @default "MirrorPrune" */
  readonly deletionPolicy?: 'MirrorPrune' | 'Delete' | 'WaitForTermination' | 'Orphan';
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
}

/** A Kustomization, as other objects may reference it. */
export interface IKustomization extends IFluxObject {
  readonly kind: 'Kustomization';
}

/** A Kustomization (`kustomize.toolkit.fluxcd.io/v1`): builds a kustomize tree from a source and applies it. */
export class Kustomization extends FluxObject implements IKustomization {
  /** References a Kustomization managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IKustomization {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.kustomize, kind: 'Kustomization', name, namespace: options.namespace }) as IKustomization;
  }

  declare public readonly kind: 'Kustomization';

  /** The props, as given. */
  public readonly props: KustomizationProps;

  private readonly dependencies: Array<{ target: IKustomization; readyExpr?: string }> = [];

  public constructor(scope: Construct, id: string, props: KustomizationProps) {
    super(scope, id, props, {
      apiVersion: API_VERSION.kustomize,
      kind: 'Kustomization',
      maxNameLength: 63,
    });
    this.props = props;
    for (const d of props.dependsOn ?? []) this.addDependency(d);
  }

  /** Makes this Kustomization wait until `dependency` is ready. */
  public addDependency(dependency: IKustomization, options: DependencyOptions = {}): void {
    this.dependencies.push({ target: dependency, readyExpr: options.readyExpr });
  }

  public references(): FluxReference[] {
    return [
      { field: 'spec.sourceRef', target: this.props.sourceRef, kinds: ['OCIRepository', 'GitRepository', 'Bucket', 'ExternalArtifact'], source: true },
      ...this.dependencies.map((d, i): FluxReference => ({
        field: `spec.dependsOn[${i}]`,
        target: d.target,
        kinds: ['Kustomization'],
        dependency: true,
        kindHint: 'to wait for another kind, list it in healthChecks or wrap it in a Kustomization with wait: true',
      })),
    ];
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      sourceRef: renderRef(this, p.sourceRef),
      path: p.path,
      interval: renderDuration(p.interval ?? '10m'),
      retryInterval: renderOptionalDuration(p.retryInterval),
      timeout: renderOptionalDuration(p.timeout),
      prune: p.prune ?? true,
      wait: p.wait,
      force: p.force,
      dependsOn: this.dependencies.length > 0
        ? this.dependencies.map((d) => ({ ...renderRef(this, d.target, false), ...(d.readyExpr ? { readyExpr: d.readyExpr } : {}) }))
        : undefined,
      healthChecks: p.healthChecks?.map((h) => ({ apiVersion: h.apiVersion, kind: h.kind, name: h.name, namespace: h.namespace })),
      healthCheckExprs: renderHealthCheckExprs(p.healthCheckExprs),
      ignore: p.ignore?.map((r) => ({ paths: [...r.paths], target: r.target ? { ...r.target } : undefined })),
      postBuild: p.postBuild ? {
        substitute: p.postBuild.substitute ? { ...p.postBuild.substitute } : undefined,
        substituteFrom: p.postBuild.substituteFrom?.map((s) => ({ kind: s.kind as 'ConfigMap' | 'Secret', name: s.name, optional: s.optional })),
        substituteStrategy: p.postBuild.substituteStrategy,
      } : undefined,
      targetNamespace: p.targetNamespace,
      serviceAccountName: p.serviceAccountName,
      decryption: p.decryption ? {
        provider: p.decryption.provider ?? 'sops',
        secretRef: p.decryption.secretRef ? { name: p.decryption.secretRef.name } : undefined,
        ...(p.decryption.serviceAccountName ? { serviceAccountName: p.decryption.serviceAccountName } : {}),
      } : undefined,
      kubeConfig: p.kubeConfig ? {
        secretRef: p.kubeConfig.secretRef ? { name: p.kubeConfig.secretRef.name, key: p.kubeConfig.secretRef.key } : undefined,
        ...(p.kubeConfig.configMapRef ? { configMapRef: { name: p.kubeConfig.configMapRef.name } } : {}),
      } : undefined,
      components: p.components ? [...p.components] : undefined,
      ignoreMissingComponents: p.ignoreMissingComponents,
      buildMetadata: p.buildMetadata ? [...p.buildMetadata] : undefined,
      patches: p.patches?.map((x) => ({ patch: typeof x.patch === 'string' ? x.patch : stringify(x.patch), target: x.target ? { ...x.target } : undefined })),
      images: p.images?.map((i) => ({ ...i })),
      commonMetadata: p.commonMetadata ? { labels: p.commonMetadata.labels, annotations: p.commonMetadata.annotations } : undefined,
      namePrefix: p.namePrefix,
      nameSuffix: p.nameSuffix,
      deletionPolicy: p.deletionPolicy,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.relativePath('spec.path', p.path);
    c.duration('spec.interval', p.interval);
    c.duration('spec.retryInterval', p.retryInterval);
    c.duration('spec.timeout', p.timeout);
    c.dnsLabel('spec.targetNamespace', p.targetNamespace);
    c.maxLength('spec.namePrefix', p.namePrefix, 200);
    c.maxLength('spec.nameSuffix', p.nameSuffix, 200);
    c.oneOf('spec.deletionPolicy', p.deletionPolicy, ['MirrorPrune', 'Delete', 'WaitForTermination', 'Orphan']);
    p.components?.forEach((comp, i) => c.relativePath(`spec.components[${i}]`, comp));
    for (const name of Object.keys(p.postBuild?.substitute ?? {})) c.variableName(`spec.postBuild.substitute.${name}`, name);
    p.postBuild?.substituteFrom?.forEach((s, i) => c.oneOf(`spec.postBuild.substituteFrom[${i}].kind`, s.kind, ['ConfigMap', 'Secret']));
    if (p.kubeConfig) c.exactlyOne({ 'spec.kubeConfig.secretRef': p.kubeConfig.secretRef, 'spec.kubeConfig.configMapRef': p.kubeConfig.configMapRef });
    if (p.wait && p.healthChecks?.length) c.add('spec.healthChecks is ignored when spec.wait is true (wait checks every applied object); drop one of them');
    p.healthChecks?.forEach((h, i) => { if (!h.kind || !h.name) c.add(`spec.healthChecks[${i}] ${q(h)} needs a kind and a name`); });
    checkHealthCheckExprs(c, p.healthCheckExprs);
    if (p.healthCheckExprs?.length && !p.wait && !p.healthChecks?.length) {
      c.add('spec.healthCheckExprs is evaluated only with spec.wait or spec.healthChecks; set wait: true, or list the objects in healthChecks');
    }
    c.oneOf('spec.postBuild.substituteStrategy', p.postBuild?.substituteStrategy, ['WithVariables', 'Always']);
    p.buildMetadata?.forEach((b, i) => c.oneOf(`spec.buildMetadata[${i}]`, b, ['originAnnotations', 'transformerAnnotations']));
    checkIgnoreRules(c, 'spec.ignore', p.ignore);
    this.dependencies.forEach((d, i) => c.celExpression(`spec.dependsOn[${i}].readyExpr`, d.readyExpr));
  }
}

/** Renders `spec.healthCheckExprs` of a Kustomization or HelmRelease. @internal */
export function renderHealthCheckExprs(exprs: readonly HealthCheckExpression[] | undefined) {
  return exprs?.map((e) => ({ apiVersion: e.apiVersion, kind: e.kind, current: e.current, inProgress: e.inProgress, failed: e.failed }));
}

/** Checks `spec.healthCheckExprs`: each names its kind, and each expression parses as CEL. @internal */
export function checkHealthCheckExprs(c: Checks, exprs: readonly HealthCheckExpression[] | undefined): void {
  exprs?.forEach((e, i) => {
    const field = `spec.healthCheckExprs[${i}]`;
    if (!e.apiVersion || !e.kind) c.add(`${field} ${q({ apiVersion: e.apiVersion, kind: e.kind })} needs an apiVersion and a kind, e.g. "cert-manager.io/v1" and "Certificate"`);
    for (const key of ['current', 'inProgress', 'failed'] as const) c.celExpression(`${field}.${key}`, e[key]);
  });
}

/** Checks rules of fields to ignore: JSON pointers. @internal */
export function checkIgnoreRules(c: Checks, field: string, rules: readonly IgnoreRule[] | undefined): void {
  rules?.forEach((r, i) => {
    if (r.paths.length === 0) c.add(`${field}[${i}].paths is empty; list JSON pointers such as "/spec/replicas"`);
    r.paths.forEach((path, j) => {
      if (!path.startsWith('/')) {
        c.add(`${field}[${i}].paths[${j}] ${q(path)} is not a JSON pointer; start it with "/", e.g. ${q('/' + path.replace(/^[./]+/, '').replace(/\./g, '/'))}`);
      }
    });
  });
}
