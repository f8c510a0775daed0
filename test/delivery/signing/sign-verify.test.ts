import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { Destinations } from '../../../src/delivery/destinations.js';
import type { RegistryRepository } from '../../../src/delivery/oci/client.js';
import { pushArtifact } from '../../../src/delivery/oci/store.js';
import {
  attachReferrer, BUNDLE_MEDIA_TYPE, generateSigningKey, keyBundle, keySigner, preAuthEncoding, publicKeyHint, publicKeyPem,
  signArtifacts, signStatement, verifyArtifact, type SignTarget, type SigningKey, type SigstoreBundleJson,
} from '../../../src/delivery/signing/index.js';
import { packArtifact } from '../../../src/flux/artifact/artifact.js';
import { skopeo, TestRegistry } from '../../support/registry.js';

const run = promisify(execFile);
const EU = 'registry.eu.acme.io';
const US = 'registry.us.acme.io';
const REPO = 'fleet/clusters/prod-eu-1';

let dir: string;
let eu: TestRegistry;
let us: TestRegistry;
let destinations: Destinations;
let key: SigningKey;
let digest: string;

function target(host: string, repository = REPO, reference = 'stable'): SignTarget {
  return { repository: destinations.store(`oci://${host}/${repository}`) as RegistryRepository, host, reference };
}

async function pushSample(repository: string, text: string, hosts: readonly string[] = [EU, US]): Promise<string> {
  const packed = packArtifact([{ path: 'app.yaml', content: Buffer.from(text) }], { created: '2026-11-01T10:00:00Z' });
  for (const host of hosts) await pushArtifact(destinations.store(`oci://${host}/${repository}`), packed, ['stable']);
  return packed.digest;
}

interface Attached {
  readonly index: any;
  readonly manifest: any;
  readonly bundle: SigstoreBundleJson;
}

/** The bundle attached to a digest in a registry, read back with skopeo (a reader this project did not write). */
async function bundleInRegistry(registry: TestRegistry, repository: string, subject: string): Promise<Attached> {
  const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/${repository}:${subject.replace(':', '-')}`));
  const manifest = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/${repository}@${index.manifests[0].digest}`));
  const out = join(dir, `blob-${Date.now()}`);
  await skopeo('copy', '--src-tls-verify=false', `docker://${registry.host}/${repository}@${index.manifests[0].digest}`, `dir:${out}`);
  const { readFileSync } = await import('node:fs');
  const bundle = JSON.parse(readFileSync(join(out, manifest.layers[0].digest.slice('sha256:'.length)), 'utf8')) as SigstoreBundleJson;
  return { index, manifest, bundle };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-signing-'));
  [eu, us] = await Promise.all([TestRegistry.start(), TestRegistry.start()]);
  destinations = new Destinations({ hostAliases: { [EU]: eu.host, [US]: us.host }, retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 } });
  key = generateSigningKey();
  digest = await pushSample(REPO, 'kind: ConfigMap\n');
}, 120_000);

afterAll(async () => {
  destinations.close();
  await Promise.all([eu.destroy(), us.destroy()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('signing with a key', () => {
  test('attaches one cosign v3 bundle per digest to every region, verified by openssl and @sigstore/verify', async () => {
    // WHEN
    const results = await signArtifacts([target(EU), target(US)], { signer: keySigner(key), created: new Date('2026-11-30T06:00:00Z') });

    // THEN: the same bundle, attached in both regions
    expect(results.map((r) => ({ location: r.location, outcome: r.outcome }))).toStrictEqual([
      { location: `oci://${EU}/${REPO}@${digest}`, outcome: 'attached' },
      { location: `oci://${US}/${REPO}@${digest}`, outcome: 'attached' },
    ]);
    expect(results[0].referrer).toBe(results[1].referrer);
    const { index, manifest, bundle } = await bundleInRegistry(eu, REPO, digest);
    // the fallback index tag lists the referrer, with its artifactType and annotations
    expect(index).toStrictEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: results[0].referrer,
        size: expect.any(Number),
        artifactType: BUNDLE_MEDIA_TYPE,
        annotations: {
          'dev.sigstore.bundle.content': 'dsse-envelope',
          'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
          'org.opencontainers.image.created': '2026-11-30T06:00:00.000Z',
        },
      }],
    });
    // the referrer manifest: artifactType, empty config, the bundle layer, subject the artifact
    expect(manifest.artifactType).toBe(BUNDLE_MEDIA_TYPE);
    expect(manifest.config).toStrictEqual({ mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
    expect(manifest.layers.map((l: any) => l.mediaType)).toStrictEqual([BUNDLE_MEDIA_TYPE]);
    expect(manifest.subject).toStrictEqual({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: expect.any(Number) });
    // the statement names the digest; the signature has no keyid
    const envelope = bundle.dsseEnvelope!;
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    expect(statement).toStrictEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: REPO, digest: { sha256: digest.slice('sha256:'.length) } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });
    expect(envelope.signatures.map((s) => s.keyid ?? '')).toStrictEqual(['']);

    // openssl checks the ECDSA signature over the DSSE pre-authentication encoding
    writeFileSync(join(dir, 'cosign.pub'), publicKeyPem(key.publicKey));
    writeFileSync(join(dir, 'pae.bin'), preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, 'base64')));
    writeFileSync(join(dir, 'sig.der'), Buffer.from(envelope.signatures[0].sig, 'base64'));
    const { stdout } = await run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'cosign.pub'), '-signature', join(dir, 'sig.der'), join(dir, 'pae.bin')]);
    expect(stdout.trim()).toBe('Verified OK');

    // @sigstore/verify checks the bundle with the public key as trust material
    expect(independentlyVerified(bundle, key.publicKey)).toBe(true);
  }, 120_000);

  test('signing again adds nothing (idempotent), in either region', async () => {
    // WHEN
    const results = await signArtifacts([target(EU), target(US)], { signer: keySigner(key) });
    // THEN
    expect(results.map((r) => r.outcome)).toStrictEqual(['existing', 'existing']);
    const { index } = await bundleInRegistry(us, REPO, digest);
    expect(index.manifests).toHaveLength(1);
  }, 120_000);

  test('verifies in each region as Flux does, from the fallback index tag', async () => {
    // WHEN
    const verified = await Promise.all([verifyArtifact(target(EU), { kind: 'key', keys: [key.publicKey] }), verifyArtifact(target(US), { kind: 'key', keys: [key.publicKey] })]);
    // THEN
    expect(verified.map((v) => ({ location: v.location, via: v.via }))).toStrictEqual([
      { location: `oci://${EU}/${REPO}@${digest}`, via: 'bundle' },
      { location: `oci://${US}/${REPO}@${digest}`, via: 'bundle' },
    ]);
  }, 60_000);

  test('a second key\'s bundle is added beside the first, keeping it', async () => {
    // GIVEN
    const repository = 'fleet/clusters/two-keys';
    const twoDigest = await pushSample(repository, 'kind: Secret\n', [EU]);
    await signArtifacts([target(EU, repository)], { signer: keySigner(key) });
    // WHEN
    const other = generateSigningKey();
    await signArtifacts([target(EU, repository)], { signer: keySigner(other) });
    // THEN
    const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/${repository}:${twoDigest.replace(':', '-')}`));
    expect(index.manifests).toHaveLength(2);
    await expect(verifyArtifact(target(EU, repository), { kind: 'key', keys: [other.publicKey] })).resolves.toMatchObject({ via: 'bundle' });
    await expect(verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] })).resolves.toMatchObject({ via: 'bundle' });
  }, 120_000);
});

describe('what counts as signed already', () => {
  test('a bundle by the key for another digest counts for nothing: sign attaches one for this digest, which verifies', async () => {
    // GIVEN: the key's bundle over a statement naming another artifact, attached to this one
    const repository = 'fleet/clusters/other-digest';
    const victim = await pushSample(repository, 'kind: PodDisruptionBudget\n', [EU]);
    const repo = target(EU, repository).repository;
    const replayed = keyBundle(signStatement(repository, digest), key.privateKey, key.publicKey);
    await attachReferrer(repo, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: victim, size: (await repo.fetchManifest(victim))!.bytes.length }, {
      artifactType: BUNDLE_MEDIA_TYPE, content: Buffer.from(JSON.stringify(replayed)), annotations: {},
    });
    // WHEN
    const results = await signArtifacts([target(EU, repository)], { signer: keySigner(key) });
    // THEN
    expect(results.map((r) => r.outcome)).toStrictEqual(['attached']);
    await expect(verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] })).resolves.toMatchObject({ via: 'bundle', digest: victim });
  }, 60_000);

  test('a bundle by the key that Flux would skip (a keyid set) counts for nothing', async () => {
    // GIVEN
    const repository = 'fleet/clusters/skipped';
    const d = await pushSample(repository, 'kind: NetworkPolicy\n', [EU]);
    const repo = target(EU, repository).repository;
    const plain = keyBundle(signStatement(repository, d), key.privateKey, key.publicKey);
    const withKeyid = { ...plain, dsseEnvelope: { ...plain.dsseEnvelope!, signatures: [{ ...plain.dsseEnvelope!.signatures[0], keyid: 'abc123' }] } };
    await attachReferrer(repo, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: (await repo.fetchManifest(d))!.bytes.length }, {
      artifactType: BUNDLE_MEDIA_TYPE, content: Buffer.from(JSON.stringify(withKeyid)), annotations: {},
    });
    // WHEN
    const results = await signArtifacts([target(EU, repository)], { signer: keySigner(key) });
    // THEN
    expect(results.map((r) => r.outcome)).toStrictEqual(['attached']);
    await expect(verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] })).resolves.toMatchObject({ via: 'bundle' });
  }, 60_000);
});

describe('signers racing on one digest', () => {
  test('40 rounds of two signers at once lose no bundle: each fallback index lists both, and each key verifies', async () => {
    // GIVEN
    const keys = [generateSigningKey(), generateSigningKey()];
    const lost: string[] = [];
    for (let round = 0; round < 40; round++) {
      const repository = `fleet/race/r${round}`;
      const d = await pushSample(repository, `kind: ConfigMap\nround: ${round}\n`, [EU]);
      // WHEN
      await Promise.all(keys.map((k) => signArtifacts([target(EU, repository)], { signer: keySigner(k) })));
      // THEN: read back by skopeo, and verified with each key
      const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/${repository}:${d.replace(':', '-')}`));
      if (index.manifests.length !== 2) lost.push(`round ${round}: ${index.manifests.length} entries`);
      for (const [i, k] of keys.entries()) {
        await verifyArtifact(target(EU, repository), { kind: 'key', keys: [k.publicKey] }).catch(() => lost.push(`round ${round}: key ${i} does not verify`));
      }
    }
    expect(lost).toStrictEqual([]);
  }, 600_000);
});

describe('verification failures', () => {
  test('fails when the key is another one', async () => {
    // GIVEN
    const other = generateSigningKey();
    // WHEN
    const verifying = verifyArtifact(target(EU), { kind: 'key', keys: [other.publicKey] });
    // THEN
    await expect(verifying).rejects.toThrow(/does not verify with the given public key: signed with another key/);
  }, 60_000);

  test('fails when the statement names another digest', async () => {
    // GIVEN: a bundle signed with the right key, but over a statement naming another artifact
    const repository = 'fleet/clusters/replayed';
    const victim = await pushSample(repository, 'kind: Namespace\n', [EU]);
    const repo = target(EU, repository).repository;
    const bundle = keyBundle(signStatement(repository, digest), key.privateKey, key.publicKey);
    await attachReferrer(repo, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: victim, size: (await repo.fetchManifest(victim))!.bytes.length }, {
      artifactType: BUNDLE_MEDIA_TYPE, content: Buffer.from(JSON.stringify(bundle)), annotations: {},
    });
    // WHEN
    const verifying = verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] });
    // THEN
    await expect(verifying).rejects.toThrow(`its statement names ${digest}, not this artifact's ${victim}; it signs another artifact`);
  }, 60_000);

  test('fails when the signature has a keyid, as Flux skips it', async () => {
    // GIVEN
    const repository = 'fleet/clusters/keyid';
    const signed = await pushSample(repository, 'kind: ServiceAccount\n', [EU]);
    const repo = target(EU, repository).repository;
    const plain = keyBundle(signStatement(repository, signed), key.privateKey, key.publicKey);
    const withKeyid = { ...plain, dsseEnvelope: { ...plain.dsseEnvelope!, signatures: [{ ...plain.dsseEnvelope!.signatures[0], keyid: 'abc123' }] } };
    await attachReferrer(repo, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: signed, size: (await repo.fetchManifest(signed))!.bytes.length }, {
      artifactType: BUNDLE_MEDIA_TYPE, content: Buffer.from(JSON.stringify(withKeyid)), annotations: {},
    });
    // WHEN
    const verifying = verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] });
    // THEN
    await expect(verifying).rejects.toThrow('its signature has keyid "abc123", and Flux\'s verifier skips a signature whose keyid is set');
  }, 60_000);

  test('fails when one region\'s copy has no signature', async () => {
    // GIVEN: signed in Europe only
    const repository = 'fleet/clusters/one-region';
    const d = await pushSample(repository, 'kind: Role\n');
    await signArtifacts([target(EU, repository)], { signer: keySigner(key) });
    // WHEN
    const [euResult, usResult] = await Promise.allSettled([
      verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] }),
      verifyArtifact(target(US, repository), { kind: 'key', keys: [key.publicKey] }),
    ]);
    // THEN
    expect(euResult.status).toBe('fulfilled');
    expect(usResult.status).toBe('rejected');
    expect((usResult as PromiseRejectedResult).reason.message).toBe(`oci://${US}/${repository}@${d} is not signed: no Sigstore bundle among its referrers (neither the Referrers API nor the fallback tag ${d.replace(':', '-')}) and no ${d.replace(':', '-')}.sig tag; sign it (flux-fleet sign ${US}/${repository}@${d})`);
  }, 120_000);
});

describe('legacy .sig signatures', () => {
  test('are written only on request, verified on the .sig path with a warning when no bundle exists', async () => {
    // GIVEN: an artifact whose only signature is a legacy one (a bundle would take precedence)
    const repository = 'fleet/clusters/legacy';
    const d = await pushSample(repository, 'kind: Deployment\n', [EU]);
    const { attachLegacySignature } = await import('../../../src/delivery/signing/legacy-sig.js');
    const repo = target(EU, repository).repository;
    // WHEN
    const wrote = await attachLegacySignature(repo, EU, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: (await repo.fetchManifest(d))!.bytes.length }, key.privateKey, key.publicKey);
    const again = await attachLegacySignature(repo, EU, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: (await repo.fetchManifest(d))!.bytes.length }, key.privateKey, key.publicKey);
    const verified = await verifyArtifact(target(EU, repository), { kind: 'key', keys: [key.publicKey] });
    // THEN
    expect([wrote, again]).toStrictEqual([true, false]);
    expect(verified.via).toBe('legacy-sig');
    expect(verified.warnings[0]).toMatch(/Flux does not check which digest such a signature names/);
    // skopeo reads the .sig manifest: one simple-signing layer
    const sig = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${eu.host}/${repository}:${d.replace(':', '-')}.sig`));
    expect(sig.layers.map((l: any) => l.mediaType)).toStrictEqual(['application/vnd.dev.cosign.simplesigning.v1+json']);
  }, 120_000);
});

/** Verifies a key-based bundle with @sigstore/verify: the key as trust material, no transparency log. */
function independentlyVerified(bundle: SigstoreBundleJson, publicKey: KeyObject): boolean {
  const root = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
  const material = toTrustMaterial(root, {
    [publicKeyHint(publicKey)]: {
      rawBytes: publicKey.export({ type: 'spki', format: 'der' }),
      keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
      validFor: { start: new Date(0) },
    },
  });
  const verifier = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
  return true;
}
