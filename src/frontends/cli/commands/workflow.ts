import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DeliveryError } from '../../../delivery/artifacts.js';
import { githubReleaseWorkflow, releaseWorkflowSpecFromTree } from '../../../delivery/workflow.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { stringOption } from './push.js';

const WORKFLOW_USAGE = `Usage: flux-fleet workflow <dir> [options]

Generates the GitHub Actions workflow that synthesizes the config tree, pushes every cluster's artifact and signs it
keyless with cosign as the identity the clusters verify, read from the synthesized tree in <dir>: the workflow's file
name, repository and ref are those in the clusters' verification. Prints it, or writes it with --output.

Options:
  --synth-command <cmd>           The command that synthesizes the tree (default: npm run synth)
  --outdir <dir>                  The folder the synth writes, in the workflow (default: dist)
  --node-version <v>              The Node.js version (default: 24)
  --output <file>                 Write the workflow there, e.g. .github/workflows/release.yaml (default: print it)
  -h, --help                      Show this help
`;

/** \`flux-fleet workflow <dir>\`: generates the release workflow. */
export const workflowCommand: Command = {
  summary: 'workflow <dir>    Generate the GitHub Actions workflow that synthesizes, pushes and signs as the\n                    identity the clusters verify',
  run: workflow,
};

async function workflow(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'synth-command': { value: true }, 'outdir': { value: true }, 'node-version': { value: true }, 'output': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(WORKFLOW_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length !== 1) throw new UsageError('workflow needs the synthesized folder: flux-fleet workflow <dir>');
  const cwd = io.cwd ?? process.cwd();
  let generated;
  try {
    const spec = await releaseWorkflowSpecFromTree(resolve(cwd, args.positionals[0]));
    generated = githubReleaseWorkflow(spec, {
      synthCommand: stringOption(args, 'synth-command'),
      outdir: stringOption(args, 'outdir'),
      nodeVersion: stringOption(args, 'node-version'),
    });
  } catch (e) {
    if (!(e instanceof DeliveryError)) throw e;
    io.stderr.write(`flux-fleet: cannot generate the workflow:\n${e.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
    return EXIT.errors;
  }
  const output = stringOption(args, 'output');
  if (output === undefined) {
    io.stdout.write(generated.content);
  } else {
    const file = resolve(cwd, output);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, generated.content);
    const expected = generated.path;
    io.stdout.write(`wrote ${output}${output.replace(/\\/g, '/').endsWith(expected) ? '' : ` (the signing identity needs it at ${expected} of the repository)`}\n`);
  }
  return EXIT.ok;
}
