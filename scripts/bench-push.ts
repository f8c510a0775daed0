/**
 * Push benchmark: the 1,000-cluster fleet of scripts/bench.ts (scripts/bench-fleet.ts), synthesized through the public
 * API (so release.json and the packed folder under artifacts/ are the real ones), pushed to local registries, one per
 * region of the fleet (Debian's `docker-registry` on loopback ports, as the tests start them, reached through host
 * aliases of the fleet's ECR hosts), then pushed again unchanged.
 *
 * A fifth of the clusters are staging, the rest production in three waves; the push holds every followed tag (moving
 * staging's first verifies everything its clusters pull, charts included, which the bench publishes nowhere): it puts
 * every cluster's candidate, and the packed `infra` folder once per region under its content tag.
 *
 * Usage: tsx scripts/bench-push.ts [--clusters=1000] [--concurrency=8] [--keep]
 *
 * Prints, for the first push and for the unchanged re-push: manifests put, blobs sent,
 * blobs found, bytes sent, time.
 * The target for the re-push is 0 blobs sent; the exit code is 1 when it is missed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildFleetApp } from './bench-fleet.js';
import { Destinations, parseRevision, pushRelease, type ReleasePushReport } from '../src/delivery/index.js';
import { formatSize } from '../src/flux/artifact/digest.js';
import { readReleaseManifest } from '../src/output/index.js';
import { TestRegistry } from '../test/support/registry.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive whole number`);
  return value;
}

interface Figures {
  manifests: number;
  blobsSent: number;
  blobsFound: number;
  bytesSent: number;
  seconds: number;
}

function figures(report: ReleasePushReport, seconds: number): Figures {
  const all = [...report.components, ...report.clusters];
  return {
    // An artifact whose tag already held its digest puts no manifest (its movedTags is empty).
    manifests: all.filter((p) => p.movedTags === undefined || p.movedTags.length > 0).length + report.followed.filter((f) => f.action === 'moved').length,
    blobsSent: all.reduce((n, p) => n + p.uploaded + p.mounted, 0),
    blobsFound: all.reduce((n, p) => n + p.existing, 0),
    bytesSent: all.reduce((n, p) => n + p.bytesUploaded, 0),
    seconds,
  };
}

async function main(): Promise<number> {
  const count = option('clusters', 1000);
  const concurrency = option('concurrency', 8);
  const keep = process.argv.includes('--keep');
  const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-bench-push-'));
  const started = performance.now();
  buildFleetApp(count, join(dir, 'dist')).app.synth();
  const tree = join(dir, 'dist');
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
  const registries = await Promise.all(regions.map(() => TestRegistry.start()));
  const destinations = new Destinations({
    hostAliases: Object.fromEntries(regions.flatMap((r, i) => [...hostsByRegion.get(r)!].map((host) => [host, registries[i].host]))),
  });
  try {
    console.log(`release: ${release.clusters.length} clusters, ${release.artifacts.length} component artifact(s), ${regions.length} regions (synthesized in ${generated.toFixed(1)} s); concurrency ${concurrency}`);
    const runs: Array<[string, Figures]> = [];
    for (const label of ['first push', 'unchanged re-push']) {
      const t0 = performance.now();
      // Holding every followed tag: moving staging's would first verify what every staging cluster pulls, and the
      // bench's charts are published nowhere.
      const report = await pushRelease(tree, release, {
        destinations, revision: parseRevision('main@sha1:0123456789abcdef0123456789abcdef01234567'), concurrency, holdTags: true,
      });
      const seconds = (performance.now() - t0) / 1000;
      if (report.failed.length > 0) throw new Error(`${label}: ${report.failed.length} failed, e.g. ${report.failed[0].error.message}`);
      runs.push([label, figures(report, seconds)]);
    }
    console.log('');
    console.log('run                  manifests  blobs sent  blobs found  bytes sent   time');
    for (const [label, f] of runs) {
      console.log(`${label.padEnd(20)} ${String(f.manifests).padStart(9)}  ${String(f.blobsSent).padStart(10)}  ${String(f.blobsFound).padStart(11)}  ${formatSize(f.bytesSent).padStart(10)}  ${f.seconds.toFixed(1).padStart(5)} s`);
    }
    const resent = runs[1][1].blobsSent;
    console.log('');
    console.log(`${resent === 0 ? 'PASS' : 'FAIL'} unchanged re-push sends no blob (sent ${resent})`);
    return resent === 0 ? 0 : 1;
  } finally {
    destinations.close();
    await Promise.all(registries.map((r) => r.destroy()));
    if (keep) console.log(`tree kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
