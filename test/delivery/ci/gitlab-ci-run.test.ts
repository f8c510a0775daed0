import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../examples/fleet/app.js';
import { candidateTag, generateSigningKey, publicKeyPem } from '../../../src/delivery/index.js';
import { sha256Digest } from '../../../src/flux/artifact/index.js';
import { EXIT, run } from '../../../src/frontends/cli/index.js';
import { readReleaseManifest, type ReleaseManifest } from '../../../src/output/index.js';
import { ClusterSimulator } from '../../support/cluster-simulator.js';
import { publishExampleUpstream } from '../../support/example-upstream.js';
import { ExampleWorld, HOST, REGIONS } from '../../support/example-world.js';
import { TestForge } from '../../support/forge.js';
import { independentSigners } from '../../support/independent-verify.js';
import { skopeo } from '../../support/registry.js';

/**
 * The GitLab CI pipeline of the example fleet whose production verifies the fleet's own pipeline keyless on v* tags
 * (staging verifies the fleet's key), run job by job on this machine, as GitLab would on the default branch and then
 * on tag v1.0.0, against one registry per region.
 */

const SHA = 'c'.repeat(40);
const PIPELINE = (tag: string) => `https://gitlab.com/acme/fleet//.gitlab-ci.yml@refs/tags/${tag}`;
const SLOW = 300_000;
const FORGE_TOKEN = 'forge-token-of-ci';

let dir: string;
let world: ExampleWorld;
let pipeline: string;
let release: ReleaseManifest;
const fleetKey = generateSigningKey();
const teamWeb = generateSigningKey();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-gitlab-run-'));
  world = await ExampleWorld.start(dir);
  buildApp(join(dir, 'work', 'dist'), undefined, { releaseCi: 'gitlab', fleetKey: publicKeyPem(fleetKey.publicKey), teamWebKey: publicKeyPem(teamWeb.publicKey) }).synth();
  release = await readReleaseManifest(join(dir, 'work', 'dist'));
  await publishExampleUpstream(world.destinations, world.sigstore, teamWeb);
}, SLOW);

afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
}, SLOW);

/** The digest of the manifest at a tag, read by skopeo; undefined when there is none. */
async function digestAt(url: string, tag: string): Promise<string | undefined> {
  const [host, ...path] = url.slice('oci://'.length).split('/');
  const region = REGIONS.find((r) => HOST[r] === host)!;
  try {
    return sha256Digest(Buffer.from(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${world.registries[region].host}/${path.join('/')}:${tag}`)));
  } catch {
    return undefined;
  }
}

async function followed(): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(release.clusters.map(async (c) => [c.name, await digestAt(c.url, c.tag!)])));
}

const main = { branch: 'main', sha: SHA, project: 'acme/fleet', defaultBranch: 'main' };
const tag = { tag: 'v1.0.0', sha: SHA, project: 'acme/fleet', defaultBranch: 'main' };

describe('the example fleet\'s GitLab pipeline, run job by job', () => {
  test('flux-fleet workflow writes the GitLab pipeline, for the identity the clusters verify', async () => {
    // WHEN
    let stdout = '';
    const code = await run(['workflow', 'work/dist', '--output', 'work/.gitlab-ci.yml'], { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: () => undefined }, cwd: dir });
    pipeline = readFileSync(join(dir, 'work', '.gitlab-ci.yml'), 'utf8');
    // THEN
    expect([code, stdout]).toStrictEqual([EXIT.ok, 'wrote work/.gitlab-ci.yml\n']);
  });

  test('on the default branch, the key\'s job signs and moves staging; the keyless job and the promotions are not in the pipeline', async () => {
    // WHEN
    const keyJob = await world.runner.gitlab(pipeline, 'release-2', { ...main, secrets: { COSIGN_PRIVATE_KEY: fleetKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), COSIGN_PASSWORD: '' } });
    const keylessJob = await world.runner.gitlab(pipeline, 'release-1', main);
    const promotion = await world.runner.gitlab(pipeline, 'promote-1', main);
    // THEN
    expect(keyJob.steps.map((s) => [s.code, s.code === 0 ? '' : s.output])).toStrictEqual([[0, '']]);
    expect(keyJob.steps[0].commands).toStrictEqual([
      'validate dist',
      'mirror dist',
      `push dist --registry --source https://gitlab.com/acme/fleet --revision sha1:${SHA} --hold-tags --sign --key env://COSIGN_PRIVATE_KEY`,
      `push dist --registry --source https://gitlab.com/acme/fleet --revision sha1:${SHA} --environment staging`,
      `verify-release dist --revision sha1:${SHA} --environment staging`,
    ]);
    expect([keylessJob.skipped, promotion.skipped]).toStrictEqual([true, true]);
    const tags = await followed();
    for (const c of release.clusters) {
      const candidate = await digestAt(c.url, candidateTag(`sha1:${SHA}`));
      expect(tags[c.name]).toBe(c.environment === 'staging' ? candidate : undefined);
      const trust = { keys: { fleet: fleetKey.publicKey }, trustedRoot: world.sigstore.trustedRoot };
      const signedBy = await independentSigners(world.destinations.repository(c.url), candidate!, trust);
      expect(signedBy).toStrictEqual(c.environment === 'staging' ? ['key fleet'] : []);
    }
  }, SLOW);

  test('on tag v1.0.0, the keyless job signs production\'s release as the pipeline of that tag; its rollout jobs move wave 1, then (manual) wave 2, on the statuses the clusters post', async () => {
    // GIVEN the clusters reporting to the project's commit statuses, as their notification-controllers do
    const forge = await TestForge.start({ token: FORGE_TOKEN, now: Date.now });
    forge.addCommits('acme/fleet', SHA);
    const sim = new ClusterSimulator({
      tree: join(dir, 'work', 'dist'),
      registryAliases: world.aliasMap(),
      forgeUrls: { 'gitlab.com': forge.gitlabUrl },
      tokens: { 'flux-fleet-status-token': FORGE_TOKEN },
    });
    const stopReconciling = sim.reconcileEvery(200);
    // the job reaches the forge as its GitLab instance's API; the CI/CD variable GITLAB_TOKEN holds the token
    const job = { ...tag, secrets: { GITLAB_TOKEN: FORGE_TOKEN }, env: { CI_API_V4_URL: forge.gitlabUrl, FLUX_FLEET_TEST_ROLLOUT_ARGS: '--soak 1s --poll 200ms' } };
    let keyJob, keylessJob, wave1, afterWave1, wave2;
    try {
      // WHEN
      keyJob = await world.runner.gitlab(pipeline, 'release-2', tag);
      keylessJob = await world.runner.gitlab(pipeline, 'release-1', { ...tag, tokens: { SIGSTORE_ID_TOKEN: world.sigstore.token(PIPELINE('v1.0.0'), 'https://gitlab.com') } });
      wave1 = await world.runner.gitlab(pipeline, 'promote-1', job);
      afterWave1 = await followed();
      wave2 = await world.runner.gitlab(pipeline, 'promote-2', job);
    } finally {
      await stopReconciling();
      await forge.stop();
    }
    // THEN
    expect(sim.refused).toStrictEqual([]);
    expect(forge.log.every((l) => l.method === 'POST' || l.authorized)).toBe(true);
    expect(forge.statusesOf('acme/fleet', SHA).filter((s) => s.state === 'success').map((s) => s.context).sort()).toStrictEqual(release.clusters.map((c) => `flux-fleet/${c.name}`).sort());
    expect(keyJob.skipped).toBe(true);
    expect([...keylessJob.steps, ...wave1.steps, ...wave2.steps].map((s) => [s.name, s.code, s.code === 0 ? '' : s.output])).toStrictEqual([
      ['release-1', 0, ''], ['promote-1', 0, ''], ['promote-2', 0, ''],
    ]);
    expect(keylessJob.steps[0].commands.filter((c) => c.startsWith('push'))).toStrictEqual([
      `push dist --registry --source https://gitlab.com/acme/fleet --revision sha1:${SHA} --hold-tags --sign --certificate-identity ${PIPELINE('v1.0.0')} --certificate-oidc-issuer https://gitlab.com`,
    ]);
    expect([wave1.manual, wave2.manual]).toStrictEqual([false, true]);
    const rollout = `rollout dist --registry --environment production --revision sha1:${SHA}`;
    const rest = `--forge-url gitlab.com=${job.env.CI_API_V4_URL} --report flux-fleet-rollout.json`;
    expect([wave1.steps[0].commands, wave2.steps[0].commands]).toStrictEqual([[`${rollout} --until-wave 1 ${rest}`], [`${rollout} --approve-wave 2 --until-wave 2 ${rest}`]]);
    expect(wave2.steps[0].output).toMatch(/production wave 2 passed: 2\/2 healthy for the soak/);
    const candidates = Object.fromEntries(await Promise.all(release.clusters.map(async (c) => [c.name, await digestAt(c.url, candidateTag(`sha1:${SHA}`))])));
    expect(afterWave1['prod-eu-1']).toBe(candidates['prod-eu-1']);
    expect([afterWave1['prod-us-1'], afterWave1['prod-ap-1']]).toStrictEqual([undefined, undefined]);
    expect(await followed()).toStrictEqual(candidates);
    // @sigstore/verify accepts the pipeline's certificate on what production runs
    for (const c of release.clusters.filter((x) => x.environment === 'production')) {
      const trust = { trustedRoot: world.sigstore.trustedRoot };
      const signedBy = await independentSigners(world.destinations.repository(c.url), candidates[c.name]!, trust);
      expect(signedBy).toStrictEqual([`keyless ${PIPELINE('v1.0.0')} (https://gitlab.com)`]);
    }
  }, SLOW);
});
