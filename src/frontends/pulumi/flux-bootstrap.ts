import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { FluxBootstrapPlan, planFluxBootstrap, planFluxBootstrapFromTree } from './bootstrap-plan.js';
import type { Cluster } from '../../fleet/cluster.js';
import type { Fleet } from '../../fleet/fleet.js';
import { ValidationError } from '../../flux/core/errors.js';
import { q } from '../../flux/core/rules.js';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';

/** How the Flux Operator's Helm chart is installed. */
export interface FluxOperatorChartArgs {
  /**
   * The chart version, exact. The cluster's artifact then moves the operator to the version the fleet pins (its
   * self-upgrade HelmRelease): to change the version for good, set `Bootstrap.operator({ version })` on the fleet.
   * @default - the version the fleet's bootstrap pins: `Bootstrap.operator({ version })`, else FLUX_OPERATOR_VERSION
   */
  readonly version?: string;
  /**
   * Credentials for the chart's registry, e.g. a private mirror set with `Bootstrap.operator({ chartUrl })`; applied
   * as a Pulumi secret.
   * @default - anonymous pulls
   */
  readonly repositoryOpts?: k8s.types.input.helm.v3.RepositoryOpts;
  /** How long Helm waits for the operator to be ready, in seconds. @default 300 */
  readonly timeout?: number;
}

/** Arguments of a {@link FluxBootstrap}. */
export interface FluxBootstrapArgs {
  /**
   * The fleet: the same object the cdk8s app synthesizes. Give it, or `tree`.
   * @default - the cluster is read from `tree`
   */
  readonly fleet?: Fleet<any>;
  /**
   * A synthesized tree (the folder holding `release.json` and `clusters/`, e.g. the release a CI job downloaded): the
   * cluster's bootstrap is read from `clusters/<cluster>/flux-system/flux-system.yaml`, so the program that creates
   * clusters needs neither the fleet program nor the fleet repository's folders. Give it, or `fleet`.
   * @default - the cluster is built from `fleet`
   */
  readonly tree?: string;
  /** The cluster to bootstrap, by name (or, with `fleet`, as the fleet's Cluster). */
  readonly cluster: string | Cluster<any>;
  /**
   * The content of the registry pull secret (a `.dockerconfigjson`: `{"auths": {...}}`), e.g.
   * `config.requireSecret('pullSecret')`. Required when the fleet's registry names a pull secret
   * (`Registry.ghcr()`, `Registry.generic({ pullSecret })`), refused otherwise. It is applied as a Pulumi secret
   * and never reaches the config repo, which holds only the secret's name.
   * @default - no pull secret: the registry authenticates with the cloud's workload identity, or not at all
   */
  readonly pullSecret?: pulumi.Input<string>;
  /** How the Flux Operator chart is installed. @default - the chart, version and values the fleet's bootstrap pins */
  readonly operator?: FluxOperatorChartArgs;
  /**
   * For a cluster on plain Flux (`Bootstrap.plain()`): Flux's install manifests, as YAML, fitted to the cluster, which
   * `flux-fleet bootstrap <tree> --cluster <name> --flux-manifests <folder>` writes to `flux-install.yaml` from the
   * release artifact it was given (pulled and verified with `flux-fleet pull` and `flux-fleet verify`). The component
   * reads no registry itself: what it applies is what was verified. Refused for an operator cluster.
   * @default - required for a plain Flux cluster
   */
  readonly fluxInstall?: string;
}

/**
 * Bootstraps Flux on one cluster of a fleet, with the caller's Kubernetes provider: creates namespace `flux-system`,
 * the registry pull secret when the registry needs one, installs Flux (the Flux Operator from its Helm chart, or on
 * plain Flux the install manifests given as `fluxInstall`, custom resource definitions first), then applies the
 * cluster's bootstrap objects, each after the previous one: the runtime-info ConfigMap, then the FluxInstance, or on
 * plain Flux the release source, `flux-components` and the sync of the cluster's own signed artifact.
 *
 * The objects applied are those synth writes to `clusters/<cluster>/flux-system/` (both come from
 * `bootstrapObjects()`; with `tree`, they are read from there), except, through the operator, its self-upgrade
 * OCIRepository and HelmRelease: their CRDs exist only once Flux runs, so they are left to the first sync, which
 * applies them from the cluster's artifact and adopts the Helm release installed here (same name, chart, version and
 * values).
 *
 * A fleet is checked first with the checks synth runs: a fleet that synth rejects is refused with the same report
 * (a `SynthError`), and nothing is created. A Kubernetes provider is required (`{ provider }` or `{ providers }`), so
 * that a program never bootstraps whatever cluster the ambient kubeconfig points at.
 */
export class FluxBootstrap extends pulumi.ComponentResource {
  /** The bootstrapped cluster's name. */
  public readonly clusterName: pulumi.Output<string>;
  /** The cluster's own artifact, `oci://...` without tag: what Flux syncs. */
  public readonly syncUrl: pulumi.Output<string>;
  /** The tag the cluster follows: push the cluster's artifact with this tag to roll it out. */
  public readonly syncTag: pulumi.Output<string>;
  /** The namespace of Flux and of the bootstrap objects: `flux-system`. */
  public readonly namespace: pulumi.Output<string>;
  /** The Flux version (exact or range) the cluster runs. */
  public readonly fluxVersion: pulumi.Output<string>;
  /** The Flux Operator chart version installed; empty on plain Flux. */
  public readonly operatorVersion: pulumi.Output<string>;

  /** The namespace `flux-system`. */
  public readonly namespaceResource: k8s.core.v1.Namespace;
  /** The registry pull secret; undefined when the registry needs none. */
  public readonly pullSecretResource?: k8s.core.v1.Secret;
  /** The Flux Operator's Helm release; undefined on plain Flux. */
  public readonly operatorRelease?: k8s.helm.v3.Release;
  /** On plain Flux, the objects of Flux's install manifests, CRDs first; empty through the operator. */
  public readonly fluxInstallObjects: readonly pulumi.CustomResource[];
  /** The applied bootstrap objects, in order. */
  public readonly objects: readonly pulumi.CustomResource[];
  /** The FluxInstance; undefined on plain Flux. */
  public readonly fluxInstance?: k8s.apiextensions.CustomResource;

  public constructor(name: string, args: FluxBootstrapArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('flux-fleet:index:FluxBootstrap', name, {}, opts);
    const provider = this.getProvider('kubernetes::');
    if (provider === undefined) {
      throw new ValidationError(`FluxBootstrap ${q(name)} has no Kubernetes provider; pass the cluster's, e.g. { provider: new k8s.Provider('cluster', { kubeconfig }) }, so that it never bootstraps whatever cluster the ambient kubeconfig points at`);
    }
    const plan = planOf(name, args);
    const content = pullSecretContent(name, plan, args.pullSecret);
    const install = installObjects(plan, args.fluxInstall, name);
    const child = (dependsOn: pulumi.Resource): pulumi.CustomResourceOptions => ({ parent: this, provider, dependsOn: [dependsOn] });

    this.namespaceResource = new k8s.core.v1.Namespace(`${name}-namespace`, {
      metadata: { name: plan.namespace },
    }, { parent: this, provider });
    let previous: pulumi.Resource = this.namespaceResource;

    if (plan.pullSecret && content) {
      this.pullSecretResource = new k8s.core.v1.Secret(`${name}-pull-secret`, {
        metadata: { name: plan.pullSecret.name, namespace: plan.pullSecret.namespace },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': content },
      }, child(previous));
      previous = this.pullSecretResource;
    }

    const installed: pulumi.CustomResource[] = [];
    const operator = plan.operator;
    if (operator) {
      this.operatorRelease = new k8s.helm.v3.Release(`${name}-flux-operator`, {
        name: operator.releaseName,
        namespace: operator.namespace,
        chart: operator.chart,
        version: operator.version,
        ...(operator.values !== undefined ? { values: operator.values } : {}),
        // Credentials: a secret, however they were given.
        ...(args.operator?.repositoryOpts !== undefined ? { repositoryOpts: pulumi.secret(args.operator.repositoryOpts) } : {}),
        ...(args.operator?.timeout !== undefined ? { timeout: args.operator.timeout } : {}),
      }, child(previous));
      previous = this.operatorRelease;
    } else {
      // Flux's own objects: the custom resource definitions first, then the rest, all before any Flux object.
      const definitions = install.filter((o) => o.kind === 'CustomResourceDefinition');
      const rest = install.filter((o) => o.kind !== 'CustomResourceDefinition');
      const afterNamespace = previous;
      for (const object of definitions) installed.push(applyObject(`${name}-install-${resourceName(object)}`, object, child(afterNamespace)));
      const afterDefinitions: pulumi.CustomResourceOptions = { parent: this, provider, dependsOn: [afterNamespace, ...installed] };
      for (const object of rest) installed.push(applyObject(`${name}-install-${resourceName(object)}`, object, afterDefinitions));
    }
    this.fluxInstallObjects = installed;

    // The first bootstrap object waits for everything before it: on plain Flux, the whole install.
    const objects: pulumi.CustomResource[] = [];
    let waitFor: pulumi.Resource[] = installed.length > 0 ? installed : [previous];
    for (const object of plan.apply) {
      const resource = applyObject(`${name}-${String(object.kind).toLowerCase()}-${object.metadata.name}`, object, { parent: this, provider, dependsOn: waitFor });
      objects.push(resource);
      waitFor = [resource];
    }
    this.objects = objects;
    const instanceIndex = plan.apply.findIndex((o) => o.kind === 'FluxInstance');
    this.fluxInstance = instanceIndex < 0 ? undefined : objects[instanceIndex] as k8s.apiextensions.CustomResource;

    this.clusterName = pulumi.output(plan.clusterName);
    this.syncUrl = pulumi.output(plan.syncUrl);
    this.syncTag = pulumi.output(plan.syncTag);
    this.namespace = pulumi.output(plan.namespace);
    this.fluxVersion = pulumi.output(plan.fluxVersion);
    this.operatorVersion = pulumi.output(operator?.version ?? '');
    this.registerOutputs({
      clusterName: this.clusterName,
      syncUrl: this.syncUrl,
      syncTag: this.syncTag,
      namespace: this.namespace,
      fluxVersion: this.fluxVersion,
      operatorVersion: this.operatorVersion,
    });
  }
}

/** The plan of the cluster, from the fleet or the tree (exactly one of them). */
function planOf(name: string, args: FluxBootstrapArgs): FluxBootstrapPlan {
  if ((args.fleet === undefined) === (args.tree === undefined)) {
    throw new ValidationError(`FluxBootstrap ${q(name)}: give either fleet (the fleet program's Fleet) or tree (a synthesized tree, the folder holding release.json), not ${args.fleet === undefined ? 'neither' : 'both'}`);
  }
  const options = { operatorVersion: args.operator?.version };
  if (args.fleet) return planFluxBootstrap(args.fleet, args.cluster, options);
  if (typeof args.cluster !== 'string') throw new ValidationError(`FluxBootstrap ${q(name)}: with tree, name the cluster (cluster: ${q(args.cluster.name)})`);
  return planFluxBootstrapFromTree(args.tree!, args.cluster, options);
}

/** The objects of a plain Flux cluster's install manifests; refused when missing there or given for an operator cluster. */
function installObjects(plan: FluxBootstrapPlan, fluxInstall: string | undefined, name: string): Record<string, any>[] {
  if (plan.kind === 'operator') {
    if (fluxInstall !== undefined) throw new ValidationError(`FluxBootstrap ${q(name)}: fluxInstall is set, but cluster ${q(plan.clusterName)} is bootstrapped through the Flux Operator, which installs Flux itself; drop fluxInstall`);
    return [];
  }
  if (fluxInstall === undefined) {
    throw new ValidationError(`FluxBootstrap ${q(name)}: cluster ${q(plan.clusterName)} runs plain Flux, which this component installs from Flux's install manifests; give them as fluxInstall, e.g. readFileSync('bootstrap/${plan.clusterName}/flux-install.yaml', 'utf8') as written by flux-fleet bootstrap <tree> --cluster ${plan.clusterName} --flux-manifests <folder> --output bootstrap/${plan.clusterName}`);
  }
  const docs = parseYamlDocuments(fluxInstall, 'fluxInstall');
  const objects = docs.map((d) => d.toJS({ maxAliasCount: 100 }) as Record<string, any> | null).filter((o): o is Record<string, any> => o !== null);
  const broken = objects.find((o) => typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string');
  if (broken !== undefined || objects.length === 0) {
    throw new ValidationError(`FluxBootstrap ${q(name)}: fluxInstall holds ${objects.length === 0 ? 'no object' : 'a document that is not a Kubernetes object'}; give the flux-install.yaml flux-fleet bootstrap writes`);
  }
  // The namespace is the component's own resource, created first.
  return objects.filter((o) => !(o.apiVersion === 'v1' && o.kind === 'Namespace' && o.metadata.name === plan.namespace));
}

function resourceName(object: Record<string, any>): string {
  return `${String(object.kind).toLowerCase()}-${object.metadata.namespace ? `${object.metadata.namespace}-` : ''}${object.metadata.name}`;
}

/** The pull secret's content as a Pulumi secret, checked; refuses when it is needed and missing, or not needed. */
function pullSecretContent(name: string, plan: FluxBootstrapPlan, content: pulumi.Input<string> | undefined): pulumi.Output<string> | undefined {
  const cluster = q(plan.clusterName);
  if (plan.pullSecret && content === undefined) {
    throw new ValidationError(`FluxBootstrap ${q(name)}: the registry of cluster ${cluster} reads with the pull secret ${q(plan.pullSecret.name)}; pass its content (a .dockerconfigjson) as pullSecret, e.g. config.requireSecret('pullSecret')`);
  }
  if (!plan.pullSecret && content !== undefined) {
    throw new ValidationError(`FluxBootstrap ${q(name)}: pullSecret is set, but the registry of cluster ${cluster} names no pull secret (it authenticates with its provider, or anonymously); drop pullSecret, or set pullSecret on the registry`);
  }
  if (content === undefined) return undefined;
  // Checked now when given as a string, else once known; the message never quotes the content: it is a credential.
  const check = (value: string): string => {
    if (!isDockerConfigJson(value)) {
      throw new ValidationError(`FluxBootstrap ${q(name)}: pullSecret is not a .dockerconfigjson; give the JSON object {"auths": {"<registry host>": {"auth": "<base64 of user:token>"}}}`);
    }
    return value;
  };
  return pulumi.secret(typeof content === 'string' ? check(content) : pulumi.output(content).apply(check));
}

function isDockerConfigJson(value: string): boolean {
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { auths?: unknown }).auths === 'object';
  } catch {
    return false;
  }
}

/** The core kinds the bootstrap objects and Flux's install manifests hold, applied as Pulumi's typed resources. */
const CORE_KINDS: Readonly<Record<string, new (name: string, args: any, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource>> = {
  ConfigMap: k8s.core.v1.ConfigMap,
  // Public verification material only (a public key, a trusted root): what the sync source verifies with.
  Secret: k8s.core.v1.Secret,
  ServiceAccount: k8s.core.v1.ServiceAccount,
  Service: k8s.core.v1.Service,
  ResourceQuota: k8s.core.v1.ResourceQuota,
};

/** Applies one rendered object as it is: a typed resource for a core kind, or a CustomResource for API-group kinds. */
function applyObject(name: string, object: Record<string, any>, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const core = object.apiVersion === 'v1' ? CORE_KINDS[String(object.kind)] : undefined;
  if (core) return new core(name, object, opts);
  if (String(object.apiVersion).includes('/')) {
    return new k8s.apiextensions.CustomResource(name, object as k8s.apiextensions.CustomResourceArgs, opts);
  }
  throw new ValidationError(`FluxBootstrap cannot apply ${object.apiVersion} ${object.kind} ${q(object.metadata?.name)}; only ${Object.keys(CORE_KINDS).join(', ')} and API-group kinds are supported`);
}
