import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { Destinations } from '../../../src/delivery/destinations.js';
import type { RegistryRepository } from '../../../src/delivery/oci/client.js';
import { pushArtifact } from '../../../src/delivery/oci/store.js';
import { ciIdentityToken, keylessSigner, readBundleBytes, listReferrers, parseBundle, signArtifacts, verifyArtifact, type SignTarget } from '../../../src/delivery/signing/index.js';
import { packArtifact } from '../../../src/flux/artifact/artifact.js';
import { TestRegistry } from '../../support/registry.js';
import { FakeSigstore } from '../../support/sigstore.js';

const HOST = 'registry.acme.io';
const ISSUER = 'https://token.actions.githubusercontent.com';
const MAIN = 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main';
const TAGS = '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+$';
const ISSUER_RE = '^https://token\\.actions\\.githubusercontent\\.com$';
const MAIN_RE = '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$';

let dir: string;
let registry: TestRegistry;
let sigstore: FakeSigstore;
let destinations: Destinations;

function target(repository: string): SignTarget {
  return { repository: destinations.store(`oci://${HOST}/${repository}`) as RegistryRepository, host: HOST, reference: 'latest' };
}

async function pushSample(repository: string, text: string): Promise<string> {
  const packed = packArtifact([{ path: 'app.yaml', content: Buffer.from(text) }], { created: '2026-11-01T10:00:00Z' });
  await pushArtifact(destinations.store(`oci://${HOST}/${repository}`), packed, ['latest']);
  return packed.digest;
}

async function signKeyless(repository: string, subject: string): Promise<void> {
  const signer = keylessSigner({ identityToken: async () => sigstore.token(subject, ISSUER), fulcioUrl: sigstore.url, rekorUrl: sigstore.url });
  await signArtifacts([target(repository)], { signer });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-keyless-'));
  [registry, sigstore] = await Promise.all([TestRegistry.start(), FakeSigstore.start()]);
  destinations = new Destinations({ hostAliases: { [HOST]: registry.host }, retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 } });
}, 120_000);

afterAll(async () => {
  destinations.close();
  await Promise.all([registry.destroy(), sigstore.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('keyless signing through a private Fulcio and Rekor', () => {
  test('signs as the CI identity; @sigstore/verify and verify accept it under the trusted root', async () => {
    // GIVEN
    const repository = 'fleet/clusters/stg-eu-1';
    const digest = await pushSample(repository, 'kind: ConfigMap\n');
    // WHEN
    await signKeyless(repository, MAIN);
    // THEN: the bundle carries a certificate and a transparency log entry with its inclusion proof
    const repo = target(repository).repository;
    const { referrers } = await listReferrers(repo, digest);
    const bundle = parseBundle((await readBundleBytes(repo, referrers[0]))!, 'bundle');
    const entry = bundle.verificationMaterial.tlogEntries?.[0] as { inclusionProof?: unknown } | undefined;
    expect(entry?.inclusionProof).toBeDefined();
    // @sigstore/verify, with the trusted root the clusters get
    const signer = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRoot)), { tlogThreshold: 1, ctlogThreshold: 1 })
      .verify(toSignedEntity(bundleFromJSON(bundle)), { subjectAlternativeName: MAIN, extensions: { issuer: ISSUER } });
    expect(signer.identity?.subjectAlternativeName).toBe(MAIN);
    // flux-fleet's verification, as Flux's matchOIDCIdentity would
    const verified = await verifyArtifact(target(repository), { kind: 'keyless', identities: [{ issuer: ISSUER_RE, subject: MAIN_RE }], trustedRoot: sigstore.trustedRoot });
    expect({ via: verified.via, signer: verified.signer }).toStrictEqual({ via: 'bundle', signer: `${MAIN} (issuer ${ISSUER})` });
  }, 120_000);

  test('signing again as the same identity adds nothing when the identity and its trusted root are given', async () => {
    // GIVEN
    const repository = 'fleet/clusters/rerun';
    await pushSample(repository, 'kind: LimitRange\n');
    const signer = keylessSigner({
      identityToken: async () => sigstore.token(MAIN, ISSUER),
      fulcioUrl: sigstore.url,
      rekorUrl: sigstore.url,
      expectedIdentity: { subject: MAIN, issuer: ISSUER },
      trustedRoot: sigstore.trustedRoot,
    });
    // WHEN
    const first = await signArtifacts([target(repository)], { signer });
    const again = await signArtifacts([target(repository)], { signer });
    // THEN
    expect([first[0].outcome, again[0].outcome]).toStrictEqual(['attached', 'existing']);
    expect(again[0].referrer).toBe(first[0].referrer);
  }, 120_000);

  test('without a trusted root to verify it with, a bundle made before counts for nothing: every run signs anew', async () => {
    // GIVEN
    const repository = 'fleet/clusters/rerun-unverified';
    await pushSample(repository, 'kind: ResourceQuota\n');
    const signer = keylessSigner({
      identityToken: async () => sigstore.token(MAIN, ISSUER),
      fulcioUrl: sigstore.url,
      rekorUrl: sigstore.url,
      expectedIdentity: { subject: MAIN, issuer: ISSUER },
    });
    // WHEN
    const first = await signArtifacts([target(repository)], { signer });
    const again = await signArtifacts([target(repository)], { signer });
    // THEN
    expect([first[0].outcome, again[0].outcome]).toStrictEqual(['attached', 'attached']);
    expect(again[0].referrer).not.toBe(first[0].referrer);
  }, 120_000);

  test('fails when the identity is another one: production accepts release tags, not main', async () => {
    // GIVEN
    const repository = 'fleet/clusters/prod-eu-1';
    await pushSample(repository, 'kind: Secret\n');
    await signKeyless(repository, MAIN);
    // WHEN
    const verifying = verifyArtifact(target(repository), { kind: 'keyless', identities: [{ issuer: ISSUER_RE, subject: TAGS }], trustedRoot: sigstore.trustedRoot });
    // THEN
    await expect(verifying).rejects.toThrow(`signed by "${MAIN}" (issuer "${ISSUER}"), which does not match subject ${JSON.stringify(TAGS)}`);
  }, 120_000);

  test('fails when the trusted root is another Sigstore instance\'s', async () => {
    // GIVEN
    const repository = 'fleet/clusters/other-root';
    await pushSample(repository, 'kind: Role\n');
    await signKeyless(repository, MAIN);
    const other = await FakeSigstore.start();
    // WHEN
    const verifying = verifyArtifact(target(repository), { kind: 'keyless', identities: [{ issuer: ISSUER_RE, subject: MAIN_RE }], trustedRoot: other.trustedRoot });
    // THEN
    await expect(verifying).rejects.toThrow(/does not verify with the trusted root/);
    await other.stop();
  }, 120_000);

  test('fails when two identities are given on a bundle path', async () => {
    // GIVEN
    const repository = 'fleet/clusters/two-identities';
    await pushSample(repository, 'kind: RoleBinding\n');
    await signKeyless(repository, MAIN);
    // WHEN
    const verifying = verifyArtifact(target(repository), {
      kind: 'keyless', identities: [{ issuer: ISSUER_RE, subject: MAIN_RE }, { issuer: ISSUER_RE, subject: TAGS }], trustedRoot: sigstore.trustedRoot,
    });
    // THEN
    await expect(verifying).rejects.toThrow(/unsupported: multiple identities/);
  }, 120_000);
});

describe('the CI\'s OIDC token', () => {
  async function tokenServer(body: string): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
    const http = await import('node:http');
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/token?api-version=2.0`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  test('is requested from GitHub Actions with the sigstore audience', async () => {
    // GIVEN
    const server = await tokenServer(JSON.stringify({ value: 'the-token' }));
    // WHEN
    const token = await ciIdentityToken({ ACTIONS_ID_TOKEN_REQUEST_URL: server.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-bearer' })!();
    await server.close();
    // THEN
    expect(token).toBe('the-token');
    expect(server.seen).toStrictEqual(['/token?api-version=2.0&audience=sigstore Bearer request-bearer']);
    expect(await ciIdentityToken({ SIGSTORE_ID_TOKEN: 'gitlab-token' })!()).toBe('gitlab-token');
    expect(ciIdentityToken({})).toBeUndefined();
  }, 60_000);

  test('fails when the answer is larger than a token can be', async () => {
    // GIVEN
    const server = await tokenServer(JSON.stringify({ value: 'x'.repeat(100 * 1024) }));
    // WHEN
    const requesting = ciIdentityToken({ ACTIONS_ID_TOKEN_REQUEST_URL: server.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'b' })!();
    // THEN
    await expect(requesting).rejects.toThrow('the OIDC token answer is larger than 65536 bytes; refusing it');
    await server.close();
  }, 60_000);
});

describe('what the clusters get verifies what CI signed', () => {
  test('the synthesized verify block and trusted root Secret accept the keyless signature of the declared identity only', async () => {
    // GIVEN: a fleet whose staging verifies main and production release tags, both from a private Sigstore
    const { Fleet, FluxApp, Registry, Signing } = await import('../../../src/index.js');
    const { parseAllDocuments } = await import('yaml');
    const outdir = join(dir, 'fleet');
    const app = new FluxApp({ outdir });
    const options = { trustedRootSecretRef: { name: 'sigstore-root' }, trustedRoot: JSON.stringify(sigstore.trustedRoot) };
    const fleet = new Fleet(app, 'acme', {
      registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
      signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ...options }),
    });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars: {} });
    fleet.addEnvironment('production', { channel: 'stable', signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*', ...options }) })
      .addCluster('prod-eu-1', { region: 'eu-west-1', vars: {} });
    app.synth();
    const clusterSide = (cluster: string): { identities: Array<{ issuer: string; subject: string }>; trustedRoot: unknown } => {
      const docs = parseAllDocuments(readFileSync(join(outdir, 'clusters', cluster, 'flux-system', 'flux-system.yaml'), 'utf8')).map((d) => d.toJS());
      const instance = docs.find((o) => o.kind === 'FluxInstance');
      const patch = instance.spec.kustomize.patches.find((p: any) => p.target.name === 'flux-system');
      const verify = (parseAllDocuments(patch.patch)[0].toJS() as any[]).find((op) => op.path === '/spec/verify').value;
      const secret = docs.find((o) => o.kind === 'Secret' && o.metadata.name === verify.trustedRootSecretRef.name);
      return { identities: verify.matchOIDCIdentity, trustedRoot: JSON.parse(secret.stringData['trusted_root.json']) };
    };
    const repository = 'fleet/clusters/stg-eu-1';
    await pushSample(repository, 'kind: PriorityClass\n');
    // WHEN: CI signs from main
    await signKeyless(repository, MAIN);
    const staging = clusterSide('stg-eu-1');
    const production = clusterSide('prod-eu-1');
    // THEN: staging's verification accepts it, production's does not
    await expect(verifyArtifact(target(repository), { kind: 'keyless', ...staging })).resolves.toMatchObject({ via: 'bundle', signer: `${MAIN} (issuer ${ISSUER})` });
    await expect(verifyArtifact(target(repository), { kind: 'keyless', ...production })).rejects.toThrow(/which does not match subject/);
  }, 120_000);
});
