import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { commitOf, healthOf, selectClusters, type ClusterSelection } from '../../../delivery/health/health.js';
import { renderHealth } from '../../../delivery/health/render.js';
import { resolveRevision } from '../../../delivery/release/revision.js';
import { FLEET_HTML_FILE, fleetHtmlWithStatus, TreeSnapshotError } from '../../../output/review/index.js';
import { EXIT, parseArgs, type CliIo, type Command } from '../args.js';
import { commandLineValue, FORGE_OPTIONS, FORGE_OPTIONS_HELP, formatOption, healthOptionsOf, numberOption, releaseOf, stringOption } from '../options.js';

const STATUS_USAGE = `Usage: flux-fleet status <dir> [--revision <rev>] [--environment <env>] [--wave <n>] [options]

Reads, without cluster credentials, what the clusters of <dir>/release.json report (their rollout.report: commit
statuses on the fleet's forge) and prints, per cluster, the revision it last reported, its state on the revision
(healthy, failing, progressing: it reported only an older revision, unknown: no report), since when, and a summary
per wave. A missing report is never healthy.

It reads each repository's statuses of the revision in pages of 100 (one page per 100 clusters), and looks for the
clusters not found there on up to --history earlier commits. Rate limits are waited out as the forge says, and
failures retried with backoff, until --deadline.

Options:
  --revision <rev>                The commit (40 hex digits, or <branch>@sha1:<commit>) (default: $GITHUB_SHA, else
                                  the commit checked out where <dir> is)
  --environment <env>             Only the clusters of this environment
  --wave <n>                      Only the clusters of this wave
  --format text|json|markdown     How to print (default: text; markdown for a pull-request comment or job summary)
  --html <file>                   Also write <dir>/fleet.html with what was read: each cluster's state and reported
                                  revision, and the states by wave and region
${FORGE_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 every selected cluster reports healthy on the revision, 1 not all do (or the forge cannot be read),
2 usage error.
`;

/** `flux-fleet status <dir>`: what the clusters report, per cluster and wave. */
export const statusCommand: Command = {
  summary: 'status <dir>      Read what the clusters report (healthy, failing, progressing, unknown) on a revision,\n                    per cluster and wave, from the fleet\'s forge',
  run: status,
};

async function status(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    help: {},
    revision: { value: true },
    environment: { value: true },
    wave: { value: true },
    format: { value: true },
    html: { value: true },
    ...FORGE_OPTIONS,
  });
  if (args.options.has('help')) {
    io.stdout.write(STATUS_USAGE);
    return EXIT.ok;
  }
  const format = formatOption(args, ['text', 'json', 'markdown']);
  const healthOptions = healthOptionsOf(args);
  const selection: ClusterSelection = {
    environment: stringOption(args, 'environment'),
    wave: numberOption(args, 'wave', 1),
  };
  const { dir, release } = await releaseOf(args, io, 'status');
  const commit = await commandLineValue('--revision', async () => commitOf((await resolveRevision({ given: stringOption(args, 'revision'), gitDir: dir })).annotation));
  const clusters = selectClusters(release, selection);
  const htmlFile = stringOption(args, 'html');
  const page = htmlFile === undefined ? undefined : await fleetHtmlOf(dir);
  const health = await healthOf(clusters, commit, healthOptions);
  if (page !== undefined) await writeFile(resolve(io.cwd ?? process.cwd(), htmlFile!), fleetHtmlWithStatus(page, health));
  io.stdout.write(format === 'json' ? `${JSON.stringify(health, null, 2)}\n` : renderHealth(health, format));
  return health.healthy ? EXIT.ok : EXIT.errors;
}

/** The tree's fleet.html, read before the forge is, so that a tree without one fails first. */
async function fleetHtmlOf(dir: string): Promise<string> {
  try {
    return await readFile(join(dir, FLEET_HTML_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new TreeSnapshotError(`--html: ${JSON.stringify(dir)} has no ${FLEET_HTML_FILE}: synthesize the fleet with the cdk8s FluxApp, which writes it`);
  }
}
