import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { githubReleaseWorkflow, releaseWorkflowSpecFromTree } from '../../src/delivery/index.js';
import { sha256Digest } from '../../src/index.js';
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

function aliases(): string[] {
  return ['--host-alias', `${EU}=${eu.host},${US}=${us.host},${AP}=${us.host}`];
}

function files(root: string): string[] {
  const walk = (d: string): string[] => readdirSync(d)
    .flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(root, join(d, n))]));
  return walk(root).sort();
}

describe('flux-fleet push', () => {
  test('with no registry, writes OCI layouts and prints each digest', async () => {
    // WHEN
    const result = await cli(['push', 'dist', '--progress', 'plain']);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^pushed prod-eu-1 oci:${join(dir, 'oci-layout', EU, 'fleet/clusters/prod-eu-1').replace(/\./g, '\\.')}:stable-wave-1 sha256:[0-9a-f]{64} \\(blobs: 2 uploaded, 0 unchanged\\)$`)));
    expect(lines[5]).toBe(`5 artifacts pushed to the OCI layout ${join(dir, 'oci-layout')}; blobs: 10 uploaded (${lines[5].match(/\(([^)]+)\)/)![1]}), 0 mounted, 0 unchanged`);
  }, 120_000);

  test('--registry pushes to each region\'s registry, writes the digests file, and a second push sends nothing', async () => {
    // WHEN
    const first = await cli(['push', 'dist', '--registry', ...aliases(), '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--digests-file', 'digests.txt', '--progress', 'plain']);
    const second = await cli(['push', 'dist', '--registry', ...aliases(), '--revision', REVISION, '--source', 'https://github.com/acme/fleet', '--format', 'json']);
    // THEN
    expect(first.code).toBe(EXIT.ok);
    const digests = readFileSync(join(dir, 'digests.txt'), 'utf8').trim().split('\n');
    expect(digests.map((d) => d.replace(/@sha256:[0-9a-f]{64}$/, ''))).toStrictEqual([
      `${AP}/fleet/clusters/prod-ap-1`, `${EU}/fleet/clusters/prod-eu-1`, `${US}/fleet/clusters/prod-us-1`, `${EU}/fleet/clusters/stg-eu-1`, `${US}/fleet/clusters/stg-us-1`,
    ]);
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/fleet/clusters/prod-eu-1:stable-wave-1`);
    expect(digests[1]).toBe(`${EU}/fleet/clusters/prod-eu-1@${sha256Digest(raw)}`);
    expect(JSON.parse(raw).annotations['org.opencontainers.image.revision']).toBe(REVISION);
    const report = JSON.parse(second.stdout) as { pushed: Array<{ uploaded: number; existing: number; digest: string }>; failed: unknown[] };
    expect(second.code).toBe(EXIT.ok);
    expect(report.failed).toStrictEqual([]);
    expect(report.pushed.map((p) => [p.uploaded, p.existing])).toStrictEqual([[0, 2], [0, 2], [0, 2], [0, 2], [0, 2]]);
    expect(report.pushed[1].digest).toBe(sha256Digest(raw));
  }, 120_000);

  test('shows a live display on a terminal', async () => {
    // WHEN
    const result = await cli(['push', 'dist', '--layout', 'tty-layout', '--progress', 'tty'], true);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('\u001b[2K');
    expect(result.stdout).toMatch(/\u001b\[\d+A/);
    expect(result.stdout).toMatch(/\u2713 prod-eu-1 +oci:.*:stable-wave-1 +sha256:[0-9a-f]{12} +blobs: 2 uploaded, 0 unchanged/);
  });

  test('exits 1 and says what failed when a registry cannot be reached', async () => {
    // WHEN
    const result = await cli(['push', 'dist', '--registry', '--host-alias', `${EU}=127.0.0.1:9,${US}=127.0.0.1:9,${AP}=127.0.0.1:9`, '--retries', '0', '--progress', 'plain']);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toContain(`failed prod-eu-1 oci://${EU}/fleet/clusters/prod-eu-1: checking for blob sha256:`);
    expect(result.stderr).toContain('failed: cannot reach 127.0.0.1:9 (ECONNREFUSED)');
    expect(result.stdout).toBe('0 artifacts pushed; blobs: 0 uploaded (0 B), 0 mounted, 0 unchanged\n5 failed; no tag was set for them\n');
  }, 120_000);

  test('usage errors exit 2', async () => {
    // WHEN
    const noDir = await cli(['push']);
    const both = await cli(['push', 'dist', '--registry', '--layout', 'x']);
    const notTree = await cli(['push', 'oci-layout']);
    // THEN
    expect([noDir.code, both.code, notTree.code]).toStrictEqual([EXIT.usage, EXIT.usage, EXIT.usage]);
    expect(noDir.stderr).toContain('push needs the synthesized folder: flux-fleet push <dir>');
    expect(both.stderr).toContain('--registry and --layout exclude each other');
    expect(notTree.stderr).toContain('has no clusters/ folder');
  });
});

describe('flux-fleet promote', () => {
  test('moves production\'s wave 1 tag to what latest holds, in its region', async () => {
    // GIVEN
    await cli(['push', 'dist', '--registry', ...aliases(), '--tag', 'latest', '--revision', REVISION]);
    // WHEN
    const result = await cli(['promote', 'dist', '--registry', ...aliases(), '--from', 'latest', '--environment', 'production', '--wave', '1']);
    // THEN
    const latest = sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/fleet/clusters/prod-eu-1:latest`));
    expect(result).toStrictEqual({
      code: EXIT.ok,
      stdout: `moved prod-eu-1 oci://${EU}/fleet/clusters/prod-eu-1:stable-wave-1 -> ${latest} (was ${result.stdout.match(/was (sha256:[0-9a-f]{12})/)![1]})\n`
        + `promoted latest (${REVISION}): 1 of 1 tag moved, in 1 region\n`,
      stderr: '',
    });
  }, 120_000);

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
    // THEN
    expect([noFrom.code, noWhat.code]).toStrictEqual([EXIT.usage, EXIT.usage]);
    expect(noFrom.stderr).toContain('promote needs --from <tag>');
    expect(noWhat.stderr).toContain('promote needs what to promote: --environment <env> (and --wave <n>), --cluster <names>, or --to <tag>');
  });
});

describe('flux-fleet pull and inspect', () => {
  test('inspect lists an artifact\'s media types, annotations and files', async () => {
    // WHEN
    const result = await cli(['inspect', `oci://${EU}/fleet/clusters/stg-eu-1:latest`, ...aliases()]);
    // THEN
    expect(result.code).toBe(EXIT.ok);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 8).map((l) => l.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/\([\d.]+ (B|KiB)\)/g, '(size)'))).toStrictEqual([
      `oci://${EU}/fleet/clusters/stg-eu-1:latest`,
      '  digest:     sha256:…',
      '  media type: application/vnd.oci.image.manifest.v1+json',
      '  config:     application/vnd.cncf.flux.config.v1+json sha256:… (size)',
      '  layer:      application/vnd.cncf.flux.content.v1.tar+gzip sha256:… (size)',
      '  created:    1970-01-01T00:00:00Z',
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
    expect(result.stdout).toContain("--certificate-identity 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main'");
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
  const helps = await Promise.all(['push', 'promote', 'pull', 'inspect', 'workflow'].map((c) => cli([c, '--help'])));
  // THEN
  for (const c of ['push <dir>', 'promote <dir>', 'pull <ref>', 'inspect <ref>', 'workflow <dir>']) expect(overview.stdout).toContain(`  ${c}`);
  expect(helps.map((h) => [h.code, h.stdout.split('\n')[0]])).toStrictEqual([
    [0, 'Usage: flux-fleet push <dir> [--registry | --layout <folder>] [options]'],
    [0, 'Usage: flux-fleet promote <dir> --from <tag> (--environment <env> [--wave <n>] | --cluster <name>[,...] | --to <tag>) [options]'],
    [0, 'Usage: flux-fleet pull <ref> --output <dir> [options]'],
    [0, 'Usage: flux-fleet inspect <ref> [--format text|json] [options]'],
    [0, 'Usage: flux-fleet workflow <dir> [options]'],
  ]);
});
