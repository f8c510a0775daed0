import { resolve } from 'node:path';
import { Destinations } from '../../../delivery/destinations.js';
import { formatSummary, inspectArtifact, pullArtifact } from '../../../delivery/inspect.js';
import { OciLayout } from '../../../delivery/oci/layout.js';
import { parseReference } from '../../../delivery/oci/reference.js';
import type { ArtifactStore } from '../../../delivery/oci/store.js';
import { EXIT, parseArgs, UsageError, type ParsedArgs, CliIo, Command } from '../args.js';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, stringOption } from '../options.js';

const REFERENCE_HELP = `<ref> is oci://<host>/<repository>:<tag> (or @sha256:<digest>) for a registry, or oci:<folder>:<tag>
for an OCI image layout folder (as push writes by default).`;

const INSPECT_USAGE = `Usage: flux-fleet inspect <ref> [--format text|json] [options]

Reads an artifact back and prints its digest, media types, annotations and files.
${REFERENCE_HELP}

Options:
  --format text|json              How to print it (default: text)
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help
`;

const PULL_USAGE = `Usage: flux-fleet pull <ref> --output <dir> [options]

Reads an artifact back and writes its files into <dir> (empty or new), file modes kept.
${REFERENCE_HELP}

Options:
  --output <dir>                  Where to write the files
  --format text|json              How to print the artifact's summary (default: text)
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help
`;

/** \`flux-fleet inspect <ref>\`: shows an artifact. */
export const inspectCommand: Command = {
  summary: 'inspect <ref>     Show an artifact: digest, media types, annotations, files',
  run: (argv, io) => read(argv, io, 'inspect'),
};

/** \`flux-fleet pull <ref> --output <dir>\`: writes an artifact's files. */
export const pullCommand: Command = {
  summary: 'pull <ref>        Write an artifact\'s files into a folder',
  run: (argv, io) => read(argv, io, 'pull'),
};

async function read(argv: readonly string[], io: CliIo, command: 'inspect' | 'pull'): Promise<number> {
  const args = parseArgs(argv, { ...REGISTRY_OPTIONS, help: {}, format: { value: true }, ...(command === 'pull' ? { output: { value: true } } : {}) });
  if (args.options.has('help')) {
    io.stdout.write(command === 'pull' ? PULL_USAGE : INSPECT_USAGE);
    return EXIT.ok;
  }
  const format = stringOption(args, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use text or json`);
  if (args.positionals.length !== 1) throw new UsageError(`${command} takes one artifact reference, e.g. flux-fleet ${command} oci://ghcr.io/acme/fleet/clusters/prod-eu-1:stable`);
  const output = stringOption(args, 'output');
  if (command === 'pull' && output === undefined) throw new UsageError('pull needs --output <dir>: where to write the files');
  const { store, reference, close } = storeOf(args, io);
  try {
    const summary = command === 'pull'
      ? await pullArtifact(store, reference, resolve(io.cwd ?? process.cwd(), output!))
      : await inspectArtifact(store, reference);
    io.stdout.write(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return EXIT.ok;
  } finally {
    close();
  }
}

function storeOf(args: ParsedArgs, io: CliIo): { store: ArtifactStore; reference: string; close: () => void } {
  let ref;
  try {
    ref = parseReference(args.positionals[0]);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const reference = ref.digest ?? ref.tag ?? 'latest';
  if (ref.kind === 'layout') return { store: new OciLayout(resolve(io.cwd ?? process.cwd(), ref.path)), reference, close: () => undefined };
  const destinations = new Destinations(registryOptions(args, io));
  return { store: destinations.store(`oci://${ref.host}/${ref.repository}`), reference, close: () => destinations.close() };
}
