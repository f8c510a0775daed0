import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { FluxApp, Kustomization, OciRepository, OciRepositoryProps } from '../../src/index.js';

const DIGEST = 'sha256:' + 'a'.repeat(64);

describe('OciRepository', () => {
  test('minimal object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'infra', namespace: 'flux-system' },
        spec: { interval: '5m', url: 'oci://ghcr.io/acme/infra' },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fully specified object', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    new OciRepository(chart, 'podinfo', {
      metadata: { name: 'podinfo-manifests', labels: { team: 'web' } },
      url: 'oci://ghcr.io/stefanprodan/manifests/podinfo',
      ref: { semver: '>=6.0.0 <7.0.0', semverFilter: '.*-rc.*', tag: 'latest', digest: DIGEST },
      interval: Duration.minutes(10),
      layerSelector: { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', operation: 'extract' },
      provider: 'generic',
      secretRef: { name: 'ghcr-auth' },
      serviceAccountName: 'puller',
      certSecretRef: { name: 'ghcr-tls' },
      proxySecretRef: { name: 'proxy' },
      verify: {
        provider: 'cosign',
        matchOIDCIdentity: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/stefanprodan/podinfo.*$' }],
        trustedRootSecretRef: { name: 'sigstore-root' },
      },
      insecure: false,
      timeout: '90s',
      ignore: '*.md',
      suspend: true,
    });
    // THEN
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'podinfo-manifests', namespace: 'apps', labels: { team: 'web' } },
        spec: {
          url: 'oci://ghcr.io/stefanprodan/manifests/podinfo',
          interval: '10m',
          ref: { semver: '>=6.0.0 <7.0.0', semverFilter: '.*-rc.*', tag: 'latest', digest: DIGEST },
          layerSelector: { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', operation: 'extract' },
          provider: 'generic',
          secretRef: { name: 'ghcr-auth' },
          serviceAccountName: 'puller',
          certSecretRef: { name: 'ghcr-tls' },
          proxySecretRef: { name: 'proxy' },
          verify: {
            provider: 'cosign',
            matchOIDCIdentity: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/stefanprodan/podinfo.*$' }],
            trustedRootSecretRef: { name: 'sigstore-root' },
          },
          insecure: false,
          timeout: '90s',
          ignore: '*.md',
          suspend: true,
        },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fromName() references a repository managed elsewhere', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart', { namespace: 'apps' });
    // WHEN
    const source = OciRepository.fromName(chart, 'infra', 'flux-system', { namespace: 'flux-system' });
    new Kustomization(chart, 'apps', { sourceRef: source });
    // THEN
    expect(source.kind).toBe('OCIRepository');
    expect(source.imported).toBe(true);
    expect(Testing.synth(chart)).toStrictEqual([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: 'apps' },
        spec: { interval: '10m', prune: true, sourceRef: { kind: 'OCIRepository', name: 'flux-system', namespace: 'flux-system' } },
      },
    ]);
    expect(() => app.validate()).not.toThrow();
  });

  test('fails when the escape hatch breaks the Flux schema', () => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    // WHEN
    repo.addJsonPatch(JsonPatch.add('/spec/provider', 'oracle'));
    // THEN
    expect(() => app.validate()).toThrow(/does not match the Flux schema: spec\.provider "oracle" is not allowed/);
  });

  const failures: Array<[string, Partial<OciRepositoryProps>, RegExp]> = [
    ['the URL is not oci://', { url: 'https://ghcr.io/acme/infra' }, /spec\.url "https:\/\/ghcr\.io\/acme\/infra" must start with oci:\/\//],
    ['the URL carries a tag', { url: 'oci://ghcr.io/acme/infra:v1' }, /spec\.url "oci:\/\/ghcr\.io\/acme\/infra:v1" carries a tag; drop ":v1" from the URL and set spec\.ref\.tag to "v1"/],
    ['the URL carries a digest', { url: `oci://ghcr.io/acme/infra@${DIGEST}` }, /spec\.url ".*@sha256:a+" carries a digest; drop "@sha256:a+" from the URL and set spec\.ref\.digest/],
    ['the URL names no repository', { url: 'oci://ghcr.io' }, /spec\.url "oci:\/\/ghcr\.io" names no repository/],
    ['the interval is not a Go duration', { interval: '5 minutes' }, /spec\.interval "5 minutes" is not a Go duration/],
    ['the timeout has hours', { timeout: '1h' }, /spec\.timeout "1h" is not a Go duration; .*no hours here/],
    ['the timeout is an hour or more', { timeout: Duration.hours(2) }, /spec\.timeout 2h must be under an hour/],
    ['the semver range is invalid', { ref: { semver: 'latest' } }, /spec\.ref\.semver "latest" is not a semver range/],
    ['semverFilter is set without semver', { ref: { tag: 'v1', semverFilter: '.*' } }, /spec\.ref\.semverFilter is set without spec\.ref\.semver/],
    ['semverFilter is not a regular expression', { ref: { semver: '1.x', semverFilter: '(' } }, /spec\.ref\.semverFilter "\(" is not a valid regular expression/],
    ['the digest is malformed', { ref: { digest: 'sha256:abc' } }, /spec\.ref\.digest "sha256:abc" is not a digest; use "sha256:" followed by 64 lowercase hex digits/],
    ['the provider is unknown', { provider: 'oracle' as any }, /spec\.provider "oracle" is not allowed; use one of "generic", "aws", "azure", "gcp"/],
    ['the layer operation is unknown', { layerSelector: { operation: 'unpack' as any } }, /spec\.layerSelector\.operation "unpack" is not allowed; use one of "extract", "copy"/],
    ['secretRef is set with a cloud provider', { provider: 'aws', secretRef: { name: 'creds' } }, /spec\.secretRef is set with provider "aws"; the cloud identity replaces the pull secret/],
    ['matchOIDCIdentity is set with notation', {
      verify: { provider: 'notation', secretRef: { name: 'trust' }, matchOIDCIdentity: [{ issuer: '.*', subject: '.*' }] },
    }, /spec\.verify\.matchOIDCIdentity applies to keyless cosign only/],
    ['matchOIDCIdentity is set with a cosign key', {
      verify: { provider: 'cosign', secretRef: { name: 'keys' }, matchOIDCIdentity: [{ issuer: '.*', subject: '.*' }] },
    }, /spec\.verify\.matchOIDCIdentity applies to keyless cosign only; drop it, or drop spec\.verify\.secretRef/],
    ['notation has no secretRef', { verify: { provider: 'notation' } }, /spec\.verify\.secretRef is required with provider "notation"/],
    ['the verification provider is unknown', { verify: { provider: 'gpg' as any, secretRef: { name: 'keys' } } }, /spec\.verify\.provider "gpg" is not allowed; use one of "cosign", "notation"/],
    ['an OIDC issuer is not a regular expression', {
      verify: { provider: 'cosign', matchOIDCIdentity: [{ issuer: '[', subject: '.*' }] },
    }, /spec\.verify\.matchOIDCIdentity\[0\]\.issuer "\[" is not a valid regular expression/],
    ['an OIDC subject is not a regular expression', {
      verify: { provider: 'cosign', matchOIDCIdentity: [{ issuer: '.*', subject: 'a(' }] },
    }, /spec\.verify\.matchOIDCIdentity\[0\]\.subject "a\(" is not a valid regular expression/],
  ];

  test.each(failures)('fails when %s', (_, props, message) => {
    // GIVEN
    const app = new FluxApp();
    const chart = new Chart(app, 'chart');
    // WHEN
    new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra', ...props });
    // THEN
    expect(() => app.validate()).toThrow(message);
  });
});
