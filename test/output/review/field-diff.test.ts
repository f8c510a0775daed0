import { deepEqual, diffFields } from '../../../src/output/review/index.js';

describe('diffFields', () => {
  test('lists nothing for equal objects, whatever the order of their keys', () => {
    // GIVEN
    const a = { spec: { interval: '5m', ref: { tag: 'stable' } }, kind: 'OCIRepository' };
    const b = { kind: 'OCIRepository', spec: { ref: { tag: 'stable' }, interval: '5m' } };
    // THEN
    expect(diffFields(a, b)).toStrictEqual([]);
    expect(deepEqual(a, b)).toBe(true);
  });

  test('lists changed, added and removed fields by path, in key order', () => {
    // WHEN
    const changes = diffFields(
      { spec: { values: { replicaCount: 3 }, suspend: false, interval: '10m' } },
      { spec: { values: { replicaCount: 4 }, interval: '10m', timeout: '5m' } },
    );
    // THEN
    expect(changes).toStrictEqual([
      { path: 'spec.suspend', type: 'removed', from: false },
      { path: 'spec.timeout', type: 'added', to: '5m' },
      { path: 'spec.values.replicaCount', type: 'changed', from: 3, to: 4 },
    ]);
  });

  test('quotes keys that are not identifiers', () => {
    // WHEN
    const changes = diffFields(
      { metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } } },
      { metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'enabled' } } },
    );
    // THEN
    expect(changes).toStrictEqual([
      { path: 'metadata.annotations["kustomize.toolkit.fluxcd.io/prune"]', type: 'changed', from: 'disabled', to: 'enabled' },
    ]);
  });

  test('shows an element inserted into a list as one added element, not a change of the elements after it', () => {
    // WHEN
    const changes = diffFields(
      { resources: ['flux-system', 'infra.yaml', 'web.yaml'] },
      { resources: ['flux-system', 'infra.yaml', 'podinfo.yaml', 'web.yaml'] },
    );
    // THEN
    expect(changes).toStrictEqual([{ path: 'resources[2]', type: 'added', to: 'podinfo.yaml' }]);
  });

  test('compares an element that takes another\'s place field by field', () => {
    // WHEN
    const changes = diffFields(
      { hosts: [{ host: 'a.example.com', paths: [{ path: '/' }] }] },
      { hosts: [{ host: 'b.example.com', paths: [{ path: '/' }] }] },
    );
    // THEN
    expect(changes).toStrictEqual([{ path: 'hosts[0].host', type: 'changed', from: 'a.example.com', to: 'b.example.com' }]);
  });

  test('reports a removed element at its old position', () => {
    // WHEN
    const changes = diffFields({ dependsOn: [{ name: 'a' }, { name: 'b' }] }, { dependsOn: [{ name: 'b' }] });
    // THEN
    expect(changes).toStrictEqual([{ path: 'dependsOn[0]', type: 'removed', from: { name: 'a' } }]);
  });

  test('reports a change of type as a change of the whole value', () => {
    expect(diffFields({ ref: { tag: '1.0' } }, { ref: '1.0' })).toStrictEqual([
      { path: 'ref', type: 'changed', from: { tag: '1.0' }, to: '1.0' },
    ]);
  });
});
