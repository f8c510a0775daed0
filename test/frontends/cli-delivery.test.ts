import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import { githubReleaseWorkflow, releaseWorkflowSpecFromTree, generateSigningKey, publicKeyPem } from '../../src/delivery/index.js';
import { sha256Digest } from '../../src/flux/artifact/index.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { DEFAULT_CONTENT, HOSTS, sealTree, writeReleaseTree } from '../delivery/release-tree.js';
import { skopeo, TestRegistry } from '../support/registry.js';

const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AP = '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com';
const REVISION = 'main@sha1:3333333333333333333333333333333333333333';
/** The key the test tree's clusters verify (Secret cosign-pub), as fleet.key and fleet.pub in the temporary folder. */
const KEY = generateSigningKey();
/** Leases settle fast on loopback registries. */
const LEASE = ['--lease-settle', '500'];

let dir: string;
let eu: TestRegistry;
let us: TestRegistry;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-cli-'));
  buildApp(join(dir, 'dist')).synth();
  writeReleaseTree(join(dir, 'rel'), { prefix: 'rel', publicKey: publicKeyPem(KEY.publicKey) });
  writeFileSync(join(dir, 'fleet.key'), KEY.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  writeFileSync(join(dir, 'fleet.pub'), publicKeyPem(KEY.publicKey));
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
  const push = (...args: string[]) => cli(['push', 'rel', '--registry', ...aliases(), ...LEASE, '--source', 'https://github.com/acme/fleet', ...args]);

  test('--registry --sign pushes components and candidates, signs them, moves staging only, and writes every digest', async () => {
    // WHEN
    // one at a time: America and Asia share a registry here, so their copies of infra land in one repository
    const first = await push('--revision', REVISION, '--sign', '--key', 'fleet.key', '--digests-file', 'rel-digests.txt', '--progress', 'plain', '--concurrency', '1');
    const second = await push('--revision', REVISION, '--format', 'json');
    // THEN
    expect(first.code).toBe(EXIT.ok);
    expect(first.stderr).toBe('');
    const out = first.stdout.trim().split('\n');
    expect(out.filter((l) => l.startsWith('signed '))).toHaveLength(10);
    expect(out.filter((l) => !l.startsWith('pushed ') && !l.startsWith('signed ')).map((l) => l.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…'))).toStrictEqual([
      `moved oci://${HOSTS['eu-west-1']}/rel/clusters/stg-eu-1:latest -> sha256:… (new tag)`,
      `moved oci://${HOSTS['us-east-1']}/rel/clusters/stg-us-1:latest -> sha256:… (new tag)`,
      expect.stringMatching(new RegExp(`^revision ${REVISION}: 5 component artifacts and 5 candidates rev-${SHA} pushed; blobs: 18 uploaded \\([\\d.]+ KiB\\), 0 mounted, 2 unchanged; 2 tags moved$`)),
      `3 tags of production not moved (moved by promotion: flux-fleet promote rel --registry --environment production --wave <n> --revision ${REVISION})`,
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
    const result = await push('--revision', NEXT, '--dry-run');
    // THEN
    writeReleaseTree(join(dir, 'rel'), { prefix: 'rel', publicKey: publicKeyPem(KEY.publicKey) });
    // A refusal (the tree changed since synth), not a mistake on the command line.
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toContain('artifact web-shop: artifacts/web-shop packs to sha256:');
    expect(result.stderr).toContain('the folder changed since synth: synthesize again, then push');
    // WHEN synthesized again (the same tree: same digests), a dry run of the next revision
    const dry = await push('--revision', NEXT, '--dry-run');
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

  test('fails with exit 1, moving no tag, when staging would refuse what it pushed: unsigned, naming the signer staging needs', async () => {
    // WHEN the next revision is pushed without signing
    const result = await push('--revision', NEXT);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    const stderr = result.stderr.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/hint [^)]+\)/g, 'hint …)');
    expect(stderr.split('\n').slice(0, 2)).toStrictEqual([
      'flux-fleet: push refused before moving any followed tag (the components and candidates are pushed; no cluster follows them yet):',
      `  staging's clusters would refuse revision ${NEXT}:`,
    ]);
    expect(stderr).toContain(`stg-eu-1 config: oci://${HOSTS['eu-west-1']}/rel/clusters/stg-eu-1 digest sha256:…: the cluster accepts the key in Secret flux-system/cosign-pub (hint …); found no signature it reads`);
    expect(stderr).toContain('sign as the signer staging verifies (the "accepts" above): its release workflow does (flux-fleet workflow), or push with --sign and that signer (--key <file> for a key; keyless from its CI), then push again');
    const latest = sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/stg-eu-1:latest`));
    expect(latest).toBe(sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/rel/clusters/stg-eu-1:rev-${SHA}`)));
  }, 120_000);

  test('warns when the source annotation is unknown, and says how to set it', async () => {
    // WHEN
    const result = await cli(['push', 'rel', '--revision', REVISION, '--layout', 'rel-layout', ...LEASE]);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toBe('warning: the source annotation is unknown, so Flux will not show where the artifacts come from; set --source <url> (or GITHUB_SERVER_URL and GITHUB_REPOSITORY, which GitHub Actions sets)\n');
  }, 120_000);

  test('shows a live display on a terminal', async () => {
    // WHEN
    const result = await cli(['push', 'rel', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--layout', 'tty-layout', '--progress', 'tty', ...LEASE], true);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('\u001b[2K');
    expect(result.stdout).toMatch(/\u001b\[\d+A/);
    expect(result.stdout).toMatch(new RegExp(`\u2713 prod-eu-1 +oci:.*:rev-${SHA} +sha256:[0-9a-f]{12} +blobs: 2 uploaded, 0 unchanged; tag rev-${SHA}`));
  }, 120_000);

  test('fails with exit 1, saying what failed, when the registries cannot be reached', async () => {
    // WHEN
    const hosts = Object.values(HOSTS).map((h) => `${h}=127.0.0.1:9`).join(',');
    const result = await cli(['push', 'rel', '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--registry', '--host-alias', hosts, '--retries', '0']);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toMatch(/^flux-fleet: reading the manifest of oci:\/\/registry\.[a-z0-9-]+\.acme\.example\/rel\/clusters\/[a-z0-9-]+:rev-3{40} failed: cannot reach 127\.0\.0\.1:9 \(ECONNREFUSED\)\n$/);
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

  test('usage errors exit 2', async () => {
    // WHEN
    const noDir = await cli(['push']);
    const both = await cli(['push', 'rel', '--registry', '--layout', 'x', '--revision', REVISION]);
    cpSync(join(dir, 'dist', 'clusters'), join(dir, 'hand-written', 'clusters'), { recursive: true });
    const noRelease = await cli(['push', 'hand-written']);
    const tag = await cli(['push', 'rel', '--tag', 'x']);
    const signLayout = await cli(['push', 'rel', '--revision', REVISION, '--sign', '--key', 'fleet.key']);
    // THEN
    expect([noDir.code, both.code, noRelease.code, tag.code, signLayout.code]).toStrictEqual(Array(5).fill(EXIT.usage));
    expect(noDir.stderr).toContain('push needs the synthesized folder: flux-fleet push <dir>');
    expect(both.stderr).toContain('--registry and --layout exclude each other');
    expect(noRelease.stderr).toContain(`cannot push "hand-written": ${join(dir, 'hand-written', 'release.json')} does not exist; synthesize the fleet into ${join(dir, 'hand-written')} first; push takes the tree a fleet synthesized, whose release.json says what goes where`);
    expect(tag.stderr).toContain('unknown option "--tag"');
    expect(signLayout.stderr).toContain('--sign needs --registry: an OCI image layout holds no signatures');
  });
});

describe('flux-fleet promote, rollback and verify-release', () => {
  const promote = (...args: string[]) => cli(['promote', 'rel', '--registry', ...aliases(), ...LEASE, '--environment', 'production', ...args]);

  test('promote --revision moves exactly the wave\'s tags; --dry-run says what would move; --rollback puts them back', async () => {
    // GIVEN REVISION pushed (above) and wave 1 first promoted to it, then the next revision pushed and signed
    const first = await promote('--wave', '1', '--revision', REVISION);
    writeReleaseTree(join(dir, 'rel'), { prefix: 'rel', publicKey: publicKeyPem(KEY.publicKey), content: { ...DEFAULT_CONTENT, 'web-shop': { 'deploy/kustomization.yaml': 'resources: []\n' } } });
    const next = 'main@sha1:5555555555555555555555555555555555555555';
    expect((await cli(['push', 'rel', '--registry', ...aliases(), ...LEASE, '--revision', next, '--source', 'https://github.com/acme/fleet', '--sign', '--key', 'fleet.key'])).code).toBe(EXIT.ok);
    // WHEN
    const dry = await promote('--wave', '1', '--revision', next, '--dry-run');
    const promoted = await promote('--wave', '1', '--revision', next);
    const rolledBack = await promote('--wave', '1', '--rollback');
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

  test('promote refuses with exit 1, moving nothing, when a cluster of the wave lacks the candidate, advising the push that restores it alone', async () => {
    // WHEN
    const result = await promote('--wave', '2', '--revision', 'main@sha1:9999999999999999999999999999999999999999');
    // THEN
    expect(result.code).toBe(EXIT.errors);
    const rev = 'main@sha1:9999999999999999999999999999999999999999';
    expect(result.stderr).toBe([
      'flux-fleet: promotion refused, no tag was moved:',
      `  prod-ap-1: oci://${HOSTS['ap-southeast-1']}/rel/clusters/prod-ap-1 (ap-southeast-1) has no candidate rev-${'9'.repeat(40)} (revision ${rev}); push that revision first, holding every followed tag: flux-fleet push rel --registry --revision ${rev} --hold-tags`,
      `  prod-us-1: oci://${HOSTS['us-east-1']}/rel/clusters/prod-us-1 (us-east-1) has no candidate rev-${'9'.repeat(40)} (revision ${rev}); push that revision first, holding every followed tag: flux-fleet push rel --registry --revision ${rev} --hold-tags`,
      '',
    ].join('\n'));
  }, 120_000);

  test('usage errors exit 2', async () => {
    // WHEN
    const noRevision = await cli(['promote', 'rel', '--environment', 'production']);
    const from = await cli(['promote', 'rel', '--from', 'latest']);
    const both = await cli(['promote', 'rel', '--environment', 'production', '--rollback', '--revision', 'abc']);
    const environment = await cli(['promote', 'rel', '--registry', ...aliases(), '--environment', 'prod', '--revision', REVISION]);
    // THEN
    expect([noRevision.code, from.code, both.code, environment.code]).toStrictEqual([EXIT.usage, EXIT.usage, EXIT.usage, EXIT.usage]);
    expect(environment.stderr).toBe('flux-fleet: there is no environment "prod" in the release; use one of production, staging\n');
    expect(noRevision.stderr).toContain('promote needs --revision <rev> (or --rollback) with --environment <env> [--wave <n>]');
    expect(from.stderr).toContain('unknown option "--from"');
    expect(both.stderr).toContain('--rollback and --revision exclude each other');
  });

  test('verify-release exits 1 naming each reference that dangles or does not verify, 0 when everything resolves and verifies', async () => {
    // WHEN production wave 2 was never promoted
    const live = await cli(['verify-release', 'rel', ...aliases()]);
    const revision = await cli(['verify-release', 'rel', ...aliases(), '--revision', 'main@sha1:5555555555555555555555555555555555555555']);
    // THEN
    expect(live.code).toBe(EXIT.errors);
    expect(live.stdout.trim().split('\n').map((l) => l.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…'))).toStrictEqual([
      `dangling prod-ap-1 config: oci://${HOSTS['ap-southeast-1']}/rel/clusters/prod-ap-1 tag stable-wave-2: the tag stable-wave-2 does not exist`,
      `dangling prod-us-1 config: oci://${HOSTS['us-east-1']}/rel/clusters/prod-us-1 tag stable-wave-2: the tag stable-wave-2 does not exist`,
      '2 dangling references in 2 clusters (11 checked for 5 clusters)',
    ]);
    expect(revision).toStrictEqual({ code: EXIT.ok, stdout: 'every reference resolves and verifies: 12 checked for 5 clusters\n', stderr: '' });
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

describe('flux-fleet pull and inspect', () => {
  test('inspect lists an artifact\'s media types, annotations and files', async () => {
    // WHEN
    const result = await cli(['inspect', `oci://${HOSTS['eu-west-1']}/rel/clusters/stg-eu-1:rev-${'3'.repeat(40)}`, ...aliases()]);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 9).map((l) => l.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/\([\d.]+ (B|KiB)\)/g, '(size)'))).toStrictEqual([
      `oci://${HOSTS['eu-west-1']}/rel/clusters/stg-eu-1:rev-${'3'.repeat(40)}`,
      '  digest:     sha256:…',
      '  media type: application/vnd.oci.image.manifest.v1+json',
      '  config:     application/vnd.cncf.flux.config.v1+json sha256:… (size)',
      '  layer:      application/vnd.cncf.flux.content.v1.tar+gzip sha256:… (size)',
      '  created:    1970-01-01T00:00:00Z',
      '  source:     https://github.com/acme/fleet',
      `  revision:   ${REVISION}`,
      `  files (${files(join(dir, 'rel', 'clusters', 'stg-eu-1')).length}):`,
    ]);
    expect(result.stdout).toMatch(/ {4}0644 +[\d.]+ (B|KiB) {2}flux-system\/flux-system\.yaml\n/);
  }, 120_000);

  test('inspect reads an OCI layout too, as JSON', async () => {
    // WHEN
    const result = await cli(['inspect', `oci:rel-layout/${HOSTS['eu-west-1']}/rel/clusters/prod-eu-1:rev-3333333333333333333333333333333333333333`, '--format', 'json']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    const summary = JSON.parse(result.stdout) as { files: Array<{ path: string }>; config: { mediaType: string } };
    expect(summary.config.mediaType).toBe('application/vnd.cncf.flux.config.v1+json');
    expect(summary.files.map((f) => f.path)).toStrictEqual(files(join(dir, 'rel', 'clusters', 'prod-eu-1')));
  }, 120_000);

  test('pull writes the files, byte for byte', async () => {
    // WHEN
    const result = await cli(['pull', `oci://${HOSTS['eu-west-1']}/rel/clusters/prod-eu-1:stable-wave-1`, ...aliases(), '--output', 'pulled']);
    // THEN: wave 1 was rolled back to the first revision's config
    expect(result.code).toBe(EXIT.ok);
    writeReleaseTree(join(dir, 'first'), { prefix: 'rel', publicKey: publicKeyPem(KEY.publicKey) });
    const source = join(dir, 'first', 'clusters', 'prod-eu-1');
    expect(files(join(dir, 'pulled'))).toStrictEqual(files(source));
    for (const f of files(source)) expect(readFileSync(join(dir, 'pulled', f)).equals(readFileSync(join(source, f)))).toBe(true);
  }, 120_000);

  test('fails with exit 1 for a missing tag, and 2 for a bad reference', async () => {
    // WHEN
    const missing = await cli(['inspect', `oci://${EU}/fleet/clusters/stg-eu-1:missing`, ...aliases()]);
    const bad = await cli(['inspect', 'ghcr.io/acme']);
    // THEN
    expect(missing).toStrictEqual({ code: EXIT.errors, stdout: '', stderr: `flux-fleet: oci://${EU}/fleet/clusters/stg-eu-1:missing does not exist\n` });
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
    // staging's key on main, production's workflow on v* tags, as data of the release job
    expect(result.stdout).toContain('      FLUX_FLEET_SIGNER_1_REF_PREFIX: refs/tags/v\n      FLUX_FLEET_SIGNER_1_ENVIRONMENTS: production\n');
    expect(result.stdout).toContain('      FLUX_FLEET_SIGNER_2_REF: refs/heads/main\n      FLUX_FLEET_SIGNER_2_ENVIRONMENTS: staging\n');
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
    [0, 'Usage: flux-fleet verify-release <dir> [--revision <rev>] [--environment <env>[,...] [--wave <n>]] [options]'],
    [0, 'Usage: flux-fleet pull <ref> --output <dir> [options]'],
    [0, 'Usage: flux-fleet inspect <ref> [--format text|json] [options]'],
    [0, 'Usage: flux-fleet workflow <dir> [options]'],
  ]);
});
