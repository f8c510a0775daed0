import { API_VERSION } from './api.js';

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
