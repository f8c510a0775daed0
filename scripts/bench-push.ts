/**
 * Push benchmark: a release of 1,000 clusters pushed to three local registries, one per region (Debian's
 * `docker-registry` on loopback ports, as the tests start them), then pushed again unchanged.
 *
 * The tree is generated directly (clusters/<name>/ with their bootstrap and component sources, artifacts/<name>/ and
 * release.json, as synth writes them), not through the fleet model: the model that writes release.json is not on this
 * branch. 10% of the clusters are staging (pushed tags move), 90% production in three waves (held for promotion); each
 * uses two component artifacts, so each region gets both once.
 *
 * Usage: tsx scripts/bench-push.ts [--clusters=1000] [--concurrency=8] [--keep]
 *
 * Prints, for the first push and for the unchanged re-push: manifests put (followed tags moved included), blobs sent,
 * blobs found, bytes sent, time.
 * The target for the re-push is 0 blobs sent; the exit code is 1 when it is missed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Destinations, parseRevision, pushRelease, readReleaseManifest, type ReleasePushReport } from '../src/index.js';
import { formatSize } from '../src/flux/artifact/digest.js';
import { HOSTS, writeReleaseTree, type Region, type TreeCluster } from '../test/delivery/release-tree.js';
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
  const regions = Object.keys(HOSTS) as Region[];
  const clusters: TreeCluster[] = Array.from({ length: count }, (_, i) => {
    const region = regions[i % regions.length];
    const staging = i % 10 === 0;
    const name = `${staging ? 'stg' : 'prod'}-${region}-${String(i).padStart(4, '0')}`;
    return staging
      ? { name, environment: 'staging', region, uses: ['infra', 'web-shop'] }
      : { name, environment: 'production', region, wave: 1 + (i % 3), uses: ['infra', 'web-shop'] };
  });
  const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-bench-push-'));
  const started = performance.now();
  writeReleaseTree(dir, { clusters });
  const release = await readReleaseManifest(dir);
  const generated = (performance.now() - started) / 1000;
  const registries = await Promise.all(regions.map(() => TestRegistry.start()));
  const destinations = new Destinations({ hostAliases: Object.fromEntries(regions.map((r, i) => [HOSTS[r], registries[i].host])) });
  try {
    console.log(`tree: ${release.clusters.length} clusters, ${release.artifacts.length} component artifacts, ${regions.length} regions (generated in ${generated.toFixed(1)} s); concurrency ${concurrency}`);
    const runs: Array<[string, Figures]> = [];
    for (const label of ['first push', 'unchanged re-push']) {
      const t0 = performance.now();
      const report = await pushRelease(dir, release, { destinations, revision: parseRevision('main@sha1:0123456789abcdef0123456789abcdef01234567'), concurrency });
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
