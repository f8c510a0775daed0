import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterConfigFromTree, type ClusterConfig } from './cluster-config.js';
import { PushRefusedError } from './errors.js';
import { acquireEnvironmentLease, type EnvironmentLease, type LeaseOptions } from './lease.js';
import { formatProblem, ReleaseChecker, type DanglingReference } from './release-check.js';
import { candidateTag, parseRevision, revisionAnnotationOf, type Revision } from './revision.js';
import { moveTags } from './tag-moves.js';
import { ReleaseVerifier, type ExpectedSigner, type VerificationMaterialOptions } from './verification.js';
import { packArtifact, REPRODUCIBLE_CREATED, type PackedArtifact } from '../../flux/artifact/artifact.js';
import { shortDigest } from '../../flux/artifact/digest.js';
import type { ReleaseManifest } from '../../output/release-manifest.js';
import { DeliveryError, readArtifactFiles } from '../artifacts.js';
import { runBounded } from '../concurrency.js';
import type { Destinations } from '../destinations.js';
import type { RegistryRepository } from '../oci/client.js';
import { parseRegistryReference } from '../oci/reference.js';
import { pushArtifact, type BlobOutcome, type FetchedManifest } from '../oci/store.js';
import { publicKeyHint } from '../signing/keys.js';
import { signArtifacts, type SignedTarget, type SignOptions, type SignTarget } from '../signing/sign.js';
import { goRegex } from '../signing/verify.js';

const run = promisify(execFile);

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

/** Progress of a push, per artifact and destination. */
export type PushEvent =
  | { readonly type: 'start'; readonly artifact: string; readonly location: string; readonly tags: readonly string[]; readonly size: number }
  | { readonly type: 'blob'; readonly artifact: string; readonly location: string; readonly blob: 'config' | 'layer'; readonly outcome: BlobOutcome; readonly size: number }
  | { readonly type: 'done'; readonly artifact: string; readonly location: string; readonly result: PushedTarget }
  | { readonly type: 'failed'; readonly artifact: string; readonly location: string; readonly error: Error };

/** An artifact pushed to one destination. */
export interface PushedTarget {
  /** The artifact's name (the cluster's, or the packed folder's). */
  readonly artifact: string;
  /** `oci://<host>/<repository>` (or `oci:<folder>` for a layout). */
  readonly location: string;
  /** The URL the artifact's consumers pull, `oci://<host>/<repository>`. */
  readonly url: string;
  /** The region whose registry it went to. @default - a single destination without a region (a layout folder, or `--registry`) */
  readonly region?: string;
  /** The digest of the artifact's manifest. */
  readonly digest: string;
  /** The tags the digest carries after the push. */
  readonly tags: readonly string[];
  /** Of `tags`, those this push set (a tag already on the digest is left). @default - not known: all of `tags` */
  readonly movedTags?: readonly string[];
  /** Blobs sent. */
  readonly uploaded: number;
  /** Blobs mounted from another repository of the registry. */
  readonly mounted: number;
  /** Blobs the destination held already. */
  readonly existing: number;
  /** Bytes of the blobs sent. */
  readonly bytesUploaded: number;
}

/** Who signs on push, as far as it is known before signing: what decides which artifacts it signs. */
export type PushSigner =
  | { readonly kind: 'key'; readonly publicKey: import('node:crypto').KeyObject }
  | { readonly kind: 'keyless'; readonly identity?: { readonly issuer: string; readonly subject: string } };

/** Signing on push: the signer, and who it is. */
export interface PushSigning {
  /** How to sign. */
  readonly options: SignOptions;
  /**
   * Who signs: an artifact is signed only when a cluster that pulls it accepts this signer (or when no cluster
   * verifies it); the others are listed in the report as left for their own signer.
   */
  readonly signer: PushSigner;
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
   * deploy on push: for a run whose signer those environments do not verify (a release-tag run, say), or to restore a
   * missing candidate.
   * @default false
   */
  readonly holdTags?: boolean;
  /**
   * Move the followed tags of these environments only (each must deploy on push), holding the others: for a run whose
   * signer only some environments verify.
   * @default - every environment that deploys on push
   */
  readonly environments?: readonly string[];
  /**
   * Point a candidate `rev-<revision>` that exists at another digest at this push's. A candidate never changes
   * otherwise: promotion checks only which revision a candidate names.
   * @default false: refused, naming both digests
   */
  readonly replaceCandidate?: boolean;
  /**
   * Move the tags of environments that deploy on push even to a revision older than the one they hold (one the
   * environment moved past, by its lease's record or by Git's history where the tree is a checkout).
   * @default false: refused, saying which revision each holds
   */
  readonly allowOlder?: boolean;
  /** Sign the pushed artifacts, before any followed tag moves. @default - no signing */
  readonly signing?: PushSigning;
  /**
   * Runs after every artifact is uploaded (and signed) and before any followed tag moves. When it throws, no
   * followed tag moves.
   * @default - nothing
   */
  readonly beforeTagsMove?: (pushed: readonly PushedTarget[]) => Promise<void>;
  /** Public material not in the tree and the public Sigstore root, for verifying before tags move. @default - the tree's and the embedded root */
  readonly material?: VerificationMaterialOptions;
  /** How the environments' leases are taken: holder, time to live, settle time. @default - see LeaseOptions */
  readonly leaseOptions?: Partial<LeaseOptions>;
  /** The tree's folder as the command line names it, for the commands refusals suggest. @default "<dir>" */
  readonly dirName?: string;
  /** Called as the push goes. @default - nothing */
  readonly onEvent?: (event: PushEvent) => void;
}

/** A followed tag a push moved, would move, or left alone. */
export interface FollowedTag {
  /** The cluster whose tag it is. */
  readonly cluster: string;
  /** The cluster's environment. */
  readonly environment: string;
  /** `oci://<host>/<repository>` (or `oci:<folder>`). */
  readonly location: string;
  /** The tag the cluster follows. */
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
  /** The revision pushed: the commit of the fleet's repository the tree was synthesized from. */
  readonly revision: Revision;
  /** The candidate tag every cluster's config got. */
  readonly candidate: string;
  /** Each component artifact and region pushed (under its content tag). */
  readonly components: readonly PushedTarget[];
  /** Each cluster's config pushed (under the candidate tag). */
  readonly clusters: readonly PushedTarget[];
  /** The followed tag of every cluster, and what happened to it. */
  readonly followed: readonly FollowedTag[];
  /** What signing did. */
  readonly signed: readonly SignedTarget[];
  /** Pushed artifacts this signer left unsigned, because no cluster pulling them accepts it: each names who they need. */
  readonly unsigned: readonly string[];
  /** Candidates that pointed at another digest and were replaced (`replaceCandidate`). */
  readonly replaced: readonly string[];
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
 * Pushes the release a synthesized tree describes (its `release.json`), in this order:
 *
 * 1. checks that no candidate `rev-<revision>` of a cluster already points at another digest (a candidate never
 *    changes: refused, naming both digests, unless `replaceCandidate`), and that every component folder still packs to
 *    the digest the clusters pin;
 * 2. every component artifact (`artifacts/<name>/`) to every region with a cluster that uses it, under its content tag;
 * 3. every cluster's config (`clusters/<name>/`) to its region, under the candidate tag `rev-<revision>`;
 * 4. with `signing`, signs what it pushed (each artifact only for a signer a cluster pulling it accepts);
 * 5. then, only when everything above succeeded, for the environments that deploy on push (never production's):
 *    takes each environment's lease, refuses a revision the environment moved past (unless `allowOlder`), checks that
 *    each cluster would accept its candidate (it verifies with the cluster's identity, and every source it pins
 *    resolves in its region and verifies: see {@link ReleaseChecker}; registries only, as an OCI layout holds no
 *    signatures), and moves the tags, each read again just before it moves. A refusal moves none of them.
 *
 * Blobs go first, each skipped when the destination holds it (or mounted from another repository of the registry);
 * manifests and tags last, so a failed push leaves no tag pointing at missing content.
 */
export async function pushRelease(dir: string, release: ReleaseManifest, options: ReleasePushOptions): Promise<ReleasePushReport> {
  const candidate = candidateTag(options.revision);
  const dirName = options.dirName ?? '<dir>';
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
  for (const name of options.environments ?? []) {
    const env = envs.get(name);
    if (!env) problems.push(`environment ${JSON.stringify(name)} is not in release.json; it has ${[...envs.keys()].join(', ')}`);
    else if (env.production || !env.deployOnPush) problems.push(`environment ${name} does not deploy on push: its tags move by promotion (flux-fleet promote)`);
  }
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

  const limit = options.concurrency ?? 4;
  const replaced = await checkCandidates(clusterJobs, options, limit, dirName);

  const emit = options.onEvent ?? (() => undefined);
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
        const result = pushedTarget(job.name, location, job, r, [job.tag]);
        out[i] = result;
        emit({ type: 'done', artifact: job.name, location, result });
      } catch (e) {
        const error = e instanceof Error ? e : new DeliveryError(String(e));
        failed.push({ artifact: job.name, location, error });
        emit({ type: 'failed', artifact: job.name, location, error });
      }
    });
    return out.filter((r) => r !== undefined);
  };
  const report = (parts: Partial<ReleasePushReport>): ReleasePushReport => ({
    revision: options.revision,
    candidate,
    components: [],
    clusters: [],
    followed: [],
    signed: [],
    unsigned: [],
    replaced,
    failed,
    dryRun: options.dryRun === true,
    ...parts,
  });

  const components = await pushAll(jobs);
  if (failed.length > 0) {
    // The clusters' configs pin this content: pushing them now would leave candidates that cannot be reconciled.
    for (const job of clusterJobs) {
      failed.push({ artifact: job.name, location: options.destinations.store(job.url).location, error: new DeliveryError('not pushed: a component artifact it uses failed to push') });
    }
    return report({ components });
  }
  const clusters = await pushAll(clusterJobs);
  const byName = new Map(clusterJobs.map((j) => [j.name, j]));
  const held: FollowedTag[] = [];
  const movable = new Map<string, Array<{ job: Job; entry: Omit<FollowedTag, 'action'> }>>();
  for (const c of release.clusters) {
    // A cluster following a semver range has no tag to move: its candidate is all a push gives it.
    if (c.tag === undefined) continue;
    const job = byName.get(c.name)!;
    const location = options.destinations.store(c.url).location;
    const entry = { cluster: c.name, environment: c.environment, location, tag: c.tag, digest: job.packed.digest };
    const env = envs.get(c.environment);
    const chosen = options.environments === undefined || options.environments.includes(c.environment);
    if (!env || env.production || !env.deployOnPush || options.holdTags || !chosen) held.push({ ...entry, action: 'held' });
    else movable.set(c.environment, [...(movable.get(c.environment) ?? []), { job, entry }]);
  }
  const holdAll = (error?: Error): FollowedTag[] => {
    const all = [...held, ...[...movable.values()].flat().map((m) => ({ ...m.entry, action: 'held' as const }))];
    if (error) for (const m of [...movable.values()].flat()) failed.push({ artifact: m.job.name, location: m.entry.location, error });
    return sortFollowed(all);
  };
  if (failed.length > 0) return report({ components, clusters, followed: holdAll() });

  let signed: SignedTarget[] = [];
  let unsigned: string[] = [];
  const configs = new Map<string, ClusterConfig>();
  const needConfigs = (options.signing && !options.dryRun) || movable.size > 0;
  if (needConfigs) for (const c of release.clusters) configs.set(c.name, await clusterConfigFromTree(dir, c.name));
  const verifier = new ReleaseVerifier(options.destinations, options.material);
  if (options.signing && !options.dryRun) {
    ({ signed, unsigned } = await signPushed([...components, ...clusters], release, configs, verifier, options.destinations, options.signing));
  }
  try {
    if (options.beforeTagsMove && !options.dryRun) await options.beforeTagsMove([...components, ...clusters]);
  } catch (e) {
    return report({ components, clusters, signed, unsigned, followed: holdAll(new DeliveryError(`its tag was not moved: ${(e as Error).message}`, { cause: e })) });
  }
  if (movable.size === 0) return report({ components, clusters, signed, unsigned, followed: sortFollowed(held) });

  // Each environment whose tags move, under its lease: checked, then moved; a refusal moves none of its tags.
  const followed: FollowedTag[] = [...held];
  const leases: EnvironmentLease[] = [];
  try {
    const refusals: string[] = [];
    const plans: Array<{ environment: string; lease?: EnvironmentLease; moves: Array<{ job: Job; entry: Omit<FollowedTag, 'action'>; current?: FetchedManifest }> }> = [];
    for (const [environment, list] of [...movable].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const lease = options.dryRun ? undefined : await acquireEnvironmentLease(options.destinations, release, environment, {
        purpose: `push ${options.revision.annotation} to ${environment}`, ...options.leaseOptions,
      });
      if (lease) leases.push(lease);
      const moves = await Promise.all(list.map(async (m) => ({
        ...m, current: await options.destinations.store(m.job.url).fetchManifest(m.entry.tag),
      })));
      const older = await olderRevision(environment, options.revision, lease, moves.map((m) => m.current), dir);
      if (older && !options.allowOlder) {
        refusals.push(`${older}; pushing it would roll ${environment} back. To restore its candidates alone: flux-fleet push ${dirName} --registry --revision ${options.revision.annotation} --hold-tags; to roll ${environment} back on purpose, add --allow-older`);
      }
      plans.push({ environment, ...(lease ? { lease } : {}), moves });
    }
    if (!options.destinations.isLayout && !options.dryRun) {
      const checker = new ReleaseChecker(options.destinations, verifier);
      for (const { environment, moves } of plans) {
        const found: DanglingReference[] = [];
        await runBounded(moves.length, limit, async (i) => {
          const m = moves[i];
          if (m.current?.digest === m.job.packed.digest) return;
          const check = await checker.cluster(release.clusters.find((c) => c.name === m.job.name)!, m.job.packed.digest);
          found.push(...check.problems);
        });
        if (found.length > 0) {
          const fixes = [
            ...(found.some((p) => p.expected === undefined) ? [`publish what ${environment} pulls (the references above that do not resolve)`] : []),
            ...(found.some((p) => p.expected !== undefined)
              ? [`sign as the signer ${environment} verifies (the "accepts" above): its release workflow does (flux-fleet workflow), or push with --sign and that signer (--key <file> for a key; keyless from its CI)`]
              : []),
          ];
          refusals.push(`${environment}'s clusters would refuse revision ${options.revision.annotation}:\n${found.map(formatProblem).sort().join('\n')}\n`
            + `${fixes.join(', and ')}, then push again`);
        }
      }
    }
    if (refusals.length > 0) {
      throw new PushRefusedError(`push refused before moving any followed tag (the components and candidates ${options.dryRun ? 'would be' : 'are'} pushed; no cluster follows them yet)`, refusals);
    }
    for (const { environment, lease, moves } of plans) {
      const entries = moves.map((m) => ({
        ...m.entry,
        ...(m.current ? { previous: m.current.digest } : {}),
        action: (m.current?.digest === m.job.packed.digest ? 'unchanged' : options.dryRun ? 'would-move' : 'moved') as FollowedTag['action'],
      }));
      if (!options.dryRun) {
        await moveTags(moves.filter((m) => m.current?.digest !== m.job.packed.digest).map((m) => ({
          cluster: m.job.name,
          store: options.destinations.store(m.job.url),
          tag: m.entry.tag,
          ...(m.current ? { expected: m.current.digest } : {}),
          digest: m.job.packed.digest,
          bytes: m.job.packed.manifestBytes,
          mediaType: m.job.packed.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
        })), { lease, concurrency: limit, what: `moving ${environment}'s tags to ${options.revision.annotation}`, finish: 'push again to finish: every tag is checked again' });
        lease?.noteDeployed(options.revision.annotation, 'push');
      }
      followed.push(...entries);
    }
  } finally {
    for (const lease of leases) await lease.release();
  }
  return report({ components, clusters, signed, unsigned, followed: sortFollowed(followed) });
}

/** Refuses a candidate that would change (unless replaced on purpose); returns the candidates replaced. */
async function checkCandidates(jobs: readonly Job[], options: ReleasePushOptions, limit: number, dirName: string): Promise<string[]> {
  const changed: Array<{ job: Job; location: string; was: string }> = [];
  await runBounded(jobs.length, limit, async (i) => {
    const job = jobs[i];
    const store = options.destinations.store(job.url);
    const existing = await store.fetchManifest(job.tag);
    if (existing && existing.digest !== job.packed.digest) changed.push({ job, location: store.location, was: existing.digest });
  });
  changed.sort((a, b) => (a.job.name < b.job.name ? -1 : 1));
  if (changed.length > 0 && !options.replaceCandidate) {
    throw new PushRefusedError(`push refused, nothing was pushed: a candidate never changes, and ${changed.length === 1 ? 'one' : changed.length} would`, [
      ...changed.map((c) => `${c.job.name}: ${c.location}:${c.job.tag} is ${c.was}; this tree would make it ${c.job.packed.digest}`),
      `the tree in ${dirName} is not the one revision ${options.revision.annotation} was pushed from: push it as another revision, or add --replace-candidate to replace these candidates on purpose (promotion then ships the new ones)`,
    ]);
  }
  return changed.map((c) => `${c.location}:${c.job.tag} (was ${c.was}, now ${c.job.packed.digest})`);
}

/**
 * Why `revision` is older than what `environment` holds, when it is: the environment's lease record lists it before
 * another revision it moved to since, or (in a Git checkout) it is an ancestor of the commit a followed tag holds.
 */
async function olderRevision(
  environment: string, revision: Revision, lease: EnvironmentLease | undefined, current: ReadonlyArray<FetchedManifest | undefined>, dir: string,
): Promise<string | undefined> {
  const idOf = (annotation: string): string | undefined => {
    try {
      return parseRevision(annotation).id;
    } catch {
      return undefined;
    }
  };
  const history = lease?.history ?? [];
  const mine = history.map((h) => idOf(h.revision)).lastIndexOf(revision.id);
  const later = mine >= 0 ? history.slice(mine + 1).find((h) => idOf(h.revision) !== revision.id) : undefined;
  if (later) return `${environment} moved past revision ${revision.annotation} to ${later.revision} (${later.by}, ${later.at})`;
  if (!/^[0-9a-f]{40}$/.test(revision.id)) return undefined;
  for (const held of new Set(current.map((m) => (m ? revisionAnnotationOf(m.bytes) : undefined)).filter((r): r is string => r !== undefined))) {
    const heldId = idOf(held);
    if (!heldId || heldId === revision.id || !/^[0-9a-f]{40}$/.test(heldId)) continue;
    try {
      await run('git', ['-C', dir, 'merge-base', '--is-ancestor', revision.id, heldId], { timeout: 10_000 });
      return `${environment} holds ${held}, whose history contains revision ${revision.annotation}`;
    } catch {
      // Not an ancestor, or Git cannot tell (no checkout, a shallow clone): not known to be older.
    }
  }
  return undefined;
}


/**
 * Signs pushed copies (registries only): each for which some cluster pulling it accepts the signer, or that no cluster
 * verifies; the others are returned as unsigned, each with the signers its clusters accept.
 */
async function signPushed(
  pushed: readonly PushedTarget[], release: ReleaseManifest, configs: ReadonlyMap<string, ClusterConfig>, verifier: ReleaseVerifier,
  destinations: Destinations, signing: PushSigning,
): Promise<{ signed: SignedTarget[]; unsigned: string[] }> {
  // What each pulled URL must verify with: a candidate, its cluster's sync identity; a component, its sources'.
  const expected = new Map<string, ExpectedSigner[]>();
  const add = (url: string, e: ExpectedSigner | undefined): void => {
    if (e) expected.set(url, [...(expected.get(url) ?? []), e]);
  };
  for (const c of release.clusters) {
    const config = configs.get(c.name)!;
    for (const s of config.sources) {
      const url = s.sync ? c.url : s.url;
      add(url, await verifier.expected(config, s));
    }
  }
  const targets: SignTarget[] = [];
  const unsigned: string[] = [];
  for (const p of pushed.filter((x) => x.location.startsWith('oci://'))) {
    const wants = expected.get(p.url) ?? [];
    if (wants.length > 0 && !wants.some((e) => accepts(e, signing.signer))) {
      unsigned.push(`${p.url}@${p.digest} (its clusters accept ${[...new Set(wants.map((e) => e.description))].join(', or ')})`);
      continue;
    }
    targets.push({ repository: destinations.store(p.url) as RegistryRepository, host: parseRegistryReference(p.url).host, reference: p.digest });
  }
  return { signed: targets.length === 0 ? [] : await signArtifacts(targets, signing.options), unsigned: [...new Set(unsigned)].sort() };
}

/** Whether a cluster expecting `e` would accept what `signer` signs; true when that cannot be told before signing. */
function accepts(e: ExpectedSigner, signer: PushSigner): boolean {
  if (e.kind !== 'policy') return false;
  if (signer.kind === 'key') return e.policy.kind === 'key' && e.policy.keys.some((k) => publicKeyHint(k) === publicKeyHint(signer.publicKey));
  if (e.policy.kind !== 'keyless') return false;
  const id = signer.identity;
  return id === undefined || e.policy.identities.some((m) => goRegex(m.issuer).test(id.issuer) && goRegex(m.subject).test(id.subject));
}

function sortFollowed(list: FollowedTag[]): FollowedTag[] {
  return list.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}

/** What a push to one destination did: the digest, its tags and the blobs sent. */
export type PushOutcome = Pick<PushedTarget, 'digest' | 'tags' | 'uploaded' | 'mounted' | 'existing' | 'bytesUploaded'>;

/** The report of pushing `artifact` to `location` (`target`'s URL and region). */
export function pushedTarget(
  artifact: string, location: string, target: { readonly url: string; readonly region?: string }, outcome: PushOutcome, movedTags?: readonly string[],
): PushedTarget {
  return {
    artifact,
    location,
    url: target.url,
    ...(target.region ? { region: target.region } : {}),
    digest: outcome.digest,
    tags: outcome.tags,
    ...(movedTags ? { movedTags } : {}),
    uploaded: outcome.uploaded,
    mounted: outcome.mounted,
    existing: outcome.existing,
    bytesUploaded: outcome.bytesUploaded,
  };
}

/** A push that sends nothing: `existing` blobs were there already (a dry run counts none). */
function unsent(digest: string, tag: string, existing: number): PushOutcome {
  return { digest, tags: [tag], uploaded: 0, mounted: 0, existing, bytesUploaded: 0 };
}
