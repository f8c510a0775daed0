import { ApiObject, type ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { IdentityPattern, probeIdentityPattern, UnreadablePattern } from './identity-pattern.js';
import type { SecretReference } from '../flux/core/api.js';
import { RenderSession } from '../flux/core/render-session.js';
import { Checks, q } from '../flux/core/rules.js';
import type { OciVerification } from '../flux/source/oci-repository.js';

/** Options of every keyless (Sigstore) signing identity. */
export interface KeylessSigningOptions {
  /**
   * A Secret with the trusted root (`trusted_root.json`) of a private Sigstore instance, for issuers the public
   * Fulcio does not accept (a self-managed GitLab, say).
   * @default - the public Sigstore instance
   */
  readonly trustedRootSecretRef?: SecretReference;
  /**
   * The content of that trusted root (`trusted_root.json` of the private instance). When given, synth writes the
   * Secret `trustedRootSecretRef` names into every namespace whose sources verify with this identity (a trusted root
   * is public material, not a secret).
   * @default - the Secret is managed outside the config repo
   */
  readonly trustedRoot?: string;
}

/** Props of {@link Signing.githubActions}. */
export interface GithubActionsSigningProps extends KeylessSigningOptions {
  /** The repository whose workflow signs, `<owner>/<repo>`, spelled as on GitHub (the match is case-sensitive). */
  readonly repository: string;
  /** The workflow's file name under `.github/workflows/`, e.g. `release.yaml`. */
  readonly workflow: string;
  /**
   * The Git ref the workflow runs on, e.g. `refs/heads/main` or `refs/tags/v1.2.0`; a trailing `*` accepts every ref
   * with that prefix, e.g. `refs/tags/v*` for release tags (the identity is then a regular expression).
   * @default "refs/heads/main"
   */
  readonly ref?: string;
}

/** Props of {@link Signing.gitlabCi}. */
export interface GitlabCiSigningProps extends KeylessSigningOptions {
  /** The project whose pipeline signs, with its groups: `<group>/<project>` or `<group>/<subgroup>/<project>`. */
  readonly project: string;
  /**
   * The Git ref the pipeline runs on, e.g. `refs/heads/main` or `refs/tags/v1.2.0`; a trailing `*` accepts every ref
   * with that prefix, e.g. `refs/tags/v*` for release tags (the identity is then a regular expression).
   * @default "refs/heads/main"
   */
  readonly ref?: string;
  /** The GitLab instance's host; it is also the OIDC issuer (`https://<host>`). @default "gitlab.com" */
  readonly host?: string;
  /** The pipeline definition's path in the project (GitLab's "CI/CD configuration file"). @default ".gitlab-ci.yml" */
  readonly configPath?: string;
}

/** Props of {@link Signing.oidc}. */
export interface OidcSigningProps extends KeylessSigningOptions {
  /** The OIDC issuer of the signer's token, e.g. `https://accounts.google.com`. */
  readonly issuer: string;
  /** The identity in the signing certificate: an email address or a URI. */
  readonly subject: string;
  /**
   * `issuer` and `subject` are regular expressions (Go RE2 syntax, anchored with `^...$`; a leading `(?i)` is allowed)
   * rather than exact strings.
   * @default false
   */
  readonly regex?: boolean;
}

/** Props of {@link Signing.cosignKey}. */
export interface CosignKeySigningProps {
  /** The Secret on every cluster holding the cosign public keys (`*.pub` entries). */
  readonly secretName: string;
  /**
   * The public key (PEM, the content of `cosign.pub`). When given, synth writes the Secret `secretName` with it as
   * `cosign.pub` into every namespace whose sources verify with this key, tenants' namespaces included (a public key
   * is not a secret).
   * @default - the Secret is managed outside the config repo, in every namespace that needs it
   */
  readonly publicKey?: string;
  /**
   * CI also writes cosign v2 `.sig` signatures (`flux-fleet sign --legacy-sig`), so that clusters on Flux older than
   * v2.8, which read nothing else, can verify. Flux does not check which digest such a signature names.
   * @default false: Sigstore bundles only, which clusters on Flux older than v2.8 cannot verify (synth refuses them)
   */
  readonly legacySig?: boolean;
}

/** Props of {@link Signing.notation}. */
export interface NotationSigningProps {
  /** The Secret on every cluster holding the notation trust policy (`trustpolicy.json`) and the CA certificates. */
  readonly secretName: string;
}

/** Which factory made a signing declaration. */
export type SigningKind = 'github-actions' | 'gitlab-ci' | 'oidc' | 'cosign-key' | 'notation' | 'none';

/** The CI job that signs keylessly, for generating its signing step. */
export type CiSigner =
  | {
    readonly system: 'github-actions';
    /** `<owner>/<repo>`. */
    readonly repository: string;
    /** The workflow's file name under `.github/workflows/`. */
    readonly workflow: string;
    /** The Git ref the workflow runs on. */
    readonly ref: string;
  }
  | {
    readonly system: 'gitlab-ci';
    /** The GitLab host. */
    readonly host: string;
    /** `<group>/<project>`. */
    readonly project: string;
    /** The pipeline definition's path in the project. */
    readonly configPath: string;
    /** The Git ref the pipeline runs on. */
    readonly ref: string;
  };

/** A keyless (Sigstore) identity: CI signs with its OIDC token, clusters match the certificate's issuer and subject. */
export interface KeylessSigningIdentity {
  /** The signing tool: cosign. */
  readonly tool: 'cosign';
  /** `true`: a keyless identity. */
  readonly keyless: true;
  /** The OIDC issuer: exact, or a regular expression when `regex` is true. */
  readonly issuer: string;
  /** The certificate identity: exact, or a regular expression when `regex` is true. */
  readonly subject: string;
  /** Whether `issuer` and `subject` are regular expressions. */
  readonly regex: boolean;
  /** The CI job that signs. @default - not a CI system this library knows */
  readonly ci?: CiSigner;
  /** The Secret on clusters with a private Sigstore trusted root. @default - the public Sigstore instance */
  readonly trustedRootSecretName?: string;
}

/** A key-based identity: CI signs with a private key; clusters hold the public material in a Secret. */
export interface KeySigningIdentity {
  /** The signing tool. */
  readonly tool: 'cosign' | 'notation';
  /** `false`: a key-based identity. */
  readonly keyless: false;
  /** The Secret on clusters with the public keys (cosign) or the trust policy and certificates (notation). */
  readonly secretName: string;
  /** Whether CI also writes cosign v2 `.sig` signatures. @default false */
  readonly legacySig?: boolean;
}

/** Who signs the fleet's artifacts, as the CI signing step needs it. */
export type SigningIdentity = KeylessSigningIdentity | KeySigningIdentity;

/** Public material clusters verify with, written as a Secret next to the sources that use it. */
export interface VerificationMaterial {
  /** The Secret's name. */
  readonly secretName: string;
  /** Its one entry: `cosign.pub` or `trusted_root.json`. */
  readonly key: string;
  /** The entry's content. */
  readonly value: string;
}

type SigningSpec =
  | { readonly kind: 'github-actions' | 'gitlab-ci' | 'oidc'; readonly identity: KeylessSigningIdentity; readonly check: (c: Checks) => void; readonly material?: VerificationMaterial }
  | { readonly kind: 'cosign-key' | 'notation'; readonly identity: KeySigningIdentity; readonly check: (c: Checks) => void; readonly material?: VerificationMaterial }
  | { readonly kind: 'none' };

/**
 * One declaration of the identity that CI signs the fleet's artifacts with and that every cluster verifies, so the
 * two cannot drift apart.
 */
export class Signing {
  /**
   * Keyless cosign signatures made by a GitHub Actions workflow. Clusters accept only signatures whose certificate
   * was issued to that workflow file of that repository, running on that ref.
   */
  public static githubActions(props: GithubActionsSigningProps): Signing {
    const ref = props.ref ?? 'refs/heads/main';
    const label = 'Signing.githubActions()';
    const subject = `https://github.com/${props.repository}/.github/workflows/${props.workflow}@${ref}`;
    const glob = ref.endsWith('*');
    return new Signing({
      kind: 'github-actions',
      material: trustedRootMaterial(props),
      identity: keyless({
        issuer: glob ? exactRegex(GITHUB_ISSUER) : GITHUB_ISSUER,
        subject: glob ? `${exactRegex(subject.slice(0, -1)).slice(0, -1)}[^@]+$` : subject,
        regex: glob,
        ci: { system: 'github-actions', repository: props.repository, workflow: props.workflow, ref },
      }, props),
      check: (c) => {
        if (!/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*\/[A-Za-z0-9._-]+$/.test(props.repository)) {
          c.add(`${label} repository ${q(props.repository)} is not "<owner>/<repo>"; use e.g. "acme/fleet"`);
        }
        if (props.workflow.includes('/')) {
          c.add(`${label} workflow ${q(props.workflow)} must be the file name alone, without its folder; use ${q(props.workflow.slice(props.workflow.lastIndexOf('/') + 1))}`);
        } else if (!/^[A-Za-z0-9._-]+\.ya?ml$/.test(props.workflow)) {
          c.add(`${label} workflow ${q(props.workflow)} is not a workflow file name; use the file's name under .github/workflows, ending in .yml or .yaml, e.g. "release.yaml"`);
        }
        checkRef(c, label, ref.endsWith('*') ? `${ref.slice(0, -1)}x` : ref);
        checkTrustedRoot(c, label, props);
      },
    });
  }

  /**
   * Keyless cosign signatures made by a GitLab CI pipeline. The certificate identity Fulcio issues to a GitLab job is
   * the pipeline definition it runs: `https://<host>/<project>//<configPath>@<ref>`, with issuer `https://<host>`.
   * The public Sigstore instance accepts tokens of gitlab.com; a self-managed GitLab needs its own Sigstore instance.
   */
  public static gitlabCi(props: GitlabCiSigningProps): Signing {
    const ref = props.ref ?? 'refs/heads/main';
    const host = props.host ?? 'gitlab.com';
    const configPath = props.configPath ?? '.gitlab-ci.yml';
    const label = 'Signing.gitlabCi()';
    const subject = `https://${host}/${props.project}//${configPath}@${ref}`;
    const glob = ref.endsWith('*');
    return new Signing({
      kind: 'gitlab-ci',
      material: trustedRootMaterial(props),
      identity: keyless({
        issuer: glob ? exactRegex(`https://${host}`) : `https://${host}`,
        subject: glob ? `${exactRegex(subject.slice(0, -1)).slice(0, -1)}[^@]+$` : subject,
        regex: glob,
        ci: { system: 'gitlab-ci', host, project: props.project, configPath, ref },
      }, props),
      check: (c) => {
        if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(props.project)) {
          c.add(`${label} project ${q(props.project)} is not a project path; use "<group>/<project>" (with any subgroups), e.g. "acme/platform/fleet"`);
        }
        const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(host);
        if (scheme) {
          c.add(`${label} host ${q(host)} carries a scheme; give the host alone, e.g. ${q(host.slice(scheme[0].length).replace(/\/.*$/, ''))}`);
        } else if (!HOST.test(host)) {
          c.add(`${label} host ${q(host)} is not a host name; use e.g. "gitlab.com" or "gitlab.acme.io"`);
        }
        if (configPath.startsWith('/') || configPath.split('/').includes('..') || configPath.trim() === '' || configPath.includes('@')) {
          c.add(`${label} configPath ${q(configPath)} is not a file of the project; use its path relative to the project root, e.g. ".gitlab-ci.yml" (keyless signing needs the pipeline definition in the project itself)`);
        }
        checkRef(c, label, glob ? `${ref.slice(0, -1)}x` : ref);
        checkTrustedRoot(c, label, props);
      },
    });
  }

  /**
   * Keyless cosign signatures from any OIDC issuer: exact issuer and subject, or regular expressions with
   * `regex: true`.
   */
  public static oidc(props: OidcSigningProps): Signing {
    const label = 'Signing.oidc()';
    const regex = props.regex ?? false;
    return new Signing({
      kind: 'oidc',
      material: trustedRootMaterial(props),
      identity: keyless({ issuer: props.issuer, subject: props.subject, regex }, props),
      check: (c) => {
        if (regex) {
          checkIdentityRegex(c, `${label} issuer`, props.issuer);
          checkIdentityRegex(c, `${label} subject`, props.subject);
          return checkTrustedRoot(c, label, props);
        }
        if (!/^https:\/\/[^\s/]+/.test(props.issuer)) {
          c.add(`${label} issuer ${q(props.issuer)} is not an OIDC issuer URL; use its https:// URL, e.g. "https://accounts.google.com"`);
        }
        if (props.subject.trim() === '' || props.subject !== props.subject.trim()) {
          c.add(`${label} subject ${q(props.subject)} is not an identity; use the email address or URI in the signing certificate, without surrounding spaces`);
        }
        checkTrustedRoot(c, label, props);
      },
    });
  }

  /** Cosign signatures made with a private key; clusters verify with the public keys in a Secret. */
  public static cosignKey(props: CosignKeySigningProps): Signing {
    return new Signing({
      kind: 'cosign-key',
      identity: { tool: 'cosign', keyless: false, secretName: props.secretName, ...(props.legacySig ? { legacySig: true } : {}) },
      check: (c) => {
        c.dnsName('Signing.cosignKey() secretName', props.secretName);
        if (props.publicKey !== undefined && !/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/.test(props.publicKey)) {
          c.add('Signing.cosignKey() publicKey is not a PEM public key; give the content of cosign.pub (-----BEGIN PUBLIC KEY-----...), never the private key');
        }
      },
      material: props.publicKey !== undefined ? { secretName: props.secretName, key: 'cosign.pub', value: props.publicKey } : undefined,
    });
  }

  /** Notation signatures; clusters verify with the trust policy and certificates in a Secret. */
  public static notation(props: NotationSigningProps): Signing {
    return new Signing({
      kind: 'notation',
      identity: { tool: 'notation', keyless: false, secretName: props.secretName },
      check: (c) => c.dnsName('Signing.notation() secretName', props.secretName),
    });
  }

  /** No signing and no verification: an explicit opt-out, so that its absence is never an oversight. */
  public static none(): Signing {
    return new Signing({ kind: 'none' });
  }

  /** Which factory made this declaration. */
  public readonly kind: SigningKind;

  private constructor(private readonly spec: SigningSpec) {
    this.kind = spec.kind;
  }

  /**
   * The OCIRepository (or HelmChart) `spec.verify` that accepts exactly this identity; undefined for `none()`.
   * Exact keyless identities become anchored regular expressions with every metacharacter escaped.
   */
  public verification(): OciVerification | undefined {
    const s = this.spec;
    if (s.kind === 'none') return undefined;
    const id = s.identity;
    if (!id.keyless) return { provider: id.tool, secretRef: { name: id.secretName } };
    return {
      provider: 'cosign',
      matchOIDCIdentity: [{
        issuer: id.regex ? id.issuer : exactRegex(id.issuer),
        subject: id.regex ? id.subject : exactRegex(id.subject),
      }],
      ...(id.trustedRootSecretName !== undefined ? { trustedRootSecretRef: { name: id.trustedRootSecretName } } : {}),
    };
  }

  /**
   * The public material synth writes for clusters (the public key, or a private Sigstore's trusted root); undefined
   * when the declaration gives none.
   */
  public material(): VerificationMaterial | undefined {
    return this.spec.kind === 'none' ? undefined : this.spec.material;
  }

  /**
   * Whether clusters on Flux older than v2.8 can verify what CI signs: they read only cosign v2 `.sig` signatures,
   * which CI writes only for a key declared with `legacySig: true`.
   */
  public get legacyCompatible(): boolean {
    const s = this.spec;
    return s.kind === 'none' || s.kind === 'notation' || (s.kind === 'cosign-key' && s.identity.legacySig === true);
  }

  /** Who signs, as the CI signing step needs it; undefined for `none()` (no signing step). */
  public identity(): SigningIdentity | undefined {
    return this.spec.kind === 'none' ? undefined : this.spec.identity;
  }

  /** One sentence for documentation: who signs, and how clusters verify. */
  public describe(): string {
    const s = this.spec;
    if (s.kind === 'none') return 'Artifacts are not signed and clusters verify no signature (explicit opt-out).';
    const id = s.identity;
    if (!id.keyless) {
      return id.tool === 'cosign'
        ? `Artifacts are signed with a cosign key; clusters verify with the public keys in Secret ${q(id.secretName)}.`
        : `Artifacts are signed with notation; clusters verify with the trust policy and certificates in Secret ${q(id.secretName)}.`;
    }
    const root = id.trustedRootSecretName !== undefined ? `, trusting the Sigstore root in Secret ${q(id.trustedRootSecretName)}` : '';
    const by = id.ci?.system === 'github-actions'
      ? `GitHub Actions workflow ${q(id.ci.workflow)} of ${id.ci.repository} on ${id.ci.ref}`
      : id.ci?.system === 'gitlab-ci'
        ? `the GitLab CI pipeline ${q(id.ci.configPath)} of ${id.ci.project} on ${id.ci.ref} (${id.ci.host})`
        : id.regex ? `an identity matching ${q(id.subject)}` : `the identity ${q(id.subject)}`;
    const issuer = id.regex ? `an issuer matching ${q(id.issuer)}` : `issuer ${id.issuer}`;
    return `Artifacts are signed keyless with cosign by ${by}; clusters accept only certificates for that identity from ${issuer}${root}.`;
  }

  /** Checks the declaration; returns one message per problem, each naming the bad value and the fix. */
  public validate(): string[] {
    if (this.spec.kind === 'none') return [];
    const c = new Checks();
    this.spec.check(c);
    return c.errors;
  }
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/i;

/** An anchored regular expression matching exactly the given string (valid in both Go RE2 and JavaScript). */
function exactRegex(value: string): string {
  return `^${value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`;
}

function keyless(
  id: { issuer: string; subject: string; regex?: boolean; ci?: CiSigner },
  options: KeylessSigningOptions,
): KeylessSigningIdentity {
  return {
    tool: 'cosign',
    keyless: true,
    issuer: id.issuer,
    subject: id.subject,
    regex: id.regex ?? false,
    ...(id.ci ? { ci: id.ci } : {}),
    ...(options.trustedRootSecretRef ? { trustedRootSecretName: options.trustedRootSecretRef.name } : {}),
  };
}

function checkRef(c: Checks, label: string, ref: string): void {
  if (!/^refs\/(heads|tags)\/[^\s]+$/.test(ref)) {
    const bare = ref.trim().replace(/^(refs\/)?(heads\/)?/, '');
    c.add(`${label} ref ${q(ref)} is not a full branch or tag ref; use e.g. ${q(`refs/heads/${bare === '' ? 'main' : bare}`)} or "refs/tags/v1.0.0"`);
  }
}

function checkTrustedRoot(c: Checks, label: string, options: KeylessSigningOptions): void {
  if (options.trustedRootSecretRef) c.dnsName(`${label} trustedRootSecretRef.name`, options.trustedRootSecretRef.name);
  if (options.trustedRoot === undefined) return;
  if (!options.trustedRootSecretRef) c.add(`${label} trustedRoot is given without trustedRootSecretRef; name the Secret clusters read it from, e.g. trustedRootSecretRef: { name: "sigstore-trusted-root" }`);
  let root: { mediaType?: unknown } | undefined;
  try {
    root = JSON.parse(options.trustedRoot) as { mediaType?: unknown };
  } catch {
    root = undefined;
  }
  if (typeof root?.mediaType !== 'string' || !root.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    c.add(`${label} trustedRoot is not a Sigstore trusted root (trusted_root.json with mediaType application/vnd.dev.sigstore.trustedroot+json)`);
  }
}

function trustedRootMaterial(options: KeylessSigningOptions): VerificationMaterial | undefined {
  if (options.trustedRoot === undefined || !options.trustedRootSecretRef) return undefined;
  return { secretName: options.trustedRootSecretRef.name, key: 'trusted_root.json', value: options.trustedRoot };
}

/**
 * A regular expression that compiles, that Go's RE2 accepts, that is anchored at both ends (around all of its
 * alternatives), and that accepts no identity outside the one it declares: it is probed with crafted identities
 * (unrelated ones, another host, owner, repository or ref, something before or after), see {@link probeIdentityPattern}.
 */
function checkIdentityRegex(c: Checks, field: string, value: string): void {
  if (c.regex(field, value) === undefined) return;
  const body = value.replace(/^\(\?[imsU]+\)/, '');
  const flags = value.slice(0, value.length - body.length);
  if (/\(\?<?[=!]|\\[1-9]/.test(body)) {
    c.add(`${field} ${q(value)} uses a lookaround or a backreference, which Flux's Go (RE2) regular expressions do not support; rewrite it without them`);
    return;
  }
  if (!body.startsWith('^') || !body.endsWith('$') || body.endsWith('\\$')) {
    c.add(`${field} ${q(value)} is not anchored, so it would also match inside a longer identity; wrap it in ^...$, e.g. ${q(`${flags}^${body.replace(/^\^/, '').replace(/(?<!\\)\$$/, '')}$`)}`);
    return;
  }
  const problem = identityPatternProblem(value, flags);
  if (problem !== undefined) c.add(`${field} ${q(value)} ${problem}`);
}

const PATTERN_PROBLEMS = new Map<string, string | undefined>();

/** What is wrong with an anchored identity pattern, as the end of a message; undefined when nothing is. Cached per pattern. */
function identityPatternProblem(value: string, flags: string): string | undefined {
  if (PATTERN_PROBLEMS.has(value)) return PATTERN_PROBLEMS.get(value);
  let problem: string | undefined;
  let pattern: IdentityPattern | undefined;
  try {
    pattern = IdentityPattern.parse(value);
  } catch (e) {
    if (!(e instanceof UnreadablePattern)) throw e;
    problem = `cannot be checked for what it accepts: it uses ${e.reason}; write it with literal text, escapes (\\.), classes ([^@]), groups ((?:...)), alternatives and repetitions`;
  }
  const branches = pattern?.alternatesOutsideGroups;
  const finding = pattern ? probeIdentityPattern(pattern, { aroundFirst: branches !== undefined }) : undefined;
  const example = 'e.g. "^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$"';
  if (branches) {
    const inner = branches.map((b, i) => (i === 0 ? b.slice(flags.length).replace(/^\^/, '') : b)).map((b, i) => (i === branches.length - 1 ? b.replace(/(?<!\\)\$$/, '') : b));
    const accepts = finding ? `, so it accepts ${q(finding.probe)}` : '';
    const first = inner[0];
    const at = first.lastIndexOf('@refs/');
    const refsOnly = at >= 0 && inner.slice(1).every((b) => b.startsWith('refs/'))
      ? `, or alternate only the refs: ${q(`${flags}^${first.slice(0, at + 1)}(?:${[first.slice(at + 1), ...inner.slice(1)].join('|')})$`)}`
      : '';
    problem = `has alternatives outside any group, so "^" anchors only the first and "$" only the last${accepts}; put them in a group with the anchors outside: ${q(`${flags}^(?:${inner.join('|')})$`)}${refsOnly}`;
  } else if (problem === undefined) {
    const unescaped = /(?:^|[^\\])([A-Za-z0-9-]+\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)/.exec(value.replace(/\\./g, '__').replace(/\[[^\]]*\]/g, '_'));
    if (unescaped) {
      problem = `has an unescaped "." in ${q(unescaped[1])}, which matches any character (so a look-alike host or name would match too); escape it: ${q(unescaped[1].replace(/\./g, '\\.'))}`;
    } else if (finding?.what === 'any identity') {
      problem = `accepts any identity (it matches ${q(finding.probe)}), so any certificate the Sigstore instance issued would verify; match the one signer, ${example}`;
    } else if (finding) {
      problem = `accepts identities with ${finding.what}, outside the one it is written for (${q(finding.witness)}): it matches ${q(finding.probe)}; ${PROBE_FIXES[finding.what] ?? 'spell that part literally'}`;
    }
  }
  PATTERN_PROBLEMS.set(value, problem);
  return problem;
}

/** How to fix a pattern that accepts what a probe changed. */
const PROBE_FIXES: Record<string, string> = {
  'something before it': 'anchor its start with "^" outside any alternative',
  'something after it': 'anchor its end with "$" outside any alternative',
  'another host': 'spell the host literally, with its dots escaped ("github\\.com")',
  'another owner': 'spell the owner literally',
  'another repository': 'spell the repository literally',
  'another group': 'spell the group literally',
  'another project': 'spell the project literally',
  'another user': 'spell the user literally',
  'another domain': 'spell the domain literally, with its dots escaped',
  'another ref': 'spell the ref (refs/heads/main), or a ref prefix with its kind followed by [^@]+ (refs/tags/v[^@]+)',
};

/** The Flux minor a version (`2.9.4`, `2.9.x`, `v2.7.0`) names; undefined when it names none (then assumed current). */
export function fluxMinor(version: string): number | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : undefined;
}

/** The first Flux minor that verifies Sigstore bundles (v2.8). */
const BUNDLES_SINCE = 2008;

/**
 * Checks the `spec.verify` of every OCIRepository in a chart as the cluster's Flux version reads it: it must accept one
 * signer (a key, or keyless identity regexes that are anchored, escaped and not match-all) and, on Flux v2.8 and newer
 * (the bundle path), a single `matchOIDCIdentity` entry.
 */
export function checkVerify(chart: Construct, fluxVersion: string, legacyCompatible: boolean): string[] {
  const c = new Checks();
  const minor = fluxMinor(fluxVersion);
  for (const o of chart.node.findAll()) {
    if (!(o instanceof ApiObject) || o.kind !== 'OCIRepository') continue;
    const spec = (RenderSession.toJson(o) as { spec?: { verify?: OciVerification } }).spec;
    const v = spec?.verify;
    if (!v || v.provider !== 'cosign') continue;
    const where = `OCIRepository ${o.name} verify`;
    const ids = v.matchOIDCIdentity ?? [];
    if (v.secretRef === undefined && ids.length === 0) {
      c.add(`${where} has neither secretRef nor matchOIDCIdentity, so it accepts a keyless signature by any identity; declare the signer (e.g. Signing.githubActions({...}))`);
    }
    if (ids.length > 1 && (minor === undefined || minor >= BUNDLES_SINCE)) {
      c.add(`${where} lists ${ids.length} matchOIDCIdentity entries, and Flux ${fluxVersion} verifies Sigstore bundles against one only ("unsupported: multiple identities"); declare one signer per source (per environment, component, chart or tenant)`);
    }
    ids.forEach((id, i) => {
      checkIdentityRegex(c, `${where} matchOIDCIdentity[${i}].issuer`, id.issuer);
      checkIdentityRegex(c, `${where} matchOIDCIdentity[${i}].subject`, id.subject);
    });
    if (!legacyCompatible && minor !== undefined && minor < BUNDLES_SINCE) {
      c.add(`${where}: Flux ${fluxVersion} reads only cosign v2 .sig signatures, and this signer writes Sigstore bundles only (Flux v2.8+); move the cluster to Flux 2.8 or newer, or sign with a key declared with legacySig: true`);
    }
  }
  return [...new Set(c.errors)];
}

/**
 * Writes the public material of each `namespace/secret` pair (a public key or a trusted root) as a Secret, into a
 * chart made on first need.
 */
export function signingMaterialObjects(makeChart: () => Construct, material: ReadonlyMap<string, Signing>): void {
  let chart: Construct | undefined;
  for (const key of [...material.keys()].sort()) {
    const m = material.get(key)!.material();
    if (!m) continue;
    const namespace = key.slice(0, key.indexOf('/'));
    chart ??= makeChart();
    new ApiObject(chart, `${namespace}-${m.secretName}`, materialSecret(namespace, m) as ApiObjectProps);
  }
}

/** The Secret holding public verification material in a namespace, as a plain object. */
export function materialSecret(namespace: string, m: VerificationMaterial): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: m.secretName, namespace, annotations: { [PUBLIC_MATERIAL_ANNOTATION]: 'true' } },
    type: 'Opaque',
    stringData: { [m.key]: m.value },
  };
}

/**
 * The annotation on a Secret that holds only public verification material (`*.pub` public keys or a Sigstore
 * `trusted_root.json`), which the tree validator accepts in plain text after checking that it is.
 */
export const PUBLIC_MATERIAL_ANNOTATION = 'flux-fleet.io/public-verification-material';
