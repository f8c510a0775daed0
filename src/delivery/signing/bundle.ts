import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { publicKeyHint, SigningError } from './keys.js';
import { isDigest } from '../../flux/artifact/digest.js';

/** The media type of a Sigstore bundle v0.3, as a referrer's artifactType and its layer. */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The in-toto statement type. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The predicate type cosign v3 signs for an image or artifact. */
export const SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** An in-toto statement naming what is signed. */
export interface InTotoStatement {
  /** The statement type, `https://in-toto.io/Statement/v1`. */
  readonly _type: string;
  /** What is signed: names and digests. */
  readonly subject: ReadonlyArray<{ readonly name?: string; readonly digest: Readonly<Record<string, string>> }>;
  /** The predicate's type, e.g. cosign's sign predicate. */
  readonly predicateType: string;
  /** The predicate. @default - none */
  readonly predicate?: unknown;
}

/** A DSSE envelope, as a bundle holds it (payload and signatures base64). */
export interface DsseEnvelope {
  /** The signed payload, base64. */
  readonly payload: string;
  /** The payload's type, e.g. `application/vnd.in-toto+json`. */
  readonly payloadType: string;
  /** The signatures over the payload's pre-authentication encoding, base64. */
  readonly signatures: ReadonlyArray<{ readonly sig: string; readonly keyid?: string }>;
}

/** A Sigstore bundle in its JSON form; only the fields flux-fleet writes or reads are typed. */
export interface SigstoreBundleJson {
  /** The bundle's media type, which names its version. */
  readonly mediaType: string;
  /** What verifies the signature: a public key's hint, or a certificate (chain), and the transparency log entries. */
  readonly verificationMaterial: {
    readonly publicKey?: { readonly hint?: string };
    readonly certificate?: { readonly rawBytes: string };
    readonly x509CertificateChain?: { readonly certificates: ReadonlyArray<{ readonly rawBytes: string }> };
    readonly tlogEntries?: readonly unknown[];
    readonly timestampVerificationData?: unknown;
  };
  /** The signed envelope. @default - none: a message signature */
  readonly dsseEnvelope?: DsseEnvelope;
  /** A signature over a digest, as `cosign sign-blob` makes it (not read). @default - none: a DSSE envelope */
  readonly messageSignature?: unknown;
}

/**
 * The statement cosign v3 signs for an artifact: subject the artifact's repository (`name`) and manifest digest,
 * predicate type `https://sigstore.dev/cosign/sign/v1`, empty predicate.
 */
export function signStatement(name: string, digest: string): InTotoStatement {
  if (!isDigest(digest)) throw new SigningError(`${JSON.stringify(digest)} is not a sha256 digest`);
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name, digest: { sha256: digest.slice('sha256:'.length) } }],
    predicateType: SIGN_PREDICATE_TYPE,
    predicate: {},
  };
}

/** DSSE's pre-authentication encoding: what the signature is made over. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/**
 * A key-based bundle: the statement in a DSSE envelope signed with ECDSA P-256 SHA-256 over the pre-authentication
 * encoding, the signature's `keyid` empty (Flux's verifier skips a signature whose keyid it does not know), the
 * public key's hint as verification material and no transparency log entry (Flux verifies keys offline).
 */
export function keyBundle(statement: InTotoStatement, privateKey: KeyObject, publicKey: KeyObject): SigstoreBundleJson {
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  const sig = cryptoSign('sha256', preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload), privateKey);
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(publicKey) }, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  };
}

/** Parses a bundle read from a registry; `where` names it in messages. */
export function parseBundle(bytes: Buffer, where: string): SigstoreBundleJson {
  let b: SigstoreBundleJson;
  try {
    b = JSON.parse(bytes.toString('utf8')) as SigstoreBundleJson;
  } catch {
    throw new SigningError(`${where} is not JSON`);
  }
  if (typeof b?.mediaType !== 'string' || !b.mediaType.startsWith('application/vnd.dev.sigstore.bundle') || typeof b.verificationMaterial !== 'object') {
    throw new SigningError(`${where} is not a Sigstore bundle`);
  }
  return b;
}

/** The statement of a bundle's DSSE envelope. */
export function statementOf(envelope: DsseEnvelope, where: string): InTotoStatement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new SigningError(`${where}: the DSSE payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  let s: InTotoStatement | undefined;
  try {
    s = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as InTotoStatement;
  } catch {
    // not JSON: refused below
  }
  if (typeof s !== 'object' || s === null || !Array.isArray(s.subject)) throw new SigningError(`${where}: the DSSE payload is not an in-toto statement`);
  return s;
}

/** Whether an ECDSA signature (DER, base64) over the envelope's pre-authentication encoding verifies with `key`. */
export function envelopeSignatureVerifies(envelope: DsseEnvelope, sig: string, key: KeyObject): boolean {
  const pae = preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
  try {
    return cryptoVerify('sha256', pae, key, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}
