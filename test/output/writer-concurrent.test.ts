import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { concurrentFleetApp } from '../support/synth-writer.js';

const ROOT = join(import.meta.dirname, '..', '..');

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('synths into one folder at once', () => {
  test('each one writes the tree or fails with the lock message; none trips over another', async () => {
    // GIVEN three processes synthesizing one fleet into one folder, starting at the same moment, and the tree it gives
    const reference = join(mkdtempSync(join(tmpdir(), 'flux-fleet-reference-')), 'dist');
    concurrentFleetApp(reference).synth();
    const tmp = mkdtempSync(join(tmpdir(), 'flux-fleet-concurrent-'));
    const outdir = join(tmp, 'dist');
    const startAt = String(Date.now() + 10_000);
    const run = promisify(execFile);
    const synth = () => run(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/synth-writer.ts'), outdir, startAt], { cwd: ROOT });

    // WHEN
    const outcomes = (await Promise.all([synth(), synth(), synth()])).map((r) => r.stdout.trim());

    // THEN
    for (const outcome of outcomes) expect(outcome).toMatch(/^(written|ConfigTreeError: Another synth \(process \d+\) is writing ".*dist" now: wait for it to finish)/);
    expect(outcomes).toContain('written');
    expect(readTree(outdir)).toStrictEqual(readTree(reference));
    // Beside the output folder, the synth cache of the synth that wrote it, and nothing else.
    expect(readdirSync(tmp).sort()).toStrictEqual(['.dist.flux-fleet-cache', 'dist']);
  }, 180_000);
});
