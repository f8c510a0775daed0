import type { DeliveryArtifact } from './artifacts.js';
import { runBounded } from './concurrency.js';
import type { Destinations } from './destinations.js';
import { isTag } from './oci/reference.js';
import type { FetchedManifest } from './oci/store.js';
import { parseManifest } from '../flux/artifact/artifact.js';
import { shortDigest } from '../flux/artifact/digest.js';
import { ANNOTATIONS } from '../flux/artifact/media-types.js';
import { ERROR_CODES, FluxFleetError } from '../flux/core/errors.js';

/** A tag to move: in a repository, point `to` at what `from` holds. */
export interface PromotionTarget {
  /** The artifact's name (the cluster's); locations of one artifact must agree on the digest. */
  readonly artifact: string;
  /** `oci://<host>/<repository>`. */
  readonly url: string;
  /** The region of that registry. @default - unknown */
  readonly region?: string;
  /** The tag to point. */
  readonly to: string;
}

/** Which clusters' tags {@link promotionTargets} moves, and to what. */
export interface PromotionSelection {
  /** Only the clusters of this environment. @default - every cluster */
  readonly environment?: string;
  /** Only the clusters of this wave. @default - every wave */
  readonly wave?: number;
  /** Only these clusters. @default - every cluster */
  readonly clusters?: readonly string[];
  /** Move this tag instead of each cluster's own tag (its channel or wave tag). @default - each cluster's own tag */
  readonly tag?: string;
}

/** The tags to move for the selected artifacts: each target's own tag, or the one asked for. */
export function promotionTargets(artifacts: readonly DeliveryArtifact[], selection: PromotionSelection = {}): PromotionTarget[] {
  const chosen = artifacts.filter((a) => (selection.environment === undefined || a.environment === selection.environment)
    && (selection.wave === undefined || a.wave === selection.wave)
    && (selection.clusters === undefined || selection.clusters.includes(a.name)));
  if (chosen.length === 0) {
    const what = [
      selection.environment !== undefined ? `environment ${JSON.stringify(selection.environment)}` : '',
      selection.wave !== undefined ? `wave ${selection.wave}` : '',
      selection.clusters !== undefined ? `clusters ${selection.clusters.join(', ')}` : '',
    ].filter(Boolean).join(', ');
    const known = [...new Set(artifacts.map((a) => a.environment).filter((e) => e !== undefined))].join(', ');
    throw new Error(`no cluster matches ${what || 'the selection'}${known ? ` (environments: ${known})` : ''}`);
  }
  return chosen.flatMap((a) => a.targets.map((t) => ({
    artifact: a.name, url: t.url, ...(t.region ? { region: t.region } : {}), to: selection.tag ?? t.tag,
  })));
}

/** Options of {@link promoteArtifacts}. */
export interface PromoteOptions {
  readonly destinations: Destinations;
  /** The tag (channel) whose digest is promoted, e.g. `latest`. */
  readonly from: string;
  /** Check everything and report what would move, moving nothing. @default false */
  readonly dryRun?: boolean;
  /** How many repositories are read or written at once. @default 4 */
  readonly concurrency?: number;
}

/** A tag moved (or left, when it already pointed there). */
export interface PromotedTag {
  readonly artifact: string;
  readonly location: string;
  readonly region?: string;
  readonly from: string;
  readonly to: string;
  readonly digest: string;
  /** What `to` pointed at before. @default - nothing: the tag is new */
  readonly previous?: string;
  /** Whether the tag moved (false when it already pointed at the digest, or on a dry run). */
  readonly moved: boolean;
}

/** What {@link promoteArtifacts} did. */
export interface PromoteReport {
  readonly tags: readonly PromotedTag[];
  /** The source revision of the promoted artifacts, from their annotation. @default - not annotated */
  readonly revision?: string;
}

/** A promotion refused before any tag moved; `problems` lists each reason. */
export class PromotionError extends FluxFleetError {
  public constructor(public readonly problems: readonly string[]) {
    super(ERROR_CODES.refused, `promotion refused, no tag was moved:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/**
 * Points each target's `to` tag at the manifest its `from` tag holds, in every region, by putting the same manifest
 * bytes under the new tag: nothing is uploaded again. Refused, with nothing moved, when a `from` tag is missing, when
 * the regions holding one artifact disagree on its digest, or when the artifacts come from different source revisions
 * (a partial push).
 */
export async function promoteArtifacts(targets: readonly PromotionTarget[], options: PromoteOptions): Promise<PromoteReport> {
  const { from } = options;
  for (const tag of [from, ...targets.map((t) => t.to)]) {
    if (!isTag(tag)) throw new Error(`tag ${JSON.stringify(tag)} is not an OCI tag`);
  }
  const limit = options.concurrency ?? 4;
  const sources: Array<{ fetched?: FetchedManifest; revision?: string; error?: string }> = new Array(targets.length);
  await runBounded(targets.length, limit, async (i) => {
    const t = targets[i];
    const store = options.destinations.store(t.url);
    try {
      const fetched = await store.fetchManifest(from);
      if (!fetched) {
        sources[i] = { error: `${t.artifact}: ${store.location} has no tag ${JSON.stringify(from)}; push it first` };
        return;
      }
      const manifest = parseManifest(fetched.bytes, `${store.location}:${from}`);
      sources[i] = { fetched, revision: manifest.annotations?.[ANNOTATIONS.revision] };
    } catch (e) {
      sources[i] = { error: `${t.artifact}: ${(e as Error).message}` };
    }
  });

  const problems = sources.flatMap((s) => (s.error ? [s.error] : []));
  const byArtifact = new Map<string, number[]>();
  targets.forEach((t, i) => byArtifact.set(t.artifact, [...(byArtifact.get(t.artifact) ?? []), i]));
  for (const [artifact, indexes] of byArtifact) {
    const held = indexes.filter((i) => sources[i].fetched);
    const digests = new Set(held.map((i) => sources[i].fetched!.digest));
    if (digests.size > 1) {
      const where = held.map((i) => `${targets[i].region ?? options.destinations.store(targets[i].url).location} has ${shortDigest(sources[i].fetched!.digest)}`).join(', ');
      problems.push(`${artifact}: the regions disagree on the digest of ${JSON.stringify(from)}: ${where}; push again so that every region holds the same artifact`);
    }
  }
  const revisions = new Map<string, string[]>();
  targets.forEach((t, i) => {
    const r = sources[i].revision;
    if (r !== undefined) revisions.set(r, [...new Set([...(revisions.get(r) ?? []), t.artifact])]);
  });
  if (revisions.size > 1) {
    problems.push(`the artifacts tagged ${JSON.stringify(from)} come from different revisions: ${[...revisions].map(([r, names]) => `${r} (${names.join(', ')})`).join('; ')}; push the whole fleet again so that they all come from one revision`);
  }
  if (problems.length > 0) throw new PromotionError(problems);

  const tags: PromotedTag[] = new Array(targets.length);
  const failures: string[] = [];
  await runBounded(targets.length, limit, async (i) => {
    const t = targets[i];
    const store = options.destinations.store(t.url);
    const source = sources[i].fetched!;
    try {
      const current = await store.fetchManifest(t.to);
      const moved = current?.digest !== source.digest && !options.dryRun;
      if (moved) await store.pushManifest(t.to, source.bytes, source.mediaType);
      tags[i] = {
        artifact: t.artifact,
        location: store.location,
        ...(t.region ? { region: t.region } : {}),
        from,
        to: t.to,
        digest: source.digest,
        ...(current ? { previous: current.digest } : {}),
        moved,
      };
    } catch (e) {
      failures.push(`${t.artifact}: ${(e as Error).message}`);
    }
  });
  if (failures.length > 0) {
    const done = tags.filter((t) => t !== undefined).map((t) => `${t.location}:${t.to}`);
    throw new Error(`promotion failed part-way; run it again to finish (it is idempotent):\n${failures.map((f) => `  ${f}`).join('\n')}`
      + (done.length > 0 ? `\nalready pointing at the promoted digest: ${done.join(', ')}` : ''));
  }
  const revision = revisions.size === 1 ? [...revisions.keys()][0] : undefined;
  return { tags, ...(revision !== undefined ? { revision } : {}) };
}
