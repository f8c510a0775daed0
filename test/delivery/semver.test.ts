import { SemverRange, SemverRangeError } from '../../src/delivery/index.js';

const TAGS = ['latest', '1.1.9', '1.2.0', '1.2.7', '1.3.0', '1.4.0-rc.1', '1.9.9', 'v2.0.0', '2.1.0-beta.2', '6.6.0', '6.7.0', '6.8.0-rc.1', '7.0.0', '0.2.3', '0.2.9', '0.3.1', 'sha256-abc.sig'];

describe('semver ranges as Flux evaluates them', () => {
  test.each([
    ['6.x', '6.7.0'],
    ['6', '6.7.0'],
    ['>=1.2.0 <2.0.0', '1.9.9'],
    ['>=1.2.0, <1.3.0', '1.2.7'],
    ['~1.2', '1.2.7'],
    ['~1.2.0', '1.2.7'],
    ['~1', '1.9.9'],
    ['^1.2', '1.9.9'],
    ['^0.2.3', '0.2.9'],
    ['1.2 - 1.3', '1.3.0'],
    ['>=1.4.0-0 <2.0.0', '1.9.9'],
    ['>=1.4.0-0 <1.5.0', '1.4.0-rc.1'],
    ['>=2.1.0-0', '7.0.0'],
    ['>=6.8.0-0 <7.0.0', '6.8.0-rc.1'],
    ['<1.2.0 || 6.6.x', '6.6.0'],
    ['*', '7.0.0'],
    ['2.x', 'v2.0.0'],
    ['>1.2', '7.0.0'],
    ['!=7.0.0, >=6.0.0', '6.7.0'],
  ])('%s picks %s', (range, expected) => {
    // WHEN
    const highest = SemverRange.parse(range).highest(TAGS);
    // THEN
    expect(highest).toBe(expected);
  });

  test('a pre-release matches only a range that names one', () => {
    // WHEN
    const picked = ['7.x', '>=6.8.0 <7.0.0', '6.8.x'].map((r) => SemverRange.parse(r).highest(['6.8.0-rc.1', '7.1.0-rc.1']));
    // THEN
    expect(picked).toStrictEqual([undefined, undefined, undefined]);
  });

  test('fails when the range cannot be parsed', () => {
    // WHEN / THEN
    expect(() => SemverRange.parse('six point x')).toThrow(SemverRangeError);
    expect(() => SemverRange.parse('>=1.0.0 ||')).toThrow('semver range ">=1.0.0 ||" cannot be parsed; use e.g. "6.x", ">=1.2.0 <2.0.0", "^1.4" or "~1.4.2" (add "-0" to match pre-releases)');
  });
});
