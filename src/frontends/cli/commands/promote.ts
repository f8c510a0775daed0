import { promoteArtifacts, promotionTargets, type PromotionSelection } from '../../../delivery/promote.js';
import { shortDigest } from '../../../flux/artifact/digest.js';
import { isTag } from '../../../delivery/oci/reference.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { destinationsOf, listOption, numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, stringOption, treeArtifacts } from './push.js';

const PROMOTE_USAGE = `Usage: flux-fleet promote <dir> --from <tag> (--environment <env> [--wave <n>] | --cluster <name>[,...] | --to <tag>) [options]

Points tags at the digest that the --from tag (another channel) holds, in every region, without uploading anything:
by default each selected cluster's own tag (its environment's channel, or its wave's tag), read from the synthesized
tree in <dir>. Refused, with no tag moved, when a --from tag is missing, when the regions holding one artifact disagree
on its digest, or when the artifacts come from different source revisions.

Options:
  --from <tag>                    The channel to promote from, e.g. latest
  --environment <env>             The clusters of this environment
  --wave <n>                      Only the clusters of this wave
  --cluster <name>[,...]          Only these clusters
  --to <tag>                      Point this tag instead of each cluster's own tag
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
  summary: 'promote <dir>     Point an environment\'s or a wave\'s tags at the digest another channel holds,\n                    in every region, without re-uploading',
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
  const from = stringOption(args, 'from');
  if (from === undefined) throw new UsageError('promote needs --from <tag>: the channel whose digest is promoted');
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
      const moved = report.tags.filter((t) => t.moved).length;
      const regions = new Set(report.tags.map((t) => t.region ?? t.location)).size;
      io.stdout.write(`promoted ${from}${report.revision ? ` (${report.revision})` : ''}: ${moved} of ${report.tags.length} tag${report.tags.length === 1 ? '' : 's'} moved, in ${regions} region${regions === 1 ? '' : 's'}\n`);
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
