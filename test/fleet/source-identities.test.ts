import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { parseAllDocuments } from 'yaml';
import { keyBundle, keylessSigner, preAuthEncoding, signStatement, type SigstoreBundleJson } from '../../src/delivery/signing/index.js';
import { generateSigningKey, publicKeyPem } from '../../src/delivery/signing/keys.js';
import { ComponentSource, Fleet, FluxApp, PullCredentials, Registry, Signing, TenantPullSecret } from '../../src/index.js';
import { FakeSigstore } from '../support/sigstore.js';

/*
 * Per-cluster identities for a tenant's sources and for an external artifact, checked with verifiers flux-fleet did
 * not write: @sigstore/verify for keyless bundles (against each cluster's synthesized matchOIDCIdentity), openssl for
 * key-signed ones (with the public key synthesized into each cluster's Secret).
 */

const run = promisify(execFile);
const ISSUER = 'https://token.actions.githubusercontent.com';
const WEB_MAIN = 'https://github.com/acme/web/.github/workflows/release.yaml@refs/heads/main';
const WEB_TAG = 'https://github.com/acme/web/.github/workflows/release.yaml@refs/tags/v1.4.0';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const STAGING_KEY = generateSigningKey();
const PRODUCTION_KEY = generateSigningKey();

let dir: string;
let sigstore: FakeSigstore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'source-identities-'));
  sigstore = await FakeSigstore.start();
  const app = new FluxApp({ outdir: join(dir, 'dist') });
  const fleet = new Fleet(app, 'acme', {
    registry: Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-auth' } }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
  });
  fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu' });
  fleet.addEnvironment('production', { channel: 'stable' }).addCluster('prod-1', { region: 'eu' });
  // The team's main branch signs what staging runs; only its release tags reach production.
  const web = fleet.addTenant('team-web', {
    signing: (c) => Signing.githubActions({ repository: 'acme/web', workflow: 'release.yaml', ...(c.production ? { ref: 'refs/tags/v*' } : {}) }),
    pullSecret: TenantPullSecret.external(),
  });
  fleet.addComponent('web', {
    tenant: web,
    source: ComponentSource.artifact('oci://ghcr.io/acme/web', { ref: (c) => (c.production ? { digest: DIGEST } : { tag: 'main' }) }),
  });
  // Another pipeline signs its artifact with one key per environment, and each environment pulls with its own secret.
  fleet.addComponent('edge', {
    source: ComponentSource.artifact('oci://registry.acme.io/edge', {
      ref: { digest: DIGEST },
      signing: (c) => Signing.cosignKey({
        secretName: c.production ? 'edge-production' : 'edge-staging',
        publicKey: publicKeyPem((c.production ? PRODUCTION_KEY : STAGING_KEY).publicKey),
      }),
      pullCredentials: (c) => PullCredentials.secret(c.production ? 'edge-pull-production' : 'edge-pull-staging'),
    }),
  });
  app.synth();
}, 60_000);

afterAll(async () => {
  await sigstore.stop();
  rmSync(dir, { recursive: true, force: true });
});

function objects(cluster: string, file: string): any[] {
  return parseAllDocuments(readFileSync(join(dir, 'dist', 'clusters', cluster, file), 'utf8')).map((d) => d.toJS());
}

function source(cluster: string, url: string): any {
  return objects(cluster, 'sources.yaml').find((o) => o.spec.url === url);
}

/** Who @sigstore/verify says signed a keyless bundle under the fake Sigstore's trusted root. */
function signerOf(bundle: SigstoreBundleJson): { subject: string; issuer: string } {
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRoot)), { tlogThreshold: 1, ctlogThreshold: 1 });
  const signer = verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
  return { subject: signer.identity?.subjectAlternativeName ?? '', issuer: signer.identity?.extensions?.issuer ?? '' };
}

/** Whether a cluster's `verify.matchOIDCIdentity` accepts a signer (Go RE2 anchored regexes, as JavaScript reads them). */
function accepts(verify: any, signer: { subject: string; issuer: string }): boolean {
  return verify.matchOIDCIdentity.every((m: { issuer: string; subject: string }) =>
    new RegExp(m.issuer).test(signer.issuer) && new RegExp(m.subject).test(signer.subject));
}

/** Whether openssl verifies a key bundle's DSSE signature with a PEM public key. */
async function opensslVerifies(bundle: SigstoreBundleJson, publicKey: string, name: string): Promise<boolean> {
  const envelope = bundle.dsseEnvelope!;
  writeFileSync(join(dir, `${name}.pub`), publicKey);
  writeFileSync(join(dir, `${name}.pae`), preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, 'base64')));
  writeFileSync(join(dir, `${name}.sig`), Buffer.from(envelope.signatures[0].sig, 'base64'));
  try {
    const { stdout } = await run('openssl', ['dgst', '-sha256', '-verify', join(dir, `${name}.pub`), '-signature', join(dir, `${name}.sig`), join(dir, `${name}.pae`)]);
    return stdout.trim() === 'Verified OK';
  } catch {
    return false;
  }
}

describe('per-cluster identities of tenant and external sources, checked by verifiers flux-fleet did not write', () => {
  test('the tenant\'s sources verify its main branch on staging and its release tags on production (@sigstore/verify)', async () => {
    // GIVEN: the team's workflow signs once from main, once from a release tag
    const statement = signStatement('ghcr.io/acme/web', DIGEST);
    const sign = (subject: string) => keylessSigner({
      identityToken: async () => sigstore.token(subject, ISSUER), fulcioUrl: sigstore.url, rekorUrl: sigstore.url,
    }).sign(statement);
    const [fromMain, fromTag] = [signerOf(await sign(WEB_MAIN)), signerOf(await sign(WEB_TAG))];
    // WHEN
    const staging = source('stg-1', 'oci://ghcr.io/acme/web').spec.verify;
    const production = source('prod-1', 'oci://ghcr.io/acme/web').spec.verify;
    // THEN
    expect([fromMain.subject, fromTag.subject]).toStrictEqual([WEB_MAIN, WEB_TAG]);
    expect({
      stagingMain: accepts(staging, fromMain),
      stagingTag: accepts(staging, fromTag),
      productionMain: accepts(production, fromMain),
      productionTag: accepts(production, fromTag),
    }).toStrictEqual({ stagingMain: true, stagingTag: false, productionMain: false, productionTag: true });
    expect(source('prod-1', 'oci://ghcr.io/acme/web').metadata.namespace).toBe('team-web');
  }, 120_000);

  test('the external artifact verifies each environment\'s key from the Secret synthesized beside it (openssl), and pulls with each environment\'s secret', async () => {
    // GIVEN: the other pipeline signs with staging's key
    const bundle = keyBundle(signStatement('registry.acme.io/edge', DIGEST), STAGING_KEY.privateKey, STAGING_KEY.publicKey);
    const keyOf = (cluster: string, secret: string) => objects(cluster, 'flux-system/flux-system.yaml')
      .find((o) => o.kind === 'Secret' && o.metadata.name === secret).stringData['cosign.pub'];
    // WHEN
    const staging = source('stg-1', 'oci://registry.acme.io/edge').spec;
    const production = source('prod-1', 'oci://registry.acme.io/edge').spec;
    // THEN
    expect([staging.verify, staging.secretRef]).toStrictEqual([{ provider: 'cosign', secretRef: { name: 'edge-staging' } }, { name: 'edge-pull-staging' }]);
    expect([production.verify, production.secretRef]).toStrictEqual([{ provider: 'cosign', secretRef: { name: 'edge-production' } }, { name: 'edge-pull-production' }]);
    expect(await opensslVerifies(bundle, keyOf('stg-1', 'edge-staging'), 'staging')).toBe(true);
    expect(await opensslVerifies(bundle, keyOf('prod-1', 'edge-production'), 'production')).toBe(false);
  }, 120_000);
});
