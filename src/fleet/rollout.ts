import type { Environment } from './environment.js';
import type { HealthReport } from './health-report.js';
import { renderDuration, type FluxDuration } from '../flux/core/duration.js';
import { Checks, q } from '../flux/core/rules.js';

/**
 * How the waves of an environment roll out on evidence: where its clusters report, how long a wave must stay healthy
 * before the next one moves, how long it may take to get there, how many failing clusters are tolerated, and which
 * waves wait for a person. Declared on the fleet (for every environment) and on an environment (which wins, setting
 * by setting).
 */
export interface RolloutSettings {
  /**
   * Where each cluster reports whether it runs a revision and is healthy on it, e.g.
   * `HealthReport.githubCommitStatus({ repository: 'acme/fleet', tokenSecret: 'flux-fleet-status' })`.
   * @default - no report: the clusters cannot be gated on their health
   */
  readonly report?: HealthReport;
  /** How long every cluster of a wave must have reported healthy before the next wave moves. @default 10m */
  readonly soak?: FluxDuration;
  /** How long a wave may take, from its promotion, to report healthy everywhere before the rollout stops. @default 30m */
  readonly progressDeadline?: FluxDuration;
  /** How many clusters of a wave may report failing before the rollout stops. @default 0 */
  readonly maxFailures?: number;
  /** The waves that wait for a person's approval before they move, e.g. `[1]`. @default - none */
  readonly approval?: number[];
  /**
   * The environment a release reaches before this one: its clusters must report healthy on a revision (for this
   * environment's soak) before this environment's first wave moves to it, e.g. staging for production. Only on an
   * environment's own settings (on the fleet's, it would name each environment itself).
   * @default - the environment added just before this one (the promotion order fleet.html shows); none for the first
   */
  readonly promotedFrom?: Environment<any>;
}

/** The rollout settings of an environment, every default applied, as `release.json` records them. */
export interface ResolvedRolloutSettings {
  /** Soak, as a Go duration, e.g. `10m`. */
  readonly soak: string;
  /** Progress deadline, as a Go duration, e.g. `30m`. */
  readonly progressDeadline: string;
  /** Failing clusters tolerated per wave. */
  readonly maxFailures: number;
  /** The waves that need a person's approval, sorted. */
  readonly approval: number[];
  /**
   * The environment whose clusters must report healthy on a revision before this one's first wave moves to it.
   * @default - none: the first wave is gated on nothing before it
   */
  readonly promotedFrom?: string;
}

/** The defaults of {@link RolloutSettings}. */
export const DEFAULT_ROLLOUT: ResolvedRolloutSettings = { soak: '10m', progressDeadline: '30m', maxFailures: 0, approval: [] };

/**
 * What is wrong with resolved settings as a whole: a progress deadline no longer than the soak leaves no wave time
 * to pass.
 */
export function checkResolvedRollout(label: string, r: ResolvedRolloutSettings): string[] {
  const soak = durationMs(r.soak);
  const deadline = durationMs(r.progressDeadline);
  if (soak === undefined || deadline === undefined || deadline > soak) return [];
  return [`${label} progressDeadline ${q(r.progressDeadline)} is not longer than soak ${q(r.soak)}, so no wave could pass; make the deadline longer than the soak`];
}

/**
 * The environment's settings over the fleet's, setting by setting, with the defaults for what neither sets;
 * `previous` is the environment added before it, which it is promoted from unless it says otherwise.
 */
export function resolveRollout(
  fleet: RolloutSettings | undefined,
  env: RolloutSettings | undefined,
  previous?: string,
): ResolvedRolloutSettings & { readonly report?: HealthReport } {
  const pick = <K extends keyof RolloutSettings>(key: K): RolloutSettings[K] => env?.[key] ?? fleet?.[key];
  const soak = pick('soak');
  const deadline = pick('progressDeadline');
  const report = pick('report');
  return {
    soak: soak !== undefined ? renderDuration(soak) : DEFAULT_ROLLOUT.soak,
    progressDeadline: deadline !== undefined ? renderDuration(deadline) : DEFAULT_ROLLOUT.progressDeadline,
    maxFailures: pick('maxFailures') ?? DEFAULT_ROLLOUT.maxFailures,
    approval: [...new Set(pick('approval') ?? [])].sort((a, b) => a - b),
    ...(env?.promotedFrom ? { promotedFrom: env.promotedFrom.name } : previous !== undefined ? { promotedFrom: previous } : {}),
    ...(report ? { report } : {}),
  };
}

/**
 * Checks rollout settings; `waves` are the waves of the environment's clusters, which `approval` must name (undefined
 * for the fleet's own settings, checked per environment).
 */
export function checkRollout(label: string, settings: RolloutSettings | undefined, waves?: readonly number[]): string[] {
  if (!settings) return [];
  const c = new Checks();
  c.duration(`${label} soak`, settings.soak);
  c.duration(`${label} progressDeadline`, settings.progressDeadline);
  const max = settings.maxFailures;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) {
    c.add(`${label} maxFailures ${q(max)} is not a count; use a whole number of at least 0`);
  }
  for (const wave of settings.approval ?? []) {
    if (!Number.isInteger(wave) || wave < 1 || wave > 999) {
      c.add(`${label} approval wave ${q(wave)} is not a wave number; use whole numbers from 1 to 999`);
    } else if (waves !== undefined && !waves.includes(wave)) {
      c.add(`${label} approval names wave ${wave}, but the environment's clusters are in ${waves.length > 0 ? `wave${waves.length > 1 ? 's' : ''} ${waves.join(', ')}` : 'no wave'}; name one of those, or give a cluster that wave`);
    }
  }
  for (const message of settings.report?.validate() ?? []) c.add(`${label} report: ${message}`);
  return c.errors;
}

/** Milliseconds of a Go duration, or undefined when it is not one. */
export function durationMs(value: string): number | undefined {
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(value)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of value.matchAll(re)) total += Number(m[1]) * unit[m[2]];
  return total;
}
