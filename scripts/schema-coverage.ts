/**
 * Prints, for each Flux minor flux-fleet checks (and the Flux Operator's kinds), what the vendored upstream schemas
 * hold and how much of it flux-fleet covers:
 *   - kinds: the kinds served (and their served versions, deprecated ones included);
 *   - fields: the spec fields of each kind's storage version (nested ones included; fields upstream deprecates left
 *     out), and how many of them a typed prop renders (what test/flux/field-coverage.test.ts checks; the rest are its
 *     named exceptions: FluxReport, which the operator writes, and the apiVersion of references);
 *   - CEL rules: the `x-kubernetes-validations` of every served version, those the checker evaluates (all but the
 *     `oldSelf` rules, which the API server evaluates on updates only), and those that compile in cel-js.
 *
 * Usage: npx tsx scripts/schema-coverage.ts
 */
import { FLUX_MINORS } from '../src/flux/core/flux-version.js';
import { FLUX_OPERATOR_SCHEMA_MODEL, FLUX_SCHEMA_MODELS } from '../src/flux/schema-registry.js';
import type { CelRule, FluxSchemaModel, StructuralSchema } from '../src/flux/schemas/schema-model.js';
import { compileCelRule } from '../src/flux/schemas/structural-check.js';
import { everyProp, NOT_DECLARED, REFERENCE_API_VERSION, renderedPaths, schemaPaths } from '../test/support/every-prop.js';

function rulesOf(schema: StructuralSchema): CelRule[] {
  return [
    ...(schema['x-kubernetes-validations'] ?? []),
    ...Object.values(schema.properties ?? {}).flatMap(rulesOf),
    ...(schema.items ? rulesOf(schema.items) : []),
    ...(typeof schema.additionalProperties === 'object' ? rulesOf(schema.additionalProperties) : []),
  ];
}

const rendered = new Map<string, Set<string>>();
for (const o of everyProp()) {
  const json = o.toJson();
  const key = `${String(json.apiVersion).split('/')[0]}/${json.kind}`;
  rendered.set(key, renderedPaths(json.spec, 'spec', rendered.get(key) ?? new Set()));
}

function row(label: string, model: FluxSchemaModel): string[] {
  const kinds = new Set(model.kinds.map((k) => `${k.group}/${k.kind}`));
  let fields = 0;
  let typed = 0;
  let excepted = 0;
  let rules = 0;
  let evaluated = 0;
  let compiled = 0;
  for (const k of model.kinds) {
    const schema = JSON.parse(k.schema) as StructuralSchema;
    for (const rule of rulesOf(schema)) {
      rules++;
      if (/\boldSelf\b/.test(rule.rule)) continue;
      evaluated++;
      try {
        compileCelRule(rule);
        compiled++;
      } catch {
        // counted as not compiled
      }
    }
    if (!k.storage) continue;
    const paths = schemaPaths(schema.properties!.spec, 'spec', new Set());
    const covered = rendered.get(`${k.group}/${k.kind}`) ?? new Set();
    fields += paths.size;
    typed += [...paths].filter((p) => covered.has(p)).length;
    excepted += [...paths].filter((p) => !covered.has(p) && (NOT_DECLARED.has(k.kind) || REFERENCE_API_VERSION.test(p))).length;
  }
  return [label, model.derived ? `${model.release}` : model.release, `${kinds.size} (${model.kinds.length} versions)`,
    String(fields), String(typed), String(excepted), String(fields - typed - excepted), `${evaluated} / ${rules}`, `${compiled} / ${evaluated}`];
}

const rows = [
  ['minor', 'from upstream', 'kinds (served versions)', 'spec fields', 'typed', 'named exceptions', 'untyped', 'CEL rules checked / all', 'compiled in cel-js'],
  ...FLUX_MINORS.map((m) => row(`Flux ${m}`, FLUX_SCHEMA_MODELS[m])),
  row('Flux Operator', FLUX_OPERATOR_SCHEMA_MODEL),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
for (const m of FLUX_MINORS) if (FLUX_SCHEMA_MODELS[m].derived) console.log(`\nFlux ${m}: ${FLUX_SCHEMA_MODELS[m].derived}`);
