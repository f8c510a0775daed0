import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { buildApp } from '../../../examples/fleet/app.js';
import {
  ACTION_PINS, githubReleaseWorkflow, releaseWorkflowSpecFromFleet, releaseWorkflowSpecFromTree, type ReleaseWorkflowSpec,
} from '../../../src/delivery/index.js';
import { Fleet, Registry, Signing } from '../../../src/fleet/index.js';

interface Step { name?: string; id?: string; if?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> }
interface Job {
  needs?: string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow { name: string; on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> }

let dir: string;
let tree: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-workflow-'));
  tree = join(dir, 'dist');
  buildApp(tree).synth();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What GitHub's own workflow parser (@actions/workflow-parser) says of a workflow: its errors, and its jobs' step counts. */
async function githubParses(content: string): Promise<{ errors: string[]; jobs: Array<[string, number]> }> {
  const result = parseWorkflow({ name: 'release.yaml', content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || !result.value) return { errors, jobs: [] };
  const template = await convertWorkflowTemplate(result.context, result.value);
  return {
    errors: [...errors, ...(template.errors ?? []).map((e) => e.Message)],
    jobs: template.jobs.map((j) => [j.id.value, (j as { steps?: unknown[] }).steps?.length ?? 0]),
  };
}

function fleetWith(signing: { staging?: Signing; production?: Signing }, registry = Registry.generic({ host: 'registry.acme.io', repository: 'fleet' })): Fleet {
  const fleet = new Fleet(new App(), 'fleet', { registry, signing: signing.staging });
  fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
  fleet.addEnvironment('production', { channel: 'stable', ...(signing.production ? { signing: signing.production } : {}) }).addCluster('prod-1', { region: 'eu', wave: 1 });
  return fleet;
}

describe('the release workflow of the example fleet: staging verifies a key, production the workflow on v* tags', () => {
  test('GitHub\'s workflow parser accepts it: a release job and one job per production wave', async () => {
    // WHEN
    const workflow = githubReleaseWorkflow(await releaseWorkflowSpecFromTree(tree));
    // THEN
    expect(workflow.path).toBe('.github/workflows/release.yaml');
    expect(await githubParses(workflow.content)).toStrictEqual({ errors: [], jobs: [['release', 15], ['promote-1', 9], ['promote-2', 9]] });
  });

  test('the fleet declaration and the tree the clusters read give the same workflow', async () => {
    // WHEN
    const fromTree = githubReleaseWorkflow(await releaseWorkflowSpecFromTree(tree));
    const fromFleet = githubReleaseWorkflow(releaseWorkflowSpecFromFleet(buildApp(join(dir, 'unused')).fleets()[0]));
    // THEN
    expect(fromFleet).toStrictEqual(fromTree);
  });

  test('each run signs as the signer of its ref: the key on main (moving staging), keyless on v* tags (offering production\'s promotions)', async () => {
    // WHEN
    const w = parse(githubReleaseWorkflow(await releaseWorkflowSpecFromTree(tree)).content) as Workflow;
    // THEN the signers and what they cover are data of the release job
    const env = w.jobs.release.env!;
    expect(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('FLUX_FLEET_SIGNER_') || k === 'FLUX_FLEET_REPOSITORY'))).toStrictEqual({
      FLUX_FLEET_REPOSITORY: 'acme/fleet',
      FLUX_FLEET_SIGNER_1_REF_PREFIX: 'refs/tags/v',
      FLUX_FLEET_SIGNER_1_ENVIRONMENTS: 'production',
      FLUX_FLEET_SIGNER_1_MOVES: '',
      FLUX_FLEET_SIGNER_1_IDENTITY_PREFIX: 'https://github.com/acme/fleet/.github/workflows/release.yaml@',
      FLUX_FLEET_SIGNER_1_ISSUER: 'https://token.actions.githubusercontent.com',
      FLUX_FLEET_SIGNER_2_REF: 'refs/heads/main',
      FLUX_FLEET_SIGNER_2_ENVIRONMENTS: 'staging',
      FLUX_FLEET_SIGNER_2_MOVES: 'staging',
    });
    expect(w.on).toStrictEqual({ push: { branches: ['main'], tags: ['v*'] }, workflow_dispatch: {} });
    // push holding every tag and sign, per signer; then move and verify what this run signed for
    const steps = w.jobs.release.steps.filter((s) => s.run?.includes('flux-fleet push') || s.run?.includes('flux-fleet verify-release'));
    expect(steps.map((s) => [s.if, s.env])).toStrictEqual([
      ["steps.plan.outputs.signer_1 == 'true'", undefined],
      ["steps.plan.outputs.signer_2 == 'true'", { COSIGN_PRIVATE_KEY: '${{ secrets.COSIGN_PRIVATE_KEY }}', COSIGN_PASSWORD: '${{ secrets.COSIGN_PASSWORD }}' }],
      ["steps.plan.outputs.move != ''", { FLUX_FLEET_ENVIRONMENTS: '${{ steps.plan.outputs.move }}' }],
      ["steps.plan.outputs.verify != ''", { FLUX_FLEET_ENVIRONMENTS: '${{ steps.plan.outputs.verify }}' }],
    ]);
    expect(steps.map((s) => s.run!.replace(/^npx flux-fleet (push|verify-release) "\$FLUX_FLEET_DIR"( --registry --source "\$GITHUB_SERVER_URL\/\$GITHUB_REPOSITORY")? --revision "sha1:\$GITHUB_SHA"/, '$1'))).toStrictEqual([
      'push --hold-tags --sign --certificate-identity "$FLUX_FLEET_SIGNER_1_IDENTITY_PREFIX$GITHUB_REF" --certificate-oidc-issuer "$FLUX_FLEET_SIGNER_1_ISSUER"',
      'push --hold-tags --sign --key env://COSIGN_PRIVATE_KEY',
      'push --environment "$FLUX_FLEET_ENVIRONMENTS"',
      'verify-release --environment "$FLUX_FLEET_ENVIRONMENTS"',
    ]);
    // the promotions: production's waves, each after the one before, in its GitHub environment, only when offered
    const promotions = Object.entries(w.jobs).slice(1)
      .map(([id, j]) => [id, j.needs, j.if, j.environment, j.env!.FLUX_FLEET_ENVIRONMENT, j.env!.FLUX_FLEET_WAVE]);
    expect(promotions).toStrictEqual([
      ['promote-1', ['release'], "needs.release.outputs.promote_1 == 'true'", '${{ needs.release.outputs.environment_1 }}', 'production', '1'],
      ['promote-2', ['release', 'promote-1'], "needs.release.outputs.promote_2 == 'true'", '${{ needs.release.outputs.environment_2 }}', 'production', '2'],
    ]);
    expect([env.FLUX_FLEET_PROMOTION_1_ENVIRONMENT, env.FLUX_FLEET_PROMOTION_2_ENVIRONMENT]).toStrictEqual(['production-wave-1', 'production-wave-2']);
    // production's clusters report their health: each job rolls out, wave 2 approved by its GitHub environment's
    // reviewers, reading the statuses with the job's token (or the FLUX_FLEET_STATUS_TOKEN secret)
    const rollouts = ['promote-1', 'promote-2'].map((id) => {
      const j = w.jobs[id];
      return [j.permissions, j.env!.FLUX_FLEET_UNTIL_WAVE, j.env!.GITHUB_TOKEN, j.steps.at(-1)!.run];
    });
    const rollout = 'npx flux-fleet rollout "$FLUX_FLEET_DIR" --registry --environment "$FLUX_FLEET_ENVIRONMENT" --revision "sha1:$GITHUB_SHA"';
    const rest = '--until-wave "$FLUX_FLEET_UNTIL_WAVE" --forge-url "${GITHUB_SERVER_URL#*://}=$GITHUB_API_URL" --report flux-fleet-rollout.json';
    expect(rollouts).toStrictEqual([
      [{ 'contents': 'read', 'id-token': 'write', 'statuses': 'read' }, '1', '${{ secrets.FLUX_FLEET_STATUS_TOKEN || github.token }}', `${rollout} ${rest}`],
      [{ 'contents': 'read', 'id-token': 'write', 'statuses': 'read' }, '2', '${{ secrets.FLUX_FLEET_STATUS_TOKEN || github.token }}', `${rollout} --approve-wave "$FLUX_FLEET_WAVE" ${rest}`],
    ]);
  });

  test('every third-party action is pinned to the commit of a release tag', async () => {
    // WHEN
    const w = parse(githubReleaseWorkflow(await releaseWorkflowSpecFromTree(tree)).content) as Workflow;
    // THEN
    const uses = [...new Set(Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => u !== undefined)))].sort();
    expect(uses).toStrictEqual([
      `${ACTION_PINS.checkout.action}@${ACTION_PINS.checkout.commit}`,
      `${ACTION_PINS['setup-node'].action}@${ACTION_PINS['setup-node'].commit}`,
      `${ACTION_PINS['aws-credentials'].action}@${ACTION_PINS['aws-credentials'].commit}`,
    ].sort());
    expect(uses.every((u) => /@[0-9a-f]{40}$/.test(u))).toBe(true);
  });

  test('id-token: write only in the jobs that sign keyless or log in to a cloud registry with the job\'s token', () => {
    // GIVEN a key-signed staging and keyless production on a registry that takes a password
    const keyAndKeyless = fleetWith({
      staging: Signing.cosignKey({ secretName: 'fleet-cosign' }),
      production: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*' }),
    });
    const keyOnly = fleetWith({ staging: Signing.cosignKey({ secretName: 'fleet-cosign' }) });
    // WHEN
    const permissions = (spec: ReleaseWorkflowSpec) => Object.fromEntries(
      Object.entries((parse(githubReleaseWorkflow(spec).content) as Workflow).jobs).map(([id, j]) => [id, j.permissions]),
    );
    // THEN
    expect(permissions(releaseWorkflowSpecFromFleet(keyAndKeyless))).toStrictEqual({
      'release': { 'contents': 'read', 'id-token': 'write' },
      'promote-1': { contents: 'read' },
    });
    expect(permissions(releaseWorkflowSpecFromFleet(keyOnly))).toStrictEqual({ 'release': { contents: 'read' }, 'promote-1': { contents: 'read' } });
  });

  test('each registry kind logs in with its own credentials, its host only in the job\'s variables', () => {
    // GIVEN
    const spec: ReleaseWorkflowSpec = {
      ...releaseWorkflowSpecFromFleet(fleetWith({ staging: Signing.cosignKey({ secretName: 'fleet-cosign' }) })),
      registries: [
        { host: 'acme.azurecr.io', kind: 'acr' },
        { host: 'europe-docker.pkg.dev', kind: 'gar' },
        { host: 'ghcr.io', kind: 'ghcr' },
        { host: 'registry.acme.io', kind: 'generic' },
      ],
    };
    // WHEN
    const w = parse(githubReleaseWorkflow(spec).content) as Workflow;
    // THEN
    const logins = w.jobs.release.steps.filter((s) => /credentials|Log in|Google Cloud CLI/.test(s.name ?? ''));
    expect(logins.map((s) => [s.name, s.uses?.split('@')[0], s.run, s.with?.registry])).toStrictEqual([
      ['Azure credentials', 'azure/login', undefined, undefined],
      ['Log in to registry 1', undefined, 'az acr login --name "${FLUX_FLEET_REGISTRY_1%.azurecr.io}"', undefined],
      ['Google Cloud credentials', 'google-github-actions/auth', undefined, undefined],
      ['Set up the Google Cloud CLI', 'google-github-actions/setup-gcloud', undefined, undefined],
      ['Log in to registry 2', undefined, 'gcloud auth configure-docker "$FLUX_FLEET_REGISTRY_2" --quiet', undefined],
      ['Log in to registry 3', 'docker/login-action', undefined, '${{ env.FLUX_FLEET_REGISTRY_3 }}'],
      ['Log in to registry 4', 'docker/login-action', undefined, '${{ env.FLUX_FLEET_REGISTRY_4 }}'],
    ]);
    expect([1, 2, 3, 4].map((n) => w.jobs.release.env![`FLUX_FLEET_REGISTRY_${n}`])).toStrictEqual(['acme.azurecr.io', 'europe-docker.pkg.dev', 'ghcr.io', 'registry.acme.io']);
    expect(w.jobs.release.permissions).toStrictEqual({ 'contents': 'read', 'id-token': 'write', 'packages': 'write' });
  });

  test('fails when a signer is a GitLab pipeline, an identity no CI runs as, or notation, saying what to declare', () => {
    // GIVEN
    const gitlab = fleetWith({ staging: Signing.cosignKey({ secretName: 'fleet-cosign' }), production: Signing.gitlabCi({ project: 'acme/fleet', ref: 'refs/tags/v*' }) });
    const person = fleetWith({ staging: Signing.oidc({ issuer: 'https://accounts.google.com', subject: 'release@acme.io' }) });
    const notation = fleetWith({ staging: Signing.notation({ secretName: 'notation' }) });
    // THEN
    expect(() => githubReleaseWorkflow(releaseWorkflowSpecFromFleet(gitlab))).toThrow(
      'production verify https://gitlab.com/acme/fleet//.gitlab-ci.yml@refs/tags/v*, a GitLab CI pipeline, which a GitHub Actions workflow cannot sign as: '
      + 'generate the GitLab pipeline (flux-fleet workflow --gitlab), or declare Signing.githubActions({ repository, workflow, ref }) or Signing.cosignKey for production');
    expect(() => githubReleaseWorkflow(releaseWorkflowSpecFromFleet(person))).toThrow(
      'production, staging verify release@acme.io, which no CI pipeline signs as: sign their artifacts yourself (flux-fleet push <dir> --registry --sign --identity-token <token>), '
      + 'or declare Signing.githubActions({ repository, workflow, ref }) or Signing.cosignKey for production, staging');
    expect(() => githubReleaseWorkflow(releaseWorkflowSpecFromFleet(notation))).toThrow('production, staging verify notation signatures, and the generated pipeline signs with cosign');
  });

  test('fails at synth when two environments are signed by different workflows, which one pipeline cannot sign as', () => {
    // GIVEN
    const fleet = fleetWith({
      staging: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
      production: Signing.githubActions({ repository: 'acme/fleet', workflow: 'promote.yaml', ref: 'refs/tags/v*' }),
    });
    // WHEN
    const errors = fleet.node.validate();
    // THEN
    expect(errors).toContainEqual('the environments are signed by 2 different release pipelines (staging: the GitHub Actions workflow release.yaml of acme/fleet; '
      + 'production: the GitHub Actions workflow promote.yaml of acme/fleet), and one pipeline signs the fleet\'s own artifacts as one identity: '
      + 'declare the same repository and workflow (or project and configPath) for every environment, with the ref each signs on, or sign some environments with a key (Signing.cosignKey)');
  });

  test('fails when the clusters of the tree verify identities of different workflows', async () => {
    // GIVEN: one production cluster's verification edited to another workflow
    const file = join(tree, 'clusters', 'prod-us-1', 'flux-system', 'flux-system.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('release\\.yaml@', 'hotfix\\.yaml@'));
    try {
      // THEN
      await expect(releaseWorkflowSpecFromTree(tree).then((spec) => githubReleaseWorkflow(spec))).rejects.toThrow(
        'the environments are signed by different pipelines (acme/fleet/.github/workflows/release.yaml, acme/fleet/.github/workflows/hotfix.yaml), and one pipeline signs as one');
    } finally {
      writeFileSync(file, original);
    }
  });
});
