import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ChartSource, ComponentSource, Fleet, FluxApp, PullCredentials, Registry, Signing, SynthError, TenantPullSecret } from '../../src/index.js';
import { validateTree } from '../../src/output/index.js';

/** Synthesizes; returns the errors (none on success) and the output folder. */
function synth(build: (fleet: Fleet) => void): { errors: string[]; outdir: string } {
  const outdir = join(mkdtempSync(join(tmpdir(), 'kept-names-')), 'dist');
  const app = new FluxApp({ outdir });
  const fleet = new Fleet(app, 'acme', {
    registry: Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-auth' } }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
  });
  fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('staging-1', { region: 'eu' });
  build(fleet);
  try {
    app.synth();
  } catch (e) {
    if (!(e instanceof SynthError)) throw e;
    return { errors: e.errors.map((x) => x.message), outdir };
  }
  return { errors: [], outdir };
}

/** Every object of a cluster's folder, as `Kind namespace/name`. */
function identities(outdir: string, cluster: string, files: string[]): string[] {
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(outdir, 'clusters', cluster, f), 'utf8')).map((d) => d.toJS()))
    .map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
}

function objectsOf(outdir: string, file: string): any[] {
  return parseAllDocuments(readFileSync(join(outdir, file), 'utf8')).map((d) => d.toJS());
}

describe('names a running cluster already knows are kept', () => {
  test('two tenants\' Kustomizations and sources keep one name each in their own namespace, with their bindings and account', async () => {
    // GIVEN / WHEN
    const { errors, outdir } = synth((fleet) => {
      for (const team of ['frontend', 'backend']) {
        const tenant = fleet.addTenant(team, {
          serviceAccountName: 'flux',
          clusterRole: 'admin',
          roleBindingName: 'flux',
          imagePullSecrets: ['ghcr-auth'],
          pullSecret: TenantPullSecret.external(),
          pullCredentials: PullCredentials.serviceAccount('flux'),
          clusterRoleBindings: [{ clusterRole: 'view', name: `flux-view-${team}` }],
        });
        fleet.addComponent(`${team}-apps`, {
          objectName: 'apps',
          tenant,
          source: ComponentSource.artifact(`oci://ghcr.io/acme/d2-apps/${team}`, {
            ref: { tag: 'latest' }, sourceName: 'apps', signing: Signing.githubActions({ repository: 'acme/d2-apps', workflow: 'push.yaml' }),
          }),
          path: (c) => `./${c.environment}`,
        });
      }
    });
    // THEN
    expect(errors).toStrictEqual([]);
    expect(identities(outdir, 'staging-1', ['frontend-apps.yaml', 'backend-apps.yaml', 'sources.yaml'])).toStrictEqual([
      'Kustomization frontend/apps', 'Kustomization backend/apps', 'OCIRepository frontend/apps', 'OCIRepository backend/apps',
    ]);
    const tenants = objectsOf(outdir, 'clusters/staging-1/tenants.yaml');
    expect(tenants.filter((o) => o.metadata.namespace === 'frontend' || o.kind === 'ClusterRoleBinding').map((o) => `${o.kind} ${o.metadata.name}`)).toStrictEqual([
      'ConfigMap flux-runtime-info', 'ServiceAccount flux', 'RoleBinding flux', 'ClusterRoleBinding flux-view-frontend', 'ClusterRoleBinding flux-view-backend',
    ]);
    expect(tenants.find((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === 'frontend').imagePullSecrets).toStrictEqual([{ name: 'ghcr-auth' }]);
    const source = objectsOf(outdir, 'clusters/staging-1/sources.yaml')[0];
    expect(source.spec.serviceAccountName).toBe('flux');
    expect(source.spec.secretRef).toBeUndefined();
    expect((await validateTree(outdir, { build: false })).errors).toStrictEqual([]);
  });

  test('a Helm component keeps its HelmRelease and chart source in the release\'s namespace, under their names', async () => {
    // GIVEN / WHEN
    const { errors, outdir } = synth((fleet) => {
      fleet.addHelmComponent('gateway', {
        objectName: 'envoy-gateway',
        namespace: 'envoy-gateway-system',
        releaseName: 'envoy-gateway',
        chart: ChartSource.oci('oci://docker.io/envoyproxy/gateway-helm', { version: '1.8.0', sourceName: 'gateway-helm', signing: Signing.none() }),
      });
      fleet.addHelmComponent('podinfo', {
        namespace: 'podinfo',
        chart: ChartSource.helmRepository('https://stefanprodan.github.io/podinfo', 'podinfo', { version: '6.x', signing: Signing.none() }),
      });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    expect(identities(outdir, 'staging-1', ['components/gateway/namespace.yaml', 'components/gateway/gateway.yaml', 'components/podinfo/namespace.yaml', 'components/podinfo/podinfo.yaml'])).toStrictEqual([
      'Namespace envoy-gateway-system', 'OCIRepository envoy-gateway-system/gateway-helm', 'HelmRelease envoy-gateway-system/envoy-gateway',
      'Namespace podinfo', 'HelmRepository podinfo/podinfo', 'HelmRelease podinfo/podinfo',
    ]);
    const release = objectsOf(outdir, 'clusters/staging-1/components/gateway/gateway.yaml')[1];
    expect([release.spec.releaseName, release.spec.targetNamespace, release.spec.storageNamespace, release.spec.install.createNamespace])
      .toStrictEqual(['envoy-gateway', 'envoy-gateway-system', 'envoy-gateway-system', false]);
    expect((await validateTree(outdir)).errors).toStrictEqual([]);
  }, 120_000);

  test('fails when a kept name is not a Kubernetes name, a tenant\'s release leaves its namespace, or a given source name is taken', () => {
    // GIVEN / WHEN
    const { errors } = synth((fleet) => {
      const web = fleet.addTenant('web', { pullSecret: TenantPullSecret.external() });
      fleet.addComponent('one', { objectName: 'Apps', source: ComponentSource.artifact('oci://ghcr.io/acme/one', { ref: { tag: '1.0.0' }, sourceName: 'apps' }) });
      fleet.addComponent('two', { source: ComponentSource.artifact('oci://ghcr.io/acme/two', { ref: { tag: '1.0.0' }, sourceName: 'apps' }) });
      fleet.addHelmComponent('chart', { tenant: web, namespace: 'other', chart: ChartSource.mirrored('oci://ghcr.io/acme/charts/x', { version: '1.0.0' }) });
    });
    // THEN
    expect(errors).toStrictEqual([
      'objectName "Apps" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit, e.g. "apps"',
      'sourceName "apps" is the name of another source in namespace "flux-system" (another URL, ref, credentials or signer); give this source another name (on cluster staging-1)',
      'namespace "other" is not the namespace of tenant web ("web"); a tenant\'s HelmRelease lives in its own namespace, so drop namespace (or set it to "web")',
    ]);
  });
});
