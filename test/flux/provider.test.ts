import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { Alert, EventSource, FluxApp, IProvider, Provider, ProviderProps } from '../../src/index.js';

/** An app with a chart and a Provider built from `props`. */
function providerWith(props: ProviderProps) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  const provider = new Provider(chart, 'alerts', props);
  return { app, chart, provider };
}

describe('Provider', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new Provider(chart, 'slack', { type: 'slack', secretRef: { name: 'slack-webhook' } });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Provider',
        metadata: { name: 'slack', namespace: 'flux-system' },
        spec: { type: 'slack', secretRef: { name: 'slack-webhook' } },
      },
    ]);
  });

  test('minimal object passes validation', () => {
    // GIVEN
    const { app } = providerWith({ type: 'slack', secretRef: { name: 'slack-webhook' } });
    // WHEN / THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'monitoring' });
    // WHEN
    new Provider(chart, 'github', {
      metadata: { name: 'github-status', labels: { team: 'platform' } },
      type: 'github',
      address: 'https://github.com/acme/fleet',
      channel: 'deployments',
      username: 'flux',
      secretRef: { name: 'github-token' },
      certSecretRef: { name: 'github-ca' },
      proxySecretRef: { name: 'corporate-proxy' },
      timeout: Duration.seconds(30),
      commitStatusExpr: "(event.involvedObject.kind + '/' + event.involvedObject.name).lowerAscii()",
      suspend: false,
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Provider',
        metadata: { name: 'github-status', namespace: 'monitoring', labels: { team: 'platform' } },
        spec: {
          type: 'github',
          address: 'https://github.com/acme/fleet',
          channel: 'deployments',
          username: 'flux',
          secretRef: { name: 'github-token' },
          certSecretRef: { name: 'github-ca' },
          proxySecretRef: { name: 'corporate-proxy' },
          timeout: '30s',
          commitStatusExpr: "(event.involvedObject.kind + '/' + event.involvedObject.name).lowerAscii()",
          suspend: false,
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('workload identity and non-URL addresses for cloud types', () => {
    // GIVEN
    const { app, provider } = providerWith({ type: 'googlepubsub', address: 'acme-prod', channel: 'flux-events', serviceAccountName: 'flux-pubsub' });
    // WHEN / THEN
    expect(provider.toJson().spec).toStrictEqual({ type: 'googlepubsub', address: 'acme-prod', channel: 'flux-events', serviceAccountName: 'flux-pubsub' });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a Provider managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const provider: IProvider = Provider.fromName(chart, 'slack', 'slack-bot');
    // WHEN
    const alert = new Alert(chart, 'errors', { providerRef: provider, eventSources: [EventSource.all('Kustomization')] });
    // THEN
    expect(provider.kind).toBe('Provider');
    expect(provider.apiVersion).toBe('notification.toolkit.fluxcd.io/v1beta3');
    expect(alert.toJson().spec.providerRef).toStrictEqual({ name: 'slack-bot' });
    expect(() => app.validate()).not.toThrow();
  });

  const failures: Array<[string, ProviderProps, RegExp]> = [
    ['the type is unknown', { type: 'email' as any, address: 'https://mail.example.com' }, /spec\.type "email" is not allowed; use one of "slack", /],
    ['the address is not http(s)', { type: 'generic', address: 'ftp://hooks.example.com/flux' }, /spec\.address "ftp:\/\/hooks\.example\.com\/flux" must start with http:\/\/ or https:\/\//],
    ['the address carries user:password@', { type: 'alertmanager', address: 'https://admin:s3cret@alertmanager.example.com/api/v2/alerts' },
      /spec\.address "https:\/\/alertmanager\.example\.com\/…" carries credentials \(user:password@\): never inline it; put the address under the key "address" of a Secret and reference that Secret with secretRef/],
    ['the address is a Slack webhook URL', { type: 'slack', address: 'https://hooks.slack.com/services/T000/B000/XXXX' },
      /spec\.address "https:\/\/hooks\.slack\.com\/…" is a Slack incoming webhook URL, whose path is its token: never inline it; put the address under the key "address" of a Secret/],
    ['the address is a Microsoft Teams webhook URL', { type: 'msteams', address: 'https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def' },
      /spec\.address "https:\/\/acme\.webhook\.office\.com\/…" is a Microsoft Teams webhook URL, which grants posting to anyone who holds it: never inline it/],
    ['the address is a Teams workflow URL with a signature', { type: 'msteams', address: 'https://prod-01.westeurope.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke?sig=abc' },
      /spec\.address "https:\/\/prod-01\.westeurope\.logic\.azure\.com\/…" is a Microsoft Teams webhook URL/],
    ['the address is a Discord webhook URL', { type: 'discord', address: 'https://discord.com/api/webhooks/123/abc' }, /spec\.address "https:\/\/discord\.com\/…" is a Discord webhook URL/],
    ['the address carries a token in its query', { type: 'generic', address: 'https://hooks.example.com/flux?token=abc' }, /spec\.address "https:\/\/hooks\.example\.com\/…" carries a secret in its query \(token=\)/],
    ['a nats address is not a NATS URL', { type: 'nats', address: 'https://nats.example.com', channel: 'flux' }, /spec\.address "https:\/\/nats\.example\.com" must start with nats:\/\/ or tls:\/\//],
    ['a googlepubsub address is a URL', { type: 'googlepubsub', address: 'https://pubsub.googleapis.com', channel: 'flux' }, /spec\.address "https:\/\/pubsub\.googleapis\.com" is a URL, but type "googlepubsub" takes a GCP project ID/],
    ['there is neither an address nor a secretRef', { type: 'generic' }, /spec\.address is not set and there is no spec\.secretRef to carry it/],
    ['commitStatusExpr is set on a chat type', { type: 'slack', secretRef: { name: 's' }, commitStatusExpr: 'event.message' }, /spec\.commitStatusExpr is set with type "slack"; it applies to "github", "gitlab", "gitea", "bitbucketserver", "bitbucket", "azuredevops" only/],
    ['serviceAccountName is set on a type without workload identity', { type: 'slack', secretRef: { name: 's' }, serviceAccountName: 'flux' }, /spec\.serviceAccountName is set with type "slack"; workload identity applies to "azureeventhub", "azuredevops", "googlepubsub" only/],
    ['serviceAccountName is not a DNS name', { type: 'azuredevops', address: 'https://dev.azure.com/acme/fleet/_git/fleet', serviceAccountName: 'Flux SA' }, /spec\.serviceAccountName "Flux SA" is not a DNS-1123 name/],
    ['the timeout has hours', { type: 'slack', secretRef: { name: 's' }, timeout: '1h' }, /spec\.timeout "1h" is not a Go duration; use a number and a unit \(ms, s or m \(no hours here\)\)/],
  ];
  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const { app } = providerWith(props);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(message);
  });

  test('an inline secret is never repeated in the error', () => {
    // GIVEN
    const { app } = providerWith({ type: 'slack', address: 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN' });
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/Slack incoming webhook URL/);
    expect(() => app.validate()).not.toThrow(/SECRETTOKEN/);
  });

  test('fails when a schema violation is smuggled through the escape hatch', () => {
    // GIVEN
    const { app, provider } = providerWith({ type: 'slack', secretRef: { name: 'slack-webhook' } });
    // WHEN
    provider.addJsonPatch(JsonPatch.replace('/spec/type', 'email'));
    // THEN
    expect(() => app.validate()).toThrow(/\[chart\/alerts\] does not match the Flux schema: spec\.type "email" is not allowed; use one of "slack"/);
  });
});
