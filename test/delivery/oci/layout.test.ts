import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { dockerConfigCredentials, fetchArtifact, OciLayout, parseReference, pushArtifact } from '../../../src/delivery/index.js';
import { packArtifact, sha256Digest } from '../../../src/flux/artifact/index.js';
import { skopeo } from '../../support/registry.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'flux-fleet-layout-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const artifact = (text: string) => packArtifact([{ path: 'a.yaml', content: Buffer.from(text) }], { revision: `main@sha1:${text}` });

describe('OCI image layout', () => {
  test('writes oci-layout, index.json with the tags, and the blobs; skopeo reads it', async () => {
    // GIVEN
    const layout = new OciLayout(join(dir, 'one'));
    const a = artifact('one');
    // WHEN
    const pushed = await pushArtifact(layout, a, ['latest', 'stable']);
    // THEN
    expect([pushed.uploaded, pushed.existing]).toStrictEqual([2, 0]);
    expect(JSON.parse(readFileSync(join(dir, 'one', 'oci-layout'), 'utf8'))).toStrictEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(readFileSync(join(dir, 'one', 'index.json'), 'utf8'))).toStrictEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: ['latest', 'stable'].map((tag) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: a.digest,
        size: a.manifestBytes.length,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      })),
    });
    expect(sha256Digest(await skopeo('inspect', '--raw', `oci:${join(dir, 'one')}:stable`))).toBe(a.digest);
  }, 120_000);

  test('moves a tag, keeps the other, skips blobs it has, and reads back by tag or digest', async () => {
    // GIVEN
    const layout = new OciLayout(join(dir, 'two'));
    const a = artifact('a');
    const b = artifact('b');
    await pushArtifact(layout, a, ['latest', 'stable']);
    // WHEN
    const again = await pushArtifact(layout, a, ['latest']);
    await pushArtifact(layout, b, ['latest']);
    // THEN
    expect(again.existing).toBe(2);
    expect(await layout.tags()).toStrictEqual(['latest', 'stable']);
    expect((await layout.fetchManifest('latest'))?.digest).toBe(b.digest);
    expect((await fetchArtifact(layout, a.digest)).files.map((f) => f.content.toString())).toStrictEqual(['a']);
    expect(await layout.fetchManifest('missing')).toBeUndefined();
  });

  test('references name layouts and registries', () => {
    // THEN
    expect(parseReference('oci:dist/layout:stable')).toStrictEqual({ kind: 'layout', path: 'dist/layout', tag: 'stable' });
    expect(parseReference(`oci://127.0.0.1:5000/fleet/clusters/a@sha256:${'a'.repeat(64)}`)).toStrictEqual({ kind: 'registry', host: '127.0.0.1:5000', repository: 'fleet/clusters/a', digest: `sha256:${'a'.repeat(64)}` });
    expect(() => parseReference('oci://ghcr.io/Acme/fleet:v1')).toThrow(/"Acme\/fleet" is not a repository name/);
  });

  test('fails when a reference carries a password, without echoing it', () => {
    // WHEN
    let message = '';
    try {
      parseReference('oci://bob:hunter2@ghcr.io/acme/fleet:v1');
    } catch (e) {
      message = (e as Error).message;
    }
    // THEN
    expect(message).toBe('"oci://bob:***@ghcr.io/acme/fleet:v1" carries credentials; remove them from the reference and give them through a Docker config (docker login) instead');
  });

  test('processes writing one layout at once keep each other\'s tags', async () => {
    // GIVEN three processes pushing 40 tags each into one layout, starting at the same moment
    const layout = join(dir, 'shared');
    const run = promisify(execFile);
    const startAt = String(Date.now() + 8000);
    const script = join(import.meta.dirname, '../../support/layout-writer.ts');
    const writer = (prefix: string) => run(process.execPath, ['--import', 'tsx', script, layout, prefix, '40', startAt], { cwd: join(import.meta.dirname, '../../..') });

    // WHEN
    await Promise.all([writer('a'), writer('b'), writer('c')]);

    // THEN every tag is there
    const tags = await new OciLayout(layout).tags();
    expect(['a', 'b', 'c'].map((p) => tags.filter((t) => t.startsWith(`${p}-`)).length)).toStrictEqual([40, 40, 40]);
  }, 120_000);
});

describe('Docker config credentials', () => {
  test('reads auths entries by host, whatever the key\'s scheme', async () => {
    // GIVEN
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ auths: { 'https://registry.acme.io/v1/': { username: 'u', password: 'p' }, 'ghcr.io': { auth: Buffer.from('me:tok:en').toString('base64') } } }));
    const creds = dockerConfigCredentials({ path: file });
    // THEN
    expect(await creds.credentialsFor('registry.acme.io')).toStrictEqual({ username: 'u', password: 'p' });
    expect(await creds.credentialsFor('ghcr.io')).toStrictEqual({ username: 'me', password: 'tok:en' });
    expect(await creds.credentialsFor('quay.io')).toBeUndefined();
  });

  test('runs the credential helper named for a host', async () => {
    // GIVEN: a helper on PATH that answers for one host
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker-credential-fake'), '#!/bin/sh\nread host\nif [ "$host" = "ecr.example" ]; then echo \'{"Username":"AWS","Secret":"s3cr3t"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n');
    chmodSync(join(bin, 'docker-credential-fake'), 0o755);
    const file = join(dir, 'helpers.json');
    writeFileSync(file, JSON.stringify({ credHelpers: { 'ecr.example': 'fake' }, credsStore: 'fake' }));
    // WHEN
    const creds = dockerConfigCredentials({ path: file, env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` } });
    // THEN
    expect(await creds.credentialsFor('ecr.example')).toStrictEqual({ username: 'AWS', password: 's3cr3t' });
    expect(await creds.credentialsFor('other.example')).toBeUndefined();
  });

  test('fails on a config that is not JSON, naming the file', async () => {
    // GIVEN
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{');
    // THEN
    await expect(dockerConfigCredentials({ path: file }).credentialsFor('ghcr.io')).rejects.toThrow(`the Docker config ${file} is not valid JSON`);
  });

  test('fails on a malformed config without echoing the password in it', async () => {
    // GIVEN a config whose password is not quoted
    const file = join(dir, 'unquoted.json');
    writeFileSync(file, '{\n  "auths": {\n    "ghcr.io": { "username": "bob", "password": hunter2s3cret }\n  }\n}\n');
    // WHEN
    const read = dockerConfigCredentials({ path: file }).credentialsFor('ghcr.io');
    // THEN
    await expect(read).rejects.toThrow(new Error(`the Docker config ${file} is not valid JSON; fix it or log in again with docker login`));
  });
});
