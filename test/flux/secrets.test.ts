import { ApiObject, Chart } from 'cdk8s';
import { isSecretKey } from '../../src/flux/core/secrets.js';
import { allowLiteralValues, FluxApp, HELM_CHART_LAYER_SELECTOR, HelmRelease, Kustomization, OciRepository } from '../../src/index.js';

function errorsOf(app: FluxApp): string[] {
  try {
    app.validate();
    return [];
  } catch (e) {
    return (e as { errors: Array<{ path: string; message: string }> }).errors.map((x) => `[${x.path}] ${x.message}`);
  }
}

describe('literal credentials in objects declared without a fleet', () => {
  test('fails when a HelmRelease, a Kustomization or a ConfigMap holds a credential', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'cluster', { namespace: 'flux-system' });
    const repo = new OciRepository(chart, 'podinfo-chart', { url: 'oci://ghcr.io/stefanprodan/charts/podinfo', layerSelector: HELM_CHART_LAYER_SELECTOR });
    new HelmRelease(chart, 'podinfo', { chartRef: repo, values: { redis: { password: 'hunter2' } } });
    new Kustomization(chart, 'apps', { sourceRef: repo, postBuild: { substitute: { API_TOKEN: 'abc123' } } });
    new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { SLACK: 'https://hooks.slack.com/services/T0/B0/X' } });
    // WHEN
    const errors = errorsOf(app);
    // THEN
    expect(errors).toStrictEqual([
      '[cluster/podinfo] spec.values.redis.password holds a literal value under the credential-like key "password", which would be written to the config repo ' +
        'in plain text; keep it in a Secret on the cluster and reference it (valuesFrom, substituteFrom), or declare allowLiteralValues(<construct>, ' +
        '"spec.values.redis.password") if it is not a credential',
      '[cluster/apps] spec.postBuild.substitute.API_TOKEN holds a literal value under the credential-like key "API_TOKEN", which would be written to the ' +
        'config repo in plain text; keep it in a Secret on the cluster and reference it (valuesFrom, substituteFrom), or declare allowLiteralValues(<construct>, ' +
        '"spec.postBuild.substitute.API_TOKEN") if it is not a credential',
      '[cluster/settings] data.SLACK holds a Slack webhook URL, which would be written to the config repo in plain text; keep it in a Secret on the cluster ' +
        'instead, or declare allowLiteralValues(<construct>, "data.SLACK") if it is not a credential',
    ]);
  });

  test('an allowed path is not reported', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'cluster', { namespace: 'flux-system' });
    const repo = new OciRepository(chart, 'podinfo-chart', { url: 'oci://ghcr.io/stefanprodan/charts/podinfo', layerSelector: HELM_CHART_LAYER_SELECTOR });
    const release = new HelmRelease(chart, 'podinfo', { chartRef: repo, values: { ui: { token: 'public-demo-token' } } });
    // WHEN
    allowLiteralValues(release, 'spec.values.ui.token');
    // THEN
    expect(errorsOf(app)).toStrictEqual([]);
  });

  test('credential-like keys, by their last word', () => {
    // THEN
    const keys = ['password', 'dbPassword', 'DB_PASS', 'db-passwd', 'pwd', 'passphrase', 'apiKey', 'api_key', 'privateKey', 'secretAccessKey',
      'aws_secret_access_key', 'auth', 'bearerToken', 'clientSecret', 'credentials', 'adminpassword',
      'existingSecret', 'passwordSecretRef', 'tokenFile', 'secretName', 'authEnabled', 'compass', 'bypass', 'tokenTTL', 'sshKey', 'keyName'];
    expect(keys.filter(isSecretKey)).toStrictEqual(keys.slice(0, 16));
  });
});
