import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, ImagePolicy, ImagePolicyChoice, ImageRepository } from '../../src/index.js';

function setup(namespace?: string) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart', { namespace });
  const repo = new ImageRepository(chart, 'podinfo-repo', { image: 'ghcr.io/stefanprodan/podinfo' });
  return { app, chart, repo };
}

/** The rendered ImagePolicies of a chart. */
function policies(chart: Chart): any[] {
  return Testing.synth(chart).filter((o) => o.kind === 'ImagePolicy');
}

describe('ImagePolicy', () => {
  test('minimal object', () => {
    // GIVEN
    const { chart, repo } = setup();
    // WHEN
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('>=6.0.0') });
    // THEN
    expect(policies(chart)).toStrictEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImagePolicy',
        metadata: { name: 'podinfo', namespace: 'flux-system' },
        spec: { imageRepositoryRef: { name: 'podinfo-repo' }, policy: { semver: { range: '>=6.0.0' } } },
      },
    ]);
  });

  test('fully specified object', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    // WHEN
    new ImagePolicy(chart, 'podinfo', {
      metadata: { name: 'podinfo-main', annotations: { owner: 'web' } },
      imageRepositoryRef: repo,
      policy: ImagePolicyChoice.numerical('asc'),
      filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
      digestReflectionPolicy: 'Always',
      interval: Duration.minutes(30),
      suspend: true,
    });
    // THEN
    expect(policies(chart)).toStrictEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImagePolicy',
        metadata: { name: 'podinfo-main', namespace: 'flux-system', annotations: { owner: 'web' } },
        spec: {
          imageRepositoryRef: { name: 'podinfo-repo' },
          policy: { numerical: { order: 'asc' } },
          filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
          digestReflectionPolicy: 'Always',
          interval: '30m',
          suspend: true,
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('renders each policy choice', () => {
    // GIVEN
    const { chart, repo } = setup();
    // WHEN
    new ImagePolicy(chart, 'a', { imageRepositoryRef: repo, policy: ImagePolicyChoice.alphabetical() });
    new ImagePolicy(chart, 'b', { imageRepositoryRef: repo, policy: ImagePolicyChoice.alphabetical('desc') });
    new ImagePolicy(chart, 'c', { imageRepositoryRef: repo, policy: ImagePolicyChoice.numerical() });
    // THEN
    expect(policies(chart).map((p) => p.spec.policy)).toStrictEqual([
      { alphabetical: {} },
      { alphabetical: { order: 'desc' } },
      { numerical: {} },
    ]);
  });

  test('defaults the interval to 10m when the digest is always reflected', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    // WHEN
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('6.x'), digestReflectionPolicy: 'Always' });
    // THEN
    expect(policies(chart)[0].spec).toStrictEqual({
      imageRepositoryRef: { name: 'podinfo-repo' },
      policy: { semver: { range: '6.x' } },
      digestReflectionPolicy: 'Always',
      interval: '10m',
    });
    expect(() => app.validate()).not.toThrow();
  });

  test('passes validation', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    const shared = new ImageRepository(new Chart(app, 'images', { namespace: 'images' }), 'shared', {
      image: 'ghcr.io/acme/shared',
      accessFrom: { namespaceSelectors: [{}] },
    });
    // WHEN
    new ImagePolicy(chart, 'podinfo', {
      imageRepositoryRef: repo,
      policy: ImagePolicyChoice.semver('>=1.0.0-0 <2.0.0'),
      filterTags: { pattern: '^v(\\d+\\.\\d+\\.\\d+)$', extract: '$1' },
    });
    new ImagePolicy(chart, 'shared', { imageRepositoryRef: shared, policy: ImagePolicyChoice.alphabetical('asc') });
    // THEN
    expect(() => app.validate()).not.toThrow();
    expect(policies(chart)[1].spec.imageRepositoryRef).toStrictEqual({ name: 'shared', namespace: 'images' });
  });

  test('fromName() references a policy managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    const policy = ImagePolicy.fromName(chart, 'policy', 'podinfo', { namespace: 'apps' });
    // THEN
    expect(policy.kind).toBe('ImagePolicy');
    expect(policy.apiVersion).toBe('image.toolkit.fluxcd.io/v1');
    expect(policy.name).toBe('podinfo');
    expect(policy.namespace).toBe('apps');
    expect(policy.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([]);
  });

  test('fails when the semver range is invalid', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('latest') });
    expect(() => app.validate()).toThrow(/spec\.policy\.semver\.range "latest" is not a semver range/);
  });

  test('fails when the order is unknown', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.numerical('up' as any) });
    expect(() => app.validate()).toThrow(/spec\.policy\.numerical\.order "up" is not allowed; use one of "asc", "desc"/);
  });

  test('fails when the digest reflection policy is unknown', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('6.x'), digestReflectionPolicy: 'Sometimes' as any });
    expect(() => app.validate()).toThrow(/spec\.digestReflectionPolicy "Sometimes" is not allowed; use one of "Always", "IfNotPresent", "Never"/);
  });

  test('fails when the interval is not a Go duration', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('6.x'), digestReflectionPolicy: 'Always', interval: '10 min' });
    expect(() => app.validate()).toThrow(/spec\.interval "10 min" is not a Go duration/);
  });

  test('fails when an interval is set without digestReflectionPolicy Always', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('6.x'), interval: '5m' });
    expect(() => app.validate()).toThrow(/spec\.interval is only accepted with spec\.digestReflectionPolicy "Always" \(got "Never"\)/);
  });

  test('fails when the tag pattern is not a regular expression', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.alphabetical(), filterTags: { pattern: '^main-[0-9+$' } });
    expect(() => app.validate()).toThrow(/spec\.filterTags\.pattern "\^main-\[0-9\+\$" is not a valid regular expression/);
  });

  test('fails when extract is set without a pattern', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.alphabetical(), filterTags: { extract: '$ts' } });
    expect(() => app.validate()).toThrow(/spec\.filterTags\.extract "\$ts" is set without spec\.filterTags\.pattern/);
  });

  test('fails when extract names a group the pattern lacks', () => {
    const { app, chart, repo } = setup();
    new ImagePolicy(chart, 'podinfo', {
      imageRepositoryRef: repo,
      policy: ImagePolicyChoice.numerical(),
      filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$timestamp' },
    });
    expect(() => app.validate()).toThrow(/spec\.filterTags\.extract "\$timestamp" refers to group "timestamp", which spec\.filterTags\.pattern .* does not define/);
  });

  test('fails when the repository of another namespace grants no access', () => {
    const { app, chart } = setup('apps');
    const other = new ImageRepository(new Chart(app, 'images', { namespace: 'images' }), 'shared', { image: 'ghcr.io/acme/shared' });
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: other, policy: ImagePolicyChoice.semver('6.x') });
    expect(() => app.validate()).toThrow(/spec\.imageRepositoryRef refers to ImageRepository images\/shared in another namespace, but its spec\.accessFrom is not set/);
  });

  test('fails when the reference is not an ImageRepository', () => {
    const { app, chart, repo } = setup();
    const policy = new ImagePolicy(chart, 'other', { imageRepositoryRef: repo, policy: ImagePolicyChoice.semver('6.x') });
    new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: policy as any, policy: ImagePolicyChoice.semver('6.x') });
    expect(() => app.validate()).toThrow(/spec\.imageRepositoryRef refers to ImagePolicy flux-system\/other, but Flux accepts only ImageRepository there/);
  });

  test('fails when a patch breaks the Flux schema', () => {
    const { app, chart, repo } = setup();
    const policy = new ImagePolicy(chart, 'podinfo', { imageRepositoryRef: repo, policy: ImagePolicyChoice.alphabetical() });
    policy.addJsonPatch(JsonPatch.add('/spec/policy/alphabetical/order', 'sideways'));
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.policy\.alphabetical\.order "sideways" is not allowed/);
  });
});
