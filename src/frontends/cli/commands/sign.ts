import { Destinations } from '../../../delivery/destinations.js';
import { signArtifacts } from '../../../delivery/signing/sign.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, signTargets } from '../options.js';
import { printSigned, SIGNER_OPTIONS, SIGNER_OPTIONS_HELP, signerOptionsOf } from '../signer-options.js';

const SIGN_USAGE = `Usage: flux-fleet sign <ref>... [--key <file> | keyless] [options]

Signs artifacts as cosign v3 does: an in-toto statement naming each artifact's digest, in a DSSE envelope, in a
Sigstore bundle (v0.3) attached to the artifact as an OCI referrer, with the sha256-<hex> fallback index tag for
registries without the Referrers API. Flux v2.8 and newer verify these bundles. The copies of one digest (one per
region) get the very same bundle; a copy where a bundle by this signer already verifies for its digest (with the
key, or keyless with --certificate-identity, --certificate-oidc-issuer and --trusted-root) gets nothing new.
<ref> is oci://<host>/<repository>:<tag> or oci://<host>/<repository>@sha256:<digest>.

Options:
${SIGNER_OPTIONS_HELP}
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 all signed, 1 some failed, 2 usage error.
`;

/** `flux-fleet sign <ref>...`: attaches signature bundles. */
export const signCommand: Command = {
  summary: 'sign <ref>...     Sign artifacts: cosign v3 bundles attached as OCI referrers, in every region',
  run: sign,
};

async function sign(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, ...SIGNER_OPTIONS, help: {} });
  if (args.options.has('help')) {
    io.stdout.write(SIGN_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length === 0) throw new UsageError('sign needs the artifacts to sign, e.g. flux-fleet sign oci://ghcr.io/acme/fleet/clusters/prod-eu-1@sha256:<digest>');
  const options = await signerOptionsOf(args, io);
  const destinations = new Destinations(registryOptions(args, io));
  try {
    const results = await signArtifacts(signTargets(args.positionals, destinations), options);
    printSigned(results, io, options.legacySig === true);
    return EXIT.ok;
  } finally {
    destinations.close();
  }
}
