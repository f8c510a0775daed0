import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { ClusterScope, FluxApp, Kustomization, OciRepository } from '../../src/index.js';
import { errorsOf } from '../support/synth-errors.js';

function setup() {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  const source = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
  return { app, chart, source };
}


describe('Kustomization', () => {
  test('minimal object', () => {
    // GIVEN
    const { app, chart, source } = setup();
    // WHEN
    const k = new Kustomization(chart, 'apps', { sourceRef: source });
    // THEN
    expect(k.toJson()).toStrictEqual({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system' },
      spec: { interval: '10m', prune: true, sourceRef: { kind: 'OCIRepository', name: 'infra' } },
    });
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fully specified object', () => {
    // GIVEN
    const { app, chart, source } = setup();
    const controllers = new Kustomization(chart, 'controllers', { sourceRef: source, path: './controllers', wait: true });
    const crds = Kustomization.fromName(chart, 'crds', 'crds', { namespace: 'platform' });
    const remoteSource = new OciRepository(chart, 'remote', { url: 'oci://ghcr.io/acme/remote', metadata: { namespace: 'apps' } });
    // WHEN
    const k = new Kustomization(chart, 'apps', {
      metadata: { name: 'podinfo', namespace: 'apps', labels: { team: 'web' }, annotations: { note: 'x' } },
      sourceRef: source,
      path: './apps/podinfo',
      interval: Duration.minutes(30),
      retryInterval: '2m',
      timeout: Duration.minutes(5),
      prune: false,
      force: true,
      healthChecks: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'apps' }],
      dependsOn: [controllers],
      postBuild: {
        substitute: { cluster_name: 'prod-eu-1' },
        substituteFrom: [{ kind: 'ConfigMap', name: 'flux-runtime-info' }, { kind: 'Secret', name: 'cluster-secrets', optional: true }],
      },
      targetNamespace: 'podinfo',
      serviceAccountName: 'team-web',
      decryption: { secretRef: { name: 'sops-age' } },
      kubeConfig: { secretRef: { name: 'remote-kubeconfig', key: 'value.yaml' } },
      components: ['./components/ha'],
      patches: [
        { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n', target: { kind: 'Deployment' } },
        { patch: [{ op: 'add', path: '/spec/replicas', value: 3 }], target: { kind: 'Deployment', name: 'podinfo' } },
      ],
      images: [{ name: 'ghcr.io/stefanprodan/podinfo', newTag: '6.7.0' }],
      commonMetadata: { labels: { 'app.kubernetes.io/part-of': 'fleet' } },
      namePrefix: 'eu-',
      nameSuffix: '-1',
      deletionPolicy: 'Delete',
      suspend: false,
    });
    k.addDependency(crds, { readyExpr: 'status.observedGeneration == metadata.generation' });
    new Kustomization(chart, 'remote-apps', { sourceRef: remoteSource, metadata: { namespace: 'apps' } });
    // THEN
    expect(k.toJson()).toStrictEqual({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'podinfo', namespace: 'apps', labels: { team: 'web' }, annotations: { note: 'x' } },
      spec: {
        sourceRef: { kind: 'OCIRepository', name: 'infra', namespace: 'flux-system' },
        path: './apps/podinfo',
        interval: '30m',
        retryInterval: '2m',
        timeout: '5m',
        prune: false,
        force: true,
        dependsOn: [
          { name: 'controllers', namespace: 'flux-system' },
          { name: 'crds', namespace: 'platform', readyExpr: 'status.observedGeneration == metadata.generation' },
        ],
        healthChecks: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'apps' }],
        postBuild: {
          substitute: { cluster_name: 'prod-eu-1' },
          substituteFrom: [{ kind: 'ConfigMap', name: 'flux-runtime-info' }, { kind: 'Secret', name: 'cluster-secrets', optional: true }],
        },
        targetNamespace: 'podinfo',
        serviceAccountName: 'team-web',
        decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
        kubeConfig: { secretRef: { name: 'remote-kubeconfig', key: 'value.yaml' } },
        components: ['./components/ha'],
        patches: [
          { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n', target: { kind: 'Deployment' } },
          { patch: '- op: add\n  path: /spec/replicas\n  value: 3\n', target: { kind: 'Deployment', name: 'podinfo' } },
        ],
        images: [{ name: 'ghcr.io/stefanprodan/podinfo', newTag: '6.7.0' }],
        commonMetadata: { labels: { 'app.kubernetes.io/part-of': 'fleet' } },
        namePrefix: 'eu-',
        nameSuffix: '-1',
        deletionPolicy: 'Delete',
        suspend: false,
      },
    });
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('synthesizes in construction order inside a chart', () => {
    const { chart, source } = setup();
    new Kustomization(chart, 'apps', { sourceRef: source });
    expect(Testing.synth(chart).map((o) => o.kind)).toStrictEqual(['OCIRepository', 'Kustomization']);
  });

  test('fromName() references a Kustomization managed elsewhere', () => {
    const { app, chart, source } = setup();
    const external = Kustomization.fromName(chart, 'infra-ref', 'infra-controllers');
    const k = new Kustomization(chart, 'apps', { sourceRef: source, dependsOn: [external] });
    expect(external.kind).toBe('Kustomization');
    expect(external.imported).toBe(true);
    expect(k.toJson().spec.dependsOn).toStrictEqual([{ name: 'infra-controllers' }]);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fails when the name is longer than 63 characters', () => {
    const { app, chart, source } = setup();
    new Kustomization(chart, 'long', { sourceRef: source, metadata: { name: 'a'.repeat(64) } });
    expect(errorsOf(app)).toStrictEqual([`metadata.name "${'a'.repeat(64)}" is 64 characters long; at most 63 are allowed`]);
  });

  test.each([
    ['interval', { interval: '5 minutes' }, /^spec.interval "5 minutes" is not a Go duration/],
    ['retryInterval', { retryInterval: '1d' }, /^spec.retryInterval "1d" is not a Go duration/],
    ['timeout', { timeout: 'soon' }, /^spec.timeout "soon" is not a Go duration/],
    ['path climbing out', { path: './apps/../../etc' }, /^spec.path ".\/apps\/..\/..\/etc" climbs out of the artifact/],
    ['absolute path', { path: '/apps' }, /^spec.path "\/apps" is absolute/],
    ['component path', { components: ['../shared'] }, /^spec.components\[0\] "..\/shared" climbs out/],
    ['targetNamespace', { targetNamespace: 'Team_A' }, /^spec.targetNamespace "Team_A" is not a DNS-1123 label/],
    ['namePrefix length', { namePrefix: 'p'.repeat(201) }, /^spec.namePrefix ".*" is 201 characters long; at most 200/],
    ['nameSuffix length', { nameSuffix: 's'.repeat(201) }, /^spec.nameSuffix ".*" is 201 characters long; at most 200/],
    ['deletionPolicy', { deletionPolicy: 'Keep' }, /^spec.deletionPolicy "Keep" is not allowed; use one of "MirrorPrune"/],
    ['variable name', { postBuild: { substitute: { 'domain.name': 'x' } } }, /^spec.postBuild.substitute.domain.name "domain.name" is not a valid substitution variable name.*"domain_name"/],
    ['substituteFrom kind', { postBuild: { substituteFrom: [{ kind: 'Deployment', name: 'x' }] } }, /^spec.postBuild.substituteFrom\[0\].kind "Deployment" is not allowed; use one of "ConfigMap", "Secret"/],
    ['kubeConfig with both refs', { kubeConfig: { secretRef: { name: 'a' }, configMapRef: { name: 'b' } } }, /^set exactly one of spec.kubeConfig.secretRef or spec.kubeConfig.configMapRef \(got spec.kubeConfig.secretRef and spec.kubeConfig.configMapRef\)/],
    ['kubeConfig with no ref', { kubeConfig: {} }, /^set exactly one of spec.kubeConfig.secretRef or spec.kubeConfig.configMapRef \(got none\)/],
    ['healthChecks with wait', { wait: true, healthChecks: [{ kind: 'Deployment', name: 'x' }] }, /^spec.healthChecks is ignored when spec.wait is true/],
  ])('fails when %s is invalid', (_name, props, message) => {
    // GIVEN
    const { app, chart, source } = setup();
    // WHEN
    new Kustomization(chart, 'apps', { sourceRef: source, ...(props as object) });
    // THEN
    const errors = errorsOf(app);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    const { app, chart, source } = setup();
    const k = new Kustomization(chart, 'apps', { sourceRef: source });
    k.addJsonPatch(JsonPatch.replace('/spec/sourceRef/kind', 'HelmRepository'));
    k.addJsonPatch(JsonPatch.remove('/spec/prune'));
    expect(errorsOf(app)).toStrictEqual([
      'does not match the Flux schema: spec.prune is required',
      'does not match the Flux schema: spec.sourceRef.kind "HelmRepository" is not allowed; use one of "OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"',
    ]);
  });

  test('the escape hatch sets fields the props do not model', () => {
    const { app, chart, source } = setup();
    const k = new Kustomization(chart, 'apps', { sourceRef: source });
    k.addJsonPatch(JsonPatch.add('/spec/ignoreMissingComponents', true));
    expect(k.toJson().spec.ignoreMissingComponents).toBe(true);
    expect(errorsOf(app)).toStrictEqual([]);
  });
});

describe('Kustomization health check expressions, ignore rules and build options', () => {
  const CERTIFICATE = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    current: 'status.conditions.filter(c, c.type == \'Ready\').all(c, c.status == \'True\')',
    failed: 'status.conditions.filter(c, c.type == \'Ready\').all(c, c.status == \'False\')',
  };

  test('renders them as Flux 2.9 reads them', () => {
    // GIVEN
    const { app, chart, source } = setup();
    // WHEN
    const k = new Kustomization(chart, 'certs', {
      sourceRef: source,
      wait: true,
      healthCheckExprs: [CERTIFICATE],
      ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }],
      ignoreMissingComponents: true,
      buildMetadata: ['originAnnotations'],
      postBuild: { substituteStrategy: 'Always' },
    });
    // THEN
    expect(k.toJson().spec).toStrictEqual({
      interval: '10m',
      prune: true,
      sourceRef: { kind: 'OCIRepository', name: 'infra' },
      wait: true,
      healthCheckExprs: [CERTIFICATE],
      ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }],
      ignoreMissingComponents: true,
      buildMetadata: ['originAnnotations'],
      postBuild: { substituteStrategy: 'Always' },
    });
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fails when an expression is not CEL, or nothing would evaluate the expressions', () => {
    // GIVEN
    const { app, chart, source } = setup();
    // WHEN
    new Kustomization(chart, 'certs', { sourceRef: source, healthCheckExprs: [{ ...CERTIFICATE, current: 'status.ready ==' }] });
    // THEN
    expect(errorsOf(app)).toStrictEqual([
      expect.stringMatching(/^spec\.healthCheckExprs\[0\]\.current "status\.ready ==" is not a CEL expression: /),
      'spec.healthCheckExprs is evaluated only with spec.wait or spec.healthChecks; set wait: true, or list the objects in healthChecks',
    ]);
  });

  test('fails when an ignore path is not a JSON pointer', () => {
    const { app, chart, source } = setup();
    new Kustomization(chart, 'apps', { sourceRef: source, ignore: [{ paths: ['spec.replicas'] }] });
    expect(errorsOf(app)).toStrictEqual(['spec.ignore[0].paths[0] "spec.replicas" is not a JSON pointer; start it with "/", e.g. "/spec/replicas"']);
  });

  test('fails when a field is newer than the cluster\'s Flux', () => {
    // GIVEN: buildMetadata arrived in Flux 2.9
    const app = new FluxApp();
    const cluster = new ClusterScope(app, 'old', { fluxVersion: '2.8.x' });
    const chart = new Chart(cluster, 'chart');
    const source = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    // WHEN
    new Kustomization(chart, 'apps', { sourceRef: source, buildMetadata: ['originAnnotations'] });
    // THEN
    expect(errorsOf(app)).toStrictEqual([expect.stringMatching(
      /^does not match the Flux schema: spec\.buildMetadata is not a field of Kustomization \(kustomize\.toolkit\.fluxcd\.io\/v1, Flux 2\.8\); its fields here are /,
    )]);
  });
});
