import { Duration } from 'cdk8s';
import { Checks, isSemverRange } from '../../src/flux/core/rules.js';

function run(f: (c: Checks) => void): string[] {
  const c = new Checks();
  f(c);
  return c.errors;
}

describe('rules', () => {
  test('DNS-1123 names and labels', () => {
    expect(run((c) => c.dnsName('metadata.name', 'podinfo.apps'))).toStrictEqual([]);
    expect(run((c) => c.dnsName('metadata.name', 'PodInfo'))).toStrictEqual([
      'metadata.name "PodInfo" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "pod-info"',
    ]);
    expect(run((c) => c.dnsName('metadata.name', 'a'.repeat(64), 63))).toStrictEqual([
      `metadata.name "${'a'.repeat(64)}" is 64 characters long; at most 63 are allowed`,
    ]);
    expect(run((c) => c.dnsLabel('spec.targetNamespace', 'team.a'))[0]).toMatch(/not a DNS-1123 label.*"team-a"/);
  });

  test('Go durations', () => {
    for (const ok of ['5m', '1h30m', '1.5h', '250ms', '1m30s']) expect(run((c) => c.duration('spec.interval', ok))).toStrictEqual([]);
    for (const bad of ['5 minutes', '5', 'm', '-5m', '1d', '']) {
      expect(run((c) => c.duration('spec.interval', bad))[0]).toMatch(/^spec.interval ".*" is not a Go duration; use a number and a unit/);
    }
    expect(run((c) => c.duration('spec.timeout', '1h', { hours: false }))[0]).toMatch(/no hours here/);
    expect(run((c) => c.duration('spec.timeout', Duration.hours(2), { hours: false }))[0]).toMatch(/must be under an hour.*"120m"/);
    expect(run((c) => c.duration('spec.interval', Duration.seconds(0)))[0]).toMatch(/longer than zero/);
  });

  test('URLs', () => {
    expect(run((c) => c.url('spec.url', 'https://github.com/acme/fleet', ['http', 'https', 'ssh']))).toStrictEqual([]);
    expect(run((c) => c.url('spec.url', 'git@github.com:acme/fleet', ['http', 'https', 'ssh']))).toStrictEqual([
      'spec.url "git@github.com:acme/fleet" must start with http:// or https:// or ssh://',
    ]);
  });

  test('OCI URLs carry no tag or digest', () => {
    expect(run((c) => c.ociUrl('spec.url', 'oci://localhost:5000/fleet/cluster'))).toStrictEqual([]);
    expect(run((c) => c.ociUrl('spec.url', 'oci://ghcr.io/acme/fleet:v1'))[0]).toMatch(/carries a tag; drop ":v1".*ref.tag to "v1"/);
    expect(run((c) => c.ociUrl('spec.url', 'oci://ghcr.io/acme/fleet@sha256:abc'))[0]).toMatch(/carries a digest/);
    expect(run((c) => c.ociUrl('spec.url', 'https://ghcr.io/acme/fleet'))[0]).toMatch(/must start with oci:\/\//);
    expect(run((c) => c.ociUrl('spec.url', 'oci://ghcr.io'))[0]).toMatch(/names no repository/);
  });

  test('semver ranges in the Masterminds syntax', () => {
    for (const ok of ['6.x', '*', '1.2.3', 'v1.2.3', '>=1.2.0 <2.0.0', '>= 1.2, < 3.0.0', '^1.4', '~1.4.2', '~> 1.4', '1.2 - 1.4.5', '>=1.0.0-0', '1.x || >=2.5.0', '!=1.2.3']) {
      expect([ok, isSemverRange(ok)]).toStrictEqual([ok, true]);
    }
    for (const bad of ['', 'latest', '>=', '1.2.3.4', '>=1.2.0 <', '1.2 -', 'one']) {
      expect([bad, isSemverRange(bad)]).toStrictEqual([bad, false]);
    }
  });

  test('relative paths', () => {
    expect(run((c) => c.relativePath('spec.path', './apps/podinfo'))).toStrictEqual([]);
    expect(run((c) => c.relativePath('spec.path', 'apps'))).toStrictEqual([]);
    expect(run((c) => c.relativePath('spec.path', './apps/../../secrets'))[0]).toMatch(/climbs out of the artifact with "\.\."/);
    expect(run((c) => c.relativePath('spec.path', '/etc'))[0]).toMatch(/is absolute.*"\.\/etc"/);
  });

  test('substitution variable names', () => {
    expect(run((c) => c.variableName('x', 'cluster_name'))).toStrictEqual([]);
    expect(run((c) => c.variableName('x', '_X1'))).toStrictEqual([]);
    expect(run((c) => c.variableName('x', 'cluster-name'))[0]).toMatch(/not a valid substitution variable name.*"cluster_name"/);
    expect(run((c) => c.variableName('x', '1abc'))[0]).toMatch(/"_1abc"/);
  });
});
