import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { FluxBootstrapPlan, planFluxBootstrap } from './bootstrap-plan.js';
import type { Cluster } from '../../fleet/cluster.js';
import type { Fleet } from '../../fleet/fleet.js';
import { q } from '../../flux/core/rules.js';

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
  /** The fleet: the same object the cdk8s app synthesizes. */
  readonly fleet: Fleet<any>;
  /** The cluster to bootstrap, by name or as the fleet's Cluster. */
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
}

/**
 * Bootstraps Flux on one cluster of a fleet, with the caller's Kubernetes provider: creates namespace `flux-system`,
 * the registry pull secret when the registry needs one, installs the Flux Operator from its Helm chart, then applies
 * the cluster's bootstrap objects (the runtime-info ConfigMap, then the FluxInstance), each after the previous one.
 * The FluxInstance installs Flux and syncs the cluster's own signed artifact.
 *
 * The objects applied are those synth writes to `clusters/<cluster>/flux-system/` (both come from
 * `bootstrapObjects()`), except the operator's self-upgrade OCIRepository and HelmRelease: their CRDs exist only
 * once Flux runs, so they are left to the first sync, which applies them from the cluster's artifact and adopts the
 * Helm release installed here (same name, chart, version and values).
 *
 * The fleet is checked first with the checks synth runs: a fleet that synth rejects is refused with the same report
 * (a `SynthError`), and nothing is created. The fleet must bootstrap through the Flux Operator
 * (`Bootstrap.operator()`, the default). A Kubernetes provider is required (`{ provider }` or `{ providers }`), so
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
  /** The Flux version (exact or range) the FluxInstance runs. */
  public readonly fluxVersion: pulumi.Output<string>;
  /** The Flux Operator chart version installed. */
  public readonly operatorVersion: pulumi.Output<string>;

  /** The namespace `flux-system`. */
  public readonly namespaceResource: k8s.core.v1.Namespace;
  /** The registry pull secret; undefined when the registry needs none. */
  public readonly pullSecretResource?: k8s.core.v1.Secret;
  /** The Flux Operator's Helm release. */
  public readonly operatorRelease: k8s.helm.v3.Release;
  /** The applied bootstrap objects, in order (the runtime-info ConfigMap, then the FluxInstance). */
  public readonly objects: readonly pulumi.CustomResource[];
  /** The FluxInstance. */
  public readonly fluxInstance: k8s.apiextensions.CustomResource;

  public constructor(name: string, args: FluxBootstrapArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('flux-fleet:index:FluxBootstrap', name, {}, opts);
    const provider = this.getProvider('kubernetes::');
    if (provider === undefined) {
      throw new Error(`FluxBootstrap ${q(name)} has no Kubernetes provider; pass the cluster's, e.g. { provider: new k8s.Provider('cluster', { kubeconfig }) }, so that it never bootstraps whatever cluster the ambient kubeconfig points at`);
    }
    const plan = planFluxBootstrap(args.fleet, args.cluster, { operatorVersion: args.operator?.version });
    const content = pullSecretContent(name, plan, args.pullSecret);
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

    const operator = plan.operator;
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

    const objects: pulumi.CustomResource[] = [];
    for (const object of plan.apply) {
      const resource = applyObject(`${name}-${String(object.kind).toLowerCase()}-${object.metadata.name}`, object, child(previous));
      objects.push(resource);
      previous = resource;
    }
    this.objects = objects;
    this.fluxInstance = objects[plan.apply.findIndex((o) => o.kind === 'FluxInstance')] as k8s.apiextensions.CustomResource;

    this.clusterName = pulumi.output(plan.clusterName);
    this.syncUrl = pulumi.output(plan.syncUrl);
    this.syncTag = pulumi.output(plan.syncTag);
    this.namespace = pulumi.output(plan.namespace);
    this.fluxVersion = pulumi.output(plan.fluxVersion);
    this.operatorVersion = pulumi.output(operator.version);
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

/** The pull secret's content as a Pulumi secret, checked; refuses when it is needed and missing, or not needed. */
function pullSecretContent(name: string, plan: FluxBootstrapPlan, content: pulumi.Input<string> | undefined): pulumi.Output<string> | undefined {
  const cluster = q(plan.clusterName);
  if (plan.pullSecret && content === undefined) {
    throw new Error(`FluxBootstrap ${q(name)}: the registry of cluster ${cluster} reads with the pull secret ${q(plan.pullSecret.name)}; pass its content (a .dockerconfigjson) as pullSecret, e.g. config.requireSecret('pullSecret')`);
  }
  if (!plan.pullSecret && content !== undefined) {
    throw new Error(`FluxBootstrap ${q(name)}: pullSecret is set, but the registry of cluster ${cluster} names no pull secret (it authenticates with its provider, or anonymously); drop pullSecret, or set pullSecret on the registry`);
  }
  if (content === undefined) return undefined;
  // Checked now when given as a string, else once known; the message never quotes the content: it is a credential.
  const check = (value: string): string => {
    if (!isDockerConfigJson(value)) {
      throw new Error(`FluxBootstrap ${q(name)}: pullSecret is not a .dockerconfigjson; give the JSON object {"auths": {"<registry host>": {"auth": "<base64 of user:token>"}}}`);
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

/** Applies one rendered object as it is: a typed ConfigMap, or a CustomResource for API-group kinds. */
function applyObject(name: string, object: Record<string, any>, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  if (object.apiVersion === 'v1' && object.kind === 'ConfigMap') {
    return new k8s.core.v1.ConfigMap(name, object as k8s.core.v1.ConfigMapArgs, opts);
  }
  if (object.apiVersion === 'v1' && object.kind === 'Secret') {
    // Public verification material only (a public key, a trusted root): what the sync source verifies with.
    return new k8s.core.v1.Secret(name, object as k8s.core.v1.SecretArgs, opts);
  }
  if (String(object.apiVersion).includes('/')) {
    return new k8s.apiextensions.CustomResource(name, object as k8s.apiextensions.CustomResourceArgs, opts);
  }
  throw new Error(`FluxBootstrap cannot apply the bootstrap object ${object.apiVersion} ${object.kind} ${q(object.metadata?.name)}; only ConfigMaps, verification Secrets and API-group kinds are supported`);
}
