import { healthSourceFactory, type HealthSource, type HealthSourceOptions, type Report } from './health-source.js';
import { HEALTH_REPORT_MIN_FLUX } from '../../fleet/health-report.js';
import { fluxMinor } from '../../fleet/signing.js';
import { SelectionError } from '../../flux/core/errors.js';
import type { ReleaseCluster, ReleaseEnvironment, ReleaseManifest } from '../../output/release-manifest.js';
import { DeliveryError } from '../artifacts.js';

/** A cluster's state on a revision: healthy or failing on it, on its way (an older revision reported), or unknown. */
export type ClusterState = 'healthy' | 'failing' | 'progressing' | 'unknown';

/** What is known of one cluster on the revision asked about. */
export interface ClusterHealth {
  /** The cluster's name. */
  readonly name: string;
  /** Its environment. */
  readonly environment: string;
  /** Its region. */
  readonly region: string;
  /** Its wave. @default - none */
  readonly wave?: number;
  /**
   * `healthy`/`failing`: its newest report on the revision says so; `progressing`: it reported only an older revision
   * (or a pending state); `unknown`: no report found, or it reports nowhere. Only `healthy` counts as healthy.
   */
  readonly state: ClusterState;
  /** The commit of the newest report found: the revision asked about, or an older one. @default - none: no report found */
  readonly revision?: string;
  /** When that report was posted (RFC 3339). @default - no report found */
  readonly since?: string;
  /** What the report says (e.g. `health check failed`), or why the state is unknown. @default - the report said nothing more */
  readonly description?: string;
}

/** The clusters of one wave of one environment, counted by state. */
export interface WaveHealth {
  /** The environment. */
  readonly environment: string;
  /** The wave. @default - none: the clusters of the environment that have no wave */
  readonly wave?: number;
  /** How many clusters the wave has. */
  readonly clusters: number;
  /** Of those, how many are `healthy`. */
  readonly healthy: number;
  /** Of those, how many are `failing`. */
  readonly failing: number;
  /** Of those, how many are `progressing`. */
  readonly progressing: number;
  /** Of those, how many are `unknown`. */
  readonly unknown: number;
}

/** The state of a selection of clusters on a revision, read from where they report. */
export interface FleetHealth {
  /** The commit asked about. */
  readonly revision: string;
  /** Whether every selected cluster reports healthy on it (false for an empty selection). */
  readonly healthy: boolean;
  /** Each selected cluster, in the order of the release manifest. */
  readonly clusters: readonly ClusterHealth[];
  /** Per environment and wave, in order. */
  readonly waves: readonly WaveHealth[];
  /** Requests sent to report sources (retries included). */
  readonly requests: number;
  /** When the read was made (RFC 3339). */
  readonly readAt: string;
}

/** Options of {@link healthOf}. */
export interface HealthOptions {
  /**
   * The token each source reads with, by report type and host, e.g. from `$GITHUB_TOKEN`.
   * @default - anonymous reads
   */
  readonly token?: (target: { readonly type: string; readonly host: string }) => string | undefined;
  /** API base URLs by forge host, e.g. `{ 'github.com': 'http://127.0.0.1:8080' }`. @default - each host's own API */
  readonly apiUrls?: Readonly<Record<string, string>>;
  /**
   * How many earlier commits to look at for clusters with no report on the revision, to tell which revision they
   * still run (read only for those clusters, and only until each is found). 0 reads the revision alone.
   * @default 5
   */
  readonly history?: number;
  /** The time the whole read may take, waits for rate limits and retries included. @default 120000 */
  readonly deadlineMs?: number;
  /** Retries, backoff and bounds of the HTTP clients. @default - the client's defaults */
  readonly client?: HealthSourceOptions['client'];
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Which clusters of a release manifest to look at. */
export interface ClusterSelection {
  /** Only the clusters of this environment. @default - every environment */
  readonly environment?: string;
  /** Only the clusters of this wave (with `environment`, of that environment). @default - every wave */
  readonly wave?: number;
}

/** A cluster that cannot be gated on its health, and why. */
export interface UngatedCluster {
  /** The cluster's name. */
  readonly name: string;
  /** Why its health cannot gate a promotion (e.g. it reports nowhere). */
  readonly reason: string;
}

/** The environment of `release` named `name`; a {@link SelectionError} listing those it has when there is none. */
export function releaseEnvironment(release: ReleaseManifest, name: string): ReleaseEnvironment {
  const env = release.environments.find((e) => e.name === name);
  if (!env) throw new SelectionError(`there is no environment ${JSON.stringify(name)} in the release; use one of ${release.environments.map((e) => e.name).join(', ')}`);
  return env;
}

/** The clusters of `release` that `selection` names, in manifest order; throws when it names none. */
export function selectClusters(release: ReleaseManifest, selection: ClusterSelection = {}): ReleaseCluster[] {
  if (selection.environment !== undefined) releaseEnvironment(release, selection.environment);
  const clusters = release.clusters.filter((c) => (selection.environment === undefined || c.environment === selection.environment)
    && (selection.wave === undefined || c.wave === selection.wave));
  if (clusters.length === 0) {
    const where = selection.environment !== undefined ? `environment ${selection.environment}` : 'the release';
    const inEnvironment = release.clusters.filter((c) => selection.environment === undefined || c.environment === selection.environment);
    const waves = [...new Set(inEnvironment.map((c) => c.wave).filter((w) => w !== undefined))].sort();
    throw new SelectionError(`no cluster of ${where} is in wave ${selection.wave}; its waves are ${waves.length > 0 ? waves.join(', ') : 'none'}`);
  }
  return clusters;
}

/**
 * The clusters of a selection that cannot be gated on their health: those that report nowhere, and those whose Flux
 * cannot report failures (older than 2.9, or a version the manifest does not give). Empty when all can be gated.
 */
export function ungatedClusters(clusters: readonly ReleaseCluster[]): UngatedCluster[] {
  const min = fluxMinor(HEALTH_REPORT_MIN_FLUX)!;
  return clusters.flatMap((c): UngatedCluster[] => {
    if (!c.report) return [{ name: c.name, reason: 'declares no health report (set rollout.report on the fleet or its environment)' }];
    if (c.flux === undefined) return [{ name: c.name, reason: 'its Flux version is unknown (synthesize the tree again with this flux-fleet)' }];
    const minor = fluxMinor(c.flux);
    if (minor !== undefined && minor < min) return [{ name: c.name, reason: `runs Flux ${c.flux}, which cannot report failures (Flux ${HEALTH_REPORT_MIN_FLUX} or newer can)` }];
    return [];
  });
}

/**
 * Reads the state of `clusters` on `revision` (a commit: 40 hex digits, or `<branch>@sha1:<commit>`) from where
 * they report: one read per report source (repository), in pages of 100 contexts, with the clusters not found on the
 * revision looked for on up to `history` earlier commits. Clusters that report nowhere are `unknown`. A source that
 * keeps failing past the deadline throws a `ForgeError`.
 *
 * This is what `flux-fleet status` prints, and what a gated promotion or a rollout asks before each move.
 */
export async function healthOf(clusters: readonly ReleaseCluster[], revision: string, options: HealthOptions = {}): Promise<FleetHealth> {
  const commit = commitOf(revision);
  const now = options.now ?? Date.now;
  const deadline = now() + (options.deadlineMs ?? 120_000);
  const groups = new Map<string, { type: string; host: string; repository: string; clusters: ReleaseCluster[] }>();
  for (const c of clusters) {
    if (!c.report) continue;
    const key = JSON.stringify([c.report.type, c.report.host, c.report.repository]);
    const group = groups.get(key) ?? { type: c.report.type, host: c.report.host, repository: c.report.repository, clusters: [] };
    group.clusters.push(c);
    groups.set(key, group);
  }
  const reports = new Map<string, Report>();
  const sources: HealthSource[] = [];
  for (const group of groups.values()) {
    const source = healthSourceFactory(group.type)({ host: group.host, repository: group.repository }, {
      token: options.token?.({ type: group.type, host: group.host }),
      apiUrl: options.apiUrls?.[group.host],
      client: { ...options.client, deadlineMs: options.deadlineMs, now },
    });
    sources.push(source);
    const found = await source.read({ commit, contexts: group.clusters.map((c) => c.report!.context), history: options.history ?? 5, deadline });
    for (const c of group.clusters) {
      const report = found.get(c.report!.context);
      if (report) reports.set(c.name, report);
    }
  }
  const result = clusters.map((c): ClusterHealth => {
    const base = { name: c.name, environment: c.environment, region: c.region, ...(c.wave !== undefined ? { wave: c.wave } : {}) };
    if (!c.report) return { ...base, state: 'unknown', description: 'reports nowhere' };
    const report = reports.get(c.name);
    if (!report) return { ...base, state: 'unknown', description: 'no report found' };
    const state = report.commit === commit ? report.state : 'progressing';
    return { ...base, state, revision: report.commit, since: report.since, description: report.description };
  });
  return {
    revision: commit,
    healthy: result.length > 0 && result.every((c) => c.state === 'healthy'),
    clusters: result,
    waves: wavesOf(result),
    requests: sources.reduce((n, s) => n + s.stats.requests, 0),
    readAt: new Date(now()).toISOString(),
  };
}

/** The commit of a revision: 40 hex digits alone, or after `sha1:`; anything else cannot carry a commit status. */
export function commitOf(revision: string): string {
  const m = /^(?:.+@)?(?:sha1:)?([0-9a-f]{40})$/.exec(revision);
  if (!m) {
    throw new DeliveryError(`revision ${JSON.stringify(revision)} names no commit, and clusters report on commits (notification-controller reads `
      + 'the commit from the artifact\'s revision annotation); give the commit (40 hex digits) or <branch>@sha1:<commit>, and push releases with such a revision');
  }
  return m[1];
}

function wavesOf(clusters: readonly ClusterHealth[]): WaveHealth[] {
  const waves = new Map<string, { environment: string; wave?: number; list: ClusterHealth[] }>();
  for (const c of clusters) {
    const key = `${c.environment}\u0000${c.wave ?? 0}`;
    const w = waves.get(key) ?? { environment: c.environment, ...(c.wave !== undefined ? { wave: c.wave } : {}), list: [] };
    w.list.push(c);
    waves.set(key, w);
  }
  return [...waves.values()]
    .sort((a, b) => (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : (a.wave ?? 0) - (b.wave ?? 0)))
    .map(({ environment, wave, list }) => ({
      environment,
      ...(wave !== undefined ? { wave } : {}),
      clusters: list.length,
      healthy: list.filter((c) => c.state === 'healthy').length,
      failing: list.filter((c) => c.state === 'failing').length,
      progressing: list.filter((c) => c.state === 'progressing').length,
      unknown: list.filter((c) => c.state === 'unknown').length,
    }));
}

