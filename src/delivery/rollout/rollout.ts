import {
  durationOf, gateClustersOf, HealthGateError, healthGate, judgeHealth, refuseUngated, type GateClusters, type HealthVerdict,
} from './health-gate.js';
import { DEFAULT_ROLLOUT, type ResolvedRolloutSettings } from '../../fleet/rollout.js';
import { FluxFleetError, SelectionError } from '../../flux/core/errors.js';
import type { ReleaseCluster, ReleaseManifest } from '../../output/release-manifest.js';
import { runBounded } from '../concurrency.js';
import type { Destinations } from '../destinations.js';
import { commitOf, healthOf, releaseEnvironment, selectClusters, type HealthOptions } from '../health/health.js';
import { acquireEnvironmentLease, type EnvironmentLease, type LeaseOptions } from '../release/lease.js';
import { promoteRelease, rollbackRelease, waveClusters } from '../release/promote.js';
import { candidateTag } from '../release/revision.js';
import type { VerificationMaterialOptions } from '../release/verification.js';

/** Options of {@link rollOut}. */
export interface RolloutOptions {
  /** The environment rolled out, e.g. `production`. */
  readonly environment: string;
  /** The registries. */
  readonly destinations: Destinations;
  /** Public material not in the tree and the public Sigstore root, for verifying each wave's targets. @default - see promoteRelease */
  readonly material?: VerificationMaterialOptions;
  /** How long each wave must report healthy before the next moves, in milliseconds. @default - the environment's rollout soak */
  readonly soakMs?: number;
  /** How long each wave may take to pass, from its promotion, in milliseconds. @default - the environment's progress deadline */
  readonly progressDeadlineMs?: number;
  /** How many clusters of a wave may fail before the rollout stops. @default - the environment's maxFailures */
  readonly maxFailures?: number;
  /** Roll back the waves on the revision when the rollout stops on a failure. @default false */
  readonly rollbackOnFailure?: boolean;
  /** Waves that need a person's approval (the environment's rollout `approval`) given it for this run. @default - none */
  readonly approvedWaves?: readonly number[];
  /** Stop, done, once this wave passed (a CI job per group of waves). @default - the last wave */
  readonly untilWave?: number;
  /** How the clusters' reports are read: token, API URLs, bounds of each read. @default - see HealthOptions */
  readonly health?: Omit<HealthOptions, 'now'>;
  /** How often reports are read while a wave soaks, in milliseconds. @default 30000 */
  readonly pollIntervalMs?: number;
  /** How the lease is taken: holder, time to live (renewed while waiting), settle time. @default - see LeaseOptions */
  readonly leaseOptions?: Partial<LeaseOptions>;
  /** How many repositories are read or written at once. @default 4 */
  readonly concurrency?: number;
  /** The tree's folder as the command line names it, for the commands refusals suggest. @default "<dir>" */
  readonly dir?: string;
  /** Told of each step and of every change while waiting. @default - nothing */
  readonly onProgress?: (event: RolloutEvent) => void;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** How to wait. @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Something the rollout did or saw, for live progress. */
export interface RolloutEvent {
  /** When (RFC 3339). */
  readonly at: string;
  /** `waiting` (a read while a wave or the environment before soaks), or a step. */
  readonly kind: 'waiting' | 'passed' | 'failed' | 'moving' | 'moved' | 'already' | 'awaiting-approval' | 'rolling-back' | 'rolled-back';
  /** The stage: `production wave 1`, or the environment promoted from. */
  readonly stage: string;
  /** The wave, when the stage is one. @default - the stage is not a wave */
  readonly wave?: number;
  /** The counts read, on `waiting`, `passed` and `failed`. @default - none: a step */
  readonly verdict?: Omit<HealthVerdict, 'health'>;
  /** In a sentence. */
  readonly message: string;
}

/** One wave of a rollout, as the report gives it. */
export interface RolloutStageReport {
  /** The wave. @default - none: the environment's clusters have none, and the whole environment moves at once */
  readonly wave?: number;
  /** Its clusters, by name. */
  readonly clusters: readonly string[];
  /**
   * `moved`: this run moved its tags; `already`: they pointed at the revision when the run started (an earlier run
   * moved them); `not-moved`: the rollout stopped before it.
   */
  readonly promotion: 'moved' | 'already' | 'not-moved';
  /** Tags this run moved. */
  readonly tagsMoved: number;
  /** When this run moved them (RFC 3339). @default - this run moved none */
  readonly movedAt?: string;
  /** The last verdict on its health. @default - its health was never read */
  readonly verdict?: HealthVerdict['verdict'];
  /** When it passed (RFC 3339). @default - it did not pass in this run */
  readonly passedAt?: string;
  /** Whether this run rolled it back. */
  readonly rolledBack: boolean;
  /** Each cluster's state at the last read. @default - its health was never read */
  readonly health?: HealthVerdict['health'];
}

/** The settings a rollout ran with: the environment's, or those given instead. */
export interface RolloutRunSettings {
  /** How long a wave's clusters must report healthy before the next wave moves, in milliseconds. */
  readonly soakMs: number;
  /** How long a wave may take to report healthy after its tags moved, in milliseconds. */
  readonly progressDeadlineMs: number;
  /** How many of a wave's clusters may fail without failing the wave. */
  readonly maxFailures: number;
  /** The waves that need a person's approval. */
  readonly approval: readonly number[];
  /** The environment whose clusters gate the first wave. @default - none */
  readonly promotedFrom?: string;
}

/** What a rollout did, written as JSON by `flux-fleet rollout --report`. */
export interface RolloutReport {
  /** The environment rolled out. */
  readonly environment: string;
  /** The commit rolled out. */
  readonly revision: string;
  /**
   * `complete`: every wave (to `untilWave`) passed; `failed`: a wave failed or missed its deadline (or the
   * environment it is promoted from did); `awaiting-approval`: a wave needs a person's approval, the waves before
   * it passed.
   */
  readonly outcome: 'complete' | 'failed' | 'awaiting-approval';
  /** What happened, in a sentence. */
  readonly message: string;
  /** The settings the run used. */
  readonly settings: RolloutRunSettings;
  /** The environment's waves, in order. */
  readonly stages: readonly RolloutStageReport[];
  /** The wave awaiting approval, when `outcome` is `awaiting-approval`. @default - none awaits approval */
  readonly awaitingWave?: number;
  /** When the run started (RFC 3339). */
  readonly startedAt: string;
  /** When it finished (RFC 3339). */
  readonly finishedAt: string;
}

interface Stage {
  readonly wave?: number;
  readonly label: string;
  readonly clusters: readonly ReleaseCluster[];
  promotion: RolloutStageReport['promotion'];
  tagsMoved: number;
  movedAt?: string;
  verdict?: HealthVerdict;
  passedAt?: string;
  rolledBack: boolean;
}

/**
 * Rolls a revision out to an environment wave after wave, on the evidence its clusters report:
 *
 * 1. Refuses, moving nothing, when a cluster of the environment or of the one it is promoted from cannot be gated
 *    (no report, or a Flux that cannot report failures), then takes the environment's lease for the whole run
 *    (renewed while it waits; a second rollout or promotion of the environment meanwhile is refused, naming it).
 * 2. Waits for the environment it is promoted from to report healthy on the revision for the soak.
 * 3. For each wave, lowest first: stops, `awaiting-approval`, at a wave that needs a person's approval it was not
 *    given; else promotes it (see {@link promoteRelease}: every target verified first, the clusters before it read
 *    again just before the tags move), then waits for it to report healthy for the soak, within the progress
 *    deadline, with at most `maxFailures` failing clusters.
 * 4. On a failure (more failing clusters than tolerated, or the deadline passed) it stops, `failed`, and with
 *    `rollbackOnFailure` rolls back (see {@link rollbackRelease}) every wave on the revision, last first.
 *
 * A wave whose tags already point at the revision is not moved again, only waited for: run again after a stop, the
 * rollout resumes where it stopped. A report that is not healthy is never counted as healthy, and a report of an
 * older revision never counts.
 */
export async function rollOut(release: ReleaseManifest, revision: string, options: RolloutOptions): Promise<RolloutReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const startedAt = new Date(now()).toISOString();
  const commit = commitOf(revision);
  const env = releaseEnvironment(release, options.environment);
  const settings: ResolvedRolloutSettings = env.rollout ?? DEFAULT_ROLLOUT;
  const soakMs = options.soakMs ?? durationOf(settings.soak, `environment ${env.name}'s soak`);
  const progressDeadlineMs = options.progressDeadlineMs ?? durationOf(settings.progressDeadline, `environment ${env.name}'s progressDeadline`);
  const maxFailures = options.maxFailures ?? settings.maxFailures;
  const criteria = { soakMs, maxFailures };
  const approved = new Set(options.approvedWaves ?? []);

  const own = selectClusters(release, { environment: env.name });
  const stages = stagesOf(release, env.name);
  if (options.untilWave !== undefined && !stages.some((s) => s.wave === options.untilWave)) {
    throw new SelectionError(`environment ${env.name} has no wave ${options.untilWave}; its waves are ${stages.map((s) => s.wave ?? '(none)').join(', ')}`);
  }
  const upstream = gateClustersOf(release, env.name, stages[0].wave);
  refuseUngated([...upstream.clusters, ...own], `the rollout of ${env.name}`);

  const health = { ...options.health, now };
  const emit = (event: Omit<RolloutEvent, 'at'>) => options.onProgress?.({ at: new Date(now()).toISOString(), ...event });
  const lease = await acquireEnvironmentLease(options.destinations, release, env.name, {
    purpose: `roll out ${env.name} to ${revision}`,
    ...options.leaseOptions,
  });
  const ttl = options.leaseOptions?.ttlMs ?? 600_000;
  let renewedAt = now();
  const keepLease = async () => {
    if (now() - renewedAt >= ttl / 3) {
      await lease.renew();
      renewedAt = now();
    }
  };
  const pause = async (ms: number) => {
    // Sleep in steps a third of the lease's time, renewing it between them.
    for (let left = ms; left > 0;) {
      const step = Math.min(left, Math.max(1, Math.floor(ttl / 3)));
      await sleep(step);
      left -= step;
      await keepLease();
    }
  };

  /** Reads `group` until it passes, fails, or its deadline passes; the last verdict. */
  const waitFor = async (group: GateClusters, stage: Omit<RolloutEvent, 'at' | 'kind' | 'message'>): Promise<HealthVerdict> => {
    const deadline = now() + progressDeadlineMs;
    let shown = '';
    let shownAt = 0;
    for (;;) {
      await keepLease();
      const verdict = judgeHealth(await healthOf(group.clusters, commit, health), criteria, now());
      const { health: _health, ...counts } = verdict;
      if (verdict.verdict !== 'waiting') {
        emit({ ...stage, kind: verdict.verdict, verdict: counts, message: `${group.label} ${verdict.verdict === 'passed' ? 'passed' : 'failed'}: ${verdict.summary}` });
        return verdict;
      }
      if (now() >= deadline) {
        const failed: HealthVerdict = { ...verdict, verdict: 'failed', summary: `the progress deadline (${Math.round(progressDeadlineMs / 1000)} s) passed: ${verdict.summary}` };
        emit({ ...stage, kind: 'failed', verdict: { ...counts, verdict: 'failed', summary: failed.summary }, message: `${group.label} failed: ${failed.summary}` });
        return failed;
      }
      const line = `${verdict.healthy}/${verdict.soaking}/${verdict.failing}/${verdict.waiting}`;
      if (line !== shown || now() - shownAt >= 60_000) {
        emit({ ...stage, kind: 'waiting', verdict: counts, message: `${group.label}: ${verdict.summary}` });
        shown = line;
        shownAt = now();
      }
      const untilSoaked = verdict.soakedAt !== undefined ? Date.parse(verdict.soakedAt) - now() : Infinity;
      const poll = options.pollIntervalMs ?? 30_000;
      await pause(Math.max(1, Math.min(poll, untilSoaked, deadline - now())));
    }
  };

  let outcome: RolloutReport['outcome'] = 'complete';
  let message = '';
  let awaitingWave: number | undefined;
  try {
    const onRevision = await Promise.all(stages.map(async (s) => (await countAt(s, revision, options)) === s.clusters.length));
    stages.forEach((s, i) => {
      if (onRevision[i]) s.promotion = 'already';
    });
    let failedAt: Stage | undefined;
    let failure = '';
    if (upstream.clusters.length > 0 && stages[0].promotion === 'not-moved') {
      const verdict = await waitFor(upstream, { stage: upstream.label });
      if (verdict.verdict === 'failed') {
        failure = `${upstream.label} did not pass on ${commit}: ${verdict.summary}`;
      }
    }
    for (let i = 0; i < stages.length && !failure; i++) {
      const stage = stages[i];
      const at = { stage: stage.label, ...(stage.wave !== undefined ? { wave: stage.wave } : {}) };
      if (options.untilWave !== undefined && stage.wave !== undefined && stage.wave > options.untilWave) break;
      if (stage.promotion === 'not-moved') {
        if (stage.wave !== undefined && settings.approval.includes(stage.wave) && !approved.has(stage.wave)) {
          outcome = 'awaiting-approval';
          awaitingWave = stage.wave;
          message = `${stage.label} waits for a person's approval: the waves before it passed; run again with --approve-wave ${stage.wave} once approved`;
          emit({ ...at, kind: 'awaiting-approval', message });
          break;
        }
        const gate = i === 0 ? upstream : { label: stages.slice(0, i).map((s) => s.label).join(', '), clusters: stages.slice(0, i).flatMap((s) => s.clusters) };
        emit({ ...at, kind: 'moving', message: `promoting ${stage.label} to ${revision}` });
        try {
          const result = await promoteRelease(release, revision, {
            destinations: options.destinations,
            environment: env.name,
            ...(stage.wave !== undefined ? { wave: stage.wave } : {}),
            material: options.material,
            lease,
            concurrency: options.concurrency,
            dir: options.dir,
            gate: healthGate(gate, commit, { ...criteria, health }),
          });
          stage.promotion = 'moved';
          stage.tagsMoved = result.moving;
          stage.movedAt = new Date(now()).toISOString();
          emit({ ...at, kind: 'moved', message: `${stage.label}: ${result.moving} tag${result.moving === 1 ? '' : 's'} moved to ${revision}` });
        } catch (e) {
          if (!FluxFleetError.isFluxFleetError(e)) throw e;
          failedAt = stage;
          failure = `the promotion of ${stage.label} stopped: ${e.message}`;
          if (e instanceof HealthGateError) stage.verdict = e.verdict;
          break;
        }
      } else {
        emit({ ...at, kind: 'already', message: `${stage.label} already points at ${revision}` });
      }
      const verdict = await waitFor({ label: stage.label, clusters: stage.clusters }, at);
      stage.verdict = verdict;
      if (verdict.verdict === 'failed') {
        failedAt = stage;
        failure = `${stage.label} did not pass on ${commit}: ${verdict.summary}`;
        break;
      }
      stage.passedAt = new Date(now()).toISOString();
    }
    if (failure) {
      outcome = 'failed';
      message = failure;
      if (options.rollbackOnFailure) message += await rollBack(release, stages, revision, options, lease, emit);
      else if (failedAt && stages.some((s) => s.promotion !== 'not-moved')) message += `; the waves on ${revision} stay there (roll them back with flux-fleet promote ${options.dir ?? '<dir>'} --registry --environment ${env.name} --wave <n> --rollback, or run with --rollback-on-failure)`;
    } else if (outcome === 'complete') {
      const last = options.untilWave !== undefined ? `to wave ${options.untilWave}` : 'every wave';
      message = `${env.name} rolled out to ${revision}: ${last} passed, healthy for ${Math.round(soakMs / 1000)} s`;
    }
  } finally {
    await lease.release();
  }
  return {
    environment: env.name,
    revision: commit,
    outcome,
    message,
    settings: {
      soakMs, progressDeadlineMs, maxFailures, approval: settings.approval, ...(settings.promotedFrom ? { promotedFrom: settings.promotedFrom } : {}),
    },
    stages: stages.map((s): RolloutStageReport => ({
      ...(s.wave !== undefined ? { wave: s.wave } : {}),
      clusters: s.clusters.map((c) => c.name),
      promotion: s.promotion,
      tagsMoved: s.tagsMoved,
      ...(s.movedAt ? { movedAt: s.movedAt } : {}),
      ...(s.verdict ? { verdict: s.verdict.verdict, health: s.verdict.health } : {}),
      ...(s.passedAt ? { passedAt: s.passedAt } : {}),
      rolledBack: s.rolledBack,
    })),
    ...(awaitingWave !== undefined ? { awaitingWave } : {}),
    startedAt,
    finishedAt: new Date(now()).toISOString(),
  };
}

/** The waves of an environment in order; one stage for the whole environment when its clusters have no wave. */
function stagesOf(release: ReleaseManifest, environment: string): Stage[] {
  const clusters = waveClusters(release, { environment });
  const make = (wave: number | undefined, list: readonly ReleaseCluster[]): Stage => ({
    ...(wave !== undefined ? { wave } : {}),
    label: wave !== undefined ? `${environment} wave ${wave}` : environment,
    clusters: list,
    promotion: 'not-moved',
    tagsMoved: 0,
    rolledBack: false,
  });
  if (clusters.some((c) => c.wave === undefined)) return [make(undefined, clusters)];
  const waves = [...new Set(clusters.map((c) => c.wave!))].sort((a, b) => a - b);
  return waves.map((w) => make(w, clusters.filter((c) => c.wave === w)));
}

/** How many clusters of a stage follow a tag that points at their candidate of the revision. */
async function countAt(stage: Stage, revision: string, options: RolloutOptions): Promise<number> {
  const candidate = candidateTag(revision);
  let count = 0;
  await runBounded(stage.clusters.length, options.concurrency ?? 4, async (i) => {
    const c = stage.clusters[i];
    const store = options.destinations.store(c.url);
    const [target, current] = await Promise.all([store.fetchManifest(candidate), store.fetchManifest(c.tag!)]);
    if (target !== undefined && current?.digest === target.digest) count++;
  });
  return count;
}

/**
 * Rolls back, last first, every wave whose tags all point at the revision; a wave only partly on it (a promotion
 * stopped part-way) is named and left. What it did, for the report's message.
 */
async function rollBack(
  release: ReleaseManifest, stages: Stage[], revision: string, options: RolloutOptions, lease: EnvironmentLease,
  emit: (event: Omit<RolloutEvent, 'at'>) => void,
): Promise<string> {
  const done: string[] = [];
  const partly: string[] = [];
  for (const stage of [...stages].reverse()) {
    const at = await countAt(stage, revision, options);
    if (at === 0) continue;
    if (at < stage.clusters.length) {
      partly.push(stage.label);
      continue;
    }
    const where = { stage: stage.label, ...(stage.wave !== undefined ? { wave: stage.wave } : {}) };
    emit({ ...where, kind: 'rolling-back', message: `rolling back ${stage.label}` });
    await rollbackRelease(release, {
      destinations: options.destinations,
      environment: stage.clusters[0].environment,
      ...(stage.wave !== undefined ? { wave: stage.wave } : {}),
      material: options.material,
      lease,
      concurrency: options.concurrency,
      dir: options.dir,
    });
    stage.rolledBack = true;
    done.push(stage.label);
    emit({ ...where, kind: 'rolled-back', message: `${stage.label} rolled back to what it followed before` });
  }
  const parts: string[] = [];
  if (done.length > 0) parts.push(`rolled back ${done.join(', ')}`);
  if (partly.length > 0) parts.push(`${partly.join(', ')} only partly on ${revision}, not rolled back: promote it again to finish, then roll it back`);
  return parts.length > 0 ? `; ${parts.join('; ')}` : '; nothing was on the revision to roll back';
}
