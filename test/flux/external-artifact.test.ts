import { Chart, JsonPatch, Testing } from 'cdk8s';
import { ExternalArtifact, ExternalArtifactSourceReference, FluxApp, GitRepository, Kustomization } from '../../src/index.js';

describe('ExternalArtifact', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new ExternalArtifact(chart, 'generated');
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'ExternalArtifact',
        metadata: { name: 'generated', namespace: 'flux-system' },
        spec: {},
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    new ExternalArtifact(chart, 'generated', {
      metadata: { name: 'podinfo-bundle', labels: { producer: 'source-watcher' } },
      sourceRef: { apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', name: 'podinfo', namespace: 'flux-system' },
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'ExternalArtifact',
        metadata: { name: 'podinfo-bundle', namespace: 'apps', labels: { producer: 'source-watcher' } },
        spec: {
          sourceRef: { apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', name: 'podinfo', namespace: 'flux-system' },
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('a Flux object as the source reference', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new GitRepository(chart, 'fleet', { url: 'https://github.com/acme/fleet' });
    // WHEN
    new ExternalArtifact(chart, 'generated', { sourceRef: repo });
    // THEN
    expect(Testing.synth(chart)[1].spec).toStrictEqual({
      sourceRef: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'fleet' },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references an artifact produced elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    const artifact = ExternalArtifact.fromName(chart, 'bundle', 'podinfo-bundle');
    new Kustomization(chart, 'podinfo', { sourceRef: artifact, path: './deploy' });
    // THEN
    expect(artifact.kind).toBe('ExternalArtifact');
    expect(artifact.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'podinfo', namespace: 'flux-system' },
        spec: { interval: '10m', path: './deploy', prune: true, sourceRef: { kind: 'ExternalArtifact', name: 'podinfo-bundle' } },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const artifact = new ExternalArtifact(chart, 'generated');
    // WHEN
    artifact.addJsonPatch(JsonPatch.add('/spec/sourceRef', { name: 'podinfo' }));
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.sourceRef\.kind is required/);
  });

  test('fails when the source Flux object is defined nowhere in the app', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new GitRepository(new Chart(new FluxApp(), 'other'), 'fleet', { url: 'https://github.com/acme/fleet' });
    // WHEN
    new ExternalArtifact(chart, 'generated', { sourceRef: repo });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.sourceRef refers to GitRepository flux-system\/fleet, but it is defined nowhere in this app/);
  });

  const generator = { apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', name: 'podinfo' };
  const failures: Array<[string, ExternalArtifactSourceReference, RegExp]> = [
    ['the API version is malformed', { ...generator, apiVersion: 'source.extensions.fluxcd.io' }, /spec\.sourceRef\.apiVersion "source\.extensions\.fluxcd\.io" is not an API version; use <group>\/<version>/],
    ['the kind is not a kind', { ...generator, kind: 'artifact-generator' }, /spec\.sourceRef\.kind "artifact-generator" is not a kind/],
    ['the name is empty', { ...generator, name: '' }, /spec\.sourceRef\.name is empty/],
    ['the name is not a DNS name', { ...generator, name: 'PodInfo' }, /spec\.sourceRef\.name "PodInfo" is not a DNS-1123 name/],
    ['the namespace is not a DNS label', { ...generator, namespace: 'flux.system' }, /spec\.sourceRef\.namespace "flux\.system" is not a DNS-1123 label/],
  ];

  test.each(failures)('fails when %s', (_, sourceRef, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new ExternalArtifact(chart, 'generated', { sourceRef });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });
});
