/* eslint-disable no-bitwise -- a stream cipher and a MAC are bit arithmetic */
import { timingSafeEqual } from 'node:crypto';

/**
 * NaCl's secretbox (XSalsa20 with a Poly1305 tag), the cipher of cosign's encrypted private keys. The sealed form is
 * the 16-byte tag followed by the ciphertext, as Go's `nacl/secretbox.Seal` writes it.
 */

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // "expand 32-byte k"

function rounds(x: Uint32Array): void {
  const r = (v: number, n: number): number => (v << n) | (v >>> (32 - n));
  for (let i = 0; i < 10; i++) {
    // columns
    x[4] ^= r(x[0] + x[12], 7); x[8] ^= r(x[4] + x[0], 9); x[12] ^= r(x[8] + x[4], 13); x[0] ^= r(x[12] + x[8], 18);
    x[9] ^= r(x[5] + x[1], 7); x[13] ^= r(x[9] + x[5], 9); x[1] ^= r(x[13] + x[9], 13); x[5] ^= r(x[1] + x[13], 18);
    x[14] ^= r(x[10] + x[6], 7); x[2] ^= r(x[14] + x[10], 9); x[6] ^= r(x[2] + x[14], 13); x[10] ^= r(x[6] + x[2], 18);
    x[3] ^= r(x[15] + x[11], 7); x[7] ^= r(x[3] + x[15], 9); x[11] ^= r(x[7] + x[3], 13); x[15] ^= r(x[11] + x[7], 18);
    // rows
    x[1] ^= r(x[0] + x[3], 7); x[2] ^= r(x[1] + x[0], 9); x[3] ^= r(x[2] + x[1], 13); x[0] ^= r(x[3] + x[2], 18);
    x[6] ^= r(x[5] + x[4], 7); x[7] ^= r(x[6] + x[5], 9); x[4] ^= r(x[7] + x[6], 13); x[5] ^= r(x[4] + x[7], 18);
    x[11] ^= r(x[10] + x[9], 7); x[8] ^= r(x[11] + x[10], 9); x[9] ^= r(x[8] + x[11], 13); x[10] ^= r(x[9] + x[8], 18);
    x[12] ^= r(x[15] + x[14], 7); x[13] ^= r(x[12] + x[15], 9); x[14] ^= r(x[13] + x[12], 13); x[15] ^= r(x[14] + x[13], 18);
  }
}

function initialState(key: Buffer, input: Buffer): Uint32Array {
  const s = new Uint32Array(16);
  s[0] = SIGMA[0]; s[5] = SIGMA[1]; s[10] = SIGMA[2]; s[15] = SIGMA[3];
  for (let i = 0; i < 4; i++) {
    s[1 + i] = key.readUInt32LE(4 * i);
    s[11 + i] = key.readUInt32LE(16 + 4 * i);
    s[6 + i] = input.readUInt32LE(4 * i);
  }
  return s;
}

/** HSalsa20: a 32-byte subkey from a key and a 16-byte input. */
export function hsalsa20(key: Buffer, input: Buffer): Buffer {
  const x = initialState(key, input);
  rounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => out.writeUInt32LE(x[w], 4 * i));
  return out;
}

/** `length` bytes of the Salsa20 key stream for a 32-byte key and an 8-byte nonce, from block 0. */
export function salsa20Stream(key: Buffer, nonce: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  const input = Buffer.alloc(16);
  nonce.copy(input, 0, 0, 8);
  for (let block = 0; block * 64 < length; block++) {
    input.writeUInt32LE(block >>> 0, 8);
    input.writeUInt32LE(Math.floor(block / 0x100000000), 12);
    const s = initialState(key, input);
    const x = Uint32Array.from(s);
    rounds(x);
    for (let i = 0; i < 16; i++) {
      const word = (x[i] + s[i]) >>> 0;
      for (let b = 0; b < 4; b++) {
        const at = block * 64 + 4 * i + b;
        if (at < length) out[at] = (word >>> (8 * b)) & 0xff;
      }
    }
  }
  return out;
}

/** Poly1305 one-time authenticator: the 16-byte tag of `message` under a 32-byte one-time key. */
export function poly1305(key: Buffer, message: Buffer): Buffer {
  const le = (b: Buffer): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
  const p = (1n << 130n) - 5n;
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = le(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < message.length; i += 16) {
    const block = message.subarray(i, i + 16);
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  const tag = (acc + s) & ((1n << 128n) - 1n);
  return Buffer.from(tag.toString(16).padStart(32, '0'), 'hex').reverse();
}

function xsalsa20(key: Buffer, nonce: Buffer, length: number): Buffer {
  // Both come from scrypt and the key file's fixed-size fields, so a wrong length is a bug in flux-fleet, not input.
  // eslint-disable-next-line no-restricted-syntax
  if (key.length !== 32) throw new Error(`secretbox key must be 32 bytes, got ${key.length}`);
  // eslint-disable-next-line no-restricted-syntax
  if (nonce.length !== 24) throw new Error(`secretbox nonce must be 24 bytes, got ${nonce.length}`);
  return salsa20Stream(hsalsa20(key, nonce.subarray(0, 16)), nonce.subarray(16, 24), length);
}

/** Encrypts and authenticates `message`: the tag, then the ciphertext. */
export function secretboxSeal(message: Buffer, nonce: Buffer, key: Buffer): Buffer {
  const stream = xsalsa20(key, nonce, 32 + message.length);
  const ciphertext = Buffer.alloc(message.length);
  for (let i = 0; i < message.length; i++) ciphertext[i] = message[i] ^ stream[32 + i];
  return Buffer.concat([poly1305(stream.subarray(0, 32), ciphertext), ciphertext]);
}

/** Checks the tag and decrypts; undefined when the box was not sealed with this key and nonce (or was altered). */
export function secretboxOpen(box: Buffer, nonce: Buffer, key: Buffer): Buffer | undefined {
  if (box.length < 16) return undefined;
  const ciphertext = box.subarray(16);
  const stream = xsalsa20(key, nonce, 32 + ciphertext.length);
  if (!timingSafeEqual(poly1305(stream.subarray(0, 32), ciphertext), box.subarray(0, 16))) return undefined;
  const message = Buffer.alloc(ciphertext.length);
  for (let i = 0; i < ciphertext.length; i++) message[i] = ciphertext[i] ^ stream[32 + i];
  return message;
}
