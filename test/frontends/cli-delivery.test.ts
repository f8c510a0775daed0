import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import { githubReleaseWorkflow, releaseWorkflowSpecFromTree } from '../../src/delivery/index.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { sha256Digest } from '../../src/index.js';
import { DEFAULT_CONTENT, HOSTS, sealTree, writeReleaseTree } from '../delivery/release-tree.js';
import { skopeo, TestRegistry } from '../support/registry.js';

const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AP = '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com';
const REVISION = 'main@sha1:3333333333333333333333333333333333333333';

let dir: string;
let eu: TestRegistry;
let us: TestRegistry;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-cli-'));
  buildApp(join(dir, 'dist')).synth();
  writeReleaseTree(join(dir, 'rel'), { prefix: 'rel' });
  [eu, us] = await Promise.all([TestRegistry.start(), TestRegistry.start()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([eu.destroy(), us.destroy()]);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Runs the command line from the temporary folder, with captured output. */
async function cli(argv: string[], tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => { stdout += text; }, ...(tty ? { isTTY: true } : {}) } as { write(text: string): unknown },
    stderr: { write: (text: string) => { stderr += text; } },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

/** Two registries standing for three regions: Europe on one, America and Asia on the other. */
function aliases(): string[] {
  return ['--host-alias', [
    `${EU}=${eu.host}`, `${US}=${us.host}`, `${AP}=${us.host}`,
    `${HOSTS['eu-west-1']}=${eu.host}`, `${HOSTS['us-east-1']}=${us.host}`, `${HOSTS['ap-southeast-1']}=${us.host}`,
  ].join(',')];
}

function files(root: string): string[] {
  const walk = (d: string): string[] => readdirSync(d)
    .flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(root, join(d, n))]));
  return walk(root).sort();
}

describe('flux-fleet push of a release', () => {
  const SHA = '3333333333333333333333333333333333333333';
  const NEXT = 'main@sha1:4444444444444444444444444444444444444444';

  test('--registry pushes components and candidates, moves staging only, and writes every digest for signing', async () => {
    // WHEN
    // one at a time: America and Asia share a registry here, so their copies of infra land in one repository
    const first = await cli(['push', 'rel', '--registry', ...aliases(), '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--digests-file', 'rel-digests.txt', '--progress', 'plain', '--concurrency', '1']);
    const second = await cli(['push', 'rel', '--registry', ...aliases(), '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--format', 'json']);
    // THEN
    expect(first.code).toBe(EXIT.ok);
    expect(first.stderr).toBe('');
    const out = first.stdout.trim().split('\n');
    expect(out.filter((l) => !l.startsWith('pushed ')).map((l) => l.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…'))).toStrictEqual([
      `moved oci://${HOSTS['eu-west-1']}/rel/clusters/stg-eu-1:latest -> sha256:… (new tag)`,
      `moved oci://${HOSTS['us-east-1']}/rel/clusters/stg-us-1:latest -> sha256:… (new tag)`,
      expect.stringMatching(new RegExp(`^revision ${REVISION}: 5 component artifacts and 5 candidates rev-${SHA} pushed; blobs: 18 uploaded \\([\\d.]+ KiB\\), 0 mounted, 2 unchanged; 2 tags moved$`)),
      `3 tags of production not moved (moved by promotion: flux-fleet promote rel --registry --environment production --wave <n> --revision ${SHA})`,
    ]);
    const digests = readFileSync(join(dir, 'rel-digests.txt'), 'utf8').trim().split('\n');
    expect(digests.map((d) => d.replace(/@sha256:[0-9a-f]{64}$/, ''))).toStrictEqual([
      `${HOSTS['ap-southeast-1']}/rel/infra`, `${HOSTS['eu-west-1']}/rel/infra`, `${HOSTS['us-east-1']}/rel/infra`,
      `${HOSTS['eu-west-1']}/rel/web-shop`, `${HOSTS['us-east-1']}/rel/web-shop`,
      ...['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-us-1'].map((c) => `${HOSTS[c.includes('ap') ? 'ap-southeast-1' : c.includes('eu') ? 'eu-west-1' : 'us-east-1']}/rel/clusters/${c}`),
    ]);
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/prod-eu-1:rev-${SHA}`);
    expect(digests[6]).toBe(`${HOSTS['eu-west-1']}/rel/clusters/prod-eu-1@${sha256Digest(raw)}`);
    expect(JSON.parse(raw).annotations['org.opencontainers.image.revision']).toBe(REVISION);
    await expect(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/prod-eu-1:stable-wave-1`)).rejects.toThrow();
    type Pushed = Array<{ uploaded: number }>;
    type Report = { components: Pushed; clusters: Pushed; followed: Array<{ action: string }>; failed: unknown[] };
    const report = JSON.parse(second.stdout) as Report;
    expect(second.code).toBe(EXIT.ok);
    expect([...report.components, ...report.clusters].map((p) => p.uploaded)).toStrictEqual(Array(10).fill(0));
    expect(report.followed.map((f) => f.action)).toStrictEqual(['held', 'held', 'held', 'unchanged', 'unchanged']);
  }, 120_000);

  test('--dry-run says what would be pushed and which tags would move, and pushes nothing', async () => {
    // GIVEN the next revision, with a change to web-shop
    writeFileSync(join(dir, 'rel', 'artifacts', 'web-shop', 'deploy', 'deployment.yaml'), 'changed: true\n');
    // WHEN
    const result = await cli(['push', 'rel', '--registry', ...aliases(), '--revision', NEXT, '--source', 'https://github.com/acme/fleet', '--dry-run']);
    // THEN
    writeReleaseTree(join(dir, 'rel'), { prefix: 'rel' });
    // A refusal (the tree changed since synth), not a mistake on the command line.
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toContain('artifact web-shop: artifacts/web-shop packs to sha256:');
    expect(result.stderr).toContain('the folder changed since synth: synthesize again, then push');
    // WHEN synthesized again (the same tree: same digests), a dry run of the next revision
    const dry = await cli(['push', 'rel', '--registry', ...aliases(), '--revision', NEXT, '--source', 'https://github.com/acme/fleet', '--dry-run']);
    // THEN
    expect(dry.code).toBe(EXIT.ok);
    const lines = dry.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('would move')).map((l) => l.replace(/sha256:[0-9a-f]{12,64}/g, 'sha256:…'))).toStrictEqual([
      `would move oci://${HOSTS['eu-west-1']}/rel/clusters/stg-eu-1:latest -> sha256:… (was sha256:…)`,
      `would move oci://${HOSTS['us-east-1']}/rel/clusters/stg-us-1:latest -> sha256:… (was sha256:…)`,
    ]);
    expect(lines.filter((l) => l.startsWith('would push'))).toHaveLength(10);
    expect(lines).toContainEqual(`dry run of revision ${NEXT}: would push 5 component artifacts and 5 candidates rev-4444444444444444444444444444444444444444; would move 2 tags`);
    await expect(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/stg-eu-1:rev-4444444444444444444444444444444444444444`)).rejects.toThrow();
  }, 120_000);

  test('warns when the source annotation is unknown, and says how to set it', async () => {
    // WHEN
    const result = await cli(['push', 'rel', '--revision', REVISION, '--layout', 'rel-layout']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toBe('warning: the source annotation is unknown, so Flux will not show where the artifacts come from; set --source <url> (or GITHUB_SERVER_URL and GITHUB_REPOSITORY, which GitHub Actions sets)\n');
  }, 120_000);

  test('fails with exit 2 when the revision is unknown, saying how to set it', async () => {
    // GIVEN no --revision, no GITHUB_SHA, and a tree outside any Git checkout
    const saved = process.env.GITHUB_SHA;
    delete process.env.GITHUB_SHA;
    try {
      // WHEN
      const result = await cli(['push', 'rel', '--source', 'https://github.com/acme/fleet']);
      // THEN
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr).toContain('cannot push: the revision is unknown, so there is no candidate tag to push; give --revision <commit>');
    } finally {
      if (saved !== undefined) process.env.GITHUB_SHA = saved;
    }
  });
});

describe('flux-fleet promote, rollback and verify-release', () => {
  test('promote --revision moves exactly the wave\'s tags; --dry-run says what would move; --rollback puts them back', async () => {
    // GIVEN REVISION pushed (above) and wave 1 first promoted to it, then the next revision pushed
    const first = await cli(['promote', 'rel', '--registry', ...aliases(), '--environment', 'production', '--wave', '1', '--revision', REVISION]);
    writeReleaseTree(join(dir, 'rel'), { prefix: 'rel', content: { ...DEFAULT_CONTENT, 'web-shop': { 'deploy/kustomization.yaml': 'resources: []\n' } } });
    const next = 'main@sha1:5555555555555555555555555555555555555555';
    expect((await cli(['push', 'rel', '--registry', ...aliases(), '--revision', next, '--source', 'https://github.com/acme/fleet'])).code).toBe(EXIT.ok);
    // WHEN
    const dry = await cli(['promote', 'rel', '--registry', ...aliases(), '--environment', 'production', '--wave', '1', '--revision', next, '--dry-run']);
    const promoted = await cli(['promote', 'rel', '--registry', ...aliases(), '--environment', 'production', '--wave', '1', '--revision', next]);
    const rolledBack = await cli(['promote', 'rel', '--registry', ...aliases(), '--environment', 'production', '--wave', '1', '--rollback']);
    // THEN
    const short = (t: string) => t.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/sha256:[0-9a-f]{12}/g, 'sha256:…');
    const url = `oci://${HOSTS['eu-west-1']}/rel/clusters/prod-eu-1`;
    expect(first).toStrictEqual({ code: EXIT.ok, stdout: expect.stringContaining(`promotion of ${REVISION} to production wave 1: 1 tag moved, 0 already there, in 1 region\n`), stderr: '' });
    expect(short(dry.stdout)).toBe(`would move prod-eu-1 ${url}:stable-wave-1 -> sha256:… (was sha256:…)\ndry run of the promotion of ${next} to production wave 1: would move 1 tag, in 1 region\n`);
    expect(short(promoted.stdout)).toBe(`moved prod-eu-1 ${url}:stable-wave-1 -> sha256:… (was sha256:…)\npromotion of ${next} to production wave 1: 1 tag moved, 0 already there, in 1 region\n`);
    expect(short(rolledBack.stdout)).toBe(`moved prod-eu-1 ${url}:stable-wave-1 -> sha256:… (was sha256:…, from stable-wave-1-previous)\nrollback of production wave 1: 1 tag moved, 0 already there, in 1 region\n`);
    const live = sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/prod-eu-1:stable-wave-1`));
    expect(live).toBe(sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/prod-eu-1:rev-3333333333333333333333333333333333333333`)));
  }, 180_000);

  test('promote refuses with exit 1, moving nothing, when a cluster of the wave lacks the candidate', async () => {
    // WHEN
    const result = await cli(['promote', 'rel', '--registry', ...aliases(), '--environment', 'production', '--wave', '2', '--revision', 'main@sha1:9999999999999999999999999999999999999999']);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toBe([
      'flux-fleet: promotion refused, no tag was moved:',
      `  prod-ap-1: oci://${HOSTS['ap-southeast-1']}/rel/clusters/prod-ap-1 (ap-southeast-1) has no candidate rev-9999999999999999999999999999999999999999 (revision main@sha1:9999999999999999999999999999999999999999); push that revision first (flux-fleet push <dir> --registry --revision main@sha1:9999999999999999999999999999999999999999)`,
      `  prod-us-1: oci://${HOSTS['us-east-1']}/rel/clusters/prod-us-1 (us-east-1) has no candidate rev-9999999999999999999999999999999999999999 (revision main@sha1:9999999999999999999999999999999999999999); push that revision first (flux-fleet push <dir> --registry --revision main@sha1:9999999999999999999999999999999999999999)`,
      '',
    ].join('\n'));
  }, 120_000);

  test('verify-release exits 1 listing each dangling reference, 0 when everything resolves', async () => {
    // WHEN
    const dangling = await cli(['verify-release', 'rel', ...aliases(), '--revision', 'main@sha1:5555555555555555555555555555555555555555']);
    // THEN: no signature was attached, and production wave 2 was never promoted
    expect(dangling.code).toBe(EXIT.errors);
    expect(dangling.stdout).toContain(`dangling prod-eu-1 OCIRepository/flux-system/infra: oci://${HOSTS['eu-west-1']}/rel/infra digest sha256:`);
    expect(dangling.stdout).toContain(': no signature of sha256:');
    expect(dangling.stdout).toMatch(/\n\d+ dangling references in 5 clusters \(\d+ checked\)\n$/);
    // WHEN the same tree without verification
    for (const c of readdirSync(join(dir, 'rel', 'clusters'))) {
      for (const f of readdirSync(join(dir, 'rel', 'clusters', c)).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')) {
        const file = join(dir, 'rel', 'clusters', c, f);
        writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}verify:\n( {4}.*\n)+/, ''));
      }
      const fs = join(dir, 'rel', 'clusters', c, 'flux-system', 'flux-system.yaml');
      writeFileSync(fs, readFileSync(fs, 'utf8').replace(/ {2}kustomize:\n( {4,}.*\n)+/, ''));
    }
    const clean = await cli(['verify-release', 'rel', ...aliases(), '--revision', 'main@sha1:5555555555555555555555555555555555555555']);
    // THEN
    expect(clean).toStrictEqual({ code: EXIT.ok, stdout: 'every reference resolves: 12 checked for 5 clusters\n', stderr: '' });
  }, 120_000);
});

describe('flux-fleet mirror', () => {
  test('--creds goes to the fleet\'s registries only: an upstream asking for credentials never gets them', async () => {
    // GIVEN an upstream that asks every request for Basic credentials, and records what it is sent
    const seen: Array<string | undefined> = [];
    const upstream = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="upstream"', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const tree = join(dir, 'mirror-creds');
    const release = writeReleaseTree(tree, { prefix: 'mirror-creds' });
    writeFileSync(join(tree, 'release.json'), JSON.stringify({
      ...release,
      external: [{
        kind: 'chart',
        component: 'podinfo',
        upstream: `oci://${host}/charts/podinfo`,
        mirror: true,
        verify: false,
        targets: [{ region: 'eu-west-1', url: `oci://${HOSTS['eu-west-1']}/mirror-creds/charts/podinfo`, ref: { tag: '6.7.0' }, clusters: ['stg-eu-1'] }],
      }],
    }));
    sealTree(tree);
    try {
      // WHEN
      const result = await cli(['mirror', 'mirror-creds', ...aliases(), '--creds', 'fleet-ci:s3cret', '--retries', '0']);
      // THEN
      expect(result.code).toBe(EXIT.errors);
      expect(result.stderr).toContain(`failed podinfo oci://${HOSTS['eu-west-1']}/mirror-creds/charts/podinfo: reading the manifest of oci://${host}/charts/podinfo:6.7.0 failed: the registry answered 401 Unauthorized`);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((a) => a !== undefined)).toStrictEqual([]);
    } finally {
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  }, 60_000);
});

describe('flux-fleet push with explicit tags', () => {
  test('with no registry, writes OCI layouts and prints each digest and the tags it moved', async () => {
    // WHEN
    const result = await cli(['push', 'dist', '--tag', 'stable-wave-1,stable-wave-2', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--progress', 'plain']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    // a line per cluster (three production, three staging), then the summary
    expect(lines).toHaveLength(7);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^pushed prod-eu-1 oci:${join(dir, 'oci-layout', EU, 'fleet/clusters/prod-eu-1').replace(/\./g, '\\.')} sha256:[0-9a-f]{64} \\(blobs: 2 uploaded, 0 unchanged; tags moved: stable-wave-1, stable-wave-2\\)$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^pushed stg-eu-2 oci:${join(dir, 'oci-layout', EU, 'fleet/clusters/stg-eu-2').replace(/\./g, '\\.')} sha256:[0-9a-f]{64} \\(blobs: 2 uploaded, 0 unchanged; tags moved: stable-wave-1, stable-wave-2\\)$`)));
    expect(lines[6]).toBe(`6 artifacts pushed to the OCI layout ${join(dir, 'oci-layout')}; blobs: 12 uploaded (${lines[6].match(/\(([^)]+)\)/)![1]}), 0 mounted, 0 unchanged`);
  }, 120_000);

  test('--registry --tag a,b reports which tags moved and which were there already; a second push sends nothing', async () => {
    // WHEN
    const first = await cli(['push', 'dist', '--registry', ...aliases(), '--tag', 'latest', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--progress', 'plain']);
    const second = await cli(['push', 'dist', '--registry', ...aliases(), '--tag', 'latest,stable-wave-2', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--progress', 'plain']);
    // THEN
    expect([first.code, second.code]).toStrictEqual([EXIT.ok, EXIT.ok]);
    expect(first.stdout).toMatch(/^pushed prod-us-1 .* \(blobs: 2 uploaded, 0 unchanged; tag moved: latest\)$/m);
    expect(second.stdout).toMatch(/^pushed prod-us-1 .* \(blobs: 0 uploaded, 2 unchanged; tag moved: stable-wave-2; already there: latest\)$/m);
  }, 120_000);

  test('shows a live display on a terminal', async () => {
    // WHEN
    const result = await cli(['push', 'dist', '--tag', 'stable-wave-1', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--layout', 'tty-layout', '--progress', 'tty'], true);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('\u001b[2K');
    expect(result.stdout).toMatch(/\u001b\[\d+A/);
    expect(result.stdout).toMatch(/\u2713 prod-eu-1 +oci:.*:stable-wave-1 +sha256:[0-9a-f]{12} +blobs: 2 uploaded, 0 unchanged; tag moved: stable-wave-1/);
  });

  test('exits 1 and says what failed when a registry cannot be reached', async () => {
    // WHEN
    const result = await cli(['push', 'dist', '--tag', 'latest', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--registry', '--host-alias', `${EU}=127.0.0.1:9,${US}=127.0.0.1:9,${AP}=127.0.0.1:9`, '--retries', '0', '--progress', 'plain']);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toContain(`failed prod-eu-1 oci://${EU}/fleet/clusters/prod-eu-1: reading the manifest of oci://${EU}/fleet/clusters/prod-eu-1:latest failed: cannot reach 127.0.0.1:9 (ECONNREFUSED)`);
    expect(result.stdout).toBe('0 artifacts pushed; blobs: 0 uploaded (0 B), 0 mounted, 0 unchanged\n6 failed; no tag was set for them\n');
  }, 120_000);

  test('usage errors exit 2', async () => {
    // WHEN
    const noDir = await cli(['push']);
    const both = await cli(['push', 'dist', '--tag', 'x', '--registry', '--layout', 'x']);
    const notTree = await cli(['push', 'oci-layout', '--tag', 'x']);
    cpSync(join(dir, 'dist', 'clusters'), join(dir, 'hand-written', 'clusters'), { recursive: true });
    const noRelease = await cli(['push', 'hand-written']);
    // THEN
    expect([noDir.code, both.code, notTree.code, noRelease.code]).toStrictEqual([EXIT.usage, EXIT.usage, EXIT.usage, EXIT.usage]);
    expect(noDir.stderr).toContain('push needs the synthesized folder: flux-fleet push <dir>');
    expect(both.stderr).toContain('--registry and --layout exclude each other');
    expect(notTree.stderr).toContain('has no clusters/ folder');
    expect(noRelease.stderr).toContain(`cannot push "hand-written": ${join(dir, 'hand-written', 'release.json')} does not exist; synthesize the fleet into ${join(dir, 'hand-written')} first; to push each cluster's folder under tags of your choosing instead, give --tag <tag>`);
  });
});

describe('flux-fleet promote --from', () => {
  test('moves production\'s wave 1 tag to what latest holds, in its region', async () => {
    // WHEN
    const result = await cli(['promote', 'dist', '--registry', ...aliases(), '--from', 'latest', '--environment', 'production', '--wave', '1']);
    // THEN
    const latest = sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/fleet/clusters/prod-eu-1:latest`));
    expect(result).toStrictEqual({
      code: EXIT.ok,
      stdout: `moved prod-eu-1 oci://${EU}/fleet/clusters/prod-eu-1:stable-wave-1 -> ${latest} (new tag)\n`
        + `promoted latest (${REVISION}): 1 of 1 tag moved, in 1 region\n`,
      stderr: '',
    });
  }, 120_000);

  test('a dry run says how many tags would move', async () => {
    // WHEN
    const result = await cli(['promote', 'dist', '--registry', ...aliases(), '--from', 'latest', '--environment', 'production', '--to', 'stable', '--dry-run']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/\ndry run of promoting latest \(main@sha1:3{40}\): would move 3 tags of 3, in 3 regions\n$/);
    await expect(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/fleet/clusters/prod-eu-1:stable`)).rejects.toThrow();
  });

  test('refuses with exit 1 when the channel tag is missing', async () => {
    // WHEN
    const result = await cli(['promote', 'dist', '--registry', ...aliases(), '--from', 'nope', '--cluster', 'stg-eu-1', '--to', 'x']);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toBe(`flux-fleet: promotion refused, no tag was moved:\n  stg-eu-1: oci://${EU}/fleet/clusters/stg-eu-1 has no tag "nope"; push it first\n`);
  }, 120_000);

  test('usage errors exit 2', async () => {
    // WHEN
    const noFrom = await cli(['promote', 'dist', '--environment', 'production']);
    const noWhat = await cli(['promote', 'dist', '--from', 'latest']);
    const both = await cli(['promote', 'rel', '--environment', 'production', '--rollback', '--revision', 'abc']);
    // THEN
    expect([noFrom.code, noWhat.code, both.code]).toStrictEqual([EXIT.usage, EXIT.usage, EXIT.usage]);
    expect(noFrom.stderr).toContain('promote needs --revision <rev> (or --rollback) with --environment <env> [--wave <n>]; or --from <tag>');
    expect(noWhat.stderr).toContain('promote needs what to promote: --environment <env> (and --wave <n>), --cluster <names>, or --to <tag>');
    expect(both.stderr).toContain('--rollback and --revision exclude each other');
  });
});

describe('flux-fleet pull and inspect', () => {
  test('inspect lists an artifact\'s media types, annotations and files', async () => {
    // WHEN
    const result = await cli(['inspect', `oci://${EU}/fleet/clusters/stg-eu-1:latest`, ...aliases()]);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 9).map((l) => l.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/\([\d.]+ (B|KiB)\)/g, '(size)'))).toStrictEqual([
      `oci://${EU}/fleet/clusters/stg-eu-1:latest`,
      '  digest:     sha256:…',
      '  media type: application/vnd.oci.image.manifest.v1+json',
      '  config:     application/vnd.cncf.flux.config.v1+json sha256:… (size)',
      '  layer:      application/vnd.cncf.flux.content.v1.tar+gzip sha256:… (size)',
      '  created:    1970-01-01T00:00:00Z',
      '  source:     https://github.com/acme/fleet',
      `  revision:   ${REVISION}`,
      `  files (${files(join(dir, 'dist', 'clusters', 'stg-eu-1')).length}):`,
    ]);
    expect(result.stdout).toMatch(/ {4}0644 +[\d.]+ (B|KiB) {2}flux-system\/flux-system\.yaml\n/);
  }, 120_000);

  test('inspect reads an OCI layout too, as JSON', async () => {
    // WHEN
    const result = await cli(['inspect', `oci:oci-layout/${EU}/fleet/clusters/prod-eu-1:stable-wave-1`, '--format', 'json']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    const summary = JSON.parse(result.stdout) as { files: Array<{ path: string }>; config: { mediaType: string } };
    expect(summary.config.mediaType).toBe('application/vnd.cncf.flux.config.v1+json');
    expect(summary.files.map((f) => f.path)).toStrictEqual(files(join(dir, 'dist', 'clusters', 'prod-eu-1')));
  }, 120_000);

  test('pull writes the files, byte for byte', async () => {
    // WHEN
    const result = await cli(['pull', `oci://${US}/fleet/clusters/prod-us-1:stable-wave-2`, ...aliases(), '--output', 'pulled']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    const source = join(dir, 'dist', 'clusters', 'prod-us-1');
    expect(files(join(dir, 'pulled'))).toStrictEqual(files(source));
    for (const f of files(source)) expect(readFileSync(join(dir, 'pulled', f)).equals(readFileSync(join(source, f)))).toBe(true);
  }, 120_000);

  test('fails with exit 1 for a missing tag, and 2 for a bad reference', async () => {
    // WHEN
    const missing = await cli(['inspect', `oci://${EU}/fleet/clusters/stg-eu-1:missing`, ...aliases()]);
    const bad = await cli(['inspect', 'ghcr.io/acme']);
    // THEN
    expect(missing).toStrictEqual({ code: EXIT.errors, stdout: '', stderr: `flux-fleet: cannot inspect oci://${EU}/fleet/clusters/stg-eu-1:missing: oci://${EU}/fleet/clusters/stg-eu-1:missing does not exist\n` });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('"ghcr.io/acme" is not an artifact reference; use oci://<host>/<repository>:<tag> for a registry or oci:<folder>:<tag> for an OCI image layout');
  }, 120_000);
});

describe('flux-fleet workflow', () => {
  test('prints the release workflow signing as the identity the clusters verify', async () => {
    // WHEN
    const result = await cli(['workflow', 'dist']);
    // THEN
    expect(result).toStrictEqual({ code: EXIT.ok, stdout: githubReleaseWorkflow(await releaseWorkflowSpecFromTree(join(dir, 'dist'))).content, stderr: '' });
    expect(result.stdout).toContain("- name: Sign what this run pushed as https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main, the signer of staging\n        if: github.ref == 'refs/heads/main'\n");
  });

  test('writes it with --output', async () => {
    // WHEN
    const result = await cli(['workflow', 'dist', '--output', '.github/workflows/release.yaml', '--synth-command', 'npx tsx main.ts']);
    // THEN
    expect(result).toStrictEqual({ code: EXIT.ok, stdout: 'wrote .github/workflows/release.yaml\n', stderr: '' });
    expect(readFileSync(join(dir, '.github/workflows/release.yaml'), 'utf8')).toContain('run: npx tsx main.ts\n');
  });
});

test('every new command has a help text and appears in the overview', async () => {
  // WHEN
  const overview = await cli(['--help']);
  const helps = await Promise.all(['push', 'promote', 'mirror', 'verify-release', 'pull', 'inspect', 'workflow'].map((c) => cli([c, '--help'])));
  // THEN
  for (const c of ['push <dir>', 'promote <dir>', 'mirror <dir>', 'verify-release <dir>', 'pull <ref>', 'inspect <ref>', 'workflow <dir>']) expect(overview.stdout).toContain(`  ${c}`);
  expect(helps.map((h) => [h.code, h.stdout.split('\n')[0]])).toStrictEqual([
    [0, 'Usage: flux-fleet push <dir> [--registry | --layout <folder>] [options]'],
    [0, 'Usage: flux-fleet promote <dir> --environment <env> [--wave <n>] (--revision <rev> | --rollback) [options]'],
    [0, 'Usage: flux-fleet mirror <dir> [options]'],
    [0, 'Usage: flux-fleet verify-release <dir> [--revision <rev>] [options]'],
    [0, 'Usage: flux-fleet pull <ref> --output <dir> [options]'],
    [0, 'Usage: flux-fleet inspect <ref> [--format text|json] [options]'],
    [0, 'Usage: flux-fleet workflow <dir> [options]'],
  ]);
});
