import { readFileSync } from 'node:fs';
import { EXIT, EXIT_STATUS, RAW_OUTPUT, UsageError } from './args.js';
import type { CliIo, Command } from './args.js';
import { adoptCommand } from './commands/adopt.js';
import { bootstrapCommand } from './commands/bootstrap.js';
import { diffCommand } from './commands/diff.js';
import { inspectCommand } from './commands/inspect.js';
import { keygenCommand } from './commands/keygen.js';
import { lockCommand } from './commands/lock.js';
import { mergeCommand } from './commands/merge.js';
import { mirrorCommand } from './commands/mirror.js';
import { promoteCommand } from './commands/promote.js';
import { pullCommand } from './commands/pull.js';
import { pushCommand } from './commands/push.js';
import { rolloutCommand } from './commands/rollout.js';
import { signCommand } from './commands/sign.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { verifyReleaseCommand } from './commands/verify-release.js';
import { verifyCommand } from './commands/verify.js';
import { workflowCommand } from './commands/workflow.js';
import { FileAccessError, FluxFleetError } from '../../flux/core/errors.js';
import { sanitizeForTerminal } from '../../flux/core/terminal-text.js';

export { EXIT } from './args.js';
export type { CliIo } from './args.js';

/** The commands, by name. */
const COMMANDS: Readonly<Record<string, Command>> = {
  'validate': validateCommand,
  'merge': mergeCommand,
  'diff': diffCommand,
  'adopt': adoptCommand,
  'bootstrap': bootstrapCommand,
  'push': pushCommand,
  'promote': promoteCommand,
  'rollout': rolloutCommand,
  'lock': lockCommand,
  'mirror': mirrorCommand,
  'verify-release': verifyReleaseCommand,
  'status': statusCommand,
  'pull': pullCommand,
  'inspect': inspectCommand,
  'workflow': workflowCommand,
  'keygen': keygenCommand,
  'sign': signCommand,
  'verify': verifyCommand,
};

function usage(): string {
  return `Usage: flux-fleet <command> [options]

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.summary}`).join('\n')}

Options:
  -h, --help        Show this help
  -v, --version     Print flux-fleet's version

Run "flux-fleet <command> --help" for the options of a command.
`;
}

/** The version of the installed flux-fleet, from its package.json (beside lib/ and src/ alike). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

/**
 * Runs the command line: `flux-fleet <command> [options]`, `--help` or `--version`.
 *
 * @param argv the arguments after the program name
 * @returns the exit code: 0 when done and clean, 1 when a command found errors or refused, 2 on a usage error (see
 *   {@link EXIT_STATUS} for the status of each error code)
 * @throws an error that is neither a FluxFleetError nor a failed file-system call (which becomes a FileAccessError):
 *   one flux-fleet does not foresee, a bug
 */
export async function run(argv: readonly string[], given: CliIo): Promise<number> {
  const io = terminalSafe(given);
  try {
    const [command, ...rest] = argv;
    if (command === undefined) throw new UsageError('no command given');
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(usage());
      return EXIT.ok;
    }
    if (command === '--version' || command === '-v' || command === 'version') {
      io.stdout.write(`flux-fleet ${packageVersion()}\n`);
      return EXIT.ok;
    }
    const known = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!known) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return await known.run(rest, io);
  } catch (thrown) {
    const e = FluxFleetError.isFluxFleetError(thrown) ? thrown : FileAccessError.fromSystemError(thrown);
    if (!e) throw thrown;
    if (e instanceof UsageError) {
      io.stderr.write(`flux-fleet: ${e.message}\nRun "flux-fleet --help" for usage.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`flux-fleet: ${e.message}\n`);
    return EXIT_STATUS[e.code] ?? EXIT.errors;
  }
}

/**
 * The command line's output with every write passed through {@link sanitizeForTerminal}: whatever a command prints
 * (text read from a registry, a tree or an argument among it), no control character or escape sequence reaches the
 * terminal; line feeds and tabs are kept. A live display's own cursor movements go through {@link rawOutput}.
 */
function terminalSafe(io: CliIo): CliIo {
  const safe = (stream: CliIo['stdout']) => ({
    write: (text: string) => stream.write(sanitizeForTerminal(text)),
    get isTTY() {
      return (stream as { isTTY?: boolean }).isTTY;
    },
    [RAW_OUTPUT]: stream,
  });
  return { ...io, stdout: safe(io.stdout), stderr: safe(io.stderr) };
}
