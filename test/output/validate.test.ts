import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ALLOW_INSECURE_ANNOTATION, formatReport, validateTree, ValidationReport } from '../../src/output/validate/index.js';

const TREES = join(import.meta.dirname, '..', 'fixtures', 'trees');

/** Writes a tree of files into a new temporary folder and returns it. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'flux-fleet-validate-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function kustomization(...resources: string[]): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}\n`).join('')}`;
}

const SOURCE = `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 5m
  url: oci://ghcr.io/acme/apps
`;

/** A Kustomization of the `apps` source, with extra spec lines. */
function ks(name: string, extra = '', namespace = 'flux-system'): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  interval: 10m
  prune: true
  sourceRef:
    kind: OCIRepository
    name: apps
    namespace: flux-system
${extra}`;
}

describe('validateTree', () => {
  test('a good tree of two clusters passes, kubectl build included', async () => {
    // GIVEN
    const dir = join(TREES, 'good');
    // WHEN
    const report = await validateTree(dir);
    // THEN
    expect(report).toStrictEqual({ errors: [], clusters: 2, files: 12, objects: 21 });
  }, 120_000);

  describe('broken trees', () => {
    async function errorsOf(name: string, options = {}): Promise<ValidationReport['errors']> {
      return (await validateTree(join(TREES, name), options)).errors;
    }

    test('fails when a dependency is dangling', async () => {
      expect(await errorsOf('dangling-dependency')).toStrictEqual([{
        file: 'clusters/demo/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.dependsOn[0] refers to Kustomization flux-system/infrastructure, which cluster "demo" does not define; define it under clusters/demo/, or fix the name',
      }]);
    }, 120_000);

    test('fails when dependsOn has a cycle, naming it', async () => {
      expect(await errorsOf('dependency-cycle')).toStrictEqual([{
        file: 'clusters/demo/reconcilers.yaml',
        object: 'Kustomization/flux-system/controllers',
        message: 'dependsOn cycle: Kustomization/flux-system/controllers -> Kustomization/flux-system/apps -> Kustomization/flux-system/configs -> Kustomization/flux-system/controllers (each waits for the next); Flux would wait forever, so remove one of these dependencies',
      }]);
    }, 120_000);

    test('fails when a Kustomization depends on one that only another cluster has', async () => {
      expect(await errorsOf('cross-cluster-dependency')).toStrictEqual([{
        file: 'clusters/staging/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.dependsOn[0] refers to Kustomization flux-system/monitoring, which only cluster "production" defines (clusters/production/monitoring.yaml); a cluster applies only its own folder, so define it under clusters/staging/ too, or drop the reference',
      }]);
    }, 120_000);

    test('fails when dependsOn names an object of another kind', async () => {
      expect(await errorsOf('cross-kind-dependency')).toStrictEqual([{
        file: 'clusters/demo/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.dependsOn[0] names flux-system/podinfo, which is a HelmRelease in this cluster, but a Kustomization can depend only on Kustomizations; to wait for a HelmRelease, depend on the Kustomization that applies it (with wait: true on that one)',
      }]);
    }, 120_000);

    test('fails when an object is defined twice in a cluster (and kustomize refuses the build)', async () => {
      expect(await errorsOf('duplicate-object')).toStrictEqual([
        {
          file: 'clusters/demo/kustomization.yaml',
          message: expect.stringMatching(/^kubectl kustomize clusters\/demo fails: .*may not add resource with an already registered id: OCIRepository\.v1\.source\.toolkit\.fluxcd\.io\/apps\.flux-system.*; fix clusters\/demo\/kustomization\.yaml or the files it lists$/),
        },
        {
          file: 'clusters/demo/sources.yaml',
          object: 'OCIRepository/flux-system/apps',
          message: 'duplicate OCIRepository flux-system/apps: clusters/demo/apps.yaml defines it too; keep one of them, or give one another metadata.name or namespace',
        },
      ]);
    }, 120_000);

    test('fails when a substitution variable name is invalid', async () => {
      expect(await errorsOf('bad-variable-name')).toStrictEqual([{
        file: 'clusters/demo/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.postBuild.substitute.cluster-domain "cluster-domain" is not a valid substitution variable name: start with a letter or \'_\', then letters, digits or \'_\', e.g. "cluster_domain"',
      }]);
    }, 120_000);

    test('fails when a Secret is committed in plain text', async () => {
      expect(await errorsOf('plaintext-secret')).toStrictEqual([{
        file: 'clusters/demo/registry-credentials.yaml',
        object: 'Secret/flux-system/registry-credentials',
        message: 'Secret holds plaintext values in stringData (keys "username", "password"), committed to the repository; use a SOPS-encrypted Secret (sops --encrypt, decrypted by spec.decryption of the Kustomization that applies it) or an external secret store, and rotate the exposed values',
      }]);
    }, 120_000);

    test('fails when an interval is not a Go duration', async () => {
      expect(await errorsOf('bad-interval')).toStrictEqual([{
        file: 'clusters/demo/sources.yaml',
        object: 'OCIRepository/flux-system/apps',
        message: 'spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s"',
      }]);
    }, 120_000);

    test('fails when a registry is reached over plain HTTP without the opt-in annotation', async () => {
      expect(await errorsOf('insecure-registry')).toStrictEqual([{
        file: 'clusters/demo/sources.yaml',
        object: 'OCIRepository/flux-system/apps',
        message: 'spec.insecure is true, so the registry is reached over plain HTTP, unencrypted and unauthenticated; serve it over HTTPS and drop spec.insecure, or, if plain HTTP is intended (a registry on a private network), annotate the object with flux-fleet.io/allow-insecure: "true"',
      }]);
    }, 120_000);

    test('fails when a path climbs out of the artifact', async () => {
      expect(await errorsOf('path-traversal')).toStrictEqual([{
        file: 'clusters/demo/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.path "../other-team/apps" climbs out of the artifact with ".."; Flux clamps it to the root, so name a folder inside the artifact instead',
      }]);
    }, 120_000);

    test('fails when an object uses an API version Flux v2.9 no longer serves', async () => {
      expect(await errorsOf('removed-api-version')).toStrictEqual([{
        file: 'clusters/demo/alerts.yaml',
        object: 'Alert/flux-system/on-call',
        message: 'apiVersion notification.toolkit.fluxcd.io/v1beta2 of Alert is not served by Flux v2.9; use notification.toolkit.fluxcd.io/v1beta3',
      }]);
    }, 120_000);

    test('fails when a kustomization.yaml lists a missing file (kubectl build fails)', async () => {
      expect(await errorsOf('missing-resource')).toStrictEqual([{
        file: 'clusters/demo/kustomization.yaml',
        message: expect.stringMatching(/^kubectl kustomize clusters\/demo fails: accumulating resources: .*'monitoring\.yaml'.*lstat clusters\/demo\/monitoring\.yaml: no such file or directory; fix clusters\/demo\/kustomization\.yaml or the files it lists$/),
      }]);
      // Without the build, nothing else is wrong with the tree.
      expect(await errorsOf('missing-resource', { build: false })).toStrictEqual([]);
    }, 120_000);

    test('fails when a YAML file does not parse', async () => {
      expect(await errorsOf('invalid-yaml')).toStrictEqual([
        {
          file: 'clusters/demo/apps.yaml',
          message: 'YAML does not parse: Nested mappings are not allowed in compact mappings (line 7, column 13); fix the syntax',
        },
        {
          file: 'clusters/demo/kustomization.yaml',
          message: expect.stringMatching(/^kubectl kustomize clusters\/demo fails: .*apps\.yaml.*; fix clusters\/demo\/kustomization\.yaml or the files it lists$/),
        },
      ]);
    }, 120_000);

    test('fails when an object does not match the Flux schema', async () => {
      expect(await errorsOf('schema-violation')).toStrictEqual([{
        file: 'clusters/demo/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'does not match the Flux schema: spec.prune must be boolean (got "yes please")',
      }]);
    }, 120_000);
  });

  test('gathers every problem of a tree into one report, ordered by file', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/kustomization.yaml': kustomization('sources.yaml', 'apps.yaml'),
      'clusters/a/sources.yaml': SOURCE.replace('interval: 5m', 'interval: 5 minutes'),
      'clusters/a/apps.yaml': ks('apps', '  path: /apps\n  dependsOn:\n    - name: infra\n'),
      'clusters/b/kustomization.yaml': kustomization('apps.yaml'),
      'clusters/b/apps.yaml': ks('a-very-long-kustomization-name-that-goes-well-beyond-the-label-limit'),
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    const long = 'a-very-long-kustomization-name-that-goes-well-beyond-the-label-limit';
    expect(report.errors).toStrictEqual([
      {
        file: 'clusters/a/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.path "/apps" is absolute; paths are relative to the artifact root, e.g. "./apps"',
      },
      {
        file: 'clusters/a/apps.yaml',
        object: 'Kustomization/flux-system/apps',
        message: 'spec.dependsOn[0] refers to Kustomization flux-system/infra, which cluster "a" does not define; define it under clusters/a/, or fix the name',
      },
      {
        file: 'clusters/a/sources.yaml',
        object: 'OCIRepository/flux-system/apps',
        message: 'spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s"',
      },
      {
        file: 'clusters/b/apps.yaml',
        object: `Kustomization/flux-system/${long}`,
        message: `metadata.name "${long}" is ${long.length} characters long; at most 63 are allowed`,
      },
      {
        file: 'clusters/b/apps.yaml',
        object: `Kustomization/flux-system/${long}`,
        message: 'spec.sourceRef refers to OCIRepository flux-system/apps, which only cluster "a" defines (clusters/a/sources.yaml); a cluster applies only its own folder, so define it under clusters/b/ too, or drop the reference',
      },
    ]);
    expect(report).toMatchObject({ clusters: 2, files: 5, objects: 3 });
  });

  test('fails when a reference of any kind does not resolve in its cluster', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/refs.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: web, namespace: apps }
spec:
  interval: 10m
  chartRef: { kind: OCIRepository, name: web-chart }
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: db, namespace: apps }
spec:
  interval: 10m
  chart:
    spec:
      chart: postgres
      sourceRef: { kind: HelmRepository, name: charts, namespace: shared }
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata: { name: cache, namespace: apps }
spec:
  interval: 10m
  chart: redis
  sourceRef: { kind: HelmRepository, name: charts }
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: { name: on-call, namespace: apps }
spec:
  providerRef: { name: slack }
  eventSources: [{ kind: HelmRelease, name: "*" }]
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: web, namespace: apps }
spec:
  imageRepositoryRef: { name: web }
  policy: { semver: { range: 1.x } }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: { name: web, namespace: apps }
spec:
  interval: 30m
  sourceRef: { kind: GitRepository, name: fleet }
  git: { commit: { author: { name: bot, email: bot@acme.io } } }
`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors.map((e) => `${e.object}: ${e.message}`)).toStrictEqual([
      'HelmRelease/apps/web: spec.chartRef refers to OCIRepository apps/web-chart, which cluster "a" does not define; define it under clusters/a/, or fix the name',
      'HelmRelease/apps/db: spec.chart.spec.sourceRef refers to HelmRepository shared/charts, which cluster "a" does not define; define it under clusters/a/, or fix the name',
      'HelmChart/apps/cache: spec.sourceRef refers to HelmRepository apps/charts, which cluster "a" does not define; define it under clusters/a/, or fix the name',
      'Alert/apps/on-call: spec.providerRef refers to Provider apps/slack, which cluster "a" does not define; define it under clusters/a/, or fix the name',
      'ImagePolicy/apps/web: spec.imageRepositoryRef refers to ImageRepository apps/web, which cluster "a" does not define; define it under clusters/a/, or fix the name',
      'ImageUpdateAutomation/apps/web: spec.sourceRef refers to GitRepository apps/fleet, which cluster "a" does not define; define it under clusters/a/, or fix the name',
    ]);
  });

  test('fails when a sourceRef names the wrong kind, saying which kind has that name', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/apps.yaml': `${SOURCE}---\n${ks('apps').replace('kind: OCIRepository\n    name: apps', 'kind: GitRepository\n    name: apps')}`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/apps.yaml',
      object: 'Kustomization/flux-system/apps',
      message: 'spec.sourceRef refers to GitRepository flux-system/apps, which cluster "a" does not define; it defines an OCIRepository of that name: set spec.sourceRef.kind to "OCIRepository"',
    }]);
  });

  test('counts the sync objects a FluxInstance creates, named by spec.sync.name or after its namespace', async () => {
    // GIVEN
    const instance = (sync: string) => `apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata: { name: flux, namespace: flux-system }
spec:
  distribution: { version: 2.9.x, registry: ghcr.io/fluxcd }
${sync}`;
    const dependent = ks('infra', '  dependsOn:\n    - name: flux-system\n    - name: fleet\n');
    const dir = tree({
      'clusters/default-name/flux-system.yaml': instance('  sync: { kind: OCIRepository, url: "oci://ghcr.io/acme/fleet", ref: latest, path: ./ }'),
      'clusters/default-name/infra.yaml': `${SOURCE}---\n${dependent}`,
      'clusters/named/flux-system.yaml': instance('  sync: { kind: OCIRepository, name: fleet, url: "oci://ghcr.io/acme/fleet", ref: latest, path: ./ }'),
      'clusters/named/infra.yaml': `${SOURCE}---\n${dependent}`,
      'clusters/no-sync/flux-system.yaml': instance(''),
      'clusters/no-sync/infra.yaml': `${SOURCE}---\n${dependent}`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors.map((e) => `${e.file}: ${e.message.replace(/, which .*/, '')}`)).toStrictEqual([
      'clusters/default-name/infra.yaml: spec.dependsOn[1] refers to Kustomization flux-system/fleet',
      'clusters/named/infra.yaml: spec.dependsOn[0] refers to Kustomization flux-system/flux-system',
      'clusters/no-sync/infra.yaml: spec.dependsOn[0] refers to Kustomization flux-system/flux-system',
      'clusters/no-sync/infra.yaml: spec.dependsOn[1] refers to Kustomization flux-system/fleet',
    ]);
  });

  test('counts the objects a ResourceSet creates, whatever its templates fill in', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/tenants.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: { name: tenants, namespace: flux-system }
spec:
  inputs:
    - { tenant: team-a }
  resources:
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: tenant-<< inputs.tenant >>
        namespace: flux-system
      spec:
        interval: 10m
        prune: true
        sourceRef: { kind: OCIRepository, name: apps }
---
${SOURCE}---
${ks('after-tenants', '  dependsOn:\n    - name: tenant-team-a\n    - name: team-b\n')}`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors.map((e) => e.message)).toStrictEqual([
      'spec.dependsOn[1] refers to Kustomization flux-system/team-b, which cluster "a" does not define; define it under clusters/a/, or fix the name',
    ]);
  });

  test('takes the namespace of objects from an enclosing kustomization.yaml, then the default namespace', async () => {
    // GIVEN
    const bare = (s: string) => s.replace(/\n {2}namespace: [a-z-]+\n/g, '\n');
    const dir = tree({
      'clusters/a/kustomization.yaml': kustomization('flux-system', 'apps.yaml'),
      'clusters/a/flux-system/kustomization.yaml': `${kustomization('sources.yaml')}namespace: flux-system\n`,
      'clusters/a/flux-system/sources.yaml': bare(SOURCE),
      'clusters/a/apps.yaml': bare(ks('apps', '', 'x')),
    });
    // WHEN
    const report = await validateTree(dir);
    // THEN: the source lands in flux-system, where the Kustomization (in "default") finds it.
    expect(report.errors).toStrictEqual([]);
    expect(report.objects).toBe(2);
  }, 120_000);

  test('fails when a cross-namespace source reference meets a multi-tenant FluxInstance', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/flux-system.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata: { name: flux, namespace: flux-system }
spec:
  distribution: { version: 2.9.x, registry: ghcr.io/fluxcd }
  cluster: { multitenant: true }
`,
      'clusters/a/apps.yaml': `${SOURCE}---\n${ks('apps', '', 'team-a')}`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/apps.yaml',
      object: 'Kustomization/team-a/apps',
      message: 'spec.sourceRef refers to OCIRepository flux-system/apps in another namespace, but the cluster\'s FluxInstance sets spec.cluster.multitenant: true, which refuses cross-namespace references; put the source in team-a',
    }]);
  });

  test(`accepts plain HTTP only with the ${ALLOW_INSECURE_ANNOTATION} annotation`, async () => {
    // GIVEN
    const helmRepository = (annotations: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: flux-system
${annotations}spec:
  type: oci
  url: oci://registry.local:5000/charts
  insecure: true
`;
    const dir = tree({
      'clusters/a/opted-in.yaml': helmRepository(`  annotations:\n    ${ALLOW_INSECURE_ANNOTATION}: "true"\n`),
      'clusters/b/not-opted-in.yaml': helmRepository(`  annotations:\n    ${ALLOW_INSECURE_ANNOTATION}: "false"\n`),
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors.map((e) => e.file)).toStrictEqual(['clusters/b/not-opted-in.yaml']);
    expect(report.errors[0].message).toMatch(/^spec\.insecure is true, so the registry is reached over plain HTTP/);
  });

  test('accepts a Secret encrypted with SOPS, and one without data', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/secrets.yaml': `apiVersion: v1
kind: Secret
metadata: { name: sealed, namespace: flux-system }
data: { token: 'ENC[AES256_GCM,data:Zm9v,type:str]' }
sops: { version: 3.10.2 }
---
apiVersion: v1
kind: Secret
metadata: { name: empty, namespace: flux-system }
---
apiVersion: v1
kind: Secret
metadata: { name: leaked, namespace: flux-system }
data: { token: aHVudGVyMg== }
`,
    });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors.map((e) => e.object)).toStrictEqual(['Secret/flux-system/leaked']);
    expect(report.errors[0].message).toMatch(/^Secret holds plaintext values in data \(keys "token"\), committed to the repository; use a SOPS-encrypted Secret/);
  });

  test('reports a missing kubectl once, as an error', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/kustomization.yaml': kustomization('sources.yaml'),
      'clusters/b/kustomization.yaml': kustomization('sources.yaml'),
      'clusters/a/sources.yaml': SOURCE,
      'clusters/b/sources.yaml': SOURCE,
    });
    // WHEN
    const report = await validateTree(dir, { kubectl: 'kubectl-that-does-not-exist' });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: '.',
      message: 'kubectl ("kubectl-that-does-not-exist") could not be started, so no kustomization could be built; install kubectl and put it on PATH, or skip the build check (--no-build, or the option build: false)',
    }]);
  }, 120_000);

  test('builds every kustomization folder, also outside clusters/', async () => {
    // GIVEN
    const dir = tree({
      'clusters/a/kustomization.yaml': kustomization('sources.yaml'),
      'clusters/a/sources.yaml': SOURCE,
      'infrastructure/controllers/kustomization.yaml': kustomization('cert-manager.yaml'),
      'infrastructure/configs/kustomization.yaml': kustomization('issuers.yaml'),
    });
    // WHEN
    const report = await validateTree(dir, { buildConcurrency: 1 });
    // THEN
    expect(report.errors).toStrictEqual([
      {
        file: 'infrastructure/configs/kustomization.yaml',
        message: expect.stringMatching(/^kubectl kustomize infrastructure\/configs fails: .*issuers\.yaml: no such file or directory; fix infrastructure\/configs\/kustomization\.yaml or the files it lists$/),
      },
      {
        file: 'infrastructure/controllers/kustomization.yaml',
        message: expect.stringMatching(/^kubectl kustomize infrastructure\/controllers fails: .*cert-manager\.yaml: no such file or directory; fix infrastructure\/controllers\/kustomization\.yaml or the files it lists$/),
      },
    ]);
  }, 120_000);

  test('fails when the tree has no clusters/ folder', async () => {
    // GIVEN
    const dir = tree({ 'apps/podinfo.yaml': SOURCE });
    // WHEN
    const report = await validateTree(dir);
    // THEN
    expect(report).toStrictEqual({
      errors: [{ file: '.', message: 'the tree has no clusters/ folder; a config repo keeps one folder per cluster, clusters/<cluster>/, so point validate at the folder that holds clusters/' }],
      clusters: 0,
      files: 1,
      objects: 1,
    });
  }, 120_000);

  test('fails when an object has no name', async () => {
    // GIVEN
    const dir = tree({ 'clusters/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n' });
    // WHEN
    const report = await validateTree(dir, { build: false });
    // THEN
    expect(report.errors).toStrictEqual([{ file: 'clusters/a/cm.yaml', message: 'ConfigMap (document 1) has no metadata.name; give the object a name' }]);
  });

  test('throws when the folder does not exist', async () => {
    await expect(validateTree(join(tmpdir(), 'flux-fleet-no-such-folder'))).rejects.toThrow(/flux-fleet-no-such-folder" is not a directory; give the folder that holds clusters\//);
  });
});

describe('formatReport', () => {
  const report: ValidationReport = {
    errors: [
      { file: '.', message: 'kubectl is missing' },
      { file: 'clusters/a/apps.yaml', object: 'Kustomization/flux-system/apps', message: 'spec.path is bad' },
    ],
    clusters: 1,
    files: 3,
    objects: 1,
  };

  test('prints one line per error and a summary', () => {
    expect(formatReport(report)).toBe([
      '.: kubectl is missing',
      'clusters/a/apps.yaml: Kustomization/flux-system/apps: spec.path is bad',
      '2 errors in 1 cluster, 3 files, 1 object',
      '',
    ].join('\n'));
  });

  test('prints a clean report as one line', () => {
    expect(formatReport({ errors: [], clusters: 2, files: 12, objects: 21 })).toBe('OK: 2 clusters, 12 files, 21 objects, no errors\n');
  });

  test('prints the report as JSON', () => {
    expect(JSON.parse(formatReport(report, 'json'))).toStrictEqual(report);
  });
});

describe('validateTree builds with kubectl', () => {
  /** A kubectl wrapper that logs when each build starts and ends, then runs the real kubectl. */
  function loggingKubectl(dir: string, script: string): string {
    const path = join(dir, 'kubectl-wrapper.sh');
    writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return path;
  }

  test('runs at most two builds at once by default', async () => {
    // GIVEN
    const files: Record<string, string> = {};
    for (const c of ['a', 'b', 'c', 'd', 'e']) {
      files[`clusters/${c}/kustomization.yaml`] = kustomization('sources.yaml');
      files[`clusters/${c}/sources.yaml`] = SOURCE;
    }
    const dir = tree(files);
    const log = join(dir, '.builds.log');
    const kubectl = loggingKubectl(mkdtempSync(join(tmpdir(), 'flux-fleet-kubectl-')), `echo start >> ${log}; sleep 0.2; echo end >> ${log}; exec kubectl "$@"`);
    // WHEN
    const report = await validateTree(dir, { kubectl });
    // THEN
    expect(report.errors).toStrictEqual([]);
    let running = 0;
    let most = 0;
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      running += line === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
  }, 120_000);

  test('fails when a build takes longer than the timeout', async () => {
    // GIVEN
    const dir = tree({ 'clusters/a/kustomization.yaml': kustomization('sources.yaml'), 'clusters/a/sources.yaml': SOURCE });
    const kubectl = loggingKubectl(mkdtempSync(join(tmpdir(), 'flux-fleet-kubectl-')), 'exec sleep 10');
    // WHEN
    const report = await validateTree(dir, { kubectl, buildTimeoutMs: 200 });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/kustomization.yaml',
      message: 'kubectl kustomize clusters/a did not finish within 0.2s and was stopped; look for remote resources that hang in clusters/a/kustomization.yaml, or allow more time (buildTimeoutMs)',
    }]);
  }, 120_000);
});
