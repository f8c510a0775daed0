import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { YAML_OPTIONS, YamlEmitter } from '../../src/output/writer/yaml-emitter.js';

/** What `yaml` itself writes: the reference the emitter must match byte for byte. */
function reference(value: object): string {
  return stringify(value, YAML_OPTIONS);
}

/** Strings on which YAML 1.1 plain-scalar rules, quoting and escaping differ. */
const TRICKY_STRINGS = [
  'plain', 'with space', 'a-b_c.d/e', 'oci://ghcr.io/acme/infra', '^https://token\\.actions\\.githubusercontent\\.com$',
  './apps', '../up', '5m', '1h30m', 'v1.2.3', '>=1.0.0 <2.0.0', '6.x', '*',
  '', ' ', ' lead', 'trail ', 'yes', 'Yes', 'YES', 'no', 'NO', 'y', 'Y', 'n', 'N', 'on', 'On', 'ON', 'off', 'Off', 'OFF',
  'true', 'True', 'TRUE', 'false', 'False', 'null', 'Null', 'NULL', '~', 'nil',
  '0', '7', '-1', '+1', '0777', '0o17', '0x1F', '0b101', '1_000', '1.0', '.5', '1.', '-.5', '+.5', '1e3', '1E-3', '.e5',
  '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '190:20:30', '-190:20:30.15', '2001-12-14', '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5', '<<', '=', '-', '?', ':', '- a', '? a', 'a: b', 'a:b', 'a:', 'a #b', 'a#b', '#a', '@a',
  '`a', '%a', '&a', '*a', '!a', '|', '>', '[a]', '{a}', 'a,b', 'a, b', '"a"', "'a'", "it's", 'say "hi"',
  'both \' and "', 'back\\slash', 'tab\there', '\ttab', 'line\nbreak', 'two\n\nbreaks', 'trailing\n', '\nleading',
  'a long line that goes on and on '.repeat(5), 'long\nmulti-line text that needs a block scalar\nand more\n',
  '---', '--- a', '...', '... a', 'a\n---\nb', 'ünïcödé', '日本語', 'emoji 🚀', '\u0007bell', 'next\u0085line', '\u00a0nbsp',
  'lone \ud800 surrogate', 'x'.repeat(1030), 'k'.repeat(1024),
];

/** A deterministic pseudo-random generator, so that failures can be reproduced. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const r = next();
  if (depth > 3 || r < 0.45) return pick(TRICKY_STRINGS);
  if (r < 0.55) return pick([0, -0, 1, -1, 42, 1.5, -0.25, 1e21, 1e-7, 2 ** 53, 123456789]);
  if (r < 0.6) return next() < 0.5;
  if (r < 0.62) return pick([null, undefined, NaN, Infinity, new Date(0)]);
  if (r < 0.8) {
    return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  }
  return randomObject(next, depth + 1);
}

function randomObject(next: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(next() * 5);
  for (let i = 0; i < n; i++) o[TRICKY_STRINGS[Math.floor(next() * TRICKY_STRINGS.length)]] = randomValue(next, depth);
  return o;
}

function documentsOf(file: string): object[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS())
    .filter((js) => js !== null && typeof js === 'object' && !Array.isArray(js));
}

/** Every YAML document of the committed example outputs and the test fixtures. */
function committedDocuments(): object[] {
  const docs: object[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.ya?ml$/.test(entry.name)) docs.push(...documentsOf(file));
    }
  };
  walk(join(import.meta.dirname, '..', '..', 'examples'));
  walk(join(import.meta.dirname, '..', 'fixtures'));
  return docs;
}

describe('YamlEmitter', () => {
  test('renders every committed example and fixture document itself, exactly as yaml does', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    const docs = committedDocuments();
    // WHEN
    const emitted = docs.map((d) => emitter.emit(d));
    // THEN
    expect(docs.length).toBeGreaterThan(100);
    const handled = emitted.filter((e) => e !== undefined).length;
    expect(handled).toBe(docs.length);
    docs.forEach((d, i) => {
      if (emitted[i] !== undefined) expect(emitted[i]).toBe(reference(d));
    });
  });

  test('matches yaml byte for byte on every string of the tricky set, as value and as key', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    for (const s of TRICKY_STRINGS) {
      const docs = [{ value: s }, { [s]: 'key' }, { list: [s, { nested: s }] }, { deep: { deeper: { [s]: [s] } } }];
      for (const doc of docs) {
        // WHEN
        const out = emitter.emit(doc);
        // THEN
        if (out !== undefined) expect({ doc, out }).toStrictEqual({ doc, out: reference(doc) });
      }
    }
  });

  test('quotes strings as yaml does', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    // WHEN
    const out = emitter.emit({ 'a': 'yes', 'b': '"hi"', 'c': 'a: b', 'd': 'x', '0777': 1, 'e': '--- a' });
    // THEN
    expect(out).toBe('a: "yes"\nb: \'"hi"\'\nc: "a: b"\nd: x\n"0777": 1\ne: --- a\n');
  });

  test('quotes the strings Go reads as integers: other bases, either case, underscores', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    const doc = { a: '0o17', b: '0X1F', c: '0B101', d: '0O17', e: '1_000', f: '0x_1f', g: 'v0x1', h: 17 };
    // WHEN
    const out = emitter.emit(doc);
    // THEN the emitter and yaml itself quote them
    expect(out).toBe('a: "0o17"\nb: "0X1F"\nc: "0B101"\nd: "0O17"\ne: "1_000"\nf: "0x_1f"\ng: v0x1\nh: 17\n');
    expect(reference(doc)).toBe(out);
  });

  test('writes multi-line strings as block scalars indented for their depth', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    const text = 'line 1\n  line 2\n\nline 4\n';
    const doc = { a: text, b: { c: [text, { d: text }] } };
    // WHEN
    const out = emitter.emit(doc);
    // THEN
    expect(out).toBe(reference(doc));
    expect(out).toBe('a: |\n  line 1\n    line 2\n\n  line 4\nb:\n  c:\n    - |\n      line 1\n        line 2\n\n      line 4\n' +
      '    - d: |\n        line 1\n          line 2\n\n        line 4\n');
  });

  test('quotes keys as yaml does, and leaves explicit keys and document-marker keys to yaml', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    // WHEN / THEN
    expect(emitter.emit({ 'two\nlines': 1, 'a: b': 2 })).toBe('"two\\nlines": 1\n"a: b": 2\n');
    expect(emitter.emit({ '--- a': 1 })).toBeUndefined();
    expect(emitter.emit({ ['k'.repeat(1030)]: 1 })).toBeUndefined();
  });

  test('renders collections as yaml does: nested maps and sequences, empty ones, sequences of sequences', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    const doc = { a: {}, b: [], c: [{}, [], [1, [2, 3]], { x: 1, y: [{ z: 'w' }] }], d: { e: { f: [true, false, 0.5, -0] } } };
    // WHEN
    const out = emitter.emit(doc);
    // THEN
    expect(out).toBe(reference(doc));
    expect(out).toBe('a: {}\nb: []\nc:\n  - {}\n  - []\n  - - 1\n    - - 2\n      - 3\n  - x: 1\n    "y":\n      - z: w\n' +
      'd:\n  e:\n    f:\n      - true\n      - false\n      - 0.5\n      - -0\n');
  });

  test('leaves null, undefined, non-finite numbers, class instances and empty documents to yaml', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    // WHEN / THEN
    for (const doc of [{ a: null }, { a: undefined }, { a: [undefined] }, { a: NaN }, { a: Infinity }, { a: new Date(0) },
      { a: 10n }, {}, Object.create(null), new Map([['a', 1]])]) {
      expect(emitter.emit(doc)).toBeUndefined();
    }
  });

  test('matches yaml byte for byte on 3,000 random documents', () => {
    // GIVEN
    const emitter = new YamlEmitter();
    const next = random(42);
    let handled = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = randomObject(next, 0);
      // WHEN
      const out = emitter.emit(doc);
      // THEN
      if (out === undefined) continue;
      handled++;
      expect({ i, out }).toStrictEqual({ i, out: reference(doc) });
    }
    expect(handled).toBeGreaterThan(500);
  });
});
