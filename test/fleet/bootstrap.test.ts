import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import {
  Bootstrap, BootstrapFacts, bootstrapObjects, FLUX_MANIFESTS_SIGNING, FLUX_MANIFESTS_VERIFICATION, FLUX_OPERATOR_CHART_SIGNING,
  FLUX_OPERATOR_CHART_VERIFICATION,
} from '../../src/fleet/bootstrap.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { Registry } from '../../src/fleet/registry.js';
import { Signing } from '../../src/fleet/signing.js';
import { FluxApp } from '../../src/frontends/cdk8s/flux-app.js';
import { errorsOf } from '../support/synth-errors.js';

const URL = 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/prod-eu-1';

/** A small production cluster on EKS, syncing from ECR, without verification. */
const FACTS: BootstrapFacts = {
  clusterName: 'prod-eu-1',
  environment: 'production',
  region: 'eu-west-1',
  wave: 1,
  cloud: 'aws',
  multitenant: false,
  flux: { version: '2.9.x' },
  sync: { url: URL, tag: 'stable', settings: Registry.ecr({ account: '123456789012', repository: 'fleet' }).sourceSettings('eu-west-1') },
  runtimeInfo: { CLUSTER_NAME: 'prod-eu-1', ENVIRONMENT: 'production', ARTIFACT_TAG: 'stable', domain: 'eu.acme.io' },
};

const VERIFICATION = Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }).verification();

const RUNTIME_INFO = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'flux-runtime-info',
    namespace: 'flux-system',
    labels: { 'toolkit.fluxcd.io/runtime': 'true', 'reconcile.fluxcd.io/watch': 'Enabled' },
    annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Merge' },
  },
  data: { CLUSTER_NAME: 'prod-eu-1', ENVIRONMENT: 'production', ARTIFACT_TAG: 'stable', domain: 'eu.acme.io' },
  immutable: false,
};

const GITHUB_ISSUER = '^https://token\\.actions\\.githubusercontent\\.com$';

const OPERATOR_CHART_SOURCE = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'OCIRepository',
  metadata: { name: 'flux-operator', namespace: 'flux-system' },
  spec: {
    url: 'oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator',
    interval: '1h',
    ref: { tag: '0.58.1' },
    layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
    verify: {
      provider: 'cosign',
      matchOIDCIdentity: [{
        issuer: GITHUB_ISSUER,
        subject: '^https://github\\.com/controlplaneio-fluxcd/charts/\\.github/workflows/release\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
      }],
    },
  },
};

const OPERATOR_RELEASE = {
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name: 'flux-operator', namespace: 'flux-system', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
  spec: {
    chartRef: { kind: 'OCIRepository', name: 'flux-operator' },
    interval: '10m',
    releaseName: 'flux-operator',
    serviceAccountName: 'flux-operator',
    install: { strategy: { name: 'RetryOnFailure' } },
    upgrade: { strategy: { name: 'RetryOnFailure' } },
  },
};

const FLUX_MANIFESTS_VERIFY = {
  provider: 'cosign',
  matchOIDCIdentity: [{
    issuer: GITHUB_ISSUER,
    subject: '^https://github\\.com/fluxcd/flux2/\\.github/workflows/release\\.yaml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
  }],
};

/** Builds the bootstrap in a fresh app; `objects` renders it (and throws when it is invalid). */
function build(bootstrap: Bootstrap, facts: BootstrapFacts) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart');
  bootstrap.build(chart, facts);
  return { app, get objects(): any[] { return Testing.synth(chart); } };
}


/** The rendered object of a kind and name. */
function find(objects: any[], kind: string, name: string): any {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

describe('Bootstrap.operator', () => {
  test('minimal: FluxInstance syncing the cluster artifact, the signed operator chart and its release, runtime info', () => {
    // GIVEN
    const bootstrap = Bootstrap.operator();
    // WHEN
    const { app, objects } = build(bootstrap, FACTS);
    // THEN
    expect(bootstrap.kind).toBe('operator');
    expect(objects).toStrictEqual([
      RUNTIME_INFO,
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'FluxInstance',
        metadata: { name: 'flux', namespace: 'flux-system', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
        spec: {
          distribution: { version: '2.9.x', registry: 'ghcr.io/fluxcd' },
          cluster: { type: 'aws', multitenant: false, networkPolicy: true },
          sync: { kind: 'OCIRepository', url: URL, ref: 'stable', path: './', provider: 'aws' },
        },
      },
      OPERATOR_CHART_SOURCE,
      OPERATOR_RELEASE,
    ]);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fully specified: size, components, registry, interval, verification, insecure registry and options', () => {
    // GIVEN
    const bootstrap = Bootstrap.operator({
      version: '0.59.0',
      chartUrl: 'oci://mirror.acme.io/charts/flux-operator',
      chartSettings: { provider: 'generic', secretRef: { name: 'mirror-pull' } },
      interval: '30m',
      values: { reporting: { interval: '1m' } },
    });
    const facts: BootstrapFacts = {
      ...FACTS,
      size: 'large',
      networkPolicy: false,
      flux: { version: '2.9.4', components: ['source-controller', 'kustomize-controller', 'helm-controller'], registry: 'mirror.acme.io/fluxcd' },
      sync: {
        url: 'oci://registry.local:5000/fleet/prod-eu-1',
        tag: 'stable',
        settings: Registry.generic({ host: 'registry.local:5000', repository: 'fleet', insecure: true, pullSecret: { name: 'fleet-pull' } }).sourceSettings('eu-west-1'),
        interval: '2m',
      },
      verification: VERIFICATION,
    };
    // WHEN
    const { app, objects } = build(bootstrap, facts);
    // THEN
    expect(objects).toStrictEqual([
      RUNTIME_INFO,
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'FluxInstance',
        metadata: { name: 'flux', namespace: 'flux-system', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
        spec: {
          distribution: { version: '2.9.4', registry: 'mirror.acme.io/fluxcd' },
          components: ['source-controller', 'kustomize-controller', 'helm-controller'],
          cluster: { type: 'aws', size: 'large', multitenant: false, networkPolicy: false },
          kustomize: {
            patches: [
              {
                patch: '- op: add\n  path: /spec/verify\n  value:\n    provider: cosign\n    matchOIDCIdentity:\n' +
                  '      - issuer: ^https://token\\.actions\\.githubusercontent\\.com$\n' +
                  '        subject: ^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$\n',
                target: { kind: 'OCIRepository', name: 'flux-system' },
              },
              { patch: '- op: add\n  path: /spec/insecure\n  value: true\n', target: { kind: 'OCIRepository', name: 'flux-system' } },
            ],
          },
          sync: {
            kind: 'OCIRepository',
            url: 'oci://registry.local:5000/fleet/prod-eu-1',
            ref: 'stable',
            path: './',
            provider: 'generic',
            pullSecret: 'fleet-pull',
            interval: '2m',
          },
        },
      },
      {
        ...OPERATOR_CHART_SOURCE,
        spec: {
          ...OPERATOR_CHART_SOURCE.spec,
          url: 'oci://mirror.acme.io/charts/flux-operator',
          interval: '30m',
          ref: { tag: '0.59.0' },
          provider: 'generic',
          secretRef: { name: 'mirror-pull' },
        },
      },
      { ...OPERATOR_RELEASE, spec: { ...OPERATOR_RELEASE.spec, values: { reporting: { interval: '1m' } } } },
    ]);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('the verification patch sets exactly the signing identity on the generated OCIRepository', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, verification: VERIFICATION };
    // WHEN
    const { objects } = build(Bootstrap.operator(), facts);
    // THEN
    const patches = find(objects, 'FluxInstance', 'flux').spec.kustomize.patches;
    expect(patches).toHaveLength(1);
    expect(patches[0].target).toStrictEqual({ kind: 'OCIRepository', name: 'flux-system' });
    expect(parse(patches[0].patch)).toStrictEqual([{ op: 'add', path: '/spec/verify', value: VERIFICATION }]);
  });

  test('no patches without verification and over HTTPS', () => {
    // GIVEN / WHEN
    const { objects } = build(Bootstrap.operator(), FACTS);
    // THEN
    expect(find(objects, 'FluxInstance', 'flux').spec.kustomize).toBeUndefined();
  });

  test('a key-based verification is patched in with its Secret', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, verification: Signing.cosignKey({ secretName: 'cosign-pub' }).verification() };
    // WHEN
    const { app, objects } = build(Bootstrap.operator(), facts);
    // THEN
    const patches = find(objects, 'FluxInstance', 'flux').spec.kustomize.patches;
    expect(parse(patches[0].patch)).toStrictEqual([{ op: 'add', path: '/spec/verify', value: { provider: 'cosign', secretRef: { name: 'cosign-pub' } } }]);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('an insecure registry alone gets only the insecure patch', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, sync: { ...FACTS.sync, settings: { provider: 'generic', insecure: true } } };
    // WHEN
    const { objects } = build(Bootstrap.operator(), facts);
    // THEN
    expect(find(objects, 'FluxInstance', 'flux').spec.kustomize).toStrictEqual({
      patches: [{ patch: '- op: add\n  path: /spec/insecure\n  value: true\n', target: { kind: 'OCIRepository', name: 'flux-system' } }],
    });
  });

  test('multitenant: the FluxInstance locks Flux down and the operator locks ResourceSets down', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, multitenant: true };
    // WHEN
    const { app, objects } = build(Bootstrap.operator({ values: { reporting: { interval: '1m' } } }), facts);
    // THEN
    expect(find(objects, 'FluxInstance', 'flux').spec.cluster).toStrictEqual({ type: 'aws', multitenant: true, networkPolicy: true });
    expect(find(objects, 'HelmRelease', 'flux-operator').spec.values).toStrictEqual({
      multitenancy: { enabled: true },
      reporting: { interval: '1m' },
    });
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('option values win over the computed ones', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, multitenant: true };
    // WHEN
    const { objects } = build(Bootstrap.operator({ values: { multitenancy: { enabled: true, defaultServiceAccount: 'flux' } } }), facts);
    // THEN
    expect(find(objects, 'HelmRelease', 'flux-operator').spec.values).toStrictEqual({ multitenancy: { enabled: true, defaultServiceAccount: 'flux' } });
  });

  test('fails when the operator version is neither a version nor a range', () => {
    // GIVEN
    const { app } = build(Bootstrap.operator({ version: 'latest' }), FACTS);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/\[chart\/flux-operator-chart\] Bootstrap\.operator\(\) version "latest" is not a chart version or semver range; use an exact one, e\.g\. "0\.58\.1", or a range, e\.g\. "0\.58\.x"/);
  });

  test('the operator chart by range, with the release interval, retry interval and force', () => {
    // GIVEN
    const bootstrap = Bootstrap.operator({ version: '0.58.x', releaseInterval: '30m', retryInterval: '2m', force: true });
    // WHEN
    const { app, objects } = build(bootstrap, FACTS);
    // THEN
    expect(() => app.validate()).not.toThrow();
    expect(objects.find((o) => o.kind === 'OCIRepository').spec.ref).toStrictEqual({ semver: '0.58.x' });
    const spec = objects.find((o) => o.kind === 'HelmRelease').spec;
    expect([spec.interval, spec.install, spec.upgrade]).toStrictEqual([
      '30m',
      { strategy: { name: 'RetryOnFailure', retryInterval: '2m' } },
      { strategy: { name: 'RetryOnFailure', retryInterval: '2m' }, force: true },
    ]);
  });

  test('FluxInstance settings, computed per cluster: artifact, domain, tenant default account, patches, sharding, storage', () => {
    // GIVEN
    const patch = { patch: [{ op: 'add', path: '/spec/template/spec/nodeSelector', value: { role: 'flux' } }], target: { kind: 'Deployment' } };
    const bootstrap = Bootstrap.operator({
      instance: (facts) => ({
        distributionArtifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests',
        domain: `${facts.clusterName}.local`,
        tenantDefaultServiceAccount: 'flux',
        patches: [patch],
        sharding: { shards: ['shard1', 'shard2'] },
        storage: { class: 'standard', size: '10Gi' },
      }),
    });
    // WHEN
    const { app, objects } = build(bootstrap, { ...FACTS, multitenant: true });
    const spec = objects.find((o) => o.kind === 'FluxInstance').spec;
    // THEN
    expect(() => app.validate()).not.toThrow();
    expect([spec.distribution, spec.cluster, spec.kustomize, spec.sharding, spec.storage]).toStrictEqual([
      { version: '2.9.x', registry: 'ghcr.io/fluxcd', artifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests' },
      { type: 'aws', multitenant: true, networkPolicy: true, domain: 'prod-eu-1.local', tenantDefaultServiceAccount: 'flux' },
      { patches: [{ patch: '- op: add\n  path: /spec/template/spec/nodeSelector\n  value:\n    role: flux\n', target: { kind: 'Deployment' } }] },
      { shards: ['shard1', 'shard2'] },
      { class: 'standard', size: '10Gi' },
    ]);
  });

  test('no operator HelmRelease when the components leave out helm-controller', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, flux: { version: '2.9.x', components: ['source-controller', 'kustomize-controller'] } };
    // WHEN
    const { objects } = build(Bootstrap.operator(), facts);
    // THEN
    expect(objects.map((o) => o.kind)).toStrictEqual(['ConfigMap', 'FluxInstance']);
  });

  test('fails when the chart URL carries a tag', () => {
    // GIVEN
    const { app } = build(Bootstrap.operator({ chartUrl: 'oci://mirror.acme.io/charts/flux-operator:0.58.1' }), FACTS);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/spec\.url "oci:\/\/mirror\.acme\.io\/charts\/flux-operator:0\.58\.1" carries a tag/);
  });

  test('fails when the Flux version is neither a version nor a range', () => {
    // GIVEN
    const { app } = build(Bootstrap.operator(), { ...FACTS, flux: { version: 'latest' } });
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/spec\.distribution\.version "latest" is neither a version nor a semver range/);
  });

  test('fails when the sync URL carries the tag', () => {
    // GIVEN
    const { app } = build(Bootstrap.operator(), { ...FACTS, sync: { ...FACTS.sync, url: `${URL}:stable` } });
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/spec\.sync\.url ".*prod-eu-1:stable" carries a tag; drop ":stable"/);
  });
});

describe('Bootstrap.plain', () => {
  test('minimal: the signed release manifests, the cluster artifact sync, runtime info', () => {
    // GIVEN
    const bootstrap = Bootstrap.plain();
    // WHEN
    const { app, objects } = build(bootstrap, FACTS);
    // THEN
    expect(bootstrap.kind).toBe('plain');
    expect(objects).toStrictEqual([
      RUNTIME_INFO,
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'flux-manifests', namespace: 'flux-system' },
        spec: { url: 'oci://ghcr.io/fluxcd/flux-manifests', interval: '1h', ref: { semver: '2.9.x' }, verify: FLUX_MANIFESTS_VERIFY },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-components', namespace: 'flux-system' },
        spec: {
          sourceRef: { kind: 'OCIRepository', name: 'flux-manifests' },
          path: './',
          interval: '10m',
          prune: true,
          deletionPolicy: 'Orphan',
          patches: [{
            patch: '$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: unwanted\n',
            target: { kind: 'Deployment', name: '(image-reflector-controller|image-automation-controller|source-watcher)' },
          }],
        },
      },
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: { url: URL, interval: '1m', ref: { tag: 'stable' }, provider: 'aws' },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: { sourceRef: { kind: 'OCIRepository', name: 'flux-system' }, path: './', interval: '10m', prune: true },
      },
    ]);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fully specified: multitenant, no network policies, components, image mirror, verification, insecure registry', () => {
    // GIVEN
    const bootstrap = Bootstrap.plain({
      manifestsUrl: 'oci://mirror.acme.io/fluxcd/flux-manifests',
      manifestsSettings: { provider: 'generic', secretRef: { name: 'mirror-pull' } },
      interval: '6h',
    });
    const facts: BootstrapFacts = {
      ...FACTS,
      multitenant: true,
      networkPolicy: false,
      flux: { version: '2.9.4', components: ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller', 'image-reflector-controller', 'image-automation-controller'], registry: 'mirror.acme.io/fluxcd/' },
      sync: { url: 'oci://registry.local:5000/fleet/prod-eu-1', tag: 'stable', settings: { provider: 'generic', secretRef: { name: 'fleet-pull' }, insecure: true }, interval: '2m' },
      verification: VERIFICATION,
    };
    // WHEN
    const { app, objects } = build(bootstrap, facts);
    // THEN
    const images = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller', 'image-reflector-controller', 'image-automation-controller']
      .map((c) => ({ name: `ghcr.io/fluxcd/${c}`, newName: `mirror.acme.io/fluxcd/${c}` }));
    expect(objects).toStrictEqual([
      RUNTIME_INFO,
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'flux-manifests', namespace: 'flux-system' },
        spec: {
          url: 'oci://mirror.acme.io/fluxcd/flux-manifests',
          interval: '6h',
          ref: { tag: 'v2.9.4' },
          provider: 'generic',
          secretRef: { name: 'mirror-pull' },
          verify: FLUX_MANIFESTS_VERIFY,
        },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-components', namespace: 'flux-system' },
        spec: {
          sourceRef: { kind: 'OCIRepository', name: 'flux-manifests' },
          path: './',
          interval: '10m',
          prune: true,
          deletionPolicy: 'Orphan',
          serviceAccountName: 'kustomize-controller',
          images,
          patches: [
            {
              patch: '$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: unwanted\n',
              target: { kind: 'Deployment', name: '(source-watcher)' },
            },
            {
              patch: '$patch: delete\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: all\n',
              target: { kind: 'NetworkPolicy' },
            },
            {
              patch: '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-cross-namespace-refs=true\n',
              target: { kind: 'Deployment', name: '(kustomize-controller|helm-controller|notification-controller|image-reflector-controller|image-automation-controller)' },
            },
            {
              patch: '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-remote-bases=true\n',
              target: { kind: 'Deployment', name: 'kustomize-controller' },
            },
            {
              patch: '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --default-service-account=default\n',
              target: { kind: 'Deployment', name: '(kustomize-controller|helm-controller)' },
            },
          ],
        },
      },
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'flux-system', namespace: 'flux-system', annotations: { 'flux-fleet.io/allow-insecure': 'true' } },
        spec: {
          url: 'oci://registry.local:5000/fleet/prod-eu-1',
          interval: '2m',
          ref: { tag: 'stable' },
          provider: 'generic',
          secretRef: { name: 'fleet-pull' },
          insecure: true,
          verify: VERIFICATION,
        },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-system', namespace: 'flux-system' },
        spec: {
          sourceRef: { kind: 'OCIRepository', name: 'flux-system' },
          path: './',
          interval: '10m',
          prune: true,
          serviceAccountName: 'kustomize-controller',
        },
      },
    ]);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('every component requested: no delete patch', () => {
    // GIVEN
    const facts: BootstrapFacts = {
      ...FACTS,
      flux: { version: '2.9.x', components: ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller', 'image-reflector-controller', 'image-automation-controller', 'source-watcher'] },
    };
    // WHEN
    const { objects } = build(Bootstrap.plain(), facts);
    // THEN
    expect(find(objects, 'Kustomization', 'flux-components').spec.patches).toBeUndefined();
  });

  test.each([
    ['2.9.4', { tag: 'v2.9.4' }],
    ['v2.9.4', { tag: 'v2.9.4' }],
    ['2.10.0-rc.1', { tag: 'v2.10.0-rc.1' }],
    ['2.9.x', { semver: '2.9.x' }],
    ['2.x', { semver: '2.x' }],
    ['>=2.9.0 <3.0.0', { semver: '>=2.9.0 <3.0.0' }],
  ])('Flux version %p pulls the release manifests with ref %p', (version, ref) => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, flux: { version } };
    // WHEN
    const { app, objects } = build(Bootstrap.plain(), facts);
    // THEN
    expect(find(objects, 'OCIRepository', 'flux-manifests').spec.ref).toStrictEqual(ref);
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fails when the Flux version is neither a version nor a range', () => {
    // GIVEN
    const { app } = build(Bootstrap.plain(), { ...FACTS, flux: { version: 'latest' } });
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/\[chart\/flux-manifests\] spec\.ref\.semver "latest" is not a semver range/);
  });

  test('fails when the sync interval is not a Go duration', () => {
    // GIVEN
    const { app } = build(Bootstrap.plain(), { ...FACTS, sync: { ...FACTS.sync, interval: '5 minutes' } });
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/\[chart\/flux-system-source\] spec\.interval "5 minutes" is not a Go duration/);
  });

  test('fails when a cloud identity and a pull secret are both set', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, sync: { ...FACTS.sync, settings: { provider: 'aws', secretRef: { name: 'pull' } } } };
    const { app } = build(Bootstrap.plain(), facts);
    // WHEN / THEN
    expect(() => app.validate()).toThrow(/spec\.secretRef is set with provider "aws"/);
  });
});

describe('runtime info', () => {
  test.each([
    [Bootstrap.operator()],
    [Bootstrap.plain()],
  ])('fails when a key is not a substitution variable name (%#)', (bootstrap) => {
    // GIVEN
    const { app } = build(bootstrap, { ...FACTS, runtimeInfo: { 'cluster.name': 'prod-eu-1', '1st': 'x' } });
    // WHEN
    const errors = errorsOf(app);
    // THEN
    expect(errors).toStrictEqual([
      'flux-runtime-info data key "cluster.name" is not a valid substitution variable name: start with a letter or \'_\', then letters, digits or \'_\', e.g. "cluster_name"',
      'flux-runtime-info data key "1st" is not a valid substitution variable name: start with a letter or \'_\', then letters, digits or \'_\', e.g. "_1st"',
    ]);
  });
});

describe('release identities', () => {
  test('the Flux release manifests verify only the flux2 release workflow on a release tag', () => {
    // GIVEN
    const m = FLUX_MANIFESTS_VERIFICATION.matchOIDCIdentity![0];
    const issuer = new RegExp(m.issuer);
    const subject = new RegExp(m.subject);
    // WHEN / THEN
    expect(issuer.test('https://token.actions.githubusercontent.com')).toBe(true);
    expect(issuer.test('https://token.actions.githubusercontent.com.evil.io')).toBe(false);
    expect(subject.test('https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/tags/v2.9.4')).toBe(true);
    expect(subject.test('https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/tags/v2.10.0-rc.1')).toBe(true);
    expect(subject.test('https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/heads/main')).toBe(false);
    expect(subject.test('https://github.com/fluxcd/flux2/.github/workflows/e2e.yaml@refs/tags/v2.9.4')).toBe(false);
    expect(subject.test('https://github.com/evil/flux2/.github/workflows/release.yaml@refs/tags/v2.9.4')).toBe(false);
  });

  test('the Flux Operator chart verifies only the charts release workflow on a release tag', () => {
    // GIVEN
    const m = FLUX_OPERATOR_CHART_VERIFICATION.matchOIDCIdentity![0];
    const subject = new RegExp(m.subject);
    // WHEN / THEN
    expect(m.issuer).toBe(GITHUB_ISSUER);
    expect(subject.test('https://github.com/controlplaneio-fluxcd/charts/.github/workflows/release.yml@refs/tags/v0.58.1')).toBe(true);
    expect(subject.test('https://github.com/controlplaneio-fluxcd/charts/.github/workflows/release.yml@refs/heads/main')).toBe(false);
    expect(subject.test('https://github.com/controlplaneio-fluxcd/flux-operator/.github/workflows/release.yaml@refs/tags/v0.58.1')).toBe(false);
  });
});

describe('bootstrapObjects', () => {
  test('renders the objects in the order to apply them', () => {
    // GIVEN / WHEN
    const objects = bootstrapObjects(Bootstrap.operator(), FACTS);
    // THEN
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual([
      'ConfigMap/flux-runtime-info',
      'FluxInstance/flux',
      'OCIRepository/flux-operator',
      'HelmRelease/flux-operator',
    ]);
    expect(objects).toStrictEqual(build(Bootstrap.operator(), FACTS).objects);
  });

  test('plain order: Flux components before the sync', () => {
    // GIVEN / WHEN
    const objects = bootstrapObjects(Bootstrap.plain(), FACTS);
    // THEN
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual([
      'ConfigMap/flux-runtime-info',
      'OCIRepository/flux-manifests',
      'Kustomization/flux-components',
      'OCIRepository/flux-system',
      'Kustomization/flux-system',
    ]);
  });

  test('fails when an object is invalid, listing every problem', () => {
    // GIVEN
    const facts: BootstrapFacts = { ...FACTS, flux: { version: 'latest' }, runtimeInfo: { 'cluster-name': 'x' } };
    // WHEN / THEN
    expect(() => bootstrapObjects(Bootstrap.plain(), facts)).toThrow(
      /bootstrap objects of cluster "prod-eu-1" are invalid:\n {2}\[bootstrap\/flux-runtime-info\] flux-runtime-info data key "cluster-name".*\n {2}\[bootstrap\/flux-manifests\] spec\.ref\.semver "latest"/,
    );
  });
});

describe('the signers flux-fleet builds in', () => {
  const KEY = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEblbHQKXX3IVDbSLQ4p8c0e2Nv0zS\nTwLFoK6BZKjpproYUL98SC4ApixLLJg3UijLCiwP/LoQ3sphqVRPBO0sOA==\n-----END PUBLIC KEY-----\n';

  /** The objects of one cluster's flux-system.yaml, synthesized from a fleet bootstrapped with `bootstrap`. */
  function synthesized(bootstrap: Bootstrap): Array<{ kind: string; metadata: { name: string; namespace: string }; spec?: { verify?: unknown } }> {
    const outdir = join(mkdtempSync(join(tmpdir(), 'flux-fleet-bootstrap-')), 'dist');
    const app = new FluxApp({ outdir });
    const fleet = new Fleet(app, 'fleet', {
      registry: Registry.generic({ host: 'registry.acme.io', repository: 'fleet' }),
      signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
      flux: { bootstrap },
    });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
    app.synth();
    const objects = parseAllDocuments(readFileSync(join(outdir, 'clusters', 'stg-1', 'flux-system', 'flux-system.yaml'), 'utf8')).map((d) => d.toJS());
    rmSync(dirname(outdir), { recursive: true, force: true });
    return objects;
  }

  test('verify the operator chart and Flux\'s release manifests as their publishers\' release workflows by default', () => {
    // THEN
    expect(FLUX_OPERATOR_CHART_VERIFICATION).toStrictEqual(FLUX_OPERATOR_CHART_SIGNING.verification());
    expect(FLUX_MANIFESTS_VERIFICATION).toStrictEqual(FLUX_MANIFESTS_SIGNING.verification());
    expect(synthesized(Bootstrap.operator()).find((o) => o.kind === 'OCIRepository')?.spec?.verify).toStrictEqual(FLUX_OPERATOR_CHART_VERIFICATION);
  });

  test('are replaced like any other signer: an air-gapped fleet verifies the operator chart and the release manifests it signs itself', () => {
    // WHEN
    const operator = synthesized(Bootstrap.operator({ chartSigning: Signing.cosignKey({ secretName: 'mirror-cosign', publicKey: KEY }) }));
    const plain = synthesized(Bootstrap.plain({ manifestsSigning: Signing.cosignKey({ secretName: 'mirror-cosign', publicKey: KEY }) }));
    // THEN the chart's and the manifests' sources verify the key, whose public part synth writes into flux-system
    expect(operator.find((o) => o.kind === 'OCIRepository' && o.metadata.name === 'flux-operator')?.spec?.verify).toStrictEqual({ provider: 'cosign', secretRef: { name: 'mirror-cosign' } });
    expect(plain.find((o) => o.kind === 'OCIRepository' && o.metadata.name === 'flux-manifests')?.spec?.verify).toStrictEqual({ provider: 'cosign', secretRef: { name: 'mirror-cosign' } });
    for (const objects of [operator, plain]) {
      expect(objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.namespace, o.metadata.name])).toStrictEqual([['flux-system', 'mirror-cosign']]);
    }
  });

  test('fails at synth when a replacement signer is not valid, naming it', () => {
    // GIVEN
    const app = new FluxApp({ outdir: join(tmpdir(), 'flux-fleet-bootstrap-never-written') });
    const fleet = new Fleet(app, 'fleet', {
      registry: Registry.generic({ host: 'registry.acme.io', repository: 'fleet' }),
      signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
      flux: { bootstrap: Bootstrap.operator({ chartSigning: Signing.cosignKey({ secretName: 'Mirror_Key' }) }) },
    });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
    // THEN
    expect(() => app.synth()).toThrow(/bootstrap signing: Signing\.cosignKey\(\) secretName "Mirror_Key" is not a DNS-1123 name/);
  });
});
