import type { TreeObject } from './tree.js';
import { FluxMinor, fluxVersionProblem, knownFluxMinorOf } from '../../flux/core/flux-version.js';

/** The Flux minor each cluster of a tree runs, as its FluxInstance asks for it, and what is wrong with those asks. */
export interface ClusterFluxMinors {
  /** The minor of each cluster whose FluxInstance names one flux-fleet knows. */
  readonly byCluster: ReadonlyMap<string, FluxMinor>;
  /** FluxInstances whose `spec.distribution.version` names no minor flux-fleet knows. */
  readonly problems: ReadonlyArray<{ readonly object: TreeObject; readonly message: string }>;
}

/**
 * Reads the Flux minor of each cluster from its FluxInstance's `spec.distribution.version` (`2.10.x` asks for 2.10).
 * A cluster without a FluxInstance (plain bootstrap, or a hand-written tree) is checked against Flux 2.9.
 */
export function clusterFluxMinors(objects: readonly TreeObject[]): ClusterFluxMinors {
  const byCluster = new Map<string, FluxMinor>();
  const problems: Array<{ object: TreeObject; message: string }> = [];
  for (const o of objects) {
    if (o.cluster === undefined || o.kind !== 'FluxInstance' || o.group !== 'fluxcd.controlplane.io') continue;
    const spec = o.raw.spec as { distribution?: { version?: unknown } } | undefined;
    const version = spec?.distribution?.version;
    if (typeof version !== 'string') continue;
    const minor = knownFluxMinorOf(version);
    if (minor) byCluster.set(o.cluster, minor);
    else problems.push({ object: o, message: fluxVersionProblem('spec.distribution.version', version)! });
  }
  return { byCluster, problems };
}
