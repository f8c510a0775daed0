import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DeliveryError } from '../../../delivery/artifacts.js';
import { githubReleaseWorkflow } from '../../../delivery/ci/github-workflow.js';
import { gitlabReleasePipeline } from '../../../delivery/ci/gitlab-pipeline.js';
import { releaseWorkflowSpecFromTree } from '../../../delivery/ci/release-spec.js';
import { synthShardsFor } from '../../../delivery/ci/synth-shards.js';
import { readReleaseManifest } from '../../../output/release-manifest.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { numberOption, stringOption } from '../options.js';

const WORKFLOW_USAGE = `Usage: flux-fleet workflow <dir> [options]

Generates the CI release pipeline of the synthesized tree in <dir>: for every environment, the signing its clusters
verify (read back from their verification, so it is what they accept): a cosign key from CI secrets on the default
branch, or the pipeline's own keyless identity on the refs it names. Each run signs as the signers of its ref, moves
the tags of the environments that deploy on push, and offers the promotions of the environments that verify its
signer, wave by wave. Clusters that verify a GitLab CI pipeline get a GitLab CI pipeline (.gitlab-ci.yml, or the
identity's configPath), others a GitHub Actions workflow. A setup one pipeline cannot sign is refused with the fix.
Prints it, or writes it with --output.

Options:
  --gitlab                        Generate a GitLab CI pipeline (chosen by itself for GitLab identities)
  --branch <name>                 The branch key signers sign on (default: main on GitHub, the project's default
                                  branch on GitLab)
  --synth-command <cmd>           The command that synthesizes the tree (default: npm run synth)
  --outdir <dir>                  The folder the synth writes, in the workflow (default: dist)
  --node-version <v>              The Node.js version (default: 24)
  --synth-shards <n>              Synthesize in n parallel jobs (FLUX_FLEET_SHARD) and merge their folders with
                                  flux-fleet merge (default: 1 up to 5,000 clusters, then one per 2,500, at most 16)
  --image <image>                 GitLab: the jobs' image (default: node:<node-version>)
  --fulcio-url <url>              GitLab: the Fulcio of a private Sigstore instance the clusters trust
  --rekor-url <url>               GitLab: the Rekor of that instance
  --output <file>                 Write the workflow there, e.g. .github/workflows/release.yaml (default: print it)
  -h, --help                      Show this help
`;

/** \`flux-fleet workflow <dir>\`: generates the release workflow. */
export const workflowCommand: Command = {
  summary: 'workflow <dir>    Generate the GitHub Actions workflow or GitLab CI pipeline that synthesizes, pushes,\n                    signs as each environment\'s clusters verify, and promotes wave by wave',
  run: workflow,
};

async function workflow(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    'help': {},
    'gitlab': {},
    'branch': { value: true },
    'synth-command': { value: true },
    'outdir': { value: true },
    'node-version': { value: true },
    'synth-shards': { value: true },
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
    const dir = resolve(cwd, args.positionals[0]);
    const spec = await releaseWorkflowSpecFromTree(dir);
    const gitlab = args.options.has('gitlab') || spec.signers.some((s) => s.identity.keyless && s.identity.ci?.system === 'gitlab-ci');
    const common = {
      synthCommand: stringOption(args, 'synth-command'),
      outdir: stringOption(args, 'outdir'),
      nodeVersion: stringOption(args, 'node-version'),
      branch: stringOption(args, 'branch'),
      synthShards: numberOption(args, 'synth-shards', 1) ?? synthShardsFor((await readReleaseManifest(dir)).clusters.length),
    };
    if (!gitlab && ['image', 'fulcio-url', 'rekor-url'].some((o) => args.options.has(o))) {
      throw new UsageError('--image, --fulcio-url and --rekor-url apply to a GitLab CI pipeline; the clusters verify a GitHub Actions signer (add --gitlab to generate a pipeline anyway)');
    }
    generated = gitlab
      ? gitlabReleasePipeline(spec, { ...common, image: stringOption(args, 'image'), fulcioUrl: stringOption(args, 'fulcio-url'), rekorUrl: stringOption(args, 'rekor-url') })
      : githubReleaseWorkflow(spec, common);
  } catch (e) {
    // The same error, with what failed on a line of its own and the reasons indented under it.
    if (!(e instanceof DeliveryError)) throw e;
    throw new DeliveryError(`cannot generate the workflow:\n${e.message.split('\n').map((l) => `  ${l}`).join('\n')}`, { cause: e });
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
