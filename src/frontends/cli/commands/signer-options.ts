import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Destinations } from '../../../delivery/destinations.js';
import type { PushedTarget } from '../../../delivery/push.js';
import { ciIdentityToken, keylessSigner } from '../../../delivery/signing/keyless.js';
import { readPrivateKey, SigningError } from '../../../delivery/signing/keys.js';
import { LEGACY_SIG_WARNING } from '../../../delivery/signing/legacy-sig.js';
import { signPushed } from '../../../delivery/signing/sign-pushed.js';
import { keySigner, type SignedTarget, type SignOptions } from '../../../delivery/signing/sign.js';
import { UsageError, type CliIo, type OptionSpec, type ParsedArgs } from '../args.js';
import { stringOption } from '../options.js';

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
      try {
        text = await readFile(resolve(io.cwd ?? process.cwd(), keyFile), 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read --key ${keyFile}: ${(e as Error).message}`);
      }
    }
    try {
      return { signer: keySigner(readPrivateKey(text, process.env.COSIGN_PASSWORD, keyFile)), legacySig };
    } catch (e) {
      if (e instanceof SigningError) throw new UsageError(e.message);
      throw e;
    }
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
  let trustedRoot: unknown;
  if (rootFile !== undefined) {
    try {
      trustedRoot = JSON.parse(await readFile(resolve(io.cwd ?? process.cwd(), rootFile), 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read --trusted-root ${rootFile}: ${(e as Error).message}`);
    }
  }
  return {
    signer: keylessSigner({
      identityToken: token,
      fulcioUrl: stringOption(args, 'fulcio-url'),
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
export const SIGN_ON_PUSH_HELP = `  --sign                          Sign every pushed artifact in every region (as flux-fleet sign), with:
${SIGNER_OPTIONS_HELP}`;

/** With `--sign`, signs what the push put in registries; returns whether signing failed (reported on stderr). */
export async function signPushedFromArgs(args: ParsedArgs, io: CliIo, pushed: readonly PushedTarget[], destinations: Destinations): Promise<boolean> {
  if (!args.options.has('sign')) return false;
  const options = await signerOptionsOf(args, io);
  try {
    printSigned(await signPushed(pushed, destinations, options), io, options.legacySig === true);
    return false;
  } catch (e) {
    io.stderr.write(`flux-fleet: cannot sign the pushed artifacts: ${(e as Error).message}\n`);
    return true;
  }
}
