import { join } from 'node:path';
import { DeliveryError, readArtifactFiles } from './artifacts.js';
import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { pushArtifact, type ArtifactStore } from './oci/store.js';
import { pushedTarget, type PushEvent, type PushedTarget, type PushOutcome } from './push.js';
import { candidateTag, type Revision } from './revision.js';
import { packArtifact, REPRODUCIBLE_CREATED, type PackedArtifact } from '../flux/artifact/artifact.js';
import { shortDigest } from '../flux/artifact/digest.js';
import type { ReleaseManifest } from '../output/release-manifest.js';

/** Prefix of the tag each component artifact is kept under: `content-<hex of its digest>`. */
export const CONTENT_PREFIX = 'content-';

/**
 * The tag a component artifact is kept under, so that registry garbage collection of untagged manifests never deletes
 * what a cluster pins by digest: `content-<the digest's 64 hex digits>`. (Not `sha256-<hex>`, which is the tag OCI
 * referrers fall back to, and that cosign and Flux read.)
 */
export function contentTag(digest: string): string {
  return `${CONTENT_PREFIX}${digest.slice('sha256:'.length)}`;
}

/** Options of {@link pushRelease}. */
export interface ReleasePushOptions {
  /** Where artifacts go: registries or OCI image layout folders. */
  readonly destinations: Destinations;
  /** The revision pushed: names the clusters' candidate tags and is their revision annotation. */
  readonly revision: Revision;
  /** The source annotation of the clusters' configs, e.g. the Git repository's URL. @default - left out */
  readonly source?: string;
  /** The created annotation of the clusters' configs. @default "1970-01-01T00:00:00Z" */
  readonly created?: string;
  /** How many artifacts are pushed at once. @default 4 */
  readonly concurrency?: number;
  /** Check everything and report what would be pushed and which tags would move, writing nothing. @default false */
  readonly dryRun?: boolean;
  /**
   * Push the components and every cluster's candidate, but move no followed tag, not even those of environments that
   * deploy on push: for a run whose signer those environments do not verify (a release-tag run, say).
   * @default false
   */
  readonly holdTags?: boolean;
  /**
   * Runs after every artifact is uploaded under its content or candidate tag, and before any followed tag moves (the
   * place to sign the pushed digests). When it throws, no followed tag moves.
   * @default - nothing
   */
  readonly beforeTagsMove?: (pushed: readonly PushedTarget[]) => Promise<void>;
  /** Called as the push goes. @default - nothing */
  readonly onEvent?: (event: PushEvent) => void;
}

/** A followed tag a push moved, would move, or left alone. */
export interface FollowedTag {
  readonly cluster: string;
  readonly environment: string;
  /** `oci://<host>/<repository>` (or `oci:<folder>`). */
  readonly location: string;
  readonly tag: string;
  /** The candidate's digest. */
  readonly digest: string;
  /** What the tag pointed at before. @default - nothing: the tag is new */
  readonly previous?: string;
  /** `moved`, `would-move` (dry run), `unchanged` (already there) or `held` (production, or an environment that does not deploy on push). */
  readonly action: 'moved' | 'would-move' | 'unchanged' | 'held';
}

/** What {@link pushRelease} did. */
export interface ReleasePushReport {
  readonly revision: Revision;
  /** The candidate tag every cluster's config got. */
  readonly candidate: string;
  /** Each component artifact and region pushed (under its content tag). */
  readonly components: readonly PushedTarget[];
  /** Each cluster's config pushed (under the candidate tag). */
  readonly clusters: readonly PushedTarget[];
  /** The followed tag of every cluster, and what happened to it. */
  readonly followed: readonly FollowedTag[];
  /** What failed; no tag was set for these, and no followed tag moved when anything failed. */
  readonly failed: ReadonlyArray<{ readonly artifact: string; readonly location: string; readonly error: Error }>;
  /** Whether it was a dry run (nothing written). */
  readonly dryRun: boolean;
}

interface Job {
  readonly kind: 'component' | 'cluster';
  readonly name: string;
  readonly url: string;
  readonly region: string;
  readonly packed: PackedArtifact;
  readonly tag: string;
}

/**
 * Pushes the release a synthesized tree describes (its `release.json`), in three steps:
 *
 * 1. every component artifact (`artifacts/<name>/`) to every region with a cluster that uses it, under its content tag
 *    (`content-<hex>`), refused when the digest packed differs from the one in release.json (the folder changed since
 *    synth, so the clusters' pins would not resolve);
 * 2. then every cluster's config (`clusters/<name>/`) to its region, under the candidate tag `rev-<revision>`;
 * 3. then, only when everything above succeeded, the tag each cluster follows, for the clusters of environments that
 *    deploy on push (`deployOnPush`). Production's tags never move on push: promotion moves them.
 *
 * Blobs go first, each skipped when the destination holds it (or mounted from another repository of the registry);
 * manifests and tags last, so a failed push leaves no tag pointing at missing content.
 */
export async function pushRelease(dir: string, release: ReleaseManifest, options: ReleasePushOptions): Promise<ReleasePushReport> {
  const candidate = candidateTag(options.revision);
  const problems: string[] = [];
  const jobs: Job[] = [];
  for (const a of release.artifacts) {
    const files = await readArtifactFiles(join(dir, a.folder)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') problems.push(`artifact ${a.name}: its folder ${a.folder} is missing from ${dir}; synthesize again`);
      else problems.push(`artifact ${a.name}: ${e.message}`);
      return undefined;
    });
    if (!files) continue;
    const packed = packArtifact(files, { created: REPRODUCIBLE_CREATED });
    if (packed.digest !== a.digest) {
      problems.push(`artifact ${a.name}: ${a.folder} packs to ${shortDigest(packed.digest)}, but release.json (and the clusters' pins) say ${shortDigest(a.digest)}; the folder changed since synth: synthesize again, then push`);
      continue;
    }
    for (const t of a.targets) jobs.push({ kind: 'component', name: a.name, url: t.url, region: t.region, packed, tag: contentTag(a.digest) });
  }
  const envs = new Map(release.environments.map((e) => [e.name, e]));
  const clusterJobs: Job[] = [];
  for (const c of release.clusters) {
    const files = await readArtifactFiles(join(dir, 'clusters', c.name)).catch((e: NodeJS.ErrnoException) => {
      problems.push(`cluster ${c.name}: clusters/${c.name} ${e.code === 'ENOENT' ? 'is missing; synthesize again' : `cannot be read: ${e.message}`}`);
      return undefined;
    });
    if (!files) continue;
    if (files.length === 0) problems.push(`cluster ${c.name}: clusters/${c.name} is empty`);
    const packed = packArtifact(files, {
      created: options.created,
      ...(options.source !== undefined ? { source: options.source } : {}),
      revision: options.revision.annotation,
    });
    clusterJobs.push({ kind: 'cluster', name: c.name, url: c.url, region: c.region, packed, tag: candidate });
  }
  if (problems.length > 0) throw new DeliveryError(`cannot push the release of ${dir}; nothing was pushed:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const emit = options.onEvent ?? (() => undefined);
  const limit = options.concurrency ?? 4;
  const failed: Array<{ artifact: string; location: string; error: Error }> = [];
  const pushAll = async (list: readonly Job[]): Promise<PushedTarget[]> => {
    const out: PushedTarget[] = new Array(list.length);
    await runBounded(list.length, limit, async (i) => {
      const job = list[i];
      const store = options.destinations.store(job.url);
      const location = store.location;
      if (options.dryRun) {
        out[i] = pushedTarget(job.name, location, job, unsent(job.packed.digest, job.tag, 0));
        return;
      }
      emit({ type: 'start', artifact: job.name, location, tags: [job.tag], size: job.packed.layer.descriptor.size + job.packed.config.descriptor.size });
      try {
        // A tag already on the digest means the registry holds the manifest and its blobs: nothing to send.
        if ((await store.fetchManifest(job.tag))?.digest === job.packed.digest) {
          const result = pushedTarget(job.name, location, job, unsent(job.packed.digest, job.tag, 2), []);
          out[i] = result;
          emit({ type: 'done', artifact: job.name, location, result });
          return;
        }
        const r = await pushArtifact(store, job.packed, [job.tag], (b) => emit({ type: 'blob', artifact: job.name, location, blob: b.blob, outcome: b.outcome, size: b.descriptor.size }));
        const result = pushedTarget(job.name, location, job, r);
        out[i] = result;
        emit({ type: 'done', artifact: job.name, location, result });
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        failed.push({ artifact: job.name, location, error });
        emit({ type: 'failed', artifact: job.name, location, error });
      }
    });
    return out.filter((r) => r !== undefined);
  };

  const components = await pushAll(jobs);
  if (failed.length > 0) {
    // The clusters' configs pin this content: pushing them now would leave candidates that cannot be reconciled.
    for (const job of clusterJobs) {
      failed.push({ artifact: job.name, location: options.destinations.store(job.url).location, error: new Error('not pushed: a component artifact it uses failed to push') });
    }
    return { revision: options.revision, candidate, components, clusters: [], followed: [], failed, dryRun: options.dryRun === true };
  }
  const clusters = await pushAll(clusterJobs);
  const followed: FollowedTag[] = [];
  const byName = new Map(clusterJobs.map((j) => [j.name, j]));
  const movable: Array<{ job: Job; store: ArtifactStore; entry: Omit<FollowedTag, 'action'> }> = [];
  for (const c of release.clusters) {
    // A cluster following a semver range has no tag to move: its candidate is all a push gives it.
    if (c.tag === undefined) continue;
    const job = byName.get(c.name)!;
    const store = options.destinations.store(c.url);
    const entry = { cluster: c.name, environment: c.environment, location: store.location, tag: c.tag, digest: job.packed.digest };
    const env = envs.get(c.environment);
    if (!env || env.production || !env.deployOnPush || options.holdTags) followed.push({ ...entry, action: 'held' });
    else movable.push({ job, store, entry });
  }
  if (failed.length === 0 && options.beforeTagsMove && !options.dryRun) {
    try {
      await options.beforeTagsMove([...components, ...clusters]);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      for (const m of movable) failed.push({ artifact: m.job.name, location: m.store.location, error: new Error(`its tag ${m.entry.tag} was not moved: ${error.message}`) });
    }
  }
  if (failed.length > 0) {
    for (const m of movable) followed.push({ ...m.entry, action: 'held' });
  } else {
    const moves: FollowedTag[] = new Array(movable.length);
    await runBounded(movable.length, limit, async (i) => {
      const { job, store, entry } = movable[i];
      try {
        const current = await store.fetchManifest(entry.tag);
        const previous = current ? { previous: current.digest } : {};
        if (current?.digest === job.packed.digest) {
          moves[i] = { ...entry, ...previous, action: 'unchanged' };
        } else if (options.dryRun) {
          moves[i] = { ...entry, ...previous, action: 'would-move' };
        } else {
          await store.pushManifest(entry.tag, job.packed.manifestBytes, job.packed.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json');
          moves[i] = { ...entry, ...previous, action: 'moved' };
        }
      } catch (e) {
        failed.push({ artifact: job.name, location: store.location, error: new Error(`moving ${entry.tag}: ${(e as Error).message}`) });
        moves[i] = { ...entry, action: 'held' };
      }
    });
    followed.push(...moves);
  }
  followed.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  return { revision: options.revision, candidate, components, clusters, followed, failed, dryRun: options.dryRun === true };
}

/** A push that sends nothing: `existing` blobs were there already (a dry run counts none). */
function unsent(digest: string, tag: string, existing: number): PushOutcome {
  return { digest, tags: [tag], uploaded: 0, mounted: 0, existing, bytesUploaded: 0 };
}
