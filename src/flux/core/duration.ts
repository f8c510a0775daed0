import { Duration } from 'cdk8s';

/**
 * A duration as Flux reads it: a cdk8s `Duration` (`Duration.minutes(5)`), rendered in Go's duration
 * format (`5m`), or a string already in that format (`"1m30s"`), which synth checks.
 */
export type FluxDuration = Duration | string;

const UNITS: ReadonlyArray<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]];

/** Renders a duration in Go's format, the largest units first: `1h30m`, `45s`, `1s500ms`. */
export function renderDuration(value: FluxDuration): string {
  if (typeof value === 'string') return value;
  let rest = Math.round(value.toMilliseconds({ integral: false }));
  if (rest <= 0) return '0s';
  let out = '';
  for (const [unit, ms] of UNITS) {
    const n = Math.floor(rest / ms);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * ms;
    }
  }
  return out;
}

/** Renders an optional duration. */
export function renderOptionalDuration(value: FluxDuration | undefined): string | undefined {
  return value === undefined ? undefined : renderDuration(value);
}
