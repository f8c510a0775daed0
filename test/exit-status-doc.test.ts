import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/flux/core/errors.js';
import { EXIT_STATUS } from '../src/frontends/cli/args.js';

const ROOT = join(import.meta.dirname, '..');

/** The rows of README.md's table of error codes: code, the classes thrown with it, the exit status. */
function documentedRows(): Array<{ code: string; classes: string[]; status: number }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Errors and exit statuses\n')[1]?.split('\n## ')[0] ?? '';
  return section.split('\n').filter((l) => /^\| `[a-z-]+` \|/.test(l)).map((l) => {
    const cells = l.split(' | ').map((c) => c.replace(/^\| | \|$/g, ''));
    return { code: cells[0].replace(/`/g, ''), classes: [...cells[1].matchAll(/`(\w+)`/g)].map((m) => m[1]), status: Number(cells[3]) };
  });
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every error class of src/ with the code it is thrown with: a class passes `ERROR_CODES.<key>` to its super
 * constructor, or inherits the code of the flux-fleet error class it extends.
 */
function errorClasses(): Record<string, string> {
  const classes = new Map<string, { parent: string; key?: string }>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^export class (\w+) extends (\w+) \{\n([\s\S]*?)^\}/gm)) {
      classes.set(m[1], { parent: m[2], key: /super\(ERROR_CODES\.(\w+)/.exec(m[3])?.[1] });
    }
  }
  const codeOf = (name: string): string | undefined => {
    const c = classes.get(name);
    if (!c) return undefined;
    if (c.key !== undefined) return ERROR_CODES[c.key as keyof typeof ERROR_CODES];
    return codeOf(c.parent);
  };
  const isError = (name: string): boolean => name === 'FluxFleetError' || (classes.has(name) && isError(classes.get(name)!.parent));
  return Object.fromEntries([...classes.keys()].filter((n) => n !== 'FluxFleetError' && isError(n)).sort().map((n) => [n, codeOf(n) ?? '(none)']));
}

describe('README.md\'s table of error codes and exit statuses', () => {
  test('lists every code with the exit status the command line gives it', () => {
    // GIVEN
    const rows = documentedRows();
    // THEN
    expect(Object.fromEntries(rows.map((r) => [r.code, r.status]))).toStrictEqual({ ...EXIT_STATUS });
    expect(rows.map((r) => r.code).sort()).toStrictEqual(Object.values(ERROR_CODES).sort());
  });

  test('names every error class of the source beside the code it is thrown with', () => {
    // GIVEN
    const documented = Object.fromEntries(documentedRows().flatMap((r) => r.classes.map((c) => [c, r.code])));
    // WHEN
    const found = errorClasses();
    // THEN
    expect(Object.keys(found).length).toBeGreaterThan(20);
    expect(Object.fromEntries(Object.entries(documented).sort())).toStrictEqual(found);
  });

  test('gives a refusal exit status 1, never 2 (2 is for the command line)', () => {
    // THEN
    const refusals = [ERROR_CODES.refused, ERROR_CODES.releaseManifest, ERROR_CODES.signing, ERROR_CODES.delivery];
    expect(refusals.map((c) => EXIT_STATUS[c])).toStrictEqual([1, 1, 1, 1]);
  });
});
