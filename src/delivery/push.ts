import type { DeliveryArtifact } from './artifacts.js';
import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { isTag } from './oci/reference.js';
import type { BlobOutcome } from './oci/store.js';
import { pushArtifact } from './oci/store.js';
import { packArtifact, type ArtifactMetadata, type PackedArtifact } from '../flux/artifact/artifact.js';

/** Options of {@link pushArtifacts}. */
export interface PushOptions {
  /** Where artifacts go: registries or OCI image layout folders. */
  readonly destinations: Destinations;
  /** The created, source and revision annotations. @default - created 1970-01-01T00:00:00Z, no source or revision */
  readonly metadata?: ArtifactMetadata;
  /**
   * The tags to put on every artifact, instead of the tag each target's consumers follow.
   * @default - each target's own tag (the cluster's channel or wave tag)
   */
  readonly tags?: readonly string[];
  /** Also put these tags on every artifact, besides its own. @default - none */
  readonly extraTags?: readonly string[];
  /** How many artifacts are pushed at once. @default 4 */
  readonly concurrency?: number;
  /** Called as the push goes. @default - nothing */
  readonly onEvent?: (event: PushEvent) => void;
}

/** Progress of a push, per artifact and destination. */
export type PushEvent =
  | { readonly type: 'start'; readonly artifact: string; readonly location: string; readonly tags: readonly string[]; readonly size: number }
  | { readonly type: 'blob'; readonly artifact: string; readonly location: string; readonly blob: 'config' | 'layer'; readonly outcome: BlobOutcome; readonly size: number }
  | { readonly type: 'done'; readonly artifact: string; readonly location: string; readonly result: PushedTarget }
  | { readonly type: 'failed'; readonly artifact: string; readonly location: string; readonly error: Error };

/** An artifact pushed to one destination. */
export interface PushedTarget {
  /** The artifact's name (the cluster's). */
  readonly artifact: string;
  /** `oci://<host>/<repository>` (or `oci:<folder>` for a layout). */
  readonly location: string;
  /** The URL the artifact's consumers pull, `oci://<host>/<repository>`. */
  readonly url: string;
  readonly region?: string;
  readonly digest: string;
  readonly tags: readonly string[];
  /** Of `tags`, those that were missing or pointed at another digest before. @default - not known: all of `tags` */
  readonly movedTags?: readonly string[];
  /** Blobs sent. */
  readonly uploaded: number;
  /** Blobs mounted from another repository of the registry. */
  readonly mounted: number;
  /** Blobs the destination held already. */
  readonly existing: number;
  readonly bytesUploaded: number;
}

/** What {@link pushArtifacts} did. */
export interface PushReport {
  /** Each artifact and destination pushed, in the artifacts' order. */
  readonly pushed: readonly PushedTarget[];
  /** Each that failed, with the error. No tag was moved for them. */
  readonly failed: ReadonlyArray<{ readonly artifact: string; readonly location: string; readonly error: Error }>;
}

/**
 * Packs every artifact (once) and pushes it to each of its targets, a bounded number at a time. For each target the
 * blobs go first, each skipped when the destination holds it already, and the tags are set last, so a failed push
 * leaves no tag pointing at missing blobs. A failure does not stop the other pushes; the report lists it.
 */
export async function pushArtifacts(artifacts: readonly DeliveryArtifact[], options: PushOptions): Promise<PushReport> {
  for (const tag of [...(options.tags ?? []), ...(options.extraTags ?? [])]) {
    if (!isTag(tag)) throw new Error(`tag ${JSON.stringify(tag)} is not an OCI tag: letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 128 characters`);
  }
  const packed = new Map<DeliveryArtifact, PackedArtifact>();
  for (const a of artifacts) packed.set(a, packArtifact(a.files, options.metadata));
  const jobs = artifacts.flatMap((artifact) => artifact.targets.map((target) => ({ artifact, target })));
  const results: Array<PushedTarget | { artifact: string; location: string; error: Error }> = new Array(jobs.length);
  const emit = options.onEvent ?? (() => undefined);

  await runBounded(jobs.length, options.concurrency ?? 4, async (i) => {
    const { artifact, target } = jobs[i];
    const p = packed.get(artifact)!;
    const tags = [...new Set([...(options.tags ?? [target.tag, ...(target.alsoTags ?? [])]), ...(options.extraTags ?? [])])];
    const store = options.destinations.store(target.url);
    const location = store.location;
    emit({ type: 'start', artifact: artifact.name, location, tags, size: p.layer.descriptor.size + p.config.descriptor.size });
    try {
      const before = await Promise.all(tags.map(async (t) => (await store.fetchManifest(t))?.digest));
      const r = await pushArtifact(store, p, tags, (b) => emit({ type: 'blob', artifact: artifact.name, location, blob: b.blob, outcome: b.outcome, size: b.descriptor.size }));
      const result = pushedTarget(artifact.name, location, target, r, tags.filter((_, j) => before[j] !== r.digest));
      results[i] = result;
      emit({ type: 'done', artifact: artifact.name, location, result });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      results[i] = { artifact: artifact.name, location, error };
      emit({ type: 'failed', artifact: artifact.name, location, error });
    }
  });
  return {
    pushed: results.filter((r): r is PushedTarget => !('error' in r)),
    failed: results.filter((r): r is { artifact: string; location: string; error: Error } => 'error' in r),
  };
}

/** What a push to one destination did: the digest, its tags and the blobs sent. */
export type PushOutcome = Pick<PushedTarget, 'digest' | 'tags' | 'uploaded' | 'mounted' | 'existing' | 'bytesUploaded'>;

/** The report of pushing `artifact` to `location` (`target`'s URL and region), with the tags it moved when known. */
export function pushedTarget(
  artifact: string, location: string, target: { readonly url: string; readonly region?: string }, outcome: PushOutcome,
  movedTags?: readonly string[],
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
