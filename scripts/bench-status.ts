/**
 * `flux-fleet status` over 1,000 clusters: a fleet of 1,000 clusters reporting to a loopback forge (the test forge of
 * test/support/forge.ts, speaking GitHub's commit-status API), read through the command line. Prints the requests
 * made and the time, for three cases: every cluster reported on the revision; a tenth of them still on the commit
 * before (read from its history); and the forge rate-limiting the first read for a second. The statuses are posted
 * as each cluster's notification-controller would (one per cluster, named `flux-fleet/<cluster>`).
 *
 *   npx tsx scripts/bench-status.ts [clusters]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/frontends/cli/index.js';
import { Fleet, FluxApp, HealthReport, Registry } from '../src/index.js';
import { TestForge } from '../test/support/forge.js';

const CLUSTERS = Number(process.argv[2] ?? 1000);
const TOKEN = 'bench-token';
const [OLD, REV] = ['a', 'b'].map((c) => c.repeat(40));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-bench-status-'));
  const forge = await TestForge.start({ token: TOKEN });
  try {
    const app = new FluxApp({ outdir: join(dir, 'dist') });
    const fleet = new Fleet(app, 'bench', {
      registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
      rollout: { report: HealthReport.githubCommitStatus({ repository: 'acme/fleet', tokenSecret: 'status-token' }) },
    });
    const env = fleet.addEnvironment('staging', { channel: 'latest' });
    for (let i = 0; i < CLUSTERS; i++) env.addCluster(`c-${String(i).padStart(4, '0')}`, { region: 'eu-west-1' });
    app.synth();
    forge.addCommits('acme/fleet', OLD, REV);
    const post = async (sha: string, cluster: number) => {
      const res = await fetch(`${forge.githubUrl}/repos/acme/fleet/statuses/${sha}`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ state: 'success', context: `flux-fleet/c-${String(cluster).padStart(4, '0')}`, description: 'reconciliation succeeded' }),
      });
      if (res.status !== 201) throw new Error(`post answered ${res.status}`);
    };
    for (let i = 0; i < CLUSTERS; i++) await post(OLD, i);
    const lagging = Math.floor(CLUSTERS / 10);
    for (let i = lagging; i < CLUSTERS; i++) await post(REV, i);
    const measure = async (label: string) => {
      const before = forge.log.filter((l) => l.method === 'GET').length;
      let out = '';
      const started = process.hrtime.bigint();
      const code = await run(['status', join(dir, 'dist'), '--revision', REV, '--forge-url', `github.com=${forge.githubUrl}`, '--format', 'json'], {
        stdout: { write: (t: string) => { out += t; } }, stderr: { write: (t: string) => process.stderr.write(t) },
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const health = JSON.parse(out) as { requests: number; waves: Array<{ healthy: number; progressing: number }> };
      const requests = forge.log.filter((l) => l.method === 'GET').length - before;
      console.log(`${label}: exit ${code}, ${requests} requests (${(requests / (CLUSTERS / 100)).toFixed(2)} per 100 clusters), ${ms.toFixed(0)} ms; healthy ${health.waves[0].healthy}, progressing ${health.waves[0].progressing}`);
    };
    process.env.GITHUB_TOKEN = TOKEN;
    await measure(`${CLUSTERS} clusters, a tenth on the commit before`);
    for (let i = 0; i < lagging; i++) await post(REV, i);
    await measure(`${CLUSTERS} clusters, all on the revision`);
    let first = true;
    forge.fault(({ kind }) => {
      if (kind !== 'combined' || !first) return undefined;
      first = false;
      return { kind: 'rate-limit', seconds: 1, retryAfter: true };
    });
    await measure(`${CLUSTERS} clusters, the first read rate-limited for 1 s`);
  } finally {
    await forge.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
