import { resolve } from 'node:path';
import { formatSummary, pullArtifact } from '../../../delivery/inspect.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { artifactStoreOf, formatOption, REFERENCE_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, stringOption } from '../options.js';

const PULL_USAGE = `Usage: flux-fleet pull <ref> --output <dir> [options]

Reads an artifact back and writes its files into <dir> (empty or new), file modes kept.
${REFERENCE_HELP}

Options:
  --output <dir>                  Where to write the files
  --format text|json              How to print the artifact's summary (default: text)
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help
`;

/** \`flux-fleet pull <ref> --output <dir>\`: writes an artifact's files. */
export const pullCommand: Command = {
  summary: 'pull <ref>        Write an artifact\'s files into a folder',
  run: pull,
};

async function pull(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, help: {}, format: { value: true }, output: { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(PULL_USAGE);
    return EXIT.ok;
  }
  const format = formatOption(args, ['text', 'json']);
  if (args.positionals.length !== 1) throw new UsageError('pull takes one artifact reference, e.g. flux-fleet pull oci://ghcr.io/acme/fleet/clusters/prod-eu-1:stable');
  const output = stringOption(args, 'output');
  if (output === undefined) throw new UsageError('pull needs --output <dir>: where to write the files');
  const { store, reference, close } = artifactStoreOf(args, io);
  try {
    const summary = await pullArtifact(store, reference, resolve(io.cwd ?? process.cwd(), output));
    io.stdout.write(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return EXIT.ok;
  } finally {
    close();
  }
}
