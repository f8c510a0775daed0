import { Testing } from 'cdk8s';
import { ungatedClusters } from '../../src/delivery/index.js';
import { Bootstrap, Fleet, HealthReport, Registry, Signing } from '../../src/index.js';
import { buildReleaseManifest } from '../../src/output/release-manifest.js';

function fleetWith(rollout: ConstructorParameters<typeof Fleet>[2]['rollout'], version = '2.9.x'): Fleet {
  const fleet = new Fleet(Testing.app(), 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    flux: { version },
    rollout,
  });
  return fleet;
}

function errors(fleet: Fleet): string[] {
  fleet.build();
  return fleet.node.findAll().flatMap((c) => c.node.validate());
}

describe('HealthReport', () => {
  test('writes a Provider with a constant status name per cluster and an Alert on the sync alone', () => {
    // GIVEN
    const fleet = fleetWith({ report: HealthReport.gitlabCommitStatus({ project: 'acme/platform/fleet', host: 'gitlab.acme.io', tokenSecret: 'status-token' }) });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu-west-1', flux: { version: '2.10.x', bootstrap: Bootstrap.plain() } });
    // WHEN
    const file = fleet.files().find((f) => f.path === 'clusters/stg-1/health-report.yaml')!;
    // THEN
    expect(file.chart.toJson()).toStrictEqual([
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1',
        kind: 'Provider',
        metadata: { name: 'flux-fleet-health', namespace: 'flux-system' },
        spec: { type: 'gitlab', address: 'https://gitlab.acme.io/acme/platform/fleet', secretRef: { name: 'status-token' }, commitStatusExpr: "'flux-fleet/stg-1'" },
      },
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1',
        kind: 'Alert',
        metadata: { name: 'flux-fleet-health', namespace: 'flux-system' },
        spec: {
          providerRef: { name: 'flux-fleet-health' },
          eventSources: [{ kind: 'Kustomization', name: 'flux-system' }],
          eventSeverity: 'info',
          eventMetadata: { cluster: 'stg-1', environment: 'staging', region: 'eu-west-1' },
        },
      },
    ]);
    expect(errors(fleet)).toStrictEqual([]);
  });

  test('fails when a report is declared for clusters whose Flux cannot report failures, naming every one', () => {
    // GIVEN
    const fleet = fleetWith({ report: HealthReport.githubCommitStatus({ repository: 'acme/fleet', tokenSecret: 'status-token' }) }, '2.8.x');
    const staging = fleet.addEnvironment('staging', { channel: 'latest' });
    staging.addCluster('stg-1', { region: 'eu-west-1' });
    staging.addCluster('stg-2', { region: 'eu-west-1', flux: { version: '2.7.3' } });
    staging.addCluster('stg-3', { region: 'eu-west-1', flux: { version: '2.9.x' } });
    // WHEN / THEN
    expect(errors(fleet)).toContain('rollout report is declared for clusters whose Flux cannot report failures (notification-controller sends them to a forge from Flux 2.9 on): stg-1 (Flux 2.8.x), stg-2 (Flux 2.7.3); move them to Flux 2.9 or newer, or declare the report only on environments whose clusters run it');
  });

  test('fails when rollout settings are not valid, all reported together', () => {
    // GIVEN
    const fleet = fleetWith({ report: HealthReport.githubCommitStatus({ repository: 'https://github.com/acme/fleet', tokenSecret: 'Status Token' }) });
    const production = fleet.addEnvironment('production', { channel: 'stable', rollout: { soak: '1 hour', maxFailures: -1, approval: [3] } });
    production.addCluster('prod-1', { region: 'eu-west-1', wave: 1 });
    production.addCluster('prod-2', { region: 'eu-west-1', wave: 2 });
    fleet.addEnvironment('canary', { channel: 'canary', rollout: { soak: '30m', progressDeadline: '20m' } });
    // WHEN / THEN
    expect(errors(fleet).filter((e) => e.includes('rollout'))).toStrictEqual([
      'rollout report: HealthReport.githubCommitStatus() tokenSecret "Status Token" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "status-token"',
      'rollout report: HealthReport.githubCommitStatus() repository "https://github.com/acme/fleet" is a URL; give "<owner>/<repo>" alone, e.g. "acme/fleet" (and set host for GitHub Enterprise Server)',
      'environment production rollout soak "1 hour" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5)',
      'environment production rollout maxFailures -1 is not a count; use a whole number of at least 0',
      'environment production rollout approval names wave 3, but the environment\'s clusters are in waves 1, 2; name one of those, or give a cluster that wave',
      'environment canary rollout progressDeadline "20m" is not longer than soak "30m", so no wave could pass; make the deadline longer than the soak',
    ]);
  });

  test('release.json carries each environment\'s rollout settings and each cluster\'s report; ungatedClusters names those that cannot be gated', () => {
    // GIVEN
    const fleet = fleetWith(undefined);
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu-west-1' });
    const production = fleet.addEnvironment('production', {
      channel: 'stable',
      rollout: { report: HealthReport.githubCommitStatus({ repository: 'acme/fleet', tokenSecret: 'status-token' }), soak: '30m', approval: [1] },
    });
    production.addCluster('prod-1', { region: 'eu-west-1', wave: 1 });
    // WHEN
    const release = buildReleaseManifest(fleet);
    // THEN
    expect(release.environments.map((e) => e.rollout)).toStrictEqual([{ soak: '30m', progressDeadline: '30m', maxFailures: 0, approval: [1], promotedFrom: 'staging' }, undefined]);
    expect(release.clusters.map((c) => [c.name, c.flux, c.report])).toStrictEqual([
      ['prod-1', '2.9.x', { type: 'github-commit-status', host: 'github.com', repository: 'acme/fleet', context: 'flux-fleet/prod-1' }],
      ['stg-1', '2.9.x', undefined],
    ]);
    expect(ungatedClusters(release.clusters)).toStrictEqual([
      { name: 'stg-1', reason: 'declares no health report (set rollout.report on the fleet or its environment)' },
    ]);
    expect(ungatedClusters([{ ...release.clusters[0], flux: '2.8.2' }])).toStrictEqual([
      { name: 'prod-1', reason: 'runs Flux 2.8.2, which cannot report failures (Flux 2.9 or newer can)' },
    ]);
  });
});
