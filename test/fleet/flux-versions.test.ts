import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Bootstrap, ComponentSource, Fleet, FluxApp, Notification, Registry, Signing, SynthError } from '../../src/index.js';
import { validateTree } from '../../src/output/index.js';
import { testLock } from '../support/fleet-lock.js';

/**
 * A fleet whose staging cluster upgrades to Flux 2.10 first while production stays on 2.9 through the Flux Operator:
 * the canary runs Flux from its signed release manifests (`canary`: its bootstrap; none: the fleet's operator).
 */
function upgradingFleet(app: FluxApp, canary: Bootstrap | undefined) {
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    flux: { version: '2.9.x' },
    notifications: [Notification.slack({ channel: 'flux-alerts', secretName: 'slack-bot-token' })],
    lock: testLock(['oci://ghcr.io/acme/infra', { tag: '1.0.0' }]),
  });
  fleet.addEnvironment('staging', { channel: 'latest' })
    .addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' }, flux: { version: '2.10.x', ...(canary ? { bootstrap: canary } : {}) } });
  fleet.addEnvironment('production', { channel: 'stable' })
    .addCluster('prod-eu-1', { region: 'eu-west-1', vars: { domain: 'eu.acme.io' } });
  fleet.addComponent('infra', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/infra', { repository: 'infra', ref: { tag: '1.0.0' } }), path: './infra' });
  return fleet;
}

function docs(file: string): Array<Record<string, any>> {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
}

describe('a fleet running two Flux minors', () => {
  test('synthesizes each cluster for its own Flux minor, and each tree passes that minor\'s schemas', async () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'flux-versions-')), 'dist');
    const app = new FluxApp({ outdir });
    upgradingFleet(app, Bootstrap.plain());
    // WHEN
    app.synth();
    const report = await validateTree(outdir);
    // THEN
    expect(report.errors).toStrictEqual([]);
    const seen = Object.fromEntries(['stg-eu-1', 'prod-eu-1'].map((cluster) => {
      const notifications = docs(join(outdir, 'clusters', cluster, 'notifications.yaml'));
      const bootstrap = docs(join(outdir, 'clusters', cluster, 'flux-system', 'flux-system.yaml'));
      const instance = bootstrap.find((d) => d.kind === 'FluxInstance');
      const manifests = bootstrap.find((d) => d.kind === 'OCIRepository' && d.metadata.name === 'flux-manifests');
      return [cluster, {
        notifications: notifications.map((d) => `${d.kind} ${d.apiVersion}`),
        flux: instance ? `FluxInstance ${instance.spec.distribution.version}` : `${manifests!.spec.url} ${JSON.stringify(manifests!.spec.ref)}`,
      }];
    }));
    expect(seen).toStrictEqual({
      'stg-eu-1': {
        notifications: ['Provider notification.toolkit.fluxcd.io/v1', 'Alert notification.toolkit.fluxcd.io/v1'],
        flux: 'oci://ghcr.io/fluxcd/flux-manifests {"semver":"2.10.x"}',
      },
      'prod-eu-1': {
        notifications: ['Provider notification.toolkit.fluxcd.io/v1beta3', 'Alert notification.toolkit.fluxcd.io/v1beta3'],
        flux: 'FluxInstance 2.9.x',
      },
    });
  }, 120_000);

  test('fails when a cluster on Flux 2.10 has no operator release that installs it', () => {
    // GIVEN
    const app = new FluxApp({ outdir: join(mkdtempSync(join(tmpdir(), 'flux-versions-')), 'dist') });
    upgradingFleet(app, undefined);
    // WHEN
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    // THEN
    expect((error as SynthError).lines.map((l) => `[${l.where}] ${l.message} (${l.clusters.join(', ')})`)).toStrictEqual([
      '[acme/<cluster>/flux-system/flux-operator-chart] Flux 2.10.x needs a Flux Operator release that embeds Flux 2.10, and flux-fleet pins none for it; set Bootstrap.operator({ version }) to the chart version of an operator release whose notes say it includes Flux v2.10 (stg-eu-1)',
    ]);
  });

  test('fails validate when a cluster\'s Flux release manifests are 2.10 and its Alert is still v1beta3', async () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'flux-versions-')), 'dist');
    const app = new FluxApp({ outdir });
    upgradingFleet(app, Bootstrap.plain());
    app.synth();
    const file = join(outdir, 'clusters', 'stg-eu-1', 'notifications.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('notification.toolkit.fluxcd.io/v1\n', 'notification.toolkit.fluxcd.io/v1beta3\n'));
    // WHEN
    const report = await validateTree(outdir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([
      {
        file: 'clusters/stg-eu-1/notifications.yaml',
        object: 'Provider/flux-system/slack',
        message: 'apiVersion notification.toolkit.fluxcd.io/v1beta3 of Provider is not served by Flux v2.10; use notification.toolkit.fluxcd.io/v1',
      },
      {
        file: 'clusters/stg-eu-1/notifications.yaml',
        object: 'Alert/flux-system/slack',
        message: 'apiVersion notification.toolkit.fluxcd.io/v1beta3 of Alert is not served by Flux v2.10; use notification.toolkit.fluxcd.io/v1',
      },
    ]);
  });
});
