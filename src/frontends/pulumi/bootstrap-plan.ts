import { FLUX_OPERATOR_VERSION, bootstrapObjects } from '../../fleet/bootstrap.js';
import type { Cluster } from '../../fleet/cluster.js';
import type { Fleet } from '../../fleet/fleet.js';
import { ValidationError } from '../../flux/core/errors.js';
import { q } from '../../flux/core/rules.js';
import { bootstrapPlanOf, readBootstrapPlan, type FluxBootstrapPlan } from '../../output/cluster-bootstrap.js';
import { collectValidationErrors, SynthError } from '../cdk8s/flux-app.js';

/*
 * What bootstrapping one cluster of a fleet means, as plain data: the Pulumi component only turns it into resources.
 * Kept free of Pulumi so that it is tested on its own, and so that the objects it applies are provably those synth
 * writes to `clusters/<cluster>/flux-system/` (both come from `bootstrapObjects()`).
 */

export type { FluxBootstrapPlan, FluxManifestsInstall, FluxOperatorInstall } from '../../output/cluster-bootstrap.js';

/** Options of {@link planFluxBootstrap}. */
export interface FluxBootstrapPlanOptions {
  /**
   * The Flux Operator chart version to install, exact. The cluster's artifact then moves the operator to the version
   * the fleet pins (its self-upgrade HelmRelease), so this only changes what the first install runs.
   * @default - the version the fleet's bootstrap pins: `Bootstrap.operator({ version })`, else FLUX_OPERATOR_VERSION
   */
  readonly operatorVersion?: string;
}

/**
 * Plans the bootstrap of one cluster of a fleet: through the Flux Operator, the operator's Helm install then the
 * cluster's bootstrap objects; on plain Flux, Flux's release manifests then the bootstrap objects. Throws, listing
 * every problem, when the cluster is unknown or the objects are invalid.
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
    ...operatorVersionProblems(options.operatorVersion),
  ];
  if (problems.length > 0) throw new ValidationError(`Cannot bootstrap cluster ${q(target.name)}:\n  ${problems.join('\n  ')}`);
  const objects = bootstrapObjects(fleet.bootstrapOf(target), fleet.bootstrapFacts(target));
  // The public material the sync source verifies with, before the first sync.
  return bootstrapPlanOf(target.name, [...fleet.syncVerificationSecrets(target), ...objects], options.operatorVersion);
}

/**
 * Plans the bootstrap of one cluster from a synthesized tree alone (its `release.json` and
 * `clusters/<cluster>/flux-system/flux-system.yaml`), e.g. in the repository that creates clusters, which has neither
 * the fleet program nor the fleet repository's folders: the same plan as {@link planFluxBootstrap} gives for the
 * fleet the tree was synthesized from.
 */
export function planFluxBootstrapFromTree(dir: string, cluster: string, options: FluxBootstrapPlanOptions = {}): FluxBootstrapPlan {
  const problems = operatorVersionProblems(options.operatorVersion);
  if (problems.length > 0) throw new ValidationError(`Cannot bootstrap cluster ${q(cluster)}:\n  ${problems.join('\n  ')}`);
  return readBootstrapPlan(dir, cluster, options.operatorVersion);
}

function operatorVersionProblems(version: string | undefined): string[] {
  if (version === undefined || EXACT_VERSION.test(version)) return [];
  return [`operator version ${q(version)} is not a chart version; pin an exact one, e.g. ${q(FLUX_OPERATOR_VERSION)}`];
}

/** An exact chart version (a release or pre-release), not a range. */
const EXACT_VERSION = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

function findCluster(fleet: Fleet<any>, cluster: string | Cluster<any>): Cluster<any> {
  const known = () => fleet.clusters.map((c) => q(c.name)).join(', ') || 'none';
  if (typeof cluster !== 'string') {
    if (!fleet.clusters.includes(cluster)) {
      throw new ValidationError(`Cluster ${q(cluster.name)} (${cluster.node.path}) is not a cluster of fleet ${fleet.node.path}; pass one of its clusters (${known()})`);
    }
    return cluster;
  }
  const found = fleet.clusters.find((c) => c.name === cluster);
  if (!found) throw new ValidationError(`Fleet ${fleet.node.path} has no cluster ${q(cluster)}; use one of ${known()}`);
  return found;
}
