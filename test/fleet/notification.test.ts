import { Chart, Testing } from 'cdk8s';
import {
  DEFAULT_NOTIFICATION_EVENT_KINDS, Notification, NotificationBuildOptions, NotificationObjects,
} from '../../src/fleet/notification.js';
import { ClusterScope } from '../../src/flux/core/object-index.js';
import { EventSource } from '../../src/flux/notification/alert.js';
import { FluxApp } from '../../src/frontends/cdk8s/flux-app.js';

const API_VERSION = 'notification.toolkit.fluxcd.io/v1beta3';
const PROD_EU: NotificationBuildOptions = { clusterName: 'prod-eu-1', environment: 'production', region: 'eu-west-1' };
const CLUSTER_METADATA = { cluster: 'prod-eu-1', environment: 'production', region: 'eu-west-1' };
const EVERY_DEFAULT_KIND = [
  { kind: 'Kustomization', name: '*' },
  { kind: 'HelmRelease', name: '*' },
  { kind: 'OCIRepository', name: '*' },
  { kind: 'HelmChart', name: '*' },
];

/** Builds the notification for one cluster into a fresh app's chart. */
function built(notification: Notification, options: NotificationBuildOptions = PROD_EU, namespace?: string) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart', namespace === undefined ? {} : { namespace });
  const objects: NotificationObjects = notification.build(chart, options);
  return { app, chart, ...objects };
}

/** The Provider object rendered with `spec`, named `name` in `flux-system`. */
function providerObject(name: string, spec: Record<string, unknown>) {
  return { apiVersion: API_VERSION, kind: 'Provider', metadata: { name, namespace: 'flux-system' }, spec };
}

/** The Alert object rendered for `name`, with every default source and severity "info" unless given. */
function alertObject(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: API_VERSION,
    kind: 'Alert',
    metadata: { name, namespace: 'flux-system' },
    spec: { providerRef: { name }, eventSources: EVERY_DEFAULT_KIND, eventSeverity: 'info', eventMetadata: CLUSTER_METADATA, ...spec },
  };
}

describe('Notification', () => {
  describe('slack', () => {
    test('a bot token posts through chat.postMessage to the channel', () => {
      // GIVEN
      const notification = Notification.slack({ channel: 'flux-alerts', secretName: 'slack-bot-token' });
      // WHEN
      const { provider, alert } = built(notification);
      // THEN
      expect(notification.id).toBe('slack');
      expect(provider.toJson()).toStrictEqual(providerObject('slack', {
        type: 'slack',
        channel: 'flux-alerts',
        address: 'https://slack.com/api/chat.postMessage',
        secretRef: { name: 'slack-bot-token' },
      }));
      expect(alert.toJson()).toStrictEqual(alertObject('slack'));
    });

    test('an incoming webhook keeps its URL in the Secret and sets no channel', () => {
      // GIVEN
      const notification = Notification.slack({ webhook: true, secretName: 'slack-webhook' });
      // WHEN
      const { provider, alert } = built(notification);
      // THEN
      expect(notification.id).toBe('slack');
      expect(provider.toJson()).toStrictEqual(providerObject('slack', { type: 'slack', secretRef: { name: 'slack-webhook' } }));
      expect(alert.toJson()).toStrictEqual(alertObject('slack'));
    });

    test.each([
      ['a bot token', Notification.slack({ channel: 'C0123456789', secretName: 'slack-bot-token' })],
      ['a webhook', Notification.slack({ webhook: true, secretName: 'slack-webhook' })],
    ])('%s passes validation', (_, notification) => {
      // GIVEN
      const { app } = built(notification);
      // WHEN / THEN
      expect(notification.validate()).toStrictEqual([]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  describe('webhook address in the Secret', () => {
    test.each([
      ['msteams', Notification.msteams({ secretName: 'teams-webhook' })],
      ['discord', Notification.discord({ secretName: 'teams-webhook' })],
      ['googlechat', Notification.googlechat({ secretName: 'teams-webhook' })],
    ])('%s references the Secret only', (type, notification) => {
      // GIVEN / WHEN
      const { app, provider, alert } = built(notification);
      // THEN
      expect(notification.id).toBe(type);
      expect(provider.toJson()).toStrictEqual(providerObject(type, { type, secretRef: { name: 'teams-webhook' } }));
      expect(alert.toJson()).toStrictEqual(alertObject(type));
      expect(notification.validate()).toStrictEqual([]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  describe('webhook', () => {
    test.each([
      ['generic', Notification.webhook({ secretName: 'events-webhook' })],
      ['generic', Notification.webhook({ secretName: 'events-webhook', hmac: false })],
      ['generic-hmac', Notification.webhook({ secretName: 'events-webhook', hmac: true })],
    ])('renders type %s', (type, notification) => {
      // GIVEN / WHEN
      const { app, provider, alert } = built(notification);
      // THEN
      expect(notification.id).toBe('webhook');
      expect(provider.toJson()).toStrictEqual(providerObject('webhook', { type, secretRef: { name: 'events-webhook' } }));
      expect(alert.toJson()).toStrictEqual(alertObject('webhook'));
      expect(notification.validate()).toStrictEqual([]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  describe('githubCommitStatus', () => {
    test('one status per Kustomization and cluster, from Kustomization events only', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' });
      // WHEN
      const { app, provider, alert } = built(notification);
      // THEN
      expect(notification.id).toBe('github-status');
      expect(provider.toJson()).toStrictEqual(providerObject('github-status', {
        type: 'github',
        address: 'https://github.com/acme/fleet',
        secretRef: { name: 'github-token' },
        commitStatusExpr: "(event.involvedObject.kind + '/' + event.involvedObject.name).lowerAscii() + '/prod-eu-1'",
      }));
      expect(alert.toJson()).toStrictEqual(alertObject('github-status', { eventSources: [{ kind: 'Kustomization', name: '*' }] }));
      expect(notification.validate()).toStrictEqual([]);
      expect(() => app.validate()).not.toThrow();
    });

    test('GitHub Enterprise Server', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({ repository: 'platform/fleet', secretName: 'github-app', host: 'github.acme.io' });
      // WHEN
      const { app, provider } = built(notification);
      // THEN
      expect(provider.toJson().spec.address).toBe('https://github.acme.io/platform/fleet');
      expect(notification.validate()).toStrictEqual([]);
      expect(() => app.validate()).not.toThrow();
    });

    test('the fleet severity is ignored: a status turns green only on info events', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' });
      // WHEN
      const { alert } = built(notification, { ...PROD_EU, severity: 'error' });
      // THEN
      expect(alert.toJson().spec.eventSeverity).toBe('info');
    });

    test('only the Kustomization entries of the fleet event sources are kept', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' });
      const eventSources = [EventSource.all('HelmRelease'), EventSource.all('Kustomization', { namespace: 'apps' }), EventSource.all('OCIRepository')];
      // WHEN
      const { alert } = built(notification, { ...PROD_EU, eventSources });
      // THEN
      expect(alert.toJson().spec.eventSources).toStrictEqual([{ kind: 'Kustomization', name: '*', namespace: 'apps' }]);
    });

    test('fleet event sources without a Kustomization fall back to every Kustomization', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' });
      // WHEN
      const { alert } = built(notification, { ...PROD_EU, eventSources: [EventSource.all('HelmRelease')] });
      // THEN
      expect(alert.toJson().spec.eventSources).toStrictEqual([{ kind: 'Kustomization', name: '*' }]);
    });

    test('its own event sources are kept as given', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({
        repository: 'acme/fleet',
        secretName: 'github-token',
        eventSources: [EventSource.all('Kustomization'), EventSource.all('HelmRelease', { matchLabels: { 'fleet.acme.io/commit': 'true' } })],
      });
      // WHEN
      const { app, alert } = built(notification);
      // THEN
      expect(alert.toJson().spec.eventSources).toStrictEqual([
        { kind: 'Kustomization', name: '*' },
        { kind: 'HelmRelease', name: '*', matchLabels: { 'fleet.acme.io/commit': 'true' } },
      ]);
      expect(() => app.validate()).not.toThrow();
    });

    test('the cluster name is quoted as a CEL string', () => {
      // GIVEN
      const notification = Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' });
      // WHEN
      const { provider } = built(notification, { ...PROD_EU, clusterName: "it's\\odd" });
      // THEN
      expect(provider.toJson().spec.commitStatusExpr).toBe("(event.involvedObject.kind + '/' + event.involvedObject.name).lowerAscii() + '/it\\'s\\\\odd'");
    });
  });

  describe('build', () => {
    test('every option set', () => {
      // GIVEN
      const notification = Notification.slack({
        name: 'slack-deploys',
        channel: 'deploys',
        secretName: 'slack-bot-token',
        severity: 'error',
        eventSources: [EventSource.all('HelmRelease', { namespace: 'apps', matchLabels: { team: 'shop' } })],
        eventMetadata: { team: 'platform' },
      });
      // WHEN
      const { app, chart, provider, alert } = built(notification, { ...PROD_EU, severity: 'info', eventSources: [EventSource.all('Kustomization')] }, 'monitoring');
      // THEN
      expect(notification.id).toBe('slack-deploys');
      expect(Testing.synth(chart)).toStrictEqual([
        {
          apiVersion: API_VERSION,
          kind: 'Provider',
          metadata: { name: 'slack-deploys', namespace: 'monitoring' },
          spec: { type: 'slack', channel: 'deploys', address: 'https://slack.com/api/chat.postMessage', secretRef: { name: 'slack-bot-token' } },
        },
        {
          apiVersion: API_VERSION,
          kind: 'Alert',
          metadata: { name: 'slack-deploys', namespace: 'monitoring' },
          spec: {
            providerRef: { name: 'slack-deploys' },
            eventSources: [{ kind: 'HelmRelease', name: '*', namespace: 'apps', matchLabels: { team: 'shop' } }],
            eventSeverity: 'error',
            eventMetadata: { cluster: 'prod-eu-1', environment: 'production', region: 'eu-west-1', team: 'platform' },
          },
        },
      ]);
      expect([provider.node.path, alert.node.path]).toStrictEqual(['chart/notification-slack-deploys/Provider', 'chart/notification-slack-deploys/Alert']);
      expect(notification.validate()).toStrictEqual([]);
      expect(() => app.validate()).not.toThrow();
    });

    test('the fleet severity and event sources apply when the notification sets none', () => {
      // GIVEN
      const notification = Notification.msteams({ secretName: 'teams-webhook' });
      // WHEN
      const { alert } = built(notification, { ...PROD_EU, severity: 'error', eventSources: [EventSource.all('HelmRelease')] });
      // THEN
      expect(alert.toJson().spec).toStrictEqual({
        providerRef: { name: 'msteams' },
        eventSources: [{ kind: 'HelmRelease', name: '*' }],
        eventSeverity: 'error',
        eventMetadata: CLUSTER_METADATA,
      });
    });

    test('the default event sources are every object of the fleet kinds', () => {
      // GIVEN
      const notification = Notification.discord({ secretName: 'discord-webhook' });
      // WHEN
      const { alert } = built(notification, { ...PROD_EU, eventSources: [] });
      // THEN
      expect(alert.toJson().spec.eventSources).toStrictEqual(DEFAULT_NOTIFICATION_EVENT_KINDS.map((kind) => ({ kind, name: '*' })));
    });

    test('each cluster gets its own metadata', () => {
      // GIVEN
      const notification = Notification.slack({ channel: 'flux-alerts', secretName: 'slack-bot-token' });
      const app = new FluxApp();
      const eu = new Chart(new ClusterScope(app, 'prod-eu-1'), 'notifications');
      const us = new Chart(new ClusterScope(app, 'prod-us-1'), 'notifications');
      // WHEN
      const a = notification.build(eu, PROD_EU);
      const b = notification.build(us, { clusterName: 'prod-us-1', environment: 'production', region: 'us-east-1' });
      // THEN
      expect(a.alert.toJson().spec.eventMetadata).toStrictEqual(CLUSTER_METADATA);
      expect(b.alert.toJson().spec.eventMetadata).toStrictEqual({ cluster: 'prod-us-1', environment: 'production', region: 'us-east-1' });
      expect(() => app.validate()).not.toThrow();
    });

    test('several notifications in one cluster', () => {
      // GIVEN
      const app = new FluxApp();
      const chart = new Chart(app, 'notifications');
      // WHEN
      Notification.slack({ channel: 'flux-alerts', secretName: 'slack-bot-token' }).build(chart, PROD_EU);
      Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' }).build(chart, PROD_EU);
      Notification.webhook({ name: 'audit', secretName: 'audit-webhook', hmac: true }).build(chart, PROD_EU);
      // THEN
      expect(Testing.synth(chart).map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual([
        'Provider/slack', 'Alert/slack', 'Provider/github-status', 'Alert/github-status', 'Provider/audit', 'Alert/audit',
      ]);
      expect(() => app.validate()).not.toThrow();
    });

    test('the fleet keys of the metadata are never overridden', () => {
      // GIVEN
      const notification = Notification.slack({ channel: 'flux-alerts', secretName: 'slack-bot-token', eventMetadata: { cluster: 'other', team: 'platform' } });
      // WHEN
      const { alert } = built(notification);
      // THEN
      expect(alert.toJson().spec.eventMetadata).toStrictEqual({ ...CLUSTER_METADATA, team: 'platform' });
    });

    test('fails at synth when the event sources are empty', () => {
      // GIVEN
      const notification = Notification.slack({ channel: 'flux-alerts', secretName: 'slack-bot-token', eventSources: [] });
      // WHEN
      const { app } = built(notification);
      // THEN
      expect(() => app.validate()).toThrow(/\[chart\/notification-slack\/Alert\] spec\.eventSources is empty, so the Alert sends nothing/);
    });
  });

  const failures: Array<[string, () => Notification, RegExp]> = [
    ['the name is not a DNS-1123 label', () => Notification.msteams({ name: 'Teams Alerts', secretName: 'teams-webhook' }),
      /^Notification\.msteams\(\) name "Teams Alerts" is not a DNS-1123 label: .*e\.g\. "teams-alerts"$/],
    ['the name is longer than 63 characters', () => Notification.discord({ name: 'a'.repeat(64), secretName: 'discord-webhook' }),
      /^Notification\.discord\(\) name "a{64}" is 64 characters long; at most 63 are allowed$/],
    ['the secret name is not a DNS-1123 name', () => Notification.webhook({ secretName: 'Audit_Webhook' }),
      /^Notification\.webhook\(\) secretName "Audit_Webhook" is not a DNS-1123 name: .*e\.g\. "audit-webhook"$/],
    ['an event metadata key is one of the fleet keys', () => Notification.googlechat({ secretName: 'chat-webhook', eventMetadata: { region: 'eu' } }),
      /^Notification\.googlechat\(\) eventMetadata key "region" is set by the fleet on every cluster's Alert \(with "cluster", "environment", "region"\); use another key/],
    ['an event metadata key is empty', () => Notification.googlechat({ secretName: 'chat-webhook', eventMetadata: { '': 'x' } }),
      /^Notification\.googlechat\(\) eventMetadata has an empty key; name every entry, e\.g\. "team"$/],
    ['the Slack channel has spaces', () => Notification.slack({ channel: 'flux alerts', secretName: 'slack-bot-token' }),
      /^Notification\.slack\(\) channel "flux alerts" is not a Slack channel; use its name \(e\.g\. "flux-alerts"\) or its ID/],
    ['the Slack channel is empty', () => Notification.slack({ channel: '', secretName: 'slack-bot-token' }),
      /^Notification\.slack\(\) channel "" is not a Slack channel/],
    ['a Slack webhook is given a channel', () => Notification.slack({ webhook: true, secretName: 'slack-webhook', channel: 'flux-alerts' } as any),
      /^Notification\.slack\(\) channel "flux-alerts" has no effect with an incoming webhook, which posts to the channel it was created for; drop channel/],
    ['the GitHub repository is a URL', () => Notification.githubCommitStatus({ repository: 'https://github.com/acme/fleet.git', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "https:\/\/github\.com\/acme\/fleet\.git" is a URL; give "<owner>\/<repo>" alone, e\.g\. "acme\/fleet"/],
    ['the GitHub repository is an SSH address', () => Notification.githubCommitStatus({ repository: 'git@github.com:acme/fleet.git', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "git@github\.com:acme\/fleet\.git" is a URL; give "<owner>\/<repo>" alone, e\.g\. "acme\/fleet"/],
    ['the GitHub repository starts with the host', () => Notification.githubCommitStatus({ repository: 'github.com/acme/fleet', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "github\.com\/acme\/fleet" is a URL; give "<owner>\/<repo>" alone, e\.g\. "acme\/fleet"/],
    ['the GitHub repository ends with .git', () => Notification.githubCommitStatus({ repository: 'acme/fleet.git', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "acme\/fleet\.git" ends with "\.git"; give "<owner>\/<repo>" without it, e\.g\. "acme\/fleet"$/],
    ['the GitHub repository has no owner', () => Notification.githubCommitStatus({ repository: 'fleet', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "fleet" is not "<owner>\/<repo>"; use e\.g\. "acme\/fleet"$/],
    ['the GitHub repository has more than two segments', () => Notification.githubCommitStatus({ repository: 'acme/platform/fleet', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "acme\/platform\/fleet" is not "<owner>\/<repo>"/],
    ['the GitHub owner is not a GitHub name', () => Notification.githubCommitStatus({ repository: 'acme_corp/fleet', secretName: 'github-token' }),
      /^Notification\.githubCommitStatus\(\) repository "acme_corp\/fleet" is not "<owner>\/<repo>"/],
    ['the GitHub host carries a scheme', () => Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token', host: 'https://github.acme.io/' }),
      /^Notification\.githubCommitStatus\(\) host "https:\/\/github\.acme\.io\/" carries a scheme; give the host alone, e\.g\. "github\.acme\.io"$/],
    ['the GitHub host is not a host name', () => Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token', host: 'github acme' }),
      /^Notification\.githubCommitStatus\(\) host "github acme" is not a host name; use e\.g\. "github\.com" or "github\.acme\.io"$/],
    ['a commit status notification is given a severity', () => Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token', severity: 'error' } as any),
      /^Notification\.githubCommitStatus\(\) severity "error" cannot be set: a commit status turns green only on "info" events, so the Alert sends every event; drop severity$/],
    ['the GitHub secret name is not a DNS-1123 name', () => Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'GitHub Token' }),
      /^Notification\.githubCommitStatus\(\) secretName "GitHub Token" is not a DNS-1123 name/],
  ];
  test.each(failures)('fails when %s', (_, declare, message) => {
    // GIVEN
    const notification = declare();
    // WHEN
    const errors = notification.validate();
    // THEN
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  test('every problem is reported together', () => {
    // GIVEN
    const notification = Notification.githubCommitStatus({ name: 'GitHub', repository: 'fleet', secretName: 'GitHub Token', host: 'https://github.com' });
    // WHEN
    const errors = notification.validate();
    // THEN
    expect(errors.map((e) => e.split(' ').slice(0, 2).join(' '))).toStrictEqual([
      'Notification.githubCommitStatus() name',
      'Notification.githubCommitStatus() secretName',
      'Notification.githubCommitStatus() repository',
      'Notification.githubCommitStatus() host',
    ]);
  });
});
