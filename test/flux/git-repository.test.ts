import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, GitRepository, GitRepositoryProps, Kustomization } from '../../src/index.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('GitRepository', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet' });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'fleet', namespace: 'flux-system' },
        spec: { interval: '5m', url: 'https://github.com/acme/fleet' },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    const shared = new GitRepository(chart, 'shared', { url: 'ssh://git@github.com/acme/shared.git', ref: { branch: 'main' } });
    // WHEN
    new GitRepository(chart, 'fleet', {
      metadata: { name: 'fleet-repo', annotations: { owner: 'platform' } },
      url: 'https://dev.azure.com/acme/fleet/_git/fleet',
      ref: { branch: 'main', commit: COMMIT },
      interval: Duration.minutes(1),
      secretRef: { name: 'azure-devops' },
      provider: 'azure',
      serviceAccountName: 'fleet-reader',
      timeout: Duration.seconds(90),
      ignore: '/*\n!/deploy',
      suspend: false,
      recurseSubmodules: true,
      include: [{ repository: shared, fromPath: './base', toPath: './vendor/shared' }],
      verify: { mode: 'HEAD', secretRef: { name: 'pgp-keys' } },
      proxySecretRef: { name: 'proxy' },
      sparseCheckout: ['./deploy', 'charts'],
    });
    // THEN
    expect(Testing.synth(chart)[1]).toStrictEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'fleet-repo', namespace: 'apps', annotations: { owner: 'platform' } },
      spec: {
        url: 'https://dev.azure.com/acme/fleet/_git/fleet',
        ref: { branch: 'main', commit: COMMIT },
        interval: '1m',
        secretRef: { name: 'azure-devops' },
        provider: 'azure',
        serviceAccountName: 'fleet-reader',
        timeout: '1m30s',
        ignore: '/*\n!/deploy',
        suspend: false,
        recurseSubmodules: true,
        include: [{ repository: { name: 'shared' }, fromPath: './base', toPath: './vendor/shared' }],
        verify: { mode: 'HEAD', secretRef: { name: 'pgp-keys' } },
        proxySecretRef: { name: 'proxy' },
        sparseCheckout: ['./deploy', 'charts'],
      },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('provider aws passes the schema check', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new GitRepository(chart, 'fleet', {
      url: 'https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/fleet',
      provider: 'aws',
      serviceAccountName: 'codecommit-reader',
    });
    // THEN
    expect(Testing.synth(chart)[0].spec).toStrictEqual({
      url: 'https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/fleet',
      interval: '5m',
      provider: 'aws',
      serviceAccountName: 'codecommit-reader',
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a repository managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    const source = GitRepository.fromName(chart, 'fleet', 'flux-system', { namespace: 'flux-system' });
    new Kustomization(chart, 'apps', { sourceRef: source, path: './apps' });
    // THEN
    expect(source.kind).toBe('GitRepository');
    expect(source.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: 'apps' },
        spec: {
          interval: '10m',
          path: './apps',
          prune: true,
          sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' },
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet' });
    // WHEN
    repo.addJsonPatch(JsonPatch.add('/spec/provider', 'bitbucket'));
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.provider "bitbucket" is not allowed/);
  });

  test('fails when an included repository is in another namespace', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    const shared = new GitRepository(chart, 'shared', { metadata: { namespace: 'flux-system' }, url: 'https://github.com/acme/shared' });
    // WHEN
    new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet', include: [{ repository: shared }] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.include\[0\]\.repository refers to GitRepository flux-system\/shared, but includes must be in the same namespace \(apps\)/);
  });

  test('fails when an included repository is defined nowhere in the app', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const other = new GitRepository(new Chart(new FluxApp(), 'elsewhere'), 'shared', { url: 'https://github.com/acme/shared' });
    // WHEN
    new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet', include: [{ repository: other }] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.include\[0\]\.repository refers to GitRepository flux-system\/shared, but it is defined nowhere in this app/);
  });

  test('fails when a repository includes itself', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const include: NonNullable<GitRepositoryProps['include']> = [];
    const repo = new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet', include });
    // WHEN
    include.push({ repository: repo });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.include\[0\]\.repository is this GitRepository itself/);
  });

  const failures: Array<[string, Partial<GitRepositoryProps>, RegExp]> = [
    ['the URL scheme is not http, https or ssh', { url: 'git://github.com/acme/fleet' }, /spec\.url "git:\/\/github\.com\/acme\/fleet" must start with http:\/\/ or https:\/\/ or ssh:\/\//],
    ['the URL is in the scp-like form', { url: 'git@github.com:acme/fleet.git' }, /spec\.url "git@github\.com:acme\/fleet\.git" is in the scp-like form, which Flux does not accept; use "ssh:\/\/git@github\.com\/acme\/fleet\.git"/],
    ['the interval is not a Go duration', { interval: '1 hour' }, /spec\.interval "1 hour" is not a Go duration/],
    ['the timeout has hours', { timeout: '1h' }, /spec\.timeout "1h" is not a Go duration; .*no hours here/],
    ['the provider is unknown', { provider: 'gitlab' as any }, /spec\.provider "gitlab" is not allowed; use one of "generic", "aws", "azure", "github"/],
    ['a cloud provider is used over SSH', { url: 'ssh://git@github.com/acme/fleet', provider: 'github', secretRef: { name: 'app' } }, /spec\.url "ssh:\/\/git@github\.com\/acme\/fleet" must start with https:\/\/ with provider "github"/],
    ['provider github has no secretRef', { provider: 'github' }, /spec\.secretRef is required with provider "github"/],
    ['serviceAccountName is set without azure or aws', { serviceAccountName: 'reader' }, /spec\.serviceAccountName "reader" needs provider "azure" or "aws" \(got "generic"\)/],
    ['serviceAccountName is not a DNS name', { provider: 'azure', serviceAccountName: 'Reader' }, /spec\.serviceAccountName "Reader" is not a DNS-1123 name/],
    ['several references are set', { ref: { branch: 'main', tag: 'v1.0.0' } }, /spec\.ref sets branch "main" and tag "v1\.0\.0", but Flux uses only tag \(tag > branch\); set only one/],
    ['the commit is not a full SHA', { ref: { commit: 'abc1234' } }, /spec\.ref\.commit "abc1234" is not a full commit SHA/],
    ['the commit is combined with a tag', { ref: { tag: 'v1.0.0', commit: COMMIT } }, /spec\.ref\.commit takes precedence over spec\.ref\.tag, which would be ignored; combine commit with branch only/],
    ['the semver range is invalid', { ref: { semver: 'v1.x.y' } }, /spec\.ref\.semver "v1\.x\.y" is not a semver range/],
    ['the reference name is not a full reference', { ref: { name: 'main' } }, /spec\.ref\.name "main" is not a full Git reference; use e\.g\. "refs\/heads\/main" or "refs\/tags\/main"/],
    ['the reference name has invalid characters', { ref: { name: 'refs/heads/my branch' } }, /spec\.ref\.name "refs\/heads\/my branch" is not a full Git reference/],
    ['the verification mode is unknown', { verify: { mode: 'head' as any, secretRef: { name: 'keys' } } }, /spec\.verify\.mode "head" is not allowed; use one of "HEAD", "Tag", "TagAndHEAD"/],
    ['tag verification has no tag reference', { ref: { branch: 'main' }, verify: { mode: 'Tag', secretRef: { name: 'keys' } } }, /spec\.verify\.mode "Tag" verifies a tag, but spec\.ref names none/],
    ['an include path climbs out of the artifact', {
      include: [{ repository: GitRepository.fromName(new Chart(new FluxApp(), 'x'), 'shared', 'shared'), fromPath: '../secrets' }],
    }, /spec\.include\[0\]\.fromPath "\.\.\/secrets" climbs out of the artifact/],
    ['an include target path is absolute', {
      include: [{ repository: GitRepository.fromName(new Chart(new FluxApp(), 'x'), 'shared', 'shared'), toPath: '/vendor' }],
    }, /spec\.include\[0\]\.toPath "\/vendor" is absolute/],
    ['a sparse checkout folder climbs out of the repository', { sparseCheckout: ['deploy', '../..'] }, /spec\.sparseCheckout\[1\] "\.\.\/\.\." climbs out of the artifact/],
  ];

  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet', ...props });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });
});
