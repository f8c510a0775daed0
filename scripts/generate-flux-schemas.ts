/**
 * Writes the OpenAPI schemas (with their `x-kubernetes-validations` CEL rules) of every kind each Flux minor serves,
 * and of the Flux Operator's kinds, into src/flux/schemas/*-model.ts, from upstream's own CRDs.
 *
 * Sources, read from local git snapshots of the upstream repositories (one folder per repository, `<owner>+<name>/repo`,
 * under $FLUX_SCHEMA_MIRRORS, default /work/.mirror):
 *   - the Flux releases the Flux Operator embeds (controlplaneio-fluxcd/flux-operator, config/data/flux/<release>/, the
 *     manifests of the release as `flux install` applies them, CRDs included), at the operator release flux-fleet pins;
 *   - the operator's own CRDs (config/crd/bases/) at that release.
 * Flux 2.10, whose CRDs no snapshot holds, is derived in code from 2.9's (src/flux/schemas/flux-2.10-model.ts).
 *
 * What is kept of a CRD: each served version's schema without upstream's descriptions, examples and `status` (synth
 * and validate check what users write); a field whose description says it is deprecated gets `deprecated: true`.
 * Each distinct schema is written once, as one JSON string parsed on first use, in crd-schemas.ts (a kind unchanged
 * between minors is shared by their models), so a module load costs nothing and a regeneration diff shows the kinds
 * that changed, one line each; each minor's model (flux-<minor>-model.ts) lists the kinds it serves.
 *
 * Usage: npx tsx scripts/generate-flux-schemas.ts   (the output is lint-clean as written)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const MIRRORS = process.env.FLUX_SCHEMA_MIRRORS ?? '/work/.mirror';
const OUT = join(import.meta.dirname, '..', 'src', 'flux', 'schemas');

/** The Flux Operator release flux-fleet pins (src/fleet/bootstrap.ts, FLUX_OPERATOR_VERSION). */
const OPERATOR_TAG = 'v0.58.1';
const OPERATOR_REPO = 'controlplaneio-fluxcd/flux-operator';

/** Each minor from the newest patch release the pinned operator embeds. */
const RELEASES: Record<string, string> = { 2.7: 'v2.7.5', 2.8: 'v2.8.8', 2.9: 'v2.9.4' };

/** The API groups of Flux's own kinds. */
const FLUX_GROUP = /\.toolkit\.fluxcd\.io$|^source\.extensions\.fluxcd\.io$/;

interface KindEntry {
  group: string;
  version: string;
  kind: string;
  storage: boolean;
  deprecated: boolean;
  schema: string;
}

interface Model {
  minor?: string;
  release: string;
  source: string;
  commit: string;
  kinds: KindEntry[];
}

function git(repo: string, ...args: string[]): string {
  const dir = join(MIRRORS, repo.replace('/', '+'), 'repo');
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function filesAt(repo: string, tag: string, folder: string): string[] {
  return git(repo, 'ls-tree', '--name-only', `${tag}:${folder}`).split('\n').filter((f) => f.endsWith('.yaml')).map((f) => `${folder}/${f}`);
}

/** A schema without what validation does not use: descriptions, examples, and the status the controllers write. */
function strip(schema: any, root: boolean): any {
  if (Array.isArray(schema)) return schema.map((s) => strip(s, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  // A field upstream deprecates says so in its description ("Deprecated: use X instead"): kept as OpenAPI's flag.
  if (typeof schema.description === 'string' && /(^|\.\s+)Deprecated\b/.test(schema.description)) out.deprecated = true;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || key === 'example') continue;
    if (key === 'properties') {
      const props: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
        if (root && name === 'status') continue;
        props[name] = strip(sub, false);
      }
      out[key] = props;
    } else if (key === 'default' || key === 'enum') {
      out[key] = value;
    } else {
      out[key] = strip(value, false);
    }
  }
  return out;
}

function kindsOf(text: string, keep: (group: string) => boolean): KindEntry[] {
  const out: KindEntry[] = [];
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const group: string = crd.spec.group;
    if (!keep(group)) continue;
    for (const v of crd.spec.versions) {
      if (!v.served) continue;
      out.push({
        group,
        version: v.name,
        kind: crd.spec.names.kind,
        storage: Boolean(v.storage),
        deprecated: Boolean(v.deprecated),
        schema: JSON.stringify(strip(v.schema.openAPIV3Schema, true)),
      });
    }
  }
  return out.sort((a, b) => `${a.group}/${a.kind}/${a.version}`.localeCompare(`${b.group}/${b.kind}/${b.version}`));
}

function fluxModel(minor: string, release: string): Model {
  const folder = `config/data/flux/${release}`;
  const text = filesAt(OPERATOR_REPO, OPERATOR_TAG, folder).map((f) => git(OPERATOR_REPO, 'show', `${OPERATOR_TAG}:${f}`)).join('\n---\n');
  return {
    minor,
    release,
    source: `https://github.com/${OPERATOR_REPO}/tree/${OPERATOR_TAG}/${folder}`,
    commit: git(OPERATOR_REPO, 'rev-list', '-n', '1', OPERATOR_TAG).trim(),
    kinds: kindsOf(text, (g) => FLUX_GROUP.test(g)),
  };
}

function operatorModel(): Model {
  const folder = 'config/crd/bases';
  const text = filesAt(OPERATOR_REPO, OPERATOR_TAG, folder).map((f) => git(OPERATOR_REPO, 'show', `${OPERATOR_TAG}:${f}`)).join('\n---\n');
  return {
    release: OPERATOR_TAG,
    source: `https://github.com/${OPERATOR_REPO}/tree/${OPERATOR_TAG}/${folder}`,
    commit: git(OPERATOR_REPO, 'rev-list', '-n', '1', OPERATOR_TAG).trim(),
    kinds: kindsOf(text, (g) => g === 'fluxcd.controlplane.io'),
  };
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The key of a schema in crd-schemas.ts: its kind, version and content digest. */
const keyOf = (k: KindEntry) => `${k.kind}/${k.version}@${createHash('sha256').update(k.schema).digest('hex').slice(0, 12)}`;

function render(name: string, title: string, model: Model): string {
  const lines = [
    '// Generated by scripts/generate-flux-schemas.ts from upstream\'s CRDs; do not edit.',
    'import { CRD_SCHEMAS } from \'./crd-schemas.js\';',
    'import type { FluxSchemaModel } from \'./schema-model.js\';',
    '',
    `/** ${title} */`,
    `export const ${name}: FluxSchemaModel = {`,
    ...(model.minor ? [`  minor: ${q(model.minor)},`] : []),
    `  release: ${q(model.release)},`,
    `  source: ${q(model.source)},`,
    `  commit: ${q(model.commit)},`,
    '  kinds: [',
    ...model.kinds.map((k) => `    { group: ${q(k.group)}, version: ${q(k.version)}, kind: ${q(k.kind)}, storage: ${k.storage}, deprecated: ${k.deprecated}, schema: CRD_SCHEMAS[${q(keyOf(k))}] },`),
    '  ],',
    '};',
    '',
  ];
  return lines.join('\n');
}

function renderSchemas(models: readonly Model[]): string {
  const schemas = new Map<string, string>();
  for (const k of models.flatMap((m) => m.kinds)) schemas.set(keyOf(k), k.schema);
  return [
    '// Generated by scripts/generate-flux-schemas.ts from upstream\'s CRDs; do not edit.',
    '',
    '/**',
    ' * The distinct openAPIV3Schemas of the vendored CRDs, without descriptions, examples and status, each once (a kind',
    ' * unchanged between minors is shared), as JSON strings parsed on first use; keyed by kind, version and content digest.',
    ' */',
    'export const CRD_SCHEMAS: Readonly<Record<string, string>> = {',
    ...[...schemas].sort(([a], [b]) => a.localeCompare(b)).map(([key, schema]) => `  ${q(key)}: ${q(schema)},`),
    '};',
    '',
  ].join('\n');
}

const models: Array<[string, string, string, Model]> = [];
for (const [minor, release] of Object.entries(RELEASES)) {
  models.push([`flux-${minor}-model.ts`, `FLUX_${minor.replace('.', '_')}_MODEL`, `The kinds Flux ${minor} serves, from the CRDs of Flux ${release}.`, fluxModel(minor, release)]);
}
models.push(['flux-operator-model.ts', 'FLUX_OPERATOR_MODEL', `The Flux Operator's kinds, from the CRDs of Flux Operator ${OPERATOR_TAG}.`, operatorModel()]);
for (const [file, name, title, model] of models) {
  writeFileSync(join(OUT, file), render(name, title, model));
  console.log(`${file}: ${model.kinds.length} kind versions`);
}
const pool = renderSchemas(models.map(([, , , m]) => m));
writeFileSync(join(OUT, 'crd-schemas.ts'), pool);
console.log(`crd-schemas.ts: ${(pool.match(/^ {2}'/gm) ?? []).length} distinct schemas, ${(pool.length / 1024).toFixed(0)} KiB`);
