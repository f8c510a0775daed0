import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { TestRegistry } from '../support/registry.js';

/**
 * Push trusts nothing it did not check: a release.json edited after synth (a cluster named so that its folder lies
 * outside the tree, the tree itself as a cluster, production flipped to deploy on push) is refused by push and
 * reported by validate, whether or not the marker's digest was forged too; nothing reaches the registry.
 */

const HOSTS = ['123456789012.dkr.ecr.ap-southeast-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com'];
const REV = `main@sha1:${'a'.repeat(40)}`;

let dir: string;
/** One registry per region of the example fleet, by host. */
let registries: TestRegistry[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-release-trust-'));
  registries = await Promise.all(HOSTS.map(() => TestRegistry.start()));
}, 60_000);

afterAll(async () => {
  await Promise.all(registries.map((r) => r.destroy()));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } }, cwd: dir });
  return { code, stdout, stderr };
}

/** The example fleet synthesized into `<dir>/<name>`, its release.json changed by `change`. */
function tampered(name: string, change: (release: any) => any, forgeMarker: boolean): string {
  const tree = join(dir, name);
  buildApp(tree).synth();
  const file = join(tree, 'release.json');
  writeFileSync(file, `${JSON.stringify(change(JSON.parse(readFileSync(file, 'utf8'))), null, 2)}\n`);
  if (forgeMarker) {
    const digest = `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    const marker = join(tree, '.flux-fleet');
    writeFileSync(marker, readFileSync(marker, 'utf8').replace(/^sha256:[0-9a-f]{64} release\.json$/m, `${digest} release.json`));
  }
  return tree;
}

/** The repositories of every region's registry: none, when nothing was pushed. */
async function repositories(): Promise<string[]> {
  const lists = await Promise.all(registries.map(async (r) => ((await (await fetch(`http://${r.host}/v2/_catalog`)).json()) as { repositories: string[] }).repositories));
  return [...new Set(lists.flat())].sort();
}

const push = (tree: string, ...more: string[]) => cli('push', tree, ...more, '--registry', '--revision', REV, '--source', 'https://github.com/acme/fleet',
  '--host-alias', HOSTS.map((h, i) => `${h}=${registries[i].host}`).join(','));

/** A cluster of the example renamed: its folder then lies wherever the name points. */
const renamed = (to: string) => (release: any) => ({ ...release, clusters: release.clusters.map((c: any) => (c.name === 'stg-eu-1' ? { ...c, name: to } : c)) });
/** Production made a deploy-on-push environment. */
const flipped = (release: any) => ({
  ...release,
  environments: release.environments.map((e: any) => (e.name === 'production' ? { ...e, production: false, deployOnPush: true } : e)),
});

describe('push refuses a release.json synth did not write', () => {
  beforeAll(() => {
    // a folder beside the trees, with a secret that must never be packed
    mkdirSync(join(dir, 'outside'), { recursive: true });
    writeFileSync(join(dir, 'outside', 'credentials.yaml'), 'password: hunter2\n');
  });

  test.each([
    ['a cluster named ../../outside', renamed('../../outside')],
    ['a cluster named ..', renamed('..')],
    ['production flipped to deploy on push', flipped],
  ])('fails when release.json was edited after synth (%s), naming both digests; nothing is pushed', async (_, change) => {
    // GIVEN
    const tree = tampered(`edited-${Math.random().toString(36).slice(2)}`, change, false);
    // WHEN
    const result = await push(tree);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toMatch(new RegExp(`release\\.json was changed after synth: its digest is sha256:[0-9a-f]{64}, and synth recorded sha256:[0-9a-f]{64} in ${join(tree, '.flux-fleet').replace(/[/.]/g, '\\$&')}`));
    expect(await repositories()).toStrictEqual([]);
  }, 120_000);

  test.each([
    ['a cluster named ../../outside', renamed('../../outside'), 'clusters[3].name must be a DNS-1123 label as synth writes it (lowercase letters, digits and \'-\', at most 63), not "../../outside"'],
    ['a cluster named ..', renamed('..'), 'clusters[3].name must be a DNS-1123 label as synth writes it (lowercase letters, digits and \'-\', at most 63), not ".."'],
    ['production flipped to deploy on push', flipped,
      'environments[0].production is "false", but the annotation flux-fleet.io/production of flux-runtime-info (cluster prod-ap-1) in clusters/prod-ap-1/flux-system/flux-system.yaml is "true"'],
  ])('fails when the marker is forged too (%s), naming the field; nothing is pushed and validate reports it', async (_, change, message) => {
    // GIVEN
    const tree = tampered(`forged-${Math.random().toString(36).slice(2)}`, change, true);
    // WHEN
    const pushed = await push(tree);
    const validated = await cli('validate', tree, '--no-build');
    // THEN
    expect(pushed.code).toBe(EXIT.errors);
    expect(pushed.stderr).toContain(message);
    expect(await repositories()).toStrictEqual([]);
    expect(validated.code).toBe(EXIT.errors);
    expect(validated.stdout).toContain(message);
  }, 120_000);

  test('the tree as synth wrote it pushes', async () => {
    // GIVEN
    const tree = tampered('untouched', (release) => release, false);
    // WHEN pushed holding the tags (nothing here is signed, so staging's tags would not move)
    const result = await push(tree, '--hold-tags');
    // THEN
    expect([result.code, result.stderr]).toStrictEqual([EXIT.ok, '']);
    expect((await repositories()).filter((r) => r.startsWith('fleet/clusters/')).sort()).toStrictEqual(
      ['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1'].map((c) => `fleet/clusters/${c}`));
  }, 120_000);
});
