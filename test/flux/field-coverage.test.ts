import { FLUX_OPERATOR_SCHEMA_MODEL, FLUX_SCHEMA_MODELS } from '../../src/flux/schema-registry.js';
import type { FluxSchemaKind, StructuralSchema } from '../../src/flux/schemas/schema-model.js';
import { FLUX_MINORS } from '../../src/index.js';
import { everyProp, NOT_DECLARED, REFERENCE_API_VERSION, renderedPaths, schemaPaths } from '../support/every-prop.js';

// See test/support/every-prop.ts: objects setting every prop of every kind, and the exceptions, each for a reason.
describe('typed props cover every field of the upstream schemas', () => {
  const objects = everyProp();
  const rendered = new Map<string, Set<string>>();
  for (const o of objects) {
    const json = o.toJson();
    const key = `${String(json.apiVersion).split('/')[0]}/${json.kind}`;
    rendered.set(key, renderedPaths(json.spec, 'spec', rendered.get(key) ?? new Set()));
  }
  const storageKinds = (kinds: readonly FluxSchemaKind[]) => kinds.filter((k) => k.storage && !NOT_DECLARED.has(k.kind));
  const cases: Array<[string, FluxSchemaKind]> = [
    ...FLUX_MINORS.flatMap((m) => storageKinds(FLUX_SCHEMA_MODELS[m].kinds).map((k): [string, FluxSchemaKind] => [`Flux ${m}`, k])),
    ...storageKinds(FLUX_OPERATOR_SCHEMA_MODEL.kinds).map((k): [string, FluxSchemaKind] => [`Flux Operator ${FLUX_OPERATOR_SCHEMA_MODEL.release}`, k]),
  ];

  test.each(cases.map(([label, kind]): [string, FluxSchemaKind] => [`${label} ${kind.kind} ${kind.group}/${kind.version}`, kind]))('%s', (_, kind) => {
    const schema = JSON.parse(kind.schema) as StructuralSchema;
    const fields = schemaPaths(schema.properties!.spec, 'spec', new Set());
    const covered = rendered.get(`${kind.group}/${kind.kind}`) ?? new Set();
    expect([...fields].filter((f) => !covered.has(f) && !REFERENCE_API_VERSION.test(f))).toStrictEqual([]);
  });
});
