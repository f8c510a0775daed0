import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatAdoption, planAdoption, readExportedState, readRepositoryState, readSynthesizedState } from '../../../output/adopt/index.js';
import type { AdoptionFormat } from '../../../output/adopt/index.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { formatOption, stringOption } from '../options.js';

const ADOPT_USAGE = `Usage: flux-fleet adopt <dir> --cluster <name> --from <export.yaml|repo-folder> [--from ...] [--path <folder>]
                        [--format text|json]

Compares what runs on a cluster now with what the synthesized tree in <dir> will apply to it, and says, object by
object, what the cut-over does: kept as is, changed in place, renamed (pruned and recreated, with what it manages),
removed (pruned), retired (deleted, with nothing lost, once it lets go of what it manages) or new. It prints the
commands that let retiring owners go before the cut-over, and that delete what nothing prunes after it.

What runs now is read from:
  exported YAML   kubectl get kustomizations,helmreleases,ocirepositories,gitrepositories,helmrepositories,\\
                    helmcharts,buckets,externalartifacts,artifactgenerators,resourcesets,fluxinstances,\\
                    namespaces,serviceaccounts,rolebindings -A -o yaml > current.yaml
                  (or flux export ... > current.yaml: then owners' inventories are unknown)
  a repository    the folder of the fleet repository the cluster syncs, with --path clusters/<cluster> (the
                  default): its cluster folder and, Kustomization by Kustomization, what each applies from it

Options:
  --cluster <name>        The cluster of <dir> to compare (clusters/<name>/)
  --from <path>           A YAML file exported from the cluster, or the repository folder it syncs (repeatable for files)
  --path <folder>         With a repository: the folder the cluster syncs (default: clusters/<cluster>)
  --format text|json      How to print the report (default: text)
  -h, --help              Show this help

Exit codes: 0 nothing is pruned, 1 something is pruned, 2 usage error.
`;

/** `flux-fleet adopt <dir> --cluster <name> --from <...>`: what a cut-over to the synthesized tree does to a running cluster. */
export const adoptCommand: Command = {
  summary: 'adopt <dir>       Compare a running cluster (exported YAML or its repository) with its synthesized\n                    folder: what the cut-over keeps, changes, prunes and retires',
  run: adopt,
};

async function adopt(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { help: {}, cluster: { value: true }, from: { value: true }, path: { value: true }, format: { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(ADOPT_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length !== 1) throw new UsageError('adopt needs the synthesized folder: flux-fleet adopt <dir> --cluster <name> --from <export.yaml|repo-folder>');
  const cluster = stringOption(args, 'cluster');
  if (cluster === undefined) throw new UsageError('adopt needs --cluster <name>: the cluster of the tree to compare');
  const format = formatOption(args, ['text', 'json']);
  const cwd = io.cwd ?? process.cwd();
  // --from may repeat: parseArgs keeps the last, so read them from the arguments themselves.
  const froms = fromOptions(argv).map((f) => resolve(cwd, f));
  if (froms.length === 0) throw new UsageError('adopt needs --from: a YAML file exported from the cluster, or the repository folder it syncs');
  for (const f of froms) if (!existsSync(f)) throw new UsageError(`--from ${JSON.stringify(f)} does not exist`);
  const folders = froms.filter((f) => statSync(f).isDirectory());
  if (folders.length > 0 && froms.length > 1) throw new UsageError('--from takes one repository folder, or one or more exported YAML files, not both');
  const current = folders.length > 0
    ? await readRepositoryState(folders[0], stringOption(args, 'path') ?? `clusters/${cluster}`)
    : readExportedState(froms);
  const next = await readSynthesizedState(resolve(cwd, args.positionals[0]), cluster);
  const adoption = planAdoption(current, next);
  io.stdout.write(formatAdoption(adoption, format as AdoptionFormat));
  return adoption.prunes ? EXIT.errors : EXIT.ok;
}

function fromOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--from' && argv[i + 1] !== undefined) out.push(argv[++i]);
    else if (argv[i].startsWith('--from=')) out.push(argv[i].slice('--from='.length));
  }
  return out;
}
