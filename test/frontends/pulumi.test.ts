import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { buildApp, buildFleet } from '../../examples/fleet/app.js';
import { Bootstrap, checkFluxSchema, Fleet, FLUX_OPERATOR_CHART_URL, FLUX_OPERATOR_VERSION, Registry, Signing } from '../../src/index.js';
import { bootstrapObjects } from '../../src/output/index.js';

/** A resource as the component registered it with the engine (here, Pulumi's mock monitor). */
interface Registered {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent: string;
  readonly dependencies: string[];
  readonly provider: string;
  readonly custom: boolean;
  readonly inputs: Record<string, any>;
}

/** What the engine saw: every resource registration, and the outputs a component registered, by URN. */
interface Engine {
  readonly resources: Registered[];
  readonly outputs: Map<string, Record<string, any>>;
}

const PROJECT = 'fleet';
const STACK = 'test';
const COMPONENT = 'flux-fleet:index:FluxBootstrap';
const SECRET = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig };
const PULL_AUTH = Buffer.from('fleet-bot:ghp_pullToken0123').toString('base64');
const DOCKER_CONFIG = JSON.stringify({ auths: { 'ghcr.io': { auth: PULL_AUTH } } });

/**
 * Starts Pulumi's mocks and records each registration request as the SDK sends it, so that tests see the parent,
 * dependencies and provider of every resource, not only its inputs.
 */
async function startEngine(): Promise<Engine> {
  const engine: Engine = { resources: [], outputs: new Map() };
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: () => ({}),
  }, PROJECT, STACK, false);
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => register(req, (err: unknown, resp: any) => {
    if (!err) {
      engine.resources.push({
        type: req.getType(),
        name: req.getName(),
        urn: resp.getUrn(),
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        provider: req.getProvider(),
        custom: req.getCustom(),
        inputs: pulumi.runtime.deserializeProperties(req.getObject()),
      });
    }
    callback(err, resp);
  });
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: unknown, resp: any) => void) => {
    engine.outputs.set(req.getUrn(), pulumi.runtime.deserializeProperties(req.getOutputs()));
    return registerOutputs(req, callback);
  };
  return engine;
}

/** The module under test, imported once the mocks are in place. */
async function pulumiFrontEnd() {
  return import('../../src/frontends/pulumi/index.js');
}

/** Waits until every registration, and every output registration, has reached the engine. */
async function settle(): Promise<void> {
  await pulumi.runtime.disconnect();
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

function urn(type: string, name: string, parentType?: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${parentType ? `${parentType}$` : ''}${type}::${name}`;
}

const PROVIDER = `${urn('pulumi:providers:kubernetes', 'cluster')}::cluster-id`;
const COMPONENT_URN = urn(COMPONENT, 'flux');
const child = (type: string, name: string) => urn(type, name, COMPONENT);

function byName(engine: Engine, name: string): Registered {
  const found = engine.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name} registered; got ${engine.resources.map((r) => r.name).join(', ')}`);
  return found;
}

/** The objects of a synthesized `clusters/<cluster>/flux-system/flux-system.yaml`. */
function readBootstrapFile(dist: string, cluster: string): Record<string, any>[] {
  const text = readFileSync(join(dist, 'clusters', cluster, 'flux-system', 'flux-system.yaml'), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
}

/** A one-cluster fleet on GitHub's registry, which reads with a pull secret. */
function ghcrFleet(props: { bootstrap?: Bootstrap } = {}) {
  const fleet = new Fleet(new App(), 'acme', {
    registry: Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-pull' } }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    flux: { bootstrap: props.bootstrap },
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const cluster = staging.addCluster('stg-1', { region: 'eu-west-1', type: 'kubernetes' });
  return { fleet, staging, cluster };
}

let engine: Engine;
let provider: k8s.Provider;

beforeEach(async () => {
  engine = await startEngine();
  provider = new k8s.Provider('cluster', { kubeconfig: 'kubeconfig' });
});

// A component whose constructor threw still registers its outputs later: let that reach this test's engine.
afterEach(() => settle());

describe('FluxBootstrap', () => {
  test('registers the namespace, the operator release, then the bootstrap objects, each after the previous, under the component, with the caller\'s provider', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const fleet = buildFleet(new App());

    // WHEN
    new FluxBootstrap('flux', { fleet, cluster: 'stg-eu-1' }, { provider });
    await settle();

    // THEN
    const namespace = child('kubernetes:core/v1:Namespace', 'flux-namespace');
    const release = child('kubernetes:helm.sh/v3:Release', 'flux-flux-operator');
    const key = child('kubernetes:core/v1:Secret', 'flux-secret-fleet-cosign');
    const runtimeInfo = child('kubernetes:core/v1:ConfigMap', 'flux-configmap-flux-runtime-info');
    expect(engine.resources.filter((r) => r.name.startsWith('flux')).map(({ inputs, ...r }) => r)).toStrictEqual([
      // Under mocks there is no stack resource: the component is a root.
      { type: COMPONENT, name: 'flux', urn: COMPONENT_URN, parent: '', dependencies: [], provider: '', custom: false },
      { type: 'kubernetes:core/v1:Namespace', name: 'flux-namespace', urn: namespace, parent: COMPONENT_URN, dependencies: [], provider: PROVIDER, custom: true },
      { type: 'kubernetes:helm.sh/v3:Release', name: 'flux-flux-operator', urn: release, parent: COMPONENT_URN, dependencies: [namespace], provider: PROVIDER, custom: true },
      // staging verifies the fleet's key: its public key, before anything that syncs
      { type: 'kubernetes:core/v1:Secret', name: 'flux-secret-fleet-cosign', urn: key, parent: COMPONENT_URN, dependencies: [release], provider: PROVIDER, custom: true },
      { type: 'kubernetes:core/v1:ConfigMap', name: 'flux-configmap-flux-runtime-info', urn: runtimeInfo, parent: COMPONENT_URN, dependencies: [key], provider: PROVIDER, custom: true },
      {
        type: 'kubernetes:fluxcd.controlplane.io/v1:FluxInstance',
        name: 'flux-fluxinstance-flux',
        urn: child('kubernetes:fluxcd.controlplane.io/v1:FluxInstance', 'flux-fluxinstance-flux'),
        parent: COMPONENT_URN,
        dependencies: [runtimeInfo],
        provider: PROVIDER,
        custom: true,
      },
    ]);
  });

  test('applies the namespace, the operator chart the fleet pins, and the bootstrap objects exactly as synth writes them', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const fleet = buildFleet(new App());
    const dist = join(mkdtempSync(join(tmpdir(), 'pulumi-')), 'dist');
    buildApp(dist).synth();

    // WHEN
    new FluxBootstrap('flux', { fleet, cluster: 'prod-eu-1' }, { provider });
    await settle();

    // THEN
    expect(byName(engine, 'flux-namespace').inputs).toStrictEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } });
    expect(byName(engine, 'flux-flux-operator').inputs).toStrictEqual({
      chart: FLUX_OPERATOR_CHART_URL,
      version: FLUX_OPERATOR_VERSION,
      name: 'flux-operator',
      namespace: 'flux-system',
      // prod-eu-1 has a tenant: the operator runs locked down, as its HelmRelease in the artifact says.
      values: { multitenancy: { enabled: true } },
      compat: 'true',
    });
    const applied = [byName(engine, 'flux-configmap-flux-runtime-info').inputs, byName(engine, 'flux-fluxinstance-flux').inputs];
    const objects = bootstrapObjects(fleet.bootstrap, fleet.bootstrapFacts(fleet.clusters.find((c) => c.name === 'prod-eu-1')!));
    const written = readBootstrapFile(dist, 'prod-eu-1');
    expect(applied).toStrictEqual(objects.slice(0, 2));
    expect(applied).toStrictEqual(written.slice(0, 2));
    expect(applied).toStrictEqual(readBootstrapFile(join(import.meta.dirname, '..', '..', 'examples', 'fleet', 'dist'), 'prod-eu-1').slice(0, 2));
    expect(applied.flatMap((o) => checkFluxSchema(o))).toStrictEqual([]);
    expect(applied[1].kind).toBe('FluxInstance');
    // The rest is the operator's self-upgrade, left to the first sync: the chart source and HelmRelease, whose
    // values match the release installed here.
    expect(written.slice(2).map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual(['OCIRepository/flux-operator', 'HelmRelease/flux-operator']);
    expect(written[3].spec.values).toStrictEqual(byName(engine, 'flux-flux-operator').inputs.values);
    expect(written[2].spec.ref.tag).toBe(byName(engine, 'flux-flux-operator').inputs.version);
  });

  test('outputs the cluster name, sync URL and tag, and registers them as the component\'s outputs', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const fleet = buildFleet(new App());

    // WHEN
    const flux = new FluxBootstrap('flux', { fleet, cluster: 'prod-us-1' }, { provider });
    await settle();

    // THEN
    const expected = {
      clusterName: 'prod-us-1',
      syncUrl: 'oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/fleet/clusters/prod-us-1',
      syncTag: 'stable-wave-2',
      namespace: 'flux-system',
      fluxVersion: '2.9.x',
      operatorVersion: FLUX_OPERATOR_VERSION,
    };
    expect({
      clusterName: await valueOf(flux.clusterName),
      syncUrl: await valueOf(flux.syncUrl),
      syncTag: await valueOf(flux.syncTag),
      namespace: await valueOf(flux.namespace),
      fluxVersion: await valueOf(flux.fluxVersion),
      operatorVersion: await valueOf(flux.operatorVersion),
    }).toStrictEqual(expected);
    expect(engine.outputs.get(COMPONENT_URN)).toStrictEqual(expected);
    expect(await pulumi.isSecret(flux.syncUrl)).toBe(false);
  });

  test('creates the registry pull secret, marked secret, after the namespace and before the operator', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const { fleet } = ghcrFleet();

    // WHEN
    const flux = new FluxBootstrap('flux', { fleet, cluster: 'stg-1', pullSecret: DOCKER_CONFIG }, { provider });
    await settle();

    // THEN
    const namespace = child('kubernetes:core/v1:Namespace', 'flux-namespace');
    const secret = byName(engine, 'flux-pull-secret');
    expect(secret).toStrictEqual({
      type: 'kubernetes:core/v1:Secret',
      name: 'flux-pull-secret',
      urn: child('kubernetes:core/v1:Secret', 'flux-pull-secret'),
      parent: COMPONENT_URN,
      dependencies: [namespace],
      provider: PROVIDER,
      custom: true,
      inputs: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'ghcr-pull', namespace: 'flux-system' },
        type: 'kubernetes.io/dockerconfigjson',
        // The SDK marks the whole field secret.
        stringData: { ...SECRET, value: { '.dockerconfigjson': DOCKER_CONFIG } },
      },
    });
    expect(byName(engine, 'flux-flux-operator').dependencies).toStrictEqual([secret.urn]);
    expect(byName(engine, 'flux-fluxinstance-flux').inputs.spec.sync.pullSecret).toBe('ghcr-pull');
    expect(await pulumi.isSecret(flux.pullSecretResource!.stringData)).toBe(true);
    // The other objects, those of the config repo, hold only the secret's name.
    const others = JSON.stringify(engine.resources.filter((r) => r.name !== 'flux-pull-secret').map((r) => r.inputs));
    expect(others).not.toContain(PULL_AUTH);
    expect(others).not.toContain('ghp_pullToken0123');
  });

  test('marks a pull secret given as an Output that is not secret as a secret', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const { fleet } = ghcrFleet();

    // WHEN
    new FluxBootstrap('flux', { fleet, cluster: 'stg-1', pullSecret: pulumi.output(DOCKER_CONFIG) }, { provider });
    await settle();

    // THEN
    expect(byName(engine, 'flux-pull-secret').inputs.stringData).toStrictEqual({ ...SECRET, value: { '.dockerconfigjson': DOCKER_CONFIG } });
  });

  test('takes the provider from providers, and the cluster as an object', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const fleet = buildFleet(new App());
    const cluster = fleet.clusters.find((c) => c.name === 'stg-us-1')!;

    // WHEN
    const flux = new FluxBootstrap('flux', { fleet, cluster }, { providers: [provider] });
    await settle();

    // THEN
    expect(await valueOf(flux.clusterName)).toBe('stg-us-1');
    // the namespace, the operator, the fleet's public key, the runtime info and the FluxInstance
    expect(engine.resources.filter((r) => r.parent === COMPONENT_URN).map((r) => r.provider)).toStrictEqual(Array(5).fill(PROVIDER));
  });

  test('installs the operator version and chart options given, over the fleet\'s, with the credentials marked secret', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const { fleet } = ghcrFleet({ bootstrap: Bootstrap.operator({ chartUrl: 'oci://mirror.acme.io/charts/flux-operator' }) });

    // WHEN
    const flux = new FluxBootstrap('flux', {
      fleet,
      cluster: 'stg-1',
      pullSecret: pulumi.secret(DOCKER_CONFIG),
      operator: { version: '0.59.0', repositoryOpts: { username: 'bot', password: 'token' }, timeout: 600 },
    }, { provider });
    await settle();

    // THEN
    expect(byName(engine, 'flux-flux-operator').inputs).toStrictEqual({
      chart: 'oci://mirror.acme.io/charts/flux-operator',
      version: '0.59.0',
      name: 'flux-operator',
      namespace: 'flux-system',
      repositoryOpts: { ...SECRET, value: { username: 'bot', password: 'token' } },
      timeout: 600,
      compat: 'true',
    });
    expect(await valueOf(flux.operatorVersion)).toBe('0.59.0');
  });

  test('fails when the registry needs a pull secret and none is given', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const { fleet } = ghcrFleet();

    // THEN
    expect(() => new FluxBootstrap('flux', { fleet, cluster: 'stg-1' }, { provider }))
      .toThrow(/the registry of cluster "stg-1" reads with the pull secret "ghcr-pull"; pass its content \(a \.dockerconfigjson\) as pullSecret/);
  });

  test('fails when a pull secret is given and the registry needs none', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const fleet = buildFleet(new App());

    // THEN
    expect(() => new FluxBootstrap('flux', { fleet, cluster: 'stg-eu-1', pullSecret: DOCKER_CONFIG }, { provider }))
      .toThrow(/pullSecret is set, but the registry of cluster "stg-eu-1" names no pull secret.*; drop pullSecret/);
  });

  test('fails when the pull secret is not a .dockerconfigjson, without quoting it', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const { fleet } = ghcrFleet();

    // WHEN
    const construct = () => new FluxBootstrap('flux', { fleet, cluster: 'stg-1', pullSecret: 'ghp_pullToken0123' }, { provider });

    // THEN
    expect(construct).toThrow(/FluxBootstrap "flux": pullSecret is not a \.dockerconfigjson; give the JSON object \{"auths"/);
    expect(construct).not.toThrow(/ghp_pullToken0123/);
  });

  test('fails when no Kubernetes provider is given', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const fleet = buildFleet(new App());

    // THEN
    expect(() => new FluxBootstrap('flux', { fleet, cluster: 'stg-eu-1' }))
      .toThrow(/FluxBootstrap "flux" has no Kubernetes provider; pass the cluster's, e\.g\. \{ provider: new k8s\.Provider/);
  });

  test('fails when a plain Flux cluster is given no install manifests, naming the command that writes them', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const { fleet } = ghcrFleet({ bootstrap: Bootstrap.plain() });

    // THEN
    expect(() => new FluxBootstrap('flux', { fleet, cluster: 'stg-1', pullSecret: DOCKER_CONFIG }, { provider }))
      .toThrow(/cluster "stg-1" runs plain Flux, which this component installs from Flux's install manifests; give them as fluxInstall, .*flux-fleet bootstrap <tree> --cluster stg-1 --flux-manifests <folder>/);
  });
});

describe('FluxBootstrap from a synthesized tree (release.json), with no fleet program', () => {
  const INSTALL = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: kustomizations.kustomize.toolkit.fluxcd.io }
spec: { group: kustomize.toolkit.fluxcd.io, names: { kind: Kustomization, plural: kustomizations }, scope: Namespaced, versions: [] }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: kustomize-controller, namespace: flux-system }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: kustomize-controller, namespace: flux-system }
spec: { selector: { matchLabels: { app: kustomize-controller } }, template: { metadata: { labels: { app: kustomize-controller } }, spec: { containers: [{ name: manager, image: ghcr.io/fluxcd/kustomize-controller:v1.10.0 }] } } }
`;

  test('an operator cluster gets the same resources from the tree as from the fleet', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const dist = join(mkdtempSync(join(tmpdir(), 'pulumi-tree-')), 'dist');
    buildApp(dist).synth();

    // WHEN
    new FluxBootstrap('tree', { tree: dist, cluster: 'prod-eu-1' }, { provider });
    new FluxBootstrap('fleet', { fleet: buildFleet(new App()), cluster: 'prod-eu-1' }, { provider });
    await settle();

    // THEN
    const of = (prefix: string) => engine.resources.filter((r) => r.name.startsWith(`${prefix}-`)).map((r) => ({ type: r.type, name: r.name.slice(prefix.length), inputs: r.inputs }));
    expect(of('tree')).toStrictEqual(of('fleet'));
    expect(of('tree').map((r) => r.name)).toStrictEqual(['-namespace', '-flux-operator', '-configmap-flux-runtime-info', '-fluxinstance-flux']);
  });

  test('a plain Flux cluster: Flux\'s install manifests, definitions first, then every bootstrap object after all of them', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const dist = join(mkdtempSync(join(tmpdir(), 'pulumi-tree-')), 'dist');
    buildApp(dist).synth();

    // WHEN
    const flux = new FluxBootstrap('flux', { tree: dist, cluster: 'stg-eu-2', fluxInstall: INSTALL }, { provider });
    await settle();

    // THEN
    const namespace = child('kubernetes:core/v1:Namespace', 'flux-namespace');
    const crd = child('kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition', 'flux-install-customresourcedefinition-kustomizations.kustomize.toolkit.fluxcd.io');
    const account = child('kubernetes:core/v1:ServiceAccount', 'flux-install-serviceaccount-flux-system-kustomize-controller');
    const deployment = child('kubernetes:apps/v1:Deployment', 'flux-install-deployment-flux-system-kustomize-controller');
    const resources = engine.resources.filter((r) => r.name.startsWith('flux-'));
    expect(Object.fromEntries(resources.map((r) => [r.name, r.dependencies]))).toStrictEqual(Object.fromEntries([
      ['flux-namespace', []],
      ['flux-install-customresourcedefinition-kustomizations.kustomize.toolkit.fluxcd.io', [namespace]],
      ['flux-install-serviceaccount-flux-system-kustomize-controller', [namespace, crd]],
      ['flux-install-deployment-flux-system-kustomize-controller', [namespace, crd]],
      ['flux-secret-fleet-cosign', [crd, account, deployment]],
      ['flux-configmap-flux-runtime-info', [child('kubernetes:core/v1:Secret', 'flux-secret-fleet-cosign')]],
      ['flux-ocirepository-flux-manifests', [child('kubernetes:core/v1:ConfigMap', 'flux-configmap-flux-runtime-info')]],
      ['flux-kustomization-flux-components', [child('kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository', 'flux-ocirepository-flux-manifests')]],
      ['flux-ocirepository-flux-system', [child('kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization', 'flux-kustomization-flux-components')]],
      ['flux-kustomization-flux-system', [child('kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository', 'flux-ocirepository-flux-system')]],
    ]));
    expect(byName(engine, 'flux-kustomization-flux-components').inputs).toStrictEqual(readBootstrapFile(dist, 'stg-eu-2')[2]);
    expect([flux.operatorRelease, flux.fluxInstance, await valueOf(flux.operatorVersion), await valueOf(flux.fluxVersion)]).toStrictEqual([undefined, undefined, '', '2.10.x']);
  });

  test('fails when given both a fleet and a tree, or install manifests for an operator cluster', async () => {
    // GIVEN
    const { FluxBootstrap } = await pulumiFrontEnd();
    const dist = join(mkdtempSync(join(tmpdir(), 'pulumi-tree-')), 'dist');
    buildApp(dist).synth();

    // THEN
    expect(() => new FluxBootstrap('both', { tree: dist, fleet: buildFleet(new App()), cluster: 'stg-eu-1' }, { provider }))
      .toThrow('FluxBootstrap "both": give either fleet (the fleet program\'s Fleet) or tree (a synthesized tree, the folder holding release.json), not both');
    expect(() => new FluxBootstrap('extra', { tree: dist, cluster: 'stg-eu-1', fluxInstall: INSTALL }, { provider }))
      .toThrow(/fluxInstall is set, but cluster "stg-eu-1" is bootstrapped through the Flux Operator, which installs Flux itself; drop fluxInstall/);
  });
});
