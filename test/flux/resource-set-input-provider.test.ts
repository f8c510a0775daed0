import { Chart, Testing } from 'cdk8s';
import { FluxApp, InputsFrom, ResourceSet, ResourceSetInputProvider } from '../../src/index.js';
import { errorsOf } from '../support/synth-errors.js';

function setup() {
  const app = new FluxApp();
  const chart = new Chart(app, 'chart', { namespace: 'apps' });
  return { app, chart };
}


describe('ResourceSetInputProvider', () => {
  test('a provider of pull requests feeding a ResourceSet', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    const previews = new ResourceSetInputProvider(chart, 'previews', {
      type: 'GitHubPullRequest',
      url: 'https://github.com/acme/web',
      secretRef: { name: 'github-token' },
      defaultValues: { replicas: 1 },
      filter: { labels: ['deploy/preview'], limit: 10 },
      skipLabels: ['!ready'],
      schedule: [{ cron: '0 8 * * 1-5', timeZone: 'Europe/Paris', window: '1h' }],
    });
    new ResourceSet(chart, 'preview-envs', {
      inputsFrom: [InputsFrom.provider(previews)],
      resources: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'preview-<< inputs.id >>' } }],
    });
    // THEN
    expect(Testing.synth(chart)[0]).toStrictEqual({
      apiVersion: 'fluxcd.controlplane.io/v1',
      kind: 'ResourceSetInputProvider',
      metadata: { name: 'previews', namespace: 'apps' },
      spec: {
        type: 'GitHubPullRequest',
        url: 'https://github.com/acme/web',
        secretRef: { name: 'github-token' },
        defaultValues: { replicas: 1 },
        filter: { labels: ['deploy/preview'], limit: 10 },
        skip: { labels: ['!ready'] },
        schedule: [{ cron: '0 8 * * 1-5', timeZone: 'Europe/Paris', window: '1h' }],
      },
    });
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('fails when a Git provider reads an OCI URL, with the CRD rule\'s message', () => {
    const { app, chart } = setup();
    new ResourceSetInputProvider(chart, 'tags', { type: 'GitHubTag', url: 'oci://ghcr.io/acme/web' });
    expect(errorsOf(app)).toStrictEqual([
      'does not match the Flux schema: spec.type, spec.url: spec.url must start with \'http://\' or \'https://\' when spec.type is a Git provider',
    ]);
  });

  test('fails when an OCI provider\'s URL has no repository path, with the CRD rule\'s message (CEL substring)', () => {
    const { app, chart } = setup();
    new ResourceSetInputProvider(chart, 'tags', { type: 'OCIArtifactTag', url: 'oci://ghcr.io' });
    new ResourceSetInputProvider(chart, 'good', { type: 'OCIArtifactTag', url: 'oci://ghcr.io/acme/web' });
    expect(errorsOf(app)).toStrictEqual([
      'does not match the Flux schema: spec.type, spec.url: spec.url must include the repository path after the registry host when spec.type is an OCI provider',
    ]);
  });

  test('fails when selectors are missing, misplaced or ambiguous', () => {
    // GIVEN
    const { app, chart } = setup();
    // WHEN
    new ResourceSetInputProvider(chart, 'artifacts', { type: 'ExternalArtifact' });
    new ResourceSetInputProvider(chart, 'static', { type: 'Static', selectors: [{ name: 'web', matchLabels: { team: 'web' } }] });
    // THEN
    expect(errorsOf(app)).toStrictEqual([
      'does not match the Flux schema: spec.type, spec.selectors: spec.selectors must be set when spec.type is \'ExternalArtifact\'',
      'does not match the Flux schema: spec.selectors[0].name, spec.selectors[0].matchLabels, spec.selectors[0].matchExpressions: name is mutually exclusive with matchLabels and matchExpressions',
      'does not match the Flux schema: spec.type, spec.selectors: spec.selectors must not be set when spec.type is not \'ExternalArtifact\'',
    ]);
  });

  test('fails when a filter or schedule is malformed', () => {
    const { app, chart } = setup();
    new ResourceSetInputProvider(chart, 'tags', {
      type: 'GitHubTag', url: 'https://github.com/acme/web', filter: { includeTag: '(', limit: 0 }, schedule: [{ cron: 'daily' }],
    });
    expect(errorsOf(app)).toStrictEqual([
      expect.stringMatching(/^spec\.filter\.includeTag "\(" is not a valid regular expression: /),
      'spec.filter.limit 0 must be a whole number from 1 to 10000',
      'spec.schedule[0].cron "daily" is not a cron expression; use five fields, e.g. "0 8 * * 1-5", or a macro such as "@daily"',
    ]);
  });
});
