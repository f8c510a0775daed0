import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../examples/fleet/app.js';
import {
  candidateTag, contentTag, generateSigningKey, publicKeyHint, publicKeyPem, referrersFallbackTag, type RolloutReport, type SigningKey,
} from '../../src/delivery/index.js';
import { packFolder } from '../../src/fleet/folder-artifact.js';
import { sha256Digest } from '../../src/flux/artifact/index.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { readReleaseManifest, type ReleaseManifest } from '../../src/output/index.js';
import type { GithubJobRun } from '../support/ci-runner.js';
import { ClusterSimulator, type ClusterFault } from '../support/cluster-simulator.js';
import { publishArtifact as publishArtifactTo, publishChart as publishChartTo } from '../support/example-upstream.js';
import { ExampleWorld, HOST, REGIONS } from '../support/example-world.js';
import { TestForge } from '../support/forge.js';
import { independentSigners } from '../support/independent-verify.js';
import { skopeo } from '../support/registry.js';

/**
 * The whole release of the example fleet (examples/fleet: staging verifies the fleet's key, production the release
 * workflow keyless on v* tags), against one registry per region and one standing in for the publishers (ghcr.io), all
 * reached through host aliases, and a Sigstore instance on loopback standing in for the public one: the publishers'
 * charts and artifacts published and signed as the identities the fleet declares for them; mirror; the generated
 * workflow's jobs run on main and on a release tag, promoting production wave by wave; a second revision promoted
 * and rolled back; and every refusal the gates owe: a signature by the wrong key, a signer production does not verify,
 * a changed candidate, a release that no longer resolves, a refusal's advice that must move nothing else.
 */

const exec = promisify(execFile);
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
const CHART = 'oci://ghcr.io/stefanprodan/charts/podinfo';
const WEB_SHOP = 'oci://ghcr.io/acme/web-shop-manifests';
const SMOKE = 'oci://ghcr.io/acme/smoke-tests';
const FLUX_OPERATOR = 'oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator';
const FLUX_MANIFESTS = 'oci://ghcr.io/fluxcd/flux-manifests';
const GITHUB = 'https://token.actions.githubusercontent.com';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const REV_A = `sha1:${A}`;
const REV_B = `sha1:${B}`;
const RELEASE = (ref: string) => `https://github.com/acme/fleet/.github/workflows/release.yaml@${ref}`;
const SLOW = 300_000;

let dir: string;
let world: ExampleWorld;
let workflow: string;
let releaseA: ReleaseManifest;
let releaseB: ReleaseManifest;
const keys: Record<'fleet' | 'teamWeb' | 'intruder', SigningKey> = { fleet: generateSigningKey(), teamWeb: generateSigningKey(), intruder: generateSigningKey() };
/** The digests the publishers pushed. */
const published: Record<string, string> = {};
/** Each cluster's candidate digest, per revision. */
const candidates: Record<'a' | 'b', Record<string, string>> = { a: {}, b: {} };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-example-release-'));
  world = await ExampleWorld.start(dir);
  for (const [name, key] of Object.entries(keys)) {
    writeFileSync(join(dir, `${name}.key`), key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    writeFileSync(join(dir, `${name}.pub`), publicKeyPem(key.publicKey));
  }
  const options = { fleetKey: publicKeyPem(keys.fleet.publicKey), teamWebKey: publicKeyPem(keys.teamWeb.publicKey) };
  // Revision A: the example as it is, checked out in the CI's folder. Revision B: one file of its infra folder changed.
  buildApp(join(dir, 'work', 'dist'), undefined, options).synth();
  cpSync(join(EXAMPLE, 'infra'), join(dir, 'b-src', 'infra'), { recursive: true });
  cpSync(join(EXAMPLE, 'flux-fleet.lock'), join(dir, 'b-src', 'flux-fleet.lock'));
  const limits = join(dir, 'b-src', 'infra', 'configs', 'limits.yaml');
  writeFileSync(limits, readFileSync(limits, 'utf8').replace(/\n*$/, '\n# revision B\n'));
  buildApp(join(dir, 'b'), join(dir, 'b-src'), options).synth();
  releaseA = await readReleaseManifest(join(dir, 'work', 'dist'));
  releaseB = await readReleaseManifest(join(dir, 'b'));
}, SLOW);

afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
}, SLOW);

const aliases = (): string[] => ['--host-alias', world.aliases()];
/** What the clusters' public Sigstore root stands for here, and a quick lease. */
const gate = (): string[] => [...aliases(), '--trusted-root', 'sigstore-root.json', '--lease-settle', '500'];

/** Runs the command line in the temporary folder, with captured output. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => { stdout += text; } },
    stderr: { write: (text: string) => { stderr += text; } },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

/** Signs references keyless as `subject` (issued by GitHub Actions), through the test's Sigstore instance. */
function signKeyless(subject: string, ...refs: string[]) {
  return cli('sign', ...refs, '--identity-token', world.sigstore.token(subject, GITHUB), '--fulcio-url', world.sigstore.url, '--rekor-url', world.sigstore.url, ...aliases());
}

/** `127.0.0.1:<port>/<repository>` of an `oci://` URL. */
function local(url: string): string {
  const [host, ...rest] = url.slice('oci://'.length).split('/');
  return `${world.aliasMap()[host]}/${rest.join('/')}`;
}

/** The digest of the manifest at a tag or digest, read by skopeo; undefined when there is none. */
async function digestAt(url: string, reference: string): Promise<string | undefined> {
  try {
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${local(url)}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`);
    return sha256Digest(Buffer.from(raw));
  } catch {
    return undefined;
  }
}

async function deleteManifest(url: string, digest: string): Promise<number> {
  const [host, ...path] = local(url).split('/');
  return (await fetch(`http://${host}/v2/${path.join('/')}/manifests/${digest}`, { method: 'DELETE' })).status;
}

/** The tags of a repository, listed by skopeo, sorted. */
async function tagsOf(url: string): Promise<string[]> {
  const out = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${local(url)}`)) as { Tags: string[] };
  return [...out.Tags].sort();
}

/** The tag each cluster follows, by cluster, read in its own region's registry. */
async function followedTags(release: ReleaseManifest): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(release.clusters.map(async (c) => [c.name, await digestAt(c.url, c.tag!)])));
}

/** Who signed a digest, as verifiers flux-fleet did not write see it (openssl for keys, @sigstore/verify for certificates). */
function signers(url: string, digest: string): Promise<string[]> {
  return independentSigners(world.destinations.repository(url), digest, {
    keys: { 'fleet': keys.fleet.publicKey, 'team-web': keys.teamWeb.publicKey, 'intruder': keys.intruder.publicKey },
    trustedRoot: world.sigstore.trustedRoot,
  });
}

const publishChart = (url: string, version: string) => publishChartTo(world.destinations, url, version);

const FORGE_TOKEN = 'forge-token-of-ci';

/**
 * A forge (statuses stamped with the real time) knowing revisions A and B of acme/fleet, and the clusters of `tree`
 * (with `faults`) reconciling every 200 ms and reporting to it, until `stop`.
 */
async function reporting(tree: string, faults: Record<string, ClusterFault> = {}): Promise<{ forge: TestForge; stop: () => Promise<void> }> {
  const forge = await TestForge.start({ token: FORGE_TOKEN, now: Date.now });
  forge.addCommits('acme/fleet', A, B);
  const sim = new ClusterSimulator({
    tree: join(dir, tree),
    registryAliases: world.aliasMap(),
    forgeUrls: { 'github.com': forge.githubUrl },
    tokens: { 'flux-fleet-status-token': FORGE_TOKEN },
    faults,
  });
  const stopReconciling = sim.reconcileEvery(200);
  return {
    forge,
    stop: async () => {
      await stopReconciling();
      await forge.stop();
    },
  };
}

/** What a CI job's rollout reaches here: the forge's API, and the example's 30-minute soak shortened to a second. */
function rolloutEnv(forge: TestForge): Record<string, string> {
  return { GITHUB_API_URL: forge.githubUrl, FLUX_FLEET_TEST_ROLLOUT_ARGS: '--soak 1s --poll 200ms' };
}
const publishArtifact = (url: string, tag: string, files: Array<{ path: string; content: Buffer }>) =>
  publishArtifactTo(world.destinations, url, tag, files);

/** The `spec.ref` of an OCIRepository in a cluster's folder of a synthesized tree. */
function sourceRef(tree: string, cluster: string, name: string): unknown {
  const docs = parseAllDocuments(readFileSync(join(tree, 'clusters', cluster, 'sources.yaml'), 'utf8')).map((d) => d.toJS());
  return docs.find((o) => o.kind === 'OCIRepository' && o.metadata.name === name)?.spec.ref;
}

describe('the example fleet\'s web-shop pin', () => {
  test('is the digest of examples/fleet/upstream/web-shop-manifests packed as Flux does, a tree kubectl kustomize builds', async () => {
    // GIVEN
    const pinned = /digest: '(sha256:[0-9a-f]{64})'/.exec(readFileSync(join(EXAMPLE, 'app.ts'), 'utf8'))?.[1];
    // WHEN
    const packed = packFolder('web-shop-manifests', join(EXAMPLE, 'upstream', 'web-shop-manifests'), 'web-shop-manifests');
    const { stdout } = await exec('kubectl', ['kustomize', join(EXAMPLE, 'upstream', 'web-shop-manifests', 'deploy')]);
    // THEN
    expect(packed.problems).toBeUndefined();
    expect(packed.artifact?.digest).toBe(pinned);
    expect(releaseA.external.find((e) => e.component === 'web-shop')!.targets.map((t) => t.ref)).toStrictEqual(REGIONS.map(() => ({ digest: pinned })));
    expect(parseAllDocuments(stdout).map((d) => `${d.toJS().kind}/${d.toJS().metadata.namespace}/${d.toJS().metadata.name}`))
      .toStrictEqual(['Service/team-web/web-shop', 'Deployment/team-web/web-shop']);
  }, 60_000);
});

describe('the example fleet, released across three regions by its generated workflow', () => {
  test('the publishers push the charts, the web team\'s manifests, the smoke tests, the operator chart and Flux\'s release manifests, each signed as the fleet declares its publisher', async () => {
    // GIVEN the chart at the production pin, at a newer 6.x that staging's range picks, and at a 7.0.0 it must not
    for (const version of ['6.7.0', '6.8.1', '7.0.0']) published[`podinfo:${version}`] = await publishChart(CHART, version);
    published['flux-operator'] = await publishChart(FLUX_OPERATOR, '0.58.1');
    const webShop = packFolder('web-shop-manifests', join(EXAMPLE, 'upstream', 'web-shop-manifests'), 'web-shop-manifests').artifact!;
    published['web-shop'] = await publishArtifact(WEB_SHOP, '1.4.2', [...webShop.files]);
    published.smoke = await publishArtifact(SMOKE, 'main', [
      { path: 'kustomization.yaml', content: Buffer.from('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - job.yaml\n') },
      { path: 'job.yaml', content: Buffer.from('apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: smoke\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: smoke\n          image: ghcr.io/acme/smoke:1\n') },
    ]);
    // Flux's release manifests, which stg-eu-2 applies at semver 2.10.x: a 2.10 release, and a 2.11 one outside its range
    const fluxRelease = (version: string) => [
      { path: 'kustomization.yaml', content: Buffer.from('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n') },
      { path: 'namespace.yaml', content: Buffer.from(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n    app.kubernetes.io/version: ${version}\n`) },
    ];
    published['flux-manifests'] = await publishArtifact(FLUX_MANIFESTS, 'v2.10.1', fluxRelease('v2.10.1'));
    published['flux-manifests:v2.11.0'] = await publishArtifact(FLUX_MANIFESTS, 'v2.11.0', fluxRelease('v2.11.0'));
    // WHEN each publisher signs as the identity the fleet declares for it
    const signed = [
      ...await Promise.all(['6.7.0', '6.8.1', '7.0.0'].map((v) => signKeyless(`https://github.com/stefanprodan/podinfo/.github/workflows/release.yml@refs/tags/${v}`, `${CHART}:${v}`))),
      await cli('sign', `${WEB_SHOP}@${published['web-shop']}`, '--key', 'teamWeb.key', ...aliases()),
      await signKeyless('https://github.com/acme/smoke-tests/.github/workflows/release.yaml@refs/heads/main', `${SMOKE}:main`),
      await signKeyless('https://github.com/controlplaneio-fluxcd/charts/.github/workflows/release.yml@refs/tags/v0.58.1', `${FLUX_OPERATOR}:0.58.1`),
      await signKeyless('https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/tags/v2.10.1', `${FLUX_MANIFESTS}:v2.10.1`),
    ];
    // THEN
    expect(signed.map((s) => [s.code, s.stderr])).toStrictEqual(Array(7).fill([EXIT.ok, '']));
    // verifiers flux-fleet did not write accept each signature, as the identity declared
    expect(await signers(CHART, published['podinfo:6.7.0'])).toStrictEqual([`keyless https://github.com/stefanprodan/podinfo/.github/workflows/release.yml@refs/tags/6.7.0 (${GITHUB})`]);
    expect(await signers(WEB_SHOP, published['web-shop'])).toStrictEqual(['key team-web']);
    expect(await signers(FLUX_MANIFESTS, published['flux-manifests'])).toStrictEqual([`keyless https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/tags/v2.10.1 (${GITHUB})`]);
    expect(await signers(FLUX_OPERATOR, published['flux-operator'])).toStrictEqual([`keyless https://github.com/controlplaneio-fluxcd/charts/.github/workflows/release.yml@refs/tags/v0.58.1 (${GITHUB})`]);
    expect(published['web-shop']).toBe(webShop.digest);
  }, SLOW);

  test('the example\'s lock file is exactly what flux-fleet lock resolves against these publishers', async () => {
    // WHEN
    // (the example program, run as npm run example runs it)
    const app = `cd "${join(EXAMPLE, '..', '..')}" && npx tsx --tsconfig examples/tsconfig.json examples/fleet/main.ts`;
    const checked = await cli('lock', '--check', '--app', app, ...aliases());
    // THEN production's podinfo 6.7.0 is the chart published above, and nothing else production pulls floats
    expect([checked.code, checked.stderr]).toStrictEqual([EXIT.ok, '']);
    expect(checked.stdout).toBe(`kept ${CHART} 6.7.0 -> 6.7.0 ${published['podinfo:6.7.0']}\n${join(EXAMPLE, 'flux-fleet.lock')} is up to date (1 entry)\n`);
  }, SLOW);

  test('mirror copies the chart versions and the web team\'s manifests into each region that uses them, with their signatures', async () => {
    // WHEN
    const mirrored = await cli('mirror', 'work/dist', ...aliases());
    // THEN
    expect([mirrored.code, mirrored.stderr]).toStrictEqual([EXIT.ok, '']);
    const chartTags = (versions: string[]) => [...versions, ...versions.map((v) => referrersFallbackTag(published[`podinfo:${v}`]))].sort();
    const copies = Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, {
      chart: await tagsOf(`oci://${HOST[r]}/fleet/charts/podinfo`),
      webShop: await tagsOf(`oci://${HOST[r]}/fleet/apps/web-shop`),
    }])));
    const webShopTags = [contentTag(published['web-shop']), referrersFallbackTag(published['web-shop'])];
    expect(copies).toStrictEqual({
      // Asia has production only: the exact pin
      'ap-southeast-1': { chart: chartTags(['6.7.0']), webShop: webShopTags },
      // Europe and America have staging (6.x: 6.8.1, not 7.0.0) and production (6.7.0)
      'eu-west-1': { chart: chartTags(['6.7.0', '6.8.1']), webShop: webShopTags },
      'us-east-1': { chart: chartTags(['6.7.0', '6.8.1']), webShop: webShopTags },
    });
    // the publishers' signatures are on every copy, as Flux checks them there
    for (const r of REGIONS) expect(await signers(`oci://${HOST[r]}/fleet/apps/web-shop`, published['web-shop'])).toStrictEqual(['key team-web']);
  }, SLOW);

  test('the workflow run on main signs staging\'s release with the fleet\'s key and moves staging only; production\'s promotions are not offered', async () => {
    // GIVEN the workflow the tree asks for, committed where the identity says
    const generated = await cli('workflow', 'work/dist', '--output', 'work/.github/workflows/release.yaml');
    workflow = readFileSync(join(dir, 'work', '.github', 'workflows', 'release.yaml'), 'utf8');
    // WHEN
    const main = await world.runner.github(workflow, 'release', {
      ref: 'refs/heads/main',
      sha: A,
      repository: 'acme/fleet',
      secrets: { COSIGN_PRIVATE_KEY: readFileSync(join(dir, 'fleet.key'), 'utf8'), COSIGN_PASSWORD: '' },
    });
    // THEN
    expect(generated.stdout).toBe('wrote work/.github/workflows/release.yaml\n');
    expect(main.steps.filter((s) => s.ran && s.code !== 0).map((s) => [s.name, s.output])).toStrictEqual([]);
    expect(main.steps.flatMap((s) => s.commands)).toStrictEqual([
      'validate dist',
      'mirror dist',
      `push dist --registry --source https://github.com/acme/fleet --revision ${REV_A} --hold-tags --sign --key env://COSIGN_PRIVATE_KEY`,
      `push dist --registry --source https://github.com/acme/fleet --revision ${REV_A} --environment staging`,
      `verify-release dist --revision ${REV_A} --environment staging`,
    ]);
    expect(main.outputs).toStrictEqual({ promote_1: '', environment_1: 'production-wave-1', promote_2: '', environment_2: 'production-wave-2' });
    for (const c of releaseA.clusters) candidates.a[c.name] = (await digestAt(c.url, candidateTag(REV_A)))!;
    expect(await followedTags(releaseA)).toStrictEqual({
      'prod-ap-1': undefined,
      'prod-eu-1': undefined,
      'prod-us-1': undefined,
      'stg-eu-1': candidates.a['stg-eu-1'],
      'stg-eu-2': candidates.a['stg-eu-2'],
      'stg-us-1': candidates.a['stg-us-1'],
    });
    // openssl accepts the fleet's key on what staging runs; production's candidates are left for production's signer
    for (const c of releaseA.clusters) expect(await signers(c.url, candidates.a[c.name])).toStrictEqual(c.environment === 'staging' ? ['key fleet'] : []);
    const infra = releaseA.artifacts.find((a) => a.name === 'infra')!;
    for (const c of releaseA.clusters) expect(sourceRef(join(dir, 'work', 'dist'), c.name, 'infra')).toStrictEqual({ digest: infra.digest });
  }, SLOW);

  test('the workflow run on tag v1.0.0 signs production\'s release keyless as the workflow on that tag; its rollout jobs move wave 1, then wave 2, on the health the clusters report', async () => {
    // GIVEN the clusters reporting to the forge, as their notification-controllers do
    const { forge, stop } = await reporting('work/dist');
    try {
      // WHEN
      const tag = await world.runner.github(workflow, 'release', {
        ref: 'refs/tags/v1.0.0', sha: A, repository: 'acme/fleet', oidcToken: world.sigstore.token(RELEASE('refs/tags/v1.0.0'), GITHUB),
      });
      const afterTag = await followedTags(releaseA);
      const job = { ref: 'refs/tags/v1.0.0', sha: A, repository: 'acme/fleet', needs: { release: tag.outputs }, token: FORGE_TOKEN, env: rolloutEnv(forge) };
      const wave1 = await world.runner.github(workflow, 'promote-1', job);
      const afterWave1 = await followedTags(releaseA);
      const wave2 = await world.runner.github(workflow, 'promote-2', job);
      await checkTagRun(tag, wave1, wave2, afterTag, afterWave1);
      // the jobs read the statuses with the job's token, and waited for each wave's clusters to report healthy on A
      expect(forge.log.every((l) => l.method === 'POST' || l.authorized)).toBe(true);
      expect(forge.statusesOf('acme/fleet', A).filter((s) => s.state === 'success').map((s) => s.context).sort()).toStrictEqual(
        releaseA.clusters.map((c) => `flux-fleet/${c.name}`).sort());
      expect(wave1.steps.at(-1)!.output).toMatch(/production wave 1 passed: 1\/1 healthy for the soak/);
      expect(wave2.steps.at(-1)!.output).toMatch(/production wave 1 already points at .*\n[^]*production wave 2 passed: 2\/2 healthy for the soak/);
    } finally {
      await stop();
    }
  }, SLOW);

  /** What the run on tag v1.0.0 did: its commands, the tags it moved wave by wave, the signatures production's clusters accept. */
  async function checkTagRun(
    tag: GithubJobRun, wave1: GithubJobRun, wave2: GithubJobRun,
    afterTag: Record<string, string | undefined>, afterWave1: Record<string, string | undefined>,
  ): Promise<void> {
    expect([...tag.steps, ...wave1.steps, ...wave2.steps].filter((s) => s.ran && s.code !== 0).map((s) => [s.name, s.output])).toStrictEqual([]);
    expect(tag.steps.flatMap((s) => s.commands)).toStrictEqual([
      'validate dist',
      'mirror dist',
      `push dist --registry --source https://github.com/acme/fleet --revision ${REV_A} --hold-tags --sign --certificate-identity ${RELEASE('refs/tags/v1.0.0')} --certificate-oidc-issuer ${GITHUB}`,
      `verify-release dist --revision ${REV_A} --environment production`,
    ]);
    expect(tag.outputs).toStrictEqual({ promote_1: 'true', environment_1: 'production-wave-1', promote_2: 'true', environment_2: 'production-wave-2' });
    const rollout = `rollout dist --registry --environment production --revision ${REV_A}`;
    const rest = '--forge-url github.com=<forge> --report flux-fleet-rollout.json';
    expect([wave1, wave2].map((w) => w.steps.flatMap((s) => s.commands).map((c) => c.replace(/github\.com=http:\/\/127\.0\.0\.1:\d+/, 'github.com=<forge>')))).toStrictEqual([
      [`${rollout} --until-wave 1 ${rest}`],
      [`${rollout} --approve-wave 2 --until-wave 2 ${rest}`],
    ]);
    const staging = { 'stg-eu-1': candidates.a['stg-eu-1'], 'stg-eu-2': candidates.a['stg-eu-2'], 'stg-us-1': candidates.a['stg-us-1'] };
    expect(afterTag).toStrictEqual({ 'prod-ap-1': undefined, 'prod-eu-1': undefined, 'prod-us-1': undefined, ...staging });
    expect(afterWave1).toStrictEqual({ 'prod-ap-1': undefined, 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': undefined, ...staging });
    expect(await followedTags(releaseA)).toStrictEqual({ 'prod-ap-1': candidates.a['prod-ap-1'], 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': candidates.a['prod-us-1'], ...staging });
    // @sigstore/verify accepts the workflow's certificate on what production runs, under the trusted root
    for (const c of releaseA.clusters.filter((x) => x.environment === 'production')) {
      expect(await signers(c.url, candidates.a[c.name])).toStrictEqual([`keyless ${RELEASE('refs/tags/v1.0.0')} (${GITHUB})`]);
    }
    // the shared infra artifact carries both: staging's key, production's workflow
    const infra = releaseA.artifacts.find((a) => a.name === 'infra')!;
    expect(await signers(infra.targets.find((t) => t.region === 'eu-west-1')!.url, infra.digest)).toStrictEqual(['key fleet', `keyless ${RELEASE('refs/tags/v1.0.0')} (${GITHUB})`]);
  }

  test('verify-release of revision A finds every source of every cluster in its region, signed as its cluster verifies it: a good release exits 0', async () => {
    // WHEN
    const result = await cli('verify-release', 'work/dist', '--revision', REV_A, ...aliases(), '--trusted-root', 'sigstore-root.json');
    const live = await cli('verify-release', 'work/dist', ...aliases(), '--trusted-root', 'sigstore-root.json');
    // THEN
    expect(result).toStrictEqual({ code: EXIT.ok, stdout: expect.stringMatching(/^every reference resolves and verifies: \d+ checked for 6 clusters\n$/), stderr: '' });
    expect(live).toStrictEqual({ code: EXIT.ok, stdout: expect.stringMatching(/^every reference resolves and verifies: \d+ checked for 6 clusters\n$/), stderr: '' });
  }, SLOW);

  test('fails verify-release for a chart copy signed with a throwaway key instead of its publisher\'s identity, naming the cluster, the source, the digest, the identity expected and the one found', async () => {
    // GIVEN America's copy of 6.8.1 without its publisher's signature, then signed with a throwaway key
    const copy = `oci://${HOST['us-east-1']}/fleet/charts/podinfo`;
    const digest = published['podinfo:6.8.1'];
    const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${local(copy)}:${referrersFallbackTag(digest)}`)) as { manifests: Array<{ digest: string }> };
    const signature = [...index.manifests.map((m) => m.digest), (await digestAt(copy, referrersFallbackTag(digest)))!];
    for (const d of signature) expect(await deleteManifest(copy, d)).toBe(202);
    const unsigned = await cli('verify-release', 'work/dist', '--revision', REV_A, ...aliases(), '--trusted-root', 'sigstore-root.json');
    const intruder = await cli('sign', `${copy}@${digest}`, '--key', 'intruder.key', ...aliases());
    // WHEN
    const signedByIntruder = await cli('verify-release', 'work/dist', '--revision', REV_A, ...aliases(), '--trusted-root', 'sigstore-root.json');
    // THEN
    expect(intruder.code).toBe(EXIT.ok);
    expect(unsigned.code).toBe(EXIT.errors);
    expect(unsigned.stdout).toContain(`dangling stg-us-1 OCIRepository/flux-system/podinfo: ${copy} semver 6.x (tag 6.8.1) (${digest}): the cluster accepts keyless subject `);
    expect(signedByIntruder.code).toBe(EXIT.errors);
    expect(signedByIntruder.stdout.split('\n')[0]).toBe(`dangling stg-us-1 OCIRepository/flux-system/podinfo: ${copy} semver 6.x (tag 6.8.1) (${digest}): the cluster accepts keyless `
      + 'subject ^https://github\\.com/stefanprodan/podinfo/\\.github/workflows/release\\.yml@refs/tags/.+$ (issuer ^https://token\\.actions\\.githubusercontent\\.com$) '
      + `under the public Sigstore root; found the key with hint ${publicKeyHint(keys.intruder.publicKey)}`);
    expect(signedByIntruder.stdout).toMatch(/\n1 dangling reference in 1 cluster \(\d+ checked for 6 clusters\)\n$/);
    // openssl agrees: the copy carries the intruder's signature, and no other
    expect(await signers(copy, digest)).toStrictEqual(['key intruder']);
    // the publisher signs it again, as a mirror run would have copied: verify-release passes once more
    await signKeyless('https://github.com/stefanprodan/podinfo/.github/workflows/release.yml@refs/tags/6.8.1', `${copy}@${digest}`);
    expect((await cli('verify-release', 'work/dist', '--revision', REV_A, ...aliases(), '--trusted-root', 'sigstore-root.json')).code).toBe(EXIT.ok);
  }, SLOW);

  test('fails to move staging for a signer it does not verify, and to promote production onto candidates signed only with staging\'s key, moving nothing', async () => {
    // WHEN revision B is pushed and signed with a key staging does not verify
    const wrongKey = await cli('push', 'b', '--registry', '--revision', REV_B, '--sign', '--key', 'intruder.key', ...gate());
    const afterWrongKey = await followedTags(releaseB);
    // and then signed with the fleet's key, as a run on main does, and production is promoted to it
    const pushed = await cli('push', 'b', '--registry', '--revision', REV_B, '--sign', '--key', 'fleet.key', ...gate());
    for (const c of releaseB.clusters) candidates.b[c.name] = (await digestAt(c.url, candidateTag(REV_B)))!;
    const promoted = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '1', '--revision', REV_B, ...gate());
    // THEN
    const stagingA = { 'stg-eu-1': candidates.a['stg-eu-1'], 'stg-eu-2': candidates.a['stg-eu-2'], 'stg-us-1': candidates.a['stg-us-1'] };
    const productionA = { 'prod-ap-1': candidates.a['prod-ap-1'], 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': candidates.a['prod-us-1'] };
    expect(wrongKey.code).toBe(EXIT.errors);
    expect(wrongKey.stderr).toContain(`staging's clusters would refuse revision ${REV_B}:`);
    expect(wrongKey.stderr).toMatch(/stg-eu-1 config: .* the cluster accepts the key in Secret flux-system\/fleet-cosign \(hint [^)]+\); found no signature it reads/);
    expect(afterWrongKey).toStrictEqual({ ...productionA, ...stagingA });
    expect(pushed.code).toBe(EXIT.ok);
    expect(promoted.code).toBe(EXIT.errors);
    expect(promoted.stderr.split('\n')[0]).toBe('flux-fleet: promotion refused, no tag was moved:');
    expect(promoted.stderr).toContain(`prod-eu-1 config: oci://${HOST['eu-west-1']}/fleet/clusters/prod-eu-1 digest ${candidates.b['prod-eu-1']}: the cluster accepts keyless `
      + 'subject ^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[^@]+$ (issuer ^https://token\\.actions\\.githubusercontent\\.com$) under the public Sigstore root; found no signature it reads');
    expect(await followedTags(releaseB)).toStrictEqual({
      ...productionA, 'stg-eu-1': candidates.b['stg-eu-1'], 'stg-eu-2': candidates.b['stg-eu-2'], 'stg-us-1': candidates.b['stg-us-1'],
    });
  }, SLOW);

  test('fails to point revision A\'s candidates at another tree\'s configs, naming both digests and pushing nothing', async () => {
    // WHEN tree B is pushed as revision A
    const result = await cli('push', 'b', '--registry', '--revision', REV_A, '--hold-tags', ...gate());
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stderr).toContain(`prod-us-1: oci://${HOST['us-east-1']}/fleet/clusters/prod-us-1:${candidateTag(REV_A)} is ${candidates.a['prod-us-1']}; this tree would make it sha256:`);
    for (const c of releaseA.clusters) expect(await digestAt(c.url, candidateTag(REV_A))).toBe(candidates.a[c.name]);
    const infraB = releaseB.artifacts.find((a) => a.name === 'infra')!;
    expect(await digestAt(infraB.targets[0].url, contentTag(infraB.digest))).toBe(infraB.digest);
  }, SLOW);

  test('revision B signed keyless as the workflow on v1.1.0, promoted to wave 1 and rolled back: the rollback refuses while A no longer resolves in Europe, then restores A', async () => {
    // GIVEN B signed for production, as a run on tag v1.1.0 does, and promoted to wave 1
    const tagRun = await cli('push', 'b', '--registry', '--revision', REV_B, '--hold-tags', '--sign', '--certificate-identity', RELEASE('refs/tags/v1.1.0'),
      '--certificate-oidc-issuer', GITHUB, '--identity-token', world.sigstore.token(RELEASE('refs/tags/v1.1.0'), GITHUB), '--fulcio-url', world.sigstore.url, '--rekor-url', world.sigstore.url, ...gate());
    const promoted = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '1', '--revision', REV_B, ...gate());
    // and A's infra lost from Europe's registry
    const infraA = releaseA.artifacts.find((a) => a.name === 'infra')!;
    const eu = infraA.targets.find((t) => t.region === 'eu-west-1')!;
    expect(await deleteManifest(eu.url, infraA.digest)).toBe(202);
    // WHEN
    const refused = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '1', '--rollback', ...gate());
    const whileRefused = await followedTags(releaseB);
    // (with the source annotation the workflow gave it, so that the candidates come out the same)
    const restored = await cli('push', 'work/dist', '--registry', '--revision', REV_A, '--source', 'https://github.com/acme/fleet', '--hold-tags', ...gate());
    const rolledBack = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '1', '--rollback', ...gate());
    // THEN
    expect([tagRun.code, promoted.code, restored.code, restored.stderr, rolledBack.code, rolledBack.stderr]).toStrictEqual([EXIT.ok, EXIT.ok, EXIT.ok, '', EXIT.ok, '']);
    expect(refused.code).toBe(EXIT.errors);
    expect(refused.stderr).toBe([
      'flux-fleet: promotion refused, no tag was moved:',
      `  prod-eu-1 OCIRepository/flux-system/infra: ${eu.url} digest ${infraA.digest}: the pinned digest is not there`,
      `  to restore what revision ${REV_A} pins, push it again from its own tree, holding every followed tag: flux-fleet push <that tree> --registry --revision ${REV_A} --hold-tags; then roll back again`,
      '',
    ].join('\n'));
    const stagingB = { 'stg-eu-1': candidates.b['stg-eu-1'], 'stg-eu-2': candidates.b['stg-eu-2'], 'stg-us-1': candidates.b['stg-us-1'] };
    expect(whileRefused).toStrictEqual({ 'prod-ap-1': candidates.a['prod-ap-1'], 'prod-eu-1': candidates.b['prod-eu-1'], 'prod-us-1': candidates.a['prod-us-1'], ...stagingB });
    expect(await followedTags(releaseB)).toStrictEqual({ 'prod-ap-1': candidates.a['prod-ap-1'], 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': candidates.a['prod-us-1'], ...stagingB });
    expect(await digestAt(eu.url, infraA.digest)).toBe(infraA.digest);
  }, SLOW);

  test('flux-fleet rollout of revision B on the example fleet: moves wave 1, waits for its soak, moves wave 2, and rolls both back when prod-us-1 fails', async () => {
    // GIVEN staging on B, production on A, B signed for production; the clusters reporting, prod-us-1 failing its health check
    const { forge, stop } = await reporting('b', { 'prod-us-1': 'fail' });
    process.env.FLUX_FLEET_TEST_FORGE_TOKEN = FORGE_TOKEN;
    try {
      // WHEN
      const out = await cli('rollout', 'b', '--registry', '--environment', 'production', '--revision', REV_B, '--approve-wave', '2', '--rollback-on-failure',
        '--soak', '1s', '--poll', '200ms', '--forge-url', `github.com=${forge.githubUrl}`, '--token-env', 'FLUX_FLEET_TEST_FORGE_TOKEN', '--report', 'rollout-b.json', ...gate());
      // THEN
      expect(out.code).toBe(EXIT.errors);
      const steps = out.stdout.split('\n').map((l) => l.slice(9)).filter((l) => /^(promoting|rolling back|production wave \d (passed|rolled back)|production wave \d: \d tags? moved)/.test(l));
      expect(steps).toStrictEqual([
        `promoting production wave 1 to ${REV_B}`,
        `production wave 1: 1 tag moved to ${REV_B}`,
        expect.stringMatching(/^production wave 1 passed: 1\/1 healthy for the soak/),
        `promoting production wave 2 to ${REV_B}`,
        `production wave 2: 2 tags moved to ${REV_B}`,
        'rolling back production wave 2',
        'production wave 2 rolled back to what it followed before',
        'rolling back production wave 1',
        'production wave 1 rolled back to what it followed before',
      ]);
      expect(out.stderr).toMatch(/^rollout failed: production wave 2 did not pass on b{40}: .* failing: prod-us-1 \(health check failed\);.*; rolled back production wave 2, production wave 1\n$/);
      const report = JSON.parse(readFileSync(join(dir, 'rollout-b.json'), 'utf8')) as RolloutReport;
      expect(report.stages.map((st) => [st.wave, st.promotion, st.verdict, st.rolledBack])).toStrictEqual([[1, 'moved', 'passed', true], [2, 'moved', 'failed', true]]);
      const stagingB = { 'stg-eu-1': candidates.b['stg-eu-1'], 'stg-eu-2': candidates.b['stg-eu-2'], 'stg-us-1': candidates.b['stg-us-1'] };
      expect(await followedTags(releaseB)).toStrictEqual({ 'prod-ap-1': candidates.a['prod-ap-1'], 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': candidates.a['prod-us-1'], ...stagingB });
    } finally {
      delete process.env.FLUX_FLEET_TEST_FORGE_TOKEN;
      await stop();
    }
  }, SLOW);

  test('fails to promote wave 2 while prod-us-1 lacks B\'s candidate; the push the refusal advises restores it and moves no other tag', async () => {
    // GIVEN B's candidate lost from America's registry
    const prodUs = releaseB.clusters.find((c) => c.name === 'prod-us-1')!;
    expect(await deleteManifest(prodUs.url, candidates.b['prod-us-1'])).toBe(202);
    // WHEN
    const refused = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '2', '--revision', REV_B, ...gate());
    const before = await followedTags(releaseB);
    const advice = /push that revision first, holding every followed tag: flux-fleet (push b --registry --revision \S+ --hold-tags)/.exec(refused.stderr)![1].split(' ');
    const followed = await cli(...advice, ...gate());
    const after = await followedTags(releaseB);
    const promoted = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '2', '--revision', REV_B, ...gate());
    // THEN
    expect(refused.code).toBe(EXIT.errors);
    expect(advice).toStrictEqual(['push', 'b', '--registry', '--revision', REV_B, '--hold-tags']);
    expect(followed.code).toBe(EXIT.ok);
    expect(after).toStrictEqual(before);
    expect(await digestAt(prodUs.url, candidateTag(REV_B))).toBe(candidates.b['prod-us-1']);
    expect(promoted.code).toBe(EXIT.ok);
    expect(await digestAt(prodUs.url, 'stable-wave-2')).toBe(candidates.b['prod-us-1']);
  }, SLOW);

  test('fails verify-release when one region loses the web team\'s manifests, naming exactly that reference', async () => {
    // GIVEN revision B resolves everywhere
    const before = await cli('verify-release', 'b', '--revision', REV_B, ...aliases(), '--trusted-root', 'sigstore-root.json');
    // WHEN the copy in Asia is deleted (registry API)
    const copy = `oci://${HOST['ap-southeast-1']}/fleet/apps/web-shop`;
    expect(await deleteManifest(copy, published['web-shop'])).toBe(202);
    const after = await cli('verify-release', 'b', '--revision', REV_B, ...aliases(), '--trusted-root', 'sigstore-root.json');
    // THEN
    expect(before.code).toBe(EXIT.ok);
    expect(after.code).toBe(EXIT.errors);
    expect(after.stdout.trim().split('\n').filter((l) => l.startsWith('dangling '))).toStrictEqual([
      `dangling prod-ap-1 OCIRepository/team-web/apps-web-shop: ${copy} digest ${published['web-shop']}: the pinned digest is not there`,
    ]);
  }, SLOW);
});
