import { Destinations } from '../../../delivery/destinations.js';
import { mirrorRelease } from '../../../delivery/mirror.js';
import { fleetRegistryHosts } from '../../../delivery/release/hosts.js';
import { formatSize, shortDigest } from '../../../flux/artifact/digest.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, releaseOf, stringOption } from '../options.js';

const MIRROR_USAGE = `Usage: flux-fleet mirror <dir> [options]

Copies each external artifact that <dir>/release.json marks for mirroring (Helm charts, application artifacts) from
where it is published into the registry of every region whose clusters use it, keeping its digest: the manifest bytes
unchanged, every blob, an index with its child manifests. Its signatures come along: cosign's sha256-<hex>.sig and
.att tags, and the referrers of the digest (from the Referrers API, else the sha256-<hex> tag), listed again in the
sha256-<hex> tag of the copy, so clusters verify the publisher's identity against the copy. A semver ref is resolved
to the highest matching tag upstream, copied under that tag. What a copy holds already is not copied again; the tag is
set last.

Options:
  --dry-run                       Resolve every ref and show what would be copied, copying nothing
  --concurrency <n>               Copies at once (default: 4)
  --format text|json              How to print the result (default: text)
${REGISTRY_OPTIONS_HELP}
                                  (--creds goes only to the fleet's own registries, never to upstreams)
  -h, --help                      Show this help

Exit codes: 0 mirrored, 1 some copy failed, 2 usage error.
`;

/** \`flux-fleet mirror <dir>\`: copies external artifacts and their signatures into each region. */
export const mirrorCommand: Command = {
  summary: 'mirror <dir>      Copy charts and external artifacts, with their signatures, into each region\'s\n                    registry, keeping their digests',
  run: mirror,
};

async function mirror(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, 'help': {}, 'dry-run': {}, 'concurrency': { value: true }, 'format': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(MIRROR_USAGE);
    return EXIT.ok;
  }
  const format = stringOption(args, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use text or json`);
  const concurrency = numberOption(args, 'concurrency', 1) ?? 4;
  const { release } = await releaseOf(args, io, 'mirror');
  const destinations = new Destinations(registryOptions(args, io, fleetRegistryHosts(release)));
  const dryRun = args.options.has('dry-run');
  try {
    const report = await mirrorRelease(release, { destinations, concurrency, dryRun });
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ ...report, failed: report.failed.map((f) => ({ ...f, error: f.error.message })) }, null, 2)}\n`);
    } else {
      for (const m of report.mirrored) {
        const ref = m.tag ?? shortDigest(m.digest);
        io.stdout.write(dryRun
          ? `would copy ${m.component} ${m.upstream}:${ref} -> ${m.url} (${m.digest})\n`
          : `${m.manifests + m.blobs === 0 ? 'up to date' : 'copied'} ${m.component} ${m.url}:${ref} ${m.digest} (${m.manifests} manifests, ${m.blobs} blobs, ${formatSize(m.bytes)}; ${m.signatures} signature artifact${m.signatures === 1 ? '' : 's'})\n`);
      }
      for (const f of report.failed) io.stderr.write(`failed ${f.component} ${f.url}: ${f.error.message}\n`);
      const n = report.mirrored.length;
      io.stdout.write(`${dryRun ? 'dry run: would mirror' : 'mirrored'} ${n} cop${n === 1 ? 'y' : 'ies'}${report.failed.length > 0 ? `; ${report.failed.length} failed` : ''}\n`);
    }
    return report.failed.length === 0 ? EXIT.ok : EXIT.errors;
  } finally {
    destinations.close();
  }
}
