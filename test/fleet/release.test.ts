import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../examples/fleet/app.js';
import { renderLockFile } from '../../src/fleet/fleet-lock.js';
import { packArtifact } from '../../src/flux/artifact/index.js';
import { Channel, ChartSource, ComponentSource, Fleet, FluxApp, Registry, Signing, SynthError, FleetLock } from '../../src/index.js';
import { readBootstrapPlan } from '../../src/output/cluster-bootstrap.js';
import { parseReleaseManifest, readReleaseManifest, ReleaseManifest, ReleaseManifestError } from '../../src/output/index.js';
import { lockedDigest, testLock } from '../support/fleet-lock.js';

const committed = join(import.meta.dirname, '..', '..', 'examples', 'fleet', 'dist');
const DIGEST = `sha256:${'b'.repeat(64)}`;
const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files (path → text) under `root`. */
function writeFiles(root: string, files: Record<string, string>): string {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function readTree(dir: string): Map<string, Buffer> {
  return new Map(listFiles(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

/** The digest of packing a folder's files again, as delivery does: default modes, the reproducible creation time. */
function packedDigest(dir: string): string {
  const files = listFiles(dir).map((f) => ({ path: f.split('\\').join('/'), content: readFileSync(join(dir, f)) }));
  return packArtifact(files, { created: '1970-01-01T00:00:00Z' }).digest;
}

function objectsOf(file: string): any[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
}

const kustomization = (resources: string[]) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}\n`).join('')}`;
const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  value: "${value}"\n`;

/** A fleet repository: `infra/` (controllers, configs) and `apps/` (shop). */
function fleetRepo(): string {
  const root = tempDir('fleet-repo-');
  writeFiles(root, {
    'infra/controllers/kustomization.yaml': kustomization(['controllers.yaml']),
    'infra/controllers/controllers.yaml': configMap('controllers', 'v1'),
    'infra/configs/kustomization.yaml': kustomization(['configs.yaml']),
    'infra/configs/configs.yaml': configMap('configs', 'v1'),
    'apps/shop/kustomization.yaml': kustomization(['deploy.yaml']),
    'apps/shop/deploy.yaml': configMap('shop', 'v1'),
  });
  return root;
}

/**
 * A fleet reading `infra/` on every cluster and `apps/` in production only, with staging, production in two waves and
 * two regions.
 */
function repoFleet(app: FluxApp, baseDir: string) {
  const fleet = new Fleet(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    baseDir,
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', { channel: 'stable' });
  staging.addCluster('stg-eu-1', { region: 'eu-west-1' });
  production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 1 });
  production.addCluster('prod-us-1', { region: 'us-east-1', wave: 2 });
  const infra = ComponentSource.folder('infra');
  const controllers = fleet.addComponent('infra-controllers', { source: infra, path: './controllers', wait: true });
  fleet.addComponent('infra-configs', { source: infra, path: './configs', dependsOn: [controllers] });
  fleet.addComponent('shop', { source: ComponentSource.folder('./apps'), path: './shop', targets: { environments: [production] } });
  return { fleet, staging, production };
}

function synth(build: (app: FluxApp) => void): string {
  const outdir = join(tempDir('release-'), 'dist');
  const app = new FluxApp({ outdir });
  build(app);
  app.synth();
  return outdir;
}

function synthErrors(build: (app: FluxApp) => void): { errors: string[]; outdir: string } {
  const outdir = join(tempDir('release-'), 'dist');
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

/**
 * The OCIRepository a component's file on a cluster reads: the one in the file (a Helm component's folder), or the
 * shared one in the cluster's `sources.yaml` its Kustomization names.
 */
function sourceSpec(outdir: string, cluster: string, file: string): any {
  const objects = objectsOf(join(outdir, 'clusters', cluster, file));
  const own = objects.find((o) => o.kind === 'OCIRepository');
  if (own) return own.spec;
  const name = objects.find((o) => o.kind === 'Kustomization').spec.sourceRef.name;
  return objectsOf(join(outdir, 'clusters', cluster, 'sources.yaml')).find((o) => o.kind === 'OCIRepository' && o.metadata.name === name).spec;
}

/** The `ref` of the OCIRepository a component's file on a cluster reads. */
function sourceRef(outdir: string, cluster: string, file: string): unknown {
  return sourceSpec(outdir, cluster, file).ref;
}

describe('the example fleet\'s release', () => {
  test('each cluster pins the digest of packing artifacts/<name>/ again, which release.json lists', async () => {
    // GIVEN
    const release = await readReleaseManifest(committed);
    // WHEN
    const infra = packedDigest(join(committed, 'artifacts', 'infra'));
    // THEN
    expect(release.artifacts).toStrictEqual([{
      name: 'infra',
      folder: 'artifacts/infra',
      digest: infra,
      targets: [
        { region: 'ap-southeast-1', url: 'oci://123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/fleet/infra' },
        { region: 'eu-west-1', url: `oci://${EU}/fleet/infra` },
        { region: 'us-east-1', url: `oci://${US}/fleet/infra` },
      ],
    }]);
    const pinned = release.clusters.flatMap((c) => ['infra-controllers.yaml', 'infra-configs.yaml']
      .map((f) => sourceSpec(committed, c.name, f))
      .map((spec) => [c.name, spec.url.replace(/^oci:\/\/[^/]+\//, ''), spec.ref]));
    expect(pinned).toStrictEqual(release.clusters.flatMap((c) => [
      [c.name, 'fleet/infra', { digest: infra }],
      [c.name, 'fleet/infra', { digest: infra }],
    ]));
    // The packed folder is exactly the source folder.
    expect(readTree(join(committed, 'artifacts', 'infra'))).toStrictEqual(readTree(join(committed, '..', 'infra')));
  });

  test('kubectl kustomize builds every folder under artifacts/ that has a kustomization.yaml', () => {
    // GIVEN
    const folders = listFiles(join(committed, 'artifacts'))
      .filter((f) => f.endsWith('/kustomization.yaml'))
      .map((f) => dirname(f));
    expect(folders).toStrictEqual(['infra/configs', 'infra/controllers']);
    // WHEN
    const built = folders.map((folder) => {
      const out = execFileSync('kubectl', ['kustomize', join(committed, 'artifacts', folder)], { encoding: 'utf8', timeout: 60_000 });
      return parseAllDocuments(out).map((d) => `${d.toJS().kind}/${d.toJS().metadata.name}`);
    });
    // THEN
    expect(built).toStrictEqual([
      ['ConfigMap/cluster-settings', 'LimitRange/default-limits'],
      ['Namespace/ingress', 'ConfigMap/ingress-defaults'],
    ]);
  }, 120_000);

  test('lists the mirrored chart (staging on a range, production pinned by the lock), the web team\'s artifact and the smoke tests', async () => {
    const release = await readReleaseManifest(committed);
    const summary = release.external.map((x) => ({
      kind: x.kind,
      component: x.component,
      upstream: x.upstream,
      mirror: x.mirror,
      verify: x.verify,
      refs: x.targets.map((t) => `${t.region} ${JSON.stringify(t.ref)}${t.locked ? ` locked from ${JSON.stringify(t.locked.declared)}` : ''} ${t.clusters.join(',')}`),
    }));
    // production's 6.7.0 is the digest the example's lock file records
    const locked = JSON.parse(readFileSync(join(committed, '..', 'flux-fleet.lock'), 'utf8')).entries[0].digest;
    expect(summary).toStrictEqual([
      {
        kind: 'chart',
        component: 'podinfo',
        upstream: 'oci://ghcr.io/stefanprodan/charts/podinfo',
        mirror: true,
        verify: true,
        refs: [
          `ap-southeast-1 {"digest":"${locked}"} locked from {"tag":"6.7.0"} prod-ap-1`,
          `eu-west-1 {"digest":"${locked}"} locked from {"tag":"6.7.0"} prod-eu-1`,
          'eu-west-1 {"semver":"6.x"} stg-eu-1,stg-eu-2',
          `us-east-1 {"digest":"${locked}"} locked from {"tag":"6.7.0"} prod-us-1`,
          'us-east-1 {"semver":"6.x"} stg-us-1',
        ],
      },
      {
        kind: 'artifact',
        component: 'smoke-tests',
        upstream: 'oci://ghcr.io/acme/smoke-tests',
        mirror: false,
        verify: true,
        refs: ['eu-west-1 {"tag":"main"} stg-eu-1,stg-eu-2', 'us-east-1 {"tag":"main"} stg-us-1'],
      },
      {
        kind: 'artifact',
        component: 'web-shop',
        upstream: 'oci://ghcr.io/acme/web-shop-manifests',
        mirror: true,
        verify: true,
        refs: [
          'ap-southeast-1 {"digest":"sha256:8226ad9ef8fd884909e2bced7f0cbb2f526d23271043977a401d95273566cef4"} prod-ap-1',
          'eu-west-1 {"digest":"sha256:8226ad9ef8fd884909e2bced7f0cbb2f526d23271043977a401d95273566cef4"} prod-eu-1',
          'us-east-1 {"digest":"sha256:8226ad9ef8fd884909e2bced7f0cbb2f526d23271043977a401d95273566cef4"} prod-us-1',
        ],
      },
    ]);
    expect(sourceRef(committed, 'prod-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ digest: locked });
    expect(sourceRef(committed, 'stg-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ semver: '6.x' });
    expect(sourceRef(committed, 'stg-eu-2', 'components/podinfo/podinfo.yaml')).toStrictEqual({ semver: '6.x' });
  });
});

describe('folder sources', () => {
  test('release.json of a small fleet: environments, clusters, the packed folders and their regions', async () => {
    // GIVEN
    const repo = fleetRepo();
    // WHEN
    const outdir = synth((app) => repoFleet(app, repo));
    // THEN
    const infra = packedDigest(join(repo, 'infra'));
    const apps = packedDigest(join(repo, 'apps'));
    const expected: ReleaseManifest = {
      version: 1,
      environments: [
        { name: 'production', channel: { kind: 'tag', value: 'stable' }, production: true, deployOnPush: false },
        { name: 'staging', channel: { kind: 'tag', value: 'latest' }, production: false, deployOnPush: true },
      ],
      clusters: [
        { name: 'prod-eu-1', environment: 'production', region: 'eu-west-1', wave: 1, url: `oci://${EU}/fleet/clusters/prod-eu-1`, tag: 'stable-wave-1', flux: '2.9.x' },
        { name: 'prod-us-1', environment: 'production', region: 'us-east-1', wave: 2, url: `oci://${US}/fleet/clusters/prod-us-1`, tag: 'stable-wave-2', flux: '2.9.x' },
        { name: 'stg-eu-1', environment: 'staging', region: 'eu-west-1', url: `oci://${EU}/fleet/clusters/stg-eu-1`, tag: 'latest', flux: '2.9.x' },
      ],
      artifacts: [
        { name: 'apps', folder: 'artifacts/apps', digest: apps, targets: [{ region: 'eu-west-1', url: `oci://${EU}/fleet/apps` }, { region: 'us-east-1', url: `oci://${US}/fleet/apps` }] },
        { name: 'infra', folder: 'artifacts/infra', digest: infra, targets: [{ region: 'eu-west-1', url: `oci://${EU}/fleet/infra` }, { region: 'us-east-1', url: `oci://${US}/fleet/infra` }] },
      ],
      external: [],
    };
    expect(JSON.parse(readFileSync(join(outdir, 'release.json'), 'utf8'))).toStrictEqual(expected);
    expect(await readReleaseManifest(outdir)).toStrictEqual(expected);
    expect(readFileSync(join(outdir, 'release.json'), 'utf8')).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(sourceRef(outdir, 'prod-us-1', 'shop.yaml')).toStrictEqual({ digest: apps });
    expect(sourceRef(outdir, 'stg-eu-1', 'infra-configs.yaml')).toStrictEqual({ digest: infra });
    expect(packedDigest(join(outdir, 'artifacts', 'apps'))).toBe(apps);
  });

  test('a change to one component\'s folder changes only that artifact\'s digest and the files of clusters that get it', () => {
    // GIVEN
    const repo = fleetRepo();
    const before = synth((app) => repoFleet(app, repo));
    // WHEN
    writeFileSync(join(repo, 'apps/shop/deploy.yaml'), configMap('shop', 'v2'));
    const after = synth((app) => repoFleet(app, repo));
    // THEN
    const [a, b] = [readTree(before), readTree(after)];
    expect([...a.keys()]).toStrictEqual([...b.keys()]);
    const changed = [...a.keys()].filter((f) => !a.get(f)!.equals(b.get(f)!));
    // the marker records release.json's digest, which changes with it
    expect(changed).toStrictEqual([
      '.flux-fleet',
      'artifacts/apps/shop/deploy.yaml',
      'clusters/prod-eu-1/sources.yaml',
      'clusters/prod-us-1/sources.yaml',
      'release.json',
    ]);
    const digests = (dir: string) => JSON.parse(readFileSync(join(dir, 'release.json'), 'utf8')).artifacts.map((x: any) => x.digest);
    expect(digests(after)[1]).toBe(digests(before)[1]);
    expect(digests(after)[0]).not.toBe(digests(before)[0]);
  });

  test('two synths are byte-identical, and a re-synth rewrites no file', () => {
    // GIVEN
    const repo = fleetRepo();
    const first = synth((app) => repoFleet(app, repo));
    const second = synth((app) => repoFleet(app, repo));
    const inodes = (dir: string) => listFiles(dir).map((f) => execFileSync('stat', ['-c', '%i %Y', join(dir, f)], { encoding: 'utf8' }));
    const before = inodes(first);
    // WHEN
    const app = new FluxApp({ outdir: first });
    repoFleet(app, repo);
    app.synth();
    // THEN
    expect(readTree(second)).toStrictEqual(readTree(first));
    expect(inodes(first)).toStrictEqual(before);
  }, 60_000);

  test('copies the folder byte for byte; its digest ignores file modes', () => {
    // GIVEN: CRLF line endings, no final newline, an executable file
    const repo = tempDir('fleet-repo-');
    writeFiles(repo, { 'tools/kustomization.yaml': 'resources:\r\n  - cm.yaml', 'tools/cm.yaml': configMap('cm', 'x'), 'tools/run.sh': '#!/bin/sh\n' });
    chmodSync(join(repo, 'tools/run.sh'), 0o755);
    const build = (app: FluxApp) => {
      const fleet = new Fleet(app, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }), baseDir: repo });
      fleet.addEnvironment('dev', { channel: 'latest' }).addCluster('dev-1', { region: 'eu-west-1' });
      fleet.addComponent('tools', { source: ComponentSource.folder('tools') });
    };
    // WHEN
    const outdir = synth(build);
    chmodSync(join(repo, 'tools/run.sh'), 0o644);
    const again = synth(build);
    // THEN
    expect(readTree(join(outdir, 'artifacts/tools'))).toStrictEqual(readTree(join(repo, 'tools')));
    expect(sourceRef(outdir, 'dev-1', 'tools.yaml')).toStrictEqual({ digest: packedDigest(join(repo, 'tools')) });
    expect(readTree(again)).toStrictEqual(readTree(outdir));
  });

  test('an app of two fleets writes each fleet\'s packed folders and release.json in its own folder', () => {
    // GIVEN
    const repo = fleetRepo();
    // WHEN
    const outdir = synth((app) => {
      for (const id of ['blue', 'green']) {
        const fleet = new Fleet(app, id, { registry: Registry.ecr({ account: '123456789012', repository: id }), baseDir: repo });
        fleet.addEnvironment('dev', { channel: 'latest' }).addCluster(`${id}-1`, { region: 'eu-west-1' });
        fleet.addComponent('shop', { source: ComponentSource.folder('apps'), path: './shop' });
      }
    });
    // THEN
    expect(listFiles(outdir).filter((f) => f.startsWith('blue/artifacts/') || f.endsWith('release.json'))).toStrictEqual([
      'blue/artifacts/apps/shop/deploy.yaml', 'blue/artifacts/apps/shop/kustomization.yaml', 'blue/release.json', 'green/release.json',
    ]);
    const green = JSON.parse(readFileSync(join(outdir, 'green/release.json'), 'utf8'));
    expect(green.artifacts).toStrictEqual([{
      name: 'apps', folder: 'artifacts/apps', digest: packedDigest(join(repo, 'apps')), targets: [{ region: 'eu-west-1', url: `oci://${EU}/green/apps` }],
    }]);
  });

  test('fails when the folder is missing, and writes nothing', () => {
    const repo = fleetRepo();
    const { errors, outdir } = synthErrors((app) => {
      const { fleet } = repoFleet(app, repo);
      fleet.addComponent('extra', { source: ComponentSource.folder('./nope') });
    });
    expect(errors).toStrictEqual([
      `[acme/components/extra] folder "./nope" does not exist (looked for ${join(repo, 'nope')}); create it, or fix the path (relative paths start at the fleet's baseDir)`,
    ]);
    expect(existsSync(outdir)).toBe(false);
  });

  test('fails when the folder holds a symbolic link or a special file', () => {
    const repo = fleetRepo();
    symlinkSync(join(repo, 'infra/configs/configs.yaml'), join(repo, 'infra/controllers/link.yaml'));
    execFileSync('mkfifo', [join(repo, 'apps/shop/pipe')]);
    const { errors } = synthErrors((app) => repoFleet(app, repo));
    expect(errors).toStrictEqual([
      '[acme/components/infra-controllers] folder "infra" holds a symbolic link, controllers/link.yaml; a Flux artifact holds regular files only, so replace the link with the file it points to',
      '[acme/components/infra-configs] folder "infra" holds a symbolic link, controllers/link.yaml; a Flux artifact holds regular files only, so replace the link with the file it points to',
      '[acme/components/shop] folder "./apps" holds shop/pipe, which is not a regular file (a socket, device or pipe); remove it from the folder',
    ]);
  });

  test('fails when a path is not a folder of the source, or climbs out of it', () => {
    const repo = fleetRepo();
    const { errors } = synthErrors((app) => {
      const { fleet } = repoFleet(app, repo);
      fleet.addComponent('typo', { source: ComponentSource.folder('infra'), path: './controlers' });
      fleet.addComponent('escape', { source: ComponentSource.folder('infra'), path: '../apps' });
    });
    expect(errors).toStrictEqual([
      '[acme/components/typo] path "./controlers" is not a folder of "infra"; use one of "./configs", "./controllers"',
      '[acme/components/escape] path "../apps" climbs out of the artifact with ".."; Flux clamps it to the root, so name a folder inside the artifact instead (on clusters stg-eu-1, prod-eu-1, prod-us-1)',
    ]);
  });

  test('fails when one folder is given two names', () => {
    const repo = fleetRepo();
    const { errors } = synthErrors((app) => {
      const { fleet } = repoFleet(app, repo);
      fleet.addComponent('renamed', { source: ComponentSource.folder('infra', { name: 'platform' }), path: './configs' });
    });
    expect(errors).toStrictEqual([
      `[acme/components/renamed] folder "infra" is packed once, as artifact "infra", but is also named "platform" here; give every ComponentSource.folder() of ${join(repo, 'infra')} the same name, or share one ComponentSource`,
    ]);
  });

  test('fails when a file name cannot be a path in an artifact', () => {
    const repo = fleetRepo();
    writeFiles(repo, { 'apps/shop/back\\slash.yaml': configMap('x', 'y') });
    const { errors } = synthErrors((app) => repoFleet(app, repo));
    expect(errors).toStrictEqual([
      '[acme/components/shop] folder "./apps" cannot be packed as a Flux artifact, so rename the file: artifact path "shop/back\\\\slash.yaml" contains a backslash; use a relative path with "/" separators, e.g. "flux-system/kustomization.yaml"',
    ]);
  });

  test('fails when two folders would be artifacts of the same name', () => {
    const repo = fleetRepo();
    writeFiles(repo, { 'other/infra/kustomization.yaml': kustomization([]) });
    const { errors } = synthErrors((app) => {
      const { fleet } = repoFleet(app, repo);
      fleet.addComponent('other', { source: ComponentSource.folder('other/infra') });
    });
    expect(errors).toStrictEqual([
      `[acme/components/other] folder "other/infra" (${join(repo, 'other/infra')}) would be artifact "infra", like the folder ${join(repo, 'infra')}; give one of them another name with ComponentSource.folder(..., { name })`,
    ]);
  });
});

describe('pins of charts and external artifacts', () => {
  const PODINFO = 'oci://ghcr.io/stefanprodan/charts/podinfo';
  /** Staging (one cluster) and production in two waves; nothing else. */
  function pinFleet(app: FluxApp, productionChannel: string | Channel = 'stable', lock: FleetLock = testLock()) {
    const fleet = new Fleet(app, 'acme', {
      registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
      signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
      lock,
    });
    const staging = fleet.addEnvironment('staging', { channel: 'latest' });
    const production = fleet.addEnvironment('production', { channel: productionChannel });
    staging.addCluster('stg-eu-1', { region: 'eu-west-1' });
    const wave = typeof productionChannel === 'string';
    production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: wave ? 1 : undefined });
    production.addCluster('prod-us-1', { region: 'us-east-1', wave: wave ? 2 : undefined });
    return fleet;
  }

  test('staging follows a range while production is pinned to the digest the lock resolved, each cluster pulling its region\'s copy', async () => {
    // WHEN
    const outdir = synth((app) => pinFleet(app, 'stable', testLock([PODINFO, { tag: '6.7.0' }])).addHelmComponent('podinfo', {
      chart: ChartSource.mirrored(PODINFO, { version: (c) => (c.production ? '6.7.0' : '6.x') }),
    }));
    // THEN
    const locked = lockedDigest(PODINFO, { tag: '6.7.0' });
    const spec = (c: string) => objectsOf(join(outdir, 'clusters', c, 'components/podinfo/podinfo.yaml')).find((o) => o.kind === 'OCIRepository').spec;
    expect([spec('stg-eu-1').url, spec('stg-eu-1').ref]).toStrictEqual([`oci://${EU}/fleet/charts/podinfo`, { semver: '6.x' }]);
    expect([spec('prod-us-1').url, spec('prod-us-1').ref]).toStrictEqual([`oci://${US}/fleet/charts/podinfo`, { digest: locked }]);
    expect((await readReleaseManifest(outdir)).external[0].targets).toStrictEqual([
      { region: 'eu-west-1', url: `oci://${EU}/fleet/charts/podinfo`, ref: { digest: locked }, locked: { declared: { tag: '6.7.0' }, tag: '6.7.0' }, clusters: ['prod-eu-1'] },
      { region: 'eu-west-1', url: `oci://${EU}/fleet/charts/podinfo`, ref: { semver: '6.x' }, clusters: ['stg-eu-1'] },
      { region: 'us-east-1', url: `oci://${US}/fleet/charts/podinfo`, ref: { digest: locked }, locked: { declared: { tag: '6.7.0' }, tag: '6.7.0' }, clusters: ['prod-us-1'] },
    ]);
  });

  test('a chart version may be a digest', () => {
    const outdir = synth((app) => pinFleet(app).addHelmComponent('podinfo', {
      chart: ChartSource.mirrored(PODINFO, { version: DIGEST }),
    }));
    expect(sourceRef(outdir, 'prod-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ digest: DIGEST });
  });

  test('fails when the lock has no entry for what production pulls, naming the chart, the ref, the lock, the clusters and the fix', () => {
    const { errors } = synthErrors((app) => pinFleet(app).addHelmComponent('podinfo', {
      chart: ChartSource.mirrored(PODINFO, { version: '6.x' }),
    }));
    expect(errors).toStrictEqual([
      `[acme/components/podinfo] chart "${PODINFO}" at semver 6.x has no entry in the lock given to the fleet, and production pins what it pulls from upstream ` +
      'to the digest the lock records (an upstream re-tag then changes nothing until the lock does in a reviewed change); run ' +
      '`npx flux-fleet lock --app "<the command that synthesizes this fleet>"` (the app of cdk8s.yaml by default) and commit the lock file, ' +
      'or set floating: true on the source to follow upstream (on clusters prod-eu-1, prod-us-1)',
    ]);
  });

  test('a production range or floating tag is pinned to what the lock resolved; floating: true follows upstream instead', () => {
    // GIVEN
    const source = (floating?: boolean) => ComponentSource.mirroredArtifact('oci://ghcr.io/acme/shop', { ref: { tag: 'main' }, floating });
    const lock = testLock(['oci://ghcr.io/acme/shop', { tag: 'main' }], [PODINFO, { semver: '6.x' }, '6.8.1']);
    // WHEN
    const pinned = synth((app) => {
      const fleet = pinFleet(app, 'stable', lock);
      fleet.addComponent('shop', { source: source() });
      fleet.addHelmComponent('podinfo', { chart: ChartSource.mirrored(PODINFO, { version: '6.x' }) });
    });
    const following = synth((app) => pinFleet(app, 'stable', lock).addComponent('shop', { source: source(true) }));
    // THEN
    expect(sourceRef(pinned, 'prod-eu-1', 'shop.yaml')).toStrictEqual({ digest: lockedDigest('oci://ghcr.io/acme/shop', { tag: 'main' }) });
    expect(sourceRef(pinned, 'prod-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ digest: lockedDigest(PODINFO, { semver: '6.x' }) });
    expect(sourceRef(pinned, 'stg-eu-1', 'shop.yaml')).toStrictEqual({ tag: 'main' });
    expect(sourceRef(following, 'prod-eu-1', 'shop.yaml')).toStrictEqual({ tag: 'main' });
  });

  test('a production environment on a semver channel is pinned by the lock too', () => {
    const outdir = synth((app) => pinFleet(app, Channel.semver('>=1.0.0'), testLock([PODINFO, { semver: '6.x' }, '6.8.1'])).addHelmComponent('podinfo', {
      chart: ChartSource.mirrored(PODINFO, { version: '6.x' }),
    }));
    expect(sourceRef(outdir, 'prod-us-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ digest: lockedDigest(PODINFO, { semver: '6.x' }) });
  });

  test('reads the lock from flux-fleet.lock in the fleet\'s baseDir, and fails naming it when it is not a lock file', () => {
    // GIVEN a lock file as flux-fleet lock writes it, and a damaged one
    const good = tempDir('lock-');
    const digest = `sha256:${'c'.repeat(64)}`;
    writeFileSync(join(good, 'flux-fleet.lock'), renderLockFile([{ upstream: PODINFO, ref: { tag: '6.7.0' }, tag: '6.7.0', digest, usedBy: [] }]));
    const bad = tempDir('lock-');
    writeFileSync(join(bad, 'flux-fleet.lock'), JSON.stringify({ lockfileVersion: 1, entries: [{ upstream: PODINFO, ref: { tag: '6.7.0' }, tag: '6.7.1', digest }] }));
    const build = (baseDir: string) => (app: FluxApp) => {
      const fleet = new Fleet(app, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }), signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }), baseDir });
      fleet.addEnvironment('production', { channel: 'stable' }).addCluster('prod-eu-1', { region: 'eu-west-1' });
      fleet.addHelmComponent('podinfo', { chart: ChartSource.mirrored(PODINFO, { version: '6.7.0' }) });
    };
    // WHEN
    const outdir = synth(build(good));
    const { errors } = synthErrors(build(bad));
    // THEN
    expect(sourceRef(outdir, 'prod-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ digest });
    expect(errors[0]).toBe(`[acme] the lock file ${join(bad, 'flux-fleet.lock')}, entries[0]: tag "6.7.1" is not "6.7.0"; write it again with flux-fleet lock`);
  });

  test('an artifact at another URL is pulled from there, by digest, with its own signing identity', async () => {
    // WHEN
    const outdir = synth((app) => pinFleet(app).addComponent('shop', {
      source: ComponentSource.artifact('oci://ghcr.io/acme/shop', {
        ref: (c) => (c.production ? { digest: DIGEST } : { semver: '1.x' }),
        signing: Signing.githubActions({ repository: 'acme/shop', workflow: 'ci.yaml' }),
      }),
    }));
    // THEN
    const spec = sourceSpec(outdir, 'prod-us-1', 'shop.yaml');
    expect([spec.url, spec.ref, spec.provider, spec.verify.matchOIDCIdentity[0].subject]).toStrictEqual([
      'oci://ghcr.io/acme/shop', { digest: DIGEST }, undefined,
      '^https://github\\.com/acme/shop/\\.github/workflows/ci\\.yaml@refs/heads/main$',
    ]);
    expect((await readReleaseManifest(outdir)).external).toStrictEqual([{
      kind: 'artifact',
      component: 'shop',
      upstream: 'oci://ghcr.io/acme/shop',
      mirror: false,
      verify: true,
      targets: [
        { region: 'eu-west-1', url: 'oci://ghcr.io/acme/shop', ref: { digest: DIGEST }, clusters: ['prod-eu-1'] },
        { region: 'eu-west-1', url: 'oci://ghcr.io/acme/shop', ref: { semver: '1.x' }, clusters: ['stg-eu-1'] },
        { region: 'us-east-1', url: 'oci://ghcr.io/acme/shop', ref: { digest: DIGEST }, clusters: ['prod-us-1'] },
      ],
    }]);
  });

  test('fails when a per-cluster pin is not a version, a range or a digest', () => {
    const { errors } = synthErrors((app) => {
      const fleet = pinFleet(app);
      fleet.addHelmComponent('podinfo', {
        chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: (c) => (c.production ? 'six' : '6.x') }),
      });
      fleet.addComponent('shop', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/shop', { ref: () => ({ tag: 'main', digest: DIGEST }), floating: true }) });
    });
    expect(errors).toStrictEqual([
      '[acme/components/podinfo] chart version "six" is not a version, semver range or digest; use e.g. "6.7.0", "6.x" or "sha256:<64 hex digits>" (on clusters prod-eu-1, prod-us-1)',
      `[acme/components/shop] source ref {"tag":"main","digest":"${DIGEST}"} must set exactly one of tag, semver or digest; e.g. { digest: "sha256:..." } or { tag: "1.4.2" } (on clusters stg-eu-1, prod-eu-1, prod-us-1)`,
    ]);
  });

  test('fails when a pin given as a value is malformed, reported once for the component', () => {
    const { errors } = synthErrors((app) => {
      const fleet = pinFleet(app);
      fleet.addHelmComponent('podinfo', { chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: 'six' }) });
      fleet.addComponent('shop', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/shop', { ref: {} }) });
    });
    expect(errors).toStrictEqual([
      '[acme/components/podinfo] chart version "six" is not a version, semver range or digest; use e.g. "6.7.0", "6.x" or "sha256:<64 hex digits>"',
      '[acme/components/shop] source ref {} must set exactly one of tag, semver or digest; e.g. { digest: "sha256:..." } or { tag: "1.4.2" }',
    ]);
  });

  test('fails when a mirrored chart\'s upstream is not an oci:// URL', () => {
    const { errors } = synthErrors((app) => pinFleet(app).addHelmComponent('podinfo', {
      chart: ChartSource.mirrored('podinfo', { version: '6.7.0' }),
    }));
    expect(errors).toStrictEqual([
      '[acme/components/podinfo] chart upstream "podinfo" is not an oci:// URL; name where the chart is published, e.g. ChartSource.mirrored("oci://ghcr.io/stefanprodan/charts/podinfo", {...})',
    ]);
  });
});

describe('environments', () => {
  test('a push deploys non-production environments by default, and production only when it says so', async () => {
    const outdir = synth((app) => {
      const fleet = new Fleet(app, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }), signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }) });
      fleet.addEnvironment('dev', { channel: 'latest' });
      fleet.addEnvironment('qa', { channel: 'qa', deployOnPush: false });
      fleet.addEnvironment('prod', { channel: 'stable' });
      fleet.addEnvironment('production', { channel: 'stable', deployOnPush: true });
    });
    const release = await readReleaseManifest(outdir);
    expect(release.environments.map((e) => [e.name, e.production, e.deployOnPush])).toStrictEqual([
      ['dev', false, true], ['prod', true, false], ['production', true, true], ['qa', false, false],
    ]);
  });
});

describe('parseReleaseManifest', () => {
  const valid = () => ({
    version: 1,
    environments: [{ name: 'staging', channel: { kind: 'tag', value: 'latest' }, production: false, deployOnPush: true }],
    clusters: [{ name: 'stg-1', environment: 'staging', region: 'eu', url: 'oci://r.example/fleet/clusters/stg-1', tag: 'latest' }],
    artifacts: [],
    external: [],
  });

  test('reads a valid manifest as it is', () => {
    expect(parseReleaseManifest(valid())).toStrictEqual(valid());
  });

  test('fails when the version is not 1', () => {
    expect(() => parseReleaseManifest({ ...valid(), version: 2 }, 'dist/release.json')).toThrow('dist/release.json: version must be 1 (found 2); synthesize the fleet again with this version of flux-fleet');
  });

  test('fails when a field has the wrong shape, naming it', () => {
    const m = valid();
    expect(() => parseReleaseManifest({ ...m, clusters: [{ ...m.clusters[0], url: 'https://r.example/x' }] })).toThrow(
      'release.json: clusters[0].url must be a string starting with "oci://", oci://<host>/<repository> without tag or digest, not "https://r.example/x"; synthesize the fleet again with this version of flux-fleet');
    expect(() => parseReleaseManifest({ ...m, external: [{ kind: 'chart', component: 'c', upstream: 'oci://u/c', mirror: false, verify: false, targets: [{ region: 'eu', url: 'oci://u/c', ref: { tag: '1', semver: '1.x' }, clusters: ['stg-1'] }] }] }))
      .toThrow('external[0].targets[0].ref must be exactly one of {"tag": ...}, {"semver": ...} or {"digest": ...}');
  });

  test.each([
    ['a cluster name that leaves the tree', (m: any) => ({ ...m, clusters: [{ ...m.clusters[0], name: '../../outside' }] }), 'clusters[0].name must be a DNS-1123 label as synth writes it (lowercase letters, digits and \'-\', at most 63), not "../../outside"'],
    ['a cluster name that is the tree itself', (m: any) => ({ ...m, clusters: [{ ...m.clusters[0], name: '..' }] }), 'clusters[0].name must be a DNS-1123 label as synth writes it (lowercase letters, digits and \'-\', at most 63), not ".."'],
    ['an artifact folder outside artifacts/', (m: any) => ({ ...m, artifacts: [{ name: 'infra', folder: '../infra', digest: `sha256:${'a'.repeat(64)}`, targets: [] }] }), 'artifacts[0].folder must be "artifacts/infra"'],
    ['an artifact name that leaves the tree', (m: any) => ({ ...m, artifacts: [{ name: '../x', folder: 'artifacts/../x', digest: `sha256:${'a'.repeat(64)}`, targets: [] }] }), 'artifacts[0].name must be an artifact name as synth writes it'],
    ['a region with a path in it', (m: any) => ({ ...m, clusters: [{ ...m.clusters[0], region: 'eu/../us' }] }), 'clusters[0].region must be a DNS-1123 label'],
    ['a tag with a line break', (m: any) => ({ ...m, clusters: [{ ...m.clusters[0], tag: 'latest\nx' }] }), 'clusters[0].tag must be an OCI tag'],
    ['a URL with a tag', (m: any) => ({ ...m, clusters: [{ ...m.clusters[0], url: 'oci://r.example/fleet:v1' }] }), 'clusters[0].url must be a string starting with "oci://", oci://<host>/<repository> without tag or digest'],
    ['a cluster listed twice', (m: any) => ({ ...m, clusters: [m.clusters[0], m.clusters[0]] }), 'clusters[1].name must be a name no other entry has, and "stg-1" comes twice'],
  ])('fails when release.json has %s', (_, change, message) => {
    expect(() => parseReleaseManifest(change(valid()))).toThrow(message);
  });
});

describe('readReleaseManifest', () => {
  /** The example fleet synthesized into a new folder. */
  function synthesized(): string {
    const dir = join(tempDir('release-json-'), 'dist');
    buildApp(dir).synth();
    return dir;
  }
  /** Edits release.json as a contributor might after synth. */
  function edit(dir: string, change: (m: any) => any): void {
    writeFileSync(join(dir, 'release.json'), `${JSON.stringify(change(JSON.parse(readFileSync(join(dir, 'release.json'), 'utf8'))), null, 2)}\n`);
  }
  /** Rewrites the digest the marker records, as one who also forges the marker would. */
  function forgeMarker(dir: string): void {
    const digest = `sha256:${createHash('sha256').update(readFileSync(join(dir, 'release.json'))).digest('hex')}`;
    const marker = join(dir, '.flux-fleet');
    writeFileSync(marker, readFileSync(marker, 'utf8').replace(/^sha256:[0-9a-f]{64} release\.json$/m, `${digest} release.json`));
  }

  test('reads the release.json synth wrote', async () => {
    // GIVEN
    const dir = synthesized();
    // WHEN
    const release = await readReleaseManifest(dir);
    // THEN
    expect(release).toStrictEqual(JSON.parse(readFileSync(join(dir, 'release.json'), 'utf8')));
  });

  test('fails when the file is missing', async () => {
    const dir = tempDir('release-json-');
    const read = readReleaseManifest(dir);
    await expect(read).rejects.toBeInstanceOf(ReleaseManifestError);
    await expect(read).rejects.toThrow(`${join(dir, 'release.json')} does not exist; synthesize the fleet into ${dir} first`);
  });

  test('fails when release.json was edited after synth, naming both digests', async () => {
    // GIVEN production flipped to deploy on push
    const dir = synthesized();
    const recorded = /^(sha256:[0-9a-f]{64}) release\.json$/m.exec(readFileSync(join(dir, '.flux-fleet'), 'utf8'))![1];
    edit(dir, (m) => ({ ...m, environments: m.environments.map((e: any) => ({ ...e, production: false, deployOnPush: true })) }));
    const actual = `sha256:${createHash('sha256').update(readFileSync(join(dir, 'release.json'))).digest('hex')}`;
    // THEN
    await expect(readReleaseManifest(dir)).rejects.toThrow(`${join(dir, 'release.json')} was changed after synth: its digest is ${actual}, and synth recorded ${recorded} in ${join(dir, '.flux-fleet')}; ` +
      'delivery reads only the release.json synth wrote: change the fleet program and synthesize again rather than editing it');
  });

  test('fails when no marker records release.json: written by hand, or copied without the tree', async () => {
    // GIVEN
    const dir = tempDir('release-json-');
    writeFileSync(join(dir, 'release.json'), readFileSync(join(committed, 'release.json')));
    // THEN
    await expect(readReleaseManifest(dir)).rejects.toThrow(`${join(dir, 'release.json')} is not one synth wrote: no .flux-fleet marker in ${dir} records its digest; ` +
      `delivery reads only the release.json synth writes: synthesize the fleet into ${dir} with this version of flux-fleet`);
  });

  test('a cluster\'s bootstrap plan, read from the tree, refuses an edited release.json too', () => {
    // GIVEN
    const dir = synthesized();
    edit(dir, (m) => ({ ...m, clusters: m.clusters.map((c: any) => ({ ...c, url: c.url.replace('123456789012', '999999999999') })) }));
    // THEN
    expect(() => readBootstrapPlan(dir, 'prod-eu-1')).toThrow(`${join(dir, 'release.json')} was changed after synth`);
  });

  test('fails when an environment is flipped to deploy on push, even with the marker forged: the clusters\' own objects say otherwise', async () => {
    // GIVEN
    const dir = synthesized();
    edit(dir, (m) => ({ ...m, environments: m.environments.map((e: any) => (e.name === 'production' ? { ...e, production: false, deployOnPush: true } : e)) }));
    forgeMarker(dir);
    // THEN
    const read = readReleaseManifest(dir);
    await expect(read).rejects.toThrow(`${join(dir, 'release.json')} does not say what the tree's own objects say, so it was changed after synth or the tree was:\n` +
      '  environments[0].production is "false", but the annotation flux-fleet.io/production of flux-runtime-info (cluster prod-ap-1) in clusters/prod-ap-1/flux-system/flux-system.yaml is "true"\n' +
      '  environments[0].deployOnPush is "true", but the annotation flux-fleet.io/deploy-on-push of flux-runtime-info (cluster prod-ap-1) in clusters/prod-ap-1/flux-system/flux-system.yaml is "false"\n');
  });

  test('fails when a cluster\'s folder is a link out of the tree, or its URL is not the one it syncs, even with the marker forged', async () => {
    // GIVEN stg-eu-1's folder replaced by a link to a folder outside, and prod-eu-1 pushed to another registry
    const dir = synthesized();
    const outside = tempDir('outside-');
    cpSync(join(dir, 'clusters', 'stg-eu-1'), outside, { recursive: true });
    rmSync(join(dir, 'clusters', 'stg-eu-1'), { recursive: true });
    symlinkSync(outside, join(dir, 'clusters', 'stg-eu-1'));
    edit(dir, (m) => ({ ...m, clusters: m.clusters.map((c: any) => (c.name === 'prod-eu-1' ? { ...c, url: 'oci://attacker.example/fleet/clusters/prod-eu-1' } : c)) }));
    forgeMarker(dir);
    // THEN
    const read = readReleaseManifest(dir);
    await expect(read).rejects.toThrow('  clusters[1].url is "oci://attacker.example/fleet/clusters/prod-eu-1", but the sync source\'s URL in clusters/prod-eu-1/flux-system/flux-system.yaml is "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/clusters/prod-eu-1"\n' +
      '  clusters[3].name: clusters/stg-eu-1 is a symbolic link, and synth writes a folder there\n');
  });
});
