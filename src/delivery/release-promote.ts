import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import type { ArtifactStore, FetchedManifest } from './oci/store.js';
import { PromotionError } from './promote.js';
import { candidateTag, parseRevision } from './revision.js';
import { shortDigest } from '../flux/artifact/digest.js';
import { ANNOTATIONS } from '../flux/artifact/media-types.js';
import type { ReleaseCluster, ReleaseManifest } from '../output/release-manifest.js';

/** The suffix of the tag that records what a followed tag pointed at before its last promotion: `<tag>-previous`. */
export const PREVIOUS_SUFFIX = '-previous';

/** The tag recording what `tag` pointed at before its last promotion. */
export function previousTag(tag: string): string {
  return `${tag}${PREVIOUS_SUFFIX}`;
}

/** Which clusters a promotion or rollback moves. */
export interface WaveSelection {
  /** The environment, e.g. `production`. */
  readonly environment: string;
  /** Only the clusters of this wave. @default - every cluster of the environment */
  readonly wave?: number;
}

/** Options of {@link promoteRelease} and {@link rollbackRelease}. */
export interface WavePromotionOptions extends WaveSelection {
  readonly destinations: Destinations;
  /** Check everything and report what would move, moving nothing. @default false */
  readonly dryRun?: boolean;
  /** How many repositories are read or written at once. @default 4 */
  readonly concurrency?: number;
}

/** A followed tag of one cluster, and what the promotion or rollback did with it. */
export interface WaveTag {
  readonly cluster: string;
  readonly region: string;
  /** `oci://<host>/<repository>` (or `oci:<folder>`). */
  readonly location: string;
  /** The tag the cluster follows. */
  readonly tag: string;
  /** The digest it points at now (or would). */
  readonly digest: string;
  /** What it pointed at before. @default - nothing: the tag is new */
  readonly previous?: string;
  /** `moved`, `would-move` (dry run) or `unchanged` (it pointed there already). */
  readonly action: 'moved' | 'would-move' | 'unchanged';
}

/** What a promotion or rollback did. */
export interface WavePromotionReport {
  readonly tags: readonly WaveTag[];
  /** How many tags moved (or would move, on a dry run). */
  readonly moving: number;
  readonly dryRun: boolean;
}

/** The clusters of an environment (and wave), sorted by name; throws naming what exists when none matches. */
export function waveClusters(release: ReleaseManifest, selection: WaveSelection): TaggedCluster[] {
  const env = release.environments.find((e) => e.name === selection.environment);
  if (!env) {
    throw new PromotionError([`release.json has no environment ${JSON.stringify(selection.environment)}; it has ${release.environments.map((e) => e.name).join(', ') || 'none'}`]);
  }
  const all = release.clusters.filter((c) => c.environment === selection.environment);
  const chosen = all.filter((c) => selection.wave === undefined || c.wave === selection.wave);
  if (chosen.length === 0) {
    const waves = [...new Set(all.map((c) => c.wave).filter((w) => w !== undefined))].sort((a, b) => a - b);
    throw new PromotionError([`environment ${selection.environment} has no cluster in wave ${selection.wave}; its waves are ${waves.join(', ') || 'none'}`]);
  }
  const untagged = chosen.filter((c) => c.tag === undefined);
  if (untagged.length > 0) {
    throw new PromotionError(untagged.map((c) => `${c.name} follows a semver range (environment ${c.environment}'s channel), not a tag that promotion moves; push a release tag in the range instead`));
  }
  return (chosen as TaggedCluster[]).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A cluster that follows a tag: the clusters promotion moves. */
export type TaggedCluster = ReleaseCluster & { readonly tag: string };

interface Plan {
  readonly cluster: TaggedCluster;
  readonly store: ArtifactStore;
  readonly target: FetchedManifest;
  readonly current?: FetchedManifest;
}

/**
 * Promotes a revision to the selected clusters: points the tag each follows (e.g. `stable-wave-1`), in every region,
 * at that cluster's candidate of the revision (`rev-<revision>`, which push set), putting the same manifest bytes
 * under the tag: nothing is uploaded. Refused, with no tag moved, when any selected cluster lacks the candidate, or
 * when a candidate's revision annotation names another revision.
 *
 * Before a tag moves, what it pointed at is recorded under `<tag>-previous`; a tag already at the candidate is left,
 * and so is its `-previous`. So after two promotions, `-previous` holds the first, and {@link rollbackRelease} returns
 * to it. Running a promotion again after a failure part-way finishes it.
 */
export async function promoteRelease(release: ReleaseManifest, revision: string, options: WavePromotionOptions): Promise<WavePromotionReport> {
  const candidate = candidateTag(revision);
  const plans = await plan(release, options, candidate,
    (c, at) => `${c.name}: ${at} has no candidate ${candidate} (revision ${revision}); push that revision first (flux-fleet push <dir> --registry --revision ${revision})`,
    parseRevision(revision).id);
  return move(plans, options, true);
}

/**
 * Rolls the selected clusters back in one step: points the tag each follows, in every region, at what it pointed at
 * before its last promotion (`<tag>-previous`). Refused, with no tag moved, when any selected cluster has no
 * `-previous` tag. `-previous` is left as it is, so a rollback run twice changes nothing the second time; promote the
 * revision again to go forward.
 */
export async function rollbackRelease(release: ReleaseManifest, options: WavePromotionOptions): Promise<WavePromotionReport> {
  const plans = await plan(release, options, undefined, (c, at) => `${c.name}: ${at} has no ${previousTag(c.tag)}, so there is nothing to roll back to (the tag was never promoted over another digest)`);
  return move(plans, options, false);
}

async function plan(
  release: ReleaseManifest, options: WavePromotionOptions, fixedTag: string | undefined, missing: (c: TaggedCluster, at: string) => string,
  revisionId?: string,
): Promise<Plan[]> {
  const chosen = waveClusters(release, options);
  const problems: string[] = [];
  const plans: Plan[] = new Array(chosen.length);
  await runBounded(chosen.length, options.concurrency ?? 4, async (i) => {
    const cluster = chosen[i];
    const store = options.destinations.store(cluster.url);
    const source = fixedTag ?? previousTag(cluster.tag);
    try {
      const [target, current] = await Promise.all([store.fetchManifest(source), store.fetchManifest(cluster.tag)]);
      if (!target) {
        problems.push(missing(cluster, `${store.location} (${cluster.region})`));
        return;
      }
      const claimed = fixedTag !== undefined ? revisionOf(target.bytes) : undefined;
      if (claimed !== undefined && revisionId !== undefined && !claimed.includes(revisionId)) {
        problems.push(`${cluster.name}: ${store.location}:${source} says it is revision ${claimed}, not ${revisionId}; push the revision again`);
        return;
      }
      plans[i] = { cluster, store, target, ...(current ? { current } : {}) };
    } catch (e) {
      problems.push(`${cluster.name}: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) throw new PromotionError(problems.sort());
  return plans;
}

async function move(plans: readonly Plan[], options: WavePromotionOptions, recordPrevious: boolean): Promise<WavePromotionReport> {
  const limit = options.concurrency ?? 4;
  const tags: WaveTag[] = plans.map((p) => ({
    cluster: p.cluster.name,
    region: p.cluster.region,
    location: p.store.location,
    tag: p.cluster.tag,
    digest: p.target.digest,
    ...(p.current ? { previous: p.current.digest } : {}),
    action: p.current?.digest === p.target.digest ? 'unchanged' : options.dryRun ? 'would-move' : 'moved',
  }));
  const moving = plans.filter((p) => p.current?.digest !== p.target.digest);
  if (!options.dryRun && moving.length > 0) {
    const failures: string[] = [];
    const done: string[] = [];
    // First every -previous tag, then every followed tag: a failure in the first step moved nothing clusters follow.
    if (recordPrevious) {
      await runBounded(moving.length, limit, async (i) => {
        const p = moving[i];
        if (!p.current) return;
        try {
          await p.store.pushManifest(previousTag(p.cluster.tag), p.current.bytes, p.current.mediaType);
        } catch (e) {
          failures.push(`${p.cluster.name}: recording ${previousTag(p.cluster.tag)}: ${(e as Error).message}`);
        }
      });
      if (failures.length > 0) throw new PromotionError(failures.sort());
    }
    await runBounded(moving.length, limit, async (i) => {
      const p = moving[i];
      try {
        await p.store.pushManifest(p.cluster.tag, p.target.bytes, p.target.mediaType);
        done.push(`${p.store.location}:${p.cluster.tag} -> ${shortDigest(p.target.digest)}`);
      } catch (e) {
        failures.push(`${p.cluster.name}: ${(e as Error).message}`);
      }
    });
    if (failures.length > 0) {
      throw new Error(`the move failed part-way; run it again to finish (it is idempotent):\n${failures.sort().map((f) => `  ${f}`).join('\n')}`
        + (done.length > 0 ? `\nalready moved: ${done.sort().join(', ')}` : ''));
    }
  }
  return { tags, moving: moving.length, dryRun: options.dryRun === true };
}

/** The revision annotation of a manifest, when it has one. */
function revisionOf(bytes: Buffer): string | undefined {
  try {
    const value = (JSON.parse(bytes.toString('utf8')) as { annotations?: Record<string, unknown> }).annotations?.[ANNOTATIONS.revision];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
