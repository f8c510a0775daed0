import type { ClusterInfo, FleetVariables, VariablesOf } from './cluster.js';
import { isSemverRange, q } from '../flux/core/rules.js';
import type { OciRepositoryRef } from '../flux/source/oci-repository.js';

/**
 * A component setting that is the same on every cluster, or a function computing it from each cluster (as `values`
 * is), e.g. `interval: (cluster) => (cluster.production ? '30m' : '5m')`. What the function returns is checked like
 * a literal, and a bad value is reported with the names of the clusters it was computed for.
 */
export type PerCluster<T, V extends VariablesOf<V> = FleetVariables> = T | ((cluster: ClusterInfo<V>) => T);

/** Which revision of an artifact to pull: exactly one of a tag, a semver range over its tags, or a digest. */
export interface ArtifactRef {
  /** A tag, e.g. `1.4.2` (an exact version) or `main` (a floating tag). @default - no tag: a semver range or a digest */
  readonly tag?: string;
  /** A semver range over the repository's tags (Masterminds syntax), e.g. `1.x`; the highest match is pulled. @default - no range: a tag or a digest */
  readonly semver?: string;
  /** A manifest digest, `sha256:<64 hex digits>`: exactly one revision, forever. @default - no digest: a tag or a semver range */
  readonly digest?: string;
}

const EXACT_VERSION = /^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Resolves a per-cluster value for one cluster. */
export function resolvePerCluster<T>(value: PerCluster<T, any>, cluster: ClusterInfo<any>): T {
  return typeof value === 'function' ? (value as (c: ClusterInfo<any>) => T)(cluster) : value;
}

/**
 * The OCIRepository `ref` of a chart version: a digest (`sha256:...`), an exact version as a tag (`6.7.0`), or a
 * semver range (`6.x`).
 */
export function chartVersionRef(version: string): OciRepositoryRef {
  if (DIGEST.test(version)) return { digest: version };
  return EXACT_VERSION.test(version) ? { tag: version } : { semver: version };
}

/** Problems with a chart version, as messages naming the value and the fix. */
export function chartVersionProblems(version: unknown): string[] {
  if (typeof version !== 'string' || (!DIGEST.test(version) && !isSemverRange(version))) {
    return [`chart version ${q(version)} is not a version, semver range or digest; use e.g. "6.7.0", "6.x" or "sha256:<64 hex digits>"`];
  }
  return [];
}

/** Problems with an artifact ref, as messages naming the value and the fix. */
export function artifactRefProblems(ref: ArtifactRef | undefined): string[] {
  const set = ref === undefined || ref === null || typeof ref !== 'object' ? [] : (['tag', 'semver', 'digest'] as const).filter((k) => ref[k] !== undefined);
  if (set.length !== 1) {
    return [`ref ${q(ref)} must set exactly one of tag, semver or digest; e.g. { digest: "sha256:..." } or { tag: "1.4.2" }`];
  }
  const key = set[0];
  const value = ref![key]!;
  if (key === 'digest' && !DIGEST.test(value)) return [`ref.digest ${q(value)} is not a digest; use "sha256:" followed by 64 lowercase hex digits`];
  if (key === 'tag' && !OCI_TAG.test(value)) return [`ref.tag ${q(value)} is not an OCI tag; use letters, digits, '_', '.' and '-', e.g. "1.4.2"`];
  if (key === 'semver' && !isSemverRange(value)) return [`ref.semver ${q(value)} is not a semver range; use e.g. "1.x" or ">=1.2.0 <2.0.0"`];
  return [];
}

/** The OCIRepository `ref` of an artifact ref: the one field set. */
export function artifactRefOf(ref: ArtifactRef): OciRepositoryRef {
  if (ref.digest !== undefined) return { digest: ref.digest };
  if (ref.semver !== undefined) return { semver: ref.semver };
  return { tag: ref.tag };
}

/**
 * Why a ref floats (what it pulls can change without a change to the fleet program), or undefined when it is pinned:
 * a digest, or a tag that is an exact version.
 */
export function floatingReason(ref: OciRepositoryRef): string | undefined {
  if (ref.digest !== undefined) return undefined;
  if (ref.semver !== undefined) return `the semver range ${q(ref.semver)}`;
  if (ref.tag !== undefined && EXACT_VERSION.test(ref.tag)) return undefined;
  return `the floating tag ${q(ref.tag ?? 'latest')}`;
}
