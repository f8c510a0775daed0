import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateTag, Destinations, generateSigningKey, publicKeyPem, type RolloutReport } from '../../src/delivery/index.js';
import { EXIT } from '../../src/frontends/cli/index.js';
import { Bootstrap, ComponentSource, FLUX_OPERATOR_VERSION, Fleet, FluxApp, HealthReport, Registry, Signing } from '../../src/index.js';
import { readReleaseManifest, type ReleaseManifest } from '../../src/output/index.js';
import { runCli, type CliResult } from '../support/cli-run.js';
import { ClusterSimulator, type ClusterFault } from '../support/cluster-simulator.js';
import { publishChart } from '../support/example-upstream.js';
import { TestForge } from '../support/forge.js';
import { TestRegistry } from '../support/registry.js';

/*
 * `flux-fleet rollout` and `promote --require-healthy` end to end: a fleet (staging; production in two waves, three
 * regions, wave 2 waiting for a person's approval, a soak of 2 s) signed with a key and pushed with `flux-fleet push`
 * to a real registry; production first promoted to revision 1 wave by wave; revision 2 pushed (staging follows it);
 * then the clusters played by the cluster simulator, reconciling every 150 ms and reporting to a loopback forge whose
 * statuses carry the real time, while the command line rolls revision 2 out.
 */

const HOSTS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'].map((r) => `123456789012.dkr.ecr.${r}.amazonaws.com`);
const SHA = ['1', '2'].map((d) => d.repeat(40));
const R1 = `main@sha1:${SHA[0]}`;
const R2 = `main@sha1:${SHA[1]}`;
const TOKEN = 'forge-token-of-ci';
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
const SLOW = 180_000;

let dir: string;
let registry: TestRegistry;
let release2: ReleaseManifest;
const key = generateSigningKey();

/** The Flux Operator chart, mirrored into the fleet's registry and signed with the fleet's key. */
const OPERATOR_CHART = `oci://${HOSTS[0]}/mirror/flux-operator`;

function buildFleet(outdir: string, baseDir: string, report = true): void {
  const app = new FluxApp({ outdir });
  const signing = Signing.cosignKey({ secretName: 'fleet-cosign', publicKey: publicKeyPem(key.publicKey) });
  const fleet = new Fleet(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing,
    flux: { bootstrap: Bootstrap.operator({ chartUrl: OPERATOR_CHART, chartSigning: signing }) },
    ...(report ? { rollout: { report: HealthReport.githubCommitStatus({ repository: 'acme/fleet', tokenSecret: 'flux-fleet-status-token' }) } } : {}),
    baseDir,
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const prod = fleet.addEnvironment('production', {
    channel: 'stable',
    rollout: { soak: '2s', progressDeadline: '30s', maxFailures: 0, approval: [2] },
  });
  staging.addCluster('stg-eu-1', { region: 'eu-west-1' });
  prod.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 1 });
  prod.addCluster('prod-us-1', { region: 'us-east-1', wave: 2 });
  prod.addCluster('prod-ap-1', { region: 'ap-southeast-1', wave: 2 });
  fleet.addComponent('infra-controllers', { source: ComponentSource.folder('./infra'), path: './controllers', wait: true });
  app.synth();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-rollout-'));
  registry = await TestRegistry.start();
  writeFileSync(join(dir, 'cosign.key'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  buildFleet(join(dir, 'r1'), EXAMPLE);
  // Revision 2 changes the infra folder, so every cluster's config changes.
  const base = join(dir, 'fleet-r2');
  cpSync(join(EXAMPLE, 'infra'), join(base, 'infra'), { recursive: true });
  const limits = join(base, 'infra', 'configs', 'limits.yaml');
  writeFileSync(limits, readFileSync(limits, 'utf8').replace(/\n$/, '\n# revision 2\n'));
  buildFleet(join(dir, 'r2'), base);
  buildFleet(join(dir, 'unreported'), EXAMPLE, false);
  const destinations = new Destinations({ hostAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])) });
  try {
    await publishChart(destinations, OPERATOR_CHART, FLUX_OPERATOR_VERSION);
  } finally {
    destinations.close();
  }
  const signed = await cli(['sign', `${OPERATOR_CHART}:${FLUX_OPERATOR_VERSION}`, '--key', 'cosign.key', ...aliases()]);
  expect(signed.code).toBe(EXIT.ok);
  for (const [tree, revision] of [['r1', R1], ['r2', R2]]) {
    // One repository at a time: the three regions' hosts are one registry here, so their shared artifacts would
    // otherwise be uploaded to one repository at once.
    const pushed = await cli(['push', tree, '--registry', ...aliases(), '--revision', revision, '--source', 'https://github.com/acme/fleet', '--sign', '--key', 'cosign.key',
      '--lease-settle', '200', '--concurrency', '1']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(EXIT.ok);
  }
  release2 = await readReleaseManifest(join(dir, 'r2'));
}, 300_000);

afterAll(async () => {
  await registry.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Production back on revision 1 (promoted ungated, as before any rollout), so that -previous holds revision 1 once 2 moves. */
beforeEach(async () => {
  for (const wave of ['1', '2']) {
    const back = await cli(['promote', 'r1', '--registry', ...aliases(), '--environment', 'production', '--wave', wave, '--revision', R1, '--lease-settle', '200']);
    expect(back.stderr).toBe('');
  }
}, SLOW);

function aliases(): string[] {
  return ['--host-alias', HOSTS.map((h) => `${h}=${registry.host}`).join(',')];
}

function cli(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(dir, argv, env);
}

/** A forge (statuses stamped with the real time) and the clusters reconciling every 150 ms until stopped. */
async function world(faults: Record<string, ClusterFault> = {}) {
  const forge = await TestForge.start({ token: TOKEN, now: Date.now });
  forge.addCommits('acme/fleet', ...SHA);
  const sim = new ClusterSimulator({
    tree: join(dir, 'r2'),
    registryAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])),
    forgeUrls: { 'github.com': forge.githubUrl },
    tokens: { 'flux-fleet-status-token': TOKEN },
    faults: { ...faults },
  });
  const stopReconciling = sim.reconcileEvery(150);
  return {
    forge,
    sim,
    stop: async () => {
      await stopReconciling();
      await forge.stop();
    },
  };
}

function rollout(forge: TestForge, ...args: string[]) {
  return cli(['rollout', 'r2', '--registry', ...aliases(), '--environment', 'production', '--revision', R2, '--forge-url', `github.com=${forge.githubUrl}`,
    '--poll', '200ms', '--lease-settle', '200', ...args], { GITHUB_TOKEN: TOKEN });
}

/** Which revision each production cluster's followed tag points at: 1, 2, or what else. */
async function production(): Promise<Record<string, string>> {
  const destinations = new Destinations({ hostAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])) });
  try {
    const out: Record<string, string> = {};
    for (const c of release2.clusters.filter((x) => x.environment === 'production')) {
      const repo = destinations.repository(c.url);
      const [at, one, two] = await Promise.all([c.tag!, candidateTag(R1), candidateTag(R2)].map((tag) => repo.fetchManifest(tag)));
      out[c.name] = at?.digest === one?.digest ? '1' : at?.digest === two?.digest ? '2' : `other ${at?.digest}`;
    }
    return out;
  } finally {
    destinations.close();
  }
}

function reportOf(file: string): RolloutReport {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as RolloutReport;
}

describe('flux-fleet rollout', () => {
  test('all healthy: staging, then wave 1 moves, soaks, then wave 2 moves, each after the soak; the report says when', async () => {
    // GIVEN
    const w = await world();
    try {
      // WHEN
      const out = await rollout(w.forge, '--approve-wave', '2', '--report', 'all-healthy.json');
      // THEN
      expect(out.stderr).toBe('');
      expect(out.code).toBe(EXIT.ok);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '2', 'prod-eu-1': '2', 'prod-us-1': '2' });
      const report = reportOf('all-healthy.json');
      expect(report.outcome).toBe('complete');
      expect(report.settings).toStrictEqual({ soakMs: 2000, progressDeadlineMs: 30_000, maxFailures: 0, approval: [2], promotedFrom: 'staging' });
      expect(report.stages.map((s) => [s.wave, s.clusters, s.promotion, s.tagsMoved, s.verdict, s.rolledBack])).toStrictEqual([
        [1, ['prod-eu-1'], 'moved', 1, 'passed', false],
        [2, ['prod-ap-1', 'prod-us-1'], 'moved', 2, 'passed', false],
      ]);
      // Wave 2 moved only once wave 1's cluster had reported healthy on revision 2 for the soak.
      const [wave1, wave2] = report.stages;
      const firstHealthy = w.forge.statusesOf('acme/fleet', SHA[1]).find((s) => s.context === 'flux-fleet/prod-eu-1' && s.state === 'success')!;
      expect(Date.parse(wave2.movedAt!) - Date.parse(firstHealthy.createdAt)).toBeGreaterThanOrEqual(2000);
      expect(Date.parse(wave1.passedAt!) - Date.parse(firstHealthy.createdAt)).toBeGreaterThanOrEqual(2000);
      // Live progress, in order.
      const lines = out.stdout.split('\n').filter(Boolean).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
      const waiting = /^(production wave \d|staging \(which production is promoted from\)): \d+\/\d+ healthy/;
      expect(lines.filter((l) => !waiting.test(l))).toStrictEqual([
        expect.stringMatching(/^staging \(which production is promoted from\) passed: 1\/1 healthy for the soak/),
        `promoting production wave 1 to ${R2}`,
        `production wave 1: 1 tag moved to ${R2}`,
        expect.stringMatching(/^production wave 1 passed: 1\/1 healthy for the soak/),
        `promoting production wave 2 to ${R2}`,
        `production wave 2: 2 tags moved to ${R2}`,
        expect.stringMatching(/^production wave 2 passed: 2\/2 healthy for the soak/),
        expect.stringMatching(/^rolled out: production rolled out to main@sha1:2{40}: every wave passed/),
      ]);
      expect(out.stdout).toMatch(/production wave 1: 0\/1 healthy for the soak, 1 soaking/);
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('one cluster of wave 1 fails: wave 2 never moves; run again with --rollback-on-failure, wave 1 returns to revision 1', async () => {
    // GIVEN
    const w = await world({ 'prod-eu-1': 'fail' });
    try {
      // WHEN
      const failed = await rollout(w.forge, '--approve-wave', '2', '--report', 'failed.json');
      const after = await production();
      const rolledBack = await rollout(w.forge, '--approve-wave', '2', '--rollback-on-failure', '--report', 'rolled-back.json');
      // THEN
      expect(failed.code).toBe(EXIT.errors);
      expect(failed.stderr).toMatch(/^rollout failed: production wave 1 did not pass on 2{40}: 0\/1 healthy for the soak, 0 soaking, 1 failing \(at most 0 tolerated\), 0 waiting; failing: prod-eu-1 \(health check failed\); the waves on main@sha1:2{40} stay there/);
      expect(after).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '2', 'prod-us-1': '1' });
      expect(reportOf('failed.json').stages.map((s) => [s.wave, s.promotion, s.verdict])).toStrictEqual([[1, 'moved', 'failed'], [2, 'not-moved', undefined]]);
      expect(rolledBack.code).toBe(EXIT.errors);
      expect(rolledBack.stderr).toContain('rolled back production wave 1');
      expect(rolledBack.stdout).toContain('production wave 1 already points at');
      expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '1', 'prod-us-1': '1' });
      expect(reportOf('rolled-back.json').stages.map((s) => [s.wave, s.promotion, s.rolledBack])).toStrictEqual([[1, 'already', true], [2, 'not-moved', false]]);
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('a failure in wave 2 with --rollback-on-failure rolls back both waves, last first', async () => {
    // GIVEN
    const w = await world({ 'prod-us-1': 'fail' });
    try {
      // WHEN
      const out = await rollout(w.forge, '--approve-wave', '2', '--rollback-on-failure');
      // THEN
      expect(out.code).toBe(EXIT.errors);
      expect(out.stderr).toMatch(/production wave 2 did not pass .* failing: prod-us-1 \(health check failed\);.*; rolled back production wave 2, production wave 1$/m);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '1', 'prod-us-1': '1' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('reports for an older revision do not count: a cluster stuck on revision 1 keeps wave 2 from moving until the deadline', async () => {
    // GIVEN prod-eu-1 has pulled revision 1 and stays there, reporting healthy on it
    const w = await world({ 'prod-eu-1': 'stuck' });
    try {
      await w.sim.reconcile();
      // WHEN
      const out = await rollout(w.forge, '--approve-wave', '2', '--progress-deadline', '4s');
      // THEN
      expect(w.forge.statusesOf('acme/fleet', SHA[0]).some((s) => s.context === 'flux-fleet/prod-eu-1' && s.state === 'success')).toBe(true);
      expect(out.code).toBe(EXIT.errors);
      expect(out.stderr).toMatch(/production wave 1 did not pass on 2{40}: the progress deadline \(4 s\) passed: 0\/1 healthy .* waiting for: prod-eu-1 \(still on 111111111111\)/);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '2', 'prod-us-1': '1' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('a silent cluster hits the deadline, and the rollout stops', async () => {
    // GIVEN
    const w = await world({ 'prod-eu-1': 'silent' });
    try {
      // WHEN
      const started = Date.now();
      const out = await rollout(w.forge, '--approve-wave', '2', '--progress-deadline', '3s', '--report', 'silent.json');
      // THEN
      expect(out.code).toBe(EXIT.errors);
      expect(out.stderr).toMatch(/the progress deadline \(3 s\) passed: .* waiting for: prod-eu-1 \(no report found\)/);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(reportOf('silent.json').stages[0].health).toStrictEqual([
        { name: 'prod-eu-1', environment: 'production', region: 'eu-west-1', wave: 1, state: 'unknown', description: 'no report found' },
      ]);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '2', 'prod-us-1': '1' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('the forge rate-limits and fails for a while: the reads are retried, bounded, and the rollout completes', async () => {
    // GIVEN the first reads of the statuses rate-limited, then failing with 502
    const w = await world();
    try {
      let reads = 0;
      w.forge.fault(({ method, kind }) => {
        if (method !== 'GET' || kind !== 'combined') return undefined;
        reads++;
        if (reads === 1) return { kind: 'rate-limit', seconds: 1 };
        if (reads === 2) return { kind: 'rate-limit', seconds: 1, retryAfter: true };
        if (reads <= 5) return { kind: 'error', status: 502 };
        return undefined;
      });
      // WHEN
      const out = await rollout(w.forge, '--approve-wave', '2');
      // THEN
      expect(out.code).toBe(EXIT.ok);
      expect(w.forge.log.filter((l) => l.path.endsWith('/status')).slice(0, 6).map((l) => l.status)).toStrictEqual([403, 429, 502, 502, 502, 200]);
      expect(w.forge.log.every((l) => l.method === 'POST' || l.authorized)).toBe(true);
      // A read a poll (one page for these few clusters), 200 ms apart, over a rollout of some seconds.
      expect(w.forge.requests.get('GET combined')).toBeLessThan(200);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '2', 'prod-eu-1': '2', 'prod-us-1': '2' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('fails when another rollout holds the environment: of two at once, one refuses, naming the holder', async () => {
    // GIVEN
    const w = await world();
    try {
      // WHEN
      const [a, b] = await Promise.all([
        rollout(w.forge, '--until-wave', '1'),
        new Promise((resolve) => setTimeout(resolve, 100)).then(() => rollout(w.forge, '--until-wave', '1')),
      ]);
      // THEN
      const outcomes = [a, b].map((r) => r.code).sort();
      expect(outcomes).toStrictEqual([EXIT.ok, EXIT.errors]);
      const refused = a.code === EXIT.errors ? a : b;
      expect(refused.stderr).toMatch(/production is held by .+ \(roll out production to main@sha1:2{40}\) since/);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '2', 'prod-us-1': '1' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('a wave that needs approval stops the rollout with exit 3; run again with the approval, it resumes at that wave', async () => {
    // GIVEN
    const w = await world();
    try {
      // WHEN
      const first = await rollout(w.forge, '--report', 'first.json');
      const between = await production();
      const second = await rollout(w.forge, '--approve-wave', '2', '--report', 'second.json');
      // THEN
      expect(first.code).toBe(EXIT.waiting);
      expect(first.stdout).toContain('rollout waiting for approval: production wave 2 waits for a person\'s approval: the waves before it passed; run again with --approve-wave 2 once approved');
      expect(between).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '2', 'prod-us-1': '1' });
      expect(reportOf('first.json')).toMatchObject({ outcome: 'awaiting-approval', awaitingWave: 2 });
      expect(second.code).toBe(EXIT.ok);
      expect(reportOf('second.json').stages.map((s) => [s.wave, s.promotion, s.tagsMoved, s.verdict])).toStrictEqual([[1, 'already', 0, 'passed'], [2, 'moved', 2, 'passed']]);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '2', 'prod-eu-1': '2', 'prod-us-1': '2' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('fails when a cluster cannot be gated: refused before anything, naming every such cluster', async () => {
    // WHEN
    const out = await cli(['rollout', 'unreported', '--registry', ...aliases(), '--environment', 'production', '--revision', R2]);
    // THEN
    expect(out.code).toBe(EXIT.errors);
    expect(out.stderr).toContain('stg-eu-1 cannot gate the rollout of production: it declares no health report (set rollout.report on the fleet or its environment)');
    expect(out.stderr).toContain('prod-eu-1 cannot gate the rollout of production');
    expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '1', 'prod-us-1': '1' });
  }, SLOW);
});

/** Waits until `cluster` has reported on revision 2. */
async function reported(forge: TestForge, cluster: string): Promise<void> {
  while (!forge.statusesOf('acme/fleet', SHA[1]).some((s) => s.context === `flux-fleet/${cluster}`)) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('flux-fleet promote --require-healthy', () => {
  function promote(forge: TestForge, wave: string, ...args: string[]) {
    return cli(['promote', 'r2', '--registry', ...aliases(), '--environment', 'production', '--wave', wave, '--revision', R2, '--require-healthy',
      '--forge-url', `github.com=${forge.githubUrl}`, '--lease-settle', '200', ...args], { GITHUB_TOKEN: TOKEN });
  }

  test('moves wave 2 only once wave 1 reports healthy on the revision for the soak; refuses before, moving nothing', async () => {
    // GIVEN wave 1 on revision 2, once staging reported healthy on it
    const w = await world();
    try {
      await reported(w.forge, 'stg-eu-1');
      const wave1 = await promote(w.forge, '1', '--soak', '0s');
      expect(wave1.stderr).toBe('');
      expect(wave1.code).toBe(EXIT.ok);
      // WHEN wave 2 is asked for before wave 1 could soak for a minute, and then with a soak it has had
      const early = await promote(w.forge, '2', '--soak', '1m');
      await reported(w.forge, 'prod-eu-1');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const soaked = await promote(w.forge, '2', '--soak', '1s');
      // THEN
      expect(early.code).toBe(EXIT.errors);
      expect(early.stderr).toMatch(/production wave 1 is not healthy for the soak yet on 2{40}: 0\/1 healthy for the soak/);
      expect(soaked.stderr).toBe('');
      expect(soaked.code).toBe(EXIT.ok);
      expect(await production()).toStrictEqual({ 'prod-ap-1': '2', 'prod-eu-1': '2', 'prod-us-1': '2' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('fails when an earlier cluster fails, or wave 1 is asked for while staging is not healthy on the revision', async () => {
    // GIVEN staging silent, then prod-eu-1 failing
    const w = await world({ 'stg-eu-1': 'silent', 'prod-eu-1': 'fail' });
    try {
      // WHEN
      const wave1 = await promote(w.forge, '1', '--dry-run');
      const moved = await cli(['promote', 'r2', '--registry', ...aliases(), '--environment', 'production', '--wave', '1', '--revision', R2, '--lease-settle', '200']);
      await reported(w.forge, 'prod-eu-1');
      const wave2 = await promote(w.forge, '2', '--soak', '0s');
      // THEN
      expect(wave1.code).toBe(EXIT.errors);
      expect(wave1.stderr).toContain('staging (which production is promoted from) is not healthy for the soak yet on 2222222222222222222222222222222222222222: 0/1 healthy for the soak, 0 soaking, 0 failing (at most 0 tolerated), 1 waiting; waiting for: stg-eu-1');
      expect(moved.code).toBe(EXIT.ok);
      expect(wave2.code).toBe(EXIT.errors);
      expect(wave2.stderr).toContain('production wave 1 fails on 2222222222222222222222222222222222222222: 0/1 healthy for the soak, 0 soaking, 1 failing (at most 0 tolerated), 0 waiting; failing: prod-eu-1 (health check failed)');
      expect(await production()).toStrictEqual({ 'prod-ap-1': '1', 'prod-eu-1': '2', 'prod-us-1': '1' });
    } finally {
      await w.stop();
    }
  }, SLOW);

  test('fails when a cluster cannot be gated, naming it, before anything moves', async () => {
    // WHEN
    const out = await cli(['promote', 'unreported', '--registry', ...aliases(), '--environment', 'production', '--wave', '2', '--revision', R2, '--require-healthy']);
    // THEN
    expect(out.code).toBe(EXIT.errors);
    expect(out.stderr).toContain('prod-eu-1 cannot gate the promotion of production wave 2: it declares no health report');
    expect(out.stderr).toContain('prod-us-1 cannot gate the promotion of production wave 2');
  });
});
