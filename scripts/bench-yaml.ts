/**
 * YAML read benchmark: the example fleet's synthesized tree with one ConfigMap of a large map added to a cluster
 * folder (1 MB, then 5 MB of `key: value` lines), read the two ways a tree is read: `validateTree` without builds
 * (every file parsed and checked) and `flux-fleet push` into an OCI image layout (every cluster packed, its bootstrap
 * files parsed). Time must grow linearly with the map: the 5 MB map may take at most 5 × 2 = 10 times as long as the
 * 1 MB one (the `yaml` package's pairwise duplicate-key check made it grow with the square of the map's size).
 *
 * Usage: tsx scripts/bench-yaml.ts [--sizes=1,5] (sizes in MB; the growth check compares the first and the last)
 *
 * Prints one line per size and measurement, then PASS/FAIL lines; the exit code is 1 when one fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/frontends/cli/main.js';
import { validateTree } from '../src/output/index.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = path.join(ROOT, 'examples', 'fleet', 'dist');

/** A ConfigMap whose data is a map of about `bytes` bytes. */
function bigConfigMap(bytes: number): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: big', '  namespace: default', 'data:'];
  let size = lines.join('\n').length;
  for (let i = 0; size < bytes; i++) {
    const line = `  key${i}: value-${i}-${'x'.repeat(12)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** The example tree with the big ConfigMap in clusters/prod-eu-1, in a new folder. */
function treeWith(mb: number, tmp: string): string {
  const dir = path.join(tmp, `tree-${mb}mb`);
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  const cluster = path.join(dir, 'clusters', 'prod-eu-1');
  fs.writeFileSync(path.join(cluster, 'big.yaml'), bigConfigMap(mb * 1_000_000));
  const k = path.join(cluster, 'kustomization.yaml');
  fs.writeFileSync(k, fs.readFileSync(k, 'utf8').replace('resources:\n', 'resources:\n  - big.yaml\n'));
  return dir;
}

async function timed(what: () => Promise<unknown>): Promise<number> {
  const begin = process.hrtime.bigint();
  await what();
  return Number(process.hrtime.bigint() - begin) / 1e6;
}

async function main(): Promise<number> {
  const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length) ?? '1,5').split(',').map(Number);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-fleet-bench-yaml-'));
  console.log(`flux-fleet YAML read benchmark: ${os.cpus().length} CPUs, Node ${process.version}; a ConfigMap of a large map in clusters/prod-eu-1`);
  const results: Array<{ mb: number; validate: number; push: number }> = [];
  try {
    for (const mb of sizes) {
      const dir = treeWith(mb, tmp);
      const validate = await timed(async () => {
        const report = await validateTree(dir, { build: false, maxFileBytes: 64 * 1024 * 1024 });
        if (report.errors.length > 0) throw new Error(`validate found errors: ${JSON.stringify(report.errors.slice(0, 3))}`);
      });
      let out = '';
      const io = { stdout: { write: (t: string) => { out += t; } }, stderr: { write: (t: string) => { out += t; } }, cwd: tmp };
      const push = await timed(async () => {
        const code = await run(['push', dir, '--layout', path.join(tmp, `layout-${mb}mb`)], io);
        if (code !== 0) throw new Error(`push failed (${code}): ${out}`);
      });
      results.push({ mb, validate, push });
      console.log(`${String(mb).padStart(3)} MB map  validate (no build) ${(validate / 1000).toFixed(2).padStart(7)} s   push to an OCI layout ${(push / 1000).toFixed(2).padStart(7)} s`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (results.length < 2) return 0;
  const first = results[0];
  const last = results[results.length - 1];
  const bound = (last.mb / first.mb) * 2;
  let failed = false;
  for (const key of ['validate', 'push'] as const) {
    const ratio = last[key] / first[key];
    const ok = ratio <= bound;
    failed ||= !ok;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${key}: ${last.mb} MB takes ${ratio.toFixed(1)}x the time of ${first.mb} MB (linear growth: at most ${bound}x)`);
  }
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
