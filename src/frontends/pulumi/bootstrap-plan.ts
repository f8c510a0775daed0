import {
  BOOTSTRAP_NAMESPACE, bootstrapObjects, FLUX_OPERATOR_CHART_URL, FLUX_OPERATOR_VERSION,
} from '../../fleet/bootstrap.js';
import type { Cluster } from '../../fleet/cluster.js';
import type { Fleet } from '../../fleet/fleet.js';
import { q } from '../../flux/core/rules.js';
import { collectValidationErrors, SynthError } from '../cdk8s/flux-app.js';

/*
 * What bootstrapping one cluster of a fleet means, as plain data: the Pulumi component only turns it into resources.
 * Kept free of Pulumi so that it is tested on its own, and so that the objects it applies are provably those synth
 * writes to `clusters/<cluster>/flux-system/` (both come from `bootstrapObjects()`).
 */

/** Options of {@link planFluxBootstrap}. */
export interface FluxBootstrapPlanOptions {
  /**
   * The Flux Operator chart version to install, exact. The cluster's artifact then moves the operator to the version
   * the fleet pins (its self-upgrade HelmRelease), so this only changes what the first install runs.
   * @default - the version the fleet's bootstrap pins: `Bootstrap.operator({ version })`, else FLUX_OPERATOR_VERSION
   */
  readonly operatorVersion?: string;
}

/** How the Flux Operator is installed with Helm: the same chart, release and values the cluster's artifact keeps. */
export interface FluxOperatorInstall {
  /** The chart, `oci://...`: the fleet bootstrap's chart URL (a mirror, or FLUX_OPERATOR_CHART_URL). */
  readonly chart: string;
  /** The chart version, exact. */
  readonly version: string;
  /** The Helm release name, which the cluster's HelmRelease adopts: `flux-operator`. */
  readonly releaseName: string;
  /** The release's namespace: `flux-system`. */
  readonly namespace: string;
  /** The chart values the cluster's HelmRelease sets (e.g. multi-tenancy). @default - the chart's defaults */
  readonly values?: Record<string, unknown>;
}

/** Everything it takes to bootstrap one cluster, in the order to apply it. */
export interface FluxBootstrapPlan {
  /** The cluster's name. */
  readonly clusterName: string;
  /** The namespace of Flux and of every bootstrap object: `flux-system`, created first. */
  readonly namespace: string;
  /** The cluster's own artifact, `oci://...` without tag: what its FluxInstance syncs. */
  readonly syncUrl: string;
  /** The tag the cluster follows. */
  readonly syncTag: string;
  /** The Flux version (exact or range) the FluxInstance runs. */
  readonly fluxVersion: string;
  /** The Flux Operator install, before any object that needs its CRDs. */
  readonly operator: FluxOperatorInstall;
  /**
   * The registry pull secret the sync reads, when the registry names one (`Registry.ghcr()`,
   * `Registry.generic({ pullSecret })`); its content is the caller's, never the fleet's.
   * @default - none: the registry authenticates with the cloud's workload identity, or not at all
   */
  readonly pullSecret?: { readonly name: string; readonly namespace: string };
  /**
   * The bootstrap objects to apply after the operator, as `bootstrapObjects()` renders them and in its order:
   * every object that does not need Flux's own CRDs (the runtime-info ConfigMap, the FluxInstance).
   */
  readonly apply: readonly Record<string, any>[];
  /**
   * The bootstrap objects left to the first sync: those of Flux's own API groups (the operator's self-upgrade
   * OCIRepository and HelmRelease). Their CRDs exist only once the FluxInstance has installed Flux, and the cluster's
   * artifact holds them (`flux-system/flux-system.yaml`), so Flux applies them on its first reconciliation.
   */
  readonly fromSync: readonly Record<string, any>[];
}

/**
 * Plans the bootstrap of one cluster of a fleet through the Flux Operator: the operator's Helm install, then the
 * cluster's bootstrap objects. Throws, listing every problem, when the cluster is unknown, the cluster is not
 * bootstrapped through the operator (its own `flux.bootstrap`, else the fleet's, is `Bootstrap.plain()`; the message
 * says which), or the objects are invalid.
 *
 * The fleet is checked first with the checks synth runs (it is built, so components cannot be added afterwards): a
 * fleet that synth rejects throws a {@link SynthError} with the same report, and nothing is bootstrapped from it.
 */
export function planFluxBootstrap(fleet: Fleet<any>, cluster: string | Cluster<any>, options: FluxBootstrapPlanOptions = {}): FluxBootstrapPlan {
  const target = findCluster(fleet, cluster);
  fleet.build();
  const errors = collectValidationErrors(fleet.node.root);
  if (errors.length > 0) {
    throw new SynthError(errors, {
      heading: (n) => `Cannot bootstrap cluster ${q(target.name)}: its fleet fails synth with ${n} error${n === 1 ? '' : 's'}; nothing was applied:`,
    });
  }
  const problems = [
    ...fleet.props.registry.validate(target.region, [`clusters/${target.name}`]).map((m) => `registry: ${m}`),
    ...(fleet.props.signing?.validate() ?? []).map((m) => `signing: ${m}`),
  ];
  if (options.operatorVersion !== undefined && !EXACT_VERSION.test(options.operatorVersion)) {
    problems.push(`operator version ${q(options.operatorVersion)} is not a chart version; pin an exact one, e.g. ${q(FLUX_OPERATOR_VERSION)}`);
  }
  if (problems.length > 0) throw new Error(`Cannot bootstrap cluster ${q(target.name)}:\n  ${problems.join('\n  ')}`);

  const facts = fleet.bootstrapFacts(target);
  const objects = bootstrapObjects(fleet.bootstrapOf(target), facts);
  const fromSync = objects.filter((o) => needsFluxCrds(o));
  const apply = [...fleet.syncVerificationSecrets(target), ...objects.filter((o) => !needsFluxCrds(o))];
  if (!apply.some((o) => o.kind === 'FluxInstance')) {
    const where = target.props.flux?.bootstrap !== undefined ? `on the cluster (its flux.bootstrap, at ${target.node.path})` : 'on the fleet';
    throw new Error(`Cannot bootstrap cluster ${q(target.name)}: its bootstrap has no FluxInstance, and the Pulumi component installs Flux through the Flux Operator; use Bootstrap.operator() (the default) ${where}, or install Flux another way (\`flux install\`) and apply bootstrapObjects() yourself`);
  }
  const secretRef = facts.sync.settings.secretRef;
  return {
    clusterName: target.name,
    namespace: BOOTSTRAP_NAMESPACE,
    syncUrl: facts.sync.url,
    syncTag: facts.sync.tag,
    fluxVersion: facts.flux.version,
    operator: operatorInstall(fromSync, options.operatorVersion),
    pullSecret: secretRef ? { name: secretRef.name, namespace: BOOTSTRAP_NAMESPACE } : undefined,
    apply,
    fromSync,
  };
}

/** An exact chart version (a release or pre-release), not a range. */
const EXACT_VERSION = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

function findCluster(fleet: Fleet<any>, cluster: string | Cluster<any>): Cluster<any> {
  const known = () => fleet.clusters.map((c) => q(c.name)).join(', ') || 'none';
  if (typeof cluster !== 'string') {
    if (!fleet.clusters.includes(cluster)) {
      throw new Error(`Cluster ${q(cluster.name)} (${cluster.node.path}) is not a cluster of fleet ${fleet.node.path}; pass one of its clusters (${known()})`);
    }
    return cluster;
  }
  const found = fleet.clusters.find((c) => c.name === cluster);
  if (!found) throw new Error(`Fleet ${fleet.node.path} has no cluster ${q(cluster)}; use one of ${known()}`);
  return found;
}

/** Objects of Flux's own API groups: their CRDs come with Flux, which the FluxInstance installs. */
function needsFluxCrds(object: Record<string, any>): boolean {
  const apiVersion = String(object.apiVersion ?? '');
  return apiVersion.slice(0, Math.max(apiVersion.indexOf('/'), 0)).endsWith('.toolkit.fluxcd.io');
}

/**
 * The operator's Helm install, read from the self-upgrade HelmRelease and its chart source, so that the first install
 * is what the cluster's artifact keeps (same chart, version, release name and values) and Flux's first reconciliation
 * of the release changes nothing.
 */
function operatorInstall(fromSync: readonly Record<string, any>[], version: string | undefined): FluxOperatorInstall {
  const release = fromSync.find((o) => o.kind === 'HelmRelease' && o.spec?.chartRef?.kind === 'OCIRepository');
  const source = release && fromSync.find((o) => o.kind === 'OCIRepository' && o.metadata?.name === release.spec.chartRef.name);
  if (!release || !source) {
    return { chart: FLUX_OPERATOR_CHART_URL, version: version ?? FLUX_OPERATOR_VERSION, releaseName: 'flux-operator', namespace: BOOTSTRAP_NAMESPACE };
  }
  const values = release.spec.values as Record<string, unknown> | undefined;
  return {
    chart: source.spec.url,
    version: version ?? source.spec.ref?.tag ?? FLUX_OPERATOR_VERSION,
    releaseName: release.spec.releaseName ?? release.metadata.name,
    namespace: release.spec.targetNamespace ?? release.metadata.namespace ?? BOOTSTRAP_NAMESPACE,
    ...(values !== undefined ? { values } : {}),
  };
}
