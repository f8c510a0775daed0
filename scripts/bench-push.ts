/**
 * Push benchmark: the fleet of scripts/bench.ts (scripts/bench-fleet.ts), synthesized through the public API (so
 * release.json and the packed folder under artifacts/ are the real ones), pushed to local registries, one per region
 * of the fleet (Debian's `docker-registry` on loopback ports, as the tests start them, reached through host aliases
 * of the fleet's ECR hosts). Three pushes:
 *
 * 1. the first push of revision A;
 * 2. the same revision again, unchanged: nothing may be uploaded (no blob, no manifest);
 * 3. revision B, after one component's values changed for the clusters of one region (and a re-synth): blobs may be
 *    uploaded only for the clusters whose artifact changed; every cluster gets B's candidate tag (a manifest put of
 *    content the registry holds).
 *
 * A fifth of the clusters are staging, the rest production in three waves; the push holds every followed tag (moving
 * staging's first verifies everything its clusters pull, charts included, which the bench publishes nowhere): it puts
 * every cluster's candidate, and the packed `infra` folder once per region under its content tag.
 *
 * Usage: tsx scripts/bench-push.ts [--clusters=1000] [--concurrency=8] [--keep] [--source]
 *
 * flux-fleet is measured compiled by tsc, as a program using the package runs it (the script compiles itself first);
 * `--source` measures the TypeScript sources through tsx.
 *
 * Prints, for each push: the artifacts pushed, the requests the registries answered (from their access logs) in all
 * and per artifact, manifests put, blob uploads, blobs sent and found, bytes sent, wall time, and the CPU time of the
 * client beside that of the registry processes (the client must not be the bottleneck). The checks are printed as
 * PASS/FAIL lines; the exit code is 1 when one fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildFleetApp, REGIONS, type BenchChange } from './bench-fleet.js';
import { runCompiled } from './compiled.js';
import { Destinations, parseRevision, pushRelease, type ReleasePushReport } from '../src/delivery/index.js';
import { formatSize } from '../src/flux/artifact/digest.js';
import { readReleaseManifest } from '../src/output/index.js';
import { TestRegistry, type RegistryRequest } from '../test/support/registry.js';

/** The change before the third push: a chart's values on one region's clusters. */
const CHANGE: BenchChange = { component: 'chart-3', region: REGIONS[1] };
const REVISION_A = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const REVISION_B = 'main@sha1:89abcdef0123456789abcdef0123456789abcdef';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} needs a positive whole number`);
    process.exit(2);
  }
  return value;
}

interface Figures {
  readonly artifacts: number;
  readonly requests: number;
  readonly manifestPuts: number;
  /** Blob uploads started (POST .../blobs/uploads/, a mount included). */
  readonly blobUploads: number;
  readonly blobsSent: number;
  readonly blobsFound: number;
  readonly bytesSent: number;
  readonly seconds: number;
  readonly clientCpu: number;
  readonly registryCpu: number;
  readonly load: number;
}

/** What the registries and the client measured of one push. */
interface Measured {
  readonly requests: readonly RegistryRequest[];
  readonly seconds: number;
  readonly clientCpu: number;
  readonly registryCpu: number;
  readonly load: number;
}

function figures(report: ReleasePushReport, { requests, seconds, clientCpu, registryCpu, load }: Measured): Figures {
  const all = [...report.components, ...report.clusters];
  return {
    artifacts: all.length,
    requests: requests.length,
    manifestPuts: requests.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).length,
    blobUploads: requests.filter((r) => r.method === 'POST' && r.path.includes('/blobs/uploads/')).length,
    blobsSent: all.reduce((n, p) => n + p.uploaded + p.mounted, 0),
    blobsFound: all.reduce((n, p) => n + p.existing, 0),
    bytesSent: all.reduce((n, p) => n + p.bytesUploaded, 0),
    seconds,
    clientCpu,
    registryCpu,
    load,
  };
}

async function main(): Promise<number> {
  const count = option('clusters', 1000);
  const concurrency = option('concurrency', 8);
  const keep = process.argv.includes('--keep');
  const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-bench-push-'));
  const tree = join(dir, 'dist');
  const started = performance.now();
  buildFleetApp(count, tree).app.synth();
  const release = await readReleaseManifest(tree);
  const generated = (performance.now() - started) / 1000;
  // One registry per region, standing in for every host of that region's clusters and artifacts.
  const hostsByRegion = new Map<string, Set<string>>();
  const add = (region: string, url: string) => {
    const host = url.slice('oci://'.length).split('/')[0];
    if (!hostsByRegion.has(region)) hostsByRegion.set(region, new Set());
    hostsByRegion.get(region)!.add(host);
  };
  for (const c of release.clusters) add(c.region, c.url);
  for (const a of release.artifacts) for (const t of a.targets) add(t.region, t.url);
  const regions = [...hostsByRegion.keys()].sort();
  const registries = await Promise.all(regions.map(() => TestRegistry.start(undefined, { accessLog: true })));
  const destinations = new Destinations({
    hostAliases: Object.fromEntries(regions.flatMap((r, i) => [...hostsByRegion.get(r)!].map((host) => [host, registries[i].host]))),
  });
  const registryCpu = () => registries.reduce((s, r) => s + r.cpuSeconds(), 0);
  // Each registry's requests so far. A registry logs a request once it has answered it: the logs are read once no line
  // came for a second.
  const settled = async (): Promise<RegistryRequest[][]> => {
    for (let last = -1; ;) {
      const logs = registries.map((r) => r.requests());
      const n = logs.reduce((sum, l) => sum + l.length, 0);
      if (n === last) return logs;
      last = n;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const push = async (label: string, revision: string): Promise<[string, Figures, ReleasePushReport]> => {
    const current = await readReleaseManifest(tree);
    const before = (await settled()).map((log) => log.length);
    const cpu0 = registryCpu();
    const load = loadavg()[0];
    const client = process.cpuUsage();
    const t0 = performance.now();
    // Holding every followed tag: moving staging's would first verify what every staging cluster pulls, and the
    // bench's charts are published nowhere.
    const report = await pushRelease(tree, current, { destinations, revision: parseRevision(revision), concurrency, holdTags: true });
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(client);
    if (report.failed.length > 0) {
      console.error(`${label}: ${report.failed.length} failed, e.g. ${report.failed[0].error.message}`);
      process.exit(1);
    }
    const requests = (await settled()).flatMap((log, i) => log.slice(before[i]));
    const clientCpu = (used.user + used.system) / 1e6;
    return [label, figures(report, { requests, seconds, clientCpu, registryCpu: registryCpu() - cpu0, load }), report];
  };
  try {
    console.log(`release: ${release.clusters.length} clusters, ${release.artifacts.length} component artifact(s), ${regions.length} regions ` +
      `(synthesized in ${generated.toFixed(1)} s); concurrency ${concurrency}`);
    const first = await push('first push', REVISION_A);
    const again = await push('unchanged re-push', REVISION_A);
    buildFleetApp(count, tree, CHANGE).app.synth();
    const changed = await push(`${CHANGE.component} changed in ${CHANGE.region}`, REVISION_B);
    const runs = [first, again, changed];

    console.log('');
    const header = ['push', 'artifacts', 'requests', 'per artifact', 'manifest PUTs', 'blob uploads', 'blobs sent', 'blobs found', 'bytes sent',
      'time s', 'client cpu s', 'registries cpu s', 'load'];
    const rows = runs.map(([label, f]) => [label, String(f.artifacts), String(f.requests), (f.requests / f.artifacts).toFixed(2),
      String(f.manifestPuts),
      String(f.blobUploads), String(f.blobsSent), String(f.blobsFound), formatSize(f.bytesSent), f.seconds.toFixed(1), f.clientCpu.toFixed(1),
      f.registryCpu.toFixed(1), f.load.toFixed(1)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [header, widths.map((w) => '-'.repeat(w)), ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    console.log('\nrequests: what the registries answered (access logs), authentication included; manifest PUTs include tags set on');
    console.log('  content the registry holds; blob uploads: uploads started (mounts included); cpu: user and system CPU time.');

    // The clusters whose files changed: those of the region, which all get the component.
    const expected = release.clusters.filter((c) => c.region === CHANGE.region).map((c) => c.name).sort();
    const sending = [...changed[2].components, ...changed[2].clusters].filter((p) => p.uploaded + p.mounted > 0).map((p) => p.artifact).sort();
    const checks: Array<[string, boolean, string]> = [
      ['an unchanged re-push uploads nothing: no blob, no manifest', again[1].blobsSent === 0 && again[1].blobUploads === 0 && again[1].manifestPuts === 0,
        `${again[1].blobsSent} blobs sent, ${again[1].blobUploads} blob uploads, ${again[1].manifestPuts} manifest PUTs`],
      [`after ${CHANGE.component} changed in ${CHANGE.region}, only the artifacts of that region's clusters send blobs`,
        expected.length > 0 && JSON.stringify(sending) === JSON.stringify(expected),
        `${sending.length} artifacts sent ${changed[1].blobsSent} blobs, ${expected.length} clusters in ${CHANGE.region}`],
    ];
    console.log('');
    for (const [name, pass, detail] of checks) console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
    return checks.every(([, pass]) => pass) ? 0 : 1;
  } finally {
    destinations.close();
    await Promise.all(registries.map((r) => r.destroy()));
    if (keep) console.log(`tree kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const status = runCompiled(import.meta.url);
if (status !== undefined) {
  process.exit(status);
} else {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
