import { ApiObject, App, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, InputsFrom, OciRepository, ResourceSet } from '../../src/index.js';

const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '<< inputs.tenant >>' } };

function setup(namespace?: string) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart', { namespace });
  return { app, chart };
}

describe('ResourceSet', () => {
  test('minimal object', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new ResourceSet(chart, 'tenants', { resources: [NAMESPACE] });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'ResourceSet',
        metadata: { name: 'tenants', namespace: 'flux-system' },
        spec: { resources: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: '<< inputs.tenant >>' } }] },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const { app, chart } = setup('apps');
    const templates = new Chart(new App(), 'templates');
    const source = new OciRepository(templates, 'app', { metadata: { name: '<< inputs.tenant >>', namespace: '<< inputs.tenant >>' }, url: 'oci://ghcr.io/acme/app' });
    const config = new ApiObject(templates, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { replicas: '<< inputs.replicas >>' } });
    const crd = new ApiObject(templates, 'crd', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.acme.io' } });
    const provider = ResourceSet.inputProviderFromName(chart, 'prs', 'podinfo-prs');
    // WHEN
    new ResourceSet(chart, 'tenants', {
      metadata: { name: 'tenant-apps', annotations: { 'fluxcd.controlplane.io/reconcileEvery': '30m' } },
      inputs: [{ tenant: 'team-a', replicas: 2 }, { tenant: 'team-b', replicas: 1 }],
      inputsFrom: [InputsFrom.provider(provider), InputsFrom.selector({ matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] })],
      inputStrategy: 'Permute',
      resources: [NAMESPACE, source, config],
      resourcesTemplate: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: << inputs.tenant >>\n',
      dependsOn: [
        { target: crd },
        { target: { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', name: 'infra', namespace: 'flux-system' }, ready: true, readyExpr: 'status.conditions.all(c, c.status == "True")' },
      ],
      serviceAccountName: 'flux-operator-tenants',
      wait: true,
      commonMetadata: { labels: { 'toolkit.fluxcd.io/tenant': 'apps' }, annotations: { owner: 'platform' } },
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'ResourceSet',
        metadata: { name: 'tenant-apps', namespace: 'apps', annotations: { 'fluxcd.controlplane.io/reconcileEvery': '30m' } },
        spec: {
          commonMetadata: { labels: { 'toolkit.fluxcd.io/tenant': 'apps' }, annotations: { owner: 'platform' } },
          inputs: [{ tenant: 'team-a', replicas: 2 }, { tenant: 'team-b', replicas: 1 }],
          inputsFrom: [
            { kind: 'ResourceSetInputProvider', name: 'podinfo-prs' },
            { kind: 'ResourceSetInputProvider', selector: { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] } },
          ],
          inputStrategy: { name: 'Permute' },
          resources: [
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '<< inputs.tenant >>' } },
            {
              apiVersion: 'source.toolkit.fluxcd.io/v1',
              kind: 'OCIRepository',
              metadata: { name: '<< inputs.tenant >>', namespace: '<< inputs.tenant >>' },
              spec: { interval: '5m', url: 'oci://ghcr.io/acme/app' },
            },
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { replicas: '<< inputs.replicas >>' } },
          ],
          resourcesTemplate: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: << inputs.tenant >>\n',
          dependsOn: [
            { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.acme.io' },
            { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', name: 'infra', namespace: 'flux-system', ready: true, readyExpr: 'status.conditions.all(c, c.status == "True")' },
          ],
          serviceAccountName: 'flux-operator-tenants',
          wait: true,
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('renders steps', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new ResourceSet(chart, 'app', {
      steps: [
        { name: 'migrate', resourcesTemplate: 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n', timeout: Duration.minutes(10) },
        { name: 'deploy', resources: [NAMESPACE] },
      ],
    });
    // THEN
    expect(Testing.synth(chart)[0].spec).toStrictEqual({
      steps: [
        { name: 'migrate', resourcesTemplate: 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n', timeout: '10m' },
        { name: 'deploy', resources: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: '<< inputs.tenant >>' } }] },
      ],
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('addDependency() adds a dependency after construction', () => {
    // GIVEN
    const { chart } = setup();
    const infra = new ResourceSet(chart, 'infra', { resourcesTemplate: '---' });
    const apps = new ResourceSet(chart, 'apps', { resources: [NAMESPACE] });
    // WHEN
    apps.addDependency(infra, { ready: true });
    // THEN
    expect(Testing.synth(chart)[1].spec.dependsOn).toStrictEqual([
      { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', name: 'infra', namespace: 'flux-system', ready: true },
    ]);
  });

  test('passes validation', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new ResourceSet(chart, 'tenants', {
      inputs: [{ tenant: 'team-a' }],
      resourcesTemplate: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: << inputs.tenant >>\n',
      inputsFrom: [InputsFrom.selector({ matchLabels: { app: 'podinfo' } })],
      inputStrategy: 'Flatten',
    });
    // THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a ResourceSet managed elsewhere', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    const infra = ResourceSet.fromName(chart, 'infra', 'infra', { namespace: 'platform' });
    new ResourceSet(chart, 'apps', { resources: [NAMESPACE], dependsOn: [{ target: infra, ready: true }] });
    // THEN
    expect(infra.kind).toBe('ResourceSet');
    expect(infra.imported).toBe(true);
    expect(Testing.synth(chart)[0].spec.dependsOn).toStrictEqual([
      { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', name: 'infra', namespace: 'platform', ready: true },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the service account name is not a DNS name', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'tenants', { resources: [NAMESPACE], serviceAccountName: 'Tenant_SA' });
    expect(() => app.validate()).toThrow(/spec\.serviceAccountName "Tenant_SA" is not a DNS-1123 name/);
  });

  test('fails when the input strategy is unknown', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'tenants', { resources: [NAMESPACE], inputStrategy: 'Merge' as any });
    expect(() => app.validate()).toThrow(/spec\.inputStrategy\.name "Merge" is not allowed; use one of "Flatten", "Permute"/);
  });

  test('fails when Permute has no providers to combine', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'tenants', { resources: [NAMESPACE], inputStrategy: 'Permute' });
    expect(() => app.validate()).toThrow(/spec\.inputStrategy "Permute" combines the inputs of providers, but spec\.inputsFrom is empty/);
  });

  test('fails when an input provider is in another namespace', () => {
    const { app, chart } = setup('apps');
    const provider = ResourceSet.inputProviderFromName(chart, 'prs', 'podinfo-prs', { namespace: 'flux-system' });
    new ResourceSet(chart, 'tenants', { resources: [NAMESPACE], inputsFrom: [InputsFrom.provider(provider)] });
    expect(() => app.validate()).toThrow(/spec\.inputsFrom\[0\] refers to ResourceSetInputProvider flux-system\/podinfo-prs in another namespace; .* put it in apps/);
  });

  test('fails when an input provider is not a ResourceSetInputProvider', () => {
    const { app, chart } = setup();
    const other = ResourceSet.fromName(chart, 'other', 'other');
    new ResourceSet(chart, 'tenants', { resources: [NAMESPACE], inputsFrom: [InputsFrom.provider(other as any)] });
    expect(() => app.validate()).toThrow(/spec\.inputsFrom\[0\] refers to ResourceSet flux-system\/other, but Flux accepts only ResourceSetInputProvider there/);
  });

  test('fails when it generates nothing', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'tenants', { inputs: [{ tenant: 'team-a' }] });
    expect(() => app.validate()).toThrow(/spec\.resources, spec\.resourcesTemplate and spec\.steps are all unset, so the ResourceSet creates nothing/);
  });

  test('fails when steps come with resources', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'app', { resources: [NAMESPACE], steps: [{ name: 'deploy', resources: [NAMESPACE] }] });
    expect(() => app.validate()).toThrow(/spec\.steps is set with spec\.resources or spec\.resourcesTemplate; they are mutually exclusive/);
  });

  test('fails when there are more than 20 steps', () => {
    const { app, chart } = setup();
    const steps = Array.from({ length: 21 }, (_, i) => ({ name: `step-${i}`, resources: [NAMESPACE] }));
    new ResourceSet(chart, 'app', { steps });
    expect(() => app.validate()).toThrow(/spec\.steps has 21 steps; at most 20 are allowed/);
  });

  test('fails when a step name is not a DNS label', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'app', { steps: [{ name: 'Migrate DB', resources: [NAMESPACE] }] });
    expect(() => app.validate()).toThrow(/spec\.steps\[0\]\.name "Migrate DB" is not a DNS-1123 label/);
  });

  test('fails when two steps share a name', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'app', { steps: [{ name: 'deploy', resources: [NAMESPACE] }, { name: 'deploy', resourcesTemplate: '---' }] });
    expect(() => app.validate()).toThrow(/spec\.steps\[1\]\.name "deploy" is used by another step/);
  });

  test('fails when a step has no resources', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'app', { steps: [{ name: 'empty' }] });
    expect(() => app.validate()).toThrow(/spec\.steps\[0\] \("empty"\) has neither resources nor resourcesTemplate/);
  });

  test('fails when a step timeout is not a Go duration', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'app', { steps: [{ name: 'deploy', resources: [NAMESPACE], timeout: '2 minutes' }] });
    expect(() => app.validate()).toThrow(/spec\.steps\[0\]\.timeout "2 minutes" is not a Go duration/);
  });

  test('fails when a resource is not a Kubernetes object', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'tenants', { resources: [{ kind: 'Namespace', name: 'team-a' }] });
    expect(() => app.validate()).toThrow(/spec\.resources\[0\] is not a Kubernetes object: it needs apiVersion, kind and metadata\.name \(got \["kind","name"\] fields\)/);
  });

  test('fails when a step resource is not a Kubernetes object', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'app', { steps: [{ name: 'deploy', resources: [{ apiVersion: 'v1', kind: 'Namespace' }] }] });
    expect(() => app.validate()).toThrow(/spec\.steps\[0\]\.resources\[0\] is not a Kubernetes object/);
  });

  test('fails when a resource construct is written by its own chart too', () => {
    const { app, chart } = setup();
    const source = new OciRepository(chart, 'app', { url: 'oci://ghcr.io/acme/app' });
    new ResourceSet(chart, 'tenants', { resources: [source] });
    expect(() => app.validate()).toThrow(/spec\.resources\[0\] is chart\/app, which its chart writes too; create it in a Chart of an App of its own/);
  });

  test('fails when readyExpr is set without ready', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'apps', {
      resources: [NAMESPACE],
      dependsOn: [{ target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'db', namespace: 'data' }, readyExpr: 'status.readyReplicas > 0' }],
    });
    expect(() => app.validate()).toThrow(/spec\.dependsOn\[0\]\.readyExpr is only evaluated with ready: true; set ready: true on the dependency on Deployment db/);
  });

  test('fails when a dependency has no valid API version', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'apps', { resources: [NAMESPACE], dependsOn: [{ target: { apiVersion: 'apps', kind: 'Deployment', name: 'db' } }] });
    expect(() => app.validate()).toThrow(/spec\.dependsOn\[0\]\.apiVersion "apps" is not an API version/);
  });

  test('fails when a dependency namespace is not a DNS label', () => {
    const { app, chart } = setup();
    new ResourceSet(chart, 'apps', { resources: [NAMESPACE], dependsOn: [{ target: { apiVersion: 'v1', kind: 'ConfigMap', name: 'db', namespace: 'Data' } }] });
    expect(() => app.validate()).toThrow(/spec\.dependsOn\[0\]\.namespace "Data" is not a DNS-1123 label/);
  });

  test('fails when a patch breaks the Flux Operator schema', () => {
    const { app, chart } = setup();
    const set = new ResourceSet(chart, 'tenants', { resources: [NAMESPACE] });
    set.addJsonPatch(JsonPatch.add('/spec/inputsFrom', [{ kind: 'ConfigMap', name: 'inputs' }]), JsonPatch.add('/spec/wait', 'yes'));
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.inputsFrom\[0\]\.kind "ConfigMap" is not allowed; use one of "ResourceSetInputProvider"/);
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.wait must be boolean/);
  });
});
