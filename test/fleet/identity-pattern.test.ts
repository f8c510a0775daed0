import { IdentityPattern, probeIdentityPattern, UnreadablePattern } from '../../src/fleet/identity-pattern.js';

const PATTERNS = [
  '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[^@]+$',
  '(?i)^https://GITHUB\\.com/acme/(fleet|infra)/\\.github/workflows/[a-z]+\\.ya?ml@refs/heads/main$',
  '^bot@acme\\.io$',
  'acme',
  '^a{2,3}b?$',
  '^[^a-c\\d]+x*$',
  '^(?:a|bc)*d$',
  '^\\w+\\s\\S$',
  '^x$|^y$',
];
const TEXTS = [
  '', 'a', 'aa', 'aaa', 'aaaa', 'aab', 'ab', 'acme', 'xacmey', 'x', 'y', 'xy', 'ddd', 'zzx', 'zzxx', 'bcbcad', 'abcd', 'd', 'a_1 !', 'a_1  !',
  'bot@acme.io', 'bot@acmeXio', 'bot@acme.io\n',
  'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v1.2.3',
  'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v1@x',
  'https://GitHub.com/ACME/Infra/.github/workflows/deploy.yml@refs/heads/main',
  'https://github.com/acme/other/.github/workflows/deploy.yml@refs/heads/main',
];

describe('IdentityPattern', () => {
  test('matches as a regular expression does, anywhere in the text, with anchors where written', () => {
    // GIVEN: JavaScript's engine agrees with RE2 on these patterns and texts
    const js = (p: string) => new RegExp(p.replace(/^\(\?i\)/, ''), p.startsWith('(?i)') ? 'i' : '');
    // WHEN
    const ours = PATTERNS.map((p) => TEXTS.map((t) => IdentityPattern.parse(p).matches(t)));
    // THEN
    expect(ours).toStrictEqual(PATTERNS.map((p) => TEXTS.map((t) => js(p).test(t))));
  });

  test('matches in time linear in the text, where a backtracking engine would not return', () => {
    // GIVEN: a pattern that makes a backtracking engine take exponential time on a text it does not match
    const pattern = IdentityPattern.parse('^(a+)+$');
    // WHEN
    const matched = pattern.matches(`${'a'.repeat(5000)}!`);
    // THEN
    expect(matched).toBe(false);
    expect(pattern.matches('a'.repeat(5000))).toBe(true);
  });

  test('generates the identities a pattern is written for, marking the characters it spells', () => {
    // WHEN
    const witnesses = IdentityPattern.parse('^https://x\\.io/(?:a|b)/[0-9]+$').witnesses();
    // THEN
    expect(witnesses).toStrictEqual([
      { text: 'https://x.io/a/0', literal: [...Array(15).fill(true), false] },
      { text: 'https://x.io/b/0', literal: [...Array(15).fill(true), false] },
    ]);
  });

  test('fails when a pattern uses syntax outside RE2\'s identity patterns', () => {
    // THEN
    for (const [pattern, reason] of [
      ['^(?=a)b$', 'a group "(?..." other than (?:...), (?P<name>...) or flags (lookarounds are not RE2)'],
      ['^[[:alpha:]]+$', 'a POSIX class such as [[:alpha:]] (JavaScript reads it otherwise; use [a-zA-Z])'],
      ['^a{1001}$', 'the repetition {1001} is out of range (RE2 counts up to 1000)'],
      ['^(a$', 'a group without its ")"'],
    ]) {
      expect(() => IdentityPattern.parse(pattern)).toThrow(UnreadablePattern);
      try {
        IdentityPattern.parse(pattern);
      } catch (e) {
        expect((e as UnreadablePattern).reason).toBe(reason);
      }
    }
  });

  test('probing finds nothing for an exact identity, and names what a wider one accepts', () => {
    // WHEN
    const exact = probeIdentityPattern(IdentityPattern.parse('^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$'));
    const anyBranch = probeIdentityPattern(IdentityPattern.parse('^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/[^@]+$'));
    const anyRef = probeIdentityPattern(IdentityPattern.parse('^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/[^@]+$'));
    // THEN
    expect([exact, anyBranch]).toStrictEqual([undefined, undefined]);
    expect(anyRef).toStrictEqual({
      what: 'another ref',
      probe: 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/evil',
      witness: 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/a',
    });
  });
});
