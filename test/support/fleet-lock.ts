import { createHash } from 'node:crypto';
import { FleetLock, type LockRef } from '../../src/index.js';

/** The digest a {@link testLock} records for an upstream ref: made from the ref, since synth tests reach no registry. */
export function lockedDigest(upstream: string, ref: LockRef): string {
  return `sha256:${createHash('sha256').update(JSON.stringify([upstream, ref])).digest('hex')}`;
}

/** A lock with an entry for each upstream ref, at the tag the ref names (a range at `resolved`). */
export function testLock(...refs: Array<[upstream: string, ref: LockRef, resolved?: string]>): FleetLock {
  return FleetLock.of(refs.map(([upstream, ref, resolved]) => ({
    upstream, ref, tag: 'tag' in ref ? ref.tag : resolved ?? '0.0.0', digest: lockedDigest(upstream, ref), usedBy: [],
  })));
}
