import { Chart, Testing } from 'cdk8s';
import { ArtifactGenerator, FluxApp, GitRepository, Kustomization, OciRepository } from '../../src/index.js';

function setup() {
  const app = new FluxApp();
  const chart = new Chart(app, 'cluster', { namespace: 'flux-system' });
  const repo = new GitRepository(chart, 'repo', { url: 'https://github.com/acme/apps', ref: { branch: 'main' } });
  const configs = new OciRepository(chart, 'configs', { url: 'oci://ghcr.io/acme/configs', ref: { tag: 'stable' } });
  return { app, chart, repo, configs };
}

describe('ArtifactGenerator', () => {
  test('renders its sources by alias and its artifacts; a Kustomization reads a generated artifact', () => {
    // GIVEN
    const { app, chart, repo, configs } = setup();
    // WHEN
    const generator = new ArtifactGenerator(chart, 'apps', {
      sources: { repo, configs },
      artifacts: [{
        name: 'podinfo',
        originRevision: '@repo',
        copy: [
          { from: '@repo/podinfo/**', to: '@artifact/', exclude: ['*.md'] },
          { from: '@configs/podinfo.yaml', to: '@artifact/values.yaml', strategy: 'Merge' },
        ],
      }],
    });
    new Kustomization(chart, 'podinfo', { sourceRef: generator.artifact('podinfo'), path: './' });
    // THEN
    expect(() => app.validate()).not.toThrow();
    const objects = Testing.synth(chart);
    expect(objects.find((o) => o.kind === 'ArtifactGenerator')).toStrictEqual({
      apiVersion: 'source.extensions.fluxcd.io/v1beta1',
      kind: 'ArtifactGenerator',
      metadata: { name: 'apps', namespace: 'flux-system' },
      spec: {
        sources: [{ alias: 'repo', kind: 'GitRepository', name: 'repo' }, { alias: 'configs', kind: 'OCIRepository', name: 'configs' }],
        artifacts: [{
          name: 'podinfo',
          originRevision: '@repo',
          copy: [
            { from: '@repo/podinfo/**', to: '@artifact/', exclude: ['*.md'] },
            { from: '@configs/podinfo.yaml', to: '@artifact/values.yaml', strategy: 'Merge' },
          ],
        }],
      },
    });
    expect(objects.find((o) => o.kind === 'Kustomization').spec.sourceRef).toStrictEqual({ kind: 'ExternalArtifact', name: 'podinfo' });
  });

  test('fails when a copy names no source, a revision names no alias, or an alias is not one', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    // WHEN
    new ArtifactGenerator(chart, 'apps', {
      sources: { Repo: repo },
      artifacts: [{ name: 'podinfo', revision: '@other', copy: [{ from: '@repo/**', to: '@artifact/' }] }],
    });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.artifacts\[podinfo\]\.revision "@other" names no source; use "@<alias>" with one of "Repo"/);
    expect(() => app.validate()).toThrow(/spec\.artifacts\[podinfo\]\.copy\[0\]\.from "@repo\/\*\*" names no source/);
    expect(() => app.validate()).toThrow(/spec\.sources\[0\]\.alias must match pattern/);
  });

  test('fails when asked for an artifact it does not produce', () => {
    const { chart, repo } = setup();
    const generator = new ArtifactGenerator(chart, 'apps', { sources: { repo }, artifacts: [{ name: 'a', copy: [{ from: '@repo/**', to: '@artifact/' }] }] });
    expect(() => generator.artifact('b')).toThrow('cluster/apps: ArtifactGenerator produces no artifact "b"; use one of "a"');
  });
});

describe('ArtifactGenerator path patterns', () => {
  test('renders one artifact per folder matching the pattern, with common metadata', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    // WHEN
    const generator = new ArtifactGenerator(chart, 'per-app', {
      sources: { repo },
      pathPattern: '@repo/apps/{app}',
      artifacts: [{ name: '{app}', copy: [{ from: '@repo/apps/{app}/**', to: '@artifact/' }] }],
      commonMetadata: { labels: { team: 'web' } },
    });
    app.validate();
    // THEN
    expect([generator.toJson().spec.pathPattern, generator.toJson().spec.commonMetadata]).toStrictEqual(['@repo/apps/{app}', { labels: { team: 'web' } }]);
  });

  test('fails when the pattern names no source', () => {
    const { app, chart, repo } = setup();
    new ArtifactGenerator(chart, 'per-app', { sources: { repo }, pathPattern: 'apps/{app}', artifacts: [{ name: '{app}', copy: [{ from: '@repo/apps/{app}/**', to: '@artifact/' }] }] });
    expect(() => app.validate()).toThrow(/spec\.pathPattern "apps\/\{app\}" names no source; start it with "@<alias>\/" for one of "repo", e\.g\. "@repo\/apps\/\{app\}"/);
  });
});
