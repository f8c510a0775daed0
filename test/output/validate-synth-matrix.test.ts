import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject } from 'cdk8s';
import {
  Bootstrap, ChartSource, ComponentSource, Fleet, FluxApp, Notification, PullCredentials, Registry, Signing, TenantNotificationSecret,
  TenantPullSecret,
} from '../../src/index.js';
import { validateTree } from '../../src/output/index.js';
import { testLock } from '../support/fleet-lock.js';

/*
 * validate accepts every tree synth writes: a matrix of registries, each synthesized with a cluster bootstrapped by the
 * Flux Operator and one by plain Flux (on Flux 2.9 and 2.10), tenants, notifications, Helm charts from OCI and HTTPS,
 * kept names, per-cluster signing and credentials, and the knobs of both bootstraps; each tree is validated in full,
 * kubectl kustomize of every folder included.
 */

const PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/V9/BKF79M888HE9c22H8mgxV9n2
4zPq+FUOEn3cMGeshw2KsiqOkvFtGwp6VbNflzjvy/+XW7IgvMBUDSsP9g==
-----END PUBLIC KEY-----
`;
const DIGEST = `sha256:${'e'.repeat(64)}`;

const REGISTRIES: Array<[string, Registry, [string, string]]> = [
  ['ECR', Registry.ecr({ account: '123456789012', repository: 'fleet' }), ['eu-west-1', 'us-east-1']],
  ['ACR', Registry.acr({ registryName: { westeurope: 'acmeweu', eastus: 'acmeeus' }, repository: 'fleet' }), ['westeurope', 'eastus']],
  ['Artifact Registry', Registry.gar({ project: 'acme-fleet', repository: 'fleet' }), ['europe-west1', 'us-central1']],
  ['GHCR with a pull secret', Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-auth' } }), ['eu', 'us']],
  ['a generic registry over HTTPS', Registry.generic({ host: (r) => `registry.${r}.acme.io`, repository: 'platform/fleet', pullSecret: { name: 'registry-auth' } }), ['dc-1', 'dc-2']],
  ['a generic registry over plain HTTP', Registry.generic({ host: 'registry.local:5000', repository: 'fleet', insecure: true }), ['local-1', 'local-2']],
  ['a registry per region', Registry.perRegion({
    'eu-west-1': Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    'lab': Registry.generic({ host: 'localhost:5000', repository: 'fleet', insecure: true }),
  }), ['eu-west-1', 'lab']],
];

const work = mkdtempSync(join(tmpdir(), 'validate-matrix-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fleet on `registry` whose clusters cover both bootstraps, two Flux minors, tenants and the options the examples use. */
function synthesize(name: string, registry: Registry, [regionA, regionB]: [string, string]): string {
  const outdir = join(work, name.replace(/[^a-z0-9]+/gi, '-'), 'dist');
  const app = new FluxApp({ outdir });
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry,
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    notifications: [Notification.slack({ channel: 'fleet', secretName: 'slack-token' })],
    lock: testLock(['oci://ghcr.io/stefanprodan/charts/podinfo', { tag: '6.7.0' }]),
    flux: {
      version: '2.9.x',
      bootstrap: Bootstrap.operator({
        instance: (facts) => ({
          controllerFlags: { 'kustomize-controller': ['--concurrent=10'] },
          commonMetadata: { labels: { 'acme.io/team': 'platform' } },
          ...(facts.multitenant ? { tenantDefaultServiceAccount: 'flux' } : {}),
        }),
      }),
    },
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', {
    channel: 'stable',
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*' }),
  });
  staging.addCluster('stg-a', { region: regionA, vars: { domain: 'a.acme.io' } });
  staging.addCluster('stg-b', {
    region: regionB,
    vars: { domain: 'b.acme.io' },
    flux: {
      version: '2.10.x',
      multitenant: true,
      bootstrap: Bootstrap.plain({ controllers: { controllerFlags: { 'helm-controller': ['--concurrent=5'] }, commonMetadata: { labels: { team: 'sre' } } } }),
    },
  });
  production.addCluster('prod-a', { region: regionA, wave: 1, vars: { domain: 'pa.acme.io' } });
  production.addCluster('prod-b', { region: regionB, wave: 2, vars: { domain: 'pb.acme.io' }, flux: { bootstrap: Bootstrap.plain() } });

  const infra = ComponentSource.folder(join(import.meta.dirname, '..', '..', 'examples', 'fleet', 'infra'));
  const controllers = fleet.addComponent('infra-controllers', { source: infra, path: './controllers', wait: true });
  const configs = fleet.addComponent('infra-configs', { source: infra, path: './configs', dependsOn: [controllers] });
  fleet.addHelmComponent('podinfo', {
    namespace: 'podinfo',
    chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: (c) => (c.production ? '6.7.0' : '6.x') }),
    namespaceLabels: { 'toolkit.fluxcd.io/tenant': 'dev-team' },
    dependsOn: [configs],
  });
  fleet.addHelmComponent('cert-manager', {
    chart: ChartSource.helmRepository('https://charts.jetstack.io', 'cert-manager', { version: '1.16.2', signing: Signing.none() }),
    targets: { environments: [staging] },
  });
  const web = fleet.addTenant('team-web', {
    serviceAccountName: 'flux',
    roleBindingName: 'flux',
    imagePullSecrets: ['team-pull'],
    pullSecret: TenantPullSecret.objects((chart, namespace, secretName) => {
      new ApiObject(chart, `copy-${namespace}`, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: secretName, namespace },
        spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform' }, target: { name: secretName }, dataFrom: [{ extract: { key: 'registry' } }] },
      });
    }),
    notificationSecret: TenantNotificationSecret.external(),
    signing: (c) => (c.production ? Signing.cosignKey({ secretName: 'team-web-cosign', publicKey: PUBLIC_KEY }) : Signing.githubActions({ repository: 'acme/web', workflow: 'release.yaml' })),
    targets: { clusters: ['stg-b', 'prod-a'] },
  });
  fleet.addComponent('web-apps', {
    objectName: 'apps',
    tenant: web,
    source: ComponentSource.artifact('oci://ghcr.io/acme/web', {
      ref: (c) => (c.production ? { digest: DIGEST } : { tag: 'main' }),
      sourceName: 'apps',
      pullCredentials: PullCredentials.serviceAccount('flux'),
    }),
    targets: { clusters: ['stg-b', 'prod-a'] },
    dependsOn: [configs],
  });
  fleet.addNotification(Notification.slack({ name: 'web-alerts', channel: 'web', secretName: 'slack-token' }), { tenants: [web], targets: { clusters: ['stg-b', 'prod-a'] } });
  app.synth();
  return outdir;
}

describe('validate accepts every tree synth writes', () => {
  test.each(REGISTRIES)('on %s, with both bootstraps, tenants, Helm charts, kept names and per-cluster identities', async (name, registry, regions) => {
    // GIVEN
    const outdir = synthesize(name, registry, regions);
    // WHEN
    const report = await validateTree(outdir);
    // THEN
    expect(report.errors).toStrictEqual([]);
    expect(report.clusters).toBe(4);
  }, 240_000);
});
