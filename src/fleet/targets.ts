import type { ClusterInfo } from './cluster.js';
import type { Environment } from './environment.js';

/**
 * Which clusters get a component or a tenant. Every field that is set must match (and); within a field, any value
 * may match (or). An empty selection matches every cluster of the fleet.
 */
export interface Targets {
  /** Clusters of these environments. @default - any environment */
  readonly environments?: Environment<any>[];
  /** Clusters in these regions. @default - any region */
  readonly regions?: string[];
  /** Clusters carrying all of these labels. @default - any labels */
  readonly labels?: Record<string, string>;
  /** Clusters with these names. @default - any name */
  readonly clusters?: string[];
}

/** Whether `cluster` is selected by `targets`. */
export function matchesTargets(targets: Targets | undefined, cluster: ClusterInfo<any>): boolean {
  if (!targets) return true;
  if (targets.environments && !targets.environments.some((e) => e.name === cluster.environment)) return false;
  if (targets.regions && !targets.regions.includes(cluster.region)) return false;
  if (targets.clusters && !targets.clusters.includes(cluster.name)) return false;
  if (targets.labels && !Object.entries(targets.labels).every(([k, v]) => cluster.labels[k] === v)) return false;
  return true;
}
