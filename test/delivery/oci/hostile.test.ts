import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  basicCredentials, formatSummary, inspectArtifact, pushArtifact, RegistryClient, type RegistryClientOptions,
} from '../../../src/delivery/index.js';
import { encryptPrivateKey, generateSigningKey, publicKeyPem } from '../../../src/delivery/signing/keys.js';
import { packArtifact } from '../../../src/flux/artifact/index.js';
import { EXIT, run } from '../../../src/frontends/cli/index.js';
import { FORGED_ERROR_MESSAGE, HOSTILE_CREDENTIALS, HostileRegistry, type HostileAttack } from '../../support/hostile-registry.js';

const FAST = { retries: 1, baseDelayMs: 20, maxDelayMs: 50 };
const started: HostileRegistry[] = [];
const clients: RegistryClient[] = [];

afterAll(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(started.map((r) => r.stop()));
});

async function hostile(attack: HostileAttack, tls = false): Promise<HostileRegistry> {
  const r = await HostileRegistry.start(attack, { tls });
  started.push(r);
  return r;
}

function client(r: HostileRegistry, options: Partial<RegistryClientOptions> = {}): RegistryClient {
  const c = new RegistryClient({
    host: r.host,
    credentials: basicCredentials(HOSTILE_CREDENTIALS.username, HOSTILE_CREDENTIALS.password),
    retry: FAST,
    ...(r.ca ? { endpoint: `https://${r.host}`, ca: r.ca } : {}),
    ...options,
  });
  clients.push(c);
  return c;
}

describe('credentials stay with their registry', () => {
  test('fails when a redirected blob download answers with another origin\'s challenge, sending it nothing', async () => {
    // GIVEN a registry that redirects blob downloads to an accomplice asking for a bearer token of its own
    const r = await hostile('redirect-to-challenge');

    // WHEN the artifact is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1');

    // THEN the download fails on the accomplice's 401, and neither the accomplice nor its realm saw the credentials
    await expect(read).rejects.toThrow(/downloading blob .* failed: the registry answered 401/);
    expect(r.credentialsLeaked()).toBe(false);
    expect(r.accompliceSeen.map((s) => s.path.replace(/sha256:\w+/, '<digest>'))).toStrictEqual(['/storage/<digest>']);
  }, 60_000);

  test('an upload Location on another origin is followed without credentials', async () => {
    // GIVEN a registry whose upload sessions live on an accomplice
    const r = await hostile('foreign-upload-location');
    const artifact = packArtifact([{ path: 'a.yaml', content: Buffer.from('a: 1\n') }]);

    // WHEN an artifact is pushed
    await pushArtifact(client(r).repository('hostile/app'), artifact, ['v2']);

    // THEN the blobs went to the accomplice, without the registry's credentials
    expect(r.accompliceSeen.map((s) => `${s.method} ${s.path.replace(/\?.*/, '')}`)).toStrictEqual(['PUT /upload/1', 'PUT /upload/1']);
    expect(r.accompliceSeen.every((s) => s.authorization === undefined)).toBe(true);
  }, 60_000);

  test('a tag list Link on another origin is followed without credentials', async () => {
    // GIVEN a registry whose next page of tags is on an accomplice
    const r = await hostile('foreign-next-link');

    // WHEN the tags are listed
    const tags = await client(r).repository('hostile/app').tags();

    // THEN the accomplice's page was read without credentials
    expect(tags).toStrictEqual(['v1', 'v2']);
    expect(r.accompliceSeen.length).toBe(1);
    expect(r.credentialsLeaked()).toBe(false);
    expect(r.accompliceSeen[0].authorization).toBeUndefined();
  }, 60_000);

  test('fails when an HTTPS registry names a plain-HTTP token realm', async () => {
    // GIVEN a registry over HTTPS whose token realm is plain HTTP
    const r = await hostile('plain-http-realm', true);

    // WHEN the artifact is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1');

    // THEN the token realm is refused and never contacted
    await expect(read).rejects.toThrow(/refused: 127\.0\.0\.1:\d+ is reached over HTTPS but names a plain-HTTP token realm/);
    expect(r.accompliceSeen).toStrictEqual([]);
  }, 60_000);

  test('fails when the token realm is on another host, unless that host is allowed', async () => {
    // GIVEN a registry at 127.0.0.1 whose token realm is at localhost
    const r = await hostile('foreign-realm');

    // WHEN the artifact is read with the default rules, then with localhost allowed
    const refused = inspectArtifact(client(r).repository('hostile/app'), 'v1');
    await expect(refused).rejects.toThrow(/the token realm's host localhost is not 127\.0\.0\.1's; .*tokenRealmHosts/);
    expect(r.accompliceSeen).toStrictEqual([]);
    await inspectArtifact(client(r, { tokenRealmHosts: ['localhost'] }).repository('hostile/app'), 'v1');

    // THEN only the allowed realm got the credentials
    expect(r.accompliceSeen.map((s) => s.authorization !== undefined)).toStrictEqual([true]);
  }, 60_000);
});

describe('what a registry sends is bounded', () => {
  test('fails when a small gzip layer expands beyond the per-file limit', async () => {
    // GIVEN a layer of about 80 KiB of gzip holding one file of 80 MiB
    const r = await hostile('gzip-bomb');

    // WHEN it is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1');

    // THEN the entry is refused by its size, before it is read
    await expect(read).rejects.toThrow(/the tarball's entry at byte 0 is 80\.0 MiB, more than the limit of 64\.0 MiB per file/);
  }, 60_000);

  test('fails when the total uncompressed size passes the limit', async () => {
    // GIVEN the same layer, read with a total limit of 16 MiB
    const r = await hostile('gzip-bomb');

    // WHEN it is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1', { maxTotalSize: 16 * 1024 * 1024 });

    // THEN gzip stops at the limit
    await expect(read).rejects.toThrow(/expands to more than 16\.0 MiB \(\d+\.\d KiB compressed\), the limit/);
  }, 60_000);

  test('fails when a blob is longer than its descriptor says, cutting it off', async () => {
    // GIVEN a registry sending 8 MiB more than the layer's descriptor counts
    const r = await hostile('oversized-blob');

    // WHEN it is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1');

    // THEN the download stops at the descriptor's size
    await expect(read).rejects.toThrow(/downloading blob .* failed: the answer is larger than the size its descriptor gives \(\d+ B\); it was cut off/);
  }, 60_000);

  test('fails when a manifest never ends', async () => {
    // GIVEN a registry sending 64 MiB as the manifest
    const r = await hostile('endless-manifest');

    // WHEN it is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1');

    // THEN it is cut off at the 4 MiB manifest limit
    await expect(read).rejects.toThrow(/reading the manifest of .* failed: the answer is larger than the manifest limit \(4\.0 MiB\); it was cut off/);
  }, 60_000);

  test('fails when a manifest trickles past the request deadline', async () => {
    // GIVEN a registry sending the manifest one byte a second, and a deadline of 3 s
    const r = await hostile('trickle-manifest');
    const begin = Date.now();

    // WHEN it is read
    const read = inspectArtifact(client(r, { deadlineMs: 3000 }).repository('hostile/app'), 'v1');

    // THEN it fails at the deadline, though the registry never fell silent
    await expect(read).rejects.toThrow(/no complete answer within 3 s \(the deadline of a request\)/);
    expect(Date.now() - begin).toBeLessThan(20_000);
  }, 60_000);

  test('fails when a descriptor digest is a path, before it goes into a URL', async () => {
    // GIVEN a manifest whose layer digest is ../../../../etc/passwd
    const r = await hostile('traversal-digest');

    // WHEN the artifact is read
    const read = inspectArtifact(client(r).repository('hostile/app'), 'v1');

    // THEN the digest is refused and no request names it
    await expect(read).rejects.toThrow('the descriptor digest "../../../../etc/passwd" is not a sha256 digest');
    expect(r.seen.filter((s) => s.path.includes('passwd') || s.path.includes('..'))).toStrictEqual([]);
  }, 60_000);

  test('inspect prints no control characters from annotations', async () => {
    // GIVEN a manifest whose annotations hold terminal escape sequences and a line break
    const r = await hostile('escape-annotations');

    // WHEN it is inspected and printed
    const text = formatSummary(await inspectArtifact(client(r).repository('hostile/app'), 'v1'));

    // THEN every control character is shown as "?"
    expect(text.split('\n').filter((l) => l.includes('revision:') || l.includes('annotation:'))).toStrictEqual([
      '  revision:   main?[2J?]0;owned?',
      '  annotation: x?[31m=red??forged: line',
    ]);
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)).toBe(false);
  }, 60_000);
});

describe('registry text printed by the command line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flux-fleet-hostile-cli-'));
    const key = generateSigningKey();
    writeFileSync(join(dir, 'cosign.key'), encryptPrivateKey(key.privateKey, ''));
    writeFileSync(join(dir, 'cosign.pub'), publicKeyPem(key.publicKey));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['inspect', (ref: string) => ['inspect', ref]],
    ['pull', (ref: string) => ['pull', ref, '--output', 'pulled']],
    ['verify', (ref: string) => ['verify', ref, '--key', 'cosign.pub']],
    ['sign', (ref: string) => ['sign', ref, '--key', 'cosign.key']],
  ])('%s prints a registry\'s error message without its escape sequences or the lines it forges', async (_, argv) => {
    // GIVEN a registry whose error body clears the screen and forges "verified" lines
    const r = await hostile('escape-error-body');
    process.env.COSIGN_PASSWORD = '';
    let stdout = '';
    let stderr = '';
    // WHEN
    const code = await run([...argv(`oci://${r.host}/hostile/app:v1`), '--creds', `${HOSTILE_CREDENTIALS.username}:${HOSTILE_CREDENTIALS.password}`], {
      stdout: { write: (t: string) => { stdout += t; } },
      stderr: { write: (t: string) => { stderr += t; } },
      cwd: dir,
    });
    delete process.env.COSIGN_PASSWORD;
    // THEN it fails, naming the registry's refusal on one line, with every control character shown as "?"
    expect(code).not.toBe(EXIT.ok);
    const printed = stdout + stderr;
    expect(printed).toContain(`DENIED: ${FORGED_ERROR_MESSAGE.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}`);
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(printed)).toBe(false);
    expect(printed.split('\n').filter((l) => /^(verified|all signatures verified)/.test(l))).toStrictEqual([]);
  }, 60_000);
});
