import { Chart } from 'cdk8s';
import { fluxMinorOf, fluxVersionProblem } from '../../src/flux/core/flux-version.js';
import { Alert, checkFluxSchema, ClusterScope, EventSource, FluxApp, Provider, SynthError } from '../../src/index.js';

/** A Provider and an Alert in a cluster running `fluxVersion`. */
function notificationsOn(fluxVersion: string | undefined) {
  const app = new FluxApp();
  const cluster = new ClusterScope(app, 'cluster', fluxVersion === undefined ? {} : { fluxVersion });
  const chart = new Chart(cluster, 'notifications', { namespace: 'flux-system' });
  const provider = new Provider(chart, 'slack', { type: 'slack', channel: 'alerts', secretRef: { name: 'slack-token' } });
  const alert = new Alert(chart, 'slack-alert', { providerRef: provider, eventSources: [EventSource.all('Kustomization')] });
  return { app, provider, alert };
}

describe('Flux versions', () => {
  test('the minor of each way a version is written', () => {
    const versions = ['2.10.x', '2.10.1', 'v2.9.4', '2.9', '~2.10.0', '2.10.*', '2.x', '>=2.9.0', '3.0.x'];
    expect(Object.fromEntries(versions.map((v) => [v, fluxMinorOf(v) ?? null]))).toStrictEqual({
      '2.10.x': '2.10',
      '2.10.1': '2.10',
      'v2.9.4': '2.9',
      '2.9': '2.9',
      '~2.10.0': '2.10',
      '2.10.*': '2.10',
      '2.x': null,
      '>=2.9.0': null,
      '3.0.x': '3.0',
    });
  });

  test('a cluster on Flux 2.10 gets Provider and Alert at notification v1, and they pass its schemas', () => {
    // GIVEN
    const { app, provider, alert } = notificationsOn('2.10.x');
    // WHEN
    app.validate();
    // THEN
    expect([provider.toJson().apiVersion, alert.toJson().apiVersion])
      .toStrictEqual(['notification.toolkit.fluxcd.io/v1', 'notification.toolkit.fluxcd.io/v1']);
    expect(checkFluxSchema(alert.toJson(), { fluxMinor: '2.10' })).toStrictEqual([]);
    expect(checkFluxSchema(alert.toJson(), { fluxMinor: '2.9' }))
      .toStrictEqual(['apiVersion notification.toolkit.fluxcd.io/v1 of Alert is not served by Flux v2.9; use notification.toolkit.fluxcd.io/v1beta3']);
  });

  test('a cluster that names no version gets Flux 2.9\'s v1beta3', () => {
    const { app, provider, alert } = notificationsOn(undefined);
    app.validate();
    expect([provider.toJson().apiVersion, alert.toJson().apiVersion])
      .toStrictEqual(['notification.toolkit.fluxcd.io/v1beta3', 'notification.toolkit.fluxcd.io/v1beta3']);
    expect(checkFluxSchema(provider.toJson(), { fluxMinor: '2.10' }))
      .toStrictEqual(['apiVersion notification.toolkit.fluxcd.io/v1beta3 of Provider is not served by Flux v2.10; use notification.toolkit.fluxcd.io/v1']);
  });

  test('fails when a v1 Provider breaks the schema Flux 2.10 serves', () => {
    expect(checkFluxSchema({
      apiVersion: 'notification.toolkit.fluxcd.io/v1', kind: 'Provider', metadata: { name: 'p', namespace: 'flux-system' }, spec: { type: 'pager' },
    }, { fluxMinor: '2.10' })).toHaveLength(1);
    expect(checkFluxSchema({
      apiVersion: 'notification.toolkit.fluxcd.io/v1', kind: 'Provider', metadata: { name: 'p', namespace: 'flux-system' }, spec: { type: 'pager' },
    }, { fluxMinor: '2.10' })[0]).toMatch(/^does not match the Flux schema: spec.type "pager" is not allowed; use one of "slack", /);
  });

  test('fails when a cluster asks for a Flux minor flux-fleet does not know', () => {
    // GIVEN
    const { app } = notificationsOn('2.11.x');
    // WHEN
    let error: unknown;
    try {
      app.validate();
    } catch (e) {
      error = e;
    }
    // THEN
    expect((error as SynthError).errors.map((e) => `[${e.path}] ${e.message}`)).toStrictEqual([
      '[cluster] Flux version "2.11.x" asks for Flux 2.11, which flux-fleet does not know; use "2.7.x", "2.8.x", "2.9.x" or "2.10.x"',
    ]);
    expect(fluxVersionProblem('flux.version', '2.x')).toBe('flux.version "2.x" names no single Flux minor, so the API versions to emit are unknown; use e.g. "2.7.x", "2.8.x", "2.9.x" or "2.10.x"');
  });
});
