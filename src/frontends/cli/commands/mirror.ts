import { Destinations } from '../../../delivery/destinations.js';
import { describeDrift, mirrorRelease } from '../../../delivery/mirror.js';
import { fleetRegistryHosts } from '../../../delivery/release/hosts.js';
import { formatSize } from '../../../flux/artifact/digest.js';
import { EXIT, parseArgs, type CliIo, type Command } from '../args.js';
import { numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, releaseOf, formatOption } from '../options.js';

const MIRROR_USAGE = `Usage: flux-fleet mirror <dir> [options]

Copies each external artifact that <dir>/release.json marks for mirroring (Helm charts, application artifacts) from
where it is published into the registry of every region whose clusters use it, keeping its digest: the manifest bytes
unchanged, every blob, an index with its child manifests. Its signatures come along: cosign's sha256-<hex>.sig and
.att tags, and the referrers of the digest (from the Referrers API, else the sha256-<hex> tag), listed again in the
sha256-<hex> tag of the copy, so clusters verify the publisher's identity against the copy. A semver ref is resolved
to the highest matching tag upstream, copied under that tag; a digest the lock pins, under the tag the lock resolved.
What a copy holds already is not copied again; the tag is set last.

Mirror never moves a tag: when a copy's tag points at another digest than upstream's (a re-published version), it
reports the drift, copies nothing for it and exits 1; when an upstream tag the lock resolved has moved, it reports
that too (production keeps the locked digest). Blobs stream through a spool folder, each downloaded once; signature
and attestation artifacts may be --max-signature-size each, and referrer, layer and index lists are bounded.

Options:
  --dry-run                       Compare every copy with upstream and say what a real run would do (copy, up to
                                  date, drift), copying nothing
  --concurrency <n>               Copies at once (default: 4)
  --max-signature-size <MiB>      The largest signature or attestation artifact copied (default: 128, as cosign)
  --format text|json              How to print the result (default: text)
${REGISTRY_OPTIONS_HELP}
                                  (--creds goes only to the fleet's own registries, never to upstreams)
  -h, --help                      Show this help

Exit codes: 0 mirrored (or up to date), 1 a copy failed or a tag drifted, 2 usage error.
`;

/** \`flux-fleet mirror <dir>\`: copies external artifacts and their signatures into each region. */
export const mirrorCommand: Command = {
  summary: 'mirror <dir>      Copy charts and external artifacts, with their signatures, into each region\'s\n                    registry, keeping their digests',
  run: mirror,
};

async function mirror(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, 'help': {}, 'dry-run': {}, 'concurrency': { value: true }, 'format': { value: true }, 'max-signature-size': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(MIRROR_USAGE);
    return EXIT.ok;
  }
  const format = formatOption(args, ['text', 'json']);
  const concurrency = numberOption(args, 'concurrency', 1) ?? 4;
  const maxSignatureMiB = numberOption(args, 'max-signature-size', 1);
  const { release } = await releaseOf(args, io, 'mirror');
  const destinations = new Destinations(registryOptions(args, io, fleetRegistryHosts(release)));
  const dryRun = args.options.has('dry-run');
  try {
    const report = await mirrorRelease(release, {
      destinations,
      concurrency,
      dryRun,
      ...(maxSignatureMiB !== undefined ? { limits: { maxSignatureSize: maxSignatureMiB * 1024 * 1024 } } : {}),
    });
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ ...report, failed: report.failed.map((f) => ({ ...f, error: f.error.message })) }, null, 2)}\n`);
    } else {
      for (const m of report.mirrored) {
        const what = `${m.component} ${m.url}:${m.tag} ${m.digest}`;
        const counts = `${m.manifests} manifests and tags, ${m.blobs} blobs, ${formatSize(m.bytes)}; ${m.signatures} signature artifact${m.signatures === 1 ? '' : 's'}`;
        io.stdout.write(m.action === 'up-to-date' ? `up to date ${what}\n` : `${dryRun ? 'would copy' : 'copied'} ${what} (${counts})\n`);
      }
      for (const d of report.drift) io.stderr.write(`${describeDrift(d)}\n`);
      for (const f of report.failed) io.stderr.write(`failed ${f.component} ${f.url}: ${f.error.message}\n`);
      const copies = report.mirrored.filter((m) => m.action === 'copy').length;
      const problems = [
        ...(report.drift.length > 0 ? [`${report.drift.length} drifted`] : []),
        ...(report.failed.length > 0 ? [`${report.failed.length} failed`] : []),
      ];
      io.stdout.write(`${dryRun ? 'dry run: would copy' : 'copied'} ${copies} of ${report.mirrored.length + report.drift.filter((d) => d.kind === 'destination').length + report.failed.length} cop${copies === 1 ? 'y' : 'ies'}` +
        `, ${report.mirrored.length - copies} up to date${problems.length > 0 ? `; ${problems.join(', ')}` : ''}\n`);
    }
    return report.failed.length === 0 && report.drift.length === 0 ? EXIT.ok : EXIT.errors;
  } finally {
    destinations.close();
  }
}
