import { Chart, JsonPatch, Testing } from 'cdk8s';
import {
  Alert, AlertProps, ClusterScope, EventSource, FluxApp, IAlert, IFluxObject, Kustomization, OciRepository, Provider,
} from '../../src/index.js';

/** An app with a chart, a Provider, an OCIRepository and a Kustomization, and an Alert built from `props`. */
function alertWith(props: Partial<AlertProps>) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  const provider = new Provider(chart, 'slack', { type: 'slack', secretRef: { name: 'slack-webhook' } });
  const repo = new OciRepository(chart, 'apps-source', { url: 'oci://ghcr.io/acme/apps' });
  const apps = new Kustomization(chart, 'apps', { sourceRef: repo });
  const alert = new Alert(chart, 'errors', { providerRef: provider, eventSources: [apps], ...props });
  return { app, chart, provider, repo, apps, alert };
}

describe('Alert', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const provider = new Provider(chart, 'slack', { type: 'slack', secretRef: { name: 'slack-webhook' } });
    // WHEN
    new Alert(chart, 'errors', { providerRef: provider, eventSources: [EventSource.all('Kustomization')] });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Provider',
        metadata: { name: 'slack', namespace: 'flux-system' },
        spec: { type: 'slack', secretRef: { name: 'slack-webhook' } },
      },
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Alert',
        metadata: { name: 'errors', namespace: 'flux-system' },
        spec: { providerRef: { name: 'slack' }, eventSources: [{ kind: 'Kustomization', name: '*' }] },
      },
    ]);
  });

  test('minimal object passes validation', () => {
    // GIVEN
    const { app } = alertWith({});
    // WHEN / THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'team-a' });
    const provider = new Provider(chart, 'teams', { type: 'msteams', secretRef: { name: 'teams-webhook' } });
    const repo = new OciRepository(chart, 'apps-source', { url: 'oci://ghcr.io/acme/apps' });
    const apps = new Kustomization(chart, 'apps', { sourceRef: repo });
    const infra = Kustomization.fromName(chart, 'infra', 'infra', { namespace: 'flux-system' });
    // WHEN
    new Alert(chart, 'deployments', {
      metadata: { name: 'deployments', labels: { team: 'a' } },
      providerRef: provider,
      eventSources: [
        apps,
        infra,
        repo,
        EventSource.all('HelmRelease', { matchLabels: { 'app.kubernetes.io/part-of': 'shop' } }),
        EventSource.all('GitRepository', { namespace: 'flux-system' }),
        EventSource.all('OCIRepository', { namespace: 'team-a' }),
      ],
      eventSeverity: 'error',
      inclusionList: ['.*succeeded.*'],
      exclusionList: ['waiting.*socket'],
      eventMetadata: { summary: 'Shop impacted in eu-west-1', env: 'prod' },
      suspend: false,
    });
    // THEN
    expect(Testing.synth(chart)[3]).toStrictEqual({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Alert',
      metadata: { name: 'deployments', namespace: 'team-a', labels: { team: 'a' } },
      spec: {
        providerRef: { name: 'teams' },
        eventSources: [
          { kind: 'Kustomization', name: 'apps' },
          { kind: 'Kustomization', name: 'infra', namespace: 'flux-system' },
          { kind: 'OCIRepository', name: 'apps-source' },
          { kind: 'HelmRelease', name: '*', matchLabels: { 'app.kubernetes.io/part-of': 'shop' } },
          { kind: 'GitRepository', name: '*', namespace: 'flux-system' },
          { kind: 'OCIRepository', name: '*' },
        ],
        eventSeverity: 'error',
        inclusionList: ['.*succeeded.*'],
        exclusionList: ['waiting.*socket'],
        eventMetadata: { summary: 'Shop impacted in eu-west-1', env: 'prod' },
        suspend: false,
      },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references an Alert managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    const alert: IAlert = Alert.fromName(chart, 'errors', 'on-call', { namespace: 'monitoring' });
    // THEN
    expect([alert.apiVersion, alert.kind, alert.namespace, alert.name]).toStrictEqual(['notification.toolkit.fluxcd.io/v1beta3', 'Alert', 'monitoring', 'on-call']);
    expect(alert.imported).toBe(true);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the Provider is in another namespace', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'team-a' });
    const provider = Provider.fromName(chart, 'slack', 'slack', { namespace: 'flux-system' });
    // WHEN
    new Alert(chart, 'errors', { providerRef: provider, eventSources: [EventSource.all('HelmRelease')] });
    // THEN
    expect(() => app.validate()).toThrow(
      /\[chart\/errors\] spec\.providerRef refers to Provider flux-system\/slack in another namespace, but an Alert can only use a Provider of its own namespace \(team-a\); define the Provider in team-a/,
    );
  });

  test('fails when providerRef is not a Provider', () => {
    // GIVEN
    const { app, apps } = alertWith({});
    const chart = apps.node.scope as Chart;
    // WHEN
    new Alert(chart, 'wrong', { providerRef: apps as any, eventSources: [apps] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.providerRef refers to Kustomization flux-system\/apps, but Flux accepts only Provider there/);
  });

  test('fails when an event source is defined nowhere in the app', () => {
    // GIVEN
    const other = new Chart(new FluxApp(), 'other');
    const stray = new Kustomization(other, 'stray', { sourceRef: OciRepository.fromName(other, 'src', 'src') });
    // WHEN
    const { app } = alertWith({ eventSources: [stray] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.eventSources\[0\] refers to Kustomization flux-system\/stray, but it is defined nowhere in this app/);
  });

  test('fails when an event source is of a kind that emits no events', () => {
    // GIVEN
    const { app, provider } = alertWith({});
    const chart = provider.node.scope as Chart;
    // WHEN
    new Alert(chart, 'self', { providerRef: provider, eventSources: [provider as IFluxObject] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.eventSources\[0\] refers to Provider flux-system\/slack, but Flux accepts only Bucket, GitRepository, /);
  });

  test('fails when an event source is in another namespace of a locked-down cluster', () => {
    // GIVEN
    const app = new FluxApp();
    const cluster = new ClusterScope(app, 'prod', { lockedNamespaces: '*' });
    const infra = new Chart(cluster, 'infra');
    const team = new Chart(cluster, 'team', { namespace: 'team-a' });
    const apps = new Kustomization(infra, 'apps', { sourceRef: OciRepository.fromName(infra, 'src', 'src') });
    const provider = new Provider(team, 'slack', { type: 'slack', secretRef: { name: 'slack' } });
    // WHEN
    new Alert(team, 'errors', { providerRef: provider, eventSources: [apps] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.eventSources\[0\] refers to Kustomization flux-system\/apps in another namespace, but namespace team-a is locked down/);
  });

  const failures: Array<[string, Partial<AlertProps>, RegExp]> = [
    ['eventSources is empty', { eventSources: [] }, /spec\.eventSources is empty, so the Alert sends nothing/],
    ['a wildcard names a kind that emits no events', { eventSources: [EventSource.all('Alert' as any)] }, /spec\.eventSources\[0\]\.kind "Alert" is not allowed; use one of "Bucket", /],
    ['a wildcard selects every namespace', { eventSources: [EventSource.all('Kustomization', { namespace: '*' })] }, /spec\.eventSources\[0\]\.namespace "\*" \(every namespace\) needs a controller feature gate/],
    ['a wildcard namespace is not a DNS label', { eventSources: [EventSource.all('Kustomization', { namespace: 'Team_A' })] }, /spec\.eventSources\[0\]\.namespace "Team_A" is not a DNS-1123 label/],
    ['a matchLabels key is not a label key', { eventSources: [EventSource.all('HelmRelease', { matchLabels: { 'team name': 'a' } })] }, /spec\.eventSources\[0\]\.matchLabels key "team name" is not a label key/],
    ['a matchLabels value is not a label value', { eventSources: [EventSource.all('HelmRelease', { matchLabels: { team: 'a/b' } })] }, /spec\.eventSources\[0\]\.matchLabels\.team value "a\/b" is not a label value/],
    ['eventSeverity is unknown', { eventSeverity: 'warning' as any }, /spec\.eventSeverity "warning" is not allowed; use one of "info", "error"/],
    ['an inclusion expression does not compile', { inclusionList: ['(unclosed'] }, /spec\.inclusionList\[0\] "\(unclosed" is not a valid regular expression/],
    ['an exclusion expression does not compile', { exclusionList: ['[a-'] }, /spec\.exclusionList\[0\] "\[a-" is not a valid regular expression/],
  ];
  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const { app } = alertWith(props);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(message);
  });

  test('fails when a schema violation is smuggled through the escape hatch', () => {
    // GIVEN
    const { app, alert } = alertWith({});
    // WHEN
    alert.addJsonPatch(JsonPatch.add('/spec/summary', 's'.repeat(300)));
    // THEN
    expect(() => app.validate()).toThrow(/\[chart\/errors\] does not match the Flux schema: spec\.summary must NOT be longer than 255 characters/);
  });
});
