import { resolve } from 'node:path';
import { DeliveryError } from '../../../delivery/artifacts.js';
import { isTag } from '../../../delivery/oci/reference.js';
import { promoteArtifacts, promotionTargets, type PromotionSelection } from '../../../delivery/promote.js';
import { promoteRelease, rollbackRelease, previousTag, type WavePromotionReport } from '../../../delivery/release-promote.js';
import { parseRevision } from '../../../delivery/revision.js';
import { shortDigest } from '../../../flux/artifact/digest.js';
import { readReleaseManifest, ReleaseManifestError } from '../../../output/release-manifest.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command, ParsedArgs } from '../args.js';
import { destinationsOf, listOption, numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, stringOption, treeArtifacts } from '../options.js';

const PROMOTE_USAGE = `Usage: flux-fleet promote <dir> --environment <env> [--wave <n>] (--revision <rev> | --rollback) [options]
       flux-fleet promote <dir> --from <tag> (--environment <env> [--wave <n>] | --cluster <name>[,...] | --to <tag>) [options]

With --revision: points the tag each selected cluster follows (e.g. stable-wave-1), in every region, at that
cluster's candidate of the revision (rev-<revision>, which push set), reading the clusters from <dir>/release.json.
Nothing is uploaded. Refused, with no tag moved, when any selected cluster lacks the candidate. Before a tag moves,
what it pointed at is kept under <tag>-previous (a second promotion keeps the one before it there).

With --rollback: points each selected cluster's tag back at <tag>-previous, in one step; <tag>-previous stays, so a
second rollback changes nothing. Promote the revision again to go forward.

With --from: points tags at the digest that another tag of the same repository holds.

Options:
  --environment <env>             The clusters of this environment
  --wave <n>                      Only the clusters of this wave
  --revision <rev>                The revision to promote: a commit, or <branch>@sha1:<commit>, as pushed
  --rollback                      Put the selected clusters back on what they followed before the last promotion
  --from <tag>                    The tag whose digest is promoted (within each cluster's repository)
  --cluster <name>[,...]          Only these clusters (with --from)
  --to <tag>                      Point this tag instead of each cluster's own tag (with --from)
  --whole-tree                    Promote the whole-tree artifact (pushed with push --whole-tree) in every region; needs --to
  --whole-tree-path <path>        Its repository beside clusters/ (default: fleet)
  --dry-run                       Check and show what would move, moving nothing
  --registry                      Promote in the registries (default: the OCI image layout folder)
  --layout <folder>               The OCI image layout folder (default: oci-layout)
  --format text|json              How to print the result (default: text)
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 promoted, 1 refused or failed, 2 usage error.
`;

/** \`flux-fleet promote <dir>\`: moves channel tags to the digest another channel holds. */
export const promoteCommand: Command = {
  summary: 'promote <dir>     Move a wave\'s tags to the candidates of a revision in every region, or roll\n                    them back; nothing is uploaded',
  run: promoteRun,
};

async function promoteRun(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    'help': {},
    'from': { value: true },
    'to': { value: true },
    'environment': { value: true },
    'wave': { value: true },
    'cluster': { value: true },
    'whole-tree': {},
    'whole-tree-path': { value: true },
    'dry-run': {},
    'revision': { value: true },
    'rollback': {},
    'registry': {},
    'layout': { value: true },
    'format': { value: true },
  });
  if (args.options.has('help')) {
    io.stdout.write(PROMOTE_USAGE);
    return EXIT.ok;
  }
  const format = stringOption(args, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use text or json`);
  if (args.options.has('revision') || args.options.has('rollback')) return promoteReleaseRun(args, io, format);
  const from = stringOption(args, 'from');
  if (from === undefined) throw new UsageError('promote needs --revision <rev> (or --rollback) with --environment <env> [--wave <n>]; or --from <tag>');
  const to = stringOption(args, 'to');
  for (const [name, tag] of [['from', from], ['to', to]] as const) {
    if (tag !== undefined && !isTag(tag)) throw new UsageError(`--${name} ${JSON.stringify(tag)} is not an OCI tag`);
  }
  const environment = stringOption(args, 'environment');
  const wave = numberOption(args, 'wave', 1);
  const clusters = listOption(args, 'cluster');
  const whole = args.options.has('whole-tree');
  if (whole && to === undefined) throw new UsageError('--whole-tree needs --to <tag>: the whole-tree artifact has no channel of its own');
  if (whole && (environment !== undefined || wave !== undefined || clusters !== undefined)) throw new UsageError('--whole-tree promotes one artifact; drop --environment, --wave and --cluster');
  if (!whole && environment === undefined && clusters === undefined && to === undefined) {
    throw new UsageError('promote needs what to promote: --environment <env> (and --wave <n>), --cluster <names>, or --to <tag>');
  }
  const { artifacts } = await treeArtifacts(args, io, 'promote');
  const selection: PromotionSelection = {
    ...(environment !== undefined ? { environment } : {}),
    ...(wave !== undefined ? { wave } : {}),
    ...(clusters !== undefined ? { clusters } : {}),
    ...(to !== undefined ? { tag: to } : {}),
  };
  let targets;
  try {
    targets = promotionTargets(artifacts, selection);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const destinations = destinationsOf(args, io);
  try {
    const report = await promoteArtifacts(targets, { destinations, from, dryRun: args.options.has('dry-run') });
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const t of report.tags) {
        const was = t.previous === undefined ? 'new tag' : t.previous === t.digest ? 'already there' : `was ${shortDigest(t.previous)}`;
        const verb = t.moved ? 'moved' : args.options.has('dry-run') && t.previous !== t.digest ? 'would move' : 'unchanged';
        io.stdout.write(`${verb} ${t.artifact} ${t.location}:${t.to} -> ${t.digest} (${was})\n`);
      }
      const regions = new Set(report.tags.map((t) => t.region ?? t.location)).size;
      if (args.options.has('dry-run')) {
        const would = report.tags.filter((t) => t.previous !== t.digest).length;
        io.stdout.write(`dry run of promoting ${from}${report.revision ? ` (${report.revision})` : ''}: would move ${would} tag${would === 1 ? '' : 's'} of ${report.tags.length}, in ${regions} region${regions === 1 ? '' : 's'}\n`);
      } else {
        const moved = report.tags.filter((t) => t.moved).length;
        io.stdout.write(`promoted ${from}${report.revision ? ` (${report.revision})` : ''}: ${moved} of ${report.tags.length} tag${report.tags.length === 1 ? '' : 's'} moved, in ${regions} region${regions === 1 ? '' : 's'}\n`);
      }
    }
    return EXIT.ok;
  } catch (e) {
    // A refusal (PromotionError) moved nothing; a failure part-way says which tags moved.
    io.stderr.write(`flux-fleet: ${(e as Error).message}\n`);
    return EXIT.errors;
  } finally {
    destinations.close();
  }
}

/** Promotion of a revision, or rollback, of an environment's wave, from release.json. */
async function promoteReleaseRun(args: ParsedArgs, io: CliIo, format: string): Promise<number> {
  const revisionText = stringOption(args, 'revision');
  const rollback = args.options.has('rollback');
  if (rollback && revisionText !== undefined) throw new UsageError('--rollback and --revision exclude each other: a rollback goes back to what the tags followed before');
  for (const other of ['from', 'to', 'cluster', 'whole-tree']) {
    if (args.options.has(other)) throw new UsageError(`--${other} is for promoting from a tag; with ${rollback ? '--rollback' : '--revision'} give --environment <env> [--wave <n>]`);
  }
  const environment = stringOption(args, 'environment');
  if (environment === undefined) throw new UsageError(`${rollback ? '--rollback' : '--revision'} needs --environment <env> (and --wave <n>)`);
  const wave = numberOption(args, 'wave', 1);
  if (args.positionals.length !== 1) throw new UsageError('promote needs the synthesized folder: flux-fleet promote <dir>');
  if (revisionText !== undefined) {
    try {
      parseRevision(revisionText);
    } catch (e) {
      if (e instanceof DeliveryError) throw new UsageError(`--revision: ${e.message}`);
      throw e;
    }
  }
  let release;
  try {
    release = await readReleaseManifest(resolve(io.cwd ?? process.cwd(), args.positionals[0]));
  } catch (e) {
    if (e instanceof ReleaseManifestError) throw new UsageError(`cannot promote ${JSON.stringify(args.positionals[0])}: ${e.message}`);
    throw e;
  }
  const destinations = destinationsOf(args, io);
  const dryRun = args.options.has('dry-run');
  const options = { destinations, environment, ...(wave !== undefined ? { wave } : {}), dryRun };
  const what = `${environment}${wave !== undefined ? ` wave ${wave}` : ''}`;
  try {
    const report: WavePromotionReport = rollback ? await rollbackRelease(release, options) : await promoteRelease(release, revisionText!, options);
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.ok;
    }
    for (const t of report.tags) {
      const was = t.previous === undefined ? 'new tag' : `was ${shortDigest(t.previous)}`;
      const verb = t.action === 'moved' ? 'moved' : t.action === 'would-move' ? 'would move' : 'unchanged';
      io.stdout.write(t.action === 'unchanged'
        ? `unchanged ${t.cluster} ${t.location}:${t.tag} (already ${shortDigest(t.digest)})\n`
        : `${verb} ${t.cluster} ${t.location}:${t.tag} -> ${t.digest} (${was}${rollback ? `, from ${previousTag(t.tag)}` : ''})\n`);
    }
    const regions = new Set(report.tags.map((t) => t.region)).size;
    const n = report.moving;
    const subject = rollback ? `rollback of ${what}` : `promotion of ${revisionText} to ${what}`;
    io.stdout.write(dryRun
      ? `dry run of the ${subject}: would move ${n} tag${n === 1 ? '' : 's'}, in ${regions} region${regions === 1 ? '' : 's'}\n`
      : `${subject}: ${n} tag${n === 1 ? '' : 's'} moved, ${report.tags.length - n} already there, in ${regions} region${regions === 1 ? '' : 's'}\n`);
    return EXIT.ok;
  } catch (e) {
    io.stderr.write(`flux-fleet: ${(e as Error).message}\n`);
    return EXIT.errors;
  } finally {
    destinations.close();
  }
}
