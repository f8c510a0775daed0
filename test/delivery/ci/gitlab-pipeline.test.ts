import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { buildApp } from '../../../examples/fleet/app.js';
import { gitlabReleasePipeline, releaseWorkflowSpecFromFleet, releaseWorkflowSpecFromTree } from '../../../src/delivery/index.js';
import { Fleet, Registry, Signing } from '../../../src/fleet/index.js';
import { EXIT, run } from '../../../src/frontends/cli/index.js';

/** GitLab CI's schema, as SchemaStore's catalog lists it, vendored by scripts/vendor-gitlab-ci-schema.ts. */
const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'support', 'schemas', 'gitlab-ci.schema.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true }).compile(SCHEMA);

interface GitlabJob {
  stage?: string;
  needs?: unknown[];
  rules?: Array<{ if?: string; when?: string }>;
  variables?: Record<string, string>;
  environment?: { name: string };
  id_tokens?: Record<string, { aud: string }>;
  script?: string[];
}

let dir: string;
let tree: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-gitlab-'));
  tree = join(dir, 'dist');
  buildApp(tree, undefined, { releaseCi: 'gitlab' }).synth();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The schema's errors for a pipeline: none when GitLab's schema accepts it. */
function schemaErrors(content: string): string[] {
  return validate(parse(content)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('the release pipeline of the example fleet on GitLab: staging verifies a key, production the pipeline on v* tags', () => {
  test('GitLab\'s CI schema accepts it: a release job per signer and a manual job per production wave', async () => {
    // WHEN
    const pipeline = gitlabReleasePipeline(await releaseWorkflowSpecFromTree(tree));
    // THEN
    expect(pipeline.path).toBe('.gitlab-ci.yml');
    expect(schemaErrors(pipeline.content)).toStrictEqual([]);
    // and the schema is no rubber stamp: a job with a key GitLab does not know is refused
    expect(schemaErrors(pipeline.content.replace('\n  stage: release\n', '\n  stage: release\n  sign_with: cosign\n'))).not.toStrictEqual([]);
    const p = parse(pipeline.content) as Record<string, unknown>;
    expect(Object.keys(p)).toStrictEqual(['stages', 'default', 'variables', 'release-1', 'release-2', 'promote-1', 'promote-2']);
  });

  test('each job runs on its signer\'s refs in the signers\' project, comparing variables only', async () => {
    // WHEN
    type Pipeline = Record<string, GitlabJob> & { variables: Record<string, string> };
    const p = parse(gitlabReleasePipeline(await releaseWorkflowSpecFromTree(tree)).content) as Pipeline;
    // THEN
    const signers = Object.entries(p.variables).filter(([k]) => k.startsWith('FLUX_FLEET_SIGNER_') || k === 'FLUX_FLEET_PROJECT');
    expect(Object.fromEntries(signers)).toStrictEqual({
      FLUX_FLEET_PROJECT: 'acme/fleet',
      FLUX_FLEET_SIGNER_1_TAG_PATTERN: '/^v/',
      FLUX_FLEET_SIGNER_1_ENVIRONMENTS: 'production',
      FLUX_FLEET_SIGNER_1_MOVES: '',
      FLUX_FLEET_SIGNER_1_IDENTITY_PREFIX: 'https://gitlab.com/acme/fleet//.gitlab-ci.yml@',
      FLUX_FLEET_SIGNER_1_ISSUER: 'https://gitlab.com',
      FLUX_FLEET_SIGNER_2_ENVIRONMENTS: 'staging',
      FLUX_FLEET_SIGNER_2_MOVES: 'staging',
    });
    expect(['release-1', 'release-2', 'promote-1', 'promote-2'].map((j) => [j, p[j].rules, p[j].needs, p[j].id_tokens, p[j].environment])).toStrictEqual([
      ['release-1', [{ if: '$CI_PROJECT_PATH == $FLUX_FLEET_PROJECT && $CI_COMMIT_TAG =~ $FLUX_FLEET_SIGNER_1_TAG_PATTERN' }], undefined,
        { SIGSTORE_ID_TOKEN: { aud: 'sigstore' }, AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } }, undefined],
      ['release-2', [{ if: '$CI_PROJECT_PATH == $FLUX_FLEET_PROJECT && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }], undefined, { AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } }, undefined],
      ['promote-1', [{ if: '$CI_PROJECT_PATH == $FLUX_FLEET_PROJECT && $CI_COMMIT_TAG =~ $FLUX_FLEET_SIGNER_1_TAG_PATTERN', when: 'on_success' }],
        [{ job: 'release-1', optional: true }], { AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } }, { name: '$FLUX_FLEET_GITLAB_ENVIRONMENT', deployment_tier: 'production' }],
      ['promote-2', [{ if: '$CI_PROJECT_PATH == $FLUX_FLEET_PROJECT && $CI_COMMIT_TAG =~ $FLUX_FLEET_SIGNER_1_TAG_PATTERN', when: 'manual' }],
        [{ job: 'release-1', optional: true }, { job: 'promote-1', optional: true }], { AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } }, { name: '$FLUX_FLEET_GITLAB_ENVIRONMENT', deployment_tier: 'production' }],
    ]);
    expect([p['promote-1'].variables, p['promote-2'].variables]).toStrictEqual([
      { FLUX_FLEET_ENVIRONMENT: 'production', FLUX_FLEET_GITLAB_ENVIRONMENT: 'production-wave-1', FLUX_FLEET_WAVE: '1', FLUX_FLEET_UNTIL_WAVE: '1' },
      { FLUX_FLEET_ENVIRONMENT: 'production', FLUX_FLEET_GITLAB_ENVIRONMENT: 'production-wave-2', FLUX_FLEET_WAVE: '2', FLUX_FLEET_UNTIL_WAVE: '2' },
    ]);
    // production's clusters report their health: wave 1 rolls out once the release succeeded, wave 2 (declared for
    // approval) in a manual job
    const rollout = 'npx flux-fleet rollout "$FLUX_FLEET_DIR" --registry --environment "$FLUX_FLEET_ENVIRONMENT" --revision "sha1:$CI_COMMIT_SHA"';
    const rest = '--until-wave "$FLUX_FLEET_UNTIL_WAVE" --forge-url "$CI_SERVER_HOST=$CI_API_V4_URL" --report flux-fleet-rollout.json';
    expect([p['promote-1'].script!.at(-1), p['promote-2'].script!.at(-1)]).toStrictEqual([`${rollout} ${rest}`, `${rollout} --approve-wave "$FLUX_FLEET_WAVE" ${rest}`]);
    // the key signs on the default branch; keyless as the pipeline of the run's ref
    expect(p['release-2'].script!.filter((l) => l.includes('--sign'))).toStrictEqual([
      'npx flux-fleet push "$FLUX_FLEET_DIR" --registry --source "$CI_PROJECT_URL" --revision "sha1:$CI_COMMIT_SHA" --hold-tags --sign --key env://COSIGN_PRIVATE_KEY',
    ]);
    expect(p['release-1'].script!.filter((l) => l.includes('--sign'))).toStrictEqual([
      'npx flux-fleet push "$FLUX_FLEET_DIR" --registry --source "$CI_PROJECT_URL" --revision "sha1:$CI_COMMIT_SHA" --hold-tags --sign '
      + '--certificate-identity "$FLUX_FLEET_SIGNER_1_IDENTITY_PREFIX$FLUX_FLEET_REF" --certificate-oidc-issuer "$FLUX_FLEET_SIGNER_1_ISSUER"',
    ]);
  });

  test('flux-fleet workflow picks the GitLab pipeline for a GitLab signer, and writes it', async () => {
    // WHEN
    let stdout = '';
    const code = await run(['workflow', tree], { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: () => undefined }, cwd: dir });
    // THEN
    expect(code).toBe(EXIT.ok);
    expect(stdout).toBe(gitlabReleasePipeline(await releaseWorkflowSpecFromTree(tree)).content);
  });

  test('a key-only fleet signs on the branch given; its jobs hold no ID token but a cloud login\'s', () => {
    // GIVEN
    const fleet = new Fleet(new App(), 'fleet', { registry: Registry.generic({ host: 'registry.acme.io', repository: 'fleet' }), signing: Signing.cosignKey({ secretName: 'fleet-cosign', legacySig: true }) });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
    // WHEN
    const content = gitlabReleasePipeline(releaseWorkflowSpecFromFleet(fleet), { branch: 'trunk' }).content;
    const p = parse(content) as Record<string, GitlabJob> & { variables: Record<string, string> };
    // THEN
    expect(schemaErrors(content)).toStrictEqual([]);
    expect([p['release-1'].rules, p['release-1'].id_tokens, p.variables.FLUX_FLEET_SIGNER_1_BRANCH, p.variables.FLUX_FLEET_PROJECT]).toStrictEqual([
      [{ if: '$CI_COMMIT_BRANCH == $FLUX_FLEET_SIGNER_1_BRANCH' }], undefined, 'trunk', undefined,
    ]);
    expect(p['release-1'].script!.find((l) => l.includes('--sign'))).toContain('--sign --key env://COSIGN_PRIVATE_KEY --legacy-sig');
  });

  test('fails for a GitHub signer, and for a private Sigstore it is not told of, saying what to do', () => {
    // GIVEN
    const fleet = new Fleet(new App(), 'fleet', { registry: Registry.generic({ host: 'registry.acme.io', repository: 'fleet' }), signing: Signing.cosignKey({ secretName: 'fleet-cosign' }) });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
    fleet.addEnvironment('production', { channel: 'stable', signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*' }) })
      .addCluster('prod-1', { region: 'eu' });
    const privateRoot = new Fleet(new App(), 'fleet', {
      registry: Registry.generic({ host: 'registry.acme.io', repository: 'fleet' }),
      signing: Signing.gitlabCi({ project: 'acme/fleet', host: 'gitlab.acme.io', trustedRootSecretRef: { name: 'sigstore-root' } }),
    });
    privateRoot.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
    // THEN
    expect(() => gitlabReleasePipeline(releaseWorkflowSpecFromFleet(fleet))).toThrow(
      'production verify https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v*, a GitHub Actions workflow, which a GitLab CI pipeline cannot sign as: '
      + 'generate the workflow (flux-fleet workflow without --gitlab), or declare Signing.gitlabCi({ project, ref }) or Signing.cosignKey for production');
    expect(() => gitlabReleasePipeline(releaseWorkflowSpecFromFleet(privateRoot))).toThrow('give the instance\'s Fulcio and Rekor (--fulcio-url and --rekor-url, or the options fulcioUrl and rekorUrl)');
    const withInstance = gitlabReleasePipeline(releaseWorkflowSpecFromFleet(privateRoot), { fulcioUrl: 'https://fulcio.acme.io', rekorUrl: 'https://rekor.acme.io' }).content;
    expect(schemaErrors(withInstance)).toStrictEqual([]);
    expect((parse(withInstance) as Record<string, GitlabJob>)['release-1'].script!.find((l) => l.includes('--sign'))).toContain('--fulcio-url "$FLUX_FLEET_FULCIO_URL" --rekor-url "$FLUX_FLEET_REKOR_URL"');
  });
});
