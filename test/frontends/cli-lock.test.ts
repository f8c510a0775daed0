import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { Destinations } from '../../src/delivery/index.js';
import { blobOf, MEDIA_TYPES } from '../../src/flux/artifact/index.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { TestRegistry } from '../support/registry.js';

/**
 * flux-fleet lock against a real registry standing in for the publishers: it runs the fleet program to learn what
 * production pulls, resolves each tag or range once, and writes the lock synth then pins production with; a re-tag
 * upstream changes nothing until --update, in a change one can review.
 */

const exec = promisify(execFile);
const PROGRAM = join(import.meta.dirname, '..', 'fixtures', 'programs', 'locked-fleet.ts');
const UPSTREAM = 'ghcr.example';
const SLOW = 180_000;

let dir: string;
let upstream: TestRegistry;
let destinations: Destinations;
const digests: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-lock-'));
  upstream = await TestRegistry.start();
  destinations = new Destinations({ hostAliases: { [UPSTREAM]: upstream.host } });
  for (const version of ['6.6.0', '6.7.0', '6.8.1']) digests[`podinfo:${version}`] = await publish('charts/podinfo', version, `chart ${version}`);
  for (const version of ['1.1.0', '1.2.0', '2.0.0']) digests[`shop:${version}`] = await publish('acme/shop', version, `shop ${version}`);
}, 60_000);

afterAll(async () => {
  destinations.close();
  await upstream.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** An artifact of one layer, pushed upstream under a tag; returns its digest. */
async function publish(repository: string, tag: string, content: string): Promise<string> {
  const repo = destinations.repository(`oci://${UPSTREAM}/${repository}`);
  const config = blobOf('application/vnd.cncf.helm.config.v1+json', Buffer.from(JSON.stringify({ name: repository, version: tag })));
  const layer = blobOf('application/vnd.cncf.helm.chart.content.v1.tar+gzip', Buffer.from(content));
  await repo.pushBlob(config);
  await repo.pushBlob(layer);
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: config.descriptor, layers: [layer.descriptor] };
  return repo.pushManifest(tag, Buffer.from(JSON.stringify(manifest)), MEDIA_TYPES.ociManifest);
}

/** tsx's loader, by its own path: the program runs in a folder outside the repository. */
const TSX = import.meta.resolve('tsx');
const app = `"${process.execPath}" --import ${TSX} "${PROGRAM}" out base`;

async function lock(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['lock', '--app', app, '--host-alias', `${UPSTREAM}=${upstream.host}`, ...argv], {
    stdout: { write: (t: string) => { stdout += t; } },
    stderr: { write: (t: string) => { stderr += t; } },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

/** Runs the fleet program itself: synth. */
async function synth(): Promise<{ code: number; stderr: string }> {
  try {
    await exec(process.execPath, ['--import', TSX, PROGRAM, 'out', 'base'], { cwd: dir });
    return { code: 0, stderr: '' };
  } catch (e) {
    return { code: (e as { code: number }).code, stderr: (e as { stderr: string }).stderr };
  }
}

/** The `spec.ref` of a cluster's source in the synthesized tree. */
function refIn(cluster: string, file: string): unknown {
  const docs = parseAllDocuments(readFileSync(join(dir, 'out', 'clusters', cluster, file), 'utf8')).map((d) => d.toJS());
  return docs.find((o) => o.kind === 'OCIRepository').spec.ref;
}

const lockFile = () => join(dir, 'base', 'flux-fleet.lock');

describe('flux-fleet lock', () => {
  test('synth fails while the lock lacks what production pulls, naming each ref and the fix', async () => {
    // GIVEN
    rmSync(join(dir, 'base'), { recursive: true, force: true });
    // WHEN
    const result = await synth();
    // THEN
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`chart "oci://${UPSTREAM}/charts/podinfo" at 6.7.0 has no entry in ${lockFile()}, and production pins what it pulls from upstream`);
    expect(result.stderr).toContain(`artifact "oci://${UPSTREAM}/acme/shop" at semver 1.x has no entry in ${lockFile()}`);
    expect(result.stderr).toContain('run `npx flux-fleet lock --app "<the command that synthesizes this fleet>"`');
  }, SLOW);

  test('writes the lock: each ref resolved once, with what it is for; synth then pins production to those digests', async () => {
    // WHEN
    const result = await lock();
    const synthesized = await synth();
    // THEN
    expect([result.code, result.stderr]).toStrictEqual([EXIT.ok, '']);
    expect(result.stdout).toBe([
      `added oci://${UPSTREAM}/acme/shop semver 1.x -> 1.2.0 ${digests['shop:1.2.0']}`,
      `added oci://${UPSTREAM}/charts/podinfo 6.7.0 -> 6.7.0 ${digests['podinfo:6.7.0']}`,
      `wrote ${lockFile()} (2 entries)`,
      '',
    ].join('\n'));
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).entries).toStrictEqual([
      {
        upstream: `oci://${UPSTREAM}/acme/shop`,
        ref: { semver: '1.x' },
        tag: '1.2.0',
        digest: digests['shop:1.2.0'],
        usedBy: [{ kind: 'artifact', component: 'shop', clusters: ['prod-eu-1', 'prod-us-1'] }],
      },
      {
        upstream: `oci://${UPSTREAM}/charts/podinfo`,
        ref: { tag: '6.7.0' },
        tag: '6.7.0',
        digest: digests['podinfo:6.7.0'],
        usedBy: [{ kind: 'chart', component: 'podinfo', clusters: ['prod-eu-1', 'prod-us-1'] }],
      },
    ]);
    expect(synthesized).toStrictEqual({ code: 0, stderr: '' });
    expect(refIn('prod-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ digest: digests['podinfo:6.7.0'] });
    expect(refIn('prod-us-1', 'sources.yaml')).toStrictEqual({ digest: digests['shop:1.2.0'] });
    expect(refIn('stg-eu-1', 'components/podinfo/podinfo.yaml')).toStrictEqual({ semver: '6.x' });
  }, SLOW);

  test('an upstream re-tag and a new release change nothing: the lock keeps its digests, and --check passes', async () => {
    // GIVEN 6.7.0 re-published with other content, and a shop release the range matches
    const before = readFileSync(lockFile(), 'utf8');
    digests['podinfo:6.7.0 again'] = await publish('charts/podinfo', '6.7.0', 'chart 6.7.0, published again');
    digests['shop:1.3.0'] = await publish('acme/shop', '1.3.0', 'shop 1.3.0');
    // WHEN
    const again = await lock();
    const checked = await lock('--check');
    // THEN
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout.split('\n').filter((l) => l.startsWith('kept')).length).toBe(2);
    expect(again.stdout).toContain(`${lockFile()} is up to date (2 entries)`);
    expect(readFileSync(lockFile(), 'utf8')).toBe(before);
    expect(checked.code).toBe(EXIT.ok);
  }, SLOW);

  test('--update resolves again, naming what each entry was; --check fails until the change is written', async () => {
    // WHEN
    const checked = await lock('--update', '--check');
    const updated = await lock('--update-upstream', `oci://${UPSTREAM}/charts/podinfo`);
    // THEN
    expect(checked.code).toBe(EXIT.errors);
    expect(checked.stderr).toBe(`${lockFile()} is out of date: run flux-fleet lock --update and commit it\n`);
    expect(updated.code).toBe(EXIT.ok);
    expect(updated.stdout.split('\n')).toStrictEqual([
      `kept oci://${UPSTREAM}/acme/shop semver 1.x -> 1.2.0 ${digests['shop:1.2.0']}`,
      `updated oci://${UPSTREAM}/charts/podinfo 6.7.0 -> 6.7.0 ${digests['podinfo:6.7.0 again']} (was 6.7.0 ${digests['podinfo:6.7.0']})`,
      `wrote ${lockFile()} (2 entries)`,
      '',
    ]);
  }, SLOW);

  test('an entry production no longer pulls is removed', async () => {
    // GIVEN
    process.env.WITHOUT_SHOP = '1';
    try {
      // WHEN
      const result = await lock();
      // THEN
      expect(result.stdout).toContain(`removed oci://${UPSTREAM}/acme/shop semver 1.x (production no longer pulls it)`);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).entries.map((e: { upstream: string }) => e.upstream)).toStrictEqual([`oci://${UPSTREAM}/charts/podinfo`]);
    } finally {
      delete process.env.WITHOUT_SHOP;
    }
  }, SLOW);

  test('fails when a ref cannot be resolved, naming it, and changes nothing', async () => {
    // GIVEN the program's upstream answers for no tag of podinfo: the alias points at an empty registry
    const empty = await TestRegistry.start();
    const before = readFileSync(lockFile(), 'utf8');
    try {
      let stderr = '';
      // WHEN
      const code = await run(['lock', '--app', app, '--update', '--host-alias', `${UPSTREAM}=${empty.host}`], {
        stdout: { write: () => undefined },
        stderr: { write: (t: string) => { stderr += t; } },
        cwd: dir,
      });
      // THEN
      expect(code).toBe(EXIT.errors);
      expect(stderr).toContain(`cannot resolve 2 upstream refs the lock needs; the lock is left as it was:\n  oci://${UPSTREAM}/acme/shop at semver 1.x: no tag matches semver "1.x" (0 tags)\n  oci://${UPSTREAM}/charts/podinfo at 6.7.0: the tag 6.7.0 does not exist`);
      expect(readFileSync(lockFile(), 'utf8')).toBe(before);
    } finally {
      await empty.destroy();
    }
  }, SLOW);
});
