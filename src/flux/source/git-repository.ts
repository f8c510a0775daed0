import { Construct } from 'constructs';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** Who authenticates to the Git server: `generic` uses `secretRef`; the others a cloud or GitHub App identity. */
export type GitRepositoryProvider = 'generic' | 'aws' | 'azure' | 'github';

/**
 * Which revision to check out. Later fields win over earlier ones: `commit` > `name` > `semver` > `tag` > `branch`;
 * only `branch` and `commit` make sense together (a shallow clone of the branch, pinned to the commit).
 */
export interface GitRepositoryRef {
  /** A branch. @default "master" when no other field is set */
  readonly branch?: string;
  /** A tag. @default - none */
  readonly tag?: string;
  /** A semver range (Masterminds syntax) over the repository's tags; the highest match is checked out. @default - none */
  readonly semver?: string;
  /** A full Git reference, e.g. `refs/heads/main`, `refs/tags/v1.0.0` or `refs/pull/42/head`. @default - none */
  readonly name?: string;
  /** A full commit SHA (40 hex digits, or 64 for SHA-256 repositories). @default - the head of the branch, tag or reference */
  readonly commit?: string;
}

/** Another GitRepository whose artifact is copied into this one's. */
export interface GitRepositoryInclude {
  /** The GitRepository to include; it must be in the same namespace. */
  readonly repository: IGitRepository;
  /** The folder of the included artifact to copy, relative. @default - the artifact root */
  readonly fromPath?: string;
  /** Where to copy it in this artifact, relative. @default - a folder named after the included GitRepository */
  readonly toPath?: string;
}

/** Which Git objects must carry a trusted signature. */
export type GitVerificationMode = 'HEAD' | 'Tag' | 'TagAndHEAD';

/** Commit or tag signature verification. */
export interface GitRepositoryVerification {
  /**
   * What to verify: the checked-out commit (`HEAD`), the tag object (`Tag`, needs a tag, semver or `refs/tags/`
   * reference), or both (`TagAndHEAD`).
   * @default "HEAD"
   */
  readonly mode?: GitVerificationMode;
  /** The Secret with the trusted authors' public keys (PGP `*.asc`, SSH `*.sshpub`). */
  readonly secretRef: SecretReference;
}

/** Props of a {@link GitRepository}. */
export interface GitRepositoryProps extends FluxObjectProps {
  /** The repository: `https://`, `http://` or `ssh://` (the scp-like `git@host:path` form is not accepted). */
  readonly url: string;
  /** Which revision to check out. @default - the branch `master` (Flux's default; set it if yours is `main`) */
  readonly ref?: GitRepositoryRef;
  /** How often to look for a new revision. @default 5m */
  readonly interval?: FluxDuration;
  /**
   * A Secret with the credentials: `username`/`password` or `bearerToken` over HTTPS, `identity`/`known_hosts`
   * over SSH, or the GitHub App keys with provider `github`.
   * @default - anonymous access, or the `provider` identity
   */
  readonly secretRef?: SecretReference;
  /** Authenticate with this cloud's workload identity, or as a GitHub App. @default "generic" (secretRef or anonymous) */
  readonly provider?: GitRepositoryProvider;
  /**
   * A service account whose workload identity authenticates (providers `azure` and `aws`).
   * @default - the source-controller's identity
   */
  readonly serviceAccountName?: string;
  /** Timeout of Git operations such as cloning; no hours. @default 60s */
  readonly timeout?: FluxDuration;
  /** Files to leave out of the artifact, in .gitignore format. @default - Flux's default exclusions */
  readonly ignore?: string;
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
  /** Initialise the repository's submodules. @default false */
  readonly recurseSubmodules?: boolean;
  /** Other GitRepositories whose artifacts are copied into this one. @default - none */
  readonly include?: GitRepositoryInclude[];
  /** Signature verification. @default - none */
  readonly verify?: GitRepositoryVerification;
  /** A Secret with the proxy `address` (and `username`, `password`). @default - no proxy, or the controller's */
  readonly proxySecretRef?: SecretReference;
  /** Check out only these folders, relative to the repository root. @default - the whole repository */
  readonly sparseCheckout?: string[];
}

/** A GitRepository, as other objects may reference it. */
export interface IGitRepository extends IFluxObject {
  readonly kind: 'GitRepository';
}

/** A GitRepository (`source.toolkit.fluxcd.io/v1`): a Git revision, cloned by Flux into an artifact. */
export class GitRepository extends FluxObject implements IGitRepository {
  /** References a GitRepository managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IGitRepository {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.source, kind: 'GitRepository', name, namespace: options.namespace }) as IGitRepository;
  }

  declare public readonly kind: 'GitRepository';

  /** The props, as given. */
  public readonly props: GitRepositoryProps;

  public constructor(scope: Construct, id: string, props: GitRepositoryProps) {
    super(scope, id, props, { apiVersion: API_VERSION.source, kind: 'GitRepository' });
    this.props = props;
  }

  public references(): FluxReference[] {
    return (this.props.include ?? []).map((inc, i): FluxReference => ({
      field: `spec.include[${i}].repository`,
      target: inc.repository,
      kinds: ['GitRepository'],
      source: true,
    }));
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      url: p.url,
      interval: renderDuration(p.interval ?? '5m'),
      ...(p.ref ? { ref: { branch: p.ref.branch, tag: p.ref.tag, semver: p.ref.semver, name: p.ref.name, commit: p.ref.commit } } : {}),
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      provider: p.provider,
      serviceAccountName: p.serviceAccountName,
      timeout: renderOptionalDuration(p.timeout),
      ignore: p.ignore,
      suspend: p.suspend,
      recurseSubmodules: p.recurseSubmodules,
      include: p.include?.map((inc) => ({
        repository: renderRef(this, inc.repository, false) as { name: string },
        fromPath: inc.fromPath,
        toPath: inc.toPath,
      })),
      verify: p.verify ? { mode: p.verify.mode, secretRef: { name: p.verify.secretRef.name } } : undefined,
      proxySecretRef: p.proxySecretRef ? { name: p.proxySecretRef.name } : undefined,
      sparseCheckout: p.sparseCheckout ? [...p.sparseCheckout] : undefined,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    if (/^[^/:@\s]+@[^/:\s]+:/.test(p.url)) {
      c.add(`spec.url ${q(p.url)} is in the scp-like form, which Flux does not accept; use ${q(scpToSsh(p.url))}`);
    } else {
      c.url('spec.url', p.url, ['http', 'https', 'ssh']);
    }
    c.duration('spec.interval', p.interval);
    c.duration('spec.timeout', p.timeout, { hours: false });
    c.oneOf('spec.provider', p.provider, ['generic', 'aws', 'azure', 'github']);
    if (p.provider !== undefined && p.provider !== 'generic' && !/^https:\/\//i.test(p.url)) {
      c.add(`spec.url ${q(p.url)} must start with https:// with provider ${q(p.provider)}, which authenticates over HTTPS only`);
    }
    if (p.provider === 'github' && !p.secretRef) {
      c.add('spec.secretRef is required with provider "github": it holds the GitHub App ID, installation ID and private key');
    }
    if (p.serviceAccountName !== undefined && p.provider !== 'azure' && p.provider !== 'aws') {
      c.add(`spec.serviceAccountName ${q(p.serviceAccountName)} needs provider "azure" or "aws" (got ${q(p.provider ?? 'generic')}); set the provider or drop it`);
    }
    c.dnsName('spec.serviceAccountName', p.serviceAccountName);
    if (p.ref) this.validateRef(c, p.ref);
    if (p.verify) {
      c.oneOf('spec.verify.mode', p.verify.mode, ['HEAD', 'Tag', 'TagAndHEAD']);
      const mode = p.verify.mode;
      if ((mode === 'Tag' || mode === 'TagAndHEAD') && !refPointsAtTag(p.ref)) {
        c.add(`spec.verify.mode ${q(mode)} verifies a tag, but spec.ref names none; set spec.ref.tag, spec.ref.semver or a "refs/tags/..." spec.ref.name, or use mode "HEAD"`);
      }
    }
    p.include?.forEach((inc, i) => {
      if (inc.repository === this) {
        c.add(`spec.include[${i}].repository is this GitRepository itself; include another repository`);
      } else if (inc.repository.namespace !== this.namespace) {
        c.add(`spec.include[${i}].repository refers to GitRepository ${inc.repository.namespace}/${inc.repository.name}, but includes must be in the same namespace (${this.namespace})`);
      }
      c.relativePath(`spec.include[${i}].fromPath`, inc.fromPath);
      c.relativePath(`spec.include[${i}].toPath`, inc.toPath);
    });
    p.sparseCheckout?.forEach((dir, i) => c.relativePath(`spec.sparseCheckout[${i}]`, dir));
  }

  private validateRef(c: Checks, ref: GitRepositoryRef): void {
    const set = REF_PRECEDENCE.filter((k) => ref[k] !== undefined);
    if (set.length > 1) {
      const winner = set[set.length - 1];
      c.add(`spec.ref sets ${set.map((k) => `${k} ${q(ref[k])}`).join(' and ')}, but Flux uses only ${winner} (${set.slice().reverse().join(' > ')}); set only one`);
    }
    if (ref.commit !== undefined) {
      if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(ref.commit)) {
        c.add(`spec.ref.commit ${q(ref.commit)} is not a full commit SHA; use the 40 lowercase hex digits (64 for SHA-256 repositories), e.g. from "git rev-parse HEAD"`);
      }
      const ignored = (['tag', 'semver', 'name'] as const).filter((k) => ref[k] !== undefined);
      if (ignored.length > 0) {
        c.add(`spec.ref.commit takes precedence over ${ignored.map((k) => `spec.ref.${k}`).join(' and ')}, which would be ignored; combine commit with branch only`);
      }
    }
    c.semverRange('spec.ref.semver', ref.semver);
    if (ref.name !== undefined && !isFullGitRef(ref.name)) {
      const short = ref.name.replace(/^\/+/, '');
      c.add(`spec.ref.name ${q(ref.name)} is not a full Git reference; use e.g. ${q(`refs/heads/${short}`)} or ${q(`refs/tags/${short}`)} (or spec.ref.branch / spec.ref.tag)`);
    }
  }
}

/** The ref fields that name what to check out, lowest precedence first (commit pins any of them). */
const REF_PRECEDENCE = ['branch', 'tag', 'semver', 'name'] as const;

/** Whether the ref checks out a tag, so that a tag signature can be verified. */
function refPointsAtTag(ref: GitRepositoryRef | undefined): boolean {
  if (!ref) return false;
  return ref.tag !== undefined || ref.semver !== undefined || (ref.name?.startsWith('refs/tags/') ?? false);
}

/** A full Git reference that `git check-ref-format` accepts, under `refs/`. */
function isFullGitRef(name: string): boolean {
  if (!name.startsWith('refs/') || name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock')) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (/[\s~^:?*[\\]/.test(name) || [...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.'));
}

/** `git@host:org/repo.git` → `ssh://git@host/org/repo.git`. */
function scpToSsh(url: string): string {
  const at = url.indexOf('@');
  const colon = url.indexOf(':', at);
  return `ssh://${url.slice(0, colon)}/${url.slice(colon + 1).replace(/^\/+/, '')}`;
}
