import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, GitRepository, ImageUpdateAutomation, OciRepository } from '../../src/index.js';

const AUTHOR = { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' };

function setup(namespace?: string) {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart', { namespace });
  const repo = new GitRepository(chart, 'fleet-repo', { metadata: { name: 'fleet' }, url: 'ssh://git@github.com/acme/fleet', secretRef: { name: 'fleet-deploy-key' } });
  return { app, chart, repo };
}

/** The rendered ImageUpdateAutomations of a chart. */
function automations(chart: Chart): any[] {
  return Testing.synth(chart).filter((o) => o.kind === 'ImageUpdateAutomation');
}

describe('ImageUpdateAutomation', () => {
  test('minimal object', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    // WHEN
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: { email: 'bot@example.com' } } } });
    // THEN
    expect(automations(chart)).toStrictEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageUpdateAutomation',
        metadata: { name: 'fleet', namespace: 'flux-system' },
        spec: {
          sourceRef: { kind: 'GitRepository', name: 'fleet' },
          git: { commit: { author: { email: 'bot@example.com' } } },
          interval: '10m',
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const { app, chart } = setup('apps');
    const repo = GitRepository.fromName(chart, 'system-repo', 'fleet', { namespace: 'flux-system' });
    // WHEN
    new ImageUpdateAutomation(chart, 'fleet', {
      metadata: { name: 'fleet-images', labels: { tier: 'ops' } },
      sourceRef: repo,
      git: {
        checkout: { ref: { branch: 'main' } },
        commit: {
          author: AUTHOR,
          signingKey: { secretRef: { name: 'signing-key' }, type: 'ssh' },
          messageTemplate: 'Update images\n{{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}\n{{ end }}',
          messageTemplateValues: { cluster: 'production' },
        },
        push: { branch: 'image-updates', refspec: 'refs/heads/image-updates:refs/heads/review', options: { 'merge_request.create': '' } },
      },
      update: { path: './clusters/production', strategy: 'Setters' },
      policySelector: {
        matchLabels: { team: 'web' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['production'] }],
      },
      interval: Duration.minutes(30),
      suspend: false,
    });
    // THEN
    expect(automations(chart)).toStrictEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageUpdateAutomation',
        metadata: { name: 'fleet-images', namespace: 'apps', labels: { tier: 'ops' } },
        spec: {
          sourceRef: { kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' },
          git: {
            checkout: { ref: { branch: 'main' } },
            commit: {
              author: { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' },
              signingKey: { secretRef: { name: 'signing-key' }, type: 'ssh' },
              messageTemplate: 'Update images\n{{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}\n{{ end }}',
              messageTemplateValues: { cluster: 'production' },
            },
            push: { branch: 'image-updates', refspec: 'refs/heads/image-updates:refs/heads/review', options: { 'merge_request.create': '' } },
          },
          update: { path: './clusters/production', strategy: 'Setters' },
          policySelector: {
            matchLabels: { team: 'web' },
            matchExpressions: [{ key: 'env', operator: 'In', values: ['production'] }],
          },
          interval: '30m',
          suspend: false,
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('defaults the update strategy to Setters', () => {
    // GIVEN
    const { chart, repo } = setup();
    // WHEN
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR } }, update: { path: 'clusters/staging' } });
    // THEN
    expect(automations(chart)[0].spec.update).toStrictEqual({ path: 'clusters/staging', strategy: 'Setters' });
  });

  test('passes validation', () => {
    // GIVEN
    const { app, chart, repo } = setup();
    // WHEN
    new ImageUpdateAutomation(chart, 'tagged', {
      sourceRef: repo,
      git: { checkout: { ref: { tag: 'v1.0.0' } }, commit: { author: AUTHOR }, push: { branch: 'release-1.0' } },
    });
    new ImageUpdateAutomation(chart, 'named', {
      sourceRef: repo,
      git: { checkout: { ref: { name: 'refs/heads/main' } }, commit: { author: AUTHOR, signingKey: { secretRef: { name: 'gpg' } } } },
      update: { path: './' },
    });
    // THEN
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references an automation managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    const automation = ImageUpdateAutomation.fromName(chart, 'auto', 'fleet');
    // THEN
    expect(automation.kind).toBe('ImageUpdateAutomation');
    expect(automation.apiVersion).toBe('image.toolkit.fluxcd.io/v1');
    expect(automation.name).toBe('fleet');
    expect(automation.namespace).toBe('apps');
    expect(automation.imported).toBe(true);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the interval is not a Go duration', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR } }, interval: '1 hour' });
    expect(() => app.validate()).toThrow(/spec\.interval "1 hour" is not a Go duration/);
  });

  test('fails when the update path climbs out of the repository', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR } }, update: { path: './clusters/../../other' } });
    expect(() => app.validate()).toThrow(/spec\.update\.path "\.\/clusters\/\.\.\/\.\.\/other" climbs out of the artifact with "\.\."/);
  });

  test('fails when the update path is absolute', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR } }, update: { path: '/clusters/production' } });
    expect(() => app.validate()).toThrow(/spec\.update\.path "\/clusters\/production" is absolute; .* e\.g\. "\.\/clusters\/production"/);
  });

  test('fails when the update strategy is unknown', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR } }, update: { strategy: 'Kyaml' as any } });
    expect(() => app.validate()).toThrow(/spec\.update\.strategy "Kyaml" is not allowed; use one of "Setters"/);
  });

  test('fails when the author email is not an email address', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: { name: 'bot', email: 'fluxcdbot' } } } });
    expect(() => app.validate()).toThrow(/spec\.git\.commit\.author\.email "fluxcdbot" is not an email address/);
  });

  test('fails when the signing key type is unknown', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', {
      sourceRef: repo,
      git: { commit: { author: AUTHOR, signingKey: { secretRef: { name: 'key' }, type: 'x509' as any } } },
    });
    expect(() => app.validate()).toThrow(/spec\.git\.commit\.signingKey\.type "x509" is not allowed; use one of "gpg", "ssh"/);
  });

  test('fails when the message template uses .Updated', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', {
      sourceRef: repo,
      git: { commit: { author: AUTHOR, messageTemplate: '{{ range .Updated.Images }}{{ . }}{{ end }}' } },
    });
    expect(() => app.validate()).toThrow(/spec\.git\.commit\.messageTemplate uses \.Updated, which Flux removed; use \.Changed/);
  });

  test('fails when the checkout ref names nothing', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { checkout: { ref: {} }, commit: { author: AUTHOR } } });
    expect(() => app.validate()).toThrow(/spec\.git\.checkout\.ref names nothing/);
  });

  test('fails when the checkout semver range is invalid', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', {
      sourceRef: repo,
      git: { checkout: { ref: { semver: 'newest' } }, commit: { author: AUTHOR }, push: { branch: 'main' } },
    });
    expect(() => app.validate()).toThrow(/spec\.git\.checkout\.ref\.semver "newest" is not a semver range/);
  });

  test('fails when a tag is checked out with nowhere to push', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { checkout: { ref: { tag: 'v1.0.0' } }, commit: { author: AUTHOR } } });
    expect(() => app.validate()).toThrow(/spec\.git\.checkout\.ref \{"tag":"v1\.0\.0"\} is not a branch, so there is nothing to push back to; set spec\.git\.push\.branch/);
  });

  test('fails when the refspec force-updates a reference', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR }, push: { refspec: '+refs/heads/main:refs/heads/auto' } } });
    expect(() => app.validate()).toThrow(/spec\.git\.push\.refspec "\+refs\/heads\/main:refs\/heads\/auto" force-updates a reference, which Flux refuses/);
  });

  test('fails when the refspec deletes a reference', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR }, push: { refspec: ':refs/heads/auto' } } });
    expect(() => app.validate()).toThrow(/spec\.git\.push\.refspec ":refs\/heads\/auto" deletes a reference/);
  });

  test('fails when the push branch is not a branch name', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR }, push: { branch: 'refs/heads/auto' } } });
    expect(() => app.validate()).toThrow(/spec\.git\.push\.branch "refs\/heads\/auto" is not a valid branch name; use a plain branch name, "auto"/);
  });

  test('fails when the checkout branch is not a branch name', () => {
    const { app, chart, repo } = setup();
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { checkout: { ref: { branch: 'feature..x' } }, commit: { author: AUTHOR } } });
    expect(() => app.validate()).toThrow(/spec\.git\.checkout\.ref\.branch "feature\.\.x" is not a valid branch name/);
  });

  test('fails when the source is not a GitRepository', () => {
    const { app, chart } = setup();
    const oci = new OciRepository(chart, 'manifests', { url: 'oci://ghcr.io/acme/manifests' });
    new ImageUpdateAutomation(chart, 'fleet', { sourceRef: oci as any, git: { commit: { author: AUTHOR } } });
    expect(() => app.validate()).toThrow(/spec\.sourceRef refers to OCIRepository flux-system\/manifests, but Flux accepts only GitRepository there/);
  });

  test('fails when a patch breaks the Flux schema', () => {
    const { app, chart, repo } = setup();
    const automation = new ImageUpdateAutomation(chart, 'fleet', { sourceRef: repo, git: { commit: { author: AUTHOR } } });
    automation.addJsonPatch(JsonPatch.remove('/spec/git/commit/author/email'));
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.git\.commit\.author\.email is required/);
  });
});
