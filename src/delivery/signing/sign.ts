import {
  BUNDLE_MEDIA_TYPE, envelopeSignatureVerifies, keyBundle, parseBundle, SIGN_PREDICATE_TYPE, signStatement, statementOf,
  type InTotoStatement, type SigstoreBundleJson,
} from './bundle.js';
import type { SigningKey } from './keys.js';
import { SigningError } from './keys.js';
import { attachLegacySignature } from './legacy-sig.js';
import { attachReferrer, confirmFallbackEntries, listReferrers, type AttachedEntry, type ReferrerDescriptor } from './referrers.js';
import { verifyArtifact, type VerifyPolicy } from './verify.js';
import type { Descriptor } from '../../flux/artifact/digest.js';
import { MEDIA_TYPES } from '../../flux/artifact/media-types.js';
import type { RegistryRepository } from '../oci/client.js';

/** Who signs: a key, or a keyless Sigstore signer. */
export interface BundleSigner {
  /** For messages: `the key <hint>` or `keyless (<identity>)`. */
  readonly description: string;
  /** The private key, for legacy `.sig` signatures. @default - none: keyless signers make no legacy signature */
  readonly key?: SigningKey;
  /**
   * What a bundle by this signer verifies with (its public key; its keyless identity under a trusted root): a copy is
   * already signed only when a bundle by this signer verifies for its digest with it, as Flux would verify it.
   * @default - none known: every copy is signed anew
   */
  readonly policy?: VerifyPolicy;
  /** Whether a bundle found on the registry was made by this signer (then signing again would add nothing). */
  madeBy(bundle: SigstoreBundleJson): boolean;
  /** Signs the statement, returning a Sigstore bundle. */
  sign(statement: InTotoStatement): Promise<SigstoreBundleJson>;
}

/** A signer with a P-256 key: bundles verified offline by clusters holding the public key. */
export function keySigner(key: SigningKey): BundleSigner {
  return {
    description: 'the cosign key',
    key,
    sign: async (statement) => keyBundle(statement, key.privateKey, key.publicKey),
    policy: { kind: 'key', keys: [key.publicKey] },
    madeBy: (bundle) => bundle.dsseEnvelope?.signatures.some((s) => envelopeSignatureVerifies(bundle.dsseEnvelope!, s.sig, key.publicKey)) ?? false,
  };
}

/** One copy of an artifact to sign: a repository of a registry and the artifact's tag or digest there. */
export interface SignTarget {
  /** The repository. */
  readonly repository: RegistryRepository;
  /** The registry host (for the legacy payload's docker-reference). */
  readonly host: string;
  /** A tag or a digest. */
  readonly reference: string;
}

/** Options of {@link signArtifacts}. */
export interface SignOptions {
  /** Who signs: a key signer or a keyless one. */
  readonly signer: BundleSigner;
  /** Also write a cosign v2 `.sig` signature, for clusters older than Flux v2.8. @default false */
  readonly legacySig?: boolean;
  /** The created annotation of new bundles. @default - now */
  readonly created?: Date;
}

/** What signing did for one copy. */
export interface SignedTarget {
  /** `oci://<host>/<repository>@<digest>`. */
  readonly location: string;
  /** The digest signed. */
  readonly digest: string;
  /** `attached` a bundle, or found one by this signer `existing`. */
  readonly outcome: 'attached' | 'existing';
  /** The referrer manifest's digest. */
  readonly referrer: string;
  /** Whether a legacy `.sig` signature was written. */
  readonly legacySig: boolean;
}

/**
 * Signs artifacts: one bundle per digest, attached as a referrer to every copy (every region) of that digest, so the
 * copies carry the very same bundle. Idempotent: a copy where a bundle by this signer verifies for its digest (with
 * the signer's {@link BundleSigner.policy}, by {@link verifyArtifact}) gets nothing new, and such a bundle found in one
 * copy is copied to the others rather than signed again. A bundle by this signer for another digest, or one that does
 * not verify, counts for nothing. Once all is attached, each new entry of a fallback index is confirmed a moment later
 * and added back if a concurrent signer's write dropped it ({@link confirmFallbackEntries}).
 */
export async function signArtifacts(targets: readonly SignTarget[], options: SignOptions): Promise<SignedTarget[]> {
  const resolved: Array<{ target: SignTarget; subject: Descriptor }> = [];
  for (const target of targets) resolved.push({ target, subject: await subjectOf(target) });
  const byDigest = new Map<string, Array<{ target: SignTarget; subject: Descriptor }>>();
  for (const r of resolved) byDigest.set(r.subject.digest, [...(byDigest.get(r.subject.digest) ?? []), r]);

  const results: SignedTarget[] = [];
  const attached: AttachedEntry[] = [];
  for (const [digest, copies] of byDigest) {
    // Find a bundle of this signer in any copy; copies that have one are done.
    let bundleBytes: Buffer | undefined;
    const have = new Map<SignTarget, ReferrerDescriptor>();
    for (const { target } of copies) {
      const found = await bundleBy(target, digest, options.signer);
      if (found) {
        have.set(target, found.referrer);
        bundleBytes ??= found.bytes;
      }
    }
    if (bundleBytes === undefined && have.size < copies.length) {
      const name = copies[0].target.repository.name;
      bundleBytes = Buffer.from(JSON.stringify(await options.signer.sign(signStatement(name, digest))));
    }
    const created = (options.created ?? new Date()).toISOString();
    for (const { target, subject } of copies) {
      const location = `${target.repository.location}@${digest}`;
      let referrer = have.get(target);
      const outcome = referrer ? 'existing' : 'attached';
      if (!referrer) {
        referrer = await attachReferrer(target.repository, subject, {
          artifactType: BUNDLE_MEDIA_TYPE,
          content: bundleBytes!,
          annotations: {
            'dev.sigstore.bundle.content': 'dsse-envelope',
            'dev.sigstore.bundle.predicateType': SIGN_PREDICATE_TYPE,
            'org.opencontainers.image.created': created,
          },
          layerAnnotations: { 'org.opencontainers.image.title': `${digest.replace(':', '-')}.sigstore.json` },
        });
        attached.push({ repository: target.repository, subject: digest, entry: referrer });
      }
      let legacy = false;
      if (options.legacySig) {
        const key = options.signer.key;
        if (!key) throw new SigningError('legacy .sig signatures need a key; keyless signing writes bundles only');
        legacy = await attachLegacySignature(target.repository, target.host, subject, key.privateKey, key.publicKey);
      }
      results.push({ location, digest, outcome, referrer: referrer.digest, legacySig: legacy });
    }
  }
  await confirmFallbackEntries(attached);
  return results;
}

/** The descriptor of the artifact a target names. */
async function subjectOf(target: SignTarget): Promise<Descriptor> {
  const m = await target.repository.fetchManifest(target.reference);
  const where = `${target.repository.location}${target.reference.startsWith('sha256:') ? '@' : ':'}${target.reference}`;
  if (!m) throw new SigningError(`${where} does not exist; push it before signing it`);
  const mediaType = m.mediaType === MEDIA_TYPES.ociIndex ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
  return { mediaType, digest: m.digest, size: m.bytes.length };
}

interface FoundBundle {
  readonly referrer: ReferrerDescriptor;
  readonly bytes: Buffer;
}

/**
 * A bundle attached to `digest` that `signer` made for this digest and that verifies, with its bytes: its statement
 * names the digest, the signer made it, and the copy verifies with the signer's policy (as Flux verifies it).
 */
async function bundleBy(target: SignTarget, digest: string, signer: BundleSigner): Promise<FoundBundle | undefined> {
  if (!signer.policy) return undefined;
  const repo = target.repository;
  const { referrers } = await listReferrers(repo, digest);
  let found: FoundBundle | undefined;
  for (const r of referrers) {
    if (!r.artifactType?.startsWith('application/vnd.dev.sigstore.bundle')) continue;
    const bytes = await readBundleBytes(repo, r);
    if (!bytes) continue;
    try {
      const bundle = parseBundle(bytes, r.digest);
      const named = bundle.dsseEnvelope ? statementOf(bundle.dsseEnvelope, r.digest).subject.map((s) => `sha256:${s.digest?.sha256}`) : [];
      if (named.includes(digest) && signer.madeBy(bundle)) {
        found = { referrer: r, bytes };
        break;
      }
    } catch {
      continue;
    }
  }
  if (!found) return undefined;
  try {
    const verified = await verifyArtifact({ ...target, reference: digest }, signer.policy);
    return verified.via === 'bundle' ? found : undefined;
  } catch (e) {
    if (e instanceof SigningError) return undefined;
    throw e;
  }
}

/** The largest bundle read from a registry. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/** The bundle layer of a referrer manifest; undefined when it holds none. */
export async function readBundleBytes(repo: RegistryRepository, referrer: Descriptor): Promise<Buffer | undefined> {
  if (referrer.size > MAX_BUNDLE_BYTES) throw new SigningError(`the referrer ${referrer.digest} of ${repo.location} is ${referrer.size} bytes, too large for a bundle manifest`);
  const m = await repo.fetchManifest(referrer.digest);
  if (!m) return undefined;
  const layers = (JSON.parse(m.bytes.toString('utf8')) as { layers?: Descriptor[] }).layers ?? [];
  const layer = layers.find((l) => l.mediaType?.startsWith('application/vnd.dev.sigstore.bundle'));
  if (!layer) return undefined;
  if (layer.size > MAX_BUNDLE_BYTES) throw new SigningError(`the bundle ${layer.digest} in ${repo.location} is ${layer.size} bytes, more than ${MAX_BUNDLE_BYTES}`);
  return repo.fetchBlob(layer);
}
