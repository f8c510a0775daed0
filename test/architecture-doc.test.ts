import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** Files a config repository holds, which the document names as synth's output, not as files of this repository. */
const OUTPUT_FILES = new Set(['FLEET.md']);

/**
 * The repository paths a document names in code spans: `src/...`, `test/...`, `scripts/...`, `docs/...`, `.ci/...`,
 * `examples/...`, and the root's `.projenrc.ts`, `package.json` and `*.md` documents. A span with a placeholder
 * (`<minor>`) or a glob names no one file and is left out.
 */
function namedPaths(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]);
  const paths = spans.filter((s) => /^(src|test|scripts|docs|\.ci|examples)\/[\w./<>*-]+$/.test(s) || /^(\.projenrc\.ts|package\.json|[A-Z]+\.md)$/.test(s));
  return [...new Set(paths.filter((p) => !/[<>*]/.test(p) && !OUTPUT_FILES.has(p)))].sort();
}

describe('ARCHITECTURE.md', () => {
  test('every file path it names exists', () => {
    // GIVEN
    const paths = namedPaths(readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8'));
    // WHEN
    const missing = paths.filter((p) => !existsSync(join(ROOT, p)));
    // THEN
    expect(paths.length).toBeGreaterThan(50);
    expect(missing).toStrictEqual([]);
  });

  test('fails when a path it names does not exist', () => {
    // GIVEN a document naming one file that exists and two that do not
    const paths = namedPaths('The writer is `src/output/writer/write-tree.ts`; see `src/output/writer/gone.ts` and `test/nowhere.test.ts`.');
    // WHEN
    const missing = paths.filter((p) => !existsSync(join(ROOT, p)));
    // THEN
    expect(missing).toStrictEqual(['src/output/writer/gone.ts', 'test/nowhere.test.ts']);
  });

  test('README links it', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('](ARCHITECTURE.md)');
  });
});
