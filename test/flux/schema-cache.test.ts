import { cachedSchemaCheck } from '../../src/flux/core/schema-cache.js';

/** A schema check that counts the objects it checks and refuses those without a spec. */
function countingCheck(): { check: (o: Record<string, unknown>) => string[]; checked: Array<Record<string, unknown>> } {
  const checked: Array<Record<string, unknown>> = [];
  return { checked, check: (o) => (checked.push(o), o.spec === undefined ? ['spec is required'] : []) };
}

describe('cachedSchemaCheck', () => {
  test('checks an object identical to one checked before once, and gives the same result', () => {
    // GIVEN
    class Kind {}
    const { check, checked } = countingCheck();
    const object = () => ({ apiVersion: 'v1', kind: 'K', metadata: { name: 'a' }, spec: { interval: '5m' } });
    // WHEN
    const first = cachedSchemaCheck(Kind, '2.9', check, object());
    const second = cachedSchemaCheck(Kind, '2.9', check, object());
    // THEN
    expect(checked).toHaveLength(1);
    expect([first, second]).toStrictEqual([[], []]);
  });

  test('checks again an object that differs, one of another kind, and one for another Flux minor', () => {
    // GIVEN
    class Kind {}
    class Other {}
    const { check, checked } = countingCheck();
    const broken = { apiVersion: 'v1', kind: 'K', metadata: { name: 'a' } };
    // WHEN
    const results = [
      cachedSchemaCheck(Kind, '2.9', check, broken),
      cachedSchemaCheck(Kind, '2.9', check, { ...broken, metadata: { name: 'b' } }),
      cachedSchemaCheck(Other, '2.9', check, broken),
      cachedSchemaCheck(Kind, '2.10', check, broken),
      cachedSchemaCheck(Kind, '2.9', check, broken),
    ];
    // THEN
    expect(checked).toHaveLength(4);
    expect(results).toStrictEqual([['spec is required'], ['spec is required'], ['spec is required'], ['spec is required'], ['spec is required']]);
  });
});
