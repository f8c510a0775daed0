import { resolve } from 'node:path';
import { formatReport, ReportFormat } from '../../output/validate/report.js';
import { validateTree, ValidateTreeOptions } from '../../output/validate/validate-tree.js';

/** Where the command line writes, and the folder relative paths start from. */
export interface CliIo {
  /** Standard output: reports. */
  readonly stdout: { write(text: string): unknown };
  /** Standard error: usage errors. */
  readonly stderr: { write(text: string): unknown };
  /** The folder relative paths are resolved against. @default - the process's working directory */
  readonly cwd?: string;
}

/** Exit codes of the command line. */
export const EXIT = {
  /** Done, nothing wrong. */
  ok: 0,
  /** The check found errors. */
  errors: 1,
  /** The command line was wrong (unknown command or option, missing argument, no such folder). */
  usage: 2,
} as const;

const USAGE = `Usage: flux-fleet <command> [options]

Commands:
  validate <dir>    Check a config-repo tree: YAML, Flux schemas and rules, references
                    within each cluster, and that every kustomization.yaml builds

Options:
  -h, --help        Show this help

Run "flux-fleet <command> --help" for the options of a command.
`;

const VALIDATE_USAGE = `Usage: flux-fleet validate <dir> [--no-build] [--format text|json]

Checks the config-repo tree in <dir> (the folder that holds clusters/) and prints every problem found,
each with its file, object and fix.

Options:
  --no-build            Do not build the kustomization.yaml folders with kubectl kustomize
  --format text|json    How to print the report (default: text)
  -h, --help            Show this help

Exit codes: 0 no errors, 1 errors found, 2 usage error.
`;

/** A command-line mistake: printed with a pointer to the help, exit code 2. */
class UsageError extends Error {}

/** An option a command accepts. */
interface OptionSpec {
  /** Takes a value (`--format json` or `--format=json`). */
  readonly value?: boolean;
}

/** The parsed command line of one command. */
interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string | true>;
}

/**
 * Splits arguments into positionals and the options of `spec` (long `--name`, `--name value`, `--name=value`; `-h`
 * for `--help`; `--` ends the options). Unknown options and missing values are usage errors.
 */
function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      options.set('help', true);
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const option = spec[name];
      if (!option) throw new UsageError(`unknown option ${JSON.stringify(arg.slice(0, eq < 0 ? undefined : eq))}`);
      if (option.value) {
        const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || (eq < 0 && value.startsWith('-'))) throw new UsageError(`option --${name} needs a value`);
        options.set(name, value);
      } else {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        options.set(name, true);
      }
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, options };
}

/**
 * Runs the command line: `flux-fleet validate <dir> [--no-build] [--format text|json]`, or `--help`.
 *
 * @param argv the arguments after the program name
 * @returns the exit code: 0 when clean, 1 when the check found errors, 2 on a usage error
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) throw new UsageError('no command given');
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (command === 'validate') return await validate(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`flux-fleet: ${e.message}\nRun "flux-fleet --help" for usage.\n`);
    return EXIT.usage;
  }
}

async function validate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'no-build': {}, 'format': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(VALIDATE_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length === 0 ? 'validate needs the folder to check: flux-fleet validate <dir>' : `validate takes one folder, got ${args.positionals.length}: ${args.positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  const format = args.options.get('format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use text or json`);

  const dir = resolve(io.cwd ?? process.cwd(), args.positionals[0]);
  const options: ValidateTreeOptions = { build: !args.options.has('no-build') };
  let report;
  try {
    report = await validateTree(dir, options);
  } catch (e) {
    throw new UsageError(`cannot validate ${JSON.stringify(args.positionals[0])}: ${(e as Error).message}`);
  }
  io.stdout.write(formatReport(report, format as ReportFormat));
  return report.errors.length === 0 ? EXIT.ok : EXIT.errors;
}
