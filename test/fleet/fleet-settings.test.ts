import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import {
  Bootstrap, ChartSource, ComponentSource, EventSource, Fleet, FluxApp, Kustomization, Notification, OciRepository, Registry, ResourceSet, Signing,
  SynthError, TenantNotificationSecret, TenantPullSecret,
} from '../../src/index.js';
import type { LockRef } from '../../src/index.js';
import { testLock } from '../support/fleet-lock.js';

function freshDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'fleet-settings-')), 'dist');
}

/** Synthesizes; returns the errors (none on success) and the output folder. */
function synth(build: (app: FluxApp) => void): { errors: string[]; outdir: string } {
  const outdir = freshDir();
  const app = new FluxApp({ outdir });
  build(app);
  try {
    app.synth();
  } catch (e) {
    if (!(e instanceof SynthError)) throw e;
    return { errors: e.errors.map((x) => `[${x.path}] ${x.message}`), outdir };
  }
  return { errors: [], outdir };
}

/** The objects of one synthesized file. */
function objects(outdir: string, file: string): Array<Record<string, any>> {
  return parseAllDocuments(readFileSync(join(outdir, file), 'utf8')).map((d) => d.toJS());
}

function find(outdir: string, file: string, kind: string): Record<string, any> {
  const found = objects(outdir, file).find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} in ${file}`);
  return found;
}

/** An artifact another pipeline pushes into the fleet's registry, at an exact version. */
function pushed(repository: string): ComponentSource {
  return ComponentSource.mirroredArtifact(`oci://ghcr.io/acme/${repository}`, { repository, ref: { tag: '1.0.0' } });
}

/** The lock of the upstream refs these tests' production pulls. */
const LOCK = testLock(
  ...['apps', 'infra', 'apps/web', 'web', 'certs'].map((r): [string, LockRef] => [`oci://ghcr.io/acme/${r}`, { tag: '1.0.0' }]),
  ['oci://ghcr.io/stefanprodan/charts/podinfo', { tag: '6.7.0' }],
);

function smallFleet(app: FluxApp, props: Partial<ConstructorParameters<typeof Fleet>[2]> = {}) {
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    lock: LOCK,
    ...props,
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', { channel: 'stable' });
  const stg = staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
  const prod = production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 1, vars: { domain: 'eu.acme.io' } });
  return { fleet, staging, production, stg, prod };
}

describe('kustomize component settings', () => {
  test('retryInterval, force, patches, images, components, commonMetadata and serviceAccountName reach the Kustomization', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app).fleet.addComponent('apps', {
        source: pushed('apps'),
        path: (cluster) => `./overlays/${cluster.environment}`,
        interval: (cluster) => (cluster.production ? '30m' : '5m'),
        retryInterval: '2m',
        timeout: '3m',
        force: true,
        patches: (cluster) => [{ patch: { kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: cluster.production ? 3 : 1 } }, target: { kind: 'Deployment', name: 'web' } }],
        images: [{ name: 'ghcr.io/acme/web', newTag: '1.2.3' }],
        components: ['./components/ha'],
        commonMetadata: { labels: { 'acme.io/team': 'web' } },
        serviceAccountName: 'apps-reconciler',
      });
    });
    // WHEN
    const spec = find(outdir, 'clusters/prod-eu-1/apps.yaml', 'Kustomization').spec;
    const staging = find(outdir, 'clusters/stg-eu-1/apps.yaml', 'Kustomization').spec;
    // THEN
    expect(errors).toStrictEqual([]);
    expect({ ...spec, sourceRef: undefined, postBuild: undefined }).toStrictEqual({
      commonMetadata: { labels: { 'acme.io/team': 'web' } },
      components: ['./components/ha'],
      force: true,
      images: [{ name: 'ghcr.io/acme/web', newTag: '1.2.3' }],
      interval: '30m',
      patches: [{ patch: 'kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n', target: { kind: 'Deployment', name: 'web' } }],
      path: './overlays/production',
      postBuild: undefined,
      prune: true,
      retryInterval: '2m',
      serviceAccountName: 'apps-reconciler',
      sourceRef: undefined,
      timeout: '3m',
    });
    expect([staging.path, staging.interval, staging.patches[0].patch]).toStrictEqual([
      './overlays/staging', '5m', 'kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n',
    ]);
  });

  test('components reading one artifact in one namespace share one source', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet } = smallFleet(app);
      const team = fleet.addTenant('team-web');
      fleet.addComponent('controllers', { source: pushed('infra'), path: './controllers' });
      fleet.addComponent('configs', { source: pushed('infra'), path: './configs' });
      fleet.addComponent('web', { source: pushed('apps/web') });
      fleet.addComponent('web-tenant', { source: pushed('apps/web'), tenant: team });
    });
    // WHEN
    const sources = objects(outdir, 'clusters/stg-eu-1/sources.yaml').map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name} ${o.spec.url}`);
    const refs = ['controllers', 'configs', 'web', 'web-tenant']
      .map((c) => find(outdir, `clusters/stg-eu-1/${c}.yaml`, 'Kustomization').spec.sourceRef);
    // THEN
    expect(errors).toStrictEqual([]);
    expect(sources).toStrictEqual([
      'OCIRepository flux-system/infra oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/infra',
      'OCIRepository flux-system/apps-web oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/apps/web',
      'OCIRepository team-web/apps-web oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/apps/web',
    ]);
    expect(refs).toStrictEqual([
      { kind: 'OCIRepository', name: 'infra' },
      { kind: 'OCIRepository', name: 'infra' },
      { kind: 'OCIRepository', name: 'apps-web' },
      { kind: 'OCIRepository', name: 'apps-web' },
    ]);
    expect(objects(outdir, 'clusters/stg-eu-1/configs.yaml').map((o) => o.kind)).toStrictEqual(['Kustomization']);
  });

  test('fails when a per-cluster value breaks a rule, naming the cluster', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      smallFleet(app).fleet.addComponent('apps', {
        source: pushed('apps'),
        interval: (cluster) => (cluster.production ? '30 minutes' : '5m'),
        path: (cluster) => (cluster.production ? '../prod' : './staging'),
      });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme/components/apps] interval "30 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5) (on cluster prod-eu-1)',
      '[acme/components/apps] path "../prod" climbs out of the artifact with ".."; Flux clamps it to the root, so name a folder inside the artifact instead (on cluster prod-eu-1)',
    ]);
  });
});

describe('Helm component settings', () => {
  test('release name, storage namespace, strategy, remediation, drift detection and namespace labels', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app).fleet.addHelmComponent('podinfo', {
        chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }),
        targetNamespace: 'web',
        namespaceLabels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
        install: { remediation: { retries: 3 } },
        upgrade: { remediation: { retries: 3, strategy: 'rollback' }, cleanupOnFail: true },
        driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'] }] },
      });
    });
    // WHEN
    const file = 'clusters/prod-eu-1/components/podinfo/podinfo.yaml';
    const release = find(outdir, file, 'HelmRelease').spec;
    const namespace = find(outdir, 'clusters/prod-eu-1/components/podinfo/namespace.yaml', 'Namespace');
    // THEN
    expect(errors).toStrictEqual([]);
    expect(namespace).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'web', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      spec: {},
    });
    expect({ ...release, chartRef: undefined }).toStrictEqual({
      chartRef: undefined,
      driftDetection: { ignore: [{ paths: ['/spec/replicas'] }], mode: 'enabled' },
      install: { createNamespace: false, remediation: { retries: 3 } },
      interval: '10m',
      releaseName: 'podinfo',
      storageNamespace: 'web',
      targetNamespace: 'web',
      upgrade: { cleanupOnFail: true, remediation: { retries: 3, strategy: 'rollback' } },
    });
  });

  test('a chart from an HTTPS Helm repository gets a HelmRepository and a chart template', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app).fleet.addHelmComponent('cert-manager', {
        chart: ChartSource.helmRepository('https://charts.jetstack.io', 'cert-manager', { version: (c) => (c.production ? '1.16.2' : '1.x'), signing: Signing.none() }),
      });
    });
    // WHEN
    const file = 'clusters/prod-eu-1/components/cert-manager/cert-manager.yaml';
    // THEN
    expect(errors).toStrictEqual([]);
    expect(find(outdir, file, 'HelmRepository').spec).toStrictEqual({ interval: '5m', url: 'https://charts.jetstack.io' });
    expect(find(outdir, file, 'HelmRelease').spec.chart).toStrictEqual({
      spec: { chart: 'cert-manager', sourceRef: { kind: 'HelmRepository', name: 'cert-manager' }, version: '1.16.2' },
    });
  });

  test('fails when a production chart from an HTTPS Helm repository does not say it goes unverified', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      smallFleet(app).fleet.addHelmComponent('cert-manager', {
        chart: ChartSource.helmRepository('https://charts.jetstack.io', 'cert-manager', { version: '1.16.2' }),
      });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme/components/cert-manager] chart "cert-manager" from the Helm repository "https://charts.jetstack.io" cannot be verified (Flux verifies OCI charts only), and production requires verification; set signing: Signing.none() on the chart to accept it unverified, or mirror it into an OCI registry and sign it there (on cluster prod-eu-1)',
    ]);
  });

  test('fails when a Helm component targets a cluster whose Flux components leave out helm-controller', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet } = smallFleet(app, { flux: { components: ['source-controller', 'kustomize-controller'] } });
      fleet.addHelmComponent('podinfo', { chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }) });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme/components/podinfo] is a Helm component, but the cluster\'s Flux components leave out helm-controller, so its HelmRelease would never be reconciled; add "helm-controller" to flux.components (of the fleet or the cluster), or narrow the targets of the component (on clusters stg-eu-1, prod-eu-1)',
    ]);
  });
});

describe('objects per fleet, environment and cluster', () => {
  test('objects reach the file of each cluster the set targets', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet, production, stg } = smallFleet(app);
      fleet.addObjects('policies', (chart, cluster) => {
        new ResourceSet(chart, 'policies', {
          metadata: { name: 'policies' },
          inputs: [{ cluster: cluster.name }],
          resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'policy-<< inputs.cluster >>' } }],
        });
      });
      production.addObjects('prod-only', (chart) => {
        new ApiObject(chart, 'quota', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'flux', namespace: 'flux-system' }, spec: { hard: { pods: '50' } } });
      });
      stg.addObjects('extra', (chart) => {
        const source = new OciRepository(chart, 'extra-source', { metadata: { name: 'extra' }, url: 'oci://ghcr.io/acme/extra', ref: { tag: 'latest' } });
        new Kustomization(chart, 'extra', { sourceRef: source, path: './' });
      });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    expect(find(outdir, 'clusters/prod-eu-1/policies.yaml', 'ResourceSet').spec.inputs).toStrictEqual([{ cluster: 'prod-eu-1' }]);
    expect(find(outdir, 'clusters/stg-eu-1/policies.yaml', 'ResourceSet').metadata).toStrictEqual({ name: 'policies', namespace: 'flux-system' });
    expect(find(outdir, 'clusters/prod-eu-1/prod-only.yaml', 'ResourceQuota').spec).toStrictEqual({ hard: { pods: '50' } });
    expect(objects(outdir, 'clusters/stg-eu-1/extra.yaml').map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`))
      .toStrictEqual(['OCIRepository/flux-system/extra', 'Kustomization/flux-system/extra']);
    expect(readFileSync(join(outdir, 'clusters/stg-eu-1/kustomization.yaml'), 'utf8')).toContain('- extra.yaml');
    expect(() => readFileSync(join(outdir, 'clusters/prod-eu-1/extra.yaml'))).toThrow(/ENOENT/);
  });

  test('fails when an object set duplicates an object of the cluster, naming the cluster', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet, prod } = smallFleet(app);
      fleet.addComponent('apps', { source: pushed('apps') });
      prod.addObjects('extra', (chart) => {
        new OciRepository(chart, 'apps', { metadata: { name: 'apps' }, url: 'oci://ghcr.io/acme/apps', ref: { tag: 'latest' } });
      });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme/production/prod-eu-1/objects--extra/apps] duplicate OCIRepository flux-system/apps: acme/production/prod-eu-1/sources/apps-flux-system defines it too; give one of them another metadata.name or namespace',
    ]);
  });

  test('fails when two object sets of one cluster share a file, or a set shares a component\'s file', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addObjects('extra', () => undefined);
      production.addObjects('extra', () => undefined);
      fleet.addComponent('apps', { source: pushed('apps') });
      fleet.addObjects('apps', () => undefined);
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme] objects "apps" (acme/components/objects-apps) and the component "apps" would both be written to apps.yaml; give the objects another name',
      '[acme/production/objects-extra] objects "extra" are added twice (acme/components/objects-extra and acme/production/objects-extra), and both would be written to extra.yaml; give one another name (on cluster prod-eu-1)',
    ]);
  });

  test('fails when objects hold a HelmRelease on a cluster without helm-controller', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { prod } = smallFleet(app, { flux: { components: ['source-controller', 'kustomize-controller'] } });
      prod.addObjects('extra', (chart) => {
        new ApiObject(chart, 'release', { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'x' }, spec: { interval: '5m', chartRef: { kind: 'OCIRepository', name: 'flux-system' } } });
      });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme/production/prod-eu-1/objects-extra] holds a HelmRelease, but the cluster\'s Flux components leave out helm-controller, so it would never be reconciled; add "helm-controller" to flux.components (of the fleet or the cluster), or leave the HelmRelease out on this cluster (on cluster prod-eu-1)',
    ]);
  });
});

describe('tenants', () => {
  const ghcr = () => Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-pull' } });

  test('service account, namespace labels and annotations, role bindings and the pull secret objects', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet } = smallFleet(app, { registry: ghcr() });
      const web = fleet.addTenant('team-web', {
        namespace: 'web',
        serviceAccountName: 'flux',
        namespaceLabels: { 'toolkit.fluxcd.io/role': 'tenant' },
        namespaceAnnotations: { 'acme.io/owner': 'web@acme.io' },
        roleBindings: [{ clusterRole: 'view', groups: ['web-devs'] }],
        clusterRoleBindings: [{ clusterRole: 'flux:view', groups: ['web-devs'], serviceAccount: true }],
        pullSecret: TenantPullSecret.objects((chart, namespace, secretName) => {
          new ApiObject(chart, 'pull', {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            metadata: { name: secretName, namespace },
            spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' }, target: { name: secretName } },
          });
        }),
      });
      fleet.addComponent('web', { source: pushed('web'), tenant: web });
    });
    // WHEN
    const tenants = objects(outdir, 'clusters/prod-eu-1/tenants.yaml');
    const byKind = (kind: string) => tenants.filter((o) => o.kind === kind);
    // THEN
    expect(errors).toStrictEqual([]);
    expect(byKind('Namespace')[0].metadata).toStrictEqual({
      name: 'web',
      labels: { 'toolkit.fluxcd.io/role': 'tenant', 'toolkit.fluxcd.io/tenant': 'team-web' },
      annotations: { 'acme.io/owner': 'web@acme.io' },
    });
    expect(byKind('ServiceAccount')[0].metadata).toStrictEqual({ name: 'flux', namespace: 'web' });
    expect(byKind('RoleBinding').map((o) => [o.metadata.name, o.roleRef.name, o.subjects])).toStrictEqual([
      ['team-web-reconciler', 'cluster-admin', [{ apiGroup: '', kind: 'ServiceAccount', name: 'flux', namespace: 'web' }]],
      ['team-web-view', 'view', [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'web-devs' }]],
    ]);
    expect(byKind('ClusterRoleBinding').map((o) => [o.metadata, o.roleRef.name, o.subjects])).toStrictEqual([
      [{ name: 'tenant-team-web-flux-view' }, 'flux:view', [
        { kind: 'ServiceAccount', name: 'flux', namespace: 'web' },
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'web-devs' },
      ]],
    ]);
    expect(byKind('ExternalSecret').map((o) => o.metadata)).toStrictEqual([{ name: 'ghcr-pull', namespace: 'web' }]);
    const web = [...objects(outdir, 'clusters/prod-eu-1/sources.yaml'), ...objects(outdir, 'clusters/prod-eu-1/web.yaml')];
    expect(web.map((o) => [o.kind, o.metadata.namespace, o.spec.secretRef?.name ?? o.spec.serviceAccountName])).toStrictEqual([
      ['OCIRepository', 'web', 'ghcr-pull'],
      ['Kustomization', 'web', 'flux'],
    ]);
  });

  test('fails when a tenant source\'s pull secret is missing in its namespace', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet } = smallFleet(app, { registry: ghcr() });
      const web = fleet.addTenant('team-web', { namespace: 'web' });
      fleet.addComponent('web', { source: pushed('web'), tenant: web });
      fleet.addHelmComponent('podinfo', { chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }), tenant: web });
    });
    // THEN
    const message = (c: string) => `[acme/components/${c}] pulls from the fleet's registry with the pull secret "ghcr-pull", which nothing provides in namespace "web" of tenant team-web (Secrets are not shared across namespaces); set pullSecret on the tenant: TenantPullSecret.external() if something else puts it there, or TenantPullSecret.objects(...) to have the fleet write what creates it (on clusters stg-eu-1, prod-eu-1)`;
    expect(errors).toStrictEqual([message('web'), message('podinfo')]);
  });

  test('a registry reached through workload identity needs no pull secret, and writes none', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet } = smallFleet(app);
      const web = fleet.addTenant('team-web', {
        namespace: 'web',
        pullSecret: TenantPullSecret.objects((chart, namespace, secretName) => {
          new ApiObject(chart, 'pull', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: secretName, namespace } });
        }),
      });
      fleet.addComponent('web', { source: pushed('web'), tenant: web });
    });
    // WHEN
    const kinds = objects(outdir, 'clusters/prod-eu-1/tenants.yaml').map((o) => o.kind);
    // THEN
    expect(errors).toStrictEqual([]);
    expect(kinds).toStrictEqual(['Namespace', 'ConfigMap', 'ServiceAccount', 'RoleBinding']);
  });

  test('a pull secret put there by something else passes', () => {
    const { errors } = synth((app) => {
      const { fleet } = smallFleet(app, { registry: ghcr() });
      const web = fleet.addTenant('team-web', { namespace: 'web', pullSecret: TenantPullSecret.external() });
      fleet.addComponent('web', { source: pushed('web'), tenant: web });
    });
    expect(errors).toStrictEqual([]);
  });
});

describe('notifications per environment, region or cluster', () => {
  test('each cluster posts only where its routing says, with its severity and event sources', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addNotification(Notification.slack({ channel: 'prod-alerts', secretName: 'slack-bot' }), {
        targets: { environments: [production] },
        severity: 'error',
        eventSources: [EventSource.all('HelmRelease', { namespace: 'web' }), EventSource.all('Kustomization')],
      });
      fleet.addNotification(Notification.msteams({ secretName: 'teams-webhook' }), {
        severity: (cluster) => (cluster.production ? 'error' : 'info'),
      });
    });
    // WHEN
    const alerts = (cluster: string) => objects(outdir, `clusters/${cluster}/notifications.yaml`)
      .filter((o) => o.kind === 'Alert')
      .map((o) => [o.metadata.name, o.spec.eventSeverity, o.spec.eventSources]);
    // THEN
    expect(errors).toStrictEqual([]);
    expect(alerts('prod-eu-1')).toStrictEqual([
      ['slack', 'error', [{ kind: 'HelmRelease', name: '*', namespace: 'web' }, { kind: 'Kustomization', name: '*' }]],
      ['msteams', 'error', ['Kustomization', 'HelmRelease', 'OCIRepository', 'HelmChart'].map((kind) => ({ kind, name: '*' }))],
    ]);
    expect(alerts('stg-eu-1')).toStrictEqual([
      ['msteams', 'info', ['Kustomization', 'HelmRelease', 'OCIRepository', 'HelmChart'].map((kind) => ({ kind, name: '*' }))],
    ]);
  });
});

describe('adopting a release installed under Flux\'s derived name', () => {
  test('releaseName and storageNamespace as a hand-written HelmRelease without them had it', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app).fleet.addHelmComponent('podinfo', {
        chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }),
        releaseName: 'podinfo-podinfo',
        storageNamespace: 'flux-system',
      });
    });
    // WHEN
    const spec = find(outdir, 'clusters/prod-eu-1/components/podinfo/podinfo.yaml', 'HelmRelease').spec;
    // THEN
    expect(errors).toStrictEqual([]);
    expect([spec.releaseName, spec.storageNamespace, spec.targetNamespace]).toStrictEqual(['podinfo-podinfo', 'flux-system', 'podinfo']);
  });
});

describe('notifications on clusters with tenants', () => {
  test('fails when a notification watches a tenant namespace on a cluster with tenants', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addTenant('team-web', { namespace: 'web', targets: { environments: [production] } });
      fleet.addNotification(Notification.slack({ channel: 'alerts', secretName: 'slack-bot' }), {
        eventSources: [EventSource.all('HelmRelease', { namespace: 'web' })],
      });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme] notification slack: event source HelmRelease in namespace "web" is dropped on a cluster with tenants, where notification-controller refuses Alerts watching other namespaces (--no-cross-namespace-refs); watch flux-system only there and route the notification to the tenant owning "web" (tenants: true), or narrow the notification\'s targets to clusters without tenants (on cluster prod-eu-1)',
    ]);
  });

  /** A tenant whose notification Secrets the fleet creates with an ExternalSecret each. */
  const externalSecrets = () => TenantNotificationSecret.objects((scope, namespace, secretName) => {
    new ApiObject(scope, 'secret', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: secretName, namespace },
      spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' }, target: { name: secretName } },
    });
  });

  test('a notification routed to tenants gets a Provider and an Alert in each tenant namespace, watching that namespace', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addTenant('team-web', { namespace: 'web', notificationSecret: externalSecrets() });
      fleet.addTenant('team-data', { namespace: 'data', targets: { environments: [production] }, notificationSecret: TenantNotificationSecret.external() });
      fleet.addNotification(Notification.slack({ channel: 'alerts', secretName: 'slack-bot' }), {
        tenants: true,
        severity: (cluster) => (cluster.production ? 'error' : 'info'),
        eventSources: [EventSource.all('HelmRelease', { namespace: 'web' }), EventSource.all('Kustomization')],
      });
    });
    // WHEN
    const notifications = objects(outdir, 'clusters/prod-eu-1/notifications.yaml');
    const tenantObjects = (cluster: string) => objects(outdir, `clusters/${cluster}/tenants.yaml`)
      .filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata);
    // THEN
    expect(errors).toStrictEqual([]);
    const provider = (namespace: string) => ({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Provider',
      metadata: { name: 'slack', namespace },
      spec: { address: 'https://slack.com/api/chat.postMessage', channel: 'alerts', secretRef: { name: 'slack-bot' }, type: 'slack' },
    });
    const metadata = { cluster: 'prod-eu-1', environment: 'production', region: 'eu-west-1' };
    expect(notifications).toStrictEqual([
      provider('flux-system'),
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Alert',
        metadata: { name: 'slack', namespace: 'flux-system' },
        spec: { eventMetadata: metadata, eventSeverity: 'error', eventSources: [{ kind: 'Kustomization', name: '*' }], providerRef: { name: 'slack' } },
      },
      provider('web'),
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Alert',
        metadata: { name: 'slack', namespace: 'web' },
        spec: {
          eventMetadata: { ...metadata, tenant: 'team-web' },
          eventSeverity: 'error',
          eventSources: [{ kind: 'HelmRelease', name: '*' }, { kind: 'Kustomization', name: '*' }],
          providerRef: { name: 'slack' },
        },
      },
      provider('data'),
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
        kind: 'Alert',
        metadata: { name: 'slack', namespace: 'data' },
        spec: {
          eventMetadata: { ...metadata, tenant: 'team-data' },
          eventSeverity: 'error',
          eventSources: [{ kind: 'Kustomization', name: '*' }],
          providerRef: { name: 'slack' },
        },
      },
    ]);
    expect(objects(outdir, 'clusters/stg-eu-1/notifications.yaml').map((o) => [o.kind, o.metadata.namespace, o.spec.eventSeverity])).toStrictEqual([
      ['Provider', 'flux-system', undefined], ['Alert', 'flux-system', 'info'], ['Provider', 'web', undefined], ['Alert', 'web', 'info'],
    ]);
    expect(tenantObjects('prod-eu-1')).toStrictEqual([{ name: 'slack-bot', namespace: 'web' }]);
    expect(tenantObjects('stg-eu-1')).toStrictEqual([{ name: 'slack-bot', namespace: 'web' }]);
  });

  test('a notification routed to some tenants leaves the others out, and each Secret is created once per namespace', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet } = smallFleet(app, { flux: { version: '2.10.x', bootstrap: Bootstrap.operator({ version: '0.60.0' }) } });
      const web = fleet.addTenant('team-web', { namespace: 'web', notificationSecret: externalSecrets() });
      fleet.addTenant('team-data', { namespace: 'data' });
      fleet.addNotification(Notification.msteams({ secretName: 'teams-webhook' }), { tenants: [web] });
      fleet.addNotification(Notification.msteams({ name: 'teams-deploys', secretName: 'teams-webhook' }), { tenants: [web] });
    });
    // WHEN
    const placed = objects(outdir, 'clusters/stg-eu-1/notifications.yaml').map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    const secrets = objects(outdir, 'clusters/stg-eu-1/tenants.yaml').filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata);
    // THEN
    expect(errors).toStrictEqual([]);
    expect(placed).toStrictEqual([
      'notification.toolkit.fluxcd.io/v1 Provider flux-system/msteams',
      'notification.toolkit.fluxcd.io/v1 Alert flux-system/msteams',
      'notification.toolkit.fluxcd.io/v1 Provider web/msteams',
      'notification.toolkit.fluxcd.io/v1 Alert web/msteams',
      'notification.toolkit.fluxcd.io/v1 Provider flux-system/teams-deploys',
      'notification.toolkit.fluxcd.io/v1 Alert flux-system/teams-deploys',
      'notification.toolkit.fluxcd.io/v1 Provider web/teams-deploys',
      'notification.toolkit.fluxcd.io/v1 Alert web/teams-deploys',
    ]);
    expect(secrets).toStrictEqual([{ name: 'teams-webhook', namespace: 'web' }]);
  });

  test('the notification\'s own event sources are split the same way: each Alert watches only its own namespace', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addTenant('team-web', { namespace: 'web', targets: { environments: [production] }, notificationSecret: TenantNotificationSecret.external() });
      fleet.addTenant('team-data', { namespace: 'data', targets: { environments: [production] }, notificationSecret: TenantNotificationSecret.external() });
      const eventSources = [EventSource.all('HelmRelease', { namespace: 'web' }), EventSource.all('GitRepository', { namespace: 'flux-system' })];
      fleet.addNotification(Notification.webhook({ secretName: 'hook', eventSources }), { tenants: true });
    });
    // WHEN
    const alerts = (cluster: string) => objects(outdir, `clusters/${cluster}/notifications.yaml`)
      .filter((o) => o.kind === 'Alert').map((o) => [o.metadata.namespace, o.spec.eventSources]);
    // THEN
    expect(errors).toStrictEqual([]);
    expect(alerts('prod-eu-1')).toStrictEqual([
      ['flux-system', [{ kind: 'GitRepository', name: '*' }]],
      ['web', [{ kind: 'HelmRelease', name: '*' }]],
      ['data', ['Kustomization', 'HelmRelease', 'OCIRepository', 'HelmChart'].map((kind) => ({ kind, name: '*' }))],
    ]);
    expect(alerts('stg-eu-1')).toStrictEqual([
      ['flux-system', [{ kind: 'HelmRelease', name: '*', namespace: 'web' }, { kind: 'GitRepository', name: '*' }]],
    ]);
  });

  test('fails when a notification\'s own event source watches a namespace no routed tenant owns, on a cluster with tenants', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addTenant('team-web', { namespace: 'web', targets: { environments: [production] } });
      fleet.addNotification(Notification.webhook({ secretName: 'hook', eventSources: [EventSource.all('HelmRelease', { namespace: 'apps' })] }));
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme] notification webhook: event source HelmRelease in namespace "apps" is dropped on a cluster with tenants, where notification-controller refuses Alerts watching other namespaces (--no-cross-namespace-refs); watch flux-system only there and route the notification to the tenant owning "apps" (tenants: true), or narrow the notification\'s targets to clusters without tenants (on cluster prod-eu-1)',
    ]);
  });

  test('fails when a tenant a notification is routed to does not say where the notification\'s Secret comes from', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet, production } = smallFleet(app);
      fleet.addTenant('team-web', { namespace: 'web', targets: { environments: [production] } });
      fleet.addNotification(Notification.discord({ secretName: 'discord-webhook' }), { tenants: true });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme] notification discord: routed to tenant team-web, whose Provider reads the Secret "discord-webhook" in namespace "web", which nothing provides there (Secrets are not shared across namespaces); set notificationSecret on the tenant: TenantNotificationSecret.external() if something else puts it there, or TenantNotificationSecret.objects(...) to have the fleet write what creates it (on cluster prod-eu-1)',
    ]);
  });

  test('fails when a notification is routed to a tenant of another fleet', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet } = smallFleet(app);
      const other = new Fleet(app, 'other', { registry: Registry.ecr({ account: '123456789012', repository: 'other' }) });
      const stray = other.addTenant('team-web', { namespace: 'web' });
      fleet.addNotification(Notification.slack({ channel: 'alerts', secretName: 'slack-bot' }), { tenants: [stray] });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme] notification slack: routed to tenant team-web (other/tenants/team-web), which is not a tenant of this fleet; add it with addTenant() on this fleet, or leave it out of tenants',
    ]);
  });

  test('fails when a notification sets the event metadata key the fleet gives a tenant\'s Alert', () => {
    // GIVEN / WHEN
    const errors = Notification.slack({ channel: 'alerts', secretName: 'slack-bot', eventMetadata: { tenant: 'web' } }).validate();
    // THEN
    expect(errors).toStrictEqual([
      'Notification.slack() eventMetadata key "tenant" is set by the fleet on a tenant\'s Alert to the tenant\'s name; use another key, e.g. "tenant-label"',
    ]);
  });
});

describe('the multi-tenancy lockdown, an option of any cluster', () => {
  test('a cluster without fleet tenants runs the lockdown when flux.multitenant says so, and its reconcilers name an account', () => {
    // GIVEN / WHEN
    const { errors, outdir } = synth((app) => {
      const { fleet } = smallFleet(app);
      fleet.addComponent('infra', { source: pushed('infra') });
      fleet.addEnvironment('shared', { channel: 'latest' }).addCluster('shared-1', { region: 'eu-west-1', vars: { domain: 's.acme.io' }, flux: { multitenant: true } });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    const instance = (cluster: string) => find(outdir, `clusters/${cluster}/flux-system/flux-system.yaml`, 'FluxInstance').spec.cluster.multitenant;
    expect([instance('shared-1'), instance('stg-eu-1')]).toStrictEqual([true, false]);
    expect(find(outdir, 'clusters/shared-1/infra.yaml', 'Kustomization').spec.serviceAccountName).toBe('kustomize-controller');
    expect(find(outdir, 'clusters/stg-eu-1/infra.yaml', 'Kustomization').spec.serviceAccountName).toBeUndefined();
  });

  test('fails when a tenant default service account is set on a cluster without the lockdown, naming the option that sets it', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      smallFleet(app, { flux: { bootstrap: Bootstrap.operator({ instance: { tenantDefaultServiceAccount: 'flux' } }) } });
    });
    // THEN
    expect(errors).toStrictEqual(['stg-eu-1', 'prod-eu-1'].map((c) => `[acme/${c.startsWith('stg') ? 'staging' : 'production'}/${c}/flux-system/flux] Bootstrap.operator() instance.tenantDefaultServiceAccount "flux" applies only under the multi-tenancy lockdown, which cluster ${c} does not run (it has no tenants); set flux: { multitenant: true } on the cluster (or on the fleet) to lock it down, or drop tenantDefaultServiceAccount`));
  });

  test('fails when the lockdown is turned off on a cluster with tenants', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      const { fleet } = smallFleet(app, { flux: { multitenant: false } });
      fleet.addTenant('team-web');
    });
    // THEN
    expect(errors).toStrictEqual(['[acme] flux.multitenant is false on the fleet, but the cluster has tenants (team-web), whose isolation rests on the multi-tenancy lockdown; drop multitenant: false, or narrow the tenants\' targets (on clusters stg-eu-1, prod-eu-1)']);
  });
});

describe('plain Flux bootstrap knobs', () => {
  test('controller flags, patches and labels fit the release manifests, per cluster', () => {
    // GIVEN
    const resources = { patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'helm-controller' }, spec: { replicas: 2 } }, target: { kind: 'Deployment', name: 'helm-controller' } };
    // WHEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app, {
        flux: {
          bootstrap: Bootstrap.plain({
            controllers: (facts) => ({
              controllerFlags: {
                'kustomize-controller': [`--concurrent=${facts.environment === 'production' ? 20 : 5}`, '--requeue-dependency=5s'],
                'helm-controller': ['--concurrent=20'],
              },
              patches: [resources],
              commonMetadata: { labels: { 'toolkit.fluxcd.io/tenant': 'sre-team' } },
            }),
          }),
        },
      });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    const components = (cluster: string) => objects(outdir, `clusters/${cluster}/flux-system/flux-system.yaml`).find((o) => o.metadata.name === 'flux-components')!.spec;
    const prod = components('prod-eu-1');
    expect(prod.commonMetadata).toStrictEqual({ labels: { 'toolkit.fluxcd.io/tenant': 'sre-team' } });
    expect(prod.patches.slice(-3)).toStrictEqual([
      {
        patch: '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=20\n- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --requeue-dependency=5s\n',
        target: { kind: 'Deployment', name: 'kustomize-controller' },
      },
      { patch: '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=20\n', target: { kind: 'Deployment', name: 'helm-controller' } },
      { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: helm-controller\nspec:\n  replicas: 2\n', target: { kind: 'Deployment', name: 'helm-controller' } },
    ]);
    expect(components('stg-eu-1').patches.at(-3).patch).toContain('--concurrent=5');
  });

  test('the operator takes the same controller flags and labels', () => {
    // GIVEN / WHEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app, {
        flux: {
          bootstrap: Bootstrap.operator({
            instance: { controllerFlags: { 'source-controller': ['--concurrent=10'] }, commonMetadata: { labels: { team: 'platform' } } },
          }),
        },
      });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    const spec = find(outdir, 'clusters/stg-eu-1/flux-system/flux-system.yaml', 'FluxInstance').spec;
    expect(spec.commonMetadata).toStrictEqual({ labels: { team: 'platform' } });
    expect(spec.kustomize.patches.at(-1)).toStrictEqual({
      patch: '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=10\n',
      target: { kind: 'Deployment', name: 'source-controller' },
    });
  });

  test('fails when a controller flag is not a flag, or names no Flux controller', () => {
    // GIVEN / WHEN
    const { errors } = synth((app) => {
      smallFleet(app, {
        flux: { bootstrap: Bootstrap.plain({ controllers: { controllerFlags: { 'kustomize-controler': ['--concurrent=5'], 'helm-controller': ['concurrent=5'] } as any } }) },
      });
    });
    // THEN
    expect(errors.filter((e) => e.includes('stg-eu-1'))).toStrictEqual([
      '[acme/staging/stg-eu-1/flux-system/flux-components] Bootstrap.plain() controllers.controllerFlags names "kustomize-controler", which is not a Flux controller; use one of "source-controller", "kustomize-controller", "helm-controller", "notification-controller", "image-reflector-controller", "image-automation-controller", "source-watcher"',
      '[acme/staging/stg-eu-1/flux-system/flux-components] Bootstrap.plain() controllers.controllerFlags.helm-controller flag "concurrent=5" is not a flag; write it as "--name=value", e.g. "--concurrent=20"',
    ]);
  });
});

describe('health of custom resources, and how Helm waits', () => {
  const CERTIFICATE = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    current: 'status.conditions.exists(c, c.type == \'Ready\' && c.status == \'True\')',
  };

  test('a Helm component\'s wait strategy and health check expressions reach its HelmRelease', () => {
    // GIVEN
    const { errors, outdir } = synth((app) => {
      smallFleet(app).fleet.addHelmComponent('podinfo', {
        chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }),
        waitStrategy: 'poller',
        healthCheckExprs: [CERTIFICATE],
      });
    });
    // WHEN
    const spec = find(outdir, 'clusters/prod-eu-1/components/podinfo/podinfo.yaml', 'HelmRelease').spec;
    // THEN
    expect(errors).toStrictEqual([]);
    expect([spec.waitStrategy, spec.healthCheckExprs]).toStrictEqual([{ name: 'poller' }, [CERTIFICATE]]);
  });

  test('a kustomize component\'s health check expressions reach its Kustomization', () => {
    const { errors, outdir } = synth((app) => {
      smallFleet(app).fleet.addComponent('certs', { source: pushed('certs'), wait: true, healthCheckExprs: [CERTIFICATE] });
    });
    expect(errors).toStrictEqual([]);
    expect(find(outdir, 'clusters/stg-eu-1/certs.yaml', 'Kustomization').spec.healthCheckExprs).toStrictEqual([CERTIFICATE]);
  });

  test('fails when nothing would evaluate a component\'s health check expressions', () => {
    const { errors } = synth((app) => {
      smallFleet(app).fleet.addComponent('certs', { source: pushed('certs'), healthCheckExprs: [CERTIFICATE] });
    });
    expect(errors).toStrictEqual(['staging/stg-eu-1', 'production/prod-eu-1'].map((c) =>
      `[acme/${c}/certs/certs] spec.healthCheckExprs is evaluated only with spec.wait or spec.healthChecks; set wait: true, or list the objects in healthChecks`));
  });

  test('fails when a cluster\'s Flux predates the Helm wait strategy, naming the cluster\'s minor', () => {
    // GIVEN: HelmRelease waitStrategy arrived in Flux 2.8
    const { errors } = synth((app) => {
      smallFleet(app, { flux: { version: '2.7.x' } }).fleet.addHelmComponent('podinfo', {
        chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }),
        waitStrategy: 'poller',
      });
    });
    // THEN
    expect(errors.filter((e) => e.includes('waitStrategy'))).toStrictEqual(['stg-eu-1', 'prod-eu-1'].map((c) =>
      expect.stringMatching(new RegExp(`^\\[[^\\]]*${c}[^\\]]*\\] does not match the Flux schema: spec\\.waitStrategy is not a field of HelmRelease \\(helm\\.toolkit\\.fluxcd\\.io/v2, Flux 2\\.7\\)`))));
  });
});
