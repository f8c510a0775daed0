/**
 * Bundles lib/flux/core/flux-models.js with the `@kubernetes-models/flux-cd` models it re-exports (and what they
 * import), in place, after tsc.
 *
 * That package and its own dependencies publish ES modules with an `import` condition only, so a loader that resolves
 * with `require` conditions (tsx in a CommonJS project) cannot reach them: the shipped package carries the compiled
 * schemas itself and no longer resolves them at run time. The output is deterministic (no timestamps, no absolute
 * paths), so the same dependencies give the same file.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
// eslint-disable-next-line import/no-extraneous-dependencies -- esbuild comes with tsx, a dev dependency
import { build } from 'esbuild';

const file = 'lib/flux/core/flux-models.js';
const BANNER = '// The Flux models of @kubernetes-models/flux-cd (MIT, Tommy Chen), bundled by scripts/bundle-models.ts.\n';
const source = await readFile(file, 'utf8');
if (source.startsWith(BANNER)) {
  console.log(`${file}: bundled already`);
} else {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    write: false,
    legalComments: 'eof',
    sourcemap: false,
    // Node's built-in punycode is deprecated; the package of the same name is what the URL formats need.
    alias: { punycode: 'punycode/' },
    logLevel: 'warning',
  });
  const [out] = result.outputFiles;
  const text = BANNER + out.text;
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
  console.log(`${file}: ${(text.length / 1024).toFixed(0)} KiB, bundled`);
}
