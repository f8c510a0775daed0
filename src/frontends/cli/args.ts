/** The pieces every command of the command line shares: its output, exit codes, and argument parsing. */
import { ERROR_CODES, FluxFleetError, type FluxFleetErrorCode } from '../../flux/core/errors.js';

/** Where the command line writes, and the folder relative paths start from. */
export interface CliIo {
  /** Standard output: reports. */
  readonly stdout: { write(text: string): unknown };
  /** Standard error: usage errors. */
  readonly stderr: { write(text: string): unknown };
  /** The folder relative paths are resolved against. @default - the process's working directory */
  readonly cwd?: string;
}

/** Where the command line's terminal-safe output keeps the stream it writes to. */
export const RAW_OUTPUT = Symbol.for('flux-fleet.raw-output');

/**
 * The stream under the command line's terminal-safe output, for a live display's own escape sequences (cursor up,
 * clear line); whatever text it prints must pass through `printable` first.
 */
export function rawOutput(stream: CliIo['stdout']): CliIo['stdout'] {
  return (stream as { [RAW_OUTPUT]?: CliIo['stdout'] })[RAW_OUTPUT] ?? stream;
}

/** Exit codes of the command line. */
export const EXIT = {
  /** Done, nothing wrong. */
  ok: 0,
  /** The check found errors. */
  errors: 1,
  /** The command line was wrong (unknown command or option, missing argument, no such folder). */
  usage: 2,
  /** A rollout stopped at a wave that waits for a person's approval: the waves before it passed. */
  waiting: 3,
  /** flux-fleet failed in a way it does not foresee: a bug (sysexits' EX_SOFTWARE; the message says how to see where). */
  internal: 70,
} as const;

/**
 * The exit status of each error code, when a command stops on an error: 2 when what was given on the command line is
 * wrong (an option, or a folder that is not a tree), 1 for everything the command found or refused. A refusal is never
 * 2. README.md's table of exit statuses lists the same (a test compares them).
 */
export const EXIT_STATUS: Readonly<Record<FluxFleetErrorCode, number>> = {
  [ERROR_CODES.usage]: EXIT.usage,
  [ERROR_CODES.treeSnapshot]: EXIT.usage,
  [ERROR_CODES.releaseManifest]: EXIT.errors,
  [ERROR_CODES.synth]: EXIT.errors,
  [ERROR_CODES.validation]: EXIT.errors,
  [ERROR_CODES.configTree]: EXIT.errors,
  [ERROR_CODES.delivery]: EXIT.errors,
  [ERROR_CODES.refused]: EXIT.errors,
  [ERROR_CODES.registry]: EXIT.errors,
  [ERROR_CODES.credentials]: EXIT.errors,
  [ERROR_CODES.reference]: EXIT.errors,
  [ERROR_CODES.signing]: EXIT.errors,
  [ERROR_CODES.semver]: EXIT.errors,
  [ERROR_CODES.archive]: EXIT.errors,
  [ERROR_CODES.yamlLimit]: EXIT.errors,
  [ERROR_CODES.forge]: EXIT.errors,
  [ERROR_CODES.fileAccess]: EXIT.errors,
  [ERROR_CODES.selection]: EXIT.usage,
};

/** A command-line mistake: printed with a pointer to the help, exit code 2. */
export class UsageError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.usage, message);
  }
}

/** An option a command accepts. */
export interface OptionSpec {
  /** Takes a value (`--format json` or `--format=json`). */
  readonly value?: boolean;
}

/** The parsed command line of one command. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string | true>;
}

/**
 * Splits arguments into positionals and the options of `spec` (long `--name`, `--name value`, `--name=value`; `-h`
 * for `--help`; `--` ends the options). Unknown options and missing values are usage errors.
 */
export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): ParsedArgs {
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


/** A command of the command line. */
export interface Command {
  /** One line for the overview, e.g. `validate <dir>    Check a config-repo tree`. */
  readonly summary: string;
  /** Runs the command with the arguments after its name; returns the exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
