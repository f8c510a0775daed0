import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, HelmChart, HelmRepository, HelmRepositoryProps } from '../../src/index.js';

describe('HelmRepository', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRepository(chart, 'podinfo', { url: 'https://stefanprodan.github.io/podinfo' });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: 'podinfo', namespace: 'flux-system' },
        spec: { interval: '5m', url: 'https://stefanprodan.github.io/podinfo' },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('an oci:// URL renders type oci', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    const repo = new HelmRepository(chart, 'podinfo', { url: 'oci://ghcr.io/stefanprodan/charts' });
    // THEN
    expect(repo.repositoryType).toBe('oci');
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: 'podinfo', namespace: 'flux-system' },
        spec: { interval: '5m', type: 'oci', url: 'oci://ghcr.io/stefanprodan/charts' },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified HTTP/S repository', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    new HelmRepository(chart, 'bitnami', {
      metadata: { name: 'bitnami-charts', labels: { tier: 'infra' } },
      url: 'https://charts.bitnami.com/bitnami',
      type: 'default',
      provider: 'generic',
      secretRef: { name: 'bitnami-auth' },
      certSecretRef: { name: 'bitnami-tls' },
      passCredentials: true,
      insecure: false,
      interval: Duration.hours(1),
      timeout: '2m',
      suspend: true,
      accessFrom: { namespaceSelectors: [{ matchLabels: { 'flux.io/tenant': 'web' } }, {}] },
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: 'bitnami-charts', namespace: 'apps', labels: { tier: 'infra' } },
        spec: {
          url: 'https://charts.bitnami.com/bitnami',
          type: 'default',
          provider: 'generic',
          secretRef: { name: 'bitnami-auth' },
          certSecretRef: { name: 'bitnami-tls' },
          passCredentials: true,
          insecure: false,
          interval: '1h',
          timeout: '2m',
          suspend: true,
          accessFrom: { namespaceSelectors: [{ matchLabels: { 'flux.io/tenant': 'web' } }, {}] },
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified OCI repository', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRepository(chart, 'ecr', {
      url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts',
      type: 'oci',
      provider: 'aws',
      certSecretRef: { name: 'ecr-tls' },
      insecure: true,
      interval: '10m',
      timeout: Duration.seconds(30),
      suspend: false,
    });
    // THEN
    expect(Testing.synth(chart)[0].spec).toStrictEqual({
      url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts',
      type: 'oci',
      provider: 'aws',
      certSecretRef: { name: 'ecr-tls' },
      insecure: true,
      interval: '10m',
      timeout: '30s',
      suspend: false,
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a repository managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    const repo = HelmRepository.fromName(chart, 'podinfo-repo', 'podinfo');
    new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef: repo, version: '6.x' });
    // THEN
    expect(repo.kind).toBe('HelmRepository');
    expect(repo.namespace).toBe('apps');
    expect(repo.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmChart',
        metadata: { name: 'podinfo', namespace: 'apps' },
        spec: { chart: 'podinfo', interval: '5m', sourceRef: { kind: 'HelmRepository', name: 'podinfo' }, version: '6.x' },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new HelmRepository(chart, 'podinfo', { url: 'https://stefanprodan.github.io/podinfo' });
    // WHEN
    repo.addJsonPatch(JsonPatch.add('/spec/type', 'git'));
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.type "git" is not allowed; use one of "default", "oci"/);
  });

  const failures: Array<[string, Partial<HelmRepositoryProps>, RegExp]> = [
    ['the URL scheme is not http, https or oci', { url: 'ftp://charts.example.com' }, /spec\.url "ftp:\/\/charts\.example\.com" must start with http:\/\/ or https:\/\/ or oci:\/\//],
    ['the type is unknown', { type: 'git' as any }, /spec\.type "git" is not allowed; use one of "default", "oci"/],
    ['type default is set with an oci:// URL', { url: 'oci://ghcr.io/acme/charts', type: 'default' }, /spec\.type "default" does not fit spec\.url "oci:\/\/ghcr\.io\/acme\/charts"; an oci:\/\/ URL needs type "oci"/],
    ['type oci is set with an https:// URL', { type: 'oci' }, /spec\.type "oci" needs an oci:\/\/ URL, got spec\.url "https:\/\/charts\.example\.com"/],
    ['the OCI URL carries a tag', { url: 'oci://ghcr.io/acme/charts/podinfo:6.5.0' }, /spec\.url "oci:\/\/ghcr\.io\/acme\/charts\/podinfo:6\.5\.0" carries a tag; drop ":6\.5\.0" from the URL and set the version in the HelmChart's spec\.version/],
    ['the OCI URL carries a digest', { url: 'oci://ghcr.io/acme/charts@sha256:abc' }, /spec\.url "oci:\/\/ghcr\.io\/acme\/charts@sha256:abc" carries a digest/],
    ['the interval is not a Go duration', { interval: '10' }, /spec\.interval "10" is not a Go duration/],
    ['the timeout has hours', { timeout: '1h30m' }, /spec\.timeout "1h30m" is not a Go duration; .*no hours here/],
    ['the provider is unknown', { url: 'oci://ghcr.io/acme/charts', provider: 'github' as any }, /spec\.provider "github" is not allowed; use one of "generic", "aws", "azure", "gcp"/],
    ['a cloud provider is set on an HTTP/S repository', { provider: 'gcp' }, /spec\.provider "gcp" applies to OCI repositories only/],
    ['insecure is set on an HTTP/S repository', { insecure: true }, /spec\.insecure applies to OCI repositories only; for a plain HTTP Helm repository use an http:\/\/ URL/],
    ['passCredentials is set on an OCI repository', { url: 'oci://ghcr.io/acme/charts', passCredentials: true }, /spec\.passCredentials applies to HTTP\/S repositories only/],
  ];

  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRepository(chart, 'charts', { url: 'https://charts.example.com', ...props });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });
});
