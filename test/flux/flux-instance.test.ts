import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { ClusterScope, FluxApp, FluxInstance, FluxInstanceSync, Kustomization, OciRepository } from '../../src/index.js';

const OCI_SYNC: FluxInstanceSync = { kind: 'OCIRepository', url: 'oci://ghcr.io/acme/fleet', ref: 'latest', path: 'clusters/production' };

function setup() {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  return { app, chart };
}

describe('FluxInstance', () => {
  test('minimal object', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new FluxInstance(chart, 'instance');
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'FluxInstance',
        metadata: { name: 'flux', namespace: 'flux-system' },
        spec: { distribution: { version: '2.9.x', registry: 'ghcr.io/fluxcd' } },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new FluxInstance(chart, 'instance', {
      metadata: { annotations: { 'fluxcd.controlplane.io/reconcileEvery': '1h' } },
      distribution: {
        version: '2.9.4',
        registry: 'ghcr.io/controlplaneio-fluxcd/distroless',
        variant: 'enterprise-distroless',
        imagePullSecret: { name: 'enterprise-pull' },
        artifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest',
        artifactPullSecret: { name: 'manifests-pull' },
      },
      components: [
        'source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller',
        'image-reflector-controller', 'image-automation-controller', 'source-watcher',
      ],
      cluster: {
        type: 'aws',
        size: 'large',
        multitenant: true,
        multitenantWorkloadIdentity: true,
        objectLevelWorkloadIdentity: true,
        networkPolicy: false,
        domain: 'cluster.example',
        tenantDefaultServiceAccount: 'flux-tenant',
        tenantDefaultDecryptionServiceAccount: 'flux-sops',
        tenantDefaultKubeConfigServiceAccount: 'flux-remote',
      },
      sharding: { key: 'sharding.fluxcd.io/key', shards: ['shard1', 'shard2'], storage: 'persistent' },
      storage: { class: 'gp3', size: '10Gi' },
      kustomize: {
        patches: [
          { patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'all' }, spec: { replicas: 2 } }, target: { kind: 'Deployment' } },
          { patch: '- op: add\n  path: /spec/verify\n  value: {provider: cosign}\n', target: { kind: 'OCIRepository', name: 'flux-system' } },
        ],
      },
      sync: {
        kind: 'OCIRepository',
        url: 'oci://ghcr.io/acme/fleet',
        ref: 'latest',
        path: 'clusters/production',
        pullSecret: { name: 'fleet-pull' },
        provider: 'aws',
        interval: Duration.minutes(5),
        name: 'fleet',
      },
      commonMetadata: { labels: { 'app.kubernetes.io/part-of': 'flux' }, annotations: { owner: 'platform' } },
      wait: false,
      migrateResources: false,
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'FluxInstance',
        metadata: { name: 'flux', namespace: 'flux-system', annotations: { 'fluxcd.controlplane.io/reconcileEvery': '1h' } },
        spec: {
          distribution: {
            version: '2.9.4',
            registry: 'ghcr.io/controlplaneio-fluxcd/distroless',
            variant: 'enterprise-distroless',
            imagePullSecret: 'enterprise-pull',
            artifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest',
            artifactPullSecret: 'manifests-pull',
          },
          components: [
            'source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller',
            'image-reflector-controller', 'image-automation-controller', 'source-watcher',
          ],
          commonMetadata: { labels: { 'app.kubernetes.io/part-of': 'flux' }, annotations: { owner: 'platform' } },
          cluster: {
            type: 'aws',
            size: 'large',
            multitenant: true,
            multitenantWorkloadIdentity: true,
            objectLevelWorkloadIdentity: true,
            networkPolicy: false,
            domain: 'cluster.example',
            tenantDefaultServiceAccount: 'flux-tenant',
            tenantDefaultDecryptionServiceAccount: 'flux-sops',
            tenantDefaultKubeConfigServiceAccount: 'flux-remote',
          },
          sharding: { key: 'sharding.fluxcd.io/key', shards: ['shard1', 'shard2'], storage: 'persistent' },
          storage: { class: 'gp3', size: '10Gi' },
          kustomize: {
            patches: [
              { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: all\nspec:\n  replicas: 2\n', target: { kind: 'Deployment' } },
              { patch: '- op: add\n  path: /spec/verify\n  value: {provider: cosign}\n', target: { kind: 'OCIRepository', name: 'flux-system' } },
            ],
          },
          wait: false,
          migrateResources: false,
          sync: {
            kind: 'OCIRepository',
            url: 'oci://ghcr.io/acme/fleet',
            ref: 'latest',
            path: 'clusters/production',
            pullSecret: 'fleet-pull',
            provider: 'aws',
            interval: '5m',
            name: 'fleet',
          },
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('passes validation', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new FluxInstance(chart, 'flux', {
      distribution: { version: '2.x' },
      cluster: { type: 'kubernetes', size: 'medium', multitenant: true, tenantDefaultServiceAccount: 'default' },
      sync: { kind: 'GitRepository', url: 'https://github.com/acme/fleet.git', ref: 'refs/heads/main', path: './clusters/staging', provider: 'github' },
    });
    // THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references an instance managed elsewhere', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    const instance = FluxInstance.fromName(chart, 'instance');
    // THEN
    expect(instance.kind).toBe('FluxInstance');
    expect(instance.apiVersion).toBe('fluxcd.controlplane.io/v1');
    expect(instance.name).toBe('flux');
    expect(instance.namespace).toBe('flux-system');
    expect(instance.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([]);
    expect(() => app.validate()).not.toThrow();
  });

  describe('multi-tenancy lockdown', () => {
    function crossNamespaceKustomization(app: FluxApp): void {
      const tenant = new Chart(app, 'team-a', { namespace: 'team-a' });
      const system = new Chart(app, 'system');
      const source = new OciRepository(system, 'apps', { url: 'oci://ghcr.io/acme/apps' });
      new Kustomization(tenant, 'apps', { sourceRef: source });
    }

    test('a cross-namespace source reference passes without a multitenant FluxInstance', () => {
      // GIVEN
      const app = new FluxApp();
      new FluxInstance(new Chart(app, 'flux'), 'flux', { cluster: { multitenant: false } });
      // WHEN
      crossNamespaceKustomization(app);
      // THEN
      expect(() => app.validate()).not.toThrow();
    });

    test('fails when a multitenant FluxInstance is in the app and a Kustomization refers to a source in another namespace', () => {
      // GIVEN
      const app = new FluxApp();
      new FluxInstance(new Chart(app, 'flux'), 'flux', { cluster: { multitenant: true } });
      // WHEN
      crossNamespaceKustomization(app);
      // THEN
      expect(() => app.validate()).toThrow(/\[team-a\/apps\] spec\.sourceRef refers to OCIRepository flux-system\/apps in another namespace, but namespace team-a is locked down/);
    });

    test('locks only the cluster the FluxInstance belongs to', () => {
      // GIVEN
      const app = new FluxApp();
      const locked = new ClusterScope(app, 'locked');
      new FluxInstance(new Chart(locked, 'flux'), 'flux', { cluster: { multitenant: true } });
      const open = new ClusterScope(app, 'open');
      // WHEN
      crossNamespaceKustomization(open as unknown as FluxApp);
      // THEN
      expect(() => app.validate()).not.toThrow();
    });
  });

  test('fails when the name is not flux', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { metadata: { name: 'flux-main' } });
    expect(() => app.validate()).toThrow(/does not match the Flux schema: metadata\.name "flux-main": the only accepted name for a FluxInstance is 'flux'/);
  });

  test('fails when two FluxInstances are in one cluster', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux');
    new FluxInstance(new Chart(app, 'other', { namespace: 'flux-operator' }), 'flux');
    expect(() => app.validate()).toThrow(/\[other\/flux\] chart\/flux defines a FluxInstance in namespace flux-system already; Flux Operator runs one FluxInstance per cluster/);
  });

  test('fails when the version is not a version or range', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { distribution: { version: 'latest' } });
    expect(() => app.validate()).toThrow(/spec\.distribution\.version "latest" is neither a version nor a semver range; use e\.g\. "2\.9\.x"/);
  });

  test('fails when the registry carries a scheme', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { distribution: { registry: 'https://ghcr.io/fluxcd' } });
    expect(() => app.validate()).toThrow(/spec\.distribution\.registry "https:\/\/ghcr\.io\/fluxcd" carries a scheme; drop "https:\/\/", e\.g\. "ghcr\.io\/fluxcd"/);
  });

  test('fails when the registry is not a registry address', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { distribution: { registry: 'ghcr.io/fluxcd/' } });
    expect(() => app.validate()).toThrow(/spec\.distribution\.registry "ghcr\.io\/fluxcd\/" is not a registry address/);
  });

  test('fails when the variant is unknown', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { distribution: { variant: 'upstream-distroless' as any } });
    expect(() => app.validate()).toThrow(/spec\.distribution\.variant "upstream-distroless" is not allowed; use one of "upstream-alpine", "enterprise-alpine", "enterprise-distroless", "enterprise-distroless-fips"/);
  });

  test('fails when the artifact is not an oci:// URL', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { distribution: { artifact: 'ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest' } });
    expect(() => app.validate()).toThrow(/spec\.distribution\.artifact "ghcr\.io\/controlplaneio-fluxcd\/flux-operator-manifests:latest" must start with oci:\/\//);
  });

  test('fails when the artifact pull secret is set without an artifact', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { distribution: { artifactPullSecret: { name: 'pull' } } });
    expect(() => app.validate()).toThrow(/spec\.distribution\.artifactPullSecret is set without spec\.distribution\.artifact/);
  });

  test('fails when a component is unknown', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { components: ['source-controller', 'tf-controller' as any] });
    expect(() => app.validate()).toThrow(/spec\.components\[1\] "tf-controller" is not allowed; use one of "source-controller"/);
  });

  test('fails when a component is listed twice', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { components: ['source-controller', 'kustomize-controller', 'source-controller'] });
    expect(() => app.validate()).toThrow(/spec\.components lists "source-controller" twice/);
  });

  test('fails when image automation comes without image reflection', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { components: ['source-controller', 'image-automation-controller'] });
    expect(() => app.validate()).toThrow(/spec\.components lists "image-automation-controller" without "image-reflector-controller"/);
  });

  test('fails when sync is set without the controllers it needs', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { components: ['source-controller', 'helm-controller'], sync: OCI_SYNC });
    expect(() => app.validate()).toThrow(/spec\.sync needs "kustomize-controller" in spec\.components; add it/);
  });

  test('fails when the cluster type is unknown', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { cluster: { type: 'eks' as any } });
    expect(() => app.validate()).toThrow(/spec\.cluster\.type "eks" is not allowed; use one of "kubernetes", "openshift", "aws", "azure", "gcp"/);
  });

  test('fails when the cluster size is unknown', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { cluster: { size: 'xl' as any } });
    expect(() => app.validate()).toThrow(/spec\.cluster\.size "xl" is not allowed; use one of "small", "medium", "large"/);
  });

  test('fails when the cluster domain is not a DNS name', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { cluster: { domain: 'Cluster_Local' } });
    expect(() => app.validate()).toThrow(/spec\.cluster\.domain "Cluster_Local" is not a DNS-1123 name/);
  });

  test('fails when a tenant service account is not a DNS name', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { cluster: { multitenant: true, tenantDefaultServiceAccount: 'Tenant SA' } });
    expect(() => app.validate()).toThrow(/spec\.cluster\.tenantDefaultServiceAccount "Tenant SA" is not a DNS-1123 name/);
  });

  test('fails when workload identity lockdown comes without object-level workload identity', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { cluster: { multitenantWorkloadIdentity: true } });
    expect(() => app.validate()).toThrow(/spec\.cluster\.multitenantWorkloadIdentity needs spec\.cluster\.objectLevelWorkloadIdentity: true/);
  });

  test('fails when a tenant service account is set without a lockdown', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { cluster: { tenantDefaultServiceAccount: 'flux-tenant' } });
    expect(() => app.validate()).toThrow(/spec\.cluster\.tenantDefaultServiceAccount "flux-tenant" only applies under a lockdown; set spec\.cluster\.multitenant: true/);
  });

  test('fails when an OCIRepository sync URL is not oci://', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, url: 'https://ghcr.io/acme/fleet' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.url "https:\/\/ghcr\.io\/acme\/fleet" must start with oci:\/\/ for kind OCIRepository/);
  });

  test('fails when an OCIRepository sync URL carries a tag', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, url: 'oci://ghcr.io/acme/fleet:v1' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.url "oci:\/\/ghcr\.io\/acme\/fleet:v1" carries a tag; drop ":v1" and set spec\.sync\.ref to "v1"/);
  });

  test('fails when an OCIRepository sync URL carries a digest', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, url: 'oci://ghcr.io/acme/fleet@sha256:abc' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.url "oci:\/\/ghcr\.io\/acme\/fleet@sha256:abc" carries a digest; drop "@sha256:abc"/);
  });

  test('fails when a GitRepository sync URL has another scheme', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { kind: 'GitRepository', url: 'oci://ghcr.io/acme/fleet', ref: 'refs/heads/main', path: 'clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.url "oci:\/\/ghcr\.io\/acme\/fleet" must start with https:\/\/ or http:\/\/ or ssh:\/\//);
  });

  test('fails when a GitRepository sync ref is not a full reference', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { kind: 'GitRepository', url: 'ssh://git@github.com/acme/fleet', ref: 'main', path: 'clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.ref "main" is not a Git reference for kind GitRepository; use a full reference, e\.g\. "refs\/heads\/main"/);
  });

  test('fails when a Bucket sync endpoint carries a scheme', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { kind: 'Bucket', url: 'https://minio.example.com:9000/fleet', ref: 'fleet', path: 'clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.url "https:\/\/minio\.example\.com:9000\/fleet" carries a scheme, but a Bucket endpoint is a host\[:port\]; drop "https:\/\/", e\.g\. "minio\.example\.com:9000"/);
  });

  test('fails when the sync ref is empty', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { kind: 'Bucket', url: 'minio.example.com', ref: ' ', path: 'clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.ref is empty/);
  });

  test('fails when the sync path climbs out of the source', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, path: '../clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.path "\.\.\/clusters\/production" climbs out of the artifact with "\.\."/);
  });

  test('fails when the sync path is absolute', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, path: '/clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.path "\/clusters\/production" is absolute/);
  });

  test('fails when the sync interval is not a Go duration', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, interval: '1 minute' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.interval "1 minute" is not a Go duration/);
  });

  test('fails when the sync name is not a DNS label', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, name: 'flux.system' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.name "flux\.system" is not a DNS-1123 label/);
  });

  test('fails when the sync provider does not fit the kind', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sync: { ...OCI_SYNC, provider: 'github' } });
    expect(() => app.validate()).toThrow(/spec\.sync\.provider "github" is not allowed for kind OCIRepository; use one of "generic", "aws", "azure", "gcp"/);
  });

  test('fails when the sharding key is not a label key', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sharding: { key: 'sharding key', shards: ['a'] } });
    expect(() => app.validate()).toThrow(/spec\.sharding\.key "sharding key" is not a label key/);
  });

  test('fails when no shard is named', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sharding: { shards: [] } });
    expect(() => app.validate()).toThrow(/spec\.sharding\.shards is empty; name at least one shard/);
  });

  test('fails when a shard name is not a DNS label', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sharding: { shards: ['Shard_1'] } });
    expect(() => app.validate()).toThrow(/spec\.sharding\.shards\[0\] "Shard_1" is not a DNS-1123 label/);
  });

  test('fails when a shard is named twice', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sharding: { shards: ['shard1', 'shard1'] } });
    expect(() => app.validate()).toThrow(/spec\.sharding\.shards lists "shard1" twice/);
  });

  test('fails when the shard storage is unknown', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sharding: { shards: ['shard1'], storage: 'disk' as any } });
    expect(() => app.validate()).toThrow(/spec\.sharding\.storage "disk" is not allowed; use one of "ephemeral", "persistent"/);
  });

  test('fails when persistent shard storage comes without spec.storage', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { sharding: { shards: ['shard1'], storage: 'persistent' } });
    expect(() => app.validate()).toThrow(/spec\.sharding\.storage "persistent" needs spec\.storage/);
  });

  test('fails when the storage class is not a DNS name', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { storage: { class: 'Fast SSD', size: '10Gi' } });
    expect(() => app.validate()).toThrow(/spec\.storage\.class "Fast SSD" is not a DNS-1123 name/);
  });

  test('fails when the storage size is not a quantity', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { storage: { class: 'standard', size: '10GB' } });
    expect(() => app.validate()).toThrow(/spec\.storage\.size "10GB" is not a Kubernetes quantity; use e\.g\. "10Gi"/);
  });

  test('fails when a kustomize patch is empty', () => {
    const { app, chart } = setup();
    new FluxInstance(chart, 'flux', { kustomize: { patches: [{ patch: '' }] } });
    expect(() => app.validate()).toThrow(/spec\.kustomize\.patches\[0\]\.patch is empty/);
  });

  test('fails when a patch breaks the Flux Operator schema', () => {
    const { app, chart } = setup();
    const instance = new FluxInstance(chart, 'flux', { sync: OCI_SYNC });
    instance.addJsonPatch(JsonPatch.add('/spec/sync/kind', 'HelmRepository'), JsonPatch.add('/spec/sync/verify', { provider: 'cosign' }));
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.sync\.kind "HelmRepository" is not allowed; use one of "OCIRepository", "GitRepository", "Bucket"/);
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.sync\.verify is not a field of FluxInstance \(fluxcd\.controlplane\.io\/v1, Flux Operator v0\.58\.1\); its fields here are interval, kind, name, path, provider, pullSecret, ref, url/);
  });

  test('fails when a patch renames the instance', () => {
    const { app, chart } = setup();
    const instance = new FluxInstance(chart, 'flux');
    instance.addJsonPatch(JsonPatch.replace('/metadata/name', 'main'));
    expect(() => app.validate()).toThrow(/does not match the Flux schema: metadata\.name "main": the only accepted name for a FluxInstance is 'flux'/);
  });
});
