import { FLUX_OPERATOR_SCHEMA_MODEL, FLUX_SCHEMA_MODELS } from '../../src/flux/schema-registry.js';
import type { CelRule, FluxSchemaKind, StructuralSchema } from '../../src/flux/schemas/schema-model.js';
import { compileCelRule, compileSchema, nearest } from '../../src/flux/schemas/structural-check.js';
import { checkFluxSchema, FLUX_COMPONENTS, FLUX_MINORS, FLUX_VARIANTS } from '../../src/index.js';

const meta = { name: 'podinfo', namespace: 'apps' };

function kustomization(spec: Record<string, unknown>) {
  return { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: meta, spec };
}

function helmRelease(spec: Record<string, unknown>) {
  return { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: meta, spec };
}

const SOURCE_REF = { kind: 'OCIRepository', name: 'apps' };

/** Every CEL rule in a schema, with where it sits. */
function rulesOf(schema: StructuralSchema, at = ''): Array<{ at: string; rule: CelRule }> {
  const out = (schema['x-kubernetes-validations'] ?? []).map((rule) => ({ at, rule }));
  for (const [name, sub] of Object.entries(schema.properties ?? {})) out.push(...rulesOf(sub, `${at}.${name}`));
  if (schema.items) out.push(...rulesOf(schema.items, `${at}[]`));
  if (typeof schema.additionalProperties === 'object') out.push(...rulesOf(schema.additionalProperties, `${at}.*`));
  return out;
}

const allKinds: Array<[string, FluxSchemaKind]> = [
  ...FLUX_MINORS.flatMap((m) => FLUX_SCHEMA_MODELS[m].kinds.map((k): [string, FluxSchemaKind] => [m, k])),
  ...FLUX_OPERATOR_SCHEMA_MODEL.kinds.map((k): [string, FluxSchemaKind] => ['operator', k]),
];

/** The enum of a field of a vendored kind's spec. */
function enumAt(kind: FluxSchemaKind, ...path: string[]): unknown {
  let s = JSON.parse(kind.schema) as StructuralSchema;
  for (const p of ['spec', ...path]) s = p === '[]' ? s.items! : s.properties![p];
  return s.enum;
}

describe('the upstream schemas of each Flux minor', () => {
  test('each minor says which upstream release and commit its CRDs come from, and 2.10 that it is derived', () => {
    expect(Object.fromEntries(FLUX_MINORS.map((m) => [m, FLUX_SCHEMA_MODELS[m].release]))).toStrictEqual({
      '2.7': 'v2.7.5', '2.8': 'v2.8.8', '2.9': 'v2.9.4', '2.10': 'v2.9.4 (derived)',
    });
    for (const m of FLUX_MINORS) {
      expect(FLUX_SCHEMA_MODELS[m].commit).toMatch(/^[0-9a-f]{40}$/);
      expect(FLUX_SCHEMA_MODELS[m].source).toMatch(/^https:\/\/github\.com\/controlplaneio-fluxcd\/flux-operator\/tree\/v0\.58\.1\/config\/data\/flux\/v2\.[0-9]+\.[0-9]+$/);
    }
    expect(FLUX_SCHEMA_MODELS['2.10'].derived).toMatch(/^The Flux v2\.10 CRDs were not available/);
    expect(FLUX_SCHEMA_MODELS['2.9'].derived).toBeUndefined();
    expect(FLUX_OPERATOR_SCHEMA_MODEL.release).toBe('v0.58.1');
  });

  test('Flux 2.9 serves each kind at the version flux-fleet writes', () => {
    const served = FLUX_SCHEMA_MODELS['2.9'].kinds.filter((k) => k.storage).map((k) => `${k.group}/${k.version} ${k.kind}`).sort();
    expect(served).toStrictEqual([
      'helm.toolkit.fluxcd.io/v2 HelmRelease',
      'image.toolkit.fluxcd.io/v1 ImagePolicy',
      'image.toolkit.fluxcd.io/v1 ImageRepository',
      'image.toolkit.fluxcd.io/v1 ImageUpdateAutomation',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization',
      'notification.toolkit.fluxcd.io/v1 Receiver',
      'notification.toolkit.fluxcd.io/v1beta3 Alert',
      'notification.toolkit.fluxcd.io/v1beta3 Provider',
      'source.extensions.fluxcd.io/v1beta1 ArtifactGenerator',
      'source.toolkit.fluxcd.io/v1 Bucket',
      'source.toolkit.fluxcd.io/v1 ExternalArtifact',
      'source.toolkit.fluxcd.io/v1 GitRepository',
      'source.toolkit.fluxcd.io/v1 HelmChart',
      'source.toolkit.fluxcd.io/v1 HelmRepository',
      'source.toolkit.fluxcd.io/v1 OCIRepository',
    ]);
    expect(FLUX_OPERATOR_SCHEMA_MODEL.kinds.map((k) => k.kind).sort()).toStrictEqual(['FluxInstance', 'FluxReport', 'ResourceSet', 'ResourceSetInputProvider']);
  });

  test('every CEL rule of every minor and of the operator parses and type-checks in cel-js', () => {
    // GIVEN
    const rules = allKinds.flatMap(([minor, k]) => rulesOf(JSON.parse(k.schema)).map((r) => ({ ...r, where: `${minor} ${k.kind}/${k.version}${r.at}` })));
    // WHEN
    const failed = rules.filter(({ rule }) => {
      if (/\boldSelf\b/.test(rule.rule)) return false; // evaluated on updates only
      try {
        compileCelRule(rule);
        return false;
      } catch {
        return true;
      }
    }).map((r) => `${r.where}: ${r.rule.rule}`);
    // THEN
    expect(rules.length).toBeGreaterThan(100);
    expect(failed).toStrictEqual([]);
  });

  test('the controllers and variants FluxInstance accepts are the operator CRD\'s enums', () => {
    const instance = FLUX_OPERATOR_SCHEMA_MODEL.kinds.find((k) => k.kind === 'FluxInstance')!;
    expect(enumAt(instance, 'components', '[]')).toStrictEqual([...FLUX_COMPONENTS]);
    expect(enumAt(instance, 'distribution', 'variant')).toStrictEqual([...FLUX_VARIANTS]);
  });
});

describe('checkFluxSchema', () => {
  test('a valid Kustomization passes in every minor', () => {
    const object = kustomization({ interval: '10m', prune: true, sourceRef: SOURCE_REF, healthChecks: [{ kind: 'Deployment', name: 'web' }] });
    for (const fluxMinor of FLUX_MINORS) expect(checkFluxSchema(object, { fluxMinor })).toStrictEqual([]);
  });

  test('fails when a field is misspelled, naming the nearest field', () => {
    const object = kustomization({ interval: '10m', prune: true, sourceRef: SOURCE_REF, healthcheks: [{ kind: 'Deployment', name: 'web' }] });
    expect(checkFluxSchema(object)).toStrictEqual([
      'does not match the Flux schema: spec.healthcheks is not a field of Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux 2.9); did you mean healthChecks?',
    ]);
  });

  test('fails when a field is unknown, listing the fields there', () => {
    const object = kustomization({ interval: '10m', prune: true, sourceRef: { ...SOURCE_REF, bogusField: 1 } });
    expect(checkFluxSchema(object)).toStrictEqual([
      'does not match the Flux schema: spec.sourceRef.bogusField is not a field of Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux 2.9); its fields here are apiVersion, kind, name, namespace',
    ]);
  });

  test('fails when a metadata field is misspelled', () => {
    const object = { ...kustomization({ interval: '10m', prune: true, sourceRef: SOURCE_REF }), metadata: { ...meta, lables: { app: 'web' } } };
    expect(checkFluxSchema(object)).toStrictEqual([
      'does not match the Flux schema: metadata.lables is not a field of Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux 2.9); did you mean labels?',
    ]);
  });

  test('fails when a HelmRelease sets both chart and chartRef, with the CRD rule\'s message', () => {
    const chart = { spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } };
    const chartRef = { kind: 'OCIRepository', name: 'podinfo' };
    expect(checkFluxSchema(helmRelease({ interval: '10m', chart, chartRef }))).toStrictEqual([
      'does not match the Flux schema: spec.chart, spec.chartRef: either chart or chartRef must be set',
    ]);
    expect(checkFluxSchema(helmRelease({ interval: '10m' }))).toStrictEqual(['does not match the Flux schema: spec.chart, spec.chartRef: either chart or chartRef must be set']);
    expect(checkFluxSchema(helmRelease({ interval: '10m', chartRef }))).toStrictEqual([]);
  });

  test('fails when a rule on one field breaks, naming the field and its value', () => {
    const object = {
      apiVersion: 'fluxcd.controlplane.io/v1',
      kind: 'FluxInstance',
      metadata: { name: 'main', namespace: 'flux-system' },
      spec: { distribution: { version: '2.9.x', registry: 'ghcr.io/fluxcd' } },
    };
    expect(checkFluxSchema(object)).toStrictEqual([
      'does not match the Flux schema: metadata.name "main": the only accepted name for a FluxInstance is \'flux\'',
    ]);
  });

  test('fails when ImagePolicy\'s CEL rules tie interval and digestReflectionPolicy together', () => {
    // GIVEN
    const policy = (spec: Record<string, unknown>) => ({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImagePolicy',
      metadata: meta,
      spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '1.x' } }, ...spec },
    });
    // THEN
    expect(checkFluxSchema(policy({ interval: '5m' }))).toStrictEqual([
      'does not match the Flux schema: spec.interval, spec.digestReflectionPolicy: spec.interval is only accepted when spec.digestReflectionPolicy is set to \'Always\'',
    ]);
    expect(checkFluxSchema(policy({ interval: '5m', digestReflectionPolicy: 'Always' }))).toStrictEqual([]);
    expect(checkFluxSchema(policy({ digestReflectionPolicy: 'Always' }))).toStrictEqual([
      'does not match the Flux schema: spec.interval, spec.digestReflectionPolicy: spec.interval must be set when spec.digestReflectionPolicy is set to \'Always\'',
    ]);
  });

  test('Flux 2.7 serves the deprecated v1beta2 OCIRepository; Flux 2.9 does not', () => {
    const object = {
      apiVersion: 'source.toolkit.fluxcd.io/v1beta2',
      kind: 'OCIRepository',
      metadata: meta,
      spec: { interval: '5m', url: 'oci://ghcr.io/acme/apps' },
    };
    expect(checkFluxSchema(object, { fluxMinor: '2.7' })).toStrictEqual([]);
    expect(checkFluxSchema(object, { fluxMinor: '2.9' }))
      .toStrictEqual(['apiVersion source.toolkit.fluxcd.io/v1beta2 of OCIRepository is not served by Flux v2.9; use source.toolkit.fluxcd.io/v1']);
  });

  test('fails when a field is newer than the cluster\'s minor', () => {
    // GIVEN: Kustomization's buildMetadata arrived in Flux 2.9, HelmRelease's waitStrategy in 2.8
    const k = kustomization({ interval: '10m', prune: true, sourceRef: SOURCE_REF, buildMetadata: ['originAnnotations'] });
    const h = helmRelease({ interval: '10m', chartRef: { kind: 'OCIRepository', name: 'podinfo' }, waitStrategy: { name: 'poller' } });
    // WHEN
    const both = (fluxMinor: typeof FLUX_MINORS[number]) => [...checkFluxSchema(k, { fluxMinor }), ...checkFluxSchema(h, { fluxMinor })];
    const result = Object.fromEntries(FLUX_MINORS.map((fluxMinor) => [fluxMinor, both(fluxMinor)]));
    // THEN
    expect(result).toStrictEqual({
      '2.7': [
        'does not match the Flux schema: spec.buildMetadata is not a field of Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux 2.7); its fields here are ' +
          'commonMetadata, components, decryption, deletionPolicy, dependsOn, force, healthCheckExprs, healthChecks, ignoreMissingComponents, images, interval, kubeConfig, namePrefix, nameSuffix, patches, path, postBuild, prune, retryInterval, serviceAccountName, sourceRef, suspend, targetNamespace, timeout, wait',
        'does not match the Flux schema: spec.waitStrategy is not a field of HelmRelease (helm.toolkit.fluxcd.io/v2, Flux 2.7); its fields here are chart, chartRef, commonMetadata, dependsOn, driftDetection, install, interval, kubeConfig, maxHistory, persistentClient, postRenderers, releaseName, rollback, serviceAccountName, storageNamespace, suspend, targetNamespace, test, timeout, uninstall, upgrade, values, valuesFrom',
      ],
      '2.8': ['does not match the Flux schema: spec.buildMetadata is not a field of Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux 2.8); its fields here are ' +
          'commonMetadata, components, decryption, deletionPolicy, dependsOn, force, healthCheckExprs, healthChecks, ignoreMissingComponents, images, interval, kubeConfig, namePrefix, nameSuffix, patches, path, postBuild, prune, retryInterval, serviceAccountName, sourceRef, suspend, targetNamespace, timeout, wait'],
      '2.9': [],
      '2.10': [],
    });
  });

  test('objects outside Flux\'s groups are not checked, and the object is not changed', () => {
    const object = kustomization({ interval: '10m', prune: true, sourceRef: SOURCE_REF });
    const before = JSON.stringify(object);
    expect(checkFluxSchema({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { bogus: true } })).toStrictEqual([]);
    expect(checkFluxSchema(object)).toStrictEqual(checkFluxSchema(object));
    expect(JSON.stringify(object)).toBe(before);
  });
});

describe('compileSchema', () => {
  const context = { kindLabel: 'Thing' };

  test('integers reach CEL as ints, and types, enums, lengths and patterns are checked', () => {
    // GIVEN
    const check = compileSchema({
      'type': 'object',
      'properties': {
        n: { type: 'integer', minimum: 0 },
        mode: { type: 'string', enum: ['a', 'b'] },
        name: { type: 'string', maxLength: 3, pattern: '^[a-z]+$' },
      },
      'x-kubernetes-validations': [{ rule: 'self.n > 2', message: 'n must be more than 2' }],
    }, context);
    // WHEN
    const out: string[] = [];
    check({ n: 1, mode: 'c', name: 'ABCD' }, 'spec', out);
    // THEN
    expect(out).toStrictEqual([
      'spec.mode "c" is not allowed; use one of "a", "b"',
      'spec.name must NOT be longer than 3 characters (got 4)',
      'spec.name must match pattern "^[a-z]+$" (got "ABCD")',
      'spec.n 1: n must be more than 2',
    ]);
  });

  test('CEL rules see the defaults the API server fills in', () => {
    // GIVEN
    const check = compileSchema({
      'type': 'object',
      'properties': { mode: { type: 'string', default: 'Never' }, interval: { type: 'string' } },
      'x-kubernetes-validations': [{ rule: 'has(self.interval) || self.mode == \'Always\'', message: 'set interval, or mode Always' }],
    }, context);
    // WHEN
    const out: string[] = [];
    check({}, 'spec', out);
    check({ mode: 'Always' }, 'spec', out);
    // THEN: only the defaulted object fails (without the default, has(self.mode) would not even hold)
    expect(out).toStrictEqual(['spec.interval, spec.mode: set interval, or mode Always']);
  });

  test('lengths count characters, as Kubernetes does, not UTF-16 units', () => {
    const check = compileSchema({ type: 'string', maxLength: 3 }, context);
    const out: string[] = [];
    check('😀😀😀', 'spec.note', out);
    check('😀😀😀😀', 'spec.note', out);
    expect(out).toStrictEqual(['spec.note must NOT be longer than 3 characters (got 4)']);
  });

  test('a rule comparing with oldSelf is left to updates', () => {
    const check = compileSchema({ 'type': 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }] }, context);
    const out: string[] = [];
    check('x', 'spec.name', out);
    expect(out).toStrictEqual([]);
  });

  test('fails when a rule cannot be evaluated, saying why', () => {
    const check = compileSchema({ 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-validations': [{ rule: 'self.a.b == 1', message: 'b must be 1' }] }, context);
    const out: string[] = [];
    check({}, 'spec', out);
    expect(out).toStrictEqual(['spec.a.b: b must be 1 (the rule "self.a.b == 1" cannot be evaluated: No such key: a)']);
  });

  test('the nearest name, when one is near enough', () => {
    expect([nearest('healthcheks', ['healthChecks', 'healthCheckExprs']), nearest('intreval', ['interval']), nearest('zzz', ['interval'])])
      .toStrictEqual(['healthChecks', 'interval', undefined]);
  });
});
