import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../../src/frontends/cli/main.js';
import { ChartSource, ComponentSource, Fleet, FleetLock, FluxApp, Notification, Registry, Shard, Signing } from '../../src/index.js';
import { ConfigTreeError, mergeShards } from '../../src/output/index.js';

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-fleet-shards-'));
  fs.mkdirSync(path.join(tmp, 'infra', 'controllers'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'infra', 'controllers', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n');
});

afterEach(() => {
  delete process.env.FLUX_FLEET_SHARD;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];

/** A fleet of `clusters` clusters over three regions, with a packed folder, a mirrored chart pinned by a lock, a tenant and Slack. */
function program(outdir: string, options: { clusters?: number; shard?: Shard } = {}): FluxApp {
  const app = new FluxApp({ outdir, shard: options.shard });
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    notifications: [Notification.slack({ channel: 'fleet-alerts', secretName: 'slack-bot-token' })],
    lock: FleetLock.of([{ upstream: 'oci://ghcr.io/stefanprodan/charts/podinfo', ref: { tag: '6.7.0' }, tag: '6.7.0', digest: `sha256:${'1'.repeat(64)}`, usedBy: [] }]),
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', { channel: 'stable' });
  for (let i = 0; i < (options.clusters ?? 12); i++) {
    const region = REGIONS[i % REGIONS.length];
    if (i % 4 === 0) staging.addCluster(`stg-${i}`, { region, vars: { domain: `stg-${i}.acme.io` } });
    else production.addCluster(`prod-${i}`, { region, wave: 1 + (i % 2), vars: { domain: `prod-${i}.acme.io` } });
  }
  const web = fleet.addTenant('team-web', { targets: { environments: [production] } });
  const infra = fleet.addComponent('infra', { source: ComponentSource.folder(path.join(tmp, 'infra')), path: './controllers', wait: true });
  fleet.addHelmComponent('podinfo', {
    chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', { version: (c) => (c.production ? '6.7.0' : '6.x') }),
    dependsOn: [infra],
    tenant: web,
    targets: { environments: [production] },
    values: (c) => ({ ingress: { hosts: [{ host: `podinfo.${c.vars.domain}` }] } }),
  });
  fleet.addComponent('edge', {
    source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/edge', { repository: 'apps/edge', ref: (c) => (c.production ? { digest: `sha256:${'a'.repeat(64)}` } : { tag: 'main' }) }),
    targets: { regions: REGIONS.slice(0, 2) },
  });
  return app;
}

/** Every file below `dir` (the marker file included) with its content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[path.relative(dir, path.join(entry.parentPath, entry.name))] = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

/** Synthesizes every shard of `count` into `shard-<i>`, returning the folders. */
function synthShards(count: number, clusters?: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const folder = path.join(tmp, `shard-${i + 1}`);
    program(folder, { clusters, shard: Shard.of(i + 1, count) }).synth();
    return folder;
  });
}

describe('sharded synth', () => {
  test('the merged shards are byte for byte the tree of a synth of the whole fleet', () => {
    // GIVEN
    const whole = path.join(tmp, 'whole');
    program(whole).synth();
    const shards = synthShards(3);
    // WHEN
    const result = mergeShards(shards, path.join(tmp, 'merged'));
    // THEN
    expect(tree(path.join(tmp, 'merged'))).toStrictEqual(tree(whole));
    expect(result.added.length).toBe(Object.keys(tree(whole)).length - 1);
    // Each shard holds its clusters, the picture and its manifest, and no release.json.
    const inShards = shards.map((s) => fs.readdirSync(path.join(s, 'clusters')).sort());
    expect(inShards.flat().sort()).toStrictEqual(fs.readdirSync(path.join(whole, 'clusters')).sort());
    expect(inShards.every((names) => names.length > 0)).toBe(true);
    for (const s of shards) {
      expect(fs.existsSync(path.join(s, 'release.json'))).toBe(false);
      expect(fs.existsSync(path.join(s, 'flux-fleet-shard.json'))).toBe(true);
    }
  });

  test('flux-fleet merge writes the tree of the whole fleet; a synth reads its shard from FLUX_FLEET_SHARD', async () => {
    // GIVEN
    const whole = path.join(tmp, 'whole');
    program(whole).synth();
    const shards = [1, 2].map((i) => {
      process.env.FLUX_FLEET_SHARD = `${i}/2`;
      const folder = path.join(tmp, `env-shard-${i}`);
      program(folder).synth();
      return folder;
    });
    const out: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) }, cwd: tmp };
    // WHEN
    const code = await run(['merge', '--output', 'merged', ...shards.map((s) => path.basename(s))], io);
    // THEN
    expect(code).toBe(0);
    expect(out.join('')).toBe(`merged 2 shards into ${fs.realpathSync(tmp)}/merged: ${Object.keys(tree(whole)).length - 1} files added, 0 changed, 0 removed\n`);
    expect(tree(path.join(tmp, 'merged'))).toStrictEqual(tree(whole));
  });

  test('fails when a shard is missing, given twice, of another count, or not a shard, writing nothing', () => {
    // GIVEN
    const shards = synthShards(3);
    const two = path.join(tmp, 'two');
    program(two, { shard: Shard.of(1, 2) }).synth();
    const whole = path.join(tmp, 'whole');
    program(whole).synth();
    const merged = path.join(tmp, 'merged');
    // WHEN / THEN
    expect(() => mergeShards([shards[0], shards[2]], merged)).toThrow(new ConfigTreeError('Cannot merge: shard 2/3 is missing; give the output folder of every shard'));
    expect(() => mergeShards([shards[0], shards[1], shards[1]], merged)).toThrow(
      new ConfigTreeError(`Cannot merge: "${shards[1]}" and "${shards[1]}" are both shard 2/3; give each shard once`));
    expect(() => mergeShards([...shards, two], merged)).toThrow(
      new ConfigTreeError(`Cannot merge: "${shards[0]}" is shard 1/3 and "${two}" shard 1/2, of another count; give the shards of one synth`));
    expect(() => mergeShards([...shards, whole], merged)).toThrow(new ConfigTreeError(
      `Cannot merge "${whole}": it is a synth of a whole fleet, not of a shard; give the output folders of a synth run with a shard (FLUX_FLEET_SHARD=3/16, or FluxApp's shard)`));
    expect(fs.existsSync(merged)).toBe(false);
  });

  test('fails when the shards come from fleets with other clusters, writing nothing', () => {
    // GIVEN a shard synthesized after a cluster was added
    const shards = synthShards(2);
    const other = path.join(tmp, 'other');
    program(other, { clusters: 13, shard: Shard.of(2, 2) }).synth();
    const merged = path.join(tmp, 'merged');
    // WHEN / THEN
    expect(() => mergeShards([shards[0], other], merged)).toThrow(new ConfigTreeError(
      'Cannot merge: shards 1/2 and 2/2 come from fleets with other clusters; synthesize every shard from the same program and commit'));
    expect(fs.existsSync(merged)).toBe(false);
  });
});
