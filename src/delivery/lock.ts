import { DeliveryError } from './artifacts.js';
import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { SemverRange } from './semver.js';
import { describeLockRef, lockKey, type LockEntry, type LockRef, type LockRequest } from '../fleet/fleet-lock.js';

/** Options of {@link resolveLock}. */
export interface ResolveLockOptions {
  /** Where the upstreams are reached. */
  readonly destinations: Destinations;
  /**
   * Resolve again what the lock records already: every entry (`true`), or those of these upstreams (`oci://...`).
   * @default false - an entry the lock has is kept as it is
   */
  readonly update?: boolean | readonly string[];
  /** How many upstream refs are resolved at once. @default 4 */
  readonly concurrency?: number;
}

/** What resolving did to one entry of the lock. */
export interface LockChange {
  /** The upstream repository, `oci://<host>/<repository>`. */
  readonly upstream: string;
  /** The ref production pulls it by: a tag or a semver range. */
  readonly ref: LockRef;
  /** `added` (the lock lacked it), `kept`, `updated` (resolved again to another digest), `removed` (production no longer pulls it). */
  readonly action: 'added' | 'kept' | 'updated' | 'removed';
  /** The tag the ref resolved to (for a range, the highest match). */
  readonly tag: string;
  /** The manifest digest the lock records. */
  readonly digest: string;
  /** What the lock recorded before, for an update. @default - nothing changed */
  readonly was?: { readonly tag: string; readonly digest: string };
}

/**
 * The lock for a fleet's requests (the upstream refs its production pulls): each resolved once against its upstream
 * (a tag to the digest it points at, a semver range to its highest matching tag, then that tag's digest), what the
 * lock records already kept unless `update` says otherwise, and entries no request needs any more dropped. Fails,
 * listing every ref that could not be resolved, without changing anything.
 */
export async function resolveLock(
  requests: readonly LockRequest[], existing: readonly LockEntry[], options: ResolveLockOptions,
): Promise<{ entries: LockEntry[]; changes: LockChange[] }> {
  const recorded = new Map(existing.map((e) => [lockKey(e.upstream, e.ref), e]));
  const update = (upstream: string) => options.update === true || (Array.isArray(options.update) && options.update.includes(upstream));
  const entries: LockEntry[] = new Array(requests.length);
  const changes: LockChange[] = new Array(requests.length);
  const failures: string[] = [];
  await runBounded(requests.length, options.concurrency ?? 4, async (i) => {
    const request = requests[i];
    const before = recorded.get(lockKey(request.upstream, request.ref));
    if (before && !update(request.upstream)) {
      entries[i] = { ...before, usedBy: request.usedBy };
      changes[i] = { upstream: request.upstream, ref: request.ref, action: 'kept', tag: before.tag, digest: before.digest };
      return;
    }
    try {
      const { tag, digest } = await resolveRef(request.upstream, request.ref, options.destinations);
      entries[i] = { upstream: request.upstream, ref: request.ref, tag, digest, usedBy: request.usedBy };
      const changed = before && (before.digest !== digest || before.tag !== tag);
      changes[i] = {
        upstream: request.upstream,
        ref: request.ref,
        action: before ? (changed ? 'updated' : 'kept') : 'added',
        tag,
        digest,
        ...(changed ? { was: { tag: before.tag, digest: before.digest } } : {}),
      };
    } catch (e) {
      failures.push(`${request.upstream} at ${describeLockRef(request.ref)}: ${(e as Error).message}`);
    }
  });
  if (failures.length > 0) {
    throw new DeliveryError(`cannot resolve ${failures.length} upstream ref${failures.length === 1 ? '' : 's'} the lock needs; the lock is left as it was:\n${failures.sort().map((f) => `  ${f}`).join('\n')}`);
  }
  const requested = new Set(requests.map((r) => lockKey(r.upstream, r.ref)));
  const removed: LockChange[] = existing.filter((e) => !requested.has(lockKey(e.upstream, e.ref)))
    .map((e) => ({ upstream: e.upstream, ref: e.ref, action: 'removed', tag: e.tag, digest: e.digest }));
  return { entries, changes: [...changes, ...removed] };
}

/** The tag a ref resolves to upstream, and the digest that tag points at. */
async function resolveRef(upstream: string, ref: LockRef, destinations: Destinations): Promise<{ tag: string; digest: string }> {
  const repo = destinations.repository(upstream);
  let tag: string;
  if ('tag' in ref) {
    tag = ref.tag;
  } else {
    const tags = await repo.tags();
    const best = SemverRange.parse(ref.semver).highest(tags);
    if (best === undefined) throw new DeliveryError(`no tag matches semver ${JSON.stringify(ref.semver)} (${tags.length} tags${tags.length > 0 ? `, e.g. ${tags.slice(-5).join(', ')}` : ''})`);
    tag = best;
  }
  const manifest = await repo.fetchManifest(tag);
  if (!manifest) throw new DeliveryError(`the tag ${tag} does not exist`);
  return { tag, digest: manifest.digest };
}
