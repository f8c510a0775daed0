import { UsageError, type CliIo, type OptionSpec, type ParsedArgs } from './args.js';
import { readOptionFile, stringOption } from './options.js';
import type { PushSigning } from '../../delivery/release/push.js';
import { ciIdentityToken, keylessSigner } from '../../delivery/signing/keyless.js';
import { readPrivateKey } from '../../delivery/signing/keys.js';
import { LEGACY_SIG_WARNING } from '../../delivery/signing/legacy-sig.js';
import { keySigner, type SignedTarget, type SignOptions } from '../../delivery/signing/sign.js';
import { publicSigstoreRoot } from '../../delivery/signing/trusted-root.js';

/** The options that choose the signer, shared by `sign` and `push --sign`. */
export const SIGNER_OPTIONS: Record<string, OptionSpec> = {
  'key': { value: true },
  'identity-token': { value: true },
  'fulcio-url': { value: true },
  'rekor-url': { value: true },
  'certificate-identity': { value: true },
  'certificate-oidc-issuer': { value: true },
  'trusted-root': { value: true },
  'legacy-sig': {},
};

/** Their help lines. */
export const SIGNER_OPTIONS_HELP = `  --key <file>|env://<VAR>        Sign with this private key: cosign's encrypted format (password from
                                  COSIGN_PASSWORD) or a P-256 PKCS#8 or SEC1 PEM (default: keyless)
  --identity-token <token>        Keyless: the OIDC token (default: the CI's, GitHub Actions with
                                  "id-token: write", or GitLab CI's SIGSTORE_ID_TOKEN)
  --fulcio-url <url>              Keyless: the Fulcio instance (default: https://fulcio.sigstore.dev)
  --rekor-url <url>               Keyless: the Rekor instance (default: https://rekor.sigstore.dev)
  --certificate-identity <id>     Keyless: the identity the certificate gets, so a bundle made before is not made again
  --certificate-oidc-issuer <url> Keyless: the issuer of that identity
  --trusted-root <file>           Keyless: the trusted root (trusted_root.json) a bundle made before must verify with
                                  before it counts as made (without it, every run signs anew)
  --legacy-sig                    Also write a cosign v2 .sig signature, for clusters older than Flux v2.8 (with a key)`;

/** The signing options the command line asked for. */
export async function signerOptionsOf(args: ParsedArgs, io: CliIo): Promise<SignOptions> {
  const keyFile = stringOption(args, 'key');
  const legacySig = args.options.has('legacy-sig');
  if (keyFile !== undefined) {
    let text;
    if (keyFile.startsWith('env://')) {
      text = process.env[keyFile.slice('env://'.length)];
      if (text === undefined) throw new UsageError(`--key ${keyFile}: the environment variable ${keyFile.slice('env://'.length)} is not set`);
    } else {
      text = await readOptionFile(io, keyFile, '--key');
    }
    return { signer: keySigner(readPrivateKey(text, process.env.COSIGN_PASSWORD, keyFile)), legacySig };
  }
  if (legacySig) throw new UsageError('--legacy-sig needs --key: a cosign v2 .sig signature is made with a key, and keyless signing writes bundles only');
  const given = stringOption(args, 'identity-token');
  const token = given !== undefined ? async () => given : ciIdentityToken();
  if (!token) throw new UsageError('no signer: give --key <file>, or sign keyless in CI (GitHub Actions with "permissions: id-token: write", GitLab CI with SIGSTORE_ID_TOKEN) or with --identity-token');
  const subject = stringOption(args, 'certificate-identity');
  const issuer = stringOption(args, 'certificate-oidc-issuer');
  if ((subject === undefined) !== (issuer === undefined)) throw new UsageError('--certificate-identity and --certificate-oidc-issuer go together');
  const rootFile = stringOption(args, 'trusted-root');
  if (rootFile !== undefined && subject === undefined) throw new UsageError('--trusted-root needs --certificate-identity and --certificate-oidc-issuer: it verifies bundles made before as that identity');
  const fulcioUrl = stringOption(args, 'fulcio-url');
  // Bundles made before as this identity count as "already signed" only when they verify: against the instance's
  // root given, or, signing with the public instance, the public root @sigstore/tuf embeds.
  let trustedRoot: unknown;
  if (rootFile !== undefined) {
    const text = await readOptionFile(io, rootFile, '--trusted-root');
    try {
      trustedRoot = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`cannot read --trusted-root ${rootFile}: ${(e as Error).message}`);
    }
  } else if (subject !== undefined && fulcioUrl === undefined) {
    trustedRoot = await publicSigstoreRoot();
  }
  return {
    signer: keylessSigner({
      identityToken: token,
      fulcioUrl,
      rekorUrl: stringOption(args, 'rekor-url'),
      ...(subject !== undefined ? { expectedIdentity: { subject, issuer: issuer! } } : {}),
      ...(trustedRoot !== undefined ? { trustedRoot } : {}),
    }),
  };
}

/** Prints what signing did. */
export function printSigned(results: readonly SignedTarget[], io: CliIo, legacySig: boolean): void {
  for (const r of results) {
    io.stdout.write(`${r.outcome === 'attached' ? 'signed' : 'already signed'} ${r.location} (bundle ${r.referrer})${r.legacySig ? ' + legacy .sig' : ''}\n`);
  }
  if (legacySig) io.stderr.write(`warning: ${LEGACY_SIG_WARNING}\n`);
}

/** `push --sign`: the option, beside the signer options. */
export const SIGN_ON_PUSH_OPTIONS: Record<string, OptionSpec> = { sign: {}, ...SIGNER_OPTIONS };

/** Its help lines. */
export const SIGN_ON_PUSH_HELP = `  --sign                          Sign what was pushed, in every region (as flux-fleet sign), each artifact only
                                  for a signer a cluster pulling it accepts (a key by its public part; keyless by
                                  --certificate-identity when given), with:
${SIGNER_OPTIONS_HELP}`;

/** `push --sign`: how to sign, and who signs as far as the command line tells (a key, or the certificate identity). */
export async function pushSigningOf(args: ParsedArgs, io: CliIo): Promise<PushSigning> {
  const options = await signerOptionsOf(args, io);
  const key = options.signer.key;
  const subject = stringOption(args, 'certificate-identity');
  const issuer = stringOption(args, 'certificate-oidc-issuer');
  return {
    options,
    signer: key ? { kind: 'key', publicKey: key.publicKey } : { kind: 'keyless', ...(subject !== undefined && issuer !== undefined ? { identity: { subject, issuer } } : {}) },
  };
}
