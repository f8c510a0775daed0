import { clusterConfig, syncSource, type ClusterConfig, type ClusterSource } from './cluster-config.js';
import type { ReleaseVerifier } from './verification.js';
import { parseManifest, contentLayer, unpackLayer } from '../../flux/artifact/artifact.js';
import type { ReleaseCluster, ReleaseRef } from '../../output/release-manifest.js';
import type { Destinations } from '../destinations.js';
import { SemverRange } from '../semver.js';

/** A reference a cluster would pull that does not resolve, or whose signature the cluster would refuse. */
export interface DanglingReference {
  /** The cluster that would pull it. */
  readonly cluster: string;
  /** What declares it, or `config` for the cluster's own config artifact. */
  readonly source: string;
  /** The repository, `oci://<host>/<repository>`. */
  readonly url: string;
  /** The ref, e.g. `tag stable-wave-1`, `digest sha256:...`, `semver 6.x`. */
  readonly ref: string;
  /** What is wrong, e.g. `the tag does not exist`, or why no signature verifies. */
  readonly missing: string;
  /** The digest the ref resolves to. @default - it resolves to none */
  readonly digest?: string;
  /** The signer the cluster accepts for this source. @default - not a signature problem */
  readonly expected?: string;
  /** Who signed the signatures found. @default - not a signature problem */
  readonly found?: readonly string[];
}

/** What checking one cluster's release found. */
export interface ClusterReleaseCheck {
  /** The cluster's name. */
  readonly cluster: string;
  /** The digest of its config at the reference checked. @default - the reference does not resolve */
  readonly digest?: string;
  /** Its config read from that artifact. @default - it could not be read */
  readonly config?: ClusterConfig;
  /** The references checked: the config and each source. */
  readonly checked: readonly string[];
  /** What does not resolve or verify; empty when the cluster would run the release. */
  readonly problems: readonly DanglingReference[];
}

/** `tag x`, `semver x`, `digest x`. */
export function describeRef(ref: ReleaseRef): string {
  if ('digest' in ref) return `digest ${ref.digest}`;
  if ('semver' in ref) return `semver ${ref.semver}`;
  return `tag ${ref.tag}`;
}

/** What a ref resolves to: its digest (and the tag a semver range picked), or why it does not resolve. */
export type ResolvedReference = { readonly digest: string; readonly tag?: string } | { readonly missing: string };

/**
 * Checks, reading only, what a cluster would run: its config artifact at a reference of its repository (the tag it
 * follows, a candidate, or a digest), and every OCI source that config declares, each resolved in the registry the
 * cluster pulls from and, where the source verifies, checked with the identity the config declares for it (see
 * {@link ReleaseVerifier}). The config's own signature is checked with the verification of its sync source. Lookups
 * and signature checks are cached, so checking many clusters of a release costs one request per distinct reference.
 */
export class ReleaseChecker {
  private readonly resolved = new Map<string, Promise<ResolvedReference>>();
  private readonly configs = new Map<string, Promise<ClusterConfig | string>>();

  public constructor(private readonly destinations: Destinations, private readonly verifier: ReleaseVerifier) {}

  /**
   * Checks `cluster`'s config at `reference` (a tag, a digest, or a ref) and everything it pulls. When the config is
   * not there, the sources of `fallback` (the cluster's folder of the tree, say) are checked instead, beside that.
   */
  public async cluster(
    cluster: ReleaseCluster, reference: string | ReleaseRef, fallback?: () => Promise<ClusterConfig>,
  ): Promise<ClusterReleaseCheck> {
    const problems: DanglingReference[] = [];
    const checked: string[] = [];
    const ref: ReleaseRef = typeof reference !== 'string' ? reference : reference.startsWith('sha256:') ? { digest: reference } : { tag: reference };
    checked.push(`${cluster.url} ${describeRef(ref)}`);
    const at = await this.resolve(cluster.url, ref);
    let config: ClusterConfig | string;
    if ('missing' in at) {
      problems.push({ cluster: cluster.name, source: 'config', url: cluster.url, ref: describeRef(ref), missing: at.missing });
      if (!fallback) return { cluster: cluster.name, checked, problems };
      config = await fallback();
    } else {
      config = await this.config(cluster.name, cluster.url, at.digest);
      if (typeof config === 'string') {
        problems.push({ cluster: cluster.name, source: 'config', url: cluster.url, ref: describeRef(ref), digest: at.digest, missing: config });
        return { cluster: cluster.name, digest: at.digest, checked, problems };
      }
    }
    const sync = syncSource(config);
    if (sync && !('missing' in at)) {
      const problem = await this.signature(config, sync, cluster.url, ref, at.digest);
      if (problem) problems.push({ ...problem, source: 'config' });
    }
    for (const source of config.sources) {
      if (source === sync) continue;
      checked.push(`${source.url} ${describeRef(source.ref)}`);
      const found = await this.resolve(source.url, source.ref);
      if ('missing' in found) {
        problems.push({ cluster: cluster.name, source: source.source, url: source.url, ref: describeRef(source.ref), missing: found.missing });
        continue;
      }
      const problem = await this.signature(config, source, source.url, source.ref, found.digest, found.tag);
      if (problem) problems.push(problem);
    }
    return { cluster: cluster.name, ...('digest' in at ? { digest: at.digest } : {}), config, checked, problems };
  }

  /** A signature problem of `digest` for `source`, or undefined when the source verifies nothing or it verifies. */
  private async signature(
    config: ClusterConfig, source: ClusterSource, url: string, ref: ReleaseRef, digest: string, tag?: string,
  ): Promise<DanglingReference | undefined> {
    let check;
    try {
      check = await this.verifier.check(config, source, url, digest);
    } catch (e) {
      check = { expected: undefined, result: { verified: false as const, reason: `cannot be checked: ${(e as Error).message}`, found: [] } };
    }
    if (!check || check.result.verified) return undefined;
    const semverTag = 'semver' in ref && tag !== undefined ? ` (tag ${tag})` : '';
    return {
      cluster: config.cluster,
      source: source.source,
      url,
      ref: `${describeRef(ref)}${semverTag}`,
      digest,
      missing: check.result.reason,
      ...(check.expected ? { expected: check.expected.description } : {}),
      found: check.result.found,
    };
  }

  /** The digest a ref resolves to in the repository of `url` (a semver range to its highest matching tag). */
  public async resolve(url: string, ref: ReleaseRef): Promise<ResolvedReference> {
    const key = `${url} ${JSON.stringify(ref)}`;
    let pending = this.resolved.get(key);
    if (!pending) {
      pending = this.lookup(url, ref).catch((e: Error) => ({ missing: `cannot be checked: ${e.message}` }));
      this.resolved.set(key, pending);
    }
    return pending;
  }

  private async lookup(url: string, ref: ReleaseRef): Promise<ResolvedReference> {
    const repo = this.destinations.store(url);
    let reference: string;
    let tag: string | undefined;
    if ('semver' in ref) {
      let range: SemverRange;
      try {
        range = SemverRange.parse(ref.semver);
      } catch (e) {
        return { missing: (e as Error).message };
      }
      const tags = await repo.tags();
      const best = range.highest(tags);
      if (best === undefined) return { missing: tags.length === 0 ? 'the repository has no tag' : 'no tag matches the range' };
      reference = best;
      tag = best;
    } else {
      reference = 'digest' in ref ? ref.digest : ref.tag;
    }
    const m = await repo.fetchManifest(reference);
    if (!m) return { missing: 'digest' in ref ? 'the pinned digest is not there' : `the tag ${reference} does not exist` };
    return { digest: m.digest, ...(tag !== undefined ? { tag } : {}) };
  }

  /** The config a cluster's artifact holds, or why it cannot be read. */
  private async config(cluster: string, url: string, digest: string): Promise<ClusterConfig | string> {
    const key = `${url}@${digest}`;
    let pending = this.configs.get(key);
    if (!pending) {
      pending = (async () => {
        const store = this.destinations.store(url);
        const where = `${store.location}@${digest}`;
        try {
          const fetched = await store.fetchManifest(digest);
          if (!fetched) return `${where} is not there`;
          const layer = contentLayer(parseManifest(fetched.bytes, where), where);
          return clusterConfig(cluster, unpackLayer(await store.fetchBlob(layer), where));
        } catch (e) {
          return `its config cannot be read: ${(e as Error).message}`;
        }
      })();
      this.configs.set(key, pending);
    }
    return pending;
  }
}

/** One line for a problem: the cluster, the source, the reference and digest, and what is wrong. */
export function formatProblem(p: DanglingReference): string {
  const where = `${p.cluster} ${p.source}: ${p.url} ${p.ref}${p.digest !== undefined && !p.ref.includes(p.digest) ? ` (${p.digest})` : ''}`;
  if (p.expected === undefined) return `${where}: ${p.missing}`;
  const found = p.found && p.found.length > 0 ? p.found.join('; ') : 'no signature it reads';
  return `${where}: the cluster accepts ${p.expected}; found ${found}\n    ${p.missing.split('\n').join('\n    ')}`;
}
