import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  dockerConfigCredentials, fetchArtifact, OciLayout, packArtifact, parseReference, pushArtifact, sha256Digest,
} from '../../../src/index.js';
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
});
