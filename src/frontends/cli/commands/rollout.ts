import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { commitOf } from '../../../delivery/health/health.js';
import { rollOut, type RolloutEvent, type RolloutReport } from '../../../delivery/rollout/rollout.js';
import { sanitizeForTerminal } from '../../../flux/core/terminal-text.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import {
  commandLineValue, destinationsOf, durationOption, FORGE_OPTIONS, FORGE_OPTIONS_HELP, healthOptionsOf, leaseOptionsOf, LEASE_OPTIONS,
  LEASE_OPTIONS_HELP, numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, releaseOf, stringOption, verificationMaterialOf,
  VERIFICATION_OPTIONS, VERIFICATION_OPTIONS_HELP,
} from '../options.js';

const ROLLOUT_USAGE = `Usage: flux-fleet rollout <dir> --environment <env> --revision <rev> --registry [options]

Rolls a revision out to an environment wave after wave, on what its clusters report (their rollout.report: commit
statuses on the fleet's forge), holding the environment's lease for the whole run:

1. waits for the environment it is promoted from (its rollout's promotedFrom; by default the environment declared
   before it, e.g. staging for production) to report healthy on the revision for the soak;
2. for each wave, lowest first: promotes it (as promote does: every target verified, the clusters before it read
   again just before the tags move), then waits for it to report healthy for the soak, within the progress deadline,
   with at most --max-failures failing clusters;
3. stops at a wave that needs a person's approval (the rollout's approval) unless --approve-wave names it, with exit
   status 3: the waves before it passed;
4. on a failure (too many failing clusters, or the deadline passed) stops, with exit status 1, and with
   --rollback-on-failure rolls back every wave on the revision, last first.

A wave whose tags already point at the revision is only waited for, not moved again: run it again after a stop and
it resumes where it stopped. A report that is not healthy, or that is for an older revision, never counts. A
cluster that cannot be gated (it reports nowhere, or runs a Flux older than 2.9) is refused first, by name. Progress
is printed as it happens; --report writes what happened as JSON.

Options:
  --environment <env>             The environment to roll out (e.g. production)
  --revision <rev>                The revision: a commit, or <branch>@sha1:<commit>, as pushed
  --registry                      Promote in the registries (required: a rollout acts on what the clusters pull)
  --soak <duration>               How long each wave must report healthy before the next moves (default: the
                                  environment's rollout soak in release.json)
  --progress-deadline <duration>  How long a wave may take to pass (default: the environment's progressDeadline)
  --max-failures <n>              Failing clusters a wave may have (default: the environment's maxFailures)
  --rollback-on-failure           On a failure, roll back the waves on the revision
  --approve-wave <n>[,...]        Waves needing approval that were approved (e.g. by a CI environment's reviewers)
  --until-wave <n>                Stop, done, once this wave passed (default: the last wave)
  --poll <duration>               How often the reports are read while waiting (default: 30s)
  --report <file>                 Write what happened as JSON
${FORGE_OPTIONS_HELP}
${LEASE_OPTIONS_HELP}
${VERIFICATION_OPTIONS_HELP}
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 rolled out, 1 failed or refused, 2 usage error, 3 waiting for a wave's approval.
`;

/** `flux-fleet rollout <dir>`: promotes an environment wave after wave on the health its clusters report. */
export const rolloutCommand: Command = {
  summary: 'rollout <dir>     Promote an environment wave after wave, each once the one before reports healthy\n                    for the soak; stop (and roll back) on failure, resume when run again',
  run: rollout,
};

async function rollout(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    ...VERIFICATION_OPTIONS,
    ...LEASE_OPTIONS,
    ...FORGE_OPTIONS,
    'help': {},
    'environment': { value: true },
    'revision': { value: true },
    'registry': {},
    'soak': { value: true },
    'progress-deadline': { value: true },
    'max-failures': { value: true },
    'rollback-on-failure': {},
    'approve-wave': { value: true },
    'until-wave': { value: true },
    'poll': { value: true },
    'report': { value: true },
  });
  if (args.options.has('help')) {
    io.stdout.write(ROLLOUT_USAGE);
    return EXIT.ok;
  }
  const environment = stringOption(args, 'environment');
  const revision = stringOption(args, 'revision');
  if (environment === undefined || revision === undefined) throw new UsageError('rollout needs --environment <env> and --revision <rev>');
  if (!args.options.has('registry')) throw new UsageError('rollout needs --registry: it moves the tags clusters pull, in the registries');
  await commandLineValue('--revision', () => commitOf(revision));
  const approved = (stringOption(args, 'approve-wave') ?? '').split(',').filter(Boolean).map((w) => {
    if (!/^[1-9][0-9]*$/.test(w)) throw new UsageError(`--approve-wave ${JSON.stringify(w)} is not a wave number; give e.g. --approve-wave 2`);
    return Number(w);
  });
  const soakMs = durationOption(args, 'soak');
  const progressDeadlineMs = durationOption(args, 'progress-deadline');
  const pollIntervalMs = durationOption(args, 'poll');
  const maxFailures = numberOption(args, 'max-failures', 0);
  const untilWave = numberOption(args, 'until-wave', 1);
  const reportFile = stringOption(args, 'report');
  const health = healthOptionsOf(args);
  const { release } = await releaseOf(args, io, 'roll out');
  const material = await verificationMaterialOf(args, io);
  const destinations = destinationsOf(args, io);
  let report: RolloutReport;
  try {
    report = await rollOut(release, revision, {
      destinations,
      environment,
      material,
      health,
      approvedWaves: approved,
      rollbackOnFailure: args.options.has('rollback-on-failure'),
      leaseOptions: leaseOptionsOf(args),
      dir: args.positionals[0],
      onProgress: (event) => io.stdout.write(progressLine(event)),
      ...(soakMs !== undefined ? { soakMs } : {}),
      ...(progressDeadlineMs !== undefined ? { progressDeadlineMs } : {}),
      ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
      ...(maxFailures !== undefined ? { maxFailures } : {}),
      ...(untilWave !== undefined ? { untilWave } : {}),
    });
  } finally {
    destinations.close();
  }
  if (reportFile !== undefined) await writeFile(resolve(io.cwd ?? process.cwd(), reportFile), `${JSON.stringify(report, null, 2)}\n`);
  const out = `${report.outcome === 'complete' ? 'rolled out' : report.outcome === 'failed' ? 'rollout failed' : 'rollout waiting for approval'}: ${report.message}`;
  (report.outcome === 'failed' ? io.stderr : io.stdout).write(`${sanitizeForTerminal(out)}\n`);
  return report.outcome === 'complete' ? EXIT.ok : report.outcome === 'failed' ? EXIT.errors : EXIT.waiting;
}

/** One line of live progress: time, stage, what happened or the counts read. */
function progressLine(event: RolloutEvent): string {
  return `${sanitizeForTerminal(`${event.at.slice(11, 19)} ${event.message}`)}\n`;
}
