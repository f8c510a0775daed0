import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { blobOf, type Descriptor } from '../../flux/artifact/digest.js';
import { MEDIA_TYPES } from '../../flux/artifact/media-types.js';
import type { RegistryRepository } from '../oci/client.js';

/** The media type of cosign v2's simple-signing payload layer. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the base64 signature. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/**
 * Why legacy signatures are opt-in: on this path Flux checks the signature over the payload, not the digest the payload
 * names, so any signature the key ever made verifies any artifact.
 */
export const LEGACY_SIG_WARNING = 'legacy cosign .sig signatures are for clusters older than Flux v2.8; Flux does not check which digest such a signature names, so any .sig made with this key verifies any artifact: move the clusters to Flux v2.8 or newer and sign bundles only';

/** The `sha256-<hex>.sig` tag cosign v2 stores an artifact's signatures under. */
export function legacySigTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** cosign v2's simple-signing payload for an artifact. */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
    optional: null,
  }));
}

interface SigManifest {
  readonly layers?: ReadonlyArray<Descriptor>;
}

/**
 * Adds a simple-signing signature of `subject` to its `sha256-<hex>.sig` manifest, keeping the signatures already
 * there; nothing is written when one made with this key for this digest is there already. Returns whether it wrote.
 */
export async function attachLegacySignature(
  repo: RegistryRepository, host: string, subject: Descriptor, privateKey: KeyObject, publicKey: KeyObject,
): Promise<boolean> {
  const tag = legacySigTag(subject.digest);
  const existing = await repo.fetchManifest(tag);
  const layers: Descriptor[] = existing ? [...((JSON.parse(existing.bytes.toString('utf8')) as SigManifest).layers ?? [])] : [];
  for (const layer of layers) {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || layer.size > 64 * 1024) continue;
    const payload = await repo.fetchBlob(layer);
    const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (sig && payloadDigest(payload) === subject.digest && cryptoVerify('sha256', payload, publicKey, Buffer.from(sig, 'base64'))) return false;
  }
  const payload = blobOf(SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload(`${host}/${repo.name}`, subject.digest));
  const signature = cryptoSign('sha256', payload.content, privateKey).toString('base64');
  layers.push({ ...payload.descriptor, annotations: { [SIGNATURE_ANNOTATION]: signature } });
  const config = blobOf('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({
    architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  })));
  await repo.pushBlob(payload);
  await repo.pushBlob(config);
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: config.descriptor, layers };
  await repo.pushManifest(tag, Buffer.from(JSON.stringify(manifest)), MEDIA_TYPES.ociManifest);
  return true;
}

/** What the `.sig` path found. */
export interface LegacyVerification {
  /** A signature verifies with one of the keys. */
  readonly verified: boolean;
  /** The payload that verifies names another digest (Flux does not check it). */
  readonly namesOtherDigest: boolean;
  /** A `.sig` manifest with signatures exists. */
  readonly found: boolean;
}

/** The legacy signatures of `digest` that verify with one of `keys`, as Flux checks them (payload digest unchecked). */
export async function verifyLegacySignatures(repo: RegistryRepository, digest: string, keys: readonly KeyObject[]): Promise<LegacyVerification> {
  const existing = await repo.fetchManifest(legacySigTag(digest));
  if (!existing) return { verified: false, namesOtherDigest: false, found: false };
  const layers = (JSON.parse(existing.bytes.toString('utf8')) as SigManifest).layers ?? [];
  for (const layer of layers.slice(0, 100)) {
    const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!sig || layer.size > 64 * 1024) continue;
    const payload = await repo.fetchBlob(layer);
    if (keys.some((k) => cryptoVerify('sha256', payload, k, Buffer.from(sig, 'base64')))) {
      return { verified: true, namesOtherDigest: payloadDigest(payload) !== digest, found: true };
    }
  }
  return { verified: false, namesOtherDigest: false, found: layers.length > 0 };
}

function payloadDigest(payload: Buffer): string | undefined {
  try {
    return (JSON.parse(payload.toString('utf8')) as { critical?: { image?: { 'docker-manifest-digest'?: string } } }).critical?.image?.['docker-manifest-digest'];
  } catch {
    return undefined;
  }
}

