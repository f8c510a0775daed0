import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DeliveryError } from '../../../delivery/artifacts.js';
import { gitlabReleasePipeline } from '../../../delivery/gitlab-pipeline.js';
import { githubReleaseWorkflow, releaseWorkflowSpecFromTree } from '../../../delivery/workflow.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { stringOption } from '../options.js';

const WORKFLOW_USAGE = `Usage: flux-fleet workflow <dir> [options]

Generates the CI release workflow that synthesizes the config tree, pushes every cluster's artifact and signs it
keyless with cosign as the identity the clusters verify, read from the synthesized tree in <dir>: the workflow's file
name, repository and ref are those in the clusters' verification. Clusters that verify a GitLab CI pipeline get a
GitLab CI pipeline (.gitlab-ci.yml, or the identity's configPath), others a GitHub Actions workflow. Prints it, or
writes it with --output.

Options:
  --gitlab                        Generate a GitLab CI pipeline (chosen by itself for GitLab identities; with a
                                  cosign key, signs with the COSIGN_PRIVATE_KEY and COSIGN_PASSWORD CI/CD variables)
  --synth-command <cmd>           The command that synthesizes the tree (default: npm run synth)
  --outdir <dir>                  The folder the synth writes, in the workflow (default: dist)
  --node-version <v>              The Node.js version (default: 24)
  --image <image>                 GitLab: the jobs' image (default: node:<node-version>)
  --fulcio-url <url>              GitLab: the Fulcio of a private Sigstore instance the clusters trust
  --rekor-url <url>               GitLab: the Rekor of that instance
  --output <file>                 Write the workflow there, e.g. .github/workflows/release.yaml (default: print it)
  -h, --help                      Show this help
`;

/** \`flux-fleet workflow <dir>\`: generates the release workflow. */
export const workflowCommand: Command = {
  summary: 'workflow <dir>    Generate the GitHub Actions workflow or GitLab CI pipeline that synthesizes, pushes\n                    and signs as the identity the clusters verify',
  run: workflow,
};

async function workflow(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    'help': {},
    'gitlab': {},
    'synth-command': { value: true },
    'outdir': { value: true },
    'node-version': { value: true },
    'output': { value: true },
    'image': { value: true },
    'fulcio-url': { value: true },
    'rekor-url': { value: true },
  });
  if (args.options.has('help')) {
    io.stdout.write(WORKFLOW_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length !== 1) throw new UsageError('workflow needs the synthesized folder: flux-fleet workflow <dir>');
  const cwd = io.cwd ?? process.cwd();
  let generated;
  try {
    const spec = await releaseWorkflowSpecFromTree(resolve(cwd, args.positionals[0]));
    const gitlab = args.options.has('gitlab') || (spec.identity.keyless && spec.identity.ci?.system === 'gitlab-ci');
    const common = { synthCommand: stringOption(args, 'synth-command'), outdir: stringOption(args, 'outdir'), nodeVersion: stringOption(args, 'node-version') };
    if (!gitlab && ['image', 'fulcio-url', 'rekor-url'].some((o) => args.options.has(o))) {
      throw new UsageError('--image, --fulcio-url and --rekor-url apply to a GitLab CI pipeline; the clusters verify a GitHub Actions signer (add --gitlab to generate a pipeline anyway)');
    }
    generated = gitlab
      ? gitlabReleasePipeline(spec, { ...common, image: stringOption(args, 'image'), fulcioUrl: stringOption(args, 'fulcio-url'), rekorUrl: stringOption(args, 'rekor-url') })
      : githubReleaseWorkflow(spec, common);
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
