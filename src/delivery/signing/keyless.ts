import { bundleToJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { DSSEBundleBuilder, FulcioSigner, RekorWitness } from '@sigstore/sign';
import { IN_TOTO_PAYLOAD_TYPE, type SigstoreBundleJson } from './bundle.js';
import { SigningError } from './keys.js';
import type { BundleSigner } from './sign.js';

/** The public Sigstore instance's certificate authority. */
export const PUBLIC_FULCIO_URL = 'https://fulcio.sigstore.dev';
/** The public Sigstore instance's transparency log. */
export const PUBLIC_REKOR_URL = 'https://rekor.sigstore.dev';

/** Options of {@link keylessSigner}. */
export interface KeylessSignerOptions {
  /** The OIDC identity token Fulcio issues the certificate for (audience `sigstore`). */
  readonly identityToken: () => Promise<string>;
  /** The Fulcio URL. @default "https://fulcio.sigstore.dev" */
  readonly fulcioUrl?: string;
  /** The Rekor URL. @default "https://rekor.sigstore.dev" */
  readonly rekorUrl?: string;
  /**
   * The certificate identity this signer gets (e.g. the workflow's), so that a bundle it made before is recognised
   * and not made again.
   * @default - every run signs anew
   */
  readonly expectedIdentity?: { readonly issuer: string; readonly subject: string };
  /**
   * The trusted root (`trusted_root.json`, parsed) of the Sigstore instance that certifies this signer, with which a
   * bundle it made before is verified before it counts as made: with `expectedIdentity`, a copy where such a bundle
   * verifies for the digest is not signed again.
   * @default - none: every run signs anew
   */
  readonly trustedRoot?: unknown;
}

/**
 * A keyless signer: an ephemeral key, a Fulcio certificate for the OIDC token's identity, and a Rekor entry with its
 * inclusion proof, made with the maintained Sigstore packages (`@sigstore/sign`).
 */
export function keylessSigner(options: KeylessSignerOptions): BundleSigner {
  const signer = new FulcioSigner({ fulcioBaseURL: options.fulcioUrl ?? PUBLIC_FULCIO_URL, identityProvider: { getToken: options.identityToken } });
  const witness = new RekorWitness({ rekorBaseURL: options.rekorUrl ?? PUBLIC_REKOR_URL, entryType: 'dsse' });
  const builder = new DSSEBundleBuilder({ signer, witnesses: [witness] });
  return {
    description: options.expectedIdentity ? `keyless as ${options.expectedIdentity.subject}` : 'keyless',
    sign: async (statement) => {
      const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: IN_TOTO_PAYLOAD_TYPE });
      return bundleToJSON(bundle) as unknown as SigstoreBundleJson;
    },
    ...(options.expectedIdentity && options.trustedRoot !== undefined ? {
      policy: {
        kind: 'keyless' as const,
        identities: [{ issuer: exactPattern(options.expectedIdentity.issuer), subject: exactPattern(options.expectedIdentity.subject) }],
        trustedRoot: options.trustedRoot,
      },
    } : {}),
    madeBy: (bundle) => {
      const id = options.expectedIdentity;
      if (!id) return false;
      const cert = certificateOf(bundle);
      return cert !== undefined && cert.subjectAltName === id.subject && fulcioIssuer(cert) === id.issuer;
    },
  };
}

/** An anchored regular expression matching exactly `value`. */
function exactPattern(value: string): string {
  return `^${value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`;
}

/** The OIDC token of the CI job: GitHub Actions' (requested with audience `sigstore`) or GitLab CI's `SIGSTORE_ID_TOKEN`. */
export function ciIdentityToken(env: NodeJS.ProcessEnv = process.env): (() => Promise<string>) | undefined {
  if (env.SIGSTORE_ID_TOKEN) {
    const token = env.SIGSTORE_ID_TOKEN;
    return async () => token;
  }
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url && bearer) {
    return async () => {
      const u = new URL(url);
      u.searchParams.set('audience', 'sigstore');
      const res = await fetch(u, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new SigningError(`requesting the GitHub Actions OIDC token failed: ${res.status}; give the job "permissions: id-token: write"`);
      const text = await boundedText(res, 64 * 1024);
      const value = (JSON.parse(text) as { value?: string }).value;
      if (!value) throw new SigningError('the GitHub Actions OIDC token answer holds no token');
      return value;
    };
  }
  return undefined;
}

/** A response body of at most `limit` bytes; a longer one is refused rather than read. */
async function boundedText(res: Response, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > limit) throw new SigningError(`the OIDC token answer is larger than ${limit} bytes; refusing it`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function certificateOf(bundle: SigstoreBundleJson): X509Certificate | undefined {
  const m = bundle.verificationMaterial;
  const raw = m.certificate?.rawBytes ?? m.x509CertificateChain?.certificates[0]?.rawBytes;
  if (!raw) return undefined;
  try {
    return X509Certificate.parse(Buffer.from(raw, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * What `fulcioIssuer` reads of a parsed certificate: its extensions by OID, as `X509Certificate` of `@sigstore/core`
 * gives them. Declared here so that flux-fleet's declarations need no `@sigstore/core` types, whose `import crypto`
 * does not compile in a project without `esModuleInterop`.
 */
export interface FulcioCertificate {
  /** The extension with this OID: its DER value, and that value parsed (its first element holds a string). */
  extension(oid: string): { readonly value: Buffer; readonly valueObj: { readonly subs: readonly { readonly value: Buffer }[] } } | undefined;
}

/** The OIDC issuer Fulcio wrote in a certificate (its v2 extension, else the v1 one). */
export function fulcioIssuer(cert: FulcioCertificate): string | undefined {
  const v2 = cert.extension('1.3.6.1.4.1.57264.1.8');
  if (v2) {
    // A DER UTF8String inside the extension value.
    const value = v2.valueObj.subs[0]?.value;
    return value ? value.toString('utf8') : undefined;
  }
  return cert.extension('1.3.6.1.4.1.57264.1.1')?.value.toString('utf8');
}
