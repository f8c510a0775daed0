import { execFileSync } from 'node:child_process';
import { randomBytes, scryptSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptPrivateKey, generateSigningKey, publicKeyPem, readPrivateKey, readPublicKey } from '../../../src/delivery/signing/keys.js';
import { hsalsa20, poly1305, secretboxOpen, secretboxSeal } from '../../../src/delivery/signing/secretbox.js';

// NaCl's published secretbox test vector (tests/secretbox.c): firstkey, nonce, the 131-byte message and its box.
const KEY = Buffer.from('1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389', 'hex');
const NONCE = Buffer.from('69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37', 'hex');
const MESSAGE = Buffer.from(
  'be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31'
  + '0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705', 'hex');
const BOX = Buffer.from(
  'f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972'
  + '71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5', 'hex');

describe('secretbox (XSalsa20-Poly1305)', () => {
  test('seals NaCl\'s test vector to its published box', () => {
    // WHEN
    const box = secretboxSeal(MESSAGE, NONCE, KEY);
    // THEN
    expect(box.toString('hex')).toBe(BOX.toString('hex'));
  });

  test('HSalsa20 derives NaCl\'s published second key', () => {
    // WHEN
    const subkey = hsalsa20(KEY, NONCE.subarray(0, 16));
    // THEN
    expect(subkey.toString('hex')).toBe('dc908dda0b9344a953629b733820778880f3ceb421bb61b91cbd4c3e66256ce4');
  });

  test('Poly1305 gives RFC 8439\'s test vector tag', () => {
    // GIVEN: RFC 8439 section 2.5.2
    const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
    // WHEN
    const tag = poly1305(key, Buffer.from('Cryptographic Forum Research Group'));
    // THEN
    expect(tag.toString('hex')).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });

  test('opens the box, and fails when a byte is altered', () => {
    // GIVEN
    const altered = Buffer.from(BOX);
    altered[40] = (altered[40] + 1) % 256;
    // THEN
    expect(secretboxOpen(BOX, NONCE, KEY)?.equals(MESSAGE)).toBe(true);
    expect(secretboxOpen(altered, NONCE, KEY)).toBeUndefined();
  });
});

describe('keys', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'flux-fleet-keys-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('an encrypted cosign key reads back with its password, and signs what its public key verifies', () => {
    // GIVEN
    const key = generateSigningKey();
    const pem = encryptPrivateKey(key.privateKey, 'correct horse');
    // WHEN
    const read = readPrivateKey(pem, 'correct horse', 'cosign.key');
    // THEN
    expect(pem.split('\n')[0]).toBe('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----');
    const doc = JSON.parse(Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64').toString('utf8'));
    expect({ kdf: doc.kdf.name, params: doc.kdf.params, salt: Buffer.from(doc.kdf.salt, 'base64').length, cipher: doc.cipher.name, nonce: Buffer.from(doc.cipher.nonce, 'base64').length })
      .toStrictEqual({ kdf: 'scrypt', params: { N: 65536, r: 8, p: 1 }, salt: 32, cipher: 'nacl/secretbox', nonce: 24 });
    const signature = sign('sha256', Buffer.from('payload'), read.privateKey);
    expect(verify('sha256', Buffer.from('payload'), readPublicKey(publicKeyPem(key.publicKey), 'cosign.pub'), signature)).toBe(true);
  });

  test('fails when the password is wrong', () => {
    // GIVEN
    const pem = encryptPrivateKey(generateSigningKey().privateKey, 'right');
    // THEN
    expect(() => readPrivateKey(pem, 'wrong', 'cosign.key')).toThrow('cosign.key: wrong password (COSIGN_PASSWORD does not decrypt this key)');
    expect(() => readPrivateKey(pem, undefined, 'cosign.key')).toThrow('cosign.key is an encrypted cosign key; set COSIGN_PASSWORD');
  });

  test('reads plain PKCS#8 and SEC1 P-256 keys made by openssl', () => {
    // GIVEN
    const sec1 = join(dir, 'sec1.pem');
    const pkcs8 = join(dir, 'pkcs8.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', sec1]);
    execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', sec1, '-out', pkcs8]);
    // WHEN
    const fromSec1 = readPrivateKey(readFileSync(sec1, 'utf8'), undefined, 'sec1.pem');
    const fromPkcs8 = readPrivateKey(readFileSync(pkcs8, 'utf8'), undefined, 'pkcs8.pem');
    // THEN
    expect(readFileSync(sec1, 'utf8')).toMatch(/BEGIN EC PRIVATE KEY/);
    expect(publicKeyPem(fromSec1.publicKey)).toBe(publicKeyPem(fromPkcs8.publicKey));
  });

  test('fails when the key is not P-256', () => {
    // GIVEN
    const p384 = join(dir, 'p384.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', p384]);
    // THEN
    expect(() => readPrivateKey(readFileSync(p384, 'utf8'), undefined, 'p384.pem')).toThrow('p384.pem is a secp384r1 key; Flux verifies ECDSA P-256 keys: generate one with flux-fleet keygen');
  });

  /**
   * A cosign key file written the way go-securesystemslib's `encrypted` package writes one, with the given scrypt
   * parameters (in the given spelling of their names), so that a test controls what a hostile file asks for.
   */
  function cosignKeyFile(params: Record<string, number>, options: { password?: string; nonce?: Buffer } = {}): { pem: string; publicKey: string } {
    const key = generateSigningKey();
    const salt = randomBytes(32);
    const nonce = options.nonce ?? randomBytes(24);
    const n = Object.entries(params).find(([k]) => k.toLowerCase() === 'n')?.[1] ?? 0;
    // Derive only for parameters cheap enough to derive; a file asking for more is sealed with any key.
    const boxKey = n <= 131072 ? scryptSync(options.password ?? 'pw', salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 }) : randomBytes(32);
    const doc = {
      kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
      cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
      ciphertext: secretboxSeal(key.privateKey.export({ type: 'pkcs8', format: 'der' }), nonce.length === 24 ? nonce : randomBytes(24), boxKey).toString('base64'),
    };
    const lines = Buffer.from(JSON.stringify(doc)).toString('base64').match(/.{1,64}/g)!;
    return { pem: `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${lines.join('\n')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`, publicKey: publicKeyPem(key.publicKey) };
  }

  test.each([32768, 65536, 131072])('reads a cosign key with scrypt N=%d (r=8, p=1), as cosign does, and its signature verifies with openssl', (n) => {
    // GIVEN
    const file = cosignKeyFile({ N: n, r: 8, p: 1 });
    writeFileSync(join(dir, `n${n}.pub`), file.publicKey);
    writeFileSync(join(dir, 'payload'), 'payload');
    // WHEN
    const key = readPrivateKey(file.pem, 'pw', 'cosign.key');
    writeFileSync(join(dir, `n${n}.sig`), sign('sha256', Buffer.from('payload'), key.privateKey));
    // THEN
    expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, `n${n}.pub`), '-signature', join(dir, `n${n}.sig`), join(dir, 'payload')], { encoding: 'utf8' })).toBe('Verified OK\n');
  }, 30_000);

  test('reads parameter names in any case, as Go\'s JSON decoder matches them', () => {
    // GIVEN
    const file = cosignKeyFile({ n: 32768, R: 8, P: 1 });
    // THEN
    expect(publicKeyPem(readPrivateKey(file.pem, 'pw', 'cosign.key').publicKey)).toBe(file.publicKey);
  });

  test.each([
    [{ N: 1048576, r: 8, p: 1 }, 'N=1048576, r=8, p=1'],
    [{ N: 16384, r: 8, p: 1 }, 'N=16384, r=8, p=1'],
    [{ N: 32768, r: 16, p: 1 }, 'N=32768, r=16, p=1'],
    [{ N: 65536, r: 8, p: 2 }, 'N=65536, r=8, p=2'],
    [{ N: 65536, r: 8 }, 'N=65536, r=8, p=null'],
  ])('fails when the scrypt parameters are %j, which cosign refuses, before deriving anything', (params, shown) => {
    // GIVEN
    const file = cosignKeyFile(params);
    // WHEN
    const read = () => readPrivateKey(file.pem, 'pw', 'cosign.key');
    // THEN
    expect(read).toThrow(`cosign.key: scrypt parameters ${shown} are not a set cosign accepts (N 32768, 65536, 131072 with r=8 and p=1), so cosign refuses this key too ("unsupported scrypt parameters"); it is refused before deriving`);
  });

  test('fails when the nonce is not 24 bytes', () => {
    // GIVEN
    const file = cosignKeyFile({ N: 32768, r: 8, p: 1 }, { nonce: randomBytes(12) });
    // THEN
    expect(() => readPrivateKey(file.pem, 'pw', 'cosign.key')).toThrow('cosign.key: cipher.nonce is 12 bytes, and nacl/secretbox takes 24; the key file is damaged');
  });
});
