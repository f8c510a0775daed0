import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { ClusterScope, FluxApp, IReceiver, Kustomization, OciRepository, Receiver, ReceiverProps, ReceiverResource } from '../../src/index.js';

/** An app with a chart, an OCIRepository, and a Receiver built from `props` that reconciles it. */
function receiverWith(props: Partial<ReceiverProps>) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  const repo = new OciRepository(chart, 'apps', { url: 'oci://ghcr.io/acme/apps' });
  const receiver = new Receiver(chart, 'registry', { type: 'generic', secretRef: { name: 'webhook-token' }, resources: [repo], ...props });
  return { app, chart, repo, receiver };
}

describe('Receiver', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'apps', { url: 'oci://ghcr.io/acme/apps' });
    // WHEN
    new Receiver(chart, 'registry', { type: 'generic', secretRef: { name: 'webhook-token' }, resources: [repo] });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'apps', namespace: 'flux-system' },
        spec: { interval: '5m', url: 'oci://ghcr.io/acme/apps' },
      },
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1',
        kind: 'Receiver',
        metadata: { name: 'registry', namespace: 'flux-system' },
        spec: { type: 'generic', resources: [{ kind: 'OCIRepository', name: 'apps' }], secretRef: { name: 'webhook-token' } },
      },
    ]);
  });

  test('minimal object passes validation', () => {
    // GIVEN
    const { app } = receiverWith({});
    // WHEN / THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'apps', { url: 'oci://ghcr.io/acme/apps' });
    const apps = new Kustomization(chart, 'apps-sync', { metadata: { name: 'apps' }, sourceRef: repo });
    const fleet = OciRepository.fromName(chart, 'fleet', 'fleet', { namespace: 'fleet-system' });
    // WHEN
    new Receiver(chart, 'github', {
      metadata: { name: 'github-push', labels: { team: 'platform' } },
      type: 'github',
      secretRef: { name: 'github-webhook-token' },
      resources: [
        repo,
        apps,
        fleet,
        ReceiverResource.all('GitRepository', { matchLabels: { 'fluxcd.io/webhook': 'github' } }),
        ReceiverResource.all('ImageRepository', { namespace: 'images' }),
      ],
      events: ['ping', 'push'],
      resourceFilter: "res.metadata.name == 'apps'",
      interval: Duration.minutes(30),
      suspend: false,
    });
    // THEN
    expect(Testing.synth(chart)[2]).toStrictEqual({
      apiVersion: 'notification.toolkit.fluxcd.io/v1',
      kind: 'Receiver',
      metadata: { name: 'github-push', namespace: 'flux-system', labels: { team: 'platform' } },
      spec: {
        type: 'github',
        events: ['ping', 'push'],
        resources: [
          { kind: 'OCIRepository', name: 'apps' },
          { kind: 'Kustomization', name: 'apps' },
          { kind: 'OCIRepository', name: 'fleet', namespace: 'fleet-system' },
          { kind: 'GitRepository', name: '*', matchLabels: { 'fluxcd.io/webhook': 'github' } },
          { kind: 'ImageRepository', name: '*', namespace: 'images' },
        ],
        resourceFilter: "res.metadata.name == 'apps'",
        secretRef: { name: 'github-webhook-token' },
        interval: '30m',
        suspend: false,
      },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a Receiver managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    const receiver: IReceiver = Receiver.fromName(chart, 'github', 'github-push');
    // THEN
    expect([receiver.apiVersion, receiver.kind, receiver.namespace, receiver.name]).toStrictEqual(['notification.toolkit.fluxcd.io/v1', 'Receiver', 'apps', 'github-push']);
    expect(receiver.imported).toBe(true);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when a resource is of a kind Flux cannot reconcile on request', () => {
    // GIVEN
    const { app, chart } = receiverWith({});
    const other = Receiver.fromName(chart, 'other', 'other');
    // WHEN
    new Receiver(chart, 'loop', { type: 'generic', secretRef: { name: 't' }, resources: [other] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.resources\[0\] refers to Receiver flux-system\/other, but Flux accepts only Bucket, GitRepository, /);
  });

  test('fails when a resource is in another namespace of a locked-down cluster', () => {
    // GIVEN
    const app = new FluxApp();
    const cluster = new ClusterScope(app, 'prod', { lockedNamespaces: ['team-a'] });
    const infra = new Chart(cluster, 'infra');
    const team = new Chart(cluster, 'team', { namespace: 'team-a' });
    const repo = new OciRepository(infra, 'apps', { url: 'oci://ghcr.io/acme/apps' });
    // WHEN
    new Receiver(team, 'hook', { type: 'generic', secretRef: { name: 't' }, resources: [repo] });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.resources\[0\] refers to OCIRepository flux-system\/apps in another namespace, but namespace team-a is locked down/);
  });

  const failures: Array<[string, Partial<ReceiverProps>, RegExp]> = [
    ['the type is unknown', { type: 'jenkins' as any }, /spec\.type "jenkins" is not allowed; use one of "generic", "generic-hmac", /],
    ['secretRef is missing', { secretRef: undefined as any }, /spec\.secretRef is required: name a Secret with a "token" key/],
    ['the secretRef name is not a DNS name', { secretRef: { name: 'Webhook Token' } }, /spec\.secretRef\.name "Webhook Token" is not a DNS-1123 name/],
    ['resources is empty', { resources: [] }, /spec\.resources is empty, so a request reconciles nothing/],
    ['a wildcard names an unknown kind', { resources: [ReceiverResource.all('Deployment' as any)] }, /spec\.resources\[0\]\.kind "Deployment" is not allowed; use one of "Bucket", /],
    ['a wildcard matchLabels value is too long', { resources: [ReceiverResource.all('OCIRepository', { matchLabels: { app: 'x'.repeat(64) } })] }, /spec\.resources\[0\]\.matchLabels\.app value "x{64}" is not a label value/],
    ['events are set on a type that does not filter them', { type: 'harbor', events: ['push'] }, /spec\.events is ignored by type "harbor", which does not filter by event; drop it, or use one of "github", "gitlab", "bitbucket", "cdevents"/],
    ['an event is empty', { type: 'github', events: ['push', ' '] }, /spec\.events\[1\] is empty; name an event type/],
    ['the interval is not a Go duration', { interval: 'hourly' }, /spec\.interval "hourly" is not a Go duration/],
  ];
  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const { app } = receiverWith(props);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(message);
  });

  test('fails when a schema violation is smuggled through the escape hatch', () => {
    // GIVEN
    const { app, receiver } = receiverWith({});
    // WHEN
    receiver.addJsonPatch(JsonPatch.remove('/spec/resources'));
    // THEN
    expect(() => app.validate()).toThrow(/\[chart\/registry\] does not match the Flux schema: spec\.resources is required/);
  });
});

describe('Receiver authenticated with OIDC tokens, and per-resource filters', () => {
  const GITHUB_ACTIONS = {
    issuerURL: 'https://token.actions.githubusercontent.com',
    validations: [{ expression: 'claims.repository_owner == \'acme\'', message: 'only acme\'s workflows' }],
  };

  test('renders a generic-oidc Receiver with its providers and filtered resources', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'apps', { url: 'oci://ghcr.io/acme/apps' });
    // WHEN
    const receiver = new Receiver(chart, 'ci', {
      type: 'generic-oidc',
      oidcProviders: [GITHUB_ACTIONS],
      resources: [ReceiverResource.object(repo, { filter: 'req.tag == \'latest\'' }), ReceiverResource.all('OCIRepository', { matchLabels: { team: 'web' }, filter: 'true' })],
    });
    app.validate();
    // THEN
    expect(receiver.toJson().spec).toStrictEqual({
      type: 'generic-oidc',
      oidcProviders: [GITHUB_ACTIONS],
      resources: [
        { kind: 'OCIRepository', name: 'apps', filter: 'req.tag == \'latest\'' },
        { kind: 'OCIRepository', name: '*', matchLabels: { team: 'web' }, filter: 'true' },
      ],
    });
  });

  test('fails when a generic-oidc Receiver has a secretRef and no providers', () => {
    const { app } = receiverWith({ type: 'generic-oidc' });
    expect(() => app.validate()).toThrow(/spec\.secretRef is set with type "generic-oidc", which authenticates with spec\.oidcProviders; drop the secretRef/);
    expect(() => app.validate()).toThrow(/spec\.oidcProviders is empty with type "generic-oidc"/);
  });

  test('fails when a filter is not CEL', () => {
    const { app, repo } = receiverWith({});
    new Receiver(Chart.of(repo), 'filtered', { type: 'generic', secretRef: { name: 'token' }, resources: [ReceiverResource.object(repo, { filter: 'res.name ==' })] });
    expect(() => app.validate()).toThrow(/spec\.resources\[0\]\.filter "res\.name ==" is not a CEL expression/);
  });
});
