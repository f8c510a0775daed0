import { Destinations } from '../../../delivery/destinations.js';
import { readPublicKey } from '../../../delivery/signing/keys.js';
import { verifyArtifact, type IdentityMatch, type VerifiedArtifact, type VerifyPolicy } from '../../../delivery/signing/verify.js';
import { ERROR_CODES, FluxFleetError } from '../../../flux/core/errors.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command, type ParsedArgs } from '../args.js';
import { readOptionFile, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, formatOption, signTargets, stringOption } from '../options.js';

const VERIFY_USAGE = `Usage: flux-fleet verify <ref>... (--key <file> | --certificate-identity[-regexp] <id>
                        --certificate-oidc-issuer[-regexp] <issuer> --trusted-root <file>) [options]

Verifies artifacts as Flux's source-controller (v2.8 and newer) does: it resolves each digest, lists its referrers
(the Referrers API, else the sha256-<hex> fallback index tag) and, when any Sigstore bundle is there, accepts only a
bundle whose in-toto statement names that digest, signed with the key (a signature with a keyid is skipped, as Flux
skips it) or by a certificate of the identity; with no bundle it reads the cosign v2 sha256-<hex>.sig tag.
Give each region's copy to check that every region holds a signature.

Options:
  --key <file>[,<file>...]                  Public keys (cosign.pub); any may verify
  --certificate-identity <id>               Keyless: the exact certificate identity
  --certificate-identity-regexp <re>        Keyless: an anchored regular expression for it (as matchOIDCIdentity)
  --certificate-oidc-issuer <url>           Keyless: the exact OIDC issuer
  --certificate-oidc-issuer-regexp <re>     Keyless: an anchored regular expression for it
  --trusted-root <file>                     Keyless: the Sigstore trusted_root.json (the public instance's, or a
                                            private instance's, as in the clusters' trustedRootSecretRef)
  --format text|json                        How to print the result (default: text)
${REGISTRY_OPTIONS_HELP}
  -h, --help                                Show this help

Exit codes: 0 every artifact verified, 1 some did not, 2 usage error.
`;

/** `flux-fleet verify <ref>...`: verifies artifacts as Flux does. */
export const verifyCommand: Command = {
  summary: 'verify <ref>...   Verify artifacts\' signatures as Flux does (bundles, then legacy .sig)',
  run: verify,
};

async function verify(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    'help': {},
    'key': { value: true },
    'certificate-identity': { value: true },
    'certificate-identity-regexp': { value: true },
    'certificate-oidc-issuer': { value: true },
    'certificate-oidc-issuer-regexp': { value: true },
    'trusted-root': { value: true },
    'format': { value: true },
  });
  if (args.options.has('help')) {
    io.stdout.write(VERIFY_USAGE);
    return EXIT.ok;
  }
  const format = formatOption(args, ['text', 'json']);
  if (args.positionals.length === 0) throw new UsageError('verify needs the artifacts to verify, e.g. flux-fleet verify oci://ghcr.io/acme/fleet/clusters/prod-eu-1:stable --key cosign.pub');
  const policy = await policyOf(args, io);
  const destinations = new Destinations(registryOptions(args, io));
  const verified: VerifiedArtifact[] = [];
  const failed: Array<{ reference: string; error: string }> = [];
  try {
    const targets = signTargets(args.positionals, destinations);
    for (let i = 0; i < targets.length; i++) {
      try {
        verified.push(await verifyArtifact(targets[i], policy));
      } catch (e) {
        // Each artifact's refusal is reported, and the others still checked.
        if (!FluxFleetError.isFluxFleetError(e) || (e.code !== ERROR_CODES.signing && e.code !== ERROR_CODES.registry)) throw e;
        failed.push({ reference: args.positionals[i], error: e.message });
      }
    }
  } finally {
    destinations.close();
  }
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ verified, failed }, null, 2)}\n`);
  } else {
    for (const v of verified) {
      io.stdout.write(`verified ${v.location} (${v.via === 'bundle' ? 'Sigstore bundle' : 'legacy .sig'}, signed by ${v.signer})\n`);
      for (const w of v.warnings) io.stderr.write(`warning: ${w}\n`);
    }
    for (const f of failed) io.stderr.write(`NOT verified ${f.reference}: ${f.error}\n`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.errors;
}

async function policyOf(args: ParsedArgs, io: CliIo): Promise<VerifyPolicy> {
  const read = (file: string, flag: string) => readOptionFile(io, file, flag);
  const keyFiles = stringOption(args, 'key');
  const subjectExact = stringOption(args, 'certificate-identity');
  const subjectRegex = stringOption(args, 'certificate-identity-regexp');
  const issuerExact = stringOption(args, 'certificate-oidc-issuer');
  const issuerRegex = stringOption(args, 'certificate-oidc-issuer-regexp');
  const keyless = [subjectExact, subjectRegex, issuerExact, issuerRegex].some((x) => x !== undefined);
  if (keyFiles !== undefined) {
    if (keyless) throw new UsageError('--key and the --certificate-* options exclude each other: a source verifies with keys or with a keyless identity');
    const keys = [];
    for (const file of keyFiles.split(',').filter(Boolean)) keys.push(readPublicKey(await read(file, '--key'), file));
    return { kind: 'key', keys };
  }
  if (!keyless) throw new UsageError('verify needs --key <cosign.pub>, or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] with --trusted-root');
  if ((subjectExact === undefined) === (subjectRegex === undefined)) throw new UsageError('give one of --certificate-identity or --certificate-identity-regexp');
  if ((issuerExact === undefined) === (issuerRegex === undefined)) throw new UsageError('give one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp');
  const rootFile = stringOption(args, 'trusted-root');
  if (rootFile === undefined) throw new UsageError('keyless verification needs --trusted-root <trusted_root.json>: the Sigstore instance\'s trusted root (flux-fleet reads nothing from the network to find it)');
  let trustedRoot;
  try {
    trustedRoot = JSON.parse(await read(rootFile, '--trusted-root'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--trusted-root ${rootFile} is not JSON`);
  }
  const identity: IdentityMatch = {
    subject: subjectRegex ?? exactRegex(subjectExact!),
    issuer: issuerRegex ?? exactRegex(issuerExact!),
  };
  for (const [flag, value] of [['--certificate-identity-regexp', subjectRegex], ['--certificate-oidc-issuer-regexp', issuerRegex]] as const) {
    if (value !== undefined && !/^(\(\?[imsU]+\))?\^.*[^\\]\$$/s.test(value)) throw new UsageError(`${flag} ${JSON.stringify(value)} is not anchored, so it would also match inside a longer identity; wrap it in ^...$`);
  }
  return { kind: 'keyless', identities: [identity], trustedRoot };
}

function exactRegex(value: string): string {
  return `^${value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`;
}
