import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { Bucket, BucketProps, FluxApp, Kustomization } from '../../src/index.js';

describe('Bucket', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new Bucket(chart, 'manifests', { bucketName: 'manifests', endpoint: 'minio.example.com' });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'Bucket',
        metadata: { name: 'manifests', namespace: 'flux-system' },
        spec: { bucketName: 'manifests', endpoint: 'minio.example.com', interval: '5m' },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    new Bucket(chart, 'manifests', {
      metadata: { name: 'minio-manifests', labels: { store: 'minio' } },
      bucketName: 'fleet-manifests',
      endpoint: 'minio.minio.svc.cluster.local:9000',
      provider: 'generic',
      region: 'eu-west-1',
      prefix: 'clusters/prod/',
      secretRef: { name: 'minio-credentials' },
      certSecretRef: { name: 'minio-tls' },
      proxySecretRef: { name: 'proxy' },
      sts: { provider: 'ldap', endpoint: 'https://ldap.example.com', secretRef: { name: 'ldap-credentials' }, certSecretRef: { name: 'ldap-tls' } },
      insecure: true,
      interval: Duration.minutes(2),
      timeout: '30s',
      ignore: '*.md',
      suspend: false,
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'Bucket',
        metadata: { name: 'minio-manifests', namespace: 'apps', labels: { store: 'minio' } },
        spec: {
          bucketName: 'fleet-manifests',
          endpoint: 'minio.minio.svc.cluster.local:9000',
          provider: 'generic',
          region: 'eu-west-1',
          prefix: 'clusters/prod/',
          secretRef: { name: 'minio-credentials' },
          certSecretRef: { name: 'minio-tls' },
          proxySecretRef: { name: 'proxy' },
          sts: { provider: 'ldap', endpoint: 'https://ldap.example.com', secretRef: { name: 'ldap-credentials' }, certSecretRef: { name: 'ldap-tls' } },
          insecure: true,
          interval: '2m',
          timeout: '30s',
          ignore: '*.md',
          suspend: false,
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('cloud providers with workload identity', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new Bucket(chart, 's3', {
      bucketName: 'fleet.manifests',
      endpoint: 's3.amazonaws.com',
      provider: 'aws',
      region: 'us-east-1',
      serviceAccountName: 's3-reader',
      sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com' },
    });
    new Bucket(chart, 'blob', { bucketName: 'manifests', endpoint: 'https://fleet.blob.core.windows.net', provider: 'azure' });
    // THEN
    expect(Testing.synth(chart).map((o) => o.spec)).toStrictEqual([
      {
        bucketName: 'fleet.manifests',
        endpoint: 's3.amazonaws.com',
        interval: '5m',
        provider: 'aws',
        region: 'us-east-1',
        serviceAccountName: 's3-reader',
        sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com' },
      },
      { bucketName: 'manifests', endpoint: 'https://fleet.blob.core.windows.net', interval: '5m', provider: 'azure' },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a bucket managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    const source = Bucket.fromName(chart, 'manifests', 'fleet-manifests');
    new Kustomization(chart, 'apps', { sourceRef: source });
    // THEN
    expect(source.kind).toBe('Bucket');
    expect(source.namespace).toBe('flux-system');
    expect(source.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: 'flux-system' },
        spec: { interval: '10m', prune: true, sourceRef: { kind: 'Bucket', name: 'fleet-manifests' } },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const bucket = new Bucket(chart, 'manifests', { bucketName: 'manifests', endpoint: 'minio.example.com' });
    // WHEN
    bucket.addJsonPatch(JsonPatch.add('/spec/sts', { provider: 'vault', endpoint: 'https://vault.example.com' }));
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.sts\.provider "vault" is not allowed; use one of "aws", "ldap"/);
  });

  const failures: Array<[string, Partial<BucketProps>, RegExp]> = [
    ['the provider is unknown', { provider: 'oracle' as any }, /spec\.provider "oracle" is not allowed; use one of "generic", "aws", "azure", "gcp"/],
    ['the bucket name is empty', { bucketName: '' }, /spec\.bucketName is empty/],
    ['the bucket name carries a path', { bucketName: 'fleet/clusters/prod' }, /spec\.bucketName "fleet\/clusters\/prod" carries a path; use spec\.bucketName "fleet" and spec\.prefix "clusters\/prod"/],
    ['an S3 bucket name is invalid', { provider: 'aws', endpoint: 's3.amazonaws.com', bucketName: 'Fleet_Manifests' }, /spec\.bucketName "Fleet_Manifests" is not a valid S3 bucket name/],
    ['an Azure container name has a dot', { provider: 'azure', endpoint: 'https://fleet.blob.core.windows.net', bucketName: 'fleet.manifests' }, /spec\.bucketName "fleet\.manifests" is not a valid Azure container name/],
    ['the endpoint is empty', { endpoint: '' }, /spec\.endpoint is empty/],
    ['the endpoint carries a scheme', { endpoint: 'https://minio.example.com/' }, /spec\.endpoint "https:\/\/minio\.example\.com\/" carries a scheme; use the host alone, "minio\.example\.com"/],
    ['the endpoint is plain HTTP', { endpoint: 'http://minio.example.com' }, /carries a scheme; use the host alone, "minio\.example\.com" and set spec\.insecure: true for plain HTTP/],
    ['the endpoint carries a path', { endpoint: 'minio.example.com/manifests' }, /spec\.endpoint "minio\.example\.com\/manifests" is not a host/],
    ['an Azure endpoint is not a URL', { provider: 'azure', endpoint: 'fleet.blob.core.windows.net' }, /spec\.endpoint "fleet\.blob\.core\.windows\.net" must start with https:\/\/ or http:\/\//],
    ['the interval is not a Go duration', { interval: '1d' }, /spec\.interval "1d" is not a Go duration/],
    ['the timeout has hours', { timeout: Duration.hours(1) }, /spec\.timeout 1h must be under an hour/],
    ['a prefix is set with provider azure', { provider: 'azure', endpoint: 'https://fleet.blob.core.windows.net', prefix: 'prod/' }, /spec\.prefix "prod\/" is not supported with provider "azure"/],
    ['certSecretRef is set with a cloud provider', { provider: 'gcp', endpoint: 'storage.googleapis.com', certSecretRef: { name: 'tls' } }, /spec\.certSecretRef is supported with provider "generic" only \(got "gcp"\)/],
    ['serviceAccountName is set with provider generic', { serviceAccountName: 'reader' }, /spec\.serviceAccountName "reader" needs provider "aws", "azure" or "gcp"/],
    ['serviceAccountName is set with secretRef', { provider: 'aws', serviceAccountName: 'reader', secretRef: { name: 'keys' } }, /spec\.secretRef and spec\.serviceAccountName are mutually exclusive/],
    ['the STS provider is unknown', { sts: { provider: 'vault' as any, endpoint: 'https://vault.example.com' } }, /spec\.sts\.provider "vault" is not allowed; use one of "aws", "ldap"/],
    ['the STS endpoint is not a URL', { sts: { provider: 'ldap', endpoint: 'ldap.example.com' } }, /spec\.sts\.endpoint "ldap\.example\.com" must start with https:\/\/ or http:\/\//],
    ['STS is set with provider gcp', { provider: 'gcp', endpoint: 'storage.googleapis.com', sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com' } }, /spec\.sts is supported with providers "aws" and "generic" only \(got "gcp"\)/],
    ['the STS provider does not fit the bucket provider', { sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com' } }, /spec\.sts\.provider "aws" does not fit Bucket provider "generic", which supports only "ldap"/],
    ['the aws STS provider has a secretRef', {
      provider: 'aws', endpoint: 's3.amazonaws.com', sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com', secretRef: { name: 'creds' } },
    }, /spec\.sts\.secretRef is for the "ldap" STS provider only/],
    ['the aws STS provider has a certSecretRef', {
      provider: 'aws', endpoint: 's3.amazonaws.com', sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com', certSecretRef: { name: 'tls' } },
    }, /spec\.sts\.certSecretRef is for the "ldap" STS provider only/],
  ];

  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new Bucket(chart, 'manifests', { bucketName: 'manifests', endpoint: 'minio.example.com', ...props });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });
});
