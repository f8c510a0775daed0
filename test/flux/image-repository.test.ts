import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, ImagePolicy, ImagePolicyChoice, ImageRepository } from '../../src/index.js';

describe('ImageRepository', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo' });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        metadata: { name: 'podinfo', namespace: 'flux-system' },
        spec: { image: 'ghcr.io/stefanprodan/podinfo', interval: '5m' },
      },
    ]);
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    new ImageRepository(chart, 'podinfo', {
      metadata: { name: 'podinfo-images', labels: { team: 'web' } },
      image: 'registry.example.com:5000/acme/podinfo',
      interval: Duration.minutes(1),
      timeout: '30s',
      secretRef: { name: 'registry-auth' },
      serviceAccountName: 'image-scanner',
      certSecretRef: { name: 'registry-ca' },
      proxySecretRef: { name: 'proxy' },
      provider: 'generic',
      exclusionList: ['^.*\\.sig$', '^.*-rc[0-9]+$'],
      insecure: true,
      suspend: false,
      accessFrom: { namespaceSelectors: [{ matchLabels: { 'kubernetes.io/metadata.name': 'flux-system' } }] },
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        metadata: { name: 'podinfo-images', namespace: 'apps', labels: { team: 'web' } },
        spec: {
          image: 'registry.example.com:5000/acme/podinfo',
          interval: '1m',
          timeout: '30s',
          secretRef: { name: 'registry-auth' },
          serviceAccountName: 'image-scanner',
          certSecretRef: { name: 'registry-ca' },
          proxySecretRef: { name: 'proxy' },
          provider: 'generic',
          exclusionList: ['^.*\\.sig$', '^.*-rc[0-9]+$'],
          insecure: true,
          suspend: false,
          accessFrom: { namespaceSelectors: [{ matchLabels: { 'kubernetes.io/metadata.name': 'flux-system' } }] },
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('passes validation', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', provider: 'aws', timeout: Duration.minutes(2) });
    new ImageRepository(chart, 'nginx', { image: 'nginx' });
    new ImageRepository(chart, 'local', { image: 'localhost:5000/app', exclusionList: ['(?i)^.*-DEBUG$'] });
    // THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a repository managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    const repo = ImageRepository.fromName(chart, 'repo', 'podinfo', { namespace: 'images' });
    // WHEN
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('>=1.0.0') });
    // THEN
    expect(repo.kind).toBe('ImageRepository');
    expect(repo.imported).toBe(true);
    expect(Testing.synth(chart)[0].spec.imageRepositoryRef).toStrictEqual({ name: 'podinfo', namespace: 'images' });
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the image carries a scheme', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'https://ghcr.io/stefanprodan/podinfo' });
    expect(() => app.validate()).toThrow(/spec\.image "https:\/\/ghcr\.io\/stefanprodan\/podinfo" carries a scheme; drop "https:\/\/"/);
  });

  test('fails when the image carries a tag', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo:6.5.0' });
    expect(() => app.validate()).toThrow(/spec\.image "ghcr\.io\/stefanprodan\/podinfo:6\.5\.0" carries a tag; drop ":6\.5\.0"/);
  });

  test('fails when the image carries a digest', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo@sha256:abc' });
    expect(() => app.validate()).toThrow(/spec\.image "ghcr\.io\/stefanprodan\/podinfo@sha256:abc" carries a digest; drop "@sha256:abc"/);
  });

  test('fails when the image is not an image name', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/Acme/PodInfo' });
    expect(() => app.validate()).toThrow(/spec\.image "ghcr\.io\/Acme\/PodInfo" is not an image name: .* e\.g\. "ghcr\.io\/acme\/podinfo"/);
  });

  test('fails when the interval is not a Go duration', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', interval: '5 minutes' });
    expect(() => app.validate()).toThrow(/spec\.interval "5 minutes" is not a Go duration/);
  });

  test('fails when the timeout is in hours', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', timeout: '1h' });
    expect(() => app.validate()).toThrow(/spec\.timeout "1h" is not a Go duration; .*no hours here/);
  });

  test('fails when the provider is unknown', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', provider: 'github' as any });
    expect(() => app.validate()).toThrow(/spec\.provider "github" is not allowed; use one of "generic", "aws", "azure", "gcp"/);
  });

  test('fails when the service account name is not a DNS name', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', serviceAccountName: 'Image_Scanner' });
    expect(() => app.validate()).toThrow(/spec\.serviceAccountName "Image_Scanner" is not a DNS-1123 name/);
  });

  test('fails when the exclusion list has more than 25 entries', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const exclusionList = Array.from({ length: 26 }, (_, i) => `^v${i}$`);
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', exclusionList });
    expect(() => app.validate()).toThrow(/spec\.exclusionList has 26 entries; at most 25 are allowed/);
  });

  test('fails when an exclusion is not a regular expression', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', exclusionList: ['^.*(sig$'] });
    expect(() => app.validate()).toThrow(/spec\.exclusionList\[0\] "\^\.\*\(sig\$" is not a valid regular expression/);
  });

  test('fails when accessFrom selects no namespace', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo', accessFrom: { namespaceSelectors: [] } });
    expect(() => app.validate()).toThrow(/spec\.accessFrom\.namespaceSelectors is empty/);
  });

  test('fails when a patch breaks the Flux schema', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new ImageRepository(chart, 'podinfo', { image: 'ghcr.io/stefanprodan/podinfo' });
    repo.addJsonPatch(JsonPatch.add('/spec/provider', 'github'));
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.provider "github" is not allowed/);
  });
});
