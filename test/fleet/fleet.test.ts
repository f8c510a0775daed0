import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../examples/fleet/app.js';
import { Bootstrap, ChartSource, ComponentSource, Fleet, FluxApp, Notification, Registry, Signing, SynthError } from '../../src/index.js';
import { validateTree } from '../../src/output/index.js';
import { testLock } from '../support/fleet-lock.js';

/** Artifacts other pipelines push, pinned by digest and mirrored into the fleet's registry. */
const DIGEST = `sha256:${'a'.repeat(64)}`;
const infraSource = ComponentSource.mirroredArtifact('oci://ghcr.io/acme/infra', { ref: { digest: DIGEST } });
const appsSource = ComponentSource.mirroredArtifact('oci://ghcr.io/acme/apps', { ref: { digest: DIGEST } });

const committed = join(import.meta.dirname, '..', '..', 'examples', 'fleet', 'dist');

function freshDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'fleet-')), 'dist');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

function readTree(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

function synthErrors(build: (app: FluxApp) => void): { errors: string[]; outdir: string } {
  const outdir = freshDir();
  const app = new FluxApp({ outdir });
  build(app);
  try {
    app.synth();
  } catch (e) {
    if (!(e instanceof SynthError)) throw e;
    return { errors: e.errors.map((x) => `[${x.path}] ${x.message}`), outdir };
  }
  return { errors: [], outdir };
}

/** A small valid fleet to break in one way per test. */
function smallFleet(app: FluxApp, props: Partial<ConstructorParameters<typeof Fleet>[2]> = {}) {
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    lock: testLock(['oci://ghcr.io/stefanprodan/charts/podinfo', { tag: '6.7.0' }], ['oci://registry-1.docker.io/bitnamicharts/postgresql', { semver: '16.x' }, '16.4.2']),
    ...props,
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', { channel: 'stable' });
  staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
  production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 1, vars: { domain: 'eu.acme.io' } });
  return { fleet, staging, production };
}

describe('the example fleet', () => {
  test('its committed output is what it synthesizes', () => {
    // GIVEN
    const outdir = freshDir();
    // WHEN
    buildApp(outdir).synth();
    // THEN
    expect(readTree(outdir)).toStrictEqual(readTree(committed));
  });

  test('validate passes on it: Flux schemas, references, cycles, and kubectl kustomize of every folder', async () => {
    const report = await validateTree(committed);
    expect(report.errors).toStrictEqual([]);
    // two staging clusters and three production clusters on Flux 2.9, and the staging canary stg-eu-2 on Flux 2.10
    expect(report.clusters).toBe(6);
  }, 120_000);

  test('maps the fleet onto clusters, waves, ordering and per-cluster values', () => {
    const tree = readTree(committed);
    const clusters = [...new Set(Object.keys(tree).filter((f) => f.startsWith('clusters/')).map((f) => f.split('/')[1]))];
    expect(clusters).toStrictEqual(['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1']);
    // Each wave follows its own tag; staging follows the channel.
    const bootstrap = (c: string) => parseAllDocuments(tree[`clusters/${c}/flux-system/flux-system.yaml`]).map((d) => d.toJS());
    const sync = (c: string) => bootstrap(c).find((o) => o.kind === 'FluxInstance').spec.sync;
    expect(sync('prod-eu-1')).toMatchObject({ ref: 'stable-wave-1', url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/clusters/prod-eu-1' });
    expect(sync('prod-ap-1')).toMatchObject({ ref: 'stable-wave-2', url: 'oci://123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/fleet/clusters/prod-ap-1' });
    expect(sync('stg-us-1')).toMatchObject({ ref: 'latest' });
    // The 2.10 canary runs plain Flux, no FluxInstance: Flux's signed release manifests at 2.10.x, and its own
    // flux-system OCIRepository following the channel.
    const canary = bootstrap('stg-eu-2');
    expect(canary.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual([
      'ConfigMap/flux-runtime-info', 'OCIRepository/flux-manifests', 'Kustomization/flux-components', 'OCIRepository/flux-system', 'Kustomization/flux-system',
      // staging verifies the fleet's key: its public key, for the first sync
      'Secret/fleet-cosign',
    ]);
    expect(canary.find((o) => o.metadata.name === 'flux-manifests').spec).toMatchObject({ url: 'oci://ghcr.io/fluxcd/flux-manifests', ref: { semver: '2.10.x' } });
    expect(canary.find((o) => o.kind === 'OCIRepository' && o.metadata.name === 'flux-system').spec)
      .toMatchObject({ url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/clusters/stg-eu-2', ref: { tag: 'latest' } });
    // The tenant's component reaches production only, reconciled as the tenant.
    expect(existsSync(join(committed, 'clusters/prod-us-1/web-shop.yaml'))).toBe(true);
    expect(existsSync(join(committed, 'clusters/stg-us-1/web-shop.yaml'))).toBe(false);
    expect(tree['clusters/prod-us-1/web-shop.yaml']).toContain('serviceAccountName: team-web');
    // Per-cluster Helm values.
    expect(tree['clusters/prod-eu-1/components/podinfo/podinfo.yaml']).toContain('host: podinfo.eu.acme.io');
    expect(tree['clusters/stg-us-1/components/podinfo/podinfo.yaml']).toContain('host: podinfo.stg-us.acme.io');
  });

  test('synthesizes byte-identical files, and a re-synth rewrites no file', () => {
    // GIVEN
    const outdir = freshDir();
    buildApp(outdir).synth();
    const before = Object.fromEntries(listFiles(outdir).map((f) => [f, statSync(join(outdir, f)).mtimeMs]));
    const bytes = readTree(outdir);
    // WHEN
    buildApp(outdir).synth();
    // THEN
    expect(readTree(outdir)).toStrictEqual(bytes);
    expect(Object.fromEntries(listFiles(outdir).map((f) => [f, statSync(join(outdir, f)).mtimeMs]))).toStrictEqual(before);
  });

  test('files of a removed cluster disappear', () => {
    const outdir = freshDir();
    cpSync(committed, outdir, { recursive: true });
    const app = new FluxApp({ outdir });
    smallFleet(app);
    app.synth();
    expect(readdirSync(join(outdir, 'clusters')).sort()).toStrictEqual(['prod-eu-1', 'stg-eu-1']);
  });
});

describe('broken fleets fail with clear messages and write nothing', () => {
  test('fails when a component depends on a component that exists on no cluster of its own', () => {
    const { errors, outdir } = synthErrors((app) => {
      const { fleet, production } = smallFleet(app);
      const edge = fleet.addComponent('edge-proxy', { source: infraSource, path: './edge', targets: { labels: { tier: 'edge' } } });
      fleet.addComponent('shop', { source: appsSource, targets: { environments: [production] }, dependsOn: [edge] });
    });
    expect(errors).toStrictEqual([
      '[acme/components/shop] depends on edge-proxy, which this cluster does not get; target edge-proxy at the cluster too, or narrow the targets of shop (on cluster prod-eu-1)',
    ]);
    expect(existsSync(outdir)).toBe(false);
  });

  test('fails when a component misses its dependency on some clusters only', () => {
    const { errors } = synthErrors((app) => {
      const { fleet, production } = smallFleet(app);
      const db = fleet.addComponent('db', { source: infraSource, path: './db', targets: { environments: [production] } });
      fleet.addComponent('api', { source: appsSource, path: './api', dependsOn: [db] });
    });
    expect(errors).toStrictEqual([
      '[acme/components/api] depends on db, which this cluster does not get; target db at the cluster too, or narrow the targets of api (on cluster stg-eu-1)',
    ]);
  });

  test('fails when components depend on each other in a cycle', () => {
    const { errors } = synthErrors((app) => {
      const { fleet } = smallFleet(app);
      const a = fleet.addComponent('a', { source: infraSource, path: './a' });
      const b = fleet.addComponent('b', { source: infraSource, path: './b', dependsOn: [a] });
      a.addDependency(b);
    });
    expect(errors).toStrictEqual(['[acme] component dependsOn cycle: a -> b -> a; remove one of these dependencies']);
  });

  test('fails when a cluster name is declared twice', () => {
    const { errors } = synthErrors((app) => {
      const { production } = smallFleet(app);
      production.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'x.acme.io' } });
    });
    expect(errors).toStrictEqual([
      '[acme] cluster "stg-eu-1" is declared 2 times (acme/staging/stg-eu-1, acme/production/stg-eu-1); cluster names must be unique across the fleet',
    ]);
  });

  test('fails when a cluster variable is not a valid substitution variable', () => {
    const { errors } = synthErrors((app) => {
      const fleet = new Fleet<Record<string, string>>(app, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }) });
      fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars: { 'cluster-domain': 'x' } });
    });
    expect(errors).toStrictEqual([
      '[acme/staging/stg-eu-1] vars.cluster-domain "cluster-domain" is not a valid substitution variable name: start with a letter or \'_\', then letters, digits or \'_\', e.g. "cluster_domain"',
    ]);
  });

  test('fails when a cluster variable has the name of a computed runtime fact', () => {
    // GIVEN / WHEN
    const { errors } = synthErrors((app) => {
      const fleet = new Fleet<Record<string, string>>(app, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }) });
      fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars: { CLUSTER_NAME: 'staging-1', domain: 'x' } });
    });
    // THEN
    expect(errors).toStrictEqual([
      '[acme/staging/stg-eu-1] vars.CLUSTER_NAME "staging-1" has the name of a runtime fact the fleet computes (CLUSTER_NAME, CLUSTER_ENVIRONMENT, CLUSTER_REGION, CLUSTER_WAVE, ARTIFACT_TAG), and would replace it in flux-runtime-info, which every component substitutes; give the variable another name, e.g. "CLUSTER_NAME_OVERRIDE"',
    ]);
  });

  test('fails when an interval is not a Go duration', () => {
    const { errors } = synthErrors((app) => {
      const { fleet } = smallFleet(app, { reconcileInterval: '5 minutes' });
      fleet.addComponent('infra', { source: infraSource });
    });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe('[acme/staging/stg-eu-1/infra/infra] spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5)');
  });

  test('fails when a path climbs out of its artifact', () => {
    const { errors } = synthErrors((app) => {
      smallFleet(app).fleet.addComponent('infra', { source: infraSource, path: '../secrets' });
    });
    expect(errors[0]).toBe('[acme/components/infra] path "../secrets" climbs out of the artifact with ".."; Flux clamps it to the root, so name a folder inside the artifact instead (on clusters stg-eu-1, prod-eu-1)');
  });

  test('fails when a registry is reached over plain HTTP without opting in', () => {
    const { errors } = synthErrors((app) => {
      smallFleet(app, { registry: Registry.generic({ host: 'http://registry.internal:5000', repository: 'fleet' }) });
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^\[acme\] registry: .*http:\/\/registry\.internal:5000.*insecure: true/);
  });

  test('fails when production has no signing identity, and passes when verification is turned off explicitly', () => {
    const noSigning = synthErrors((app) => {
      smallFleet(app, { signing: undefined });
    });
    expect(noSigning.errors).toStrictEqual([
      '[acme] environment production is production and requires signature verification, but the fleet declares no signing identity; set signing (e.g. Signing.githubActions({...})) on the fleet, or verify: false on the environment to turn verification off explicitly',
    ]);
    const optedOut = synthErrors((app) => {
      const fleet = new Fleet(app, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }) });
      fleet.addEnvironment('production', { channel: 'stable', verify: false }).addCluster('prod-eu-1', { region: 'eu-west-1' });
    });
    expect(optedOut.errors).toStrictEqual([]);
  });

  test('fails when a production Helm chart has no signing identity', () => {
    const { errors } = synthErrors((app) => {
      smallFleet(app).fleet.addHelmComponent('podinfo', { chart: ChartSource.oci('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0' }) });
    });
    expect(errors).toStrictEqual([
      '[acme/components/podinfo] chart "oci://ghcr.io/stefanprodan/charts/podinfo" has no signing identity, and production requires verification; set chart signing (e.g. Signing.githubActions(...)), or Signing.none() to turn it off explicitly (on cluster prod-eu-1)',
    ]);
  });

  test('fails when a notification would put a secret in the config repo', () => {
    expect(Notification.slack({ channel: 'x', secretName: 'slack-token' }).validate()).toStrictEqual([]);
    const { errors } = synthErrors((app) => {
      smallFleet(app, { notifications: [Notification.slack({ channel: 'x', secretName: 'Not A Secret Name' })] });
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^\[acme\] notification slack: Notification.slack\(\) secretName/);
  });

  test('fails when Helm values or substitutions hold a literal credential', () => {
    const { errors } = synthErrors((app) => {
      const { fleet, staging } = smallFleet(app);
      fleet.addHelmComponent('db', {
        chart: ChartSource.oci('oci://registry-1.docker.io/bitnamicharts/postgresql', { version: '16.x', signing: Signing.none() }),
        targets: { environments: [staging] },
        values: { auth: { username: 'app', password: 'hunter2', existingSecret: '' } },
      });
      fleet.addComponent('api', { source: appsSource, targets: { environments: [staging] }, substitutions: () => ({ DB_PASSWORD: 'hunter2' }) });
    });
    expect(errors).toStrictEqual([
      '[acme/components/db] values.auth.password holds a literal value under the credential-like key "password", which would be written to the config repo in plain text; put it in a Secret on the cluster and reference it with valuesFrom (targetPath "auth.password"), or declare allowLiteralValues(<construct>, "values.auth.password") if it is not a credential (on cluster stg-eu-1)',
      '[acme/components/api] substitute.DB_PASSWORD holds a literal value under the credential-like key "DB_PASSWORD", which would be written to the config repo in plain text; keep it in a Secret on the cluster (or a SOPS-encrypted file in the artifact) and substitute from there, or declare allowLiteralValues(<construct>, "substitute.DB_PASSWORD") if it is not a credential (on cluster stg-eu-1)',
    ]);
  });

  test('credentials referenced from a Secret with valuesFrom pass', () => {
    const { errors } = synthErrors((app) => {
      const { fleet, staging } = smallFleet(app);
      fleet.addHelmComponent('db', {
        chart: ChartSource.oci('oci://registry-1.docker.io/bitnamicharts/postgresql', { version: '16.x', signing: Signing.none() }),
        targets: { environments: [staging] },
        values: { auth: { username: 'app' } },
        valuesFrom: [{ kind: 'Secret', name: 'db-credentials', valuesKey: 'password', targetPath: 'auth.password' }],
      });
    });
    expect(errors).toStrictEqual([]);
  });

  test('a failed synth leaves the previous output untouched', () => {
    // GIVEN
    const outdir = freshDir();
    buildApp(outdir).synth();
    const before = readTree(outdir);
    // WHEN
    const app = new FluxApp({ outdir });
    smallFleet(app).fleet.addComponent('infra', { source: infraSource, path: '../x' });
    // THEN
    expect(() => app.synth()).toThrow(SynthError);
    expect(readTree(outdir)).toStrictEqual(before);
  });

  test('plain Flux bootstrap synthesizes a tree that validates', async () => {
    const outdir = freshDir();
    const app = new FluxApp({ outdir });
    smallFleet(app, { flux: { bootstrap: Bootstrap.plain() } }).fleet.addComponent('infra', { source: infraSource, path: './controllers' });
    app.synth();
    const report = await validateTree(outdir);
    expect(report.errors).toStrictEqual([]);
    expect(listFiles(join(outdir, 'clusters/prod-eu-1'))).toStrictEqual([
      'flux-system/flux-system.yaml', 'flux-system/kustomization.yaml', 'infra.yaml', 'kustomization.yaml', 'sources.yaml',
    ]);
  }, 120_000);
});
