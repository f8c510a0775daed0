import { DeliveryError } from '../../../delivery/artifacts.js';
import { Destinations } from '../../../delivery/destinations.js';
import { fleetRegistryHosts } from '../../../delivery/release.js';
import { parseRevision } from '../../../delivery/revision.js';
import { verifyRelease } from '../../../delivery/verify-release.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, stringOption, releaseOf } from '../options.js';

const VERIFY_USAGE = `Usage: flux-fleet verify-release <dir> [--revision <rev>] [options]

Checks, reading only, that everything the clusters of <dir>/release.json pull is in their region's registry: every
OCI source in each cluster's folder (components included, and the sync source of its bootstrap) resolves (the tag
exists, the pinned digest is present, a semver range has a matching tag); where a source verifies signatures, a
signature is attached (a sigstore bundle referrer, or a cosign .sig tag); each cluster's config has the tag it
follows. With --revision, the release of that revision is checked: every cluster's candidate rev-<revision>, and the
followed tags only of environments that deploy on push (production's move by promotion). Prints every dangling
reference.

Options:
  --revision <rev>                Check the release of this revision: every cluster's candidate rev-<revision>
  --concurrency <n>               Registry checks at once (default: 8)
  --format text|json              How to print the result (default: text)
${REGISTRY_OPTIONS_HELP}
                                  (--creds goes only to the fleet's own registries, never to upstreams)
  -h, --help                      Show this help

Exit codes: 0 everything resolves, 1 something dangles (or cannot be checked), 2 usage error.
`;

/** \`flux-fleet verify-release <dir>\`: checks that every source of every cluster resolves. */
export const verifyReleaseCommand: Command = {
  summary: 'verify-release <dir>\n                    Check that every source of every cluster resolves in its region, signed where\n                    verified; list what dangles',
  run: verify,
};

async function verify(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, help: {}, revision: { value: true }, concurrency: { value: true }, format: { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(VERIFY_USAGE);
    return EXIT.ok;
  }
  const format = stringOption(args, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use text or json`);
  const concurrency = numberOption(args, 'concurrency', 1) ?? 8;
  const revision = stringOption(args, 'revision');
  if (revision !== undefined) {
    try {
      parseRevision(revision);
    } catch (e) {
      if (e instanceof DeliveryError) throw new UsageError(`--revision: ${e.message}`);
      throw e;
    }
  }
  const { dir, release } = await releaseOf(args, io, 'verify-release');
  const destinations = new Destinations(registryOptions(args, io, fleetRegistryHosts(release)));
  try {
    const report = await verifyRelease(dir, release, { destinations, concurrency, ...(revision !== undefined ? { revision } : {}) });
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ checked: report.checked, dangling: report.dangling }, null, 2)}\n`);
    } else {
      for (const d of report.dangling) io.stdout.write(`dangling ${d.cluster} ${d.source}: ${d.url} ${d.ref}: ${d.missing}\n`);
      const clusters = new Set(report.dangling.map((d) => d.cluster)).size;
      io.stdout.write(report.dangling.length === 0
        ? `every reference resolves: ${report.checked} checked for ${release.clusters.length} cluster${release.clusters.length === 1 ? '' : 's'}\n`
        : `${report.dangling.length} dangling reference${report.dangling.length === 1 ? '' : 's'} in ${clusters} cluster${clusters === 1 ? '' : 's'} (${report.checked} checked)\n`);
    }
    return report.dangling.length === 0 ? EXIT.ok : EXIT.errors;
  } finally {
    destinations.close();
  }
}
