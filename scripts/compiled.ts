/**
 * The benchmarks measure flux-fleet as a program using the package runs it: compiled to JavaScript by tsc (what
 * `lib/` holds), not transpiled on the fly by tsx, whose helpers (esbuild's `keepNames`) add to every function made.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the calling script again as JavaScript compiled by tsc, with the same arguments, in a temporary folder, and
 * returns its exit status; returns undefined when it runs compiled already, or when `--source` asks to measure the
 * TypeScript sources as they are.
 * @param scriptUrl the calling script's `import.meta.url`
 */
export function runCompiled(scriptUrl: string): number | undefined {
  const script = fileURLToPath(scriptUrl);
  if (script.endsWith('.js') || process.argv.includes('--source')) return undefined;
  const root = path.resolve(path.dirname(script), '..');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-fleet-bench-build-'));
  try {
    process.stdout.write('compiling flux-fleet and the benchmark with tsc (--source measures the TypeScript sources instead)\n');
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'scripts', 'tsconfig.json'),
      '--noEmit', 'false', '--outDir', out, '--declaration', 'false', '--inlineSourceMap', 'false', '--inlineSources', 'false'], { stdio: 'inherit' });
    if (tsc.status !== 0) return tsc.status ?? 1;
    // As installed: the package's manifest beside its code (ES modules; the code fingerprint reads its name), and its
    // dependencies.
    fs.copyFileSync(path.join(root, 'package.json'), path.join(out, 'package.json'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'), 'dir');
    const compiled = path.join(out, path.relative(root, script).replace(/\.ts$/, '.js'));
    const run = spawnSync(process.execPath, [compiled, ...process.argv.slice(2)], { stdio: 'inherit' });
    return run.status ?? 1;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
