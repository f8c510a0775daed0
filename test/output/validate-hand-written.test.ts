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
