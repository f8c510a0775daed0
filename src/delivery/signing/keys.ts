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
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** The PEM label of cosign's encrypted private keys (older cosign releases wrote `ENCRYPTED COSIGN PRIVATE KEY`). */
export const ENCRYPTED_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const ENCRYPTED_LABELS = [ENCRYPTED_KEY_LABEL, 'ENCRYPTED COSIGN PRIVATE KEY'];

/** The scrypt parameters cosign writes; reading also accepts the stronger sets its library knows. */
const SCRYPT = { N: 32768, r: 8, p: 1 } as const;
const ACCEPTED_SCRYPT_N = [32768, 65536, 1048576];

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
 * The private key in cosign's encrypted format: PEM `ENCRYPTED SIGSTORE PRIVATE KEY` around a JSON document with the
 * scrypt parameters and salt, the nacl/secretbox nonce and the ciphertext of the PKCS#8 DER key.
 */
export function encryptPrivateKey(key: KeyObject, password: string): string {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
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

interface ScryptParams {
  readonly N?: number;
  readonly r?: number;
  readonly p?: number;
}

interface EncryptedKeyDocument {
  readonly kdf?: { readonly name?: string; readonly params?: ScryptParams; readonly salt?: string };
  readonly cipher?: { readonly name?: string; readonly nonce?: string };
  readonly ciphertext?: string;
}

function decryptPrivateKey(text: string, label: string, password: string, source: string): KeyObject {
  const body = text.slice(text.indexOf(`-----BEGIN ${label}-----`) + label.length + 16, text.indexOf(`-----END ${label}-----`));
  let doc: EncryptedKeyDocument;
  try {
    doc = JSON.parse(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
  } catch {
    throw new SigningError(`${source}: the ${label} block is not cosign's encrypted key document`);
  }
  const params = doc.kdf?.params ?? {};
  if (doc.kdf?.name !== 'scrypt' || doc.cipher?.name !== 'nacl/secretbox' || !doc.kdf.salt || !doc.cipher.nonce || !doc.ciphertext) {
    throw new SigningError(`${source}: unsupported key encryption (kdf ${JSON.stringify(doc.kdf?.name)}, cipher ${JSON.stringify(doc.cipher?.name)}); cosign keys use scrypt and nacl/secretbox`);
  }
  if (!ACCEPTED_SCRYPT_N.includes(params.N ?? 0) || params.r !== 8 || params.p !== 1) {
    throw new SigningError(`${source}: unexpected scrypt parameters ${JSON.stringify(params)}; refusing them rather than spending unbounded memory`);
  }
  const boxKey = scryptSync(Buffer.from(password, 'utf8'), Buffer.from(doc.kdf.salt, 'base64'), 32, { N: params.N, r: 8, p: 1, maxmem: 256 * params.N! * 8 });
  const der = secretboxOpen(Buffer.from(doc.ciphertext, 'base64'), Buffer.from(doc.cipher.nonce, 'base64'), boxKey);
  if (!der) throw new SigningError(`${source}: wrong password (COSIGN_PASSWORD does not decrypt this key)`);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
