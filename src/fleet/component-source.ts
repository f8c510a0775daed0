import type { PullCredentials } from './pull-credentials.js';
import type { Signing } from './signing.js';
import type { ArtifactRef, PerCluster } from './source-ref.js';

/** Options of {@link ComponentSource.folder}. */
export interface FolderSourceOptions {
  /**
   * The artifact's name: its folder in the output tree (`artifacts/<name>/`) and its repository path in each region's
   * registry (`oci://<host>/<repository>/<name>`). Lowercase letters, digits, `.`, `_` and `-`.
   * @default - the folder's own name, e.g. `infra` for `./infra`
   */
  readonly name?: string;
  /**
   * The name of the OCIRepository each cluster pulls the artifact with, e.g. the name a running cluster already knows
   * its source by, so that a cut-over keeps it rather than pruning and recreating it.
   * @default - the artifact's name
   */
  readonly sourceName?: string;
}

/** Options of {@link ComponentSource.artifact} and {@link ComponentSource.mirroredArtifact}. */
export interface ArtifactSourceOptions {
  /**
   * Which revision to pull: a tag, a semver range or a digest, the same for every cluster or computed from each
   * (e.g. `(c) => c.production ? { digest: 'sha256:...' } : { tag: 'main' }`). On production clusters a tag or a range
   * is pulled at the digest the fleet's lock records for it (`flux-fleet lock`), unless `floating` is true.
   */
  readonly ref: PerCluster<ArtifactRef>;
  /**
   * Who signs the artifact; clusters verify it. Production requires one unless `Signing.none()` says so explicitly.
   * The same on every cluster, or computed from each, e.g. staging verifying the main branch's workflow and
   * production the release workflow on tags: `(c) => c.production ? Signing.githubActions({ ..., ref: 'refs/tags/v*' }) : Signing.githubActions({ ... })`.
   * @default - the component's signing, else its tenant's; for a mirrored artifact, else the environment's; for an
   *   artifact at another URL, none
   */
  readonly signing?: PerCluster<Signing>;
  /**
   * How clusters authenticate when they pull it: a pull secret, a service account with `imagePullSecrets`, or the
   * cloud's workload identity, the same on every cluster or computed from each.
   * @default - the tenant's pull credentials; else, for a mirrored artifact, the fleet's registry's (its pull secret or
   *   workload identity), and for an artifact at another URL, anonymous pulls
   */
  readonly pullCredentials?: PerCluster<PullCredentials>;
  /**
   * The name of the OCIRepository each cluster pulls it with, e.g. the name a running cluster already knows its source
   * by (`apps`, `infra`), so that a cut-over keeps it rather than pruning and recreating it.
   * @default - for a mirrored artifact, its repository path (`apps/web` gives `apps-web`); for an artifact at another
   *   URL, the name of the first component reading it
   */
  readonly sourceName?: string;
  /**
   * Let production clusters follow the tag or range upstream rather than the digest the lock resolved, knowing that a
   * new upstream release (or a re-tag) then reaches every wave within one source interval, whatever the promotion state.
   * @default false - production pulls the digest the fleet's lock records, and synth fails when the lock has none
   */
  readonly floating?: boolean;
}

/** Options of {@link ComponentSource.mirroredArtifact}. */
export interface MirroredArtifactSourceOptions extends ArtifactSourceOptions {
  /**
   * The repository path of the copy in each region's registry, e.g. `apps/web-shop`.
   * @default - the last segment of the upstream URL, e.g. `web-shop` for `oci://ghcr.io/acme/web-shop`
   */
  readonly repository?: string;
}

/** The kind of a {@link ComponentSource}. */
export type ComponentSourceKind = 'folder' | 'artifact';

/**
 * Where a kustomize component's content comes from:
 *
 * - `ComponentSource.folder('./infra')`: a folder of the fleet repository. Synth packs it reproducibly as a Flux
 *   artifact, copies it to `artifacts/<name>/` of the output, and pins every cluster to its digest: the cluster's own
 *   config artifact then decides which revision it runs, so promoting that moves the component too.
 * - `ComponentSource.artifact('oci://ghcr.io/acme/app', { ref })`: an artifact another pipeline pushes, pulled from
 *   that URL by every cluster.
 * - `ComponentSource.mirroredArtifact('oci://ghcr.io/acme/app', { ref })`: the same, copied into the fleet's registry
 *   in each region, where the clusters of that region pull it.
 */
export class ComponentSource {
  /**
   * A folder of the fleet repository, relative to the fleet's `baseDir` (by default the working directory when the
   * fleet was created), or absolute. It holds regular files and folders only; its digest depends on their paths and
   * bytes alone (file modes are normalised), so the same content always gives the same digest. Components reading
   * the same folder (with different `path`s) share one artifact.
   */
  public static folder(folder: string, options: FolderSourceOptions = {}): ComponentSource {
    return new ComponentSource('folder', folder, options);
  }

  /**
   * An artifact another pipeline pushes (an application repository's CI, say) to `url` (`oci://...`, without tag or
   * digest); every cluster pulls it from there.
   */
  public static artifact(url: string, options: ArtifactSourceOptions): ComponentSource {
    return new ComponentSource('artifact', url, options, false);
  }

  /**
   * An artifact another pipeline publishes at `upstream` (`oci://...`), mirrored into the fleet's registry: each
   * cluster pulls the copy in its own region, `registry.urlFor(region, repository)`.
   */
  public static mirroredArtifact(upstream: string, options: MirroredArtifactSourceOptions): ComponentSource {
    return new ComponentSource('artifact', upstream, options, true);
  }

  private constructor(
    /** `folder` for content synth packs, `artifact` for content another pipeline pushes. */
    public readonly kind: ComponentSourceKind,
    /** The folder (as given), or the artifact's URL (for a mirrored artifact, its upstream). */
    public readonly location: string,
    /** The options, as given. */
    public readonly options: FolderSourceOptions | ArtifactSourceOptions | MirroredArtifactSourceOptions,
    /** Whether clusters pull a copy in their own region's registry. */
    public readonly mirrored: boolean = kind === 'folder',
  ) {}

  /** The options of an artifact source; undefined for a folder. */
  public get artifactOptions(): MirroredArtifactSourceOptions | undefined {
    return this.kind === 'artifact' ? this.options as MirroredArtifactSourceOptions : undefined;
  }

  /** The repository path of a mirrored artifact's copy in each region's registry; undefined otherwise. */
  public get mirrorRepository(): string | undefined {
    if (this.kind !== 'artifact' || !this.mirrored) return undefined;
    return (this.options as MirroredArtifactSourceOptions).repository ?? lastSegment(this.location);
  }
}

function lastSegment(url: string): string {
  return url.replace(/[/]+$/, '').split('/').pop() ?? '';
}
