import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { buildApp } from '../../../examples/fleet/app.js';
import {
  ACTION_PINS, githubReleaseWorkflow, gitlabReleasePipeline, releaseWorkflowSpecFromTree, synthShardsFor, type ReleaseWorkflowSpec,
} from '../../../src/delivery/index.js';
import { EXIT, run } from '../../../src/frontends/cli/index.js';

/** GitLab CI's schema, as SchemaStore's catalog lists it, vendored by scripts/vendor-gitlab-ci-schema.ts. */
const validateGitlab = new Ajv({ strict: false, allErrors: true })
  .compile(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'support', 'schemas', 'gitlab-ci.schema.json'), 'utf8')) as object);

interface Step { name?: string; if?: string; uses?: string; run?: string; with?: Record<string, unknown> }
interface GithubJob {
  needs?: string[];
  strategy?: { matrix: Record<string, unknown> };
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface GitlabJob {
  stage?: string;
  needs?: unknown[];
  parallel?: number;
  rules?: unknown[];
  variables?: Record<string, string>;
  script?: string[];
  artifacts?: unknown;
}

let dir: string;
let spec: ReleaseWorkflowSpec;
let gitlabSpec: ReleaseWorkflowSpec;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-synth-shards-'));
  buildApp(join(dir, 'dist')).synth();
  buildApp(join(dir, 'gitlab'), undefined, { releaseCi: 'gitlab' }).synth();
  spec = await releaseWorkflowSpecFromTree(join(dir, 'dist'));
  gitlabSpec = await releaseWorkflowSpecFromTree(join(dir, 'gitlab'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What GitHub's own workflow parser (@actions/workflow-parser) says of a workflow: its errors, and its jobs. */
async function githubParses(content: string): Promise<{ errors: string[]; jobs: string[] }> {
  const result = parseWorkflow({ name: 'release.yaml', content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || !result.value) return { errors, jobs: [] };
  const template = await convertWorkflowTemplate(result.context, result.value);
  return { errors: [...errors, ...(template.errors ?? []).map((e) => e.Message)], jobs: template.jobs.map((j) => j.id.value) };
}

const pinned = (name: keyof typeof ACTION_PINS): string => `${ACTION_PINS[name].action}@${ACTION_PINS[name].commit}`;

describe('a sharded synth in the generated pipelines', () => {
  test('synthShardsFor: one job up to 5,000 clusters, then one shard per 2,500 clusters, at most 16', () => {
    // WHEN
    const counts = [1, 1000, 5000, 5001, 10000, 40000, 1000000].map(synthShardsFor);
    // THEN
    expect(counts).toStrictEqual([1, 1, 1, 3, 4, 16, 16]);
  });

  test('GitHub: a matrix job synthesizes each shard and uploads it; the release and promotion jobs merge the shards instead of synthesizing', async () => {
    // WHEN
    const workflow = githubReleaseWorkflow(spec, { synthShards: 4 });
    // THEN GitHub's parser accepts it
    const parsed = await githubParses(workflow.content);
    expect(parsed.errors).toStrictEqual([]);
    expect(parsed.jobs[0]).toBe('synth');
    const jobs = (parse(workflow.content) as { jobs: Record<string, GithubJob> }).jobs;
    const synth = jobs.synth;
    expect(synth.strategy).toStrictEqual({ matrix: { shard: [1, 2, 3, 4] } });
    expect(synth.env).toStrictEqual({ FLUX_FLEET_DIR: 'dist', FLUX_FLEET_NODE_VERSION: '24', FLUX_FLEET_SHARD: '${{ matrix.shard }}/4' });
    expect(synth.permissions).toStrictEqual({ contents: 'read' });
    expect(synth.steps.map((s) => s.name)).toStrictEqual(['Check out', 'Set up Node.js', 'Install', 'Synthesize', 'Upload the shard']);
    // the marker file (.flux-fleet) is hidden: without it the merge refuses the folder
    expect(synth.steps[4]).toStrictEqual({
      name: 'Upload the shard',
      uses: pinned('upload-artifact'),
      with: { 'name': 'flux-fleet-shard-${{ matrix.shard }}', 'path': '${{ env.FLUX_FLEET_DIR }}', 'include-hidden-files': true, 'if-no-files-found': 'error', 'overwrite': true },
    });
    expect(jobs.release.needs).toStrictEqual(['synth']);
    for (const name of Object.keys(jobs).filter((j) => j !== 'synth')) {
      const names = jobs[name].steps.map((s) => s.name);
      expect([name, names.includes('Synthesize')]).toStrictEqual([name, false]);
      const download = jobs[name].steps.find((s) => s.name === 'Download the shards')!;
      expect(download.uses).toBe(pinned('download-artifact'));
      expect(download.with).toStrictEqual({ pattern: 'flux-fleet-shard-*', path: '${{ runner.temp }}/flux-fleet-shards' });
      expect(jobs[name].steps[names.indexOf('Download the shards') + 1].run).toBe('npx flux-fleet merge "$RUNNER_TEMP"/flux-fleet-shards/* --output "$FLUX_FLEET_DIR"');
    }
  });

  test('GitHub: one shard is the workflow without a synth job', () => {
    // WHEN
    const [plain, one] = [githubReleaseWorkflow(spec), githubReleaseWorkflow(spec, { synthShards: 1 })];
    // THEN
    expect(one.content).toBe(plain.content);
    expect(Object.keys((parse(plain.content) as { jobs: object }).jobs)).not.toContain('synth');
  });

  test('GitLab: a parallel job synthesizes each shard into its own folder; the release and promotion jobs need it and merge', () => {
    // WHEN
    const pipeline = gitlabReleasePipeline(gitlabSpec, { synthShards: 3 });
    // THEN GitLab's schema accepts it
    const doc = parse(pipeline.content) as Record<string, unknown>;
    expect(validateGitlab(doc) ? [] : validateGitlab.errors).toStrictEqual([]);
    expect(doc.stages).toStrictEqual(['synth', 'release', 'promote']);
    const synth = doc.synth as GitlabJob;
    expect(synth).toStrictEqual({
      stage: 'synth',
      parallel: 3,
      variables: { FLUX_FLEET_SHARD: '$CI_NODE_INDEX/$CI_NODE_TOTAL' },
      rules: (doc['release-1'] as GitlabJob).rules!.concat((doc['release-2'] as GitlabJob).rules!),
      script: ['npm ci', 'npm run synth', 'mkdir -p flux-fleet-shards', 'mv "$FLUX_FLEET_DIR" "flux-fleet-shards/$CI_NODE_INDEX"'],
      artifacts: { paths: ['flux-fleet-shards/'] },
    });
    for (const name of Object.keys(doc).filter((k) => /^(release|promote)-/.test(k))) {
      const job = doc[name] as GitlabJob;
      expect([name, job.needs?.[0], job.script?.slice(0, 2)]).toStrictEqual([name, { job: 'synth' }, ['npm ci', 'npx flux-fleet merge flux-fleet-shards/* --output "$FLUX_FLEET_DIR"']]);
    }
  });

  test('flux-fleet workflow takes --synth-shards; the small example fleet is synthesized in one job', async () => {
    // WHEN
    const out: string[] = [];
    const io = (sink: string[]) => {
      const write = (t: string) => {
        sink.push(t);
      };
      return { stdout: { write }, stderr: { write }, cwd: dir };
    };
    const sharded = await run(['workflow', 'dist', '--synth-shards', '2'], io(out));
    const byItself: string[] = [];
    const plain = await run(['workflow', 'dist'], io(byItself));
    const bad: string[] = [];
    const refused = await run(['workflow', 'dist', '--synth-shards', '0'], io(bad));
    // THEN
    expect([sharded, plain, refused]).toStrictEqual([EXIT.ok, EXIT.ok, EXIT.usage]);
    expect(out.join('')).toContain('FLUX_FLEET_SHARD: ${{ matrix.shard }}/2');
    expect(byItself.join('')).not.toContain('FLUX_FLEET_SHARD');
    expect(bad.join('')).toContain('--synth-shards "0" is not a whole number of at least 1');
  });

  test('fails when the shard count is not a whole number from 1 to 200', () => {
    // WHEN / THEN
    for (const synthShards of [0, 2.5, 201]) {
      expect(() => githubReleaseWorkflow(spec, { synthShards })).toThrow(`synthShards is ${synthShards}; give a whole number from 1 (one job synthesizes the whole fleet) to 200`);
      expect(() => gitlabReleasePipeline(gitlabSpec, { synthShards })).toThrow(`synthShards is ${synthShards}; give a whole number from 1 (one job synthesizes the whole fleet) to 200`);
    }
  });
});
