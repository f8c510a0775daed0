import { readFileSync } from 'node:fs';
import { q } from '../flux/core/rules.js';

/** The lock file's name, in the fleet's `baseDir` unless the fleet names another. */
export const LOCK_FILE = 'flux-fleet.lock';

/** The version of the lock file's format. */
export const LOCK_FILE_VERSION = 1;

/** A ref the fleet declares for an upstream chart or artifact: a tag, or a semver range over the upstream's tags. */
export type LockRef = { readonly tag: string } | { readonly semver: string };

/** What a lock entry is for: a component's chart or artifact on some production clusters. */
export interface LockUse {
  /** `chart` or `artifact`. */
  readonly kind: 'chart' | 'artifact';
  /** The component. */
  readonly component: string;
  /** The production clusters that pull it, sorted. */
  readonly clusters: readonly string[];
}

/** One upstream ref resolved to a digest, once, and what it is for. */
export interface LockEntry {
  /** Where it is published, `oci://...`. */
  readonly upstream: string;
  /** The ref the fleet declares. */
  readonly ref: LockRef;
  /** The upstream tag it resolved to: the tag itself, or the highest tag a range matched. */
  readonly tag: string;
  /** The digest that tag pointed at, which production pins. */
  readonly digest: string;
  /** What it is for. */
  readonly usedBy: readonly LockUse[];
}

/** A ref production needs from the lock: what `flux-fleet lock` resolves. */
export interface LockRequest {
  /** The upstream repository, `oci://<host>/<repository>`. */
  readonly upstream: string;
  /** The ref production pulls it by: a tag or a semver range. */
  readonly ref: LockRef;
  /** Who pulls it: components and clusters. */
  readonly usedBy: readonly LockUse[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The key of an upstream ref: entries and requests with the same key are the same. */
export function lockKey(upstream: string, ref: LockRef): string {
  return JSON.stringify([upstream, 'tag' in ref ? { tag: ref.tag } : { semver: ref.semver }]);
}

/** A ref as text: `6.7.0`, or `semver 6.x`. */
export function describeLockRef(ref: LockRef): string {
  return 'tag' in ref ? ref.tag : `semver ${ref.semver}`;
}

/**
 * The fleet's lock: every upstream tag or range production pulls, resolved once to a digest and recorded in a file
 * committed with the fleet (reviewed like package-lock.json). Synth pins production's charts and external artifacts to
 * the digests it records, so an upstream re-tag changes nothing until someone updates the lock in a reviewed change
 * (`flux-fleet lock --update`).
 */
export class FleetLock {
  /** The lock file at `file`; a missing file is an empty lock. Read when synth first needs it. */
  public static fromFile(file: string): FleetLock {
    return new FleetLock(file, undefined);
  }

  /** A lock holding these entries, not read from a file. */
  public static of(entries: readonly LockEntry[]): FleetLock {
    return new FleetLock(undefined, entries);
  }

  private read?: { entries: Map<string, LockEntry>; problems: string[] };

  private constructor(
    /** The file the lock is read from. @default - none: the lock was given as entries */
    public readonly file: string | undefined,
    private readonly given: readonly LockEntry[] | undefined,
  ) {}

  /** The entry for an upstream ref; undefined when the lock has none. */
  public entryFor(upstream: string, ref: LockRef): LockEntry | undefined {
    return this.load().entries.get(lockKey(upstream, ref));
  }

  /** Every entry, sorted. */
  public get entries(): LockEntry[] {
    return [...this.load().entries.values()];
  }

  /** What is wrong with the lock file, each naming the file and the fix; empty when it reads. */
  public problems(): string[] {
    return this.load().problems;
  }

  /** Where the lock is, for messages. */
  public get where(): string {
    return this.file ?? 'the lock given to the fleet';
  }

  private load(): { entries: Map<string, LockEntry>; problems: string[] } {
    if (this.read) return this.read;
    let entries: readonly LockEntry[] = this.given ?? [];
    let problems: string[] = [];
    if (this.file !== undefined) {
      let text: string | undefined;
      try {
        text = readFileSync(this.file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`the lock file ${this.file} cannot be read: ${(e as Error).message}`);
      }
      if (text !== undefined) ({ entries, problems } = parseLockFile(text, this.file));
    }
    this.read = { entries: new Map(entries.map((e) => [lockKey(e.upstream, e.ref), e])), problems };
    return this.read;
  }
}

/** Reads a lock file's text: its entries, and what is wrong with it (each naming the file, the entry and the fix). */
export function parseLockFile(text: string, file: string): { entries: LockEntry[]; problems: string[] } {
  const fix = 'write it again with flux-fleet lock';
  let doc: { lockfileVersion?: unknown; entries?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    return { entries: [], problems: [`the lock file ${file} is not JSON (${(e as Error).message}); ${fix}`] };
  }
  if (doc?.lockfileVersion !== LOCK_FILE_VERSION || !Array.isArray(doc.entries)) {
    return { entries: [], problems: [`the lock file ${file} is not a flux-fleet lock file of version ${LOCK_FILE_VERSION}; ${fix}`] };
  }
  const entries: LockEntry[] = [];
  const problems: string[] = [];
  (doc.entries as unknown[]).forEach((raw, i) => {
    const e = raw as Record<string, unknown> | null;
    const where = `the lock file ${file}, entries[${i}]`;
    const ref = e?.ref as Record<string, unknown> | undefined;
    const tagRef = typeof ref?.tag === 'string' && Object.keys(ref).length === 1;
    const rangeRef = typeof ref?.semver === 'string' && Object.keys(ref).length === 1;
    if (typeof e?.upstream !== 'string' || !/^oci:\/\/\S+$/.test(e.upstream)) {
      problems.push(`${where}: upstream ${q(e?.upstream)} is not an oci:// URL; ${fix}`);
    } else if (!tagRef && !rangeRef) {
      problems.push(`${where}: ref ${q(ref)} is neither {"tag": ...} nor {"semver": ...}; ${fix}`);
    } else if (typeof e.tag !== 'string' || !TAG.test(e.tag) || (tagRef && e.tag !== ref!.tag)) {
      problems.push(`${where}: tag ${q(e.tag)} is not ${tagRef ? q(ref!.tag) : 'an OCI tag'}; ${fix}`);
    } else if (typeof e.digest !== 'string' || !DIGEST.test(e.digest)) {
      problems.push(`${where}: digest ${q(e.digest)} is not "sha256:" and 64 hex digits; ${fix}`);
    } else {
      const usedBy = Array.isArray(e.usedBy) ? (e.usedBy as LockUse[]) : [];
      const declared: LockRef = tagRef ? { tag: ref!.tag as string } : { semver: ref!.semver as string };
      entries.push({ upstream: e.upstream, ref: declared, tag: e.tag, digest: e.digest, usedBy });
    }
  });
  return { entries, problems };
}

/**
 * A lock file's text: deterministic (entries sorted by upstream and ref, fields in a fixed order, no timestamps), so
 * that the same resolutions always give the same bytes and a review shows only what changed.
 */
export function renderLockFile(entries: readonly LockEntry[]): string {
  const sorted = [...entries].sort((a, b) => compare(lockKey(a.upstream, a.ref), lockKey(b.upstream, b.ref)));
  const doc = {
    lockfileVersion: LOCK_FILE_VERSION,
    comment: 'Written by flux-fleet lock: the digest each upstream tag or range production pulls resolved to. Synth pins production to these digests; review changes like package-lock.json.',
    entries: sorted.map((e) => ({
      upstream: e.upstream,
      ref: 'tag' in e.ref ? { tag: e.ref.tag } : { semver: e.ref.semver },
      tag: e.tag,
      digest: e.digest,
      usedBy: [...e.usedBy]
        .sort((a, b) => compare(`${a.component} ${a.kind}`, `${b.component} ${b.kind}`))
        .map((u) => ({ kind: u.kind, component: u.component, clusters: [...u.clusters].sort(compare) })),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
