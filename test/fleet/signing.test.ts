import { Chart, Testing } from 'cdk8s';
import { Signing } from '../../src/fleet/index.js';
import { FluxApp, OciRepository, OciVerification } from '../../src/index.js';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The OIDC identity regexes of a verification, compiled as Flux would (a match anywhere, so anchors matter). */
function matchers(verification: OciVerification | undefined): { issuer: RegExp; subject: RegExp } {
  const m = verification?.matchOIDCIdentity?.[0];
  if (!m) throw new Error('no matchOIDCIdentity');
  return { issuer: new RegExp(m.issuer), subject: new RegExp(m.subject) };
}

/** Synthesizes an OCIRepository verified with the declaration, and validates the app. */
function verifiedRepository(signing: Signing): unknown[] {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  new OciRepository(chart, 'flux-system', { url: 'oci://ghcr.io/acme/fleet/prod-eu-1', verify: signing.verification() });
  expect(() => app.validate()).not.toThrow();
  return Testing.synth(chart);
}

describe('Signing', () => {
  describe('githubActions', () => {
    test('keyless cosign, matching exactly the workflow, repository and default ref', () => {
      // GIVEN
      const signing = Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' });
      // WHEN
      const verification = signing.verification();
      // THEN
      expect(signing.kind).toBe('github-actions');
      expect(verification).toStrictEqual({
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
          subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
        }],
      });
      expect(signing.validate()).toStrictEqual([]);
    });

    test('identity() gives what the CI signing step needs', () => {
      // GIVEN
      const signing = Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v1.2.0' });
      // WHEN
      const identity = signing.identity();
      // THEN
      expect(identity).toStrictEqual({
        tool: 'cosign',
        keyless: true,
        issuer: GITHUB_ISSUER,
        subject: 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v1.2.0',
        regex: false,
        ci: { system: 'github-actions', repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v1.2.0' },
      });
    });

    test('describe()', () => {
      // GIVEN
      const signing = Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' });
      // WHEN
      const text = signing.describe();
      // THEN
      expect(text).toBe('Artifacts are signed keyless with cosign by GitHub Actions workflow "release.yaml" of acme/fleet on refs/heads/main; ' +
        'clusters accept only certificates for that identity from issuer https://token.actions.githubusercontent.com.');
    });

    test('the regexes match the real identity and nothing else', () => {
      // GIVEN
      const signing = Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' });
      // WHEN
      const { issuer, subject } = matchers(signing.verification());
      // THEN
      expect(issuer.test(GITHUB_ISSUER)).toBe(true);
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main')).toBe(true);
      // another issuer, or the issuer inside a longer one
      expect(issuer.test('https://gitlab.com')).toBe(false);
      expect(issuer.test('https://token.actions.githubusercontent.com/acme')).toBe(false);
      expect(issuer.test('https://tokenXactions.githubusercontent.com')).toBe(false);
      // another workflow, ref or repository
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/test.yaml@refs/heads/main')).toBe(false);
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/feature')).toBe(false);
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main-evil')).toBe(false);
      expect(subject.test('https://github.com/evil/fleet/.github/workflows/release.yaml@refs/heads/main')).toBe(false);
      expect(subject.test('https://github.com/acme/fleet-fork/.github/workflows/release.yaml@refs/heads/main')).toBe(false);
      expect(subject.test('https://github.com/evil/acme/fleet/.github/workflows/release.yaml@refs/heads/main')).toBe(false);
      // the dots are literal
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/releaseXyaml@refs/heads/main')).toBe(false);
    });

    test('an OciRepository verified with it passes app.validate()', () => {
      // GIVEN
      const signing = Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' });
      // WHEN
      const synth = verifiedRepository(signing);
      // THEN
      expect(synth).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: {
            url: 'oci://ghcr.io/acme/fleet/prod-eu-1',
            interval: '5m',
            verify: {
              provider: 'cosign',
              matchOIDCIdentity: [{
                issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
                subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
              }],
            },
          },
        },
      ]);
    });
  });

  describe('gitlabCi', () => {
    test('keyless cosign, matching the pipeline definition of the project on gitlab.com', () => {
      // GIVEN
      const signing = Signing.gitlabCi({ project: 'acme/platform/fleet' });
      // WHEN
      const verification = signing.verification();
      // THEN
      expect(signing.kind).toBe('gitlab-ci');
      expect(verification).toStrictEqual({
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://gitlab\\.com$',
          subject: '^https://gitlab\\.com/acme/platform/fleet//\\.gitlab-ci\\.yml@refs/heads/main$',
        }],
      });
      expect(signing.identity()).toStrictEqual({
        tool: 'cosign',
        keyless: true,
        issuer: 'https://gitlab.com',
        subject: 'https://gitlab.com/acme/platform/fleet//.gitlab-ci.yml@refs/heads/main',
        regex: false,
        ci: { system: 'gitlab-ci', host: 'gitlab.com', project: 'acme/platform/fleet', configPath: '.gitlab-ci.yml', ref: 'refs/heads/main' },
      });
      expect(signing.validate()).toStrictEqual([]);
    });

    test('a tag pattern accepts every release tag of the pipeline, and nothing after another @', () => {
      // GIVEN
      const signing = Signing.gitlabCi({ project: 'acme/fleet', ref: 'refs/tags/v*' });
      // WHEN
      const verification = signing.verification();
      // THEN
      expect(verification).toStrictEqual({
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://gitlab\\.com$',
          subject: '^https://gitlab\\.com/acme/fleet//\\.gitlab-ci\\.yml@refs/tags/v[^@]+$',
        }],
      });
      const subject = new RegExp(verification!.matchOIDCIdentity![0].subject);
      expect(subject.test('https://gitlab.com/acme/fleet//.gitlab-ci.yml@refs/tags/v1.4.0')).toBe(true);
      expect(subject.test('https://gitlab.com/acme/fleet//.gitlab-ci.yml@refs/heads/v1')).toBe(false);
      expect(signing.validate()).toStrictEqual([]);
    });

    test('a self-managed instance, with its own Sigstore trusted root', () => {
      // GIVEN
      const signing = Signing.gitlabCi({
        project: 'platform/fleet',
        host: 'gitlab.acme.io',
        ref: 'refs/tags/v2.0.0',
        configPath: 'ci/release.yml',
        trustedRootSecretRef: { name: 'sigstore-root' },
      });
      // WHEN
      const verification = signing.verification();
      // THEN
      expect(verification).toStrictEqual({
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://gitlab\\.acme\\.io$',
          subject: '^https://gitlab\\.acme\\.io/platform/fleet//ci/release\\.yml@refs/tags/v2\\.0\\.0$',
        }],
        trustedRootSecretRef: { name: 'sigstore-root' },
      });
      expect(signing.identity()).toStrictEqual({
        tool: 'cosign',
        keyless: true,
        issuer: 'https://gitlab.acme.io',
        subject: 'https://gitlab.acme.io/platform/fleet//ci/release.yml@refs/tags/v2.0.0',
        regex: false,
        ci: { system: 'gitlab-ci', host: 'gitlab.acme.io', project: 'platform/fleet', configPath: 'ci/release.yml', ref: 'refs/tags/v2.0.0' },
        trustedRootSecretName: 'sigstore-root',
      });
      expect(signing.describe()).toBe('Artifacts are signed keyless with cosign by the GitLab CI pipeline "ci/release.yml" of platform/fleet on refs/tags/v2.0.0 ' +
        '(gitlab.acme.io); clusters accept only certificates for that identity from issuer https://gitlab.acme.io, trusting the Sigstore root in Secret "sigstore-root".');
      expect(signing.validate()).toStrictEqual([]);
    });

    test('the regexes match the real identity and nothing else', () => {
      // GIVEN
      const signing = Signing.gitlabCi({ project: 'acme/fleet' });
      // WHEN
      const { issuer, subject } = matchers(signing.verification());
      // THEN
      expect(issuer.test('https://gitlab.com')).toBe(true);
      expect(subject.test('https://gitlab.com/acme/fleet//.gitlab-ci.yml@refs/heads/main')).toBe(true);
      expect(issuer.test('https://gitlab.com.evil.io')).toBe(false);
      expect(issuer.test(GITHUB_ISSUER)).toBe(false);
      expect(subject.test('https://gitlab.com/acme/fleet//.gitlab-ci.yml@refs/heads/develop')).toBe(false);
      expect(subject.test('https://gitlab.com/acme/fleet//other.yml@refs/heads/main')).toBe(false);
      expect(subject.test('https://gitlab.com/evil/fleet//.gitlab-ci.yml@refs/heads/main')).toBe(false);
      expect(subject.test('https://gitlab.com/acme/fleet/sub//.gitlab-ci.yml@refs/heads/main')).toBe(false);
      // the token's `sub` claim is not what the certificate carries
      expect(subject.test('project_path:acme/fleet:ref_type:branch:ref:main')).toBe(false);
    });

    test('an OciRepository verified with it passes app.validate()', () => {
      // GIVEN
      const signing = Signing.gitlabCi({ project: 'acme/fleet', trustedRootSecretRef: { name: 'sigstore-root' } });
      // WHEN
      const synth = verifiedRepository(signing);
      // THEN
      expect(synth).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: {
            url: 'oci://ghcr.io/acme/fleet/prod-eu-1',
            interval: '5m',
            verify: {
              provider: 'cosign',
              matchOIDCIdentity: [{
                issuer: '^https://gitlab\\.com$',
                subject: '^https://gitlab\\.com/acme/fleet//\\.gitlab-ci\\.yml@refs/heads/main$',
              }],
              trustedRootSecretRef: { name: 'sigstore-root' },
            },
          },
        },
      ]);
    });
  });

  describe('oidc', () => {
    test('exact strings become anchored, escaped regexes', () => {
      // GIVEN
      const signing = Signing.oidc({ issuer: 'https://accounts.google.com', subject: 'release-bot@acme.iam.gserviceaccount.com' });
      // WHEN
      const verification = signing.verification();
      // THEN
      expect(signing.kind).toBe('oidc');
      expect(verification).toStrictEqual({
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://accounts\\.google\\.com$',
          subject: '^release-bot@acme\\.iam\\.gserviceaccount\\.com$',
        }],
      });
      expect(signing.identity()).toStrictEqual({
        tool: 'cosign',
        keyless: true,
        issuer: 'https://accounts.google.com',
        subject: 'release-bot@acme.iam.gserviceaccount.com',
        regex: false,
      });
      expect(signing.describe()).toBe('Artifacts are signed keyless with cosign by the identity "release-bot@acme.iam.gserviceaccount.com"; ' +
        'clusters accept only certificates for that identity from issuer https://accounts.google.com.');
      expect(signing.validate()).toStrictEqual([]);
    });

    test('every regex metacharacter of an exact value is escaped', () => {
      // GIVEN
      const value = 'a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o';
      const signing = Signing.oidc({ issuer: 'https://issuer.acme.io', subject: value });
      // WHEN
      const { subject } = matchers(signing.verification());
      // THEN
      expect(subject.source).toBe('^a\\.b\\*c\\+d\\?e\\(f\\)g\\[h\\]i\\{j\\}k\\|l\\^m\\$n\\\\o$');
      expect(subject.test(value)).toBe(true);
      expect(subject.test('aXb*c+d?e(f)g[h]i{j}k|l^m$n\\o')).toBe(false);
      expect(subject.test('l^m$n\\o')).toBe(false);
      expect(subject.test(`${value}x`)).toBe(false);
    });

    test('regexes are used as given', () => {
      // GIVEN
      const signing = Signing.oidc({
        issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
        subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+$',
        regex: true,
      });
      // WHEN
      const verification = signing.verification();
      // THEN
      expect(verification).toStrictEqual({
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
          subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+$',
        }],
      });
      const { subject } = matchers(verification);
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v1.20.3')).toBe(true);
      expect(subject.test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main')).toBe(false);
      expect(signing.identity()).toStrictEqual({
        tool: 'cosign',
        keyless: true,
        issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
        subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+$',
        regex: true,
      });
      expect(signing.describe()).toBe('Artifacts are signed keyless with cosign by an identity matching ' +
        '"^https://github\\\\.com/acme/fleet/\\\\.github/workflows/release\\\\.yaml@refs/tags/v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$"; ' +
        'clusters accept only certificates for that identity from an issuer matching "^https://token\\\\.actions\\\\.githubusercontent\\\\.com$".');
      expect(signing.validate()).toStrictEqual([]);
      expect(verifiedRepository(signing)).toHaveLength(1);
    });

    test('Go regex syntax is accepted: leading flags and named groups', () => {
      // GIVEN
      const signing = Signing.oidc({ issuer: '(?i)^https://accounts\\.google\\.com$', subject: '^(?P<bot>release|deploy)-bot@acme\\.io$', regex: true });
      // WHEN
      const messages = signing.validate();
      // THEN
      expect(messages).toStrictEqual([]);
      expect(verifiedRepository(signing)).toHaveLength(1);
    });
  });

  describe('keys', () => {
    test('cosignKey verifies with a public key Secret', () => {
      // GIVEN
      const signing = Signing.cosignKey({ secretName: 'cosign-pub' });
      // WHEN
      const synth = verifiedRepository(signing);
      // THEN
      expect(signing.kind).toBe('cosign-key');
      expect(signing.verification()).toStrictEqual({ provider: 'cosign', secretRef: { name: 'cosign-pub' } });
      expect(signing.identity()).toStrictEqual({ tool: 'cosign', keyless: false, secretName: 'cosign-pub' });
      expect(signing.describe()).toBe('Artifacts are signed with a cosign key; clusters verify with the public keys in Secret "cosign-pub".');
      expect(signing.validate()).toStrictEqual([]);
      expect(synth).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: {
            url: 'oci://ghcr.io/acme/fleet/prod-eu-1',
            interval: '5m',
            verify: { provider: 'cosign', secretRef: { name: 'cosign-pub' } },
          },
        },
      ]);
    });

    test('notation verifies with a trust policy and certificates Secret', () => {
      // GIVEN
      const signing = Signing.notation({ secretName: 'notation-config' });
      // WHEN
      const synth = verifiedRepository(signing);
      // THEN
      expect(signing.kind).toBe('notation');
      expect(signing.verification()).toStrictEqual({ provider: 'notation', secretRef: { name: 'notation-config' } });
      expect(signing.identity()).toStrictEqual({ tool: 'notation', keyless: false, secretName: 'notation-config' });
      expect(signing.describe()).toBe('Artifacts are signed with notation; clusters verify with the trust policy and certificates in Secret "notation-config".');
      expect(signing.validate()).toStrictEqual([]);
      expect(synth).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: {
            url: 'oci://ghcr.io/acme/fleet/prod-eu-1',
            interval: '5m',
            verify: { provider: 'notation', secretRef: { name: 'notation-config' } },
          },
        },
      ]);
    });
  });

  describe('none', () => {
    test('an explicit opt-out: no verification and no signing step', () => {
      // GIVEN
      const signing = Signing.none();
      // WHEN
      const synth = verifiedRepository(signing);
      // THEN
      expect(signing.kind).toBe('none');
      expect(signing.verification()).toBeUndefined();
      expect(signing.identity()).toBeUndefined();
      expect(signing.describe()).toBe('Artifacts are not signed and clusters verify no signature (explicit opt-out).');
      expect(signing.validate()).toStrictEqual([]);
      expect(synth).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: { url: 'oci://ghcr.io/acme/fleet/prod-eu-1', interval: '5m' },
        },
      ]);
    });
  });

  const gh = { repository: 'acme/fleet', workflow: 'release.yaml' };
  const failures: Array<[string, Signing, string[]]> = [
    // GitHub Actions
    ['the GitHub repository has no owner', Signing.githubActions({ ...gh, repository: 'fleet' }),
      ['Signing.githubActions() repository "fleet" is not "<owner>/<repo>"; use e.g. "acme/fleet"']],
    ['the GitHub repository is a URL', Signing.githubActions({ ...gh, repository: 'https://github.com/acme/fleet' }),
      ['Signing.githubActions() repository "https://github.com/acme/fleet" is not "<owner>/<repo>"; use e.g. "acme/fleet"']],
    ['the workflow carries its folder', Signing.githubActions({ ...gh, workflow: '.github/workflows/release.yaml' }),
      ['Signing.githubActions() workflow ".github/workflows/release.yaml" must be the file name alone, without its folder; use "release.yaml"']],
    ['the workflow is not a YAML file name', Signing.githubActions({ ...gh, workflow: 'Release' }),
      ['Signing.githubActions() workflow "Release" is not a workflow file name; use the file\'s name under .github/workflows, ending in .yml or .yaml, e.g. "release.yaml"']],
    ['the GitHub ref is a bare branch name', Signing.githubActions({ ...gh, ref: 'main' }),
      ['Signing.githubActions() ref "main" is not a full branch or tag ref; use e.g. "refs/heads/main" or "refs/tags/v1.0.0"']],
    ['the GitHub ref lacks refs/', Signing.githubActions({ ...gh, ref: 'heads/release' }),
      ['Signing.githubActions() ref "heads/release" is not a full branch or tag ref; use e.g. "refs/heads/release" or "refs/tags/v1.0.0"']],
    ['the trusted root Secret name is not a DNS name', Signing.githubActions({ ...gh, trustedRootSecretRef: { name: 'Sigstore_Root' } }),
      ['Signing.githubActions() trustedRootSecretRef.name "Sigstore_Root" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "sigstore-root"']],
    // GitLab CI
    ['the GitLab project has no group', Signing.gitlabCi({ project: 'fleet' }),
      ['Signing.gitlabCi() project "fleet" is not a project path; use "<group>/<project>" (with any subgroups), e.g. "acme/platform/fleet"']],
    ['the GitLab host carries a scheme', Signing.gitlabCi({ project: 'acme/fleet', host: 'https://gitlab.acme.io/' }),
      ['Signing.gitlabCi() host "https://gitlab.acme.io/" carries a scheme; give the host alone, e.g. "gitlab.acme.io"']],
    ['the GitLab host is not a host name', Signing.gitlabCi({ project: 'acme/fleet', host: 'gitlab acme' }),
      ['Signing.gitlabCi() host "gitlab acme" is not a host name; use e.g. "gitlab.com" or "gitlab.acme.io"']],
    ['the GitLab config path is absolute', Signing.gitlabCi({ project: 'acme/fleet', configPath: '/.gitlab-ci.yml' }),
      ['Signing.gitlabCi() configPath "/.gitlab-ci.yml" is not a file of the project; use its path relative to the project root, e.g. ".gitlab-ci.yml" (keyless signing needs the pipeline definition in the project itself)']],
    ['the GitLab config path climbs out with ..', Signing.gitlabCi({ project: 'acme/fleet', configPath: 'ci/../../x.yml' }),
      ['Signing.gitlabCi() configPath "ci/../../x.yml" is not a file of the project; use its path relative to the project root, e.g. ".gitlab-ci.yml" (keyless signing needs the pipeline definition in the project itself)']],
    ['the GitLab config lives in another project', Signing.gitlabCi({ project: 'acme/fleet', configPath: '.gitlab-ci.yml@acme/ci-templates' }),
      ['Signing.gitlabCi() configPath ".gitlab-ci.yml@acme/ci-templates" is not a file of the project; use its path relative to the project root, e.g. ".gitlab-ci.yml" (keyless signing needs the pipeline definition in the project itself)']],
    ['the GitLab ref is a bare branch name', Signing.gitlabCi({ project: 'acme/fleet', ref: 'main' }),
      ['Signing.gitlabCi() ref "main" is not a full branch or tag ref; use e.g. "refs/heads/main" or "refs/tags/v1.0.0"']],
    // any OIDC issuer
    ['the OIDC issuer is not an https URL', Signing.oidc({ issuer: 'accounts.google.com', subject: 'bot@acme.io' }),
      ['Signing.oidc() issuer "accounts.google.com" is not an OIDC issuer URL; use its https:// URL, e.g. "https://accounts.google.com"']],
    ['the OIDC subject is empty', Signing.oidc({ issuer: 'https://accounts.google.com', subject: ' ' }),
      ['Signing.oidc() subject " " is not an identity; use the email address or URI in the signing certificate, without surrounding spaces']],
    ['the OIDC regex does not compile', Signing.oidc({ issuer: '^https://accounts\\.google\\.com$', subject: '^bot@(acme\\.io$', regex: true }),
      ['Signing.oidc() subject "^bot@(acme\\\\.io$" is not a valid regular expression: Invalid regular expression: /^bot@(acme\\.io$/: Unterminated group']],
    ['the OIDC regex uses a lookahead', Signing.oidc({ issuer: '^https://accounts\\.google\\.com$', subject: '^(?!evil).*@acme\\.io$', regex: true }),
      ['Signing.oidc() subject "^(?!evil).*@acme\\\\.io$" uses a lookaround or a backreference, which Flux\'s Go (RE2) regular expressions do not support; rewrite it without them']],
    ['the OIDC regexes are not anchored', Signing.oidc({ issuer: 'https://accounts\\.google\\.com', subject: 'bot@acme\\.io', regex: true }),
      [
        'Signing.oidc() issuer "https://accounts\\\\.google\\\\.com" is not anchored, so it would also match inside a longer identity; wrap it in ^...$, e.g. "^https://accounts\\\\.google\\\\.com$"',
        'Signing.oidc() subject "bot@acme\\\\.io" is not anchored, so it would also match inside a longer identity; wrap it in ^...$, e.g. "^bot@acme\\\\.io$"',
      ]],
    ['a case-insensitive OIDC regex is not anchored', Signing.oidc({ issuer: '^https://accounts\\.google\\.com$', subject: '(?i)bot@acme\\.io', regex: true }),
      ['Signing.oidc() subject "(?i)bot@acme\\\\.io" is not anchored, so it would also match inside a longer identity; wrap it in ^...$, e.g. "(?i)^bot@acme\\\\.io$"']],
    ['the OIDC regex ends with an escaped dollar', Signing.oidc({ issuer: '^https://accounts\\.google\\.com$', subject: '^bot@acme\\.io\\$', regex: true }),
      ['Signing.oidc() subject "^bot@acme\\\\.io\\\\$" is not anchored, so it would also match inside a longer identity; wrap it in ^...$, e.g. "^bot@acme\\\\.io\\\\$$"']],
    // keys
    ['the cosign key Secret name is not a DNS name', Signing.cosignKey({ secretName: 'Cosign Pub' }),
      ['Signing.cosignKey() secretName "Cosign Pub" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "cosign-pub"']],
    ['the notation Secret name is not a DNS name', Signing.notation({ secretName: 'notation_config' }),
      ['Signing.notation() secretName "notation_config" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "notation-config"']],
  ];

  test.each(failures)('fails when %s', (_, signing, messages) => {
    // GIVEN: the declaration of the row
    // WHEN
    const found = signing.validate();
    // THEN
    expect(found).toStrictEqual(messages);
  });
});
