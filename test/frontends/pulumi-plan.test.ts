import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { buildApp, buildFleet } from '../../examples/fleet/app.js';
import { planFluxBootstrap, planFluxBootstrapFromTree } from '../../src/frontends/pulumi/bootstrap-plan.js';
import {
  Bootstrap, checkFluxSchema, ComponentSource, Fleet, FLUX_OPERATOR_CHART_URL, FLUX_OPERATOR_VERSION, FluxApp, Registry, Signing, SynthError,
} from '../../src/index.js';
import { bootstrapObjects } from '../../src/output/index.js';

const committed = join(import.meta.dirname, '..', '..', 'examples', 'fleet', 'dist');

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

describe('planFluxBootstrap', () => {
  test('plans the example cluster: the operator install, then the objects synth writes, in their order', () => {
    // GIVEN
    const fleet = buildFleet(new App());

    // WHEN
    const plan = planFluxBootstrap(fleet, 'stg-eu-1');

    // THEN
    const objects = readBootstrapFile(committed, 'stg-eu-1');
    expect(plan).toStrictEqual({
      clusterName: 'stg-eu-1',
      kind: 'operator',
      namespace: 'flux-system',
      syncUrl: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/clusters/stg-eu-1',
      syncTag: 'latest',
      fluxVersion: '2.9.x',
      operator: { chart: FLUX_OPERATOR_CHART_URL, version: FLUX_OPERATOR_VERSION, releaseName: 'flux-operator', namespace: 'flux-system' },
      // staging's public key (written after the objects that verify with it) first
      apply: [objects[4], objects[0], objects[1]],
      fromSync: [objects[2], objects[3]],
    });
    expect(plan.apply.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual(['Secret/fleet-cosign', 'ConfigMap/flux-runtime-info', 'FluxInstance/flux']);
    expect(plan.fromSync.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual(['OCIRepository/flux-operator', 'HelmRelease/flux-operator']);
  });

  test('every cluster of the example: the objects are bootstrapObjects() and what synth writes, and pass the Flux schemas', () => {
    // GIVEN
    const dist = join(mkdtempSync(join(tmpdir(), 'pulumi-plan-')), 'dist');
    buildApp(dist).synth();
    const fleet = buildFleet(new App());

    for (const cluster of fleet.clusters) {
      // WHEN
      const plan = planFluxBootstrap(fleet, cluster);

      // THEN
      // the public material first (staging verifies a key), then the objects
      const objects = [...plan.apply, ...plan.fromSync];
      const materialFirst = (list: Record<string, any>[]) => [...list.filter((o) => o.kind === 'Secret'), ...list.filter((o) => o.kind !== 'Secret')];
      const rendered = bootstrapObjects(fleet.bootstrapOf(cluster), fleet.bootstrapFacts(cluster));
      expect(objects).toStrictEqual([...fleet.syncVerificationSecrets(cluster), ...rendered]);
      expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toStrictEqual(cluster.environment === 'staging' ? ['fleet-cosign'] : []);
      expect(objects).toStrictEqual(materialFirst(readBootstrapFile(dist, cluster.name)));
      expect(objects).toStrictEqual(materialFirst(readBootstrapFile(committed, cluster.name)));
      expect(objects.flatMap((o) => checkFluxSchema(o, { fluxMinor: cluster.name === 'stg-eu-2' ? '2.10' : '2.9' }))).toStrictEqual([]);
      // and the plan read from the synthesized tree alone is the same
      expect(planFluxBootstrapFromTree(dist, cluster.name)).toStrictEqual(plan);
    }
  });

  test('the example\'s stg-eu-2, on plain Flux 2.10: Flux\'s release manifests first, fitted as flux-components fits them, then every object', () => {
    // GIVEN
    const fleet = buildFleet(new App());

    // WHEN
    const plan = planFluxBootstrap(fleet, 'stg-eu-2');

    // THEN
    expect({ kind: plan.kind, operator: plan.operator, fromSync: plan.fromSync, fluxVersion: plan.fluxVersion }).toStrictEqual({ kind: 'plain', operator: undefined, fromSync: [], fluxVersion: '2.10.x' });
    expect(plan.apply.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual([
      'Secret/fleet-cosign', 'ConfigMap/flux-runtime-info', 'OCIRepository/flux-manifests', 'Kustomization/flux-components', 'OCIRepository/flux-system', 'Kustomization/flux-system',
    ]);
    const components = plan.apply.find((o) => o.metadata.name === 'flux-components')!;
    expect(plan.fluxManifests).toStrictEqual({ url: 'oci://ghcr.io/fluxcd/flux-manifests', ref: { semver: '2.10.x' }, patches: components.spec.patches, images: [] });
  });

  test('takes the operator chart, version and values from the fleet bootstrap, and names the pull secret', () => {
    // GIVEN
    const { fleet, staging } = ghcrFleet({
      bootstrap: Bootstrap.operator({ version: '0.60.0', chartUrl: 'oci://mirror.acme.io/charts/flux-operator', values: { logLevel: 'debug' } }),
    });
    fleet.addTenant('team-web', { targets: { environments: [staging] } });

    // WHEN
    const plan = planFluxBootstrap(fleet, 'stg-1');

    // THEN
    expect(plan.operator).toStrictEqual({
      chart: 'oci://mirror.acme.io/charts/flux-operator',
      version: '0.60.0',
      releaseName: 'flux-operator',
      namespace: 'flux-system',
      values: { multitenancy: { enabled: true }, logLevel: 'debug' },
    });
    expect(plan.pullSecret).toStrictEqual({ name: 'ghcr-pull', namespace: 'flux-system' });
    expect(plan.apply[1].spec.sync.pullSecret).toBe('ghcr-pull');
  });

  test('an operator version given to the plan overrides the fleet\'s', () => {
    // GIVEN
    const { fleet, cluster } = ghcrFleet();

    // WHEN
    const plan = planFluxBootstrap(fleet, cluster, { operatorVersion: '0.59.0' });

    // THEN
    expect(plan.operator?.version).toBe('0.59.0');
    expect(plan.fromSync[0].spec.ref).toStrictEqual({ tag: FLUX_OPERATOR_VERSION });
  });

  test('fails when the cluster is not in the fleet', () => {
    // GIVEN
    const fleet = buildFleet(new App());

    // THEN
    expect(() => planFluxBootstrap(fleet, 'stg-eu-3')).toThrow(/no cluster "stg-eu-3"; use one of "stg-eu-1", "stg-us-1", "stg-eu-2", "prod-eu-1"/);
  });

  test('fails when the cluster belongs to another fleet', () => {
    // GIVEN
    const fleet = buildFleet(new App());
    const { cluster } = ghcrFleet();

    // THEN
    expect(() => planFluxBootstrap(fleet, cluster)).toThrow(/Cluster "stg-1" \(acme\/staging\/stg-1\) is not a cluster of fleet acme; pass one of its clusters/);
  });

  test('fails when the tree lacks the cluster, naming those it has', () => {
    // GIVEN
    const dist = join(mkdtempSync(join(tmpdir(), 'pulumi-plan-')), 'dist');
    buildApp(dist).synth();

    // THEN
    expect(() => planFluxBootstrapFromTree(dist, 'prod-eu-9')).toThrow(/release\.json lists no cluster "prod-eu-9"; use one of "prod-ap-1", "prod-eu-1"/);
  });

  test('fails when the operator version is not exact', () => {
    // GIVEN
    const { fleet } = ghcrFleet();

    // THEN
    expect(() => planFluxBootstrap(fleet, 'stg-1', { operatorVersion: '0.58.x' }))
      .toThrow(/operator version "0\.58\.x" is not a chart version; pin an exact one, e\.g\. "0\.58\.1"/);
  });

  test('fails when the registry is invalid for the cluster\'s region', () => {
    // GIVEN
    const fleet = new Fleet(new App(), 'acme', { registry: Registry.ecr({ account: '1234', repository: 'fleet' }), signing: Signing.none() });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu-west-1' });

    // THEN
    expect(() => planFluxBootstrap(fleet, 'stg-1')).toThrow(/^Cannot bootstrap cluster "stg-1": its fleet fails synth with 1 error; nothing was applied:\n {2}\[acme\] .*Registry\.ecr\(\) account "1234" is not an AWS account id/);
  });

  test('fails when the fleet fails synth, with the report synth prints', () => {
    // GIVEN
    const build = (app: FluxApp) => {
      const fleet = buildFleet(app);
      fleet.addComponent('broken', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/infra', { repository: 'infra', ref: { digest: `sha256:${'1'.repeat(64)}` } }), path: '../elsewhere', interval: '5 minutes' });
      return fleet;
    };
    const synthApp = new FluxApp({ outdir: join(mkdtempSync(join(tmpdir(), 'pulumi-plan-')), 'dist') });
    build(synthApp);
    let synthError: SynthError | undefined;
    try {
      synthApp.synth();
    } catch (e) {
      synthError = e as SynthError;
    }

    // WHEN
    let planError: SynthError | undefined;
    try {
      planFluxBootstrap(build(new FluxApp()), 'stg-eu-1');
    } catch (e) {
      planError = e as SynthError;
    }

    // THEN
    expect(synthError?.lines).toHaveLength(2);
    expect(planError?.lines).toStrictEqual(synthError?.lines);
    expect(planError?.message.split('\n')).toStrictEqual([
      'Cannot bootstrap cluster "stg-eu-1": its fleet fails synth with 2 errors; nothing was applied:',
      ...synthError!.message.split('\n').slice(1),
    ]);
  });
});
