import type { TreeObject } from './tree.js';
import { admittedFluxMinors, FluxMinor, fluxVersionRangeProblem } from '../../flux/core/flux-version.js';

/** The Flux minors each cluster of a tree may run, as its bootstrap asks for them, and what is wrong with those asks. */
export interface ClusterFluxMinors {
  /**
   * The newest minor flux-fleet knows that each cluster's bootstrap admits: what the Flux Operator installs once its
   * release embeds that minor.
   */
  readonly byCluster: ReadonlyMap<string, FluxMinor>;
  /**
   * Every minor flux-fleet knows that each cluster's bootstrap admits, oldest first: one for an exact version or a
   * minor (`2.9.x`), several for a wider range (`2.x`), any of which the cluster may run as the operator is upgraded.
   */
  readonly admitted: ReadonlyMap<string, readonly FluxMinor[]>;
  /** Bootstrap objects whose version is not a version or range, or admits no minor flux-fleet knows. */
  readonly problems: ReadonlyArray<{ readonly object: TreeObject; readonly message: string }>;
}

/**
 * Reads the Flux minors each cluster may run from its FluxInstance's `spec.distribution.version` (any version or
 * semver range the Flux Operator accepts: `2.9.4`, `2.9.x`, `2.x`, `>=2.8.0 <2.10.0`...), or, on a cluster bootstrapped
 * with plain Flux, from the ref of the `flux-manifests` OCIRepository in `flux-system` that applies Flux's release
 * manifests (tag `v2.10.1`, or semver `2.10.x`). A cluster with neither (a hand-written tree) is checked against
 * Flux 2.9.
 */
export function clusterFluxMinors(objects: readonly TreeObject[]): ClusterFluxMinors {
  const byCluster = new Map<string, FluxMinor>();
  const admitted = new Map<string, readonly FluxMinor[]>();
  const problems: Array<{ object: TreeObject; message: string }> = [];
  const ask = (o: TreeObject, field: string, version: unknown) => {
    if (typeof version !== 'string' || o.cluster === undefined) return;
    const problem = fluxVersionRangeProblem(field, version);
    if (problem !== undefined) {
      problems.push({ object: o, message: problem });
      return;
    }
    const minors = admittedFluxMinors(version)!;
    admitted.set(o.cluster, minors);
    byCluster.set(o.cluster, minors[minors.length - 1]);
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
  return { byCluster, admitted, problems };
}
