import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkFluxSchema, isFluxGroup } from '../src/index.js';

const examplesDir = join(import.meta.dirname, '..', 'examples');
const examples = readdirSync(examplesDir).filter((name) => existsSync(join(examplesDir, name, 'app.ts')));

/** Synthesizes an example into a fresh folder; returns each file's text by name. */
async function synthExample(name: string): Promise<Map<string, string>> {
  const { buildApp } = await import(join(examplesDir, name, 'app.ts'));
  const outdir = join(mkdtempSync(join(tmpdir(), `example-${name}-`)), 'dist');
  buildApp(outdir).synth();
  const files = readdirSync(outdir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  return new Map(files.map((f) => [f.slice(outdir.length + 1), readFileSync(f, 'utf8')]));
}

describe('examples', () => {
  test('there are examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  test.each(examples)('%s synthesizes, and every written Flux object passes the Flux v2.9 schema', async (name) => {
    // WHEN
    const files = await synthExample(name);
    // THEN
    const objects = [...files.values()].flatMap((text) => parseAllDocuments(text).map((d) => d.toJS()));
    const flux = objects.filter((o) => isFluxGroup(String(o.apiVersion).split('/')[0]));
    expect(flux.length).toBeGreaterThan(0);
    const problems = flux.flatMap((o) => checkFluxSchema(o).map((m) => `${o.kind}/${o.metadata.name}: ${m}`));
    expect(problems).toStrictEqual([]);
  });

  test.each(examples)('%s synthesizes byte-identical files twice', async (name) => {
    const first = await synthExample(name);
    const second = await synthExample(name);
    expect(second).toStrictEqual(first);
  });
});

describe('checkFluxSchema', () => {
  test('fails when an object uses an API version Flux v2.9 no longer serves', () => {
    expect(checkFluxSchema({ apiVersion: 'notification.toolkit.fluxcd.io/v1beta2', kind: 'Alert', metadata: { name: 'a' }, spec: {} }))
      .toStrictEqual(['apiVersion notification.toolkit.fluxcd.io/v1beta2 of Alert is not served by Flux v2.9; use notification.toolkit.fluxcd.io/v1beta3']);
  });

  test('fails when a Flux kind does not exist', () => {
    expect(checkFluxSchema({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OciRepo', metadata: { name: 'a' } }))
      .toStrictEqual(['kind OciRepo of source.toolkit.fluxcd.io is not served by Flux v2.9']);
  });

  test('fails when a hand-written object breaks the schema', () => {
    expect(checkFluxSchema({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'a' }, spec: { interval: '5m', sourceRef: { kind: 'OCIRepository', name: 'x' } } }))
      .toStrictEqual(['does not match the Flux schema: spec.prune is required']);
  });

  test('ignores objects outside Flux', () => {
    expect(checkFluxSchema({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } })).toStrictEqual([]);
  });
});
