import { Chart, Duration, Testing } from 'cdk8s';
import { FluxApp, Kustomization, OciRepository } from '../../src/index.js';

describe('Kustomization', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const source = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    // WHEN
    new Kustomization(chart, 'apps', { sourceRef: source, interval: Duration.minutes(5) });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'infra', namespace: 'flux-system' },
        spec: { interval: '5m', url: 'oci://ghcr.io/acme/infra' },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: 'flux-system' },
        spec: { interval: '5m', prune: true, sourceRef: { kind: 'OCIRepository', name: 'infra' } },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when dependsOn forms a cycle', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const source = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra:v1', interval: '5 minutes' });
    const a = new Kustomization(chart, 'a', { sourceRef: source });
    const b = new Kustomization(chart, 'b', { sourceRef: source, dependsOn: [a] });
    a.addDependency(b);
    expect(() => app.validate()).toThrow(/cycle/);
    try { app.validate(); } catch (e) { console.log((e as Error).message); }
  });
});
