import { clusterConfigFromTree } from './cluster-config.js';
import { ReleaseChecker, type DanglingReference } from './release-check.js';
import { candidateTag } from './revision.js';
import { ReleaseVerifier, type VerificationMaterialOptions } from './verification.js';
import { SelectionError } from '../../flux/core/errors.js';
import type { ReleaseManifest, ReleaseRef } from '../../output/release-manifest.js';
import { runBounded } from '../concurrency.js';
import type { Destinations } from '../destinations.js';
import { selectClusters } from '../health/health.js';

/** Options of {@link verifyRelease}. */
export interface VerifyReleaseOptions {
  /** Only the clusters of these environments. @default - every environment */
  readonly environments?: readonly string[];
  /** Only the clusters of this wave (of the one environment given). @default - every wave */
  readonly wave?: number;
  /** The registries of the fleet's regions, and how to reach them. */
  readonly destinations: Destinations;
  /**
   * Check the release of this revision: every selected cluster's candidate `rev-<revision>` stands for the tag it
   * follows (production's tags move only by promotion); the followed tags of environments that deploy on push are
   * checked too.
   * @default - the tags the clusters follow
   */
  readonly revision?: string;
  /** Public material not in the tree and the public Sigstore root. @default - the tree's Secrets and the embedded root */
  readonly material?: VerificationMaterialOptions;
  /** How many clusters are checked at once. @default 8 */
  readonly concurrency?: number;
}

/** What {@link verifyRelease} found. */
export interface VerifyReleaseReport {
  /** The clusters checked, sorted. */
  readonly clusters: readonly string[];
  /** Every distinct reference checked. */
  readonly checked: number;
  /** What does not resolve or verify, sorted by cluster and source. */
  readonly dangling: readonly DanglingReference[];
}

/**
 * Checks, reading only, that every selected cluster of a release would run it, as the cluster itself checks: its
 * config artifact (at the tag it follows, or its candidate of a revision) is in its region's registry and verifies
 * with the identity its bootstrap declares for its sync source, and every OCI source that config declares (components,
 * charts, other pipelines' artifacts, its bootstrap's) resolves in the registry the cluster pulls it from (the tag
 * exists, the pinned digest is there, a semver range has a match) and every signature is checked with that source's
 * own `verify` declaration: the public keys of the Secret it names, or its keyless issuer and subject patterns under
 * the trusted root it names (else the public Sigstore instance's), read as the cluster's Flux version reads them.
 * Each mismatch names the cluster, the source, the digest, the identity expected and the one found. A cluster whose
 * config is not in the registry is reported, and the sources of its folder in the tree (`dir`) are checked instead.
 */
export async function verifyRelease(dir: string, release: ReleaseManifest, options: VerifyReleaseOptions): Promise<VerifyReleaseReport> {
  const environments = options.environments ?? [undefined];
  if (options.wave !== undefined && environments.length !== 1) {
    throw new SelectionError(`wave ${options.wave} of which environment? give one environment with it (${release.environments.map((e) => e.name).join(', ')})`);
  }
  const clusters = environments.flatMap((environment) => selectClusters(release, { environment, wave: options.wave }))
    .sort((a, b) => cmp(a.name, b.name));
  const checker = new ReleaseChecker(options.destinations, new ReleaseVerifier(options.destinations, options.material));
  const deploysOnPush = new Map(release.environments.map((e) => [e.name, e.deployOnPush && !e.production]));
  const channels = new Map(release.environments.map((e) => [e.name, e.channel]));
  const jobs = clusters.flatMap((c) => {
    const references: ReleaseRef[] = [];
    if (options.revision !== undefined) references.push({ tag: candidateTag(options.revision) });
    if (options.revision === undefined || deploysOnPush.get(c.environment)) {
      const channel = channels.get(c.environment);
      // A cluster following a semver range runs the highest tag in it.
      if (c.tag !== undefined) references.push({ tag: c.tag });
      else if (channel?.kind === 'semver') references.push({ semver: channel.value });
    }
    return references.map((reference) => ({ cluster: c, reference }));
  });
  const checked = new Set<string>();
  const dangling = new Map<string, DanglingReference>();
  await runBounded(jobs.length, options.concurrency ?? 8, async (i) => {
    const { cluster, reference } = jobs[i];
    const result = await checker.cluster(cluster, reference, () => clusterConfigFromTree(dir, cluster.name));
    result.checked.forEach((c) => checked.add(c));
    for (const p of result.problems) dangling.set(JSON.stringify(p), p);
  });
  const sorted = [...dangling.values()].sort((a, b) => cmp(a.cluster, b.cluster) || cmp(a.source, b.source) || cmp(a.ref, b.ref));
  return { clusters: clusters.map((c) => c.name), checked: checked.size, dangling: sorted };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
