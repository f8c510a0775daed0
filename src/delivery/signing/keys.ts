import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { secretboxOpen, secretboxSeal } from './secretbox.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';

/** A signing or verification problem; the message names what was wrong and the fix. */
export class SigningError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.signing, message);
  }
}

/** A P-256 signing key: the private key and its public part. */
export interface SigningKey {
  /** The private key. */
  readonly privateKey: KeyObject;
  /** Its public part. */
  readonly publicKey: KeyObject;
}

/** The PEM label of cosign's encrypted private keys (older cosign releases wrote `ENCRYPTED COSIGN PRIVATE KEY`). */
export const ENCRYPTED_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const ENCRYPTED_LABELS = [ENCRYPTED_KEY_LABEL, 'ENCRYPTED COSIGN PRIVATE KEY'];

/**
 * The scrypt parameter sets cosign's key library (go-securesystemslib's `encrypted` package) accepts when it reads a
 * key: its legacy (N 2^15), standard (N 2^16, what `cosign generate-key-pair` writes) and OWASP (N 2^17) sets, each
 * with r 8 and p 1. Anything else it refuses before deriving, and so does flux-fleet.
 */
export const COSIGN_SCRYPT_PARAMETERS: ReadonlyArray<{ readonly N: number; readonly r: number; readonly p: number }> = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
];
/** What keygen writes: cosign's standard set. */
const SCRYPT = COSIGN_SCRYPT_PARAMETERS[1];
/** The nonce size of nacl/secretbox. */
const NONCE_SIZE = 24;

/** A new ECDSA P-256 key pair. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKey };
}

/** The public key as PEM (SubjectPublicKeyInfo), as `cosign.pub` holds it. */
export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' }).toString();
}

/** The key's hint in a bundle: the base64 SHA-256 of its DER SubjectPublicKeyInfo. */
export function publicKeyHint(key: KeyObject): string {
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * The private key in cosign's encrypted format, as `cosign generate-key-pair` writes it: PEM `ENCRYPTED SIGSTORE
 * PRIVATE KEY` around a JSON document with the scrypt parameters (cosign's standard set: N 65536, r 8, p 1) and salt,
 * the nacl/secretbox nonce and the ciphertext of the PKCS#8 DER key.
 */
export function encryptPrivateKey(key: KeyObject, password: string): string {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(32);
  const nonce = randomBytes(NONCE_SIZE);
  const boxKey = scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 256 * SCRYPT.N * SCRYPT.r });
  const doc = {
    kdf: { name: 'scrypt', params: { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: secretboxSeal(der, nonce, boxKey).toString('base64'),
  };
  return pem(ENCRYPTED_KEY_LABEL, Buffer.from(JSON.stringify(doc)));
}

/**
 * Reads a P-256 private key: cosign's encrypted format (with `password`), or plain PKCS#8 (`PRIVATE KEY`) or SEC1
 * (`EC PRIVATE KEY`) PEM. `source` names the key in messages.
 */
export function readPrivateKey(text: string, password: string | undefined, source: string): SigningKey {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(text)?.[1];
  let privateKey: KeyObject;
  if (label !== undefined && ENCRYPTED_LABELS.includes(label)) {
    if (password === undefined) throw new SigningError(`${source} is an encrypted cosign key; set COSIGN_PASSWORD to its password (an empty value for none)`);
    privateKey = decryptPrivateKey(text, label, password, source);
  } else if (label === 'PRIVATE KEY' || label === 'EC PRIVATE KEY') {
    try {
      privateKey = createPrivateKey({ key: text, format: 'pem' });
    } catch (e) {
      throw new SigningError(`${source} is not a readable ${label} PEM: ${(e as Error).message}`);
    }
  } else {
    throw new SigningError(`${source} holds ${label === undefined ? 'no PEM block' : `a ${JSON.stringify(label)} PEM block`}; use a cosign key (flux-fleet keygen or cosign generate-key-pair) or a P-256 PKCS#8 or SEC1 PEM private key`);
  }
  const curve = privateKey.asymmetricKeyType === 'ec' ? privateKey.asymmetricKeyDetails?.namedCurve : privateKey.asymmetricKeyType;
  if (curve !== 'prime256v1') throw new SigningError(`${source} is a ${curve ?? 'unknown'} key; Flux verifies ECDSA P-256 keys: generate one with flux-fleet keygen`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Reads a PEM public key (`cosign.pub`); it must be ECDSA P-256. */
export function readPublicKey(text: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new SigningError(`${source} is not a PEM public key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new SigningError(`${source} is not an ECDSA P-256 public key`);
  return key;
}

/**
 * Decrypts cosign's encrypted key document as cosign's key library reads it: JSON whose field names match
 * case-insensitively (Go's decoder), byte fields in standard base64, `kdf.name` "scrypt", `cipher.name`
 * "nacl/secretbox", scrypt parameters among {@link COSIGN_SCRYPT_PARAMETERS} and a 24-byte nonce. Everything is
 * checked before the key is derived, so a document asking for more memory or time than cosign allows costs nothing.
 */
function decryptPrivateKey(text: string, label: string, password: string, source: string): KeyObject {
  const body = text.slice(text.indexOf(`-----BEGIN ${label}-----`) + label.length + 16, text.indexOf(`-----END ${label}-----`));
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
  } catch {
    throw new SigningError(`${source}: the ${label} block is not cosign's encrypted key document`);
  }
  const kdf = goField(doc, 'kdf');
  const cipher = goField(doc, 'cipher');
  const kdfName = goField(kdf, 'name');
  const cipherName = goField(cipher, 'name');
  if (kdfName !== 'scrypt' || cipherName !== 'nacl/secretbox') {
    throw new SigningError(`${source}: unsupported key encryption (kdf ${JSON.stringify(kdfName ?? null)}, cipher ${JSON.stringify(cipherName ?? null)}); cosign keys use scrypt and nacl/secretbox`);
  }
  const params = goField(kdf, 'params');
  const [N, r, p] = ['N', 'r', 'p'].map((k) => goField(params, k));
  if (!COSIGN_SCRYPT_PARAMETERS.some((set) => set.N === N && set.r === r && set.p === p)) {
    const accepted = COSIGN_SCRYPT_PARAMETERS.map((set) => set.N).join(', ');
    throw new SigningError(`${source}: scrypt parameters N=${JSON.stringify(N ?? null)}, r=${JSON.stringify(r ?? null)}, p=${JSON.stringify(p ?? null)} are not a set cosign accepts ` +
      `(N ${accepted} with r=8 and p=1), so cosign refuses this key too ("unsupported scrypt parameters"); it is refused before deriving, which ` +
      'could otherwise take unbounded memory and time: encrypt the key again (cosign import-key-pair, or flux-fleet keygen for a new one)');
  }
  const salt = goBytes(goField(kdf, 'salt'), `${source}: kdf.salt`);
  const nonce = goBytes(goField(cipher, 'nonce'), `${source}: cipher.nonce`);
  const ciphertext = goBytes(goField(doc, 'ciphertext'), `${source}: ciphertext`);
  if (nonce.length !== NONCE_SIZE) throw new SigningError(`${source}: cipher.nonce is ${nonce.length} bytes, and nacl/secretbox takes ${NONCE_SIZE}; the key file is damaged`);
  const n = N as number;
  const boxKey = scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 });
  const der = secretboxOpen(ciphertext, nonce, boxKey);
  if (!der) throw new SigningError(`${source}: wrong password (COSIGN_PASSWORD does not decrypt this key)`);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/**
 * A field of a JSON object as Go's decoder finds it for a struct field: the key spelled exactly, else one equal to it
 * ignoring case (the last such key wins, as it would overwrite the field); undefined for a missing field or a value
 * that is not an object.
 */
function goField(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, name)) return record[name];
  const folded = Object.keys(record).filter((k) => k.toLowerCase() === name.toLowerCase());
  return folded.length > 0 ? record[folded[folded.length - 1]] : undefined;
}

/** A `[]byte` field as Go's JSON decoder reads it: standard base64 with padding (a missing field is empty). */
function goBytes(value: unknown, field: string): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new SigningError(`${field} is not standard base64; the key file is damaged`);
  }
  return Buffer.from(value, 'base64');
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
