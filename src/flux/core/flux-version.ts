import { API_VERSION } from './api.js';
import { SemverRange, SemverRangeError } from './semver.js';

/**
 * A Flux minor release flux-fleet knows: which API versions it serves, and what installs it. Flux 2.7 and 2.8 serve
 * every kind at the version 2.9 serves it (all GA but Alert and Provider, `v1beta3`); 2.7 reads only cosign v2 `.sig`
 * signatures, 2.8 and newer read Sigstore bundles.
 */
export type FluxMinor = '2.7' | '2.8' | '2.9' | '2.10';

/** Every Flux minor flux-fleet knows, oldest first. */
export const FLUX_MINORS: readonly FluxMinor[] = ['2.7', '2.8', '2.9', '2.10'];

/** The Flux minor of a cluster that declares none. */
export const DEFAULT_FLUX_MINOR: FluxMinor = '2.9';

/**
 * The notification API version of `Provider` and `Alert` in each minor: Flux v2.10 serves them as `v1` (GA, the same
 * fields as `v1beta3`); Flux v2.9 serves `v1beta3` only. Every other kind is served at the same version by both.
 */
const NOTIFICATION_API_VERSION: Readonly<Record<FluxMinor, string>> = {
  '2.7': API_VERSION.notification,
  '2.8': API_VERSION.notification,
  '2.9': API_VERSION.notification,
  '2.10': 'notification.toolkit.fluxcd.io/v1',
};

/**
 * The minor of a Flux version as a fleet, cluster or FluxInstance writes it: an exact release (`2.10.1`, `v2.9.4`),
 * a range kept up with (`2.10.x`, `2.10.*`, `~2.10.0`), or the minor itself (`2.10`). Undefined when it names no
 * single minor (`2.x`, `>=2.9.0`).
 */
export function fluxMinorOf(version: string): string | undefined {
  const m = /^\s*[v~^=]?\s*(\d+)\.(\d+)(?:[.-][0-9xX*].*)?\s*$/.exec(version);
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

/** Whether flux-fleet knows the minor `minor`. */
export function isKnownFluxMinor(minor: string | undefined): minor is FluxMinor {
  return FLUX_MINORS.includes(minor as FluxMinor);
}

/**
 * The Flux minor a version asks for, when flux-fleet knows it; else undefined (see {@link fluxVersionProblem}).
 */
export function knownFluxMinorOf(version: string): FluxMinor | undefined {
  const minor = fluxMinorOf(version);
  return isKnownFluxMinor(minor) ? minor : undefined;
}

/**
 * What is wrong with a Flux version setting, or undefined when it names a minor flux-fleet knows.
 *
 * @param field how the setting is named in the message, e.g. `flux.version`
 */
export function fluxVersionProblem(field: string, version: string): string | undefined {
  const minor = fluxMinorOf(version);
  if (isKnownFluxMinor(minor)) return undefined;
  const quoted = FLUX_MINORS.map((m) => `"${m}.x"`);
  const known = `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  if (minor === undefined) {
    return `${field} "${version}" names no single Flux minor, so the API versions to emit are unknown; use e.g. ${known}`;
  }
  return `${field} "${version}" asks for Flux ${minor}, which flux-fleet does not know; use ${known}`;
}

/** The API version Flux `minor` serves for `Provider` and `Alert`. */
export function notificationApiVersion(minor: FluxMinor): string {
  return NOTIFICATION_API_VERSION[minor];
}

/**
 * The Flux minors flux-fleet knows that a version setting admits, oldest first, read as the Flux Operator reads
 * `spec.distribution.version`: any semver constraint (Masterminds syntax): an exact release (`2.9.4`, `v2.9.4`), a
 * minor kept up with (`2.9.x`, `~2.9.0`, `2.9`), a wider range (`2.x`, `*`, `>=2.8.0 <2.10.0`, `^2.8`), alternatives
 * (`2.9.x || 2.10.x`). The operator installs the highest release of the range that its own release embeds, so a range
 * over several minors may run any of them as the operator is upgraded. Undefined when the setting is not a constraint.
 */
export function admittedFluxMinors(version: string): FluxMinor[] | undefined {
  let range: SemverRange;
  try {
    range = SemverRange.parse(version.trim());
  } catch (e) {
    if (e instanceof SemverRangeError) return undefined;
    throw e;
  }
  return FLUX_MINORS.filter((minor) => {
    const [major, minorNumber] = minor.split('.').map(Number);
    // Releases of the minor: a constraint admits the minor when it admits one of its patch releases.
    for (let patch = 0; patch < 100; patch++) {
      if (range.matches({ major, minor: minorNumber, patch, prerelease: [] })) return true;
    }
    return false;
  });
}

/**
 * What is wrong with a Flux version as the Flux Operator (or a plain Flux bootstrap's release source) reads it, or
 * undefined when it admits at least one minor flux-fleet knows, whose schemas a tree can then be checked against.
 *
 * @param field how the setting is named in the message, e.g. `spec.distribution.version`
 */
export function fluxVersionRangeProblem(field: string, version: string): string | undefined {
  const admitted = admittedFluxMinors(version);
  if (admitted === undefined) {
    return `${field} "${version}" is not a version or semver range; use an exact release ("2.9.4"), a minor ("2.9.x") or a range ("2.x", ">=2.8.0 <2.10.0")`;
  }
  if (admitted.length > 0) return undefined;
  const minor = fluxMinorOf(version);
  const known = `${FLUX_MINORS[0]} to ${FLUX_MINORS[FLUX_MINORS.length - 1]}`;
  return minor !== undefined
    ? `${field} "${version}" asks for Flux ${minor}, which flux-fleet does not know (it knows ${known}), so its schemas cannot be checked; use a minor from ${known}`
    : `${field} "${version}" admits no Flux minor flux-fleet knows (${known}), so its schemas cannot be checked; use e.g. "2.x" or "2.9.x"`;
}
