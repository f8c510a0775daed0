import { PartialMoveError } from './errors.js';
import type { EnvironmentLease } from './lease.js';
import { shortDigest } from '../../flux/artifact/digest.js';
import { runBounded } from '../concurrency.js';
import type { ArtifactStore } from '../oci/store.js';

/** A tag to point at a manifest, planned after reading where it points now. */
export interface TagMove {
  /** The cluster whose tag it is. */
  readonly cluster: string;
  /** The registry repository (or layout) that holds the tag. */
  readonly store: ArtifactStore;
  /** The tag to move. */
  readonly tag: string;
  /** The digest the tag held when the move was planned. @default - the tag did not exist */
  readonly expected?: string;
  /** The manifest to point it at. */
  readonly digest: string;
  /** The manifest's bytes, put again under the tag. */
  readonly bytes: Buffer;
  /** The manifest's media type. */
  readonly mediaType: string;
}

/** Options of {@link moveTags}. */
export interface MoveTagsOptions {
  /** The lease of the environment, checked before each move. @default - none */
  readonly lease?: EnvironmentLease;
  /** Runs before each move; throwing stops the moves. @default - nothing */
  readonly beforeMove?: (move: TagMove) => Promise<void>;
  /** How many moves run at once. @default 4 */
  readonly concurrency?: number;
  /** What the moves are, for the message when they stop part-way, e.g. `the promotion of production wave 1`. */
  readonly what: string;
  /** How to finish after a stop, e.g. `run the promotion again`. */
  readonly finish: string;
}

/**
 * Moves tags, each only after checking the lease (when there is one), running `beforeMove`, and reading the tag again:
 * when it no longer holds the digest it held when the move was planned, someone else moved it, and the moves stop. A
 * tag found already at its target is left. On the first failure no further move starts; a {@link PartialMoveError}
 * lists what moved and what did not.
 */
export async function moveTags(moves: readonly TagMove[], options: MoveTagsOptions): Promise<string[]> {
  const done: string[] = [];
  const failures: string[] = [];
  let stopped = false;
  await runBounded(moves.length, options.concurrency ?? 4, async (i) => {
    const m = moves[i];
    if (stopped) return;
    const name = `${m.store.location}:${m.tag}`;
    try {
      await options.lease?.check();
      await options.beforeMove?.(m);
      if (stopped) return;
      const now = await m.store.fetchManifest(m.tag);
      if (now?.digest === m.digest) {
        done.push(`${name} (already ${shortDigest(m.digest)})`);
        return;
      }
      if (now?.digest !== m.expected) {
        stopped = true;
        failures.push(`${m.cluster}: ${name} now holds ${now ? shortDigest(now.digest) : 'nothing'}, not ${m.expected ? shortDigest(m.expected) : 'nothing'} as when this was planned: someone else moved it`);
        return;
      }
      await m.store.pushManifest(m.tag, m.bytes, m.mediaType);
      done.push(`${name} -> ${shortDigest(m.digest)}`);
    } catch (e) {
      stopped = true;
      failures.push(`${m.cluster}: ${(e as Error).message}`);
    }
  });
  if (failures.length > 0) {
    const moved = done.sort();
    const left = moves.map((m) => `${m.store.location}:${m.tag}`).filter((n) => !moved.some((d) => d.startsWith(`${n} `))).sort();
    throw new PartialMoveError(
      `${options.what} stopped:\n${failures.sort().map((f) => `  ${f.split('\n').join('\n  ')}`).join('\n')}\n`
      + `moved: ${moved.length > 0 ? moved.join(', ') : 'nothing'}\nnot moved: ${left.length > 0 ? left.join(', ') : 'nothing'}\n${options.finish}`,
      moved,
    );
  }
  return done.sort();
}
