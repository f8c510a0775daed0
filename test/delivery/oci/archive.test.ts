import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  ANNOTATIONS, ArchiveError, MEDIA_TYPES, gzipDeterministic, packArtifact, readTar, sha256Digest, unpackLayer, writeTar,
} from '../../../src/flux/artifact/index.js';

const files = [
  { path: 'kustomization.yaml', content: Buffer.from('resources:\n  - flux-system\n') },
  { path: 'flux-system/flux-system.yaml', content: Buffer.from('kind: FluxInstance\n') },
  { path: 'scripts/check.sh', content: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
];

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'flux-fleet-archive-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The system's tar listing of a tar.gz we wrote: an independent reader. */
function systemList(tgz: Buffer): string[] {
  const file = join(dir, `${sha256Digest(tgz).slice(7, 19)}.tgz`);
  writeFileSync(file, tgz);
  return execFileSync('tar', ['--numeric-owner', '-tvzf', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).trim().split('\n');
}

describe('tar writer', () => {
  test('writes ustar entries in lexical order, mtime 0, owner 0/0, no names, modes kept', () => {
    // WHEN
    const listing = systemList(gzipDeterministic(writeTar(files)));
    // THEN
    expect(listing.map((l) => l.replace(/\s+/g, ' '))).toStrictEqual([
      '-rw-r--r-- 0/0 19 1970-01-01 00:00 flux-system/flux-system.yaml',
      '-rw-r--r-- 0/0 27 1970-01-01 00:00 kustomization.yaml',
      '-rwxr-xr-x 0/0 10 1970-01-01 00:00 scripts/check.sh',
    ]);
  });

  test('header fields are exactly the deterministic ones', () => {
    // WHEN
    const tar = writeTar([{ path: 'a.yaml', content: Buffer.from('x') }]);
    const h = tar.subarray(0, 512);
    const field = (start: number, length: number) => h.toString('latin1', start, start + length);
    // THEN
    expect({
      name: field(0, 6),
      mode: field(100, 8),
      uid: field(108, 8),
      gid: field(116, 8),
      size: field(124, 12),
      mtime: field(136, 12),
      type: field(156, 1),
      magic: field(257, 8),
      uname: field(265, 32),
      gname: field(297, 32),
      length: tar.length,
    }).toStrictEqual({
      name: 'a.yaml',
      mode: '0000644\0',
      uid: '0000000\0',
      gid: '0000000\0',
      size: '00000000001\0',
      mtime: '00000000000\0',
      type: '0',
      magic: 'ustar\u000000',
      uname: '\0'.repeat(32),
      gname: '\0'.repeat(32),
      length: 512 * 4,
    });
  });

  test('a path longer than 100 bytes goes into the ustar prefix, and the system tar reads it whole', () => {
    // GIVEN
    const long = `${'deep/'.repeat(30)}file.yaml`;
    // WHEN
    const listing = systemList(gzipDeterministic(writeTar([{ path: long, content: Buffer.from('x') }])));
    // THEN
    expect(listing).toStrictEqual([expect.stringMatching(new RegExp(`${long.replace(/\./g, '\\.')}$`))]);
  });

  test('the same files in any order give the same bytes', () => {
    // WHEN
    const a = gzipDeterministic(writeTar(files));
    const b = gzipDeterministic(writeTar([...files].reverse()));
    // THEN
    expect(sha256Digest(a)).toBe(sha256Digest(b));
  });

  test('fails when a path would leave the target folder, or is given twice', () => {
    // THEN
    expect(() => writeTar([{ path: '../etc/passwd', content: Buffer.alloc(0) }])).toThrow(/"\.\.\/etc\/passwd" has a "\.\." segment/);
    expect(() => writeTar([{ path: '/abs.yaml', content: Buffer.alloc(0) }])).toThrow(/"\/abs\.yaml" is absolute/);
    expect(() => writeTar([{ path: 'a\\b.yaml', content: Buffer.alloc(0) }])).toThrow(/contains a backslash/);
    expect(() => writeTar([{ path: 'a.yaml', content: Buffer.alloc(0) }, { path: 'a.yaml', content: Buffer.alloc(1) }])).toThrow(/"a\.yaml" is given twice/);
    expect(() => writeTar([{ path: 'a.yaml', content: Buffer.alloc(0), mode: 0o10000 }])).toThrow(ArchiveError);
  });
});

describe('gzip', () => {
  test('the header has no name, mtime 0 and the "unknown" OS byte, whatever the platform', () => {
    // WHEN
    const gz = gzipDeterministic(Buffer.from('hello'));
    // THEN
    expect([...gz.subarray(0, 10)]).toStrictEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
    expect(gunzipSync(gz).toString()).toBe('hello');
  });
});

describe('tar reader', () => {
  test('reads back what the writer wrote', () => {
    // WHEN
    const entries = readTar(writeTar(files));
    // THEN
    expect(entries.map((e) => [e.path, e.mode, e.content.toString()])).toStrictEqual([
      ['flux-system/flux-system.yaml', 0o644, 'kind: FluxInstance\n'],
      ['kustomization.yaml', 0o644, 'resources:\n  - flux-system\n'],
      ['scripts/check.sh', 0o755, '#!/bin/sh\n'],
    ]);
  });

  test('reads a tarball written by the system tar, with folders and long names', () => {
    // GIVEN
    const src = join(dir, 'src');
    const long = 'x'.repeat(120);
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'a.yaml'), 'a: 1\n');
    writeFileSync(join(src, long), 'long\n');
    const file = join(dir, 'system.tgz');
    execFileSync('tar', ['-czf', file, '-C', src, '.']);
    // WHEN
    const read = unpackLayer(readFileSync(file), 'a test tarball');
    // THEN
    expect(read.map((f) => [f.path, f.content.toString()]).sort()).toStrictEqual([['sub/a.yaml', 'a: 1\n'], [long, 'long\n']]);
  }, 120_000);

  test('fails on a corrupt tarball', () => {
    // GIVEN
    const tar = writeTar(files);
    tar[10] = 255 - tar[10];
    // THEN
    expect(() => readTar(tar)).toThrow(/corrupt tarball: the header at byte 0 has a wrong checksum/);
  });
});

describe('packArtifact', () => {
  test('writes Flux\'s manifest: media types, one layer, the annotations', () => {
    // WHEN
    const a = packArtifact(files, { source: 'https://github.com/acme/fleet', revision: 'main@sha1:0123abc' });
    // THEN
    expect(JSON.parse(a.manifestBytes.toString())).toStrictEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: a.config.descriptor.digest, size: a.config.content.length },
      layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: a.layer.descriptor.digest, size: a.layer.content.length }],
      annotations: {
        'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
        'org.opencontainers.image.revision': 'main@sha1:0123abc',
        'org.opencontainers.image.source': 'https://github.com/acme/fleet',
      },
    });
    expect(a.digest).toBe(sha256Digest(a.manifestBytes));
    expect(JSON.parse(a.config.content.toString()).rootfs).toStrictEqual({ type: 'layers', diff_ids: [sha256Digest(writeTar(files))] });
    expect(a.files).toStrictEqual(['flux-system/flux-system.yaml', 'kustomization.yaml', 'scripts/check.sh']);
  });

  test('is reproducible: same tree, same digest; a new revision reuses the blobs', () => {
    // WHEN
    const first = packArtifact(files, { revision: 'main@sha1:1' });
    const again = packArtifact([...files].reverse(), { revision: 'main@sha1:1' });
    const next = packArtifact(files, { revision: 'main@sha1:2' });
    // THEN
    expect(again.digest).toBe(first.digest);
    expect(next.digest).not.toBe(first.digest);
    const blobs = (a: typeof first) => [a.config.descriptor.digest, a.layer.descriptor.digest];
    expect(blobs(next)).toStrictEqual(blobs(first));
  });

  test('takes the created time and extra annotations', () => {
    // WHEN
    const a = packArtifact(files, { created: '2026-01-31T12:00:00Z', annotations: { 'acme.io/cluster': 'prod-eu-1' } });
    // THEN
    expect(a.manifest.annotations).toStrictEqual({ 'acme.io/cluster': 'prod-eu-1', [ANNOTATIONS.created]: '2026-01-31T12:00:00Z' });
  });

  test('fails when created is not an RFC 3339 time', () => {
    // THEN
    expect(() => packArtifact(files, { created: 'yesterday' })).toThrow(/created "yesterday" is not an RFC 3339 time; use e\.g\. "2026-01-31T12:00:00Z"/);
  });
});
