import { resolve } from 'node:path';
import { mergeShards } from '../../../output/shard-merge.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';

const MERGE_USAGE = `Usage: flux-fleet merge <shard folder>... --output <folder> [--foreign-files refuse|keep|remove]

Puts the output folders of every shard of a synth (run with FLUX_FLEET_SHARD=<index>/<count>, e.g. in the
jobs of a CI matrix) together into <folder>: the tree a synth of the whole fleet writes, byte for byte, with
its release.json. Files are hard-linked from the shards' folders where the file system allows.

Options:
  --output <folder>       Where to write the tree (required)
  --foreign-files <what>  What to do with files in <folder> that flux-fleet did not write: refuse (default),
                          keep or remove
  -h, --help              Show this help

Exit codes: 0 merged, 1 the shards cannot be merged (one missing, of another fleet...), 2 usage error.
`;

/** `flux-fleet merge <shard folder>... --output <folder>`: puts a sharded synth together. */
export const mergeCommand: Command = {
  summary: 'merge <shard>...  Put the output folders of a sharded synth together into the tree of the whole fleet',
  run: merge,
};

async function merge(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'output': { value: true }, 'foreign-files': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(MERGE_USAGE);
    return EXIT.ok;
  }
  const output = args.options.get('output');
  if (typeof output !== 'string') throw new UsageError('merge needs the folder to write: --output <folder>');
  if (args.positionals.length === 0) throw new UsageError('merge needs the output folder of every shard: flux-fleet merge <shard folder>... --output <folder>');
  const foreignFiles = args.options.get('foreign-files') ?? 'refuse';
  if (foreignFiles !== 'refuse' && foreignFiles !== 'keep' && foreignFiles !== 'remove') {
    throw new UsageError(`--foreign-files ${JSON.stringify(foreignFiles)} is not one of refuse, keep or remove`);
  }
  const cwd = io.cwd ?? process.cwd();
  const result = mergeShards(args.positionals.map((p) => resolve(cwd, p)), resolve(cwd, output), { foreignFiles });
  io.stdout.write(`merged ${args.positionals.length} shard${args.positionals.length === 1 ? '' : 's'} into ${result.outdir}: ` +
    `${result.added.length} files added, ${result.changed.length} changed, ${result.removed.length} removed\n`);
  return EXIT.ok;
}
