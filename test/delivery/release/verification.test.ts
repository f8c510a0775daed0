import {
  clusterConfig, Destinations, generateSigningKey, keylessSigner, keySigner, publicKeyHint, publicKeyPem, ReleaseVerifier, signArtifacts,
  type ClusterConfig, type RegistryRepository,
} from '../../../src/delivery/index.js';
import { packArtifact } from '../../../src/flux/artifact/index.js';
import { independentSigners } from '../../support/independent-verify.js';
import { TestRegistry } from '../../support/registry.js';
import { FakeSigstore } from '../../support/sigstore.js';

/**
 * The verification every gate shares: each source's own `verify` declaration, resolved from its cluster's config and
 * Secrets (or the material given for Secrets managed elsewhere), read as the cluster's Flux version reads signatures.
 */

const HOST = 'registry.acme.example';
const URL = `oci://${HOST}/fleet/app`;
const SUBJECT = 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

let registry: TestRegistry;
let sigstore: FakeSigstore;
let destinations: Destinations;
let repo: RegistryRepository;
/** The artifact, signed keyless as SUBJECT (under the test's Sigstore instance) and with KEY. */
let digest: string;
const KEY = generateSigningKey();

beforeAll(async () => {
  [registry, sigstore] = await Promise.all([TestRegistry.start(), FakeSigstore.start()]);
  destinations = new Destinations({ hostAliases: { [HOST]: registry.host } });
  repo = destinations.repository(URL);
  const packed = packArtifact([{ path: 'app.yaml', content: Buffer.from('kind: ConfigMap\n') }]);
  await repo.pushBlob(packed.config);
  await repo.pushBlob(packed.layer);
  digest = await repo.pushManifest('1.0.0', packed.manifestBytes, packed.manifest.mediaType!);
  const target = { repository: repo, host: HOST, reference: digest };
  const keyless = keylessSigner({ identityToken: async () => sigstore.token(SUBJECT, ISSUER), fulcioUrl: sigstore.url, rekorUrl: sigstore.url });
  await signArtifacts([target], { signer: keyless });
  await signArtifacts([target], { signer: keySigner(KEY) });
}, 120_000);

afterAll(async () => {
  destinations?.close();
  await Promise.all([registry?.destroy(), sigstore?.stop()]);
});

/** A cluster's config: one OCIRepository with `verify`, Secrets, and a FluxInstance of a Flux version. */
function config(verify: string[], secrets: string[] = [], fluxVersion = '2.9.x'): ClusterConfig {
  const files = [
    {
      path: 'sources.yaml',
      content: Buffer.from(['apiVersion: source.toolkit.fluxcd.io/v1', 'kind: OCIRepository', 'metadata:', '  name: app', '  namespace: apps',
        'spec:', '  interval: 5m', `  url: ${URL}`, '  ref:', '    tag: 1.0.0', '  verify:', ...verify.map((l) => `    ${l}`), ...secrets, ''].join('\n')),
    },
    {
      path: 'flux-system/flux-system.yaml',
      content: Buffer.from(['apiVersion: fluxcd.controlplane.io/v1', 'kind: FluxInstance', 'metadata:', '  name: flux',
        '  namespace: flux-system', 'spec:', '  distribution:', `    version: ${fluxVersion}`, ''].join('\n')),
    },
  ];
  return clusterConfig('c1', files);
}

const KEYLESS = ['provider: cosign', 'matchOIDCIdentity:', '  - issuer: ^https://token\\.actions\\.githubusercontent\\.com$', '    subject: ^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$'];
const rootSecret = (root: object) => ['---', 'apiVersion: v1', 'kind: Secret', 'metadata:', '  name: sigstore-root', '  namespace: apps', 'stringData:', `  trusted_root.json: '${JSON.stringify(root)}'`];

describe('verification as the cluster declares it', () => {
  test('a private Sigstore root from the Secret the source names, in the tree: verified, as @sigstore/verify agrees', async () => {
    // GIVEN
    const c = config([...KEYLESS, 'trustedRootSecretRef:', '  name: sigstore-root'], rootSecret(sigstore.trustedRoot));
    // WHEN
    const check = await new ReleaseVerifier(destinations).check(c, c.sources[0], URL, digest);
    // THEN
    expect(check?.result.verified).toBe(true);
    expect(check?.expected.description).toBe(`keyless subject ${KEYLESS[3].slice('    subject: '.length)} (issuer ${KEYLESS[2].slice('  - issuer: '.length)}) under the Sigstore root in Secret apps/sigstore-root`);
    expect(await independentSigners(repo, digest, { trustedRoot: sigstore.trustedRoot })).toStrictEqual([`keyless ${SUBJECT} (${ISSUER})`]);
  });

  test('fails when the root\'s Secret is managed outside the tree, saying how to give it; verifies with --trusted-root <secret>=<file>', async () => {
    // GIVEN
    const c = config([...KEYLESS, 'trustedRootSecretRef:', '  name: sigstore-root']);
    // WHEN
    const missing = await new ReleaseVerifier(destinations).check(c, c.sources[0], URL, digest);
    const given = await new ReleaseVerifier(destinations, { trustedRoots: { 'sigstore-root': sigstore.trustedRoot } }).check(c, c.sources[0], URL, digest);
    // THEN
    expect(missing?.result).toStrictEqual({ verified: false, found: [], reason: 'the Secret apps/sigstore-root with its trusted_root.json is not in the tree; give it with --trusted-root sigstore-root=<trusted_root.json>' });
    expect(given?.result.verified).toBe(true);
  });

  test('fails under the public Sigstore root, which @sigstore/tuf embeds, for a certificate of another instance', async () => {
    // GIVEN
    const c = config(KEYLESS);
    // WHEN
    const check = await new ReleaseVerifier(destinations).check(c, c.sources[0], URL, digest);
    // THEN
    const result = check?.result as { verified: boolean; reason: string; found: string[] };
    expect(result.verified).toBe(false);
    expect(result.reason).toContain('does not verify with the trusted root');
    expect(result.found).toStrictEqual([`keyless ${SUBJECT} (issuer ${ISSUER})`, `the key with hint ${publicKeyHint(KEY.publicKey)}`]);
  });

  test('public keys from the Secret the source names, in the tree or given for a Secret managed elsewhere', async () => {
    // GIVEN
    const key = ['provider: cosign', 'secretRef:', '  name: app-cosign'];
    const secret = ['---', 'apiVersion: v1', 'kind: Secret', 'metadata:', '  name: app-cosign', '  namespace: apps', 'stringData:', '  cosign.pub: |',
      ...publicKeyPem(KEY.publicKey).trim().split('\n').map((l) => `    ${l}`)];
    const inTree = config(key, secret);
    const outside = config(key);
    // WHEN
    const fromTree = await new ReleaseVerifier(destinations).check(inTree, inTree.sources[0], URL, digest);
    const missing = await new ReleaseVerifier(destinations).check(outside, outside.sources[0], URL, digest);
    const given = await new ReleaseVerifier(destinations, { publicKeys: { 'app-cosign': [publicKeyPem(KEY.publicKey)] } }).check(outside, outside.sources[0], URL, digest);
    // THEN
    expect([fromTree?.result.verified, given?.result.verified]).toStrictEqual([true, true]);
    expect((missing?.result as { reason: string }).reason).toBe('the Secret apps/app-cosign with the public keys is not in the tree; give them with --public-key app-cosign=<cosign.pub>');
    expect(await independentSigners(repo, digest, { keys: { app: KEY.publicKey } })).toStrictEqual(['key app']);
  });

  test('fails for a cluster on Flux older than v2.8, which reads only cosign v2 .sig signatures, none of which is there', async () => {
    // GIVEN
    const key = ['provider: cosign', 'secretRef:', '  name: app-cosign'];
    const c = config(key, [], '2.7.x');
    // WHEN
    const check = await new ReleaseVerifier(destinations, { publicKeys: { 'app-cosign': [publicKeyPem(KEY.publicKey)] } }).check(c, c.sources[0], URL, digest);
    // THEN
    expect(c.fluxMinor).toBe(2007);
    expect(check?.result.verified).toBe(false);
    expect((check?.result as { reason: string }).reason).toBe(`${URL}@${digest} has no ${digest.replace(':', '-')}.sig signature, the only kind the cluster's Flux (older than v2.8) reads; `
      + `sign it with --legacy-sig (flux-fleet sign ${HOST}/fleet/app@${digest} --key <key> --legacy-sig)`);
  });
});
