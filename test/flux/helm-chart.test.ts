import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { Bucket, FluxApp, GitRepository, HelmChart, HelmChartProps, HelmRepository, OciRepository } from '../../src/index.js';

describe('HelmChart', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new HelmRepository(chart, 'podinfo-repo', { url: 'https://stefanprodan.github.io/podinfo' });
    // WHEN
    new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef: repo });
    // THEN
    expect(Testing.synth(chart)[1]).toStrictEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmChart',
      metadata: { name: 'podinfo', namespace: 'flux-system' },
      spec: {
        chart: 'podinfo',
        interval: '5m',
        sourceRef: { kind: 'HelmRepository', name: 'podinfo-repo' },
        version: '*',
      },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    const repo = new HelmRepository(chart, 'podinfo-repo', { url: 'oci://ghcr.io/stefanprodan/charts' });
    // WHEN
    new HelmChart(chart, 'podinfo', {
      metadata: { name: 'podinfo-chart', labels: { app: 'podinfo' } },
      chart: 'podinfo',
      sourceRef: repo,
      version: '>=6.1.6 <7.0.0',
      interval: Duration.minutes(15),
      reconcileStrategy: 'ChartVersion',
      valuesFiles: ['values.yaml', 'values-production.yaml'],
      ignoreMissingValuesFiles: true,
      verify: {
        provider: 'cosign',
        matchOIDCIdentity: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/stefanprodan/podinfo.*$' }],
      },
      suspend: true,
    });
    // THEN
    expect(Testing.synth(chart)[1]).toStrictEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmChart',
      metadata: { name: 'podinfo-chart', namespace: 'apps', labels: { app: 'podinfo' } },
      spec: {
        chart: 'podinfo',
        sourceRef: { kind: 'HelmRepository', name: 'podinfo-repo' },
        version: '>=6.1.6 <7.0.0',
        interval: '15m',
        reconcileStrategy: 'ChartVersion',
        valuesFiles: ['values.yaml', 'values-production.yaml'],
        ignoreMissingValuesFiles: true,
        verify: {
          provider: 'cosign',
          matchOIDCIdentity: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/stefanprodan/podinfo.*$' }],
        },
        suspend: true,
      },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('a chart from a GitRepository is a path', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new GitRepository(chart, 'podinfo-git', { url: 'https://github.com/stefanprodan/podinfo', ref: { branch: 'master' } });
    // WHEN
    new HelmChart(chart, 'podinfo', { chart: './charts/podinfo', sourceRef: repo, reconcileStrategy: 'Revision' });
    // THEN
    expect(Testing.synth(chart)[1].spec).toStrictEqual({
      chart: './charts/podinfo',
      interval: '5m',
      reconcileStrategy: 'Revision',
      sourceRef: { kind: 'GitRepository', name: 'podinfo-git' },
      version: '*',
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a chart managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    const imported = HelmChart.fromName(chart, 'podinfo', 'apps-podinfo', { namespace: 'flux-system' });
    // THEN
    expect(imported.apiVersion).toBe('source.toolkit.fluxcd.io/v1');
    expect(imported.kind).toBe('HelmChart');
    expect(imported.name).toBe('apps-podinfo');
    expect(imported.namespace).toBe('flux-system');
    expect(imported.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new HelmRepository(chart, 'podinfo-repo', { url: 'https://stefanprodan.github.io/podinfo' });
    const helmChart = new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef: repo });
    // WHEN
    helmChart.addJsonPatch(JsonPatch.add('/spec/reconcileStrategy', 'Always'));
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.reconcileStrategy "Always" is not allowed; use one of "ChartVersion", "Revision"/);
  });

  test('fails when the source is of a kind Flux does not accept', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const oci = new OciRepository(chart, 'podinfo-oci', { url: 'oci://ghcr.io/stefanprodan/charts/podinfo' });
    // WHEN
    new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef: oci as any });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.sourceRef refers to OCIRepository flux-system\/podinfo-oci, but Flux accepts only HelmRepository, GitRepository, Bucket there/);
  });

  test('fails when the source is in another namespace', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    const repo = new HelmRepository(chart, 'podinfo-repo', { metadata: { namespace: 'flux-system' }, url: 'https://stefanprodan.github.io/podinfo' });
    // WHEN
    new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef: repo });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.sourceRef refers to HelmRepository flux-system\/podinfo-repo, but a HelmChart's source must be in its own namespace \(apps\)/);
  });

  test('fails when the source is defined nowhere in the app', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new HelmRepository(new Chart(new FluxApp(), 'other'), 'podinfo-repo', { url: 'https://stefanprodan.github.io/podinfo' });
    // WHEN
    new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef: repo });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.sourceRef refers to HelmRepository flux-system\/podinfo-repo, but it is defined nowhere in this app/);
  });

  type Source = 'helm' | 'oci' | 'git' | 'bucket';
  const failures: Array<[string, Source, Partial<HelmChartProps>, RegExp]> = [
    ['the chart is empty', 'helm', { chart: ' ' }, /spec\.chart is empty/],
    ['a HelmRepository chart is a path', 'helm', { chart: './charts/podinfo' }, /spec\.chart "\.\/charts\/podinfo" is a path, but a chart from a HelmRepository is named, e\.g\. "podinfo"/],
    ['a HelmRepository chart carries a version', 'helm', { chart: 'podinfo:6.5.0' }, /spec\.chart "podinfo:6\.5\.0" carries a version or digest; use the bare chart name and set spec\.version/],
    ['a Git chart path climbs out of the artifact', 'git', { chart: '../charts/podinfo' }, /spec\.chart "\.\.\/charts\/podinfo" climbs out of the artifact/],
    ['a Bucket chart path is absolute', 'bucket', { chart: '/charts/podinfo' }, /spec\.chart "\/charts\/podinfo" is absolute/],
    ['the version is not a semver range', 'helm', { version: 'latest' }, /spec\.version "latest" is not a semver range/],
    ['a version is set for a Git chart', 'git', { chart: './charts/podinfo', version: '6.x' }, /spec\.version "6\.x" is ignored for a chart from a GitRepository \(Flux uses the version in its Chart\.yaml\); drop it/],
    ['the interval is not a Go duration', 'helm', { interval: '5 min' }, /spec\.interval "5 min" is not a Go duration/],
    ['the reconcile strategy is unknown', 'helm', { reconcileStrategy: 'Always' as any }, /spec\.reconcileStrategy "Always" is not allowed; use one of "ChartVersion", "Revision"/],
    ['a values file climbs out of the source', 'helm', { valuesFiles: ['values.yaml', '../../secrets.yaml'] }, /spec\.valuesFiles\[1\] "\.\.\/\.\.\/secrets\.yaml" climbs out of the artifact/],
    ['ignoreMissingValuesFiles is set without values files', 'helm', { ignoreMissingValuesFiles: true }, /spec\.ignoreMissingValuesFiles is set without spec\.valuesFiles/],
    ['verify is set for a chart from an HTTP/S HelmRepository', 'helm', { verify: { provider: 'cosign' } }, /spec\.verify applies to charts from an OCI HelmRepository only, but HelmRepository flux-system\/charts is an HTTP\/S repository \("https:\/\/charts\.example\.com"\)/],
    ['verify is set for a chart from a GitRepository', 'git', { chart: './charts/podinfo', verify: { provider: 'cosign' } }, /spec\.verify applies to charts from an OCI HelmRepository only, but the source is GitRepository flux-system\/charts/],
    ['the verification provider is unknown', 'oci', { verify: { provider: 'gpg' as any, secretRef: { name: 'keys' } } }, /spec\.verify\.provider "gpg" is not allowed; use one of "cosign", "notation"/],
    ['matchOIDCIdentity is set with a cosign key', 'oci', {
      verify: { provider: 'cosign', secretRef: { name: 'keys' }, matchOIDCIdentity: [{ issuer: '.*', subject: '.*' }] },
    }, /spec\.verify\.matchOIDCIdentity applies to keyless cosign only/],
    ['notation has no secretRef', 'oci', { verify: { provider: 'notation' } }, /spec\.verify\.secretRef is required with provider "notation"/],
    ['an OIDC subject is not a regular expression', 'oci', {
      verify: { provider: 'cosign', matchOIDCIdentity: [{ issuer: '.*', subject: '(' }] },
    }, /spec\.verify\.matchOIDCIdentity\[0\]\.subject "\(" is not a valid regular expression/],
  ];

  test.each(failures)('fails when %s', (_, kind, props, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const sourceRef = kind === 'helm' ? new HelmRepository(chart, 'charts', { url: 'https://charts.example.com' })
      : kind === 'oci' ? new HelmRepository(chart, 'charts', { url: 'oci://ghcr.io/acme/charts' })
        : kind === 'git' ? new GitRepository(chart, 'charts', { url: 'https://github.com/acme/charts' })
          : new Bucket(chart, 'charts', { bucketName: 'charts', endpoint: 'minio.example.com' });
    // WHEN
    new HelmChart(chart, 'podinfo', { chart: 'podinfo', sourceRef, ...props });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });
});
