import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../examples/fleet/app.js';
import { buildApp as buildOperatorApp } from '../../examples/operator-fleet/app.js';
import { COMPONENT_HEALTH_CHECK, SOURCE_DIGEST_ANNOTATION, type HealthCheckExpression } from '../../src/index.js';

/*
 * A cluster's sync health-checks its components' Kustomizations with COMPONENT_HEALTH_CHECK, so that a component whose
 * pinned digest changed is not counted ready at the old revision. The expressions are evaluated here in cel-js (a CEL
 * implementation the project did not write) the way kustomize-controller evaluates healthCheckExprs (fluxcd/pkg
 * runtime/cel status_evaluator.go: InProgress when status.observedGeneration differs from metadata.generation; then
 * inProgress, failed, current, in that order; else InProgress), on Kustomizations as kustomize-controller writes
 * their status (Ready, Reconciling and Stalled conditions; lastAppliedRevision and lastAttemptedRevision, which for
 * an OCIRepository pinned by digest are `sha256:<digest>`, for one at a tag `<tag>@sha256:<digest>`).
 */

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; annotations?: Record<string, string> };
  spec: Record<string, any>;
  status?: Record<string, unknown>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sync-health-'));
  buildApp(join(dir, 'fleet')).synth();
  buildOperatorApp(join(dir, 'operator-fleet')).synth();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function objects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o && typeof o.kind === 'string');
}

/** kustomize-controller's reading of one object with healthCheckExprs. */
function statusOf(exprs: HealthCheckExpression, object: Obj): 'InProgress' | 'Failed' | 'Current' {
  const observed = object.status?.observedGeneration;
  if (typeof observed === 'number' && observed !== object.metadata.generation) return 'InProgress';
  const vars = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: object.kind, metadata: object.metadata, spec: object.spec, status: object.status ?? {} };
  if (exprs.inProgress && evaluate(exprs.inProgress, vars) === true) return 'InProgress';
  if (exprs.failed && evaluate(exprs.failed, vars) === true) return 'Failed';
  if (evaluate(exprs.current, vars) === true) return 'Current';
  return 'InProgress';
}

const OLD = `sha256:${'0'.repeat(64)}`;
const ready = (status: string) => ({ type: 'Ready', status, reason: status === 'True' ? 'ReconciliationSucceeded' : 'HealthCheckFailed' });

describe('the sync\'s health check of its components', () => {
  test('every reporting cluster\'s sync checks its components with the expressions, and each pinned component carries its digest', () => {
    // GIVEN the example: five clusters on the Flux Operator, stg-eu-2 on plain Flux
    const clusters = ['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1'];
    // WHEN
    const exprs = clusters.map((c) => {
      const sync = objects(join(dir, 'fleet', 'clusters', c, 'flux-system', 'flux-system.yaml'));
      const instance = sync.find((o) => o.kind === 'FluxInstance');
      if (!instance) return sync.find((o) => o.kind === 'Kustomization' && o.metadata.name === 'flux-system')!.spec.healthCheckExprs;
      const patch = (instance.spec.kustomize.patches as Array<{ patch: string }>).map((p) => parseAllDocuments(p.patch)[0].toJS()[0])
        .find((p: { path: string }) => p.path === '/spec/healthCheckExprs');
      return patch.value;
    });
    const pins = clusters.flatMap((c) => {
      const sources = objects(join(dir, 'fleet', 'clusters', c, 'sources.yaml'));
      return ['infra-controllers', 'infra-configs', 'web-shop'].filter((n) => c.startsWith('prod') || n !== 'web-shop').map((name) => {
        const k = objects(join(dir, 'fleet', 'clusters', c, `${name}.yaml`)).find((o) => o.kind === 'Kustomization')!;
        const ref = k.spec.sourceRef as { name: string; namespace?: string };
        const source = sources.find((s) => s.metadata.name === ref.name && s.metadata.namespace === (ref.namespace ?? k.metadata.namespace))!;
        return [c, name, k.metadata.annotations?.[SOURCE_DIGEST_ANNOTATION] === source.spec.ref.digest && source.spec.ref.digest.startsWith('sha256:')];
      });
    });
    // THEN
    expect(exprs).toStrictEqual(clusters.map(() => [{ ...COMPONENT_HEALTH_CHECK }]));
    expect(pins.filter((p) => p[2] !== true)).toStrictEqual([]);
    expect(pins).toHaveLength(15);
  });

  test('a component whose pinned digest changed is in progress until it applied the new digest, then current', () => {
    // GIVEN the example's infra-controllers on prod-eu-1, as the sync has just applied it (annotation of the new digest)
    const k = objects(join(dir, 'fleet', 'clusters', 'prod-eu-1', 'infra-controllers.yaml')).find((o) => o.kind === 'Kustomization')!;
    const digest = k.metadata.annotations![SOURCE_DIGEST_ANNOTATION];
    const at = (status: Record<string, unknown>): Obj => ({
      ...k, metadata: { ...k.metadata, generation: 3 }, status: { observedGeneration: 3, ...status },
    });
    // WHEN
    const states = {
      readyAtOld: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('True')], lastAppliedRevision: OLD, lastAttemptedRevision: OLD })),
      reconcilingNew: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('Unknown'), { type: 'Reconciling', status: 'True' }], lastAppliedRevision: OLD, lastAttemptedRevision: digest })),
      readyAtNew: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('True')], lastAppliedRevision: digest, lastAttemptedRevision: digest })),
      readyAtNewTag: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('True')], lastAppliedRevision: `v1@${digest}` })),
      stalledAtOld: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('False'), { type: 'Stalled', status: 'True' }], lastAppliedRevision: OLD, lastAttemptedRevision: OLD })),
      stalledAtNew: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('False'), { type: 'Stalled', status: 'True' }], lastAppliedRevision: OLD, lastAttemptedRevision: digest })),
      notReadyAtNew: statusOf(COMPONENT_HEALTH_CHECK, at({ conditions: [ready('False')], lastAppliedRevision: OLD, lastAttemptedRevision: digest })),
      noStatusYet: statusOf(COMPONENT_HEALTH_CHECK, { ...k, metadata: { ...k.metadata, generation: 1 } }),
      generationNotObserved: statusOf(COMPONENT_HEALTH_CHECK, at({ observedGeneration: 2, conditions: [ready('True')], lastAppliedRevision: digest })),
    };
    // THEN
    expect(states).toStrictEqual({
      readyAtOld: 'InProgress',
      reconcilingNew: 'InProgress',
      readyAtNew: 'Current',
      readyAtNewTag: 'Current',
      stalledAtOld: 'InProgress',
      stalledAtNew: 'Failed',
      notReadyAtNew: 'InProgress',
      noStatusYet: 'InProgress',
      generationNotObserved: 'InProgress',
    });
  });

  test('a Kustomization without the annotation (a Helm component\'s, or one from the sync\'s own artifact) is read as kstatus reads it', () => {
    // GIVEN the example's podinfo (a HelmRelease applied from the cluster's own artifact)
    const k = objects(join(dir, 'fleet', 'clusters', 'prod-eu-1', 'podinfo.yaml')).find((o) => o.kind === 'Kustomization')!;
    const at = (status: Record<string, unknown>): Obj => ({ ...k, status });
    // WHEN
    const states = [
      at({ conditions: [ready('True')], lastAppliedRevision: `stable-wave-1@${OLD}` }),
      at({ conditions: [ready('False')] }),
      at({ conditions: [ready('False'), { type: 'Stalled', status: 'True' }] }),
      at({ conditions: [{ type: 'Reconciling', status: 'True' }, ready('True')] }),
    ].map((o) => statusOf(COMPONENT_HEALTH_CHECK, o));
    // THEN
    expect(k.metadata.annotations).toBeUndefined();
    expect(states).toStrictEqual(['Current', 'InProgress', 'Failed', 'InProgress']);
  });

  test('a cluster that does not report its health is left as it was: no expressions, no annotation', () => {
    // WHEN
    const sync = objects(join(dir, 'operator-fleet', 'clusters', 'prod-eu-1', 'flux-system', 'flux-system.yaml'));
    const components = objects(join(dir, 'operator-fleet', 'clusters', 'prod-eu-1', 'sources.yaml'));
    // THEN
    expect(components.some((o) => o.kind === 'OCIRepository' && o.spec.ref?.digest)).toBe(true);
    expect(JSON.stringify(sync)).not.toContain('healthCheckExprs');
    expect(readFileSync(join(dir, 'operator-fleet', 'clusters', 'prod-eu-1', 'infra-controllers.yaml'), 'utf8')).not.toContain(SOURCE_DIGEST_ANNOTATION);
  });
});
