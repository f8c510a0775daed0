import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiObject, Chart } from 'cdk8s';
import { renderLockFile } from '../../src/fleet/fleet-lock.js';
import { Bootstrap, ChartSource, ComponentSource, Fleet, FleetLock, FluxApp, Notification, Registry, Signing } from '../../src/index.js';
import type { BootstrapFacts } from '../../src/index.js';
import { contentDigest } from '../../src/output/writer/tree-writer.js';

/** What the program reads from outside itself, changed between synths as an edited file or service would. */
interface Inputs {
  /** The podinfo replica count per region. */
  replicas: Record<string, number>;
  /** The domain of each cluster. */
  domains: Record<string, string>;
  /** The digest the lock file records for the podinfo chart production pulls. */
  podinfoDigest: string;
}

let tmp: string;
let infra: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-fleet-synth-cache-'));
  infra = path.join(tmp, 'infra');
  fs.mkdirSync(path.join(infra, 'controllers'), { recursive: true });
  fs.writeFileSync(path.join(infra, 'controllers', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n');
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const CLUSTERS = [
  { name: 'stg-eu-1', region: 'eu-west-1', production: false },
  { name: 'prod-eu-1', region: 'eu-west-1', production: true },
  { name: 'prod-us-1', region: 'us-east-1', production: true },
  { name: 'prod-us-2', region: 'us-east-1', production: true },
];

function defaultInputs(): Inputs {
  return {
    replicas: { 'eu-west-1': 2, 'us-east-1': 3 },
    domains: Object.fromEntries(CLUSTERS.map((c) => [c.name, `${c.name}.acme.io`])),
    podinfoDigest: `sha256:${'1'.repeat(64)}`,
  };
}

/** Options of the program: a bootstrap of its own, objects built by a function for every cluster. */
interface ProgramOptions {
  readonly bootstrap?: Bootstrap;
  readonly objects?: boolean;
}

/** The program: a fleet whose objects depend on `inputs` through its value functions and cluster variables. */
function fleetApp(outdir: string, inputs: Inputs, options: ProgramOptions = {}): { app: FluxApp; fleet: Fleet<{ domain: string }> } {
  // The lock file, as `flux-fleet lock` writes it beside the program.
  fs.writeFileSync(path.join(tmp, 'flux-fleet.lock'), renderLockFile([
    { upstream: 'oci://ghcr.io/stefanprodan/charts/podinfo', ref: { tag: '6.7.0' }, tag: '6.7.0', digest: inputs.podinfoDigest, usedBy: [] },
  ]));
  const app = new FluxApp({ outdir });
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    flux: options.bootstrap ? { bootstrap: options.bootstrap } : undefined,
    lock: FleetLock.fromFile(path.join(tmp, 'flux-fleet.lock')),
    notifications: [
      Notification.slack({ channel: 'fleet-alerts', secretName: 'slack-bot-token' }),
      Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-token' }),
    ],
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', { channel: 'stable' });
  for (const c of CLUSTERS) {
    (c.production ? production : staging).addCluster(c.name, { region: c.region, vars: { domain: inputs.domains[c.name] } });
  }
  const controllers = fleet.addComponent('infra-controllers', { source: ComponentSource.folder(infra, { name: 'infra' }), path: './controllers', wait: true });
  fleet.addHelmComponent('podinfo', {
    chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: (c) => (c.production ? '6.7.0' : '6.x') }),
    dependsOn: [controllers],
    values: (c) => ({ replicaCount: inputs.replicas[c.region], ingress: { hosts: [{ host: `podinfo.${c.vars.domain}` }] } }),
  });
  if (options.objects) {
    fleet.addObjects('extras', (chart, c) => {
      new ApiObject(chart, 'extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' }, data: { replicas: String(inputs.replicas[c.region]) } });
    });
  }
  return { app, fleet };
}

/** Every file below `dir` with its content, and with its inode and modification time when `stamps` is set. */
function tree(dir: string, stamps = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stat = fs.statSync(file, { bigint: true });
    out[path.relative(dir, file)] = stamps ? `${stat.ino}:${stat.mtimeNs}` : fs.readFileSync(file, 'utf8');
  }
  return out;
}

/** Synthesizes the program into `outdir`, counting the clusters built. */
function synth(outdir: string, inputs: Inputs, options: ProgramOptions = {}): string[] {
  const built: string[] = [];
  const { app } = fleetApp(outdir, inputs, options);
  const original = Fleet.prototype._buildCluster;
  Fleet.prototype._buildCluster = function (this: Fleet<any>, cluster) {
    built.push(cluster.name);
    return original.call(this, cluster);
  };
  try {
    app.synth();
  } finally {
    Fleet.prototype._buildCluster = original;
  }
  return built;
}

/** The tree a synth of the program into a new folder writes. */
function fromScratch(inputs: Inputs, options: ProgramOptions = {}): Record<string, string> {
  const outdir = path.join(tmp, `scratch-${fs.readdirSync(tmp).length}`);
  synth(outdir, inputs, options);
  return tree(outdir);
}

describe('synth cache', () => {
  test('a synth of an unchanged fleet builds no cluster and rewrites no file', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    expect(synth(outdir, defaultInputs())).toStrictEqual(CLUSTERS.map((c) => c.name));
    const before = tree(outdir, true);
    // WHEN
    const built = synth(outdir, defaultInputs());
    // THEN
    expect(built).toStrictEqual([]);
    expect(tree(outdir, true)).toStrictEqual(before);
    expect(fs.existsSync(path.join(tmp, '.dist.flux-fleet-cache'))).toBe(true);
  });

  test('a value function that returns something else for one region builds that region\'s clusters again, as a synth from scratch writes them', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    const before = tree(outdir, true);
    const inputs = defaultInputs();
    inputs.replicas['us-east-1'] = 5;
    // WHEN
    const built = synth(outdir, inputs);
    // THEN
    expect(built).toStrictEqual(['prod-us-1', 'prod-us-2']);
    const after = tree(outdir, true);
    expect(tree(outdir)).toStrictEqual(fromScratch(inputs));
    const rewritten = Object.keys(after).filter((f) => after[f] !== before[f]).sort();
    expect(rewritten).toStrictEqual(['clusters/prod-us-1/components/podinfo/podinfo.yaml', 'clusters/prod-us-2/components/podinfo/podinfo.yaml']);
  });

  test('a changed cluster variable gives what a synth from scratch writes', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    const inputs = defaultInputs();
    inputs.domains['prod-eu-1'] = 'eu.acme.io';
    // WHEN
    synth(outdir, inputs);
    // THEN
    expect(tree(outdir)).toStrictEqual(fromScratch(inputs));
    expect(tree(outdir)['clusters/prod-eu-1/components/podinfo/podinfo.yaml']).toContain('host: podinfo.eu.acme.io');
  });

  test('a changed file of a component folder gives what a synth from scratch writes', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    const digestBefore = JSON.parse(fs.readFileSync(path.join(outdir, 'release.json'), 'utf8')).artifacts[0].digest as string;
    fs.writeFileSync(path.join(infra, 'controllers', 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: infra\n');
    // WHEN
    const built = synth(outdir, defaultInputs());
    // THEN every cluster pins the new digest
    expect(built).toStrictEqual(CLUSTERS.map((c) => c.name));
    expect(tree(outdir)).toStrictEqual(fromScratch(defaultInputs()));
    expect(JSON.parse(fs.readFileSync(path.join(outdir, 'release.json'), 'utf8')).artifacts[0].digest).not.toBe(digestBefore);
    expect(tree(outdir)['artifacts/infra/controllers/namespace.yaml']).toContain('name: infra');
  });

  test('a changed lock file gives what a synth from scratch writes', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    const inputs = defaultInputs();
    inputs.podinfoDigest = `sha256:${'2'.repeat(64)}`;
    // WHEN
    synth(outdir, inputs);
    // THEN production pins the digest the lock now records
    expect(tree(outdir)).toStrictEqual(fromScratch(inputs));
    expect(tree(outdir)['clusters/prod-us-1/components/podinfo/podinfo.yaml']).toContain(inputs.podinfoDigest);
  });

  test('a cache written by another version of flux-fleet is not used', () => {
    // GIVEN an output whose file and cache entry were both changed, as another version would have written them
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    const file = path.join(outdir, 'clusters/prod-eu-1/components/podinfo/podinfo.yaml');
    const cacheFile = path.join(tmp, '.dist.flux-fleet-cache');
    const original = fs.readFileSync(file, 'utf8');
    const edited = original.replace('replicaCount: 2', 'replicaCount: 7');
    const cache = fs.readFileSync(cacheFile, 'utf8');
    const digest = (text: string) => contentDigest(Buffer.from(text, 'utf8'));
    fs.writeFileSync(file, edited);
    fs.writeFileSync(cacheFile, cache.replace(`"${digest(original)}"`, `"${digest(edited)}"`));
    // WHEN the same version synthesizes: it trusts its own cache, which says the edited file is what it writes
    synth(outdir, defaultInputs());
    expect(fs.readFileSync(file, 'utf8')).toBe(edited);
    // WHEN the cache says another version wrote it
    const rewritten = fs.readFileSync(cacheFile, 'utf8').replace(/"code":"[^"]*"/, '"code":"another-version"');
    fs.writeFileSync(cacheFile, rewritten);
    const built = synth(outdir, defaultInputs());
    // THEN every cluster is built again, and the output is what a synth from scratch writes
    expect(built).toStrictEqual(CLUSTERS.map((c) => c.name));
    expect(tree(outdir)).toStrictEqual(fromScratch(defaultInputs()));
  });

  test('a file edited in the output folder is written again', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    const file = path.join(outdir, 'clusters/prod-us-1/flux-system/flux-system.yaml');
    fs.appendFileSync(file, '# edited\n');
    // WHEN
    const built = synth(outdir, defaultInputs());
    // THEN
    expect(built).toStrictEqual(['prod-us-1']);
    expect(tree(outdir)).toStrictEqual(fromScratch(defaultInputs()));
  });

  test('a cache file that cannot be read is ignored', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs());
    fs.writeFileSync(path.join(tmp, '.dist.flux-fleet-cache'), '{"format":1,"code":');
    // WHEN
    const built = synth(outdir, defaultInputs());
    // THEN
    expect(built).toStrictEqual(CLUSTERS.map((c) => c.name));
    expect(tree(outdir)).toStrictEqual(fromScratch(defaultInputs()));
  });

  test('objects a program builds for a cluster are built again on every synth', () => {
    // GIVEN a fleet whose clusters get objects from a builder function, which a cache cannot call again
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs(), { objects: true });
    const inputs = defaultInputs();
    inputs.replicas['eu-west-1'] = 4;
    // WHEN
    const built = synth(outdir, inputs, { objects: true });
    // THEN
    expect(built).toStrictEqual(CLUSTERS.map((c) => c.name));
    expect(tree(outdir)).toStrictEqual(fromScratch(inputs, { objects: true }));
    expect(tree(outdir)['clusters/stg-eu-1/extras.yaml']).toContain('replicas: "4"');
  });

  test('a program\'s own subclass of Bootstrap is built again on every synth', () => {
    // GIVEN a bootstrap whose objects come from the program's own code, reading what no field of it holds
    let source = 'one';
    class OwnBootstrap extends Bootstrap {
      public readonly kind = 'operator' as const;
      public build(chart: Chart, facts: BootstrapFacts): void {
        Bootstrap.operator().build(chart, facts);
        new ApiObject(chart, 'own', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'own', namespace: 'flux-system' }, data: { source } });
      }
      public signings(): Signing[] {
        return [];
      }
    }
    const outdir = path.join(tmp, 'dist');
    synth(outdir, defaultInputs(), { bootstrap: new OwnBootstrap() });
    source = 'two';
    // WHEN
    const built = synth(outdir, defaultInputs(), { bootstrap: new OwnBootstrap() });
    // THEN
    expect(built).toStrictEqual(CLUSTERS.map((c) => c.name));
    expect(tree(outdir)).toStrictEqual(fromScratch(defaultInputs(), { bootstrap: new OwnBootstrap() }));
    expect(tree(outdir)['clusters/prod-eu-1/flux-system/flux-system.yaml']).toContain('source: two');
  });

  test('the program\'s functions are called as given, and are its own again once synth is done', () => {
    // GIVEN
    const outdir = path.join(tmp, 'dist');
    const { app, fleet } = fleetApp(outdir, defaultInputs());
    const podinfo = fleet.components.find((c) => c.name === 'podinfo') as unknown as { props: { values: unknown } };
    const values = podinfo.props.values;
    // WHEN
    app.synth();
    // THEN
    expect(podinfo.props.values).toBe(values);
    expect(tree(outdir)['clusters/prod-us-1/components/podinfo/podinfo.yaml']).toContain('replicaCount: 3');
  });

  test('writes no cache when told not to', () => {
    // GIVEN
    const uncached = new FluxApp({ outdir: path.join(tmp, 'uncached'), synthCache: false });
    new Fleet(uncached, 'acme', { registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }) });
    // WHEN
    uncached.synth();
    fleetApp(path.join(tmp, 'cached'), defaultInputs()).app.synth();
    // THEN
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.')).sort()).toStrictEqual(['.cached.flux-fleet-cache']);
  });
});
