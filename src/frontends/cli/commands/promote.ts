import { commitOf, releaseEnvironment } from '../../../delivery/health/health.js';
import {
  previousTag, promoteRelease, rollbackRelease, waveClusters, type PromotionGate, type WavePromotionReport,
} from '../../../delivery/release/promote.js';
import { parseRevision } from '../../../delivery/release/revision.js';
import { durationOf, gateClustersOf, healthGate, refuseUngated } from '../../../delivery/rollout/health-gate.js';
import { DEFAULT_ROLLOUT } from '../../../fleet/rollout.js';
import { shortDigest } from '../../../flux/artifact/digest.js';
import { sanitizeForTerminal } from '../../../flux/core/terminal-text.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import {
  commandLineValue, destinationsOf, durationOption, FORGE_OPTIONS, FORGE_OPTIONS_HELP, healthOptionsOf, leaseOptionsOf, LEASE_OPTIONS,
  LEASE_OPTIONS_HELP, numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, releaseOf, stringOption, verificationMaterialOf,
  VERIFICATION_OPTIONS, VERIFICATION_OPTIONS_HELP, formatOption,
} from '../options.js';

const PROMOTE_USAGE = `Usage: flux-fleet promote <dir> --environment <env> [--wave <n>] (--revision <rev> | --rollback) [options]

With --revision: points the tag each selected cluster follows (e.g. stable-wave-1), in every region, at that
cluster's candidate of the revision (rev-<revision>, which push set), reading the clusters from <dir>/release.json.
Nothing is uploaded. Before a tag moves, what it pointed at is kept under <tag>-previous (a second promotion keeps
the one before it there).

With --rollback: points each selected cluster's tag back at <tag>-previous, in one step; <tag>-previous stays, so a
second rollback changes nothing. Promote the revision again to go forward.

With --require-healthy: nothing moves unless the clusters before the wave report healthy on the revision, each
newest report at least --soak old (default: the environment's rollout soak in release.json), and none failing: the
clusters of the environment's earlier waves, or for its first wave those of the environment it is promoted from
(its rollout's promotedFrom: by default the environment declared before it, e.g. staging for production). They are
read from where they report (their rollout.report) after the lease is taken, and again just before the tags move. A
cluster that cannot be gated (it reports nowhere, or runs a Flux older than 2.9) is refused first, by name.

Nothing moves unless every target is one its cluster accepts: the candidate (or -previous) is there, its config
verifies with the identity the cluster's bootstrap declares, and every source it pins resolves in the cluster's
region and verifies with its own identity. The environment's lease (a record in its first cluster's repository) is
held throughout: a second promotion of the environment at the same time is refused, naming the first. Each tag is
read again just before it moves; a promotion stopped part-way says what moved, and running it again finishes it.

Options:
  --environment <env>             The clusters of this environment
  --wave <n>                      Only the clusters of this wave
  --revision <rev>                The revision to promote: a commit, or <branch>@sha1:<commit>, as pushed
  --rollback                      Put the selected clusters back on what they followed before the last promotion
  --dry-run                       Check everything and show what would move, moving nothing
  --registry                      Promote in the registries (default: the OCI image layout folder, where no
                                  signature is checked: a layout holds none)
  --layout <folder>               The OCI image layout folder (default: oci-layout)
  --format text|json              How to print the result (default: text)
  --require-healthy               Move only when the clusters before the wave report healthy on the revision
  --soak <duration>               How long they must have reported healthy, e.g. 30m (default: the environment's
                                  rollout soak)
${FORGE_OPTIONS_HELP}
${LEASE_OPTIONS_HELP}
${VERIFICATION_OPTIONS_HELP}
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 promoted, 1 refused or stopped, 2 usage error.
`;

/** \`flux-fleet promote <dir>\`: moves a wave's tags to the candidates of a revision, or back. */
export const promoteCommand: Command = {
  summary: 'promote <dir>     Move a wave\'s tags to the candidates of a revision in every region, or roll\n                    them back, once each target verifies as its cluster verifies it; nothing is uploaded',
  run: promoteRun,
};

async function promoteRun(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    ...VERIFICATION_OPTIONS,
    ...LEASE_OPTIONS,
    ...FORGE_OPTIONS,
    'require-healthy': {},
    'soak': { value: true },
    'help': {},
    'environment': { value: true },
    'wave': { value: true },
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
  const format = formatOption(args, ['text', 'json']);
  const revisionText = stringOption(args, 'revision');
  const rollback = args.options.has('rollback');
  if (rollback && revisionText !== undefined) throw new UsageError('--rollback and --revision exclude each other: a rollback goes back to what the tags followed before');
  if (!rollback && revisionText === undefined) throw new UsageError('promote needs --revision <rev> (or --rollback) with --environment <env> [--wave <n>]');
  const requireHealthy = args.options.has('require-healthy');
  if (requireHealthy && rollback) throw new UsageError('--require-healthy gates a promotion; a rollback is never gated on health (it is what a failing wave needs)');
  if (args.options.has('soak') && !requireHealthy) throw new UsageError('--soak needs --require-healthy');
  const environment = stringOption(args, 'environment');
  if (environment === undefined) throw new UsageError(`${rollback ? '--rollback' : '--revision'} needs --environment <env> (and --wave <n>)`);
  const wave = numberOption(args, 'wave', 1);
  if (revisionText !== undefined) await commandLineValue('--revision', () => parseRevision(revisionText));
  const { release } = await releaseOf(args, io, 'promote');
  const soakMs = durationOption(args, 'soak');
  const healthOptions = requireHealthy ? healthOptionsOf(args) : undefined;
  const material = await verificationMaterialOf(args, io);
  const dryRun = args.options.has('dry-run');
  let gate: PromotionGate | undefined;
  if (requireHealthy) {
    const commit = commitOf(revisionText!);
    const env = releaseEnvironment(release, environment);
    const before = gateClustersOf(release, environment, wave);
    refuseUngated([...before.clusters, ...waveClusters(release, { environment, wave })], `the promotion of ${environment}${wave !== undefined ? ` wave ${wave}` : ''}`);
    const soak = soakMs ?? durationOf((env.rollout ?? DEFAULT_ROLLOUT).soak, `environment ${environment}'s soak`);
    gate = healthGate(before, commit, { soakMs: soak, maxFailures: 0, health: healthOptions });
    if (before.clusters.length === 0) io.stderr.write(`${sanitizeForTerminal(`note: --require-healthy gates on ${before.label}`)}\n`);
    // A dry run moves nothing, so the gate is read once here.
    if (dryRun) await gate({ phase: 'before-moves', environment, ...(wave !== undefined ? { wave } : {}), moves: [] });
  }
  const destinations = destinationsOf(args, io);
  const options = {
    ...(gate ? { gate } : {}),
    destinations,
    environment,
    ...(wave !== undefined ? { wave } : {}),
    dryRun,
    material,
    leaseOptions: leaseOptionsOf(args),
    dir: args.positionals[0],
  };
  const what = `${environment}${wave !== undefined ? ` wave ${wave}` : ''}`;
  try {
    const report: WavePromotionReport = rollback ? await rollbackRelease(release, options) : await promoteRelease(release, revisionText!, options);
    io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : promotionText(report, rollback, dryRun, rollback ? `rollback of ${what}` : `promotion of ${revisionText} to ${what}`));
    return EXIT.ok;
  } finally {
    destinations.close();
  }
}

function promotionText(report: WavePromotionReport, rollback: boolean, dryRun: boolean, subject: string): string {
  const lines = report.tags.map((t) => {
    const was = t.previous === undefined ? 'new tag' : `was ${shortDigest(t.previous)}`;
    const verb = t.action === 'moved' ? 'moved' : 'would move';
    return t.action === 'unchanged'
      ? `unchanged ${t.cluster} ${t.location}:${t.tag} (already ${shortDigest(t.digest)})`
      : `${verb} ${t.cluster} ${t.location}:${t.tag} -> ${t.digest} (${was}${rollback ? `, from ${previousTag(t.tag)}` : ''})`;
  });
  const regions = new Set(report.tags.map((t) => t.region)).size;
  const n = report.moving;
  lines.push(dryRun
    ? `dry run of the ${subject}: would move ${n} tag${n === 1 ? '' : 's'}, in ${regions} region${regions === 1 ? '' : 's'}`
    : `${subject}: ${n} tag${n === 1 ? '' : 's'} moved, ${report.tags.length - n} already there, in ${regions} region${regions === 1 ? '' : 's'}`);
  return `${sanitizeForTerminal(lines.join('\n'))}\n`;
}
