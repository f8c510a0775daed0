import { DeliveryError } from '../artifacts.js';

/**
 * The fleet size from which `flux-fleet workflow` has the pipeline synthesize in shards: below it, one job's synth
 * takes less time than starting the jobs of a matrix (a checkout and `npm ci` each).
 */
export const SHARDED_SYNTH_THRESHOLD = 5000;

/** The clusters per shard, when the pipeline synthesizes in shards by default. */
const CLUSTERS_PER_SHARD = 2500;

/** The most shards chosen by default. */
const DEFAULT_MAX_SHARDS = 16;

/** The most shards a pipeline may have: GitLab runs at most 200 jobs of one `parallel:` job. */
const MAX_SHARDS = 200;

/**
 * How many shards the generated pipeline synthesizes a fleet of `clusters` clusters in: 1 (one job synthesizes the
 * whole fleet) up to {@link SHARDED_SYNTH_THRESHOLD}, then one shard per 2,500 clusters, at most 16.
 */
export function synthShardsFor(clusters: number): number {
  if (clusters <= SHARDED_SYNTH_THRESHOLD) return 1;
  return Math.min(DEFAULT_MAX_SHARDS, Math.ceil(clusters / CLUSTERS_PER_SHARD));
}

/** A shard count given to a generator, checked; 1 when none is given. */
export function checkedSynthShards(shards: number | undefined): number {
  if (shards === undefined) return 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new DeliveryError(`synthShards is ${shards}; give a whole number from 1 (one job synthesizes the whole fleet) to ${MAX_SHARDS}`);
  }
  return shards;
}

/** The name of the artifact (GitHub) a shard's synth job uploads its output folder as; `<n>` is the shard's number. */
export const SHARD_ARTIFACT_PREFIX = 'flux-fleet-shard-';

/** The folder (GitLab) the shards' output folders are kept in, one sub-folder per shard, as the jobs' artifacts. */
export const SHARDS_FOLDER = 'flux-fleet-shards';
