import { Destinations } from '../../../delivery/destinations.js';
import { fleetRegistryHosts } from '../../../delivery/release/hosts.js';
import { formatProblem } from '../../../delivery/release/release-check.js';
import { parseRevision } from '../../../delivery/release/revision.js';
import { verifyRelease } from '../../../delivery/release/verify-release.js';
import { sanitizeForTerminal } from '../../../flux/core/terminal-text.js';
import { EXIT, parseArgs, type CliIo, type Command } from '../args.js';
import {
  commandLineValue, listOption, numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, releaseOf, stringOption,
  verificationMaterialOf, VERIFICATION_OPTIONS, VERIFICATION_OPTIONS_HELP, formatOption,
} from '../options.js';

const VERIFY_USAGE = `Usage: flux-fleet verify-release <dir> [--revision <rev>] [--environment <env>[,...] [--wave <n>]] [options]

Checks, reading only, that every selected cluster of <dir>/release.json would run its release, as the cluster itself
checks it, in its region's registry: its config artifact (at the tag it follows; with --revision, its candidate
rev-<revision>, and the followed tag too where push moves it) verifies with the identity its bootstrap declares for
its sync source; every OCI source that config declares (components, charts, other pipelines' artifacts, the
bootstrap's) resolves (the tag exists, the pinned digest is there, a semver range has a match), and every signature
is checked with that source's own verify declaration: the public keys of the Secret it names, or its keyless issuer
and subject patterns under the trusted root it names (else the public Sigstore instance's), as the cluster's Flux
version reads them. Each problem names the cluster, the source, the digest, the identity expected and the one found.

Options:
  --revision <rev>                Check the release of this revision: every cluster's candidate rev-<revision>
  --environment <env>[,...]       Only the clusters of these environments
  --wave <n>                      Only the clusters of this wave (of the one environment given)
  --concurrency <n>               Clusters checked at once (default: 8)
  --format text|json              How to print the result (default: text)
${VERIFICATION_OPTIONS_HELP}
${REGISTRY_OPTIONS_HELP}
                                  (--creds goes only to the fleet's own registries, never to upstreams)
  -h, --help                      Show this help

Exit codes: 0 every cluster would run it, 1 something dangles or does not verify (or cannot be checked), 2 usage error.
`;

/** \`flux-fleet verify-release <dir>\`: checks that every cluster would run its release, as the cluster checks it. */
export const verifyReleaseCommand: Command = {
  summary: 'verify-release <dir>\n                    Check that every cluster would run its release: every source resolves in its\n                    region and every signature verifies with the identity the cluster declares',
  run: verify,
};

async function verify(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    ...VERIFICATION_OPTIONS,
    help: {},
    revision: { value: true },
    environment: { value: true },
    wave: { value: true },
    concurrency: { value: true },
    format: { value: true },
  });
  if (args.options.has('help')) {
    io.stdout.write(VERIFY_USAGE);
    return EXIT.ok;
  }
  const format = formatOption(args, ['text', 'json']);
  const concurrency = numberOption(args, 'concurrency', 1) ?? 8;
  const revision = stringOption(args, 'revision');
  if (revision !== undefined) await commandLineValue('--revision', () => parseRevision(revision));
  const environments = listOption(args, 'environment');
  const wave = numberOption(args, 'wave', 1);
  const { dir, release } = await releaseOf(args, io, 'verify-release');
  const material = await verificationMaterialOf(args, io);
  const destinations = new Destinations(registryOptions(args, io, fleetRegistryHosts(release)));
  try {
    const report = await verifyRelease(dir, release, {
      destinations,
      concurrency,
      material,
      ...(revision !== undefined ? { revision } : {}),
      ...(environments !== undefined ? { environments } : {}),
      ...(wave !== undefined ? { wave } : {}),
    });
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ clusters: report.clusters, checked: report.checked, dangling: report.dangling }, null, 2)}\n`);
    } else {
      for (const d of report.dangling) io.stdout.write(`dangling ${sanitizeForTerminal(formatProblem(d))}\n`);
      const n = report.clusters.length;
      const clusters = new Set(report.dangling.map((d) => d.cluster)).size;
      io.stdout.write(report.dangling.length === 0
        ? `every reference resolves and verifies: ${report.checked} checked for ${n} cluster${n === 1 ? '' : 's'}\n`
        : `${report.dangling.length} dangling reference${report.dangling.length === 1 ? '' : 's'} in ${clusters} cluster${clusters === 1 ? '' : 's'} (${report.checked} checked for ${n} cluster${n === 1 ? '' : 's'})\n`);
    }
    return report.dangling.length === 0 ? EXIT.ok : EXIT.errors;
  } finally {
    destinations.close();
  }
}
