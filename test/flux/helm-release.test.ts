import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import {
  ClusterScope, FluxApp, GitRepository, HELM_CHART_LAYER_SELECTOR, HelmRelease, HelmReleaseChartTemplate, HelmReleaseProps, HelmRepository,
  IHelmRelease, Kustomization, OciRepository,
} from '../../src/index.js';

/** An app with a chart, an OCIRepository serving a chart, and a HelmRelease built from `props` over it. */
function releaseWith(props: Partial<HelmReleaseProps>) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  const repo = new OciRepository(chart, 'podinfo-chart', { url: 'oci://ghcr.io/stefanprodan/charts/podinfo', layerSelector: HELM_CHART_LAYER_SELECTOR });
  const release = new HelmRelease(chart, 'podinfo', { chartRef: repo, ...props });
  return { app, chart, repo, release };
}

describe('HelmRelease', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'podinfo-chart', {
      url: 'oci://ghcr.io/stefanprodan/charts/podinfo',
      ref: { semver: '6.x' },
      layerSelector: HELM_CHART_LAYER_SELECTOR,
    });
    // WHEN
    new HelmRelease(chart, 'podinfo', { chartRef: repo });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'podinfo-chart', namespace: 'flux-system' },
        spec: {
          interval: '5m',
          layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
          ref: { semver: '6.x' },
          url: 'oci://ghcr.io/stefanprodan/charts/podinfo',
        },
      },
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'podinfo', namespace: 'flux-system' },
        spec: { chartRef: { kind: 'OCIRepository', name: 'podinfo-chart' }, interval: '10m' },
      },
    ]);
  });

  test('minimal object passes validation', () => {
    // GIVEN
    const { app } = releaseWith({});
    // WHEN / THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    const charts = HelmRepository.fromName(chart, 'bitnami', 'bitnami', { namespace: 'flux-system' });
    const redis = new HelmRelease(chart, 'redis', { chart: { chart: 'redis', sourceRef: charts } });
    // WHEN
    const release = new HelmRelease(chart, 'podinfo', {
      metadata: { name: 'podinfo', labels: { team: 'web' } },
      chart: {
        chart: 'podinfo',
        version: '>=6.5.0 <7.0.0',
        sourceRef: charts,
        interval: Duration.minutes(30),
        reconcileStrategy: 'ChartVersion',
        valuesFiles: ['values.yaml', 'values-prod.yaml'],
        ignoreMissingValuesFiles: true,
        verify: { provider: 'cosign', secretRef: { name: 'cosign-pub' } },
        metadata: { labels: { chart: 'podinfo' }, annotations: { owner: 'web' } },
      },
      interval: Duration.minutes(15),
      timeout: '5m',
      values: { replicaCount: 2, ingress: { enabled: true } },
      valuesFrom: [
        { kind: 'ConfigMap', name: 'podinfo-values' },
        { kind: 'Secret', name: 'podinfo-tls', valuesKey: 'tls.crt', targetPath: 'tls.cert', optional: true },
      ],
      install: {
        timeout: '10m',
        strategy: { name: 'RetryOnFailure', retryInterval: Duration.minutes(2) },
        disableWait: false,
        disableWaitForJobs: true,
        disableHooks: false,
        disableOpenAPIValidation: false,
        disableSchemaValidation: false,
        disableTakeOwnership: true,
        replace: true,
        crds: 'CreateReplace',
        createNamespace: true,
        serverSideApply: true,
      },
      upgrade: {
        timeout: '10m',
        remediation: { retries: 3, ignoreTestFailures: false, remediateLastFailure: true, strategy: 'rollback' },
        strategy: { name: 'RemediateOnFailure' },
        disableWait: false,
        disableWaitForJobs: false,
        disableHooks: false,
        disableOpenAPIValidation: false,
        disableSchemaValidation: false,
        disableTakeOwnership: false,
        force: false,
        preserveValues: false,
        cleanupOnFail: true,
        crds: 'Create',
        serverSideApply: 'auto',
      },
      test: { enable: true, timeout: '3m', ignoreFailures: false, filters: [{ name: 'smoke' }, { name: 'load', exclude: true }] },
      rollback: { timeout: '5m', disableWait: false, disableWaitForJobs: false, disableHooks: true, force: false, cleanupOnFail: true, serverSideApply: 'enabled' },
      uninstall: { timeout: '5m', disableHooks: false, keepHistory: false, disableWait: false, deletionPropagation: 'foreground' },
      driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }] },
      dependsOn: [redis],
      targetNamespace: 'web',
      storageNamespace: 'web',
      releaseName: 'podinfo',
      serviceAccountName: 'web-reconciler',
      kubeConfig: { secretRef: { name: 'prod-kubeconfig', key: 'value.yaml' } },
      maxHistory: 3,
      postRenderers: [{
        kustomize: {
          patches: [{ patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'podinfo' } }, target: { kind: 'Deployment' } }],
          images: [{ name: 'ghcr.io/stefanprodan/podinfo', newTag: '6.5.4' }],
        },
      }],
      persistentClient: false,
      suspend: false,
    });
    release.addDependency(HelmRelease.fromName(chart, 'cert-manager', 'cert-manager', { namespace: 'cert-manager' }), { readyExpr: 'status.ready == true' });
    // THEN
    expect(Testing.synth(chart)[1]).toStrictEqual({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'podinfo', namespace: 'apps', labels: { team: 'web' } },
      spec: {
        chart: {
          metadata: { labels: { chart: 'podinfo' }, annotations: { owner: 'web' } },
          spec: {
            chart: 'podinfo',
            version: '>=6.5.0 <7.0.0',
            sourceRef: { kind: 'HelmRepository', name: 'bitnami', namespace: 'flux-system' },
            interval: '30m',
            reconcileStrategy: 'ChartVersion',
            valuesFiles: ['values.yaml', 'values-prod.yaml'],
            ignoreMissingValuesFiles: true,
            verify: { provider: 'cosign', secretRef: { name: 'cosign-pub' } },
          },
        },
        interval: '15m',
        timeout: '5m',
        values: { replicaCount: 2, ingress: { enabled: true } },
        valuesFrom: [
          { kind: 'ConfigMap', name: 'podinfo-values' },
          { kind: 'Secret', name: 'podinfo-tls', valuesKey: 'tls.crt', targetPath: 'tls.cert', optional: true },
        ],
        install: {
          timeout: '10m',
          strategy: { name: 'RetryOnFailure', retryInterval: '2m' },
          disableWait: false,
          disableWaitForJobs: true,
          disableHooks: false,
          disableOpenAPIValidation: false,
          disableSchemaValidation: false,
          disableTakeOwnership: true,
          replace: true,
          crds: 'CreateReplace',
          createNamespace: true,
          serverSideApply: true,
        },
        upgrade: {
          timeout: '10m',
          remediation: { retries: 3, ignoreTestFailures: false, remediateLastFailure: true, strategy: 'rollback' },
          strategy: { name: 'RemediateOnFailure' },
          disableWait: false,
          disableWaitForJobs: false,
          disableHooks: false,
          disableOpenAPIValidation: false,
          disableSchemaValidation: false,
          disableTakeOwnership: false,
          force: false,
          preserveValues: false,
          cleanupOnFail: true,
          crds: 'Create',
          serverSideApply: 'auto',
        },
        test: { enable: true, timeout: '3m', ignoreFailures: false, filters: [{ name: 'smoke' }, { name: 'load', exclude: true }] },
        rollback: { timeout: '5m', disableWait: false, disableWaitForJobs: false, disableHooks: true, force: false, cleanupOnFail: true, serverSideApply: 'enabled' },
        uninstall: { timeout: '5m', disableHooks: false, keepHistory: false, disableWait: false, deletionPropagation: 'foreground' },
        driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }] },
        dependsOn: [
          { name: 'redis' },
          { name: 'cert-manager', namespace: 'cert-manager', readyExpr: 'status.ready == true' },
        ],
        targetNamespace: 'web',
        storageNamespace: 'web',
        releaseName: 'podinfo',
        serviceAccountName: 'web-reconciler',
        kubeConfig: { secretRef: { name: 'prod-kubeconfig', key: 'value.yaml' } },
        maxHistory: 3,
        postRenderers: [{
          kustomize: {
            patches: [{ patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n', target: { kind: 'Deployment' } }],
            images: [{ name: 'ghcr.io/stefanprodan/podinfo', newTag: '6.5.4' }],
          },
        }],
        persistentClient: false,
        suspend: false,
      },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a HelmRelease managed elsewhere', () => {
    // GIVEN
    const { app, chart, release } = releaseWith({});
    // WHEN
    const ingress: IHelmRelease = HelmRelease.fromName(chart, 'ingress', 'ingress-nginx', { namespace: 'ingress' });
    release.addDependency(ingress);
    // THEN
    expect(ingress.kind).toBe('HelmRelease');
    expect(ingress.apiVersion).toBe('helm.toolkit.fluxcd.io/v2');
    expect(release.toJson().spec.dependsOn).toStrictEqual([{ name: 'ingress-nginx', namespace: 'ingress' }]);
    expect(() => app.validate()).not.toThrow();
  });

  test('takes a chart template from a Git repository by path', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const git = GitRepository.fromName(chart, 'git', 'podinfo');
    // WHEN
    const release = new HelmRelease(chart, 'podinfo', { chart: { chart: './charts/podinfo', sourceRef: git, reconcileStrategy: 'Revision' } });
    // THEN
    expect(release.toJson().spec.chart).toStrictEqual({
      spec: { chart: './charts/podinfo', sourceRef: { kind: 'GitRepository', name: 'podinfo' }, reconcileStrategy: 'Revision' },
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when neither chart nor chartRef is set', () => {
    // GIVEN / WHEN
    const { app } = releaseWith({ chartRef: undefined });
    // THEN
    expect(() => app.validate()).toThrow(/set exactly one of spec\.chart or spec\.chartRef \(got none\)/);
  });

  test('fails when both chart and chartRef are set', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'charts', { url: 'oci://ghcr.io/acme/charts/app', layerSelector: HELM_CHART_LAYER_SELECTOR });
    // WHEN
    new HelmRelease(chart, 'app', { chartRef: repo, chart: { chart: 'app', sourceRef: HelmRepository.fromName(chart, 'repo', 'acme') } });
    // THEN
    expect(() => app.validate()).toThrow(/set exactly one of spec\.chart or spec\.chartRef \(got spec\.chart and spec\.chartRef\)/);
  });

  test('fails when the OCIRepository chart source has no Helm layerSelector', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'charts', { url: 'oci://ghcr.io/acme/charts/app' });
    // WHEN
    new HelmRelease(chart, 'app', { chartRef: repo });
    // THEN
    expect(() => app.validate()).toThrow(
      /\[chart\/app\] spec\.chartRef refers to OCIRepository flux-system\/charts, which has no layerSelector; .*mediaType: "application\/vnd\.cncf\.helm\.chart\.content\.v1\.tar\+gzip", operation: "copy"/,
    );
  });

  test('fails when the OCIRepository chart source extracts the layer', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'charts', { url: 'oci://ghcr.io/acme/charts/app', layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'extract' } });
    // WHEN
    new HelmRelease(chart, 'app', { chartRef: repo });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chartRef refers to OCIRepository flux-system\/charts, which has layerSelector \{.*"operation":"extract"\}/);
  });

  test('fails when dependsOn names a Kustomization, with a hint to order across kinds', () => {
    // GIVEN
    const { app, chart, repo, release } = releaseWith({});
    const infra = new Kustomization(chart, 'infra', { sourceRef: repo });
    // WHEN
    release.addDependency(infra as unknown as IHelmRelease);
    // THEN
    expect(() => app.validate()).toThrow(/spec\.dependsOn\[0\] refers to Kustomization flux-system\/infra, but Flux accepts only HelmRelease there; to order it after a Kustomization, apply this HelmRelease from a Kustomization whose dependsOn lists that one/);
  });

  test('fails when dependsOn forms a cycle', () => {
    // GIVEN
    const { app, chart, repo, release } = releaseWith({});
    const other = new HelmRelease(chart, 'other', { chartRef: repo, dependsOn: [release] });
    // WHEN
    release.addDependency(other);
    // THEN
    expect(() => app.validate()).toThrow(/dependsOn cycle: HelmRelease\/podinfo -> HelmRelease\/other -> HelmRelease\/podinfo/);
  });

  test('fails when the chart source is in another namespace of a locked-down cluster', () => {
    // GIVEN
    const app = new FluxApp();
    const cluster = new ClusterScope(app, 'prod', { lockedNamespaces: ['apps'] });
    const infra = new Chart(cluster, 'infra');
    const apps = new Chart(cluster, 'apps', { namespace: 'apps' });
    const repo = new OciRepository(infra, 'charts', { url: 'oci://ghcr.io/acme/charts/app', layerSelector: HELM_CHART_LAYER_SELECTOR });
    // WHEN
    new HelmRelease(apps, 'app', { chartRef: repo });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chartRef refers to OCIRepository flux-system\/charts in another namespace, but namespace apps is locked down/);
  });

  test('fails when a Git chart source is given a version', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: './charts/app', version: '1.x', sourceRef: GitRepository.fromName(chart, 'git', 'app') } });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chart\.spec\.version "1\.x" is ignored for charts from a GitRepository .*; drop it/);
  });

  test('fails when a Git chart source is given verify', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: './charts/app', verify: { provider: 'cosign' }, sourceRef: GitRepository.fromName(chart, 'git', 'app') } });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chart\.spec\.verify is supported for OCI Helm repositories only, not a GitRepository/);
  });

  test('fails when a Git chart path climbs out with ..', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: '../charts/app', sourceRef: GitRepository.fromName(chart, 'git', 'app') } });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chart\.spec\.chart "\.\.\/charts\/app" climbs out of the artifact/);
  });

  test('fails when a Helm repository chart is given as a path', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: 'charts/podinfo', sourceRef: HelmRepository.fromName(chart, 'repo', 'podinfo') } });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chart\.spec\.chart "charts\/podinfo" is a path, but a HelmRepository serves charts by name; use the chart name, e\.g\. "podinfo"/);
  });

  test('fails when the chart name is empty', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: ' ', sourceRef: HelmRepository.fromName(chart, 'repo', 'podinfo') } });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chart\.spec\.chart is empty/);
  });

  test('fails when the chart source is of a kind Flux does not accept', () => {
    // GIVEN
    const { app, chart, repo } = releaseWith({});
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: 'app', sourceRef: repo as any } });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chart\.spec\.sourceRef refers to OCIRepository flux-system\/podinfo-chart, but Flux accepts only HelmRepository, GitRepository, Bucket there/);
  });

  test('fails when the chartRef is of a kind Flux does not accept', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chartRef: HelmRepository.fromName(chart, 'repo', 'podinfo') as any });
    // THEN
    expect(() => app.validate()).toThrow(/spec\.chartRef refers to HelmRepository flux-system\/podinfo, but Flux accepts only OCIRepository, HelmChart, ExternalArtifact there/);
  });

  const chartFailures: Array<[string, Record<string, unknown>, RegExp]> = [
    ['the chart version is not a semver range', { version: 'latest' }, /spec\.chart\.spec\.version "latest" is not a semver range/],
    ['the chart interval is not a Go duration', { interval: '1 hour' }, /spec\.chart\.spec\.interval "1 hour" is not a Go duration/],
    ['the reconcileStrategy is unknown', { reconcileStrategy: 'Always' }, /spec\.chart\.spec\.reconcileStrategy "Always" is not allowed; use one of "ChartVersion", "Revision"/],
    ['a values file is absolute', { valuesFiles: ['/values.yaml'] }, /spec\.chart\.spec\.valuesFiles\[0\] "\/values\.yaml" is absolute/],
    ['the verify provider is unknown', { verify: { provider: 'gpg' } }, /spec\.chart\.spec\.verify\.provider "gpg" is not allowed; use one of "cosign", "notation"/],
    ['notation verification has no secretRef', { verify: { provider: 'notation' } }, /spec\.chart\.spec\.verify\.secretRef is required with provider "notation"/],
  ];
  test.each(chartFailures)('fails when %s', (_, template, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new HelmRelease(chart, 'app', { chart: { chart: 'podinfo', sourceRef: HelmRepository.fromName(chart, 'repo', 'podinfo'), ...(template as Partial<HelmReleaseChartTemplate>) } });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });

  const failures: Array<[string, Partial<HelmReleaseProps>, RegExp]> = [
    ['the interval is not a Go duration', { interval: '10 minutes' }, /spec\.interval "10 minutes" is not a Go duration/],
    ['the timeout is not a Go duration', { timeout: '5' }, /spec\.timeout "5" is not a Go duration/],
    ['values is not an object', { values: ['a'] as any }, /spec\.values \["a"\] is not an object/],
    ['a valuesFrom kind is neither ConfigMap nor Secret', { valuesFrom: [{ kind: 'Pod', name: 'x' }] }, /spec\.valuesFrom\[0\]\.kind "Pod" is not allowed; use one of "ConfigMap", "Secret"/],
    ['a valuesFrom name is not a DNS name', { valuesFrom: [{ kind: 'Secret', name: 'My_Values' }] }, /spec\.valuesFrom\[0\]\.name "My_Values" is not a DNS-1123 name/],
    ['a valuesKey has invalid characters', { valuesFrom: [{ kind: 'Secret', name: 'v', valuesKey: 'values yaml' }] }, /spec\.valuesFrom\[0\]\.valuesKey "values yaml" is not a valid data key/],
    ['a targetPath has invalid characters', { valuesFrom: [{ kind: 'Secret', name: 'v', targetPath: 'image tag' }] }, /spec\.valuesFrom\[0\]\.targetPath "image tag" is not a values path/],
    ['install.timeout is not a Go duration', { install: { timeout: 'soon' } }, /spec\.install\.timeout "soon" is not a Go duration/],
    ['install.crds is unknown', { install: { crds: 'Replace' as any } }, /spec\.install\.crds "Replace" is not allowed; use one of "Skip", "Create", "CreateReplace"/],
    ['install retries is not an integer', { install: { remediation: { retries: 1.5 } } }, /spec\.install\.remediation\.retries 1\.5 must be an integer/],
    ['install strategy name is unknown', { install: { strategy: { name: 'Ignore' as any } } }, /spec\.install\.strategy\.name "Ignore" is not allowed/],
    ['retryInterval is set without RetryOnFailure', { install: { strategy: { name: 'RemediateOnFailure', retryInterval: '1m' } } }, /spec\.install\.strategy\.retryInterval is set with strategy "RemediateOnFailure"; it applies to "RetryOnFailure" only/],
    ['retryInterval is not a Go duration', { upgrade: { strategy: { name: 'RetryOnFailure', retryInterval: 'often' } } }, /spec\.upgrade\.strategy\.retryInterval "often" is not a Go duration/],
    ['remediation is set with RetryOnFailure', { upgrade: { strategy: { name: 'RetryOnFailure' }, remediation: { retries: 2 } } }, /spec\.upgrade\.remediation is ignored with strategy "RetryOnFailure"/],
    ['upgrade remediation strategy is unknown', { upgrade: { remediation: { strategy: 'ignore' as any } } }, /spec\.upgrade\.remediation\.strategy "ignore" is not allowed; use one of "rollback", "uninstall"/],
    ['upgrade.crds is unknown', { upgrade: { crds: 'Update' as any } }, /spec\.upgrade\.crds "Update" is not allowed/],
    ['upgrade.serverSideApply is unknown', { upgrade: { serverSideApply: 'true' as any } }, /spec\.upgrade\.serverSideApply "true" is not allowed; use one of "enabled", "disabled", "auto"/],
    ['upgrade.timeout is not a Go duration', { upgrade: { timeout: '1d' } }, /spec\.upgrade\.timeout "1d" is not a Go duration/],
    ['test.timeout is not a Go duration', { test: { enable: true, timeout: 'x' } }, /spec\.test\.timeout "x" is not a Go duration/],
    ['a test filter has no name', { test: { enable: true, filters: [{ name: '' }] } }, /spec\.test\.filters\[0\]\.name is empty/],
    ['test filters are set without enabling tests', { test: { filters: [{ name: 'smoke' }] } }, /spec\.test\.filters is set but spec\.test\.enable is not true/],
    ['rollback.serverSideApply is unknown', { rollback: { serverSideApply: 'on' as any } }, /spec\.rollback\.serverSideApply "on" is not allowed/],
    ['rollback.timeout is not a Go duration', { rollback: { timeout: '-1m' } }, /spec\.rollback\.timeout "-1m" is not a Go duration/],
    ['uninstall.deletionPropagation is unknown', { uninstall: { deletionPropagation: 'cascade' as any } }, /spec\.uninstall\.deletionPropagation "cascade" is not allowed; use one of "background", "foreground", "orphan"/],
    ['uninstall.timeout is not a Go duration', { uninstall: { timeout: 'never' } }, /spec\.uninstall\.timeout "never" is not a Go duration/],
    ['driftDetection.mode is unknown', { driftDetection: { mode: 'on' as any } }, /spec\.driftDetection\.mode "on" is not allowed; use one of "enabled", "warn", "disabled"/],
    ['a drift ignore rule has no paths', { driftDetection: { mode: 'enabled', ignore: [{ paths: [] }] } }, /spec\.driftDetection\.ignore\[0\]\.paths is empty/],
    ['a drift ignore path is not a JSON pointer', { driftDetection: { mode: 'enabled', ignore: [{ paths: ['spec.replicas'] }] } }, /spec\.driftDetection\.ignore\[0\]\.paths\[0\] "spec\.replicas" is not a JSON pointer; start it with "\/", e\.g\. "\/spec\/replicas"/],
    ['targetNamespace is longer than 63', { targetNamespace: 'a'.repeat(64) }, /spec\.targetNamespace "a{64}" is 64 characters long; at most 63 are allowed/],
    ['storageNamespace is not a DNS label', { storageNamespace: 'Helm.Storage' }, /spec\.storageNamespace "Helm\.Storage" is not a DNS-1123 label/],
    ['releaseName is longer than 53', { releaseName: 'r'.repeat(54) }, /spec\.releaseName "r{54}" is 54 characters long; at most 53 are allowed/],
    ['releaseName is not a DNS name', { releaseName: 'My_Release' }, /spec\.releaseName "My_Release" is not a DNS-1123 name/],
    ['serviceAccountName is not a DNS name', { serviceAccountName: 'Reconciler!' }, /spec\.serviceAccountName "Reconciler!" is not a DNS-1123 name/],
    ['kubeConfig names both a Secret and a ConfigMap', { kubeConfig: { secretRef: { name: 'kc' }, configMapRef: { name: 'kc' } } }, /set exactly one of spec\.kubeConfig\.secretRef or spec\.kubeConfig\.configMapRef/],
    ['kubeConfig names neither', { kubeConfig: {} }, /set exactly one of spec\.kubeConfig\.secretRef or spec\.kubeConfig\.configMapRef \(got none\)/],
    ['maxHistory is negative', { maxHistory: -1 }, /spec\.maxHistory -1 must be a whole number, 0 or more/],
    ['a post-renderer has nothing to apply', { postRenderers: [{ kustomize: {} }] }, /spec\.postRenderers\[0\]\.kustomize has no patches and no images/],
  ];
  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const { app } = releaseWith(props);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(message);
  });

  test('fails when a schema violation is smuggled through the escape hatch', () => {
    // GIVEN
    const { app, release } = releaseWith({});
    // WHEN
    release.addJsonPatch(JsonPatch.add('/spec/releaseName', 'x'.repeat(60)));
    // THEN
    expect(() => app.validate()).toThrow(/\[chart\/podinfo\] does not match the Flux schema: spec\.releaseName must NOT be longer than 53 characters/);
  });
});

describe('HelmRelease wait strategy, health check expressions and the newer fields', () => {
  const HEALTH = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', current: 'status.conditions.exists(c, c.type == \'Ready\' && c.status == \'True\')' };

  test('renders them as Flux 2.9 reads them', () => {
    // GIVEN
    const { app, release } = releaseWith({
      waitStrategy: 'poller',
      healthCheckExprs: [HEALTH],
      postRenderStrategy: 'nohooks',
      commonMetadata: { labels: { team: 'web' } },
      upgrade: { chartNameChangeStrategy: 'InPlaceUpdate' },
      valuesFrom: [{ kind: 'Secret', name: 'ca', valuesKey: 'ca.crt', targetPath: 'tls.ca', literal: true }],
    });
    // WHEN
    app.validate();
    // THEN
    const spec = release.toJson().spec;
    expect([spec.waitStrategy, spec.healthCheckExprs, spec.postRenderStrategy, spec.commonMetadata, spec.upgrade, spec.valuesFrom]).toStrictEqual([
      { name: 'poller' },
      [HEALTH],
      'nohooks',
      { labels: { team: 'web' } },
      { chartNameChangeStrategy: 'InPlaceUpdate' },
      [{ kind: 'Secret', name: 'ca', valuesKey: 'ca.crt', targetPath: 'tls.ca', literal: true }],
    ]);
  });

  test('fails when health check expressions are given with the legacy wait strategy', () => {
    const { app } = releaseWith({ waitStrategy: 'legacy', healthCheckExprs: [HEALTH] });
    expect(() => app.validate()).toThrow(/spec\.healthCheckExprs is used only with waitStrategy "poller"; drop waitStrategy "legacy" or the expressions/);
  });

  test('fails when the wait strategy is newer than the cluster\'s Flux', () => {
    // GIVEN: waitStrategy arrived in Flux 2.8
    const app = new FluxApp();
    const chart = new Chart(new ClusterScope(app, 'old', { fluxVersion: '2.7.x' }), 'chart');
    const repo = new OciRepository(chart, 'podinfo-chart', { url: 'oci://ghcr.io/stefanprodan/charts/podinfo', layerSelector: HELM_CHART_LAYER_SELECTOR });
    // WHEN
    new HelmRelease(chart, 'podinfo', { chartRef: repo, waitStrategy: 'poller' });
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.waitStrategy is not a field of HelmRelease \(helm\.toolkit\.fluxcd\.io\/v2, Flux 2\.7\)/);
  });
});
