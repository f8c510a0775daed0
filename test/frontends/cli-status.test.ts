import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../examples/fleet/app.js';
import { candidateTag, Destinations } from '../../src/delivery/index.js';
import { EXIT } from '../../src/frontends/cli/index.js';
import { ChartSource, ComponentSource, Fleet, FluxApp, HealthReport, Notification, Registry, Signing } from '../../src/index.js';
import { readReleaseManifest } from '../../src/output/index.js';
import { runCli, type CliResult } from '../support/cli-run.js';
import { ClusterSimulator } from '../support/cluster-simulator.js';
import { TestForge } from '../support/forge.js';
import { TestRegistry } from '../support/registry.js';

/*
 * The example fleet (six clusters, one on Flux 2.10 with plain Flux, production in two waves) pushed to a real
 * registry with `flux-fleet push`, its clusters' followed tags then pointed at the revision's candidates (as a
 * release does once its gates pass: what is checked here is what the clusters report, not the gates, which the
 * delivery tests cover with signed upstreams), played by the cluster simulator reporting to a loopback forge, and
 * read back with `flux-fleet status`.
 */

const HOSTS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'].map((r) => `123456789012.dkr.ecr.${r}.amazonaws.com`);
const SHA = ['0', '1', '2'].map((d) => d.repeat(40));
const R1 = `main@sha1:${SHA[1]}`;
const R2 = `main@sha1:${SHA[2]}`;
const TOKEN = 'forge-token-of-ci';
const EXAMPLE = fileURLToPath(new URL('../../examples/fleet', import.meta.url));

let dir: string;
let registry: TestRegistry;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-status-'));
  registry = await TestRegistry.start();
  buildApp(join(dir, 'r1')).synth();
  // Revision 2 changes the infra folder, so every cluster's config changes.
  const base = join(dir, 'fleet-r2');
  cpSync(join(EXAMPLE, 'infra'), join(base, 'infra'), { recursive: true });
  cpSync(join(EXAMPLE, 'flux-fleet.lock'), join(base, 'flux-fleet.lock'));
  writeFileSync(join(base, 'infra', 'configs', 'limits.yaml'), readFileSync(join(base, 'infra', 'configs', 'limits.yaml'), 'utf8').replace(/\n$/, '\n# revision 2\n'));
  buildApp(join(dir, 'r2'), base).synth();
  const pushed = await cli(['push', 'r1', '--registry', ...aliases(), '--revision', R1, '--source', 'https://github.com/acme/fleet', '--concurrency', '2', '--hold-tags']);
  expect(pushed.stderr).toBe('');
  expect(pushed.code).toBe(EXIT.ok);
  await follow('r1', R1);
}, 300_000);

afterAll(async () => {
  await registry.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

function aliases(): string[] {
  return ['--host-alias', HOSTS.map((h) => `${h}=${registry.host}`).join(',')];
}

/**
 * Points the followed tag of every cluster of the tree (or of the named ones) at the revision's candidate, the way a
 * push or promotion whose gates pass leaves them.
 */
async function follow(tree: string, revision: string, only?: string[]): Promise<void> {
  const release = await readReleaseManifest(join(dir, tree));
  const destinations = new Destinations({ hostAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])) });
  try {
    for (const cluster of release.clusters.filter((c) => only === undefined || only.includes(c.name))) {
      const repo = destinations.repository(cluster.url);
      const candidate = await repo.fetchManifest(candidateTag(revision));
      if (!candidate) throw new Error(`${cluster.name}: no candidate ${candidateTag(revision)}`);
      await repo.pushManifest(cluster.tag!, candidate.bytes, candidate.mediaType);
    }
  } finally {
    destinations.close();
  }
}

function cli(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(dir, argv, env);
}

/** A forge knowing the fleet repository's three commits, and a simulator of the tree's clusters reporting to it. */
async function world(faults: ConstructorParameters<typeof ClusterSimulator>[0]['faults'] = {}): Promise<{ forge: TestForge; sim: ClusterSimulator }> {
  const forge = await TestForge.start({ token: TOKEN });
  forge.addCommits('acme/fleet', ...SHA);
  const sim = new ClusterSimulator({
    tree: join(dir, 'r1'),
    registryAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])),
    forgeUrls: { 'github.com': forge.githubUrl },
    tokens: { 'flux-fleet-status-token': TOKEN },
    faults: { ...faults },
  });
  return { forge, sim };
}

async function status(forge: TestForge, ...args: string[]) {
  return cli(['status', 'r1', '--forge-url', `github.com=${forge.githubUrl}`, ...args], { GITHUB_TOKEN: TOKEN });
}

interface StatusJson {
  healthy: boolean;
  requests: number;
  clusters: Array<{ name: string; state: string; revision?: string; description?: string }>;
  waves: Array<{ environment: string; wave?: number; clusters: number; healthy: number; failing: number; progressing: number; unknown: number }>;
}

function states(out: string): Record<string, string> {
  const parsed = JSON.parse(out) as StatusJson;
  return Object.fromEntries(parsed.clusters.map((c) => [c.name, c.revision === undefined ? c.state : `${c.state} ${c.revision.slice(0, 1)}`]));
}

describe('flux-fleet status', () => {
  test('every cluster healthy on the revision: exit 0, per cluster and per wave, in one request', async () => {
    // GIVEN
    const { forge, sim } = await world();
    try {
      await sim.reconcile();
      // WHEN
      const json = await status(forge, '--revision', R1, '--format', 'json');
      const text = await status(forge, '--revision', SHA[1]);
      // THEN
      expect(sim.refused).toStrictEqual([]);
      expect(json.code).toBe(EXIT.ok);
      expect(states(json.stdout)).toStrictEqual({
        'prod-ap-1': 'healthy 1',
        'prod-eu-1': 'healthy 1',
        'prod-us-1': 'healthy 1',
        'stg-eu-1': 'healthy 1',
        'stg-eu-2': 'healthy 1',
        'stg-us-1': 'healthy 1',
      });
      const parsed = JSON.parse(json.stdout) as StatusJson;
      expect(parsed.requests).toBe(1);
      expect(parsed.waves).toStrictEqual([
        { environment: 'production', wave: 1, clusters: 1, healthy: 1, failing: 0, progressing: 0, unknown: 0 },
        { environment: 'production', wave: 2, clusters: 2, healthy: 2, failing: 0, progressing: 0, unknown: 0 },
        { environment: 'staging', clusters: 3, healthy: 3, failing: 0, progressing: 0, unknown: 0 },
      ]);
      expect(text.code).toBe(EXIT.ok);
      expect(text.stdout).toContain(`healthy: every one of 6 clusters reports healthy on ${SHA[1]}`);
      // What the clusters posted: one status each, named after the cluster, on the commit of the revision annotation.
      expect(forge.statusesOf('acme/fleet', SHA[1]).map((s) => `${s.context} ${s.state} ${s.description}`).sort()).toStrictEqual(
        ['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1'].map((c) => `flux-fleet/${c} success reconciliation succeeded`));
      // Reconciling again posts nothing new: the same state and description are not posted twice.
      await sim.reconcile();
      expect(forge.statusesOf('acme/fleet', SHA[1])).toHaveLength(6);
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('one failing cluster of wave 2: exit 1, the cluster failing with what it reported, the markdown table says so', async () => {
    // GIVEN
    const { forge, sim } = await world({ 'prod-us-1': 'fail' });
    try {
      await sim.reconcile();
      // WHEN
      const json = await status(forge, '--revision', R1, '--environment', 'production', '--format', 'json');
      const markdown = await status(forge, '--revision', R1, '--environment', 'production', '--wave', '2', '--format', 'markdown');
      const wave1 = await status(forge, '--revision', R1, '--environment', 'production', '--wave', '1');
      const html = await status(forge, '--revision', R1, '--environment', 'production', '--html', 'status.html');
      // THEN
      expect(json.code).toBe(EXIT.errors);
      expect(states(json.stdout)).toStrictEqual({ 'prod-ap-1': 'healthy 1', 'prod-eu-1': 'healthy 1', 'prod-us-1': 'failing 1' });
      expect((JSON.parse(json.stdout) as StatusJson).clusters.find((c) => c.name === 'prod-us-1')?.description).toBe('health check failed');
      expect(markdown.code).toBe(EXIT.errors);
      expect(markdown.stdout).toContain('**Not healthy**: 1 healthy, 1 failing, 0 progressing, 0 unknown');
      expect(markdown.stdout).toMatch(/\| prod-us-1 \| production \| 2 \| us-east-1 \| ❌ failing \| 111111111111 \| [^|]+ \| health check failed \|/);
      expect(wave1.code).toBe(EXIT.ok);
      // the tree's fleet.html, with what was read in its status element: production's clusters, by name
      expect(html.code).toBe(EXIT.errors);
      const page = readFileSync(join(dir, 'status.html'), 'utf8');
      expect(page.replace(/<script type="application\/json" id="fleet-status">[^<]*<\/script>/, '')).toBe(
        readFileSync(join(dir, 'r1', 'fleet.html'), 'utf8').replace('<script type="application/json" id="fleet-status">null</script>', ''));
      const snapshot = JSON.parse(/id="fleet-status">([^<]*)</.exec(page)![1]) as { revision: string; clusters: Record<string, unknown[]> };
      expect(snapshot.revision).toBe(SHA[1]);
      expect(Object.fromEntries(Object.entries(snapshot.clusters).map(([name, c]) => [name, [c[0], c[1], c[3]]]))).toStrictEqual({
        'prod-eu-1': ['healthy', SHA[1], 'reconciliation succeeded'],
        'prod-us-1': ['failing', SHA[1], 'health check failed'],
        'prod-ap-1': ['healthy', SHA[1], 'reconciliation succeeded'],
      });
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('a silent cluster is unknown, never healthy; a flapping one shows its newest report', async () => {
    // GIVEN
    const { forge, sim } = await world({ 'stg-eu-2': 'silent', 'prod-eu-1': 'flap' });
    try {
      await sim.reconcile();
      const first = await status(forge, '--revision', R1, '--format', 'json');
      await sim.reconcile();
      // WHEN
      const second = await status(forge, '--revision', R1, '--format', 'json');
      // THEN
      expect(first.code).toBe(EXIT.errors);
      expect(states(first.stdout)['stg-eu-2']).toBe('unknown');
      expect(states(first.stdout)['prod-eu-1']).toBe('failing 1');
      expect(states(second.stdout)['prod-eu-1']).toBe('healthy 1');
      expect(second.code).toBe(EXIT.errors);
      expect((JSON.parse(second.stdout) as StatusJson).clusters.find((c) => c.name === 'stg-eu-2')).toStrictEqual({
        name: 'stg-eu-2', environment: 'staging', region: 'eu-west-1', state: 'unknown', description: 'no report found',
      });
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('the forge rate-limits and fails for a while: waited out and retried, within a bounded number of requests', async () => {
    // GIVEN
    const { forge, sim } = await world();
    try {
      await sim.reconcile();
      let reads = 0;
      forge.fault(({ method, kind }) => {
        if (method !== 'GET' || kind !== 'combined') return undefined;
        reads++;
        if (reads === 1) return { kind: 'rate-limit', seconds: 1 };
        if (reads === 2) return { kind: 'rate-limit', seconds: 1, retryAfter: true };
        if (reads <= 4) return { kind: 'error', status: 502 };
        return undefined;
      });
      // WHEN
      const ok = await status(forge, '--revision', R1, '--format', 'json');
      // THEN
      expect(ok.code).toBe(EXIT.ok);
      expect((JSON.parse(ok.stdout) as StatusJson).requests).toBe(5);
      expect(forge.log.filter((l) => l.path.endsWith('/status')).map((l) => l.status)).toStrictEqual([403, 429, 502, 502, 200]);
      expect(forge.log.every((l) => l.method === 'POST' || l.authorized)).toBe(true);
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('fails when the forge keeps refusing: a long rate limit stops at once, a failing forge at the deadline', async () => {
    // GIVEN
    const { forge } = await world();
    try {
      forge.fault(({ method }) => (method === 'GET' ? { kind: 'rate-limit', seconds: 3600, retryAfter: true } : undefined));
      // WHEN
      const limited = await status(forge, '--revision', R1);
      forge.clearFaults();
      forge.fault(() => ({ kind: 'error', status: 503 }));
      const started = Date.now();
      const failing = await status(forge, '--revision', R1, '--deadline', '3');
      const took = Date.now() - started;
      forge.clearFaults();
      const unauthorized = await cli(['status', 'r1', '--forge-url', `github.com=${forge.githubUrl}`, '--revision', R1], { GITHUB_TOKEN: 'wrong' });
      // THEN
      expect(limited.code).toBe(EXIT.errors);
      expect(limited.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/fleet\/commits\/1{40}\/status is rate-limited for 3600 s more \(answered 429\)/);
      expect(failing.code).toBe(EXIT.errors);
      expect(failing.stderr).toMatch(/deadline passed|answered 503/);
      expect(took).toBeLessThan(20_000);
      expect(forge.requests.get('GET combined')).toBeLessThanOrEqual(1 + 7 + 7);
      expect(unauthorized.stderr).toContain('answered 401 (the token is missing, expired or not valid for this forge): Bad credentials');
      expect(unauthorized.stderr).not.toContain('wrong');
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('reports for an older revision do not count; a stuck cluster shows the revision it still runs', async () => {
    // GIVEN revision 1 reported everywhere, then revision 2 pushed (which moves staging's tags), but stg-us-1 is
    // stuck on revision 1 and production is not promoted
    const { forge, sim } = await world();
    try {
      await sim.reconcile();
      sim.setFault('stg-us-1', 'stuck');
      const pushed = await cli(['push', 'r2', '--registry', ...aliases(), '--revision', R2, '--source', 'https://github.com/acme/fleet', '--concurrency', '2', '--hold-tags']);
      expect(pushed.stderr).toBe('');
      expect(pushed.code).toBe(EXIT.ok);
      await follow('r2', R2, ['stg-eu-1', 'stg-eu-2', 'stg-us-1']);
      const r2 = new ClusterSimulator({
        tree: join(dir, 'r2'),
        registryAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])),
        forgeUrls: { 'github.com': forge.githubUrl },
        tokens: { 'flux-fleet-status-token': TOKEN },
        only: ['stg-eu-1', 'stg-eu-2'],
      });
      await r2.reconcile();
      await sim.reconcile();
      // WHEN
      const all = await status(forge, '--revision', R2, '--format', 'json');
      const noHistory = await status(forge, '--revision', R2, '--history', '0', '--format', 'json');
      const staging = await status(forge, '--revision', R2, '--environment', 'staging');
      // THEN
      expect(all.code).toBe(EXIT.errors);
      expect(states(all.stdout)).toStrictEqual({
        'prod-ap-1': 'progressing 1',
        'prod-eu-1': 'progressing 1',
        'prod-us-1': 'progressing 1',
        'stg-eu-1': 'healthy 2',
        'stg-eu-2': 'healthy 2',
        'stg-us-1': 'progressing 1',
      });
      expect(states(noHistory.stdout)).toStrictEqual({
        'prod-ap-1': 'unknown',
        'prod-eu-1': 'unknown',
        'prod-us-1': 'unknown',
        'stg-eu-1': 'healthy 2',
        'stg-eu-2': 'healthy 2',
        'stg-us-1': 'unknown',
      });
      expect(staging.code).toBe(EXIT.errors);
      expect(staging.stdout).toMatch(/stg-us-1 +staging +- +us-east-1 +progressing +111111111111 \(older\)/);
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('a cluster whose components still run the digests of the release before is not healthy until they applied the new ones; a sync without the expressions would report it healthy early', async () => {
    // GIVEN prod-eu-1's components still Ready at the release before (kustomize-controller has not reconciled their
    // new sources yet); and, reporting to a second forge, the same cluster from a tree whose sync health-checks them
    // as kstatus alone does
    const { forge, sim } = await world({ 'prod-eu-1': 'lagging' });
    const other = await world();
    cpSync(join(dir, 'r1'), join(dir, 'r1-kstatus'), { recursive: true });
    const syncFile = join(dir, 'r1-kstatus', 'clusters', 'prod-eu-1', 'flux-system', 'flux-system.yaml');
    const withoutExprs = readFileSync(syncFile, 'utf8').replace(/ {6}- patch: \|\n {10}- op: add\n {12}path: \/spec\/healthCheckExprs\n[^]*?(?= {6}- patch: )/, '');
    expect(withoutExprs).not.toContain('healthCheckExprs');
    writeFileSync(syncFile, withoutExprs);
    const kstatusOnly = new ClusterSimulator({
      tree: join(dir, 'r1-kstatus'),
      only: ['prod-eu-1'],
      registryAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])),
      forgeUrls: { 'github.com': other.forge.githubUrl },
      tokens: { 'flux-fleet-status-token': TOKEN },
      faults: { 'prod-eu-1': 'lagging' },
    });
    const wave1 = ['--revision', R1, '--environment', 'production', '--wave', '1', '--format', 'json'];
    try {
      // WHEN
      await sim.reconcile();
      const lagging = await status(forge, ...wave1);
      sim.setFault('prod-eu-1', undefined);
      await sim.reconcile();
      const applied = await status(forge, ...wave1);
      await kstatusOnly.reconcile();
      const early = await status(other.forge, ...wave1);
      // THEN
      expect(lagging.code).toBe(EXIT.errors);
      expect(states(lagging.stdout)).toStrictEqual({ 'prod-eu-1': 'unknown' });
      expect(applied.code).toBe(EXIT.ok);
      expect(states(applied.stdout)).toStrictEqual({ 'prod-eu-1': 'healthy 1' });
      expect(kstatusOnly.posted.map((p) => [p.context, p.state])).toStrictEqual([['flux-fleet/prod-eu-1', 'success']]);
      expect(states(early.stdout)).toStrictEqual({ 'prod-eu-1': 'healthy 1' });
    } finally {
      await forge.stop();
      await other.forge.stop();
    }
  }, 120_000);

  test('fails when the revision names no commit, the token would be an argument, or --html finds no fleet.html', async () => {
    // GIVEN a tree without its fleet.html
    cpSync(join(dir, 'r1'), join(dir, 'no-page'), { recursive: true });
    rmSync(join(dir, 'no-page', 'fleet.html'));
    // WHEN
    const noPage = await cli(['status', 'no-page', '--revision', R1, '--html', 'status.html'], { GITHUB_TOKEN: TOKEN });
    const notCommit = await cli(['status', 'r1', '--revision', 'v1.4.0']);
    const tokenArg = await cli(['status', 'r1', '--revision', R1, '--token-env', 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB-']);
    const wave = await cli(['status', 'r1', '--revision', R1, '--environment', 'staging', '--wave', '3']);
    // THEN
    expect(notCommit.code).toBe(EXIT.usage);
    expect(notCommit.stderr).toContain('revision "v1.4.0" names no commit');
    expect(tokenArg.code).toBe(EXIT.usage);
    expect(tokenArg.stderr).toContain('is not the name of an environment variable');
    expect(wave.code).toBe(EXIT.usage);
    expect(wave.stderr).toContain('no cluster of environment staging is in wave 3');
    expect(noPage.code).toBe(EXIT.usage);
    expect(noPage.stderr).toContain(`--html: ${JSON.stringify(join(dir, 'no-page'))} has no fleet.html: synthesize the fleet with the cdk8s FluxApp, which writes it`);
  });
});

describe('commit statuses the clusters post', () => {
  let tree: string;
  beforeAll(async () => {
    // A fleet with the commit-status notification beside the report: a packed component, a Helm component, GitLab.
    tree = join(dir, 'notify');
    const app = new FluxApp({ outdir: tree });
    const fleet = new Fleet(app, 'acme', {
      registry: Registry.ecr({ account: '123456789012', repository: 'notify' }),
      signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
      rollout: { report: HealthReport.gitlabCommitStatus({ project: 'acme/platform/fleet', host: 'gitlab.acme.io', tokenSecret: 'gitlab-status' }) },
      notifications: [Notification.githubCommitStatus({ repository: 'acme/fleet', secretName: 'github-status' })],
      baseDir: EXAMPLE,
    });
    const staging = fleet.addEnvironment('staging', { channel: 'latest' });
    staging.addCluster('stg-1', { region: 'eu-west-1' });
    const infra = fleet.addComponent('infra-controllers', { source: ComponentSource.folder('./infra'), path: './controllers', wait: true });
    fleet.addHelmComponent('podinfo', { chart: ChartSource.oci('oci://ghcr.io/stefanprodan/charts/podinfo', { version: '6.7.0', signing: Signing.none() }), dependsOn: [infra] });
    app.synth();
    expect((await cli(['push', 'notify', '--registry', ...aliases(), '--revision', R1, '--hold-tags'])).code).toBe(EXIT.ok);
    await follow('notify', R1);
  }, 120_000);

  function simulator(forge: TestForge): ClusterSimulator {
    return new ClusterSimulator({
      tree,
      registryAliases: Object.fromEntries(HOSTS.map((h) => [h, registry.host])),
      forgeUrls: { 'github.com': forge.githubUrl, 'gitlab.acme.io': forge.gitlabUrl },
      tokens: { 'github-status': TOKEN, 'gitlab-status': TOKEN },
    });
  }

  test('no event the Alerts select is refused: the sync and the Helm component carry the commit, the packed component is not selected', async () => {
    // GIVEN
    const forge = await TestForge.start({ token: TOKEN });
    forge.addCommits('acme/fleet', SHA[1]);
    forge.addCommits('acme/platform/fleet', SHA[1]);
    try {
      const sim = simulator(forge);
      // WHEN
      await sim.reconcile();
      const read = await cli(['status', 'notify', '--revision', R1, '--forge-url', `gitlab.acme.io=${forge.gitlabUrl}`, '--format', 'json'], { GITLAB_TOKEN: TOKEN });
      // THEN
      expect(sim.refused).toStrictEqual([]);
      expect(forge.statusesOf('acme/fleet', SHA[1]).map((s) => s.context).sort()).toStrictEqual(['kustomization/flux-system/stg-1', 'kustomization/podinfo/stg-1']);
      expect(forge.statusesOf('acme/platform/fleet', SHA[1]).map((s) => `${s.context} ${s.state}`)).toStrictEqual(['flux-fleet/stg-1 success']);
      expect(read.code).toBe(EXIT.ok);
      expect(states(read.stdout)).toStrictEqual({ 'stg-1': 'healthy 1' });
    } finally {
      await forge.stop();
    }
  }, 120_000);

  test('an Alert selecting every Kustomization (as before) has the component\'s events refused', async () => {
    // GIVEN the notification's Alert rewritten to select every Kustomization
    const file = join(tree, 'clusters', 'stg-1', 'notifications.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace(/eventSources:\n(    - kind: Kustomization\n      name: [a-z-]+\n)+/, 'eventSources:\n    - kind: Kustomization\n      name: "*"\n'));
    const forge = await TestForge.start({ token: TOKEN });
    forge.addCommits('acme/fleet', SHA[1]);
    forge.addCommits('acme/platform/fleet', SHA[1]);
    try {
      const sim = simulator(forge);
      // WHEN
      await sim.reconcile();
      // THEN
      expect(sim.refused.map((r) => `${r.object}: ${r.message.replace(/[0-9a-f]{64}/, '<digest>')}`)).toStrictEqual([
        'Kustomization/flux-system/infra-controllers: failed to extract commit hash from \'sha256:<digest>\' revision',
      ]);
    } finally {
      writeFileSync(file, original);
      await forge.stop();
    }
  }, 120_000);
});
