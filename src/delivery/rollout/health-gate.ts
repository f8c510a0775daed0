import { durationMs } from '../../fleet/rollout.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';
import type { ReleaseCluster, ReleaseManifest } from '../../output/release-manifest.js';
import { healthOf, selectClusters, ungatedClusters, type ClusterHealth, type FleetHealth, type HealthOptions } from '../health/health.js';
import { PromotionError } from '../release/errors.js';
import type { PromotionGate } from '../release/promote.js';

/** A health gate that refused a move: the clusters it is gated on do not report healthy for the soak. */
export class HealthGateError extends FluxFleetError {
  public constructor(message: string, public readonly verdict: HealthVerdict) {
    super(ERROR_CODES.refused, message);
  }
}

/** What a wave must show before the rollout goes past it: how long its clusters stay healthy, how many may fail. */
export interface HealthCriteria {
  /** How long each cluster's newest report must have said healthy, in milliseconds. */
  readonly soakMs: number;
  /** How many clusters may report failing; more stops the rollout. */
  readonly maxFailures: number;
}

/** Where a group of clusters stands against {@link HealthCriteria}. */
export interface HealthVerdict {
  /**
   * `passed`: every cluster reports healthy on the revision for the soak, except at most `maxFailures` failing;
   * `failed`: more clusters fail than that; `waiting`: some are still soaking, on an older revision or silent.
   */
  readonly verdict: 'passed' | 'failed' | 'waiting';
  /** How many clusters were read. */
  readonly clusters: number;
  /** Healthy on the revision for the soak. */
  readonly healthy: number;
  /** Healthy on the revision, not yet for the soak. */
  readonly soaking: number;
  /** Failing on the revision. */
  readonly failing: number;
  /** Still on an older revision, or with no report. */
  readonly waiting: number;
  /** When the last soaking cluster will have soaked (RFC 3339). @default - none is soaking */
  readonly soakedAt?: string;
  /** In a sentence: which clusters fail or are waited for, and what they report. */
  readonly summary: string;
  /** Each cluster's state, as read. */
  readonly health: readonly ClusterHealth[];
}

/** Clusters a promotion is gated on, and what they are in words (e.g. `production wave 1`). */
export interface GateClusters {
  /** What they are, in words, e.g. `production wave 1`. */
  readonly label: string;
  /** The clusters. */
  readonly clusters: readonly ReleaseCluster[];
}

/**
 * Judges the clusters of `health` against `criteria` at time `now` (milliseconds). A cluster counts as soaked when
 * its newest report on the revision says healthy and is at least the soak old; a report of an older revision, or
 * none, is waited for, never counted. An empty group passes.
 */
export function judgeHealth(health: FleetHealth, criteria: HealthCriteria, now: number): HealthVerdict {
  const soaked: ClusterHealth[] = [];
  const soaking: ClusterHealth[] = [];
  const failing: ClusterHealth[] = [];
  const waiting: ClusterHealth[] = [];
  let soakedAt = 0;
  for (const c of health.clusters) {
    const since = Date.parse(c.since ?? '');
    if (c.state === 'failing') {
      failing.push(c);
    } else if (c.state !== 'healthy') {
      waiting.push(c);
    } else if (Number.isFinite(since) && now - since >= criteria.soakMs) {
      soaked.push(c);
    } else {
      soaking.push(c);
      soakedAt = Math.max(soakedAt, (Number.isFinite(since) ? since : now) + criteria.soakMs);
    }
  }
  const verdict = failing.length > criteria.maxFailures ? 'failed' : soaked.length + failing.length === health.clusters.length ? 'passed' : 'waiting';
  const names = (list: ClusterHealth[], what: (c: ClusterHealth) => string) => {
    const shown = list.slice(0, 5).map(what).join(', ');
    return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
  };
  const parts: string[] = [];
  if (failing.length > 0) parts.push(`failing: ${names(failing, (c) => `${c.name} (${c.description ?? 'failed'})`)}`);
  if (waiting.length > 0) parts.push(`waiting for: ${names(waiting, (c) => `${c.name} (${c.state === 'progressing' ? `still on ${c.revision?.slice(0, 12) ?? 'an older revision'}` : c.description ?? 'no report'})`)}`);
  if (soaking.length > 0) parts.push(`soaking until ${new Date(soakedAt).toISOString()}: ${names(soaking, (c) => c.name)}`);
  const counts = `${soaked.length}/${health.clusters.length} healthy for the soak, ${soaking.length} soaking, ${failing.length} failing (at most ${criteria.maxFailures} tolerated), ${waiting.length} waiting`;
  return {
    verdict,
    clusters: health.clusters.length,
    healthy: soaked.length,
    soaking: soaking.length,
    failing: failing.length,
    waiting: waiting.length,
    ...(soaking.length > 0 ? { soakedAt: new Date(soakedAt).toISOString() } : {}),
    summary: parts.length > 0 ? `${counts}; ${parts.join('; ')}` : counts,
    health: health.clusters,
  };
}

/**
 * The clusters whose health gates a promotion of `environment` (and `wave`): those of its earlier waves; for its
 * first wave (or the whole environment), those of the environment it is promoted from (its rollout's
 * `promotedFrom`), or none when it names none.
 */
export function gateClustersOf(release: ReleaseManifest, environment: string, wave?: number): GateClusters {
  const own = selectClusters(release, { environment });
  const earlier = wave === undefined ? [] : own.filter((c) => c.wave !== undefined && c.wave < wave);
  if (earlier.length > 0) {
    const waves = [...new Set(earlier.map((c) => c.wave!))].sort((a, b) => a - b);
    return { label: `${environment} wave${waves.length > 1 ? 's' : ''} ${waves.join(', ')}`, clusters: earlier };
  }
  const from = release.environments.find((e) => e.name === environment)?.rollout?.promotedFrom;
  if (from === undefined) return { label: `nothing (${environment} is promoted from no environment)`, clusters: [] };
  return { label: `${from} (which ${environment} is promoted from)`, clusters: selectClusters(release, { environment: from }) };
}

/**
 * Refuses, naming them, clusters whose health cannot gate anything: those that report nowhere, and those whose Flux
 * cannot report failures (see {@link ungatedClusters}).
 */
export function refuseUngated(clusters: readonly ReleaseCluster[], what: string): void {
  const ungated = ungatedClusters([...new Map(clusters.map((c) => [c.name, c])).values()]);
  if (ungated.length > 0) {
    throw new PromotionError(ungated.map((u) => `${u.name} cannot gate ${what}: it ${u.reason}`));
  }
}

/** Options of {@link healthGate}. */
export interface HealthGateOptions extends HealthCriteria {
  /** How the reports are read: token, API URLs, deadline of each read. @default - see HealthOptions */
  readonly health?: HealthOptions;
  /**
   * How old a read may be and still stand for the one before a tag moves; older, the gate reads again.
   * @default 5000
   */
  readonly freshMs?: number;
  /** Called with each verdict read. @default - nothing */
  readonly onVerdict?: (verdict: HealthVerdict) => void;
}

/**
 * A {@link PromotionGate} that lets a promotion move only while `gate`'s clusters report healthy on `revision` as
 * `criteria` ask: it reads their reports before the first tag moves, and again before each move when the last read
 * is older than `freshMs`; any verdict but `passed` refuses (before the first move, nothing moves).
 */
export function healthGate(gate: GateClusters, revision: string, options: HealthGateOptions): PromotionGate {
  const now = options.health?.now ?? Date.now;
  let last: number | undefined;
  return async (context) => {
    if (context.phase === 'before-move' && last !== undefined && now() - last < (options.freshMs ?? 5000)) return;
    if (gate.clusters.length === 0) return;
    const health = await healthOf(gate.clusters, revision, options.health);
    const verdict = judgeHealth(health, options, now());
    last = now();
    options.onVerdict?.(verdict);
    if (verdict.verdict !== 'passed') {
      throw new HealthGateError(`${gate.label} ${verdict.verdict === 'failed' ? 'fails' : 'is not healthy for the soak yet'} on ${health.revision}: ${verdict.summary}`, verdict);
    }
  };
}

/** Milliseconds of a Go duration given on the command line or in release.json; throws naming `what` when it is not one. */
export function durationOf(value: string, what: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new PromotionError([`${what} ${JSON.stringify(value)} is not a duration; use e.g. 30s, 10m or 1h30m`]);
  return ms;
}
