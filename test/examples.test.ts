import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { knownFluxMinorOf } from '../src/flux/core/flux-version.js';
import { isFluxGroup } from '../src/flux/schema-registry.js';
import { checkFluxSchema, DEFAULT_FLUX_MINOR, type FluxMinor } from '../src/index.js';

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

/**
 * The Flux minor each cluster of a synthesized example runs, by cluster name, read from its bootstrap: the Flux
 * Operator's FluxInstance `spec.distribution.version`, or on plain Flux the semver or tag of the `flux-manifests`
 * OCIRepository that applies Flux's release manifests.
 */
function clusterMinors(files: Map<string, string>): Map<string, FluxMinor> {
  const minors = new Map<string, FluxMinor>();
  for (const [file, text] of files) {
    const match = /^clusters\/([^/]+)\/flux-system\/flux-system\.yaml$/.exec(file);
    if (!match) continue;
    for (const o of parseAllDocuments(text).map((d) => d.toJS())) {
      const version = o.kind === 'FluxInstance' ? o.spec.distribution.version
        : o.kind === 'OCIRepository' && o.metadata.name === 'flux-manifests' ? o.spec.ref.semver ?? o.spec.ref.tag : undefined;
      const minor = version === undefined ? undefined : knownFluxMinorOf(String(version));
      if (minor) minors.set(match[1], minor);
    }
  }
  return minors;
}

/** Each Flux object of an example's files, checked against the schemas of the minor its cluster runs. */
function schemaProblems(files: Map<string, string>): { checked: number; problems: string[] } {
  const minors = clusterMinors(files);
  let checked = 0;
  const problems: string[] = [];
  for (const [file, text] of files) {
    const cluster = /^clusters\/([^/]+)\//.exec(file)?.[1];
    // a cluster's folder is checked against its own minor; what is shared (artifacts/) against every minor the fleet runs
    const against = cluster !== undefined ? [minors.get(cluster) ?? DEFAULT_FLUX_MINOR] : [...new Set(minors.values())].sort();
    if (against.length === 0) against.push(DEFAULT_FLUX_MINOR);
    for (const o of parseAllDocuments(text).map((d) => d.toJS())) {
      if (!isFluxGroup(String(o.apiVersion).split('/')[0])) continue;
      checked++;
      for (const fluxMinor of against) problems.push(...checkFluxSchema(o, { fluxMinor }).map((m) => `${file}: ${o.kind}/${o.metadata.name}: ${m}`));
    }
  }
  return { checked, problems };
}

describe('examples', () => {
  test('there are examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  test.each(examples)('%s synthesizes, and every written Flux object passes the schema of the Flux minor its cluster runs', async (name) => {
    // WHEN
    const files = await synthExample(name);
    // THEN
    const { checked, problems } = schemaProblems(files);
    expect(checked).toBeGreaterThan(0);
    expect(problems).toStrictEqual([]);
  });

  test('fleet runs Flux 2.9 and 2.10 side by side, and the 2.10 canary\'s notifications are 2.10\'s, which 2.9 does not serve', async () => {
    // WHEN
    const files = await synthExample('fleet');
    // THEN
    expect(Object.fromEntries(clusterMinors(files))).toStrictEqual({
      'prod-ap-1': '2.9', 'prod-eu-1': '2.9', 'prod-us-1': '2.9', 'stg-eu-1': '2.9', 'stg-eu-2': '2.10', 'stg-us-1': '2.9',
    });
    const canary = parseAllDocuments(files.get('clusters/stg-eu-2/notifications.yaml')!).map((d) => d.toJS());
    expect(canary.flatMap((o) => checkFluxSchema(o, { fluxMinor: '2.10' }))).toStrictEqual([]);
    expect(canary.flatMap((o) => checkFluxSchema(o, { fluxMinor: '2.9' }))).toStrictEqual([
      'apiVersion notification.toolkit.fluxcd.io/v1 of Provider is not served by Flux v2.9; use notification.toolkit.fluxcd.io/v1beta3',
      'apiVersion notification.toolkit.fluxcd.io/v1 of Alert is not served by Flux v2.9; use notification.toolkit.fluxcd.io/v1beta3',
    ]);
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
