import { ERROR_CODES, FluxFleetError } from './errors.js';
/**
 * Semver ranges as Flux's controllers evaluate them (the Masterminds constraint syntax): `6.x`, `>=1.2.0 <2.0.0`,
 * `~1.2`, `^1.2`, `1.2 - 1.4`, alternatives with `||`. A pre-release version matches only a range that names a
 * pre-release itself, e.g. `>=1.0.0-0`.
 */

/** A parsed version. */
export interface SemVer {
  /** The major version: `2` of `2.9.4`. */
  readonly major: number;
  /** The minor version: `9` of `2.9.4`; 0 when the text has none. */
  readonly minor: number;
  /** The patch version: `4` of `2.9.4`; 0 when the text has none. */
  readonly patch: number;
  /** Pre-release identifiers; empty for a release. */
  readonly prerelease: readonly string[];
}

const VERSION = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const STRICT = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parses a tag as a version (`1.2.3`, `v1.2.3-rc.1`); undefined when it is not one. */
export function parseVersion(tag: string): SemVer | undefined {
  const m = VERSION.exec(tag);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), prerelease: m[4] ? m[4].split('.') : [] };
}

/** Compares two versions by semver precedence. */
export function compareVersions(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Bound = { readonly version: SemVer; readonly inclusive: boolean };
interface Comparator {
  readonly lower?: Bound;
  readonly upper?: Bound;
  readonly not?: SemVer;
}
interface Alternative {
  readonly comparators: readonly Comparator[];
  /** Whether a pre-release version may match (a comparator names one). */
  readonly prerelease: boolean;
}

/** A semver range that cannot be parsed; the message quotes it and gives examples. */
export class SemverRangeError extends FluxFleetError {
  public constructor(range: string) {
    super(ERROR_CODES.semver, `semver range ${JSON.stringify(range)} cannot be parsed; use e.g. "6.x", ">=1.2.0 <2.0.0", "^1.4" or "~1.4.2" (add "-0" to match pre-releases)`);
  }
}

/** A parsed semver range. */
export class SemverRange {
  /** Parses a range; throws {@link SemverRangeError} when it is not one. */
  public static parse(range: string): SemverRange {
    const alternatives = range.split('||').map((text) => parseAlternative(text.trim(), range));
    return new SemverRange(range, alternatives);
  }

  private constructor(public readonly text: string, private readonly alternatives: readonly Alternative[]) {}

  /** Whether a version is in the range. */
  public matches(version: SemVer): boolean {
    return this.alternatives.some((alt) => (version.prerelease.length === 0 || alt.prerelease)
      && alt.comparators.every((c) => within(version, c)));
  }

  /** The highest of the tags that are versions in the range (`1.2.3`, `v1.2.3`); undefined when none is. */
  public highest(tags: readonly string[]): string | undefined {
    let best: { tag: string; version: SemVer } | undefined;
    for (const tag of tags) {
      if (!STRICT.test(tag) && !VERSION.test(tag)) continue;
      const version = parseVersion(tag);
      if (!version || !this.matches(version)) continue;
      if (!best || compareVersions(version, best.version) > 0) best = { tag, version };
    }
    return best?.tag;
  }
}

function within(v: SemVer, c: Comparator): boolean {
  if (c.not && compareVersions(v, c.not) === 0) return false;
  if (c.lower) {
    const d = compareVersions(v, c.lower.version);
    if (d < 0 || (d === 0 && !c.lower.inclusive)) return false;
  }
  if (c.upper) {
    const d = compareVersions(v, c.upper.version);
    if (d > 0 || (d === 0 && !c.upper.inclusive)) return false;
  }
  return true;
}

interface Partial {
  readonly major?: number;
  readonly minor?: number;
  readonly patch?: number;
  readonly prerelease: readonly string[];
}

const PARTIAL = /^v?(0|[1-9]\d*|[xX*])(?:\.(0|[1-9]\d*|[xX*]))?(?:\.(0|[1-9]\d*|[xX*]))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parsePartial(text: string, range: string): Partial {
  const m = PARTIAL.exec(text);
  if (!m) throw new SemverRangeError(range);
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  const major = num(m[1]);
  const minor = major === undefined ? undefined : num(m[2]);
  const patch = minor === undefined ? undefined : num(m[3]);
  return { major, minor, patch, prerelease: m[4] ? m[4].split('.') : [] };
}

const v = (major: number, minor: number, patch: number, prerelease: readonly string[] = []): SemVer => ({ major, minor, patch, prerelease });
/** The lowest version above every pre-release of `x.y.z`: `x.y.z-0`. */
const floor = (major: number, minor: number, patch: number): SemVer => v(major, minor, patch, ['0']);

function parseAlternative(text: string, range: string): Alternative {
  if (text === '') throw new SemverRangeError(range);
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
  if (hyphen) {
    const lo = parsePartial(hyphen[1], range);
    const hi = parsePartial(hyphen[2], range);
    return {
      comparators: [{ ...lowerOf(lo, true), ...upperOf(hi, true) }],
      prerelease: lo.prerelease.length > 0 || hi.prerelease.length > 0,
    };
  }
  const parts = text.replace(/(!=|>=|=>|<=|=<|~>|>|<|=|~|\^)\s+/g, '$1').split(/[\s,]+/).filter((p) => p !== '');
  const comparators: Comparator[] = [];
  let prerelease = false;
  for (const part of parts) {
    const m = /^(!=|>=|=>|<=|=<|~>|>|<|=|~|\^)?(.*)$/.exec(part)!;
    const op = m[1] ?? '';
    const p = parsePartial(m[2], range);
    if (p.prerelease.length > 0) prerelease = true;
    comparators.push(comparatorOf(op, p));
  }
  return { comparators, prerelease };
}

function lowerOf(p: Partial, inclusive: boolean): { lower?: Bound } {
  if (p.major === undefined) return {};
  return { lower: { version: v(p.major, p.minor ?? 0, p.patch ?? 0, p.prerelease), inclusive } };
}

/** The upper bound of `<= p` (inclusive) where a partial version covers everything it leaves open. */
function upperOf(p: Partial, inclusive: boolean): { upper?: Bound } {
  if (p.major === undefined) return {};
  if (p.minor === undefined) return { upper: { version: floor(p.major + 1, 0, 0), inclusive: false } };
  if (p.patch === undefined) return { upper: { version: floor(p.major, p.minor + 1, 0), inclusive: false } };
  return { upper: { version: v(p.major, p.minor, p.patch, p.prerelease), inclusive } };
}

function comparatorOf(op: string, p: Partial): Comparator {
  const { major, minor, patch } = p;
  if (major === undefined) return {};
  const exact = v(major, minor ?? 0, patch ?? 0, p.prerelease);
  switch (op) {
    case '':
    case '=':
      return patch === undefined
        ? { ...lowerOf(p, true), ...upperOf(p, true) }
        : { lower: { version: exact, inclusive: true }, upper: { version: exact, inclusive: true } };
    case '!=':
      return patch === undefined ? {} : { not: exact };
    case '>':
      if (minor === undefined) return { lower: { version: floor(major + 1, 0, 0), inclusive: true } };
      if (patch === undefined) return { lower: { version: floor(major, minor + 1, 0), inclusive: true } };
      return { lower: { version: exact, inclusive: false } };
    case '>=':
    case '=>':
      return { lower: { version: p.prerelease.length > 0 ? exact : floor(major, minor ?? 0, patch ?? 0), inclusive: true } };
    case '<':
      return { upper: { version: p.prerelease.length > 0 ? exact : floor(major, minor ?? 0, patch ?? 0), inclusive: false } };
    case '<=':
    case '=<':
      return upperOf(p, true);
    case '~':
    case '~>':
      return {
        lower: { version: exact, inclusive: true },
        upper: { version: minor === undefined ? floor(major + 1, 0, 0) : floor(major, minor + 1, 0), inclusive: false },
      };
    case '^': {
      let upper: SemVer;
      if (major > 0 || minor === undefined) upper = floor(major + 1, 0, 0);
      else if (minor > 0 || patch === undefined) upper = floor(0, minor + 1, 0);
      else upper = floor(0, 0, patch + 1);
      return { lower: { version: exact, inclusive: true }, upper: { version: upper, inclusive: false } };
    }
    default:
      return {};
  }
}
