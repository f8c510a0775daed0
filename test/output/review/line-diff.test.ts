import { lineDiff } from '../../../src/output/review/line-diff.js';

describe('lineDiff', () => {
  test('shows the changed lines with a line of context, as diff -U1 does', () => {
    // GIVEN
    const before = 'a\nb\nc\nd\ne\nf\n';
    const after = 'a\nb\nC\nd\ne\nf\ng\n';
    // WHEN
    const lines = lineDiff(before, after);
    // THEN
    expect(lines).toStrictEqual(['@@ -2 +2 @@', ' b', '-c', '+C', ' d', '@@ -6 +6 @@', ' f', '+g']);
  });

  test('an added file is all added lines; identical texts give nothing', () => {
    expect(lineDiff('', 'x\ny\n')).toStrictEqual(['@@ -1 +1 @@', '+x', '+y']);
    expect(lineDiff('same\n', 'same\n')).toStrictEqual([]);
  });

  test('texts over the line bound are not compared', () => {
    expect(lineDiff('x\n'.repeat(3), 'y\n', { maxLines: 2 })).toBeUndefined();
  });
});
