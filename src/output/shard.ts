import { createHash } from 'node:crypto';
import type { ReleaseManifest } from './release-manifest.js';

/** The file at the root of a shard's output folder that says which shard it is, for `flux-fleet merge`. */
export const SHARD_MANIFEST_FILE = 'flux-fleet-shard.json';

/** What a shard's output folder says of the shard: written by synth, read by the merge. */
export interface ShardManifest {
  /** The format: 1. */
  readonly format: 1;
  /** The shard, `<index>/<count>`. */
  readonly shard: string;
  /** Each fleet of the app, by its folder in the tree. */
  readonly fleets: readonly ShardFleet[];
}

/** A fleet's part in a shard. */
export interface ShardFleet {
  /** The fleet's folder in the tree: `''` for an app's one fleet, else `<fleet id>/`. */
  readonly folder: string;
  /** How many clusters the whole fleet has. */
  readonly clusters: number;
  /** The SHA-256 (hex) of the whole fleet's cluster names, sorted, one a line: every shard of one fleet agrees on it. */
  readonly names: string;
  /** The release manifest of the shard's clusters alone. */
  readonly release: ReleaseManifest;
}

/** The SHA-256 (hex) of cluster names as {@link ShardFleet.names} has it. */
export function clusterNamesDigest(names: Iterable<string>): string {
  return createHash('sha256').update([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('\n'), 'utf8').digest('hex');
}
