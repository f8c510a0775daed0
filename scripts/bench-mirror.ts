/**
 * Mirror memory benchmark: an artifact whose cosign `.sig` signature holds one layer of 1, 8, 32 and 100 MiB (under
 * cosign's 128 MiB limit), and whose content layer is 512 MiB, is published to a local registry (Debian's
 * `docker-registry` on a loopback port) and mirrored into two regional registries. Each mirror runs in a child process
 * of its own, which reports its peak resident memory (`maxRSS`), so that one size does not carry over into the next.
 *
 * Usage: tsx scripts/bench-mirror.ts [--sizes=1,8,32,100] [--content=512]
 *
 * Prints, per size: the peak memory, the time, and the blobs downloaded from upstream (each once for both regions);
 * then how much more memory the largest blob took than the smallest one sent in chunks (larger than the 8 MiB upload
 * chunk, so both hold the same chunk buffers), beside the difference of their sizes. The target is growth under a
 * twentieth of that difference (a copy held whole would add at least the blob's size, twice for two regions at once);
 * the exit code is 1 when it is missed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Destinations, mirrorRelease, referrersFallbackTag } from '../src/delivery/index.js';
import { blobOf, formatSize, MEDIA_TYPES, type Descriptor } from '../src/flux/artifact/index.js';
import { type ReleaseManifest } from '../src/output/index.js';
import { TestRegistry } from '../test/support/registry.js';

const MIB = 1024 * 1024;
const UPSTREAM = 'ghcr.bench.example';
const REGIONS = { 'eu-west-1': 'registry.eu.bench.example', 'us-east-1': 'registry.us.bench.example' } as const;

interface ChildInput {
  readonly aliases: Record<string, string>;
  readonly release: ReleaseManifest;
  readonly spoolDir: string;
}

interface ChildResult {
  readonly maxRssBytes: number;
  readonly seconds: number;
  readonly downloaded: { blobs: number; bytes: number };
  readonly failed: string[];
  readonly copied: number;
}

/** Runs one mirror and prints its figures as JSON (in the child process). */
async function child(input: ChildInput): Promise<void> {
  const destinations = new Destinations({ hostAliases: input.aliases });
  const started = performance.now();
  try {
    const report = await mirrorRelease(input.release, { destinations, spoolDir: input.spoolDir });
    const result: ChildResult = {
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      seconds: (performance.now() - started) / 1000,
      downloaded: report.downloaded,
      failed: report.failed.map((f) => f.error.message),
      copied: report.mirrored.filter((m) => m.action === 'copy').length,
    };
    process.stdout.write(JSON.stringify(result));
  } finally {
    destinations.close();
  }
}

/** Writes `size` bytes of a repeating pattern to a file; returns its descriptor. */
function patternFile(file: string, size: number, mediaType: string): Descriptor {
  const fd = openSync(file, 'w');
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(4 * MIB, 'flux-fleet mirror benchmark ');
  try {
    for (let done = 0; done < size; done += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, size - done));
      hash.update(part);
      writeSync(fd, part);
    }
  } finally {
    closeSync(fd);
  }
  return { mediaType, digest: `sha256:${hash.digest('hex')}`, size };
}

function option(name: string, fallback: number[]): number[] {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3).split(',').map(Number);
}

async function main(): Promise<number> {
  const sizes = option('sizes', [1, 8, 32, 100]);
  const [contentMiB] = option('content', [512]);
  const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-bench-mirror-'));
  const [upstream, eu, us] = await Promise.all([TestRegistry.start(), TestRegistry.start(), TestRegistry.start()]);
  const aliases = { [UPSTREAM]: upstream.host, [REGIONS['eu-west-1']]: eu.host, [REGIONS['us-east-1']]: us.host };
  const destinations = new Destinations({ hostAliases: aliases });
  const rows: Array<{ what: string; blob: number; result: ChildResult }> = [];
  try {
    const cases = [...sizes.map((mib) => ({ what: `.sig layer of ${mib} MiB`, mib, signature: true })), { what: `content layer of ${contentMiB} MiB`, mib: contentMiB, signature: false }];
    for (const [i, c] of cases.entries()) {
      // GIVEN an artifact upstream: a small layer and a .sig of one big layer, or one big content layer
      const repository = `bench/app-${i}`;
      const repo = destinations.repository(`oci://${UPSTREAM}/${repository}`);
      const big = patternFile(join(dir, `blob-${i}`), c.mib * MIB, c.signature ? 'application/vnd.dev.cosign.simplesigning.v1+json' : 'application/vnd.oci.image.layer.v1.tar+gzip');
      await repo.pushBlobFile(big, join(dir, `blob-${i}`));
      rmSync(join(dir, `blob-${i}`));
      const config = blobOf('application/vnd.oci.image.config.v1+json', Buffer.from(`{"case":${i}}`));
      const small = blobOf('application/vnd.oci.image.layer.v1.tar+gzip', Buffer.from(`small layer ${i}`));
      for (const b of [config, small]) await repo.pushBlob(b);
      const manifest = (layers: Descriptor[]) => Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: config.descriptor, layers,
      }));
      const digest = await repo.pushManifest('1.0.0', manifest(c.signature ? [small.descriptor] : [big]), MEDIA_TYPES.ociManifest);
      if (c.signature) await repo.pushManifest(`${referrersFallbackTag(digest)}.sig`, manifest([big]), MEDIA_TYPES.ociManifest);
      const release: ReleaseManifest = {
        version: 1,
        environments: [],
        clusters: [],
        artifacts: [],
        external: [{
          kind: 'artifact',
          component: `app-${i}`,
          upstream: `oci://${UPSTREAM}/${repository}`,
          mirror: true,
          verify: true,
          targets: Object.entries(REGIONS).map(([region, host]) => ({ region, url: `oci://${host}/fleet/app-${i}`, ref: { tag: '1.0.0' }, clusters: [] })),
        }],
      };
      // WHEN it is mirrored to both regions, in a process of its own
      const input: ChildInput = { aliases, release, spoolDir: mkdtempSync(join(dir, 'spool-')) };
      const out = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child'], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 16 * MIB });
      if (out.status !== 0) throw new Error(`the mirror of ${c.what} failed: ${out.stderr}`);
      rows.push({ what: c.what, blob: c.mib * MIB, result: JSON.parse(out.stdout) as ChildResult });
    }
  } finally {
    destinations.close();
    await Promise.all([upstream.destroy(), eu.destroy(), us.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('mirror of one artifact into 2 regions, each run in its own process');
  console.log(`${'case'.padEnd(26)} ${'peak RSS'.padStart(10)} ${'time'.padStart(8)}  downloaded from upstream`);
  for (const r of rows) {
    const d = r.result.downloaded;
    console.log(`${r.what.padEnd(26)} ${formatSize(r.result.maxRssBytes).padStart(10)} ${`${r.result.seconds.toFixed(1)} s`.padStart(8)}  ${d.blobs} blobs, ${formatSize(d.bytes)}` +
      `${r.result.failed.length > 0 ? `  FAILED: ${r.result.failed.join('; ')}` : ''}`);
  }
  const chunked = rows.filter((r) => r.blob > 8 * MIB);
  const smallest = chunked.reduce((a, b) => (a.blob <= b.blob ? a : b));
  const largest = rows.reduce((a, b) => (a.blob >= b.blob ? a : b));
  const growth = largest.result.maxRssBytes - smallest.result.maxRssBytes;
  const blobGrowth = largest.blob - smallest.blob;
  console.log(`peak RSS at ${formatSize(largest.blob)} - at ${formatSize(smallest.blob)}: ${formatSize(Math.max(0, growth))}, ` +
    `for ${formatSize(blobGrowth)} more blob (ratio ${(growth / blobGrowth).toFixed(3)}; ${(largest.result.maxRssBytes / smallest.result.maxRssBytes).toFixed(2)} times the smallest's peak)`);
  const bounded = growth < blobGrowth / 20;
  const onceEach = rows.every((r) => r.result.downloaded.blobs <= 3 && r.result.failed.length === 0);
  console.log(`${bounded ? 'PASS' : 'FAIL'} memory does not grow with the blob (growth under a twentieth of the blob's)`);
  console.log(`${onceEach ? 'PASS' : 'FAIL'} every blob downloaded from upstream once for both regions, nothing failed`);
  return bounded && onceEach ? 0 : 1;
}

if (process.argv.includes('--child')) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  await child(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChildInput);
} else {
  process.exitCode = await main();
}
