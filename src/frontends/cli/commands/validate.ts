import { resolve } from 'node:path';
import { formatReport, ReportFormat } from '../../../output/validate/report.js';
import { validateTree, ValidateTreeOptions } from '../../../output/validate/validate-tree.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { formatOption } from '../options.js';

const VALIDATE_USAGE = `Usage: flux-fleet validate <dir> [--no-build] [--allow-remote] [--format text|json]

Checks the config-repo tree in <dir> (the folder that holds clusters/) and prints every problem found,
each with its file, object and fix.

Options:
  --no-build            Do not build the kustomization.yaml folders with kubectl kustomize
  --allow-remote        Build kustomizations that name remote resources (URLs, git repositories),
                        which kubectl then fetches; without it they are reported and not built
  --format text|json    How to print the report (default: text)
  -h, --help            Show this help

Exit codes: 0 no errors, 1 errors found, 2 usage error.
`;

/** `flux-fleet validate <dir>`: checks a config-repo tree. */
export const validateCommand: Command = {
  summary: 'validate <dir>    Check a config-repo tree: YAML, Flux schemas and rules, references\n                    within each cluster, and that every kustomization.yaml builds',
  run: validate,
};

async function validate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'no-build': {}, 'allow-remote': {}, 'format': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(VALIDATE_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length === 0 ? 'validate needs the folder to check: flux-fleet validate <dir>' : `validate takes one folder, got ${args.positionals.length}: ${args.positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  const format = formatOption(args, ['text', 'json']);

  const dir = resolve(io.cwd ?? process.cwd(), args.positionals[0]);
  const options: ValidateTreeOptions = { build: !args.options.has('no-build'), allowRemoteResources: args.options.has('allow-remote') };
  const report = await validateTree(dir, options);
  io.stdout.write(formatReport(report, format as ReportFormat));
  return report.errors.length === 0 ? EXIT.ok : EXIT.errors;
}
