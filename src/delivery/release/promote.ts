import { PromotionError } from './errors.js';
import { acquireEnvironmentLease, type EnvironmentLease, type LeaseOptions } from './lease.js';
import { formatProblem, ReleaseChecker } from './release-check.js';
import { candidateTag, parseRevision, revisionAnnotationOf } from './revision.js';
import { moveTags, type TagMove } from './tag-moves.js';
import { ReleaseVerifier, type VerificationMaterialOptions } from './verification.js';
import type { ReleaseCluster, ReleaseManifest } from '../../output/release-manifest.js';
import { runBounded } from '../concurrency.js';
import type { Destinations } from '../destinations.js';
import { selectClusters } from '../health/health.js';
import type { ArtifactStore, FetchedManifest } from '../oci/store.js';

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

/** A cluster's planned move, as a {@link PromotionGate} sees it. */
export interface PlannedPromotion {
  /** The cluster whose tag moves. */
  readonly cluster: string;
  /** The region whose registry holds its config. */
  readonly region: string;
  /** `oci://<host>/<repository>`. */
  readonly location: string;
  /** The tag the cluster follows. */
  readonly tag: string;
  /** The digest it will point at. */
  readonly digest: string;
  /** What it points at now. @default - nothing: the tag is new */
  readonly previous?: string;
}

/** Where a {@link PromotionGate} is called. */
export type PromotionGateContext =
  | { readonly phase: 'before-moves'; readonly environment: string; readonly wave?: number; readonly moves: readonly PlannedPromotion[] }
  | { readonly phase: 'before-move'; readonly environment: string; readonly wave?: number; readonly move: PlannedPromotion };

/**
 * A check run by a promotion or rollback after it holds the environment's lease and every target verified: once before
 * the first tag moves (`before-moves`), and again just before each followed tag moves (`before-move`). Throwing
 * refuses (before the first move, nothing moves) or stops the moves part-way.
 */
export type PromotionGate = (context: PromotionGateContext) => Promise<void>;

/** Options of {@link promoteRelease} and {@link rollbackRelease}. */
export interface WavePromotionOptions extends WaveSelection {
  /** The registries of the fleet's regions, and how to reach them. */
  readonly destinations: Destinations;
  /** Check everything and report what would move, moving nothing (and taking no lease). @default false */
  readonly dryRun?: boolean;
  /** How many repositories are read or written at once. @default 4 */
  readonly concurrency?: number;
  /** Public material not in the tree and the public Sigstore root, for verifying the targets. @default - the targets' own Secrets and the embedded root */
  readonly material?: VerificationMaterialOptions;
  /**
   * The environment's lease, already held (a rollout that promotes wave after wave holds one for all of them). It is
   * checked before every move and not released.
   * @default - taken for this promotion (see leaseOptions) and released at its end
   */
  readonly lease?: EnvironmentLease;
  /** How the lease is taken when none is given: holder, time to live, settle time. @default - see LeaseOptions */
  readonly leaseOptions?: Partial<LeaseOptions>;
  /** A check before the first move and before each move. @default - none */
  readonly gate?: PromotionGate;
  /** The tree's folder as the command line names it, for the commands refusals suggest. @default "<dir>" */
  readonly dir?: string;
}

/** A followed tag of one cluster, and what the promotion or rollback did with it. */
export interface WaveTag extends PlannedPromotion {
  /** `moved`, `would-move` (dry run) or `unchanged` (it pointed there already). */
  readonly action: 'moved' | 'would-move' | 'unchanged';
}

/** What a promotion or rollback did. */
export interface WavePromotionReport {
  /** Every followed tag of the clusters selected, and what became of it. */
  readonly tags: readonly WaveTag[];
  /** How many tags moved (or would move, on a dry run). */
  readonly moving: number;
  /** Whether this was a dry run, which moves nothing. */
  readonly dryRun: boolean;
}

/** A cluster that follows a tag: the clusters promotion moves. */
export type TaggedCluster = ReleaseCluster & { readonly tag: string };

/**
 * The clusters of an environment (and wave) that follow tags, sorted by name; refused when any follows a range.
 * @throws SelectionError when the release has no such environment, or no cluster in that wave
 */
export function waveClusters(release: ReleaseManifest, selection: WaveSelection): TaggedCluster[] {
  const chosen = selectClusters(release, { environment: selection.environment, wave: selection.wave });
  const untagged = chosen.filter((c) => c.tag === undefined);
  if (untagged.length > 0) {
    throw new PromotionError(untagged.map((c) => `${c.name} follows a semver range (environment ${c.environment}'s channel), not a tag that promotion moves; push a release tag in the range instead`));
  }
  return (chosen as TaggedCluster[]).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface Plan {
  readonly cluster: TaggedCluster;
  readonly store: ArtifactStore;
  readonly target: FetchedManifest;
  readonly current?: FetchedManifest;
  readonly recorded?: FetchedManifest;
}

/**
 * Promotes a revision to the selected clusters: points the tag each follows (e.g. `stable-wave-1`), in every region,
 * at that cluster's candidate of the revision (`rev-<revision>`, which push set), putting the same manifest bytes
 * under the tag: nothing is uploaded.
 *
 * Nothing moves unless, for every selected cluster, the candidate is there and names the revision, its config
 * verifies with the identity its sync source declares, and every source that config pins resolves in the cluster's
 * region and verifies with its own identity (see {@link ReleaseChecker}). The environment's lease is held throughout
 * (two promotions of one environment never interleave: the second is refused, naming the first), the `gate` is run,
 * and each tag is read again just before it moves.
 *
 * Before a tag moves, what it pointed at is recorded under `<tag>-previous`; a tag already at the candidate is left,
 * and so is its `-previous`. So after two promotions, `-previous` holds the first, and {@link rollbackRelease} returns
 * to it. Running a promotion again after a stop part-way finishes it.
 */
export async function promoteRelease(release: ReleaseManifest, revision: string, options: WavePromotionOptions): Promise<WavePromotionReport> {
  const candidate = candidateTag(revision);
  const id = parseRevision(revision).id;
  const dir = options.dir ?? '<dir>';
  return run(release, options, `promote ${describe(options)} to ${revision}`, candidate, true,
    (c, at) => `${c.name}: ${at} has no candidate ${candidate} (revision ${revision}); push that revision first, holding every followed tag: flux-fleet push ${dir} --registry --revision ${revision} --hold-tags`,
    (c, at, manifest) => {
      const claimed = revisionAnnotationOf(manifest.bytes);
      return claimed !== undefined && !claimed.includes(id)
        ? `${c.name}: ${at}:${candidate} says it is revision ${claimed}, not ${id}; a candidate never changes, so it was pushed by hand: push revision ${revision} again with --replace-candidate if that is what you want`
        : undefined;
    });
}

/**
 * Rolls the selected clusters back in one step: points the tag each follows, in every region, at what it pointed at
 * before its last promotion (`<tag>-previous`), with the same checks as {@link promoteRelease}: the release rolled back
 * to must still resolve completely and verify, else nothing moves. `-previous` is left as it is, so a rollback run
 * twice changes nothing the second time; promote the revision again to go forward.
 */
export async function rollbackRelease(release: ReleaseManifest, options: WavePromotionOptions): Promise<WavePromotionReport> {
  return run(release, options, `roll back ${describe(options)}`, undefined, false,
    (c, at) => `${c.name}: ${at} has no ${previousTag(c.tag)}, so there is nothing to roll back to (the tag was never promoted over another digest)`,
    undefined,
    (revision) => `to restore what revision ${revision ?? '<revision>'} pins, push it again from its own tree, holding every followed tag: flux-fleet push <that tree> --registry --revision ${revision ?? '<revision>'} --hold-tags; then roll back again`,
  );
}

function describe(selection: WaveSelection): string {
  return `${selection.environment}${selection.wave !== undefined ? ` wave ${selection.wave}` : ''}`;
}

async function run(
  release: ReleaseManifest, options: WavePromotionOptions, purpose: string, fixedTag: string | undefined, recordPrevious: boolean,
  missing: (c: TaggedCluster, at: string) => string,
  inspect?: (c: TaggedCluster, at: string, target: FetchedManifest) => string | undefined,
  restore?: (revision: string | undefined) => string,
): Promise<WavePromotionReport> {
  const chosen = waveClusters(release, options);
  const lease = options.dryRun || options.lease
    ? options.lease
    : await acquireEnvironmentLease(options.destinations, release, options.environment, { purpose, ...options.leaseOptions });
  try {
    const plans = await plan(chosen, options, fixedTag, recordPrevious, missing, inspect, restore);
    const planned: PlannedPromotion[] = plans.map((p) => ({
      cluster: p.cluster.name,
      region: p.cluster.region,
      location: p.store.location,
      tag: p.cluster.tag,
      digest: p.target.digest,
      ...(p.current ? { previous: p.current.digest } : {}),
    }));
    const tags: WaveTag[] = planned.map((p) => ({ ...p, action: p.previous === p.digest ? 'unchanged' : options.dryRun ? 'would-move' : 'moved' }));
    const moving = plans.filter((p) => p.current?.digest !== p.target.digest);
    if (options.dryRun || moving.length === 0) return { tags, moving: moving.length, dryRun: options.dryRun === true };
    const gate = options.gate;
    const selection = { environment: options.environment, ...(options.wave !== undefined ? { wave: options.wave } : {}) };
    try {
      await gate?.({ phase: 'before-moves', ...selection, moves: planned.filter((p) => p.previous !== p.digest) });
    } catch (e) {
      throw new PromotionError([`the gate refused: ${(e as Error).message}`]);
    }
    const what = `the ${recordPrevious ? 'promotion' : 'rollback'} of ${describe(options)}`;
    const finish = `run the ${recordPrevious ? 'promotion' : 'rollback'} again to finish: it checks every target and tag again`;
    // First every -previous tag, then every followed tag: a stop in the first step moved nothing clusters follow.
    if (recordPrevious) {
      await moveTags(moving.filter((p) => p.current).map((p): TagMove => ({
        cluster: p.cluster.name,
        store: p.store,
        tag: previousTag(p.cluster.tag),
        ...(p.recorded ? { expected: p.recorded.digest } : {}),
        digest: p.current!.digest,
        bytes: p.current!.bytes,
        mediaType: p.current!.mediaType,
      })), { lease, concurrency: options.concurrency, what, finish });
    }
    const byCluster = new Map(planned.map((p) => [p.cluster, p]));
    await moveTags(moving.map((p): TagMove => ({
      cluster: p.cluster.name,
      store: p.store,
      tag: p.cluster.tag,
      ...(p.current ? { expected: p.current.digest } : {}),
      digest: p.target.digest,
      bytes: p.target.bytes,
      mediaType: p.target.mediaType,
    })), {
      lease,
      concurrency: options.concurrency,
      what,
      finish,
      beforeMove: gate ? async (m) => gate({ phase: 'before-move', ...selection, move: byCluster.get(m.cluster)! }) : undefined,
    });
    if (fixedTag !== undefined) lease?.noteDeployed(revisionAnnotationOf(plans[0].target.bytes) ?? fixedTag, `promote ${describe(options)}`);
    return { tags, moving: moving.length, dryRun: false };
  } finally {
    if (lease && !options.lease) await lease.release();
  }
}

async function plan(
  chosen: readonly TaggedCluster[], options: WavePromotionOptions, fixedTag: string | undefined, recordPrevious: boolean,
  missing: (c: TaggedCluster, at: string) => string,
  inspect?: (c: TaggedCluster, at: string, target: FetchedManifest) => string | undefined,
  restore?: (revision: string | undefined) => string,
): Promise<Plan[]> {
  // An OCI layout holds no signatures: only registries are checked as the clusters check them.
  const verifier = new ReleaseVerifier(options.destinations, options.material);
  const checker = options.destinations.isLayout ? undefined : new ReleaseChecker(options.destinations, verifier);
  const problems: string[] = [];
  const plans: Plan[] = new Array(chosen.length);
  await runBounded(chosen.length, options.concurrency ?? 4, async (i) => {
    const cluster = chosen[i];
    const store = options.destinations.store(cluster.url);
    const source = fixedTag ?? previousTag(cluster.tag);
    try {
      const [target, current, recorded] = await Promise.all([
        store.fetchManifest(source),
        store.fetchManifest(cluster.tag),
        recordPrevious ? store.fetchManifest(previousTag(cluster.tag)) : Promise.resolve(undefined),
      ]);
      const at = `${store.location} (${cluster.region})`;
      if (!target) {
        problems.push(missing(cluster, at));
        return;
      }
      const wrong = inspect?.(cluster, store.location, target);
      if (wrong) {
        problems.push(wrong);
        return;
      }
      // What the tag would point at must be a release the cluster accepts: its config verifies, and every source
      // it pins resolves in the cluster's region and verifies as the cluster verifies it.
      if (checker && target.digest !== current?.digest) {
        const check = await checker.cluster(cluster, target.digest);
        for (const p of check.problems) problems.push(formatProblem(p));
        if (check.problems.length > 0) {
          if (restore && check.problems.some((p) => p.expected === undefined)) problems.push(restore(revisionAnnotationOf(target.bytes)));
          return;
        }
      }
      plans[i] = { cluster, store, target, ...(current ? { current } : {}), ...(recorded ? { recorded } : {}) };
    } catch (e) {
      problems.push(`${cluster.name}: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) throw new PromotionError([...new Set(problems)].sort());
  return plans;
}

