import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { blobOf } from '../../flux/artifact/digest.js';
import { MEDIA_TYPES } from '../../flux/artifact/media-types.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';
import { printable } from '../../flux/core/terminal-text.js';
import type { ReleaseManifest } from '../../output/release-manifest.js';
import type { Destinations } from '../destinations.js';
import type { ArtifactStore } from '../oci/store.js';

/** The artifact type of a lease record. */
export const LEASE_ARTIFACT_TYPE = 'application/vnd.flux-fleet.lease.v1+json';
/** The annotation holding a lease record (JSON). */
export const LEASE_ANNOTATION = 'dev.flux-fleet.lease';
/** The most deployments a lease record remembers. */
export const LEASE_HISTORY_LIMIT = 100;

const EMPTY = blobOf('application/vnd.oci.empty.v1+json', Buffer.from('{}'));

/** The tag holding the lease of an environment: `flux-fleet-lease-<environment>`. */
export function leaseTag(environment: string): string {
  return `flux-fleet-lease-${environment}`;
}

/**
 * Where the lease of an environment lives: the config repository of its first cluster by name (a repository that
 * exists wherever the environment's configs are pushed, so no other repository needs creating).
 */
export function leaseLocation(release: ReleaseManifest, environment: string): string {
  const first = release.clusters.filter((c) => c.environment === environment).map((c) => c.url).sort()[0];
  if (first === undefined) throw new LeaseError(`environment ${JSON.stringify(environment)} has no cluster, so it has no lease`);
  return first;
}

/** A revision an environment was moved to, as its lease record remembers it. */
export interface DeployedRevision {
  /** The revision's annotation, e.g. `main@sha1:<commit>`. */
  readonly revision: string;
  /** When, RFC 3339. */
  readonly at: string;
  /** What moved it, e.g. `push` or `promote wave 1`. */
  readonly by: string;
}

/** A lease record, as stored in the registry. */
export interface LeaseRecord {
  /** The environment. */
  readonly environment: string;
  /** `held`, or `released` (free for the next holder). */
  readonly state: 'held' | 'released';
  /** Who holds (or last held) it, for people: a CI job or `user@host (pid)`. */
  readonly holder: string;
  /** What for, e.g. `promote production wave 2 to main@sha1:...`. */
  readonly purpose: string;
  /** A random token of this holding: the holder recognises its own record by it. */
  readonly token: string;
  /** When it was taken, RFC 3339. */
  readonly acquired: string;
  /** When it lapses unless renewed, RFC 3339; a lapsed lease is free. */
  readonly expires: string;
  /** The revisions the environment's tags were moved to, oldest first (at most {@link LEASE_HISTORY_LIMIT}). */
  readonly history: readonly DeployedRevision[];
}

/** A lease that cannot be taken or is no longer held. */
export class LeaseError extends FluxFleetError {
  public constructor(message: string, public readonly holder?: LeaseRecord) {
    super(ERROR_CODES.refused, message);
  }
}

/** Options of {@link EnvironmentLease.acquire}. */
export interface LeaseOptions {
  /** Who takes it, for the refusal another mover gets. @default - the CI job (GitHub Actions, GitLab CI), else `user@host (pid)` */
  readonly holder?: string;
  /** What for, e.g. `promote production wave 1 to <revision>`. */
  readonly purpose: string;
  /** How long it holds unless renewed or released. @default 600000 (10 minutes) */
  readonly ttlMs?: number;
  /**
   * How long a new record must stay the one in the registry before it counts as taken. Two movers that write at
   * once both read back after this time, and only the last write is there. It must exceed the time a registry takes
   * to apply a write: a write slower than half of it is not trusted, and the lease is taken again.
   * @default 2000
   */
  readonly settleMs?: number;
  /** How many times a contended or slow take is tried before refusing. @default 4 */
  readonly attempts?: number;
}

/**
 * The lease of an environment: who may move its tags now. Registries offer no compare-and-swap, so a lease is a
 * record under the tag `flux-fleet-lease-<environment>` in the environment's first config repository, taken by
 * writing one's own record (a random token, an expiry) when the tag holds none that is held and current, waiting
 * `settleMs`, and reading it back: of two movers that write at once, only the last write is read back by both, so
 * exactly one holds. A mover re-checks its lease before every tag it moves ({@link check}), and refuses to go on
 * when it is gone. A holder that dies leaves the lease until it lapses (`ttlMs`).
 *
 * The record also keeps the revisions the environment was moved to, so that a push can tell a revision the
 * environment already moved past.
 */
export class EnvironmentLease {
  /**
   * Takes the lease of `environment` in `store`, or throws a {@link LeaseError} naming who holds it (with what for,
   * and until when).
   */
  public static async acquire(store: ArtifactStore, environment: string, options: LeaseOptions): Promise<EnvironmentLease> {
    const settle = options.settleMs ?? 2000;
    const ttl = options.ttlMs ?? 600_000;
    const holder = options.holder ?? defaultHolder();
    const tag = leaseTag(environment);
    let last = '';
    for (let attempt = 0; attempt < (options.attempts ?? 4); attempt++) {
      const started = Date.now();
      const current = await readLease(store, tag);
      if (current && isHeld(current)) throw new LeaseError(heldMessage(current), current);
      const now = Date.now();
      if (now - started > settle / 2) {
        last = `reading the lease took ${now - started} ms, more than half the settle time (${settle} ms)`;
        continue;
      }
      const record: LeaseRecord = {
        environment,
        state: 'held',
        holder,
        purpose: options.purpose,
        token: randomUUID(),
        acquired: new Date(now).toISOString(),
        expires: new Date(now + ttl).toISOString(),
        history: current?.history ?? [],
      };
      await writeLease(store, tag, record);
      const written = Date.now();
      await sleep(settle);
      const back = await readLease(store, tag);
      if (back?.token === record.token) {
        if (written - started <= settle / 2) return new EnvironmentLease(store, tag, record, ttl);
        // A write that slow may have landed over another mover's lease: give it up and take it again.
        await writeLease(store, tag, { ...record, state: 'released' });
        last = `writing the lease took ${written - started} ms, more than half the settle time (${settle} ms)`;
        continue;
      }
      if (back && isHeld(back)) throw new LeaseError(heldMessage(back), back);
      last = 'another mover wrote the lease at the same time and let it go';
    }
    throw new LeaseError(`cannot take the lease of ${environment} in ${store.location}: ${last}; try again, or raise the settle time for a slow registry`);
  }

  private constructor(
    private readonly store: ArtifactStore, private readonly tag: string, private current: LeaseRecord, private readonly ttl: number,
  ) {}

  /** The record as this holder last wrote it. */
  public get record(): LeaseRecord {
    return this.current;
  }

  /** Where the lease lives, `<location>:<tag>`. */
  public get location(): string {
    return `${this.store.location}:${this.tag}`;
  }

  /**
   * Checks that this holder still holds the lease (its record is in the registry and has not lapsed, with a margin of
   * a tenth of its time); throws a {@link LeaseError} naming who holds it now otherwise.
   */
  public async check(): Promise<void> {
    const now = await readLease(this.store, this.tag);
    if (now?.token !== this.current.token || now.state !== 'held') {
      throw new LeaseError(`the lease of ${this.current.environment} (${this.location}) is no longer ours: ${now ? (isHeld(now) ? heldMessage(now) : 'it was released') : 'it was deleted'}; nothing more was moved`, now);
    }
    if (Date.parse(now.expires) - this.ttl / 10 < Date.now()) {
      throw new LeaseError(`the lease of ${this.current.environment} (${this.location}) lapses at ${now.expires}; nothing more was moved (renew it during long waits)`, now);
    }
  }

  /** Checks the lease, then extends it by its time from now. */
  public async renew(): Promise<void> {
    await this.check();
    this.current = { ...this.current, expires: new Date(Date.now() + this.ttl).toISOString() };
    await writeLease(this.store, this.tag, this.current);
  }

  /** The revisions the environment was moved to, oldest first, as the record held them when it was taken. */
  public get history(): readonly DeployedRevision[] {
    return this.current.history;
  }

  /** Notes that the environment was moved to `revision` (written with the release). */
  public noteDeployed(revision: string, by: string): void {
    const history = [...this.current.history, { revision, at: new Date().toISOString(), by }];
    this.current = { ...this.current, history: history.slice(-LEASE_HISTORY_LIMIT) };
  }

  /** Releases the lease (when it is still this holder's), keeping the history. */
  public async release(): Promise<void> {
    const now = await readLease(this.store, this.tag);
    if (now?.token !== this.current.token) return;
    this.current = { ...this.current, state: 'released' };
    await writeLease(this.store, this.tag, this.current);
  }
}

/** Takes the lease of an environment of a release, in its lease location (see {@link leaseLocation}). */
export async function acquireEnvironmentLease(
  destinations: Destinations, release: ReleaseManifest, environment: string, options: LeaseOptions,
): Promise<EnvironmentLease> {
  return EnvironmentLease.acquire(destinations.store(leaseLocation(release, environment)), environment, options);
}

/** The lease record a tag holds; undefined when there is none or it is not a lease. */
export async function readLease(store: ArtifactStore, tag: string): Promise<LeaseRecord | undefined> {
  const m = await store.fetchManifest(tag);
  if (!m) return undefined;
  try {
    const manifest = JSON.parse(m.bytes.toString('utf8')) as { artifactType?: string; annotations?: Record<string, string> };
    if (manifest.artifactType !== LEASE_ARTIFACT_TYPE) return undefined;
    const record = JSON.parse(manifest.annotations?.[LEASE_ANNOTATION] ?? '') as LeaseRecord;
    if (typeof record?.token !== 'string' || typeof record.expires !== 'string' || !Array.isArray(record.history)) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

async function writeLease(store: ArtifactStore, tag: string, record: LeaseRecord): Promise<void> {
  await store.pushBlob(EMPTY);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: LEASE_ARTIFACT_TYPE,
    config: EMPTY.descriptor,
    layers: [EMPTY.descriptor],
    annotations: { [LEASE_ANNOTATION]: JSON.stringify(record) },
  }));
  await store.pushManifest(tag, manifest, MEDIA_TYPES.ociManifest);
}

function isHeld(record: LeaseRecord): boolean {
  return record.state === 'held' && Date.parse(record.expires) > Date.now();
}

function heldMessage(record: LeaseRecord): string {
  return `${record.environment} is held by ${printable(record.holder)} (${printable(record.purpose)}) since ${record.acquired}, until ${record.expires} at the latest; wait for it to finish and run this again`;
}

/** Who runs this: the CI job, else `user@host (pid)`. */
function defaultHolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_RUN_ID) {
    return `GitHub Actions run ${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY ?? '?'}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  if (env.GITLAB_CI === 'true' && env.CI_JOB_URL) return `GitLab CI job ${env.CI_JOB_URL}`;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user name on this system: the host and pid still tell who it is.
  }
  return `${user}@${hostname()} (pid ${process.pid})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
