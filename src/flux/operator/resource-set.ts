import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { API_VERSION, CommonMetadata, FromNameOptions, LabelSelectorRequirement } from '../core/api.js';
import { FluxDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** A ResourceSetInputProvider (`fluxcd.controlplane.io/v1`), as a ResourceSet may take inputs from it. */
export interface IResourceSetInputProvider extends IFluxObject {
  readonly kind: 'ResourceSetInputProvider';
}

/** A label selector over ResourceSetInputProviders. */
export interface InputProviderSelector {
  /** Labels a provider must carry. @default - none */
  readonly matchLabels?: Record<string, string>;
  /** Label requirements a provider must meet. @default - none */
  readonly matchExpressions?: LabelSelectorRequirement[];
}

/** Where a ResourceSet takes more inputs from; create one with a static method. */
export class InputsFrom {
  /** The inputs one ResourceSetInputProvider exports; it must be in the ResourceSet's namespace. */
  public static provider(provider: IResourceSetInputProvider): InputsFrom {
    return new InputsFrom(provider, undefined);
  }

  /** The inputs of every ResourceSetInputProvider of the ResourceSet's namespace whose labels match. */
  public static selector(selector: InputProviderSelector): InputsFrom {
    return new InputsFrom(undefined, selector);
  }

  private constructor(
    /** The provider, when one is named. */
    public readonly target: IResourceSetInputProvider | undefined,
    /** The selector, when providers are selected by label. */
    public readonly labelSelector: InputProviderSelector | undefined,
  ) {}
}

/** How the inputs of several providers are combined: one list (`Flatten`), or every combination (`Permute`). */
export type InputStrategy = 'Flatten' | 'Permute';

/**
 * A Kubernetes object for the ResourceSet to apply: a plain object (with `<< inputs.x >>` placeholders as needed),
 * or a cdk8s `ApiObject` or Flux construct, rendered with its `toJson()`. Create constructs in a Chart of an App of
 * their own (e.g. `new Chart(new App(), 'templates')`): a construct in this app's charts would be written twice.
 */
export type ResourceSetResource = Record<string, unknown> | ApiObject | FluxObject;

/** A Kubernetes object the ResourceSet waits for; Flux objects and cdk8s ApiObjects fit. */
export interface DependencyTarget {
  /** e.g. `apiextensions.k8s.io/v1`. */
  readonly apiVersion: string;
  /** e.g. `CustomResourceDefinition`. */
  readonly kind: string;
  /** The object's name. */
  readonly name: string;
  /** The object's namespace. @default - none (a cluster-scoped object) */
  readonly namespace?: string;
}

/** A Kubernetes object that must exist (and optionally be ready) before the ResourceSet reconciles. */
export interface ResourceSetDependency {
  /** The object to wait for. */
  readonly target: DependencyTarget | ApiObject;
  /** Wait until its Ready condition is true, not only until it exists. @default false */
  readonly ready?: boolean;
  /** A CEL expression over the object that replaces the Ready check; needs `ready: true`. @default - the Ready condition */
  readonly readyExpr?: string;
}

/** A named step of a ResourceSet: its resources are applied and healthy before the next step starts. */
export interface ResourceSetStep {
  /** The step's name, a DNS label unique in the ResourceSet. */
  readonly name: string;
  /** The objects of this step. @default - none */
  readonly resources?: ResourceSetResource[];
  /** A Go template (delimiters `<<` and `>>`) of multi-document YAML of this step's objects. @default - none */
  readonly resourcesTemplate?: string;
  /** How long to wait for the step's objects to become ready. @default - the ResourceSet's reconcile timeout (5m) */
  readonly timeout?: FluxDuration;
}

/** Props of a {@link ResourceSet}. */
export interface ResourceSetProps extends FluxObjectProps {
  /** Sets of input values; the resources are generated once per set, as `<< inputs.key >>`. @default - one empty set */
  readonly inputs?: Array<Record<string, unknown>>;
  /** More input sets, from ResourceSetInputProviders. @default - none */
  readonly inputsFrom?: InputsFrom[];
  /** How the input sets of several providers combine. @default "Flatten" */
  readonly inputStrategy?: InputStrategy;
  /**
   * With `Permute`, keep the combinations in which a provider exported no input (its fields then absent) instead of
   * producing none.
   * @default false
   */
  readonly includeEmptyProviders?: boolean;
  /** The objects to generate per input set. @default - none */
  readonly resources?: ResourceSetResource[];
  /** A Go template (delimiters `<<` and `>>`) of multi-document YAML; merged with `resources`, which win. @default - none */
  readonly resourcesTemplate?: string;
  /** Ordered steps, instead of `resources` and `resourcesTemplate`; at most 20. @default - no steps */
  readonly steps?: ResourceSetStep[];
  /** Objects that must exist (or be ready) first. @default - none */
  readonly dependsOn?: ResourceSetDependency[];
  /** The service account in the ResourceSet's namespace the operator impersonates to apply. @default - the operator's */
  readonly serviceAccountName?: string;
  /** Wait for every applied object to become ready. @default false */
  readonly wait?: boolean;
  /** Labels and annotations for every generated object. @default - none */
  readonly commonMetadata?: CommonMetadata;
}

/** A ResourceSet, as other objects may reference it. */
export interface IResourceSet extends IFluxObject {
  readonly kind: 'ResourceSet';
}

/**
 * A ResourceSet (`fluxcd.controlplane.io/v1`): Flux Operator generates a group of Kubernetes objects from templates,
 * once per input set, and applies, health-checks and prunes them together.
 */
export class ResourceSet extends FluxObject implements IResourceSet {
  /** References a ResourceSet managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IResourceSet {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.operator, kind: 'ResourceSet', name, namespace: options.namespace }) as IResourceSet;
  }

  /** References a ResourceSetInputProvider managed elsewhere, for {@link InputsFrom.provider}. */
  public static inputProviderFromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IResourceSetInputProvider {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.operator, kind: 'ResourceSetInputProvider', name, namespace: options.namespace }) as IResourceSetInputProvider;
  }

  declare public readonly kind: 'ResourceSet';

  /** The props, as given. */
  public readonly props: ResourceSetProps;

  private readonly dependencies: ResourceSetDependency[] = [];

  public constructor(scope: Construct, id: string, props: ResourceSetProps) {
    super(scope, id, props, { apiVersion: API_VERSION.operator, kind: 'ResourceSet' });
    this.props = props;
    for (const d of props.dependsOn ?? []) this.addDependency(d.target, d);
  }

  /** Makes the ResourceSet wait until `target` exists (and, with `ready`, is ready). */
  public addDependency(target: DependencyTarget | ApiObject, options: { readonly ready?: boolean; readonly readyExpr?: string } = {}): void {
    this.dependencies.push({ target, ready: options.ready, readyExpr: options.readyExpr });
  }

  public references(): FluxReference[] {
    return (this.props.inputsFrom ?? []).flatMap((f, i): FluxReference[] => f.target
      ? [{ field: `spec.inputsFrom[${i}]`, target: f.target, kinds: ['ResourceSetInputProvider'] }]
      : []);
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec: ResourceSetSpecJson = {
      commonMetadata: p.commonMetadata ? { labels: p.commonMetadata.labels, annotations: p.commonMetadata.annotations } : undefined,
      inputs: p.inputs?.map((i) => clone(i)),
      inputsFrom: p.inputsFrom?.map((f) => ({
        kind: 'ResourceSetInputProvider',
        ...(f.target ? { name: f.target.name } : {}),
        ...(f.labelSelector ? { selector: renderSelector(f.labelSelector) } : {}),
      })),
      inputStrategy: p.inputStrategy
        ? { name: p.inputStrategy, ...(p.includeEmptyProviders !== undefined ? { includeEmptyProviders: p.includeEmptyProviders } : {}) }
        : undefined,
      resources: p.resources?.map(renderResource),
      resourcesTemplate: p.resourcesTemplate,
      steps: p.steps?.map((s) => ({
        name: s.name,
        resources: s.resources?.map(renderResource),
        resourcesTemplate: s.resourcesTemplate,
        timeout: renderOptionalDuration(s.timeout),
      })),
      dependsOn: this.dependencies.length > 0 ? this.dependencies.map((d) => {
        const t = dependencyTarget(d.target);
        return { apiVersion: t.apiVersion, kind: t.kind, name: t.name, namespace: t.namespace, ready: d.ready, readyExpr: d.readyExpr };
      }) : undefined,
      serviceAccountName: p.serviceAccountName,
      wait: p.wait,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.dnsName('spec.serviceAccountName', p.serviceAccountName);
    c.oneOf('spec.inputStrategy.name', p.inputStrategy, ['Flatten', 'Permute']);
    if (p.includeEmptyProviders !== undefined && p.inputStrategy !== 'Permute') {
      c.add(`spec.inputStrategy.includeEmptyProviders applies to inputStrategy "Permute" only (got ${q(p.inputStrategy ?? 'Flatten')}); drop it, or use "Permute"`);
    }
    if (p.inputStrategy === 'Permute' && (p.inputsFrom?.length ?? 0) === 0) {
      c.add('spec.inputStrategy "Permute" combines the inputs of providers, but spec.inputsFrom is empty; add providers, or drop inputStrategy');
    }
    p.inputsFrom?.forEach((f, i) => {
      if (f.target && f.target.namespace !== this.namespace) {
        c.add(`spec.inputsFrom[${i}] refers to ResourceSetInputProvider ${f.target.namespace}/${f.target.name} in another namespace; inputsFrom reads providers of the ResourceSet's own namespace only, so put it in ${this.namespace}`);
      }
    });
    if (p.steps !== undefined) {
      if (p.resources !== undefined || p.resourcesTemplate !== undefined) {
        c.add('spec.steps is set with spec.resources or spec.resourcesTemplate; they are mutually exclusive, so move those objects into a step');
      }
      this.checkSteps(c, p.steps);
    } else if (p.resources === undefined && p.resourcesTemplate === undefined) {
      c.add('spec.resources, spec.resourcesTemplate and spec.steps are all unset, so the ResourceSet creates nothing; set one of them');
    }
    this.checkResources(c, 'spec.resources', p.resources);
    this.dependencies.forEach((d, i) => {
      const t = dependencyTarget(d.target);
      if (d.readyExpr !== undefined && d.ready !== true) {
        c.add(`spec.dependsOn[${i}].readyExpr is only evaluated with ready: true; set ready: true on the dependency on ${t.kind} ${t.name}`);
      }
      if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(t.apiVersion)) {
        c.add(`spec.dependsOn[${i}].apiVersion ${q(t.apiVersion)} is not an API version; use e.g. "v1" or "apiextensions.k8s.io/v1"`);
      }
      c.dnsLabel(`spec.dependsOn[${i}].namespace`, t.namespace);
    });
  }

  private checkSteps(c: Checks, steps: ResourceSetStep[]): void {
    if (steps.length > 20) c.add(`spec.steps has ${steps.length} steps; at most 20 are allowed: merge some`);
    const seen = new Set<string>();
    steps.forEach((s, i) => {
      c.dnsLabel(`spec.steps[${i}].name`, s.name);
      if (seen.has(s.name)) c.add(`spec.steps[${i}].name ${q(s.name)} is used by another step; give each step its own name`);
      seen.add(s.name);
      if (s.resources === undefined && s.resourcesTemplate === undefined) {
        c.add(`spec.steps[${i}] (${q(s.name)}) has neither resources nor resourcesTemplate; set one, or drop the step`);
      }
      c.duration(`spec.steps[${i}].timeout`, s.timeout);
      this.checkResources(c, `spec.steps[${i}].resources`, s.resources);
    });
  }

  private checkResources(c: Checks, field: string, resources: ResourceSetResource[] | undefined): void {
    resources?.forEach((r, i) => {
      if (isConstruct(r)) {
        if (r.node.root === this.node.root) {
          c.add(`${field}[${i}] is ${r.node.path}, which its chart writes too; create it in a Chart of an App of its own (e.g. new Chart(new App(), 'templates')) so that only the ResourceSet applies it`);
        }
        return;
      }
      const metadata = r.metadata as Record<string, unknown> | undefined;
      if (typeof r.apiVersion !== 'string' || typeof r.kind !== 'string' || typeof metadata?.name !== 'string') {
        c.add(`${field}[${i}] is not a Kubernetes object: it needs apiVersion, kind and metadata.name (got ${q(Object.keys(r))} fields)`);
      }
    });
  }
}

function isConstruct(x: unknown): x is ApiObject | FluxObject {
  return x !== null && typeof x === 'object' && 'node' in x && typeof (x as { toJson?: unknown }).toJson === 'function';
}

function renderResource(r: ResourceSetResource): Record<string, unknown> {
  return isConstruct(r) ? r.toJson() : clone(r);
}

function dependencyTarget(t: DependencyTarget | ApiObject): DependencyTarget {
  if (ApiObject.isApiObject(t)) return { apiVersion: t.apiVersion, kind: t.kind, name: t.name, namespace: t.metadata.namespace };
  return t;
}

function renderSelector(s: InputProviderSelector): ResourceSetSelectorJson {
  return {
    matchLabels: s.matchLabels ? { ...s.matchLabels } : undefined,
    matchExpressions: s.matchExpressions?.map((e) => ({ key: e.key, operator: e.operator, values: e.values ? [...e.values] : undefined })),
  };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The rendered label selector. */
interface ResourceSetSelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** The rendered spec, as the Flux Operator API types it. */
interface ResourceSetSpecJson {
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  inputs?: Array<Record<string, unknown>>;
  inputsFrom?: Array<{ kind: 'ResourceSetInputProvider'; name?: string; selector?: ResourceSetSelectorJson }>;
  inputStrategy?: { name: InputStrategy; includeEmptyProviders?: boolean };
  resources?: Array<Record<string, unknown>>;
  resourcesTemplate?: string;
  steps?: Array<{ name: string; resources?: Array<Record<string, unknown>>; resourcesTemplate?: string; timeout?: string }>;
  dependsOn?: Array<{ apiVersion: string; kind: string; name: string; namespace?: string; ready?: boolean; readyExpr?: string }>;
  serviceAccountName?: string;
  wait?: boolean;
}
