import { App, Chart } from 'cdk8s';
import { ClusterScope, FluxApp, IKustomization, IOciRepository, Kustomization, OciRepository, SynthError } from '../../src/index.js';

function errorsOf(app: FluxApp): string[] {
  try {
    app.validate();
    return [];
  } catch (e) {
    return (e as SynthError).errors.map((x) => `[${x.path}] ${x.message}`);
  }
}

describe('checks across objects', () => {
  test('passes when every reference resolves', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    const controllers = new Kustomization(chart, 'controllers', { sourceRef: repo, path: './controllers', wait: true });
    // WHEN
    new Kustomization(chart, 'configs', { sourceRef: repo, path: './configs', dependsOn: [controllers] });
    // THEN
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fails when two objects share kind, namespace and name', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    new OciRepository(chart, 'infra-again', { url: 'oci://ghcr.io/acme/other', metadata: { name: 'infra' } });
    expect(errorsOf(app)).toStrictEqual([
      '[chart/infra-again] duplicate OCIRepository flux-system/infra: chart/infra defines it too; give one of them another metadata.name or namespace',
    ]);
  });

  test('the same name in two namespaces or two cluster scopes is no duplicate', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    new OciRepository(chart, 'infra-b', { url: 'oci://ghcr.io/acme/infra', metadata: { name: 'infra', namespace: 'team-b' } });
    for (const cluster of ['eu', 'us']) {
      new OciRepository(new Chart(new ClusterScope(app, cluster), 'chart'), 'sync', { url: 'oci://ghcr.io/acme/fleet' });
    }
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fails when dependsOn forms a cycle, naming it once', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    const a = new Kustomization(chart, 'a', { sourceRef: repo });
    const b = new Kustomization(chart, 'b', { sourceRef: repo, dependsOn: [a] });
    const c = new Kustomization(chart, 'c', { sourceRef: repo, dependsOn: [b] });
    a.addDependency(c);
    const self = new Kustomization(chart, 'self', { sourceRef: repo });
    self.addDependency(self);
    expect(errorsOf(app)).toStrictEqual([
      '[chart/a] dependsOn cycle: Kustomization/a -> Kustomization/c -> Kustomization/b -> Kustomization/a; remove one of these dependencies',
      '[chart/self] dependsOn cycle: Kustomization/self -> Kustomization/self; remove one of these dependencies',
    ]);
  });

  test('fails when dependsOn names a kind Flux does not order', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    const k = new Kustomization(chart, 'apps', { sourceRef: repo });
    k.addDependency(repo as unknown as IKustomization);
    expect(errorsOf(app)).toStrictEqual([
      '[chart/apps] spec.dependsOn[0] refers to OCIRepository flux-system/infra, but Flux accepts only Kustomization there; to wait for another kind, list it in healthChecks or wrap it in a Kustomization with wait: true',
    ]);
  });

  test('fails when a reference points to an object of another app', () => {
    const other = new App();
    const foreign = new OciRepository(new Chart(other, 'other'), 'infra', { url: 'oci://ghcr.io/acme/infra' });
    const app = new FluxApp();
    new Kustomization(new Chart(app, 'chart'), 'apps', { sourceRef: foreign });
    expect(errorsOf(app)).toStrictEqual([
      '[chart/apps] spec.sourceRef refers to OCIRepository flux-system/infra, but it is defined nowhere in this app; define it next to this object, or import it with fromName() if it is managed elsewhere',
    ]);
  });

  test('fails when a reference by name matches no object, and passes with fromName()', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const dangling: IOciRepository = { kind: 'OCIRepository', name: 'nowhere', namespace: 'flux-system', apiVersion: 'source.toolkit.fluxcd.io/v1', imported: false } as IOciRepository;
    new Kustomization(chart, 'apps', { sourceRef: dangling });
    new Kustomization(chart, 'imported', { sourceRef: OciRepository.fromName(chart, 'managed', 'flux-system') });
    expect(errorsOf(app)).toStrictEqual([
      '[chart/apps] spec.sourceRef refers to OCIRepository flux-system/nowhere, but it is defined nowhere in this app; define it next to this object, or import it with fromName() if it is managed elsewhere',
    ]);
  });

  test('fails when a reference crosses into another cluster scope', () => {
    const app = new FluxApp();
    const eu = new Chart(new ClusterScope(app, 'eu'), 'chart');
    const us = new Chart(new ClusterScope(app, 'us'), 'chart');
    const repo = new OciRepository(eu, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    new Kustomization(us, 'apps', { sourceRef: repo });
    expect(errorsOf(app)).toStrictEqual([
      '[us/chart/apps] spec.sourceRef refers to OCIRepository flux-system/infra, but it belongs to another cluster; define it next to this object, or import it with fromName() if it is managed elsewhere',
    ]);
  });

  test('fails when a locked-down namespace refers to a source in another namespace', () => {
    const app = new FluxApp();
    const cluster = new ClusterScope(app, 'prod', { lockedNamespaces: ['team-a'] });
    const chart = new Chart(cluster, 'chart');
    const shared = new OciRepository(chart, 'shared', { url: 'oci://ghcr.io/acme/shared' });
    new Kustomization(chart, 'team-a', { sourceRef: shared, metadata: { namespace: 'team-a' } });
    new Kustomization(chart, 'team-b', { sourceRef: shared, metadata: { namespace: 'team-b' } });
    expect(errorsOf(app)).toStrictEqual([
      '[prod/chart/team-a] spec.sourceRef refers to OCIRepository flux-system/shared in another namespace, but namespace team-a is locked down (no cross-namespace references); put the source in team-a',
    ]);
    cluster.lockAllNamespaces();
    expect(errorsOf(app)).toHaveLength(2);
  });

  test('reports every error of the synth together', () => {
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'Infra', { url: 'https://ghcr.io/acme/infra', interval: '5 minutes' });
    new Kustomization(chart, 'apps', { sourceRef: repo, path: '../secrets', postBuild: { substitute: { 'cluster-name': 'x' } } });
    expect(() => app.validate()).toThrow(SynthError);
    expect(errorsOf(app)).toStrictEqual([
      '[chart/Infra] metadata.name "Infra" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "infra"',
      '[chart/Infra] spec.url "https://ghcr.io/acme/infra" must start with oci:// (e.g. "oci://ghcr.io/acme/manifests")',
      '[chart/Infra] spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5)',
      '[chart/apps] spec.path "../secrets" climbs out of the artifact with ".."; Flux clamps it to the root, so name a folder inside the artifact instead',
      '[chart/apps] spec.postBuild.substitute.cluster-name "cluster-name" is not a valid substitution variable name: start with a letter or \'_\', then letters, digits or \'_\', e.g. "cluster_name"',
    ]);
  });
});
