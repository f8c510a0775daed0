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
 * Reads the Flux minor of each cluster from its FluxInstance's `spec.distribution.version` (`2.10.x` asks for 2.10),
 * or, on a cluster bootstrapped with plain Flux, from the ref of the `flux-manifests` OCIRepository in `flux-system`
 * that applies Flux's release manifests (tag `v2.10.1`, or semver `2.10.x`). A cluster with neither (a hand-written
 * tree) is checked against Flux 2.9.
 */
export function clusterFluxMinors(objects: readonly TreeObject[]): ClusterFluxMinors {
  const byCluster = new Map<string, FluxMinor>();
  const problems: Array<{ object: TreeObject; message: string }> = [];
  const ask = (o: TreeObject, field: string, version: unknown) => {
    if (typeof version !== 'string' || o.cluster === undefined) return;
    const minor = knownFluxMinorOf(version);
    if (minor) byCluster.set(o.cluster, minor);
    else problems.push({ object: o, message: fluxVersionProblem(field, version)! });
  };
  for (const o of objects) {
    if (o.kind === 'FluxInstance' && o.group === 'fluxcd.controlplane.io') {
      const spec = o.raw.spec as { distribution?: { version?: unknown } } | undefined;
      ask(o, 'spec.distribution.version', spec?.distribution?.version);
    } else if (o.kind === 'OCIRepository' && o.group === 'source.toolkit.fluxcd.io' && o.name === 'flux-manifests' && o.namespace === 'flux-system') {
      const ref = (o.raw.spec as { ref?: { tag?: unknown; semver?: unknown } } | undefined)?.ref;
      if (typeof ref?.semver === 'string') ask(o, 'spec.ref.semver', ref.semver);
      else if (typeof ref?.tag === 'string' && /^v?\d+\.\d+\.\d+/.test(ref.tag)) ask(o, 'spec.ref.tag', ref.tag);
    }
  }
  return { byCluster, problems };
}
