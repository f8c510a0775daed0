import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validateTree } from '../../src/output/validate/index.js';
import { patchFiles } from '../../src/output/validate/patch-files.js';

const TREES = join(import.meta.dirname, '..', 'fixtures', 'trees');

/** Writes a tree of files into a new temporary folder and returns it. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'flux-fleet-hand-written-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const INSTANCE = (components: string[]) => `apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: 2.9.x
    registry: ghcr.io/fluxcd
  components: [${components.join(', ')}]
  sync:
    kind: OCIRepository
    url: oci://ghcr.io/acme/fleet/a
    ref: latest
    path: ./
`;

const RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  chartRef:
    kind: OCIRepository
    name: flux-system
`;

const GENERATOR = `apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: apps
  namespace: flux-system
spec:
  sources:
    - alias: repo
      kind: OCIRepository
      name: flux-system
  artifacts:
    - name: podinfo
      copy:
        - from: "@repo/podinfo/**"
          to: "@artifact/"
`;

describe('validate on hand-written fleets', () => {
  test('a clusters/ + infrastructure/ + apps/ fleet with kustomize patch files and an ArtifactGenerator passes, kubectl build included', async () => {
    // GIVEN
    const dir = join(TREES, 'hand-written');
    // WHEN
    const report = await validateTree(dir);
    // THEN
    expect(report).toStrictEqual({ errors: [], clusters: 1, files: 12, objects: 12 });
  }, 120_000);

  test('fails when HelmReleases are on a cluster whose FluxInstance leaves out helm-controller', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/flux-system.yaml': INSTANCE(['source-controller', 'kustomize-controller']),
      'clusters/a/podinfo.yaml': RELEASE,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/podinfo.yaml',
      object: 'HelmRelease/flux-system/podinfo',
      message: 'the cluster\'s FluxInstance (clusters/a/flux-system.yaml) lists spec.components without helm-controller, so nothing reconciles this HelmRelease; add helm-controller to spec.components, or remove the HelmRelease from the cluster',
    }]);
  });

  test('fails when a Kustomization reads an ExternalArtifact no ArtifactGenerator produces', async () => {
    // GIVEN
    const ks = (artifact: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${artifact}
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  sourceRef:
    kind: ExternalArtifact
    name: ${artifact}
`;
    const dir = tree({
      'clusters/a/flux-system.yaml': INSTANCE(['source-controller', 'kustomize-controller', 'source-watcher']),
      'clusters/a/generator.yaml': GENERATOR,
      'clusters/a/apps.yaml': `${ks('podinfo')}---\n${ks('podinfo-typo')}`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/apps.yaml',
      object: 'Kustomization/flux-system/podinfo-typo',
      message: 'spec.sourceRef refers to ExternalArtifact flux-system/podinfo-typo, which cluster "a" does not define; define it under clusters/a/, or fix the name',
    }]);
  });

  test('fails when an ArtifactGenerator breaks its schema or reads a source the cluster lacks', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/flux-system.yaml': INSTANCE(['source-controller', 'kustomize-controller', 'source-watcher']),
      'clusters/a/generator.yaml': GENERATOR.replace('name: flux-system', 'name: missing').replace('to: "@artifact/"', 'to: "/tmp"'),
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors.map((e) => e.message)).toStrictEqual([
      'does not match the Flux schema: spec.artifacts[0].copy[0].to must match pattern "^@artifact/([^/]{0,1}|[^./][^/]|[.][^./]|[^/]{3,})(/([^/]{0,1}|[^./][^/]|[.][^./]|[^/]{3,}))*$" (got "/tmp")',
      'spec.sources[0] refers to OCIRepository flux-system/missing, which cluster "a" does not define; define it under clusters/a/, or fix the name',
    ]);
  });

  test('patch files are found in every form a kustomization lists them, relative to its folder', () => {
    // GIVEN
    const texts = new Map([
      ['apps/prod/kustomization.yaml', [
        'patches:',
        '  - path: replicas.yaml',
        '  - path: ../common/labels.yaml',
        '    target: { kind: Deployment }',
        '  - patch: |-',
        '      - op: add',
        '        path: /spec/x',
        '        value: 1',
        'patchesStrategicMerge:',
        '  - memory.yaml',
        'patchesJson6902:',
        '  - path: json/ports.yaml',
        '    target: { kind: Service, name: web }',
        '',
      ].join('\n')],
      ['apps/prod/values.yaml', 'patches:\n  - path: not-a-kustomization.yaml\n'],
    ]);
    // WHEN
    const found = patchFiles(texts);
    // THEN
    expect([...found].sort()).toStrictEqual(['apps/common/labels.yaml', 'apps/prod/json/ports.yaml', 'apps/prod/memory.yaml', 'apps/prod/replicas.yaml']);
  });
});

describe('validate reads every Flux version form the Flux Operator accepts', () => {
  /** A cluster whose FluxInstance asks for `version`, with a Kustomization and an Alert at `alertApi`. */
  function cluster(version: string, alertApi?: string): Record<string, string> {
    const alert = alertApi === undefined ? '' : `---
apiVersion: ${alertApi}
kind: Alert
metadata: { name: slack, namespace: flux-system }
spec:
  providerRef: { name: slack }
  eventSources: [{ kind: Kustomization, name: "*" }]
---
apiVersion: ${alertApi}
kind: Provider
metadata: { name: slack, namespace: flux-system }
spec: { type: slack, channel: alerts, secretRef: { name: slack-url } }
`;
    return {
      'clusters/staging/flux-system/flux-instance.yaml': INSTANCE(['source-controller', 'kustomize-controller', 'notification-controller']).replace('version: 2.9.x', `version: ${JSON.stringify(version)}`),
      'clusters/staging/tenants.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: tenants, namespace: flux-system }
spec:
  interval: 12h
  path: ./tenants
  prune: true
  sourceRef: { kind: OCIRepository, name: flux-system }
${alert}`,
    };
  }

  test.each(['2.x', '*', '2.9.x', '2.9', 'v2.9.4', '~2.9.0', '^2.8', '>=2.8.0 <2.10.0', '2.8.x || 2.9.x'])('"%s" passes', async (version) => {
    // GIVEN
    const dir = tree(cluster(version));
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([]);
  });

  test('a range over several minors checks each object against every minor it admits', async () => {
    // GIVEN: the v1beta3 notification API that Flux 2.7 to 2.9 serve, under "2.x", which admits 2.10 too
    const ranged = tree(cluster('2.x', 'notification.toolkit.fluxcd.io/v1beta3'));
    const pinned = tree(cluster('2.9.x', 'notification.toolkit.fluxcd.io/v1beta3'));
    // WHEN
    const [ranging, pinning] = await Promise.all([validateTree(ranged, { build: false }), validateTree(pinned, { build: false })]);
    // THEN
    expect(ranging.errors.map((e) => `${e.object}: ${e.message}`)).toStrictEqual([
      'Alert/flux-system/slack: apiVersion notification.toolkit.fluxcd.io/v1beta3 of Alert is not served by Flux v2.10; use notification.toolkit.fluxcd.io/v1',
      'Provider/flux-system/slack: apiVersion notification.toolkit.fluxcd.io/v1beta3 of Provider is not served by Flux v2.10; use notification.toolkit.fluxcd.io/v1',
    ]);
    expect(pinning.errors).toStrictEqual([]);
  });

  test.each([
    ['2.x.y', 'spec.distribution.version "2.x.y" is not a version or semver range; use an exact release ("2.9.4"), a minor ("2.9.x") or a range ("2.x", ">=2.8.0 <2.10.0")'],
    ['3.x', 'spec.distribution.version "3.x" admits no Flux minor flux-fleet knows (2.7 to 2.10), so its schemas cannot be checked; use e.g. "2.x" or "2.9.x"'],
    ['2.6.x', 'spec.distribution.version "2.6.x" asks for Flux 2.6, which flux-fleet does not know (it knows 2.7 to 2.10), so its schemas cannot be checked; use a minor from 2.7 to 2.10'],
    ['>=2.0.0 <2.7.0', 'spec.distribution.version ">=2.0.0 <2.7.0" admits no Flux minor flux-fleet knows (2.7 to 2.10), so its schemas cannot be checked; use e.g. "2.x" or "2.9.x"'],
  ])('fails when the version is %s', async (version, message) => {
    // GIVEN
    const dir = tree(cluster(version));
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([{ file: 'clusters/staging/flux-system/flux-instance.yaml', object: 'FluxInstance/flux-system/flux', message }]);
  });
});
