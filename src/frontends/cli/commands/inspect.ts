import { formatSummary, inspectArtifact } from '../../../delivery/inspect.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { artifactStoreOf, formatOption, REFERENCE_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP } from '../options.js';

const INSPECT_USAGE = `Usage: flux-fleet inspect <ref> [--format text|json] [options]

Reads an artifact back and prints its digest, media types, annotations and files.
${REFERENCE_HELP}

Options:
  --format text|json              How to print it (default: text)
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help
`;

/** \`flux-fleet inspect <ref>\`: shows an artifact. */
export const inspectCommand: Command = {
  summary: 'inspect <ref>     Show an artifact: digest, media types, annotations, files',
  run: inspect,
};

async function inspect(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, help: {}, format: { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(INSPECT_USAGE);
    return EXIT.ok;
  }
  const format = formatOption(args, ['text', 'json']);
  if (args.positionals.length !== 1) throw new UsageError('inspect takes one artifact reference, e.g. flux-fleet inspect oci://ghcr.io/acme/fleet/clusters/prod-eu-1:stable');
  const { store, reference, close } = artifactStoreOf(args, io);
  try {
    const summary = await inspectArtifact(store, reference);
    io.stdout.write(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return EXIT.ok;
  } finally {
    close();
  }
}
