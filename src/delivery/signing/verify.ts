import type { KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { envelopeSignatureVerifies, parseBundle, statementOf, type SigstoreBundleJson } from './bundle.js';
import { fulcioIssuer } from './keyless.js';
import { publicKeyHint, SigningError } from './keys.js';
import { LEGACY_SIG_WARNING, legacySigTag, verifyLegacySignatures } from './legacy-sig.js';
import { fallbackTag, listReferrers } from './referrers.js';
import { readBundleBytes, type SignTarget } from './sign.js';
import type { RegistryRepository } from '../oci/client.js';

/** A keyless identity clusters accept: Go regular expressions for the OIDC issuer and the certificate subject. */
export interface IdentityMatch {
  /** A Go regular expression for the OIDC issuer. */
  readonly issuer: string;
  /** A Go regular expression for the certificate's subject. */
  readonly subject: string;
}

/** What verification accepts: public keys, or keyless identities under a Sigstore trusted root. */
export type VerifyPolicy =
  | { readonly kind: 'key'; readonly keys: readonly KeyObject[] }
  | { readonly kind: 'keyless'; readonly identities: readonly IdentityMatch[]; readonly trustedRoot: unknown };

/**
 * Which signatures a verifier reads, as the cluster's Flux version does: Flux v2.8 and newer read Sigstore bundles
 * (and the cosign v2 `.sig` tag only when there is no bundle); older Flux reads the `.sig` tag alone.
 */
export type SignatureFormats = 'bundles' | 'legacy-sig';

/** A verified artifact. */
export interface VerifiedArtifact {
  /** `oci://<host>/<repository>@<digest>`. */
  readonly location: string;
  /** The digest verified. */
  readonly digest: string;
  /** How: a Sigstore bundle among its referrers, or a cosign v2 `.sig` signature. */
  readonly via: 'bundle' | 'legacy-sig';
  /** Who signed: `the key`, or the certificate's subject and issuer. */
  readonly signer: string;
  /** What verified but should be looked at, e.g. a signature in the older `.sig` format alone. */
  readonly warnings: readonly string[];
}

/** What checking one digest against a policy found. */
export type SignatureCheck =
  | { readonly verified: true; readonly artifact: VerifiedArtifact }
  | {
    readonly verified: false;
    /** `oci://<host>/<repository>@<digest>`. */
    readonly location: string;
    readonly digest: string;
    /** Why nothing verifies, with each signature's reason. */
    readonly reason: string;
    /** Who signed the signatures found (a key's hint, or a certificate's subject and issuer); none when unsigned. */
    readonly found: readonly string[];
  };

/**
 * Checks the signatures of a digest as Flux's source-controller does, reading only: with `formats` `bundles` (Flux
 * v2.8 and newer) it lists the digest's referrers (the Referrers API, else the `sha256-<hex>` fallback index tag)
 * and, when any Sigstore bundle is there, uses bundles only: a DSSE envelope whose in-toto statement names the
 * digest, signed by one of the keys (a signature with a keyid is skipped, as Flux's verifier skips it) or by a
 * certificate of the accepted identity under the trusted root. With no bundle, or with `legacy-sig` (older Flux), it
 * reads the cosign v2 `sha256-<hex>.sig` tag (keys only). The result says who signed what it found.
 */
export async function checkSignatures(
  repo: RegistryRepository, digest: string, policy: VerifyPolicy, formats: SignatureFormats = 'bundles',
): Promise<SignatureCheck> {
  const location = `${repo.location}@${digest}`;
  const refuse = (reason: string, found: readonly string[] = []): SignatureCheck => ({ verified: false, location, digest, reason, found });
  const sign = `flux-fleet sign ${repo.location.slice('oci://'.length)}@${digest}`;
  if (formats === 'bundles') {
    const { referrers, via } = await listReferrers(repo, digest);
    const bundles = referrers.filter((r) => isBundleV03Plus(r.artifactType));
    if (bundles.length > 0) {
      if (policy.kind === 'keyless' && policy.identities.length !== 1) {
        return refuse(`${location}: unsupported: multiple identities; Flux verifies a bundle against exactly one matchOIDCIdentity entry, and ${policy.identities.length} were given: declare one signing identity per source`);
      }
      const reasons: string[] = [];
      const found: string[] = [];
      for (const r of bundles) {
        const where = `bundle ${r.digest.slice(0, 19)}`;
        try {
          const bytes = await readBundleBytes(repo, r);
          if (!bytes) {
            reasons.push(`${where}: the referrer holds no bundle layer`);
            continue;
          }
          const bundle = parseBundle(bytes, where);
          const result = checkBundle(bundle, digest, policy, where);
          if (typeof result !== 'string') return { verified: true, artifact: { location, digest, via: 'bundle', signer: result.signer, warnings: [] } };
          reasons.push(result);
          found.push(signerOf(bundle));
        } catch (e) {
          if (!(e instanceof SigningError)) throw e;
          reasons.push(e.message);
        }
      }
      const from = via === 'referrers-api' ? 'Referrers API' : `fallback tag ${fallbackTag(digest)}`;
      return refuse(`${location}: no Sigstore bundle among its referrers (${from}) verifies:\n${reasons.map((x) => `  - ${x}`).join('\n')}`, [...new Set(found)]);
    }
    if (policy.kind === 'keyless') {
      return refuse(`${location} has no Sigstore bundle among its referrers (neither the Referrers API nor the fallback tag ${fallbackTag(digest)} lists one), so Flux would find no signature: sign it (${sign})`);
    }
  } else if (policy.kind === 'keyless') {
    return refuse(`${location}: the cluster's Flux (older than v2.8) reads only cosign v2 ${legacySigTag(digest)} signatures, which keyless signing never writes; move the cluster to Flux v2.8 or newer`);
  }
  const legacy = await verifyLegacySignatures(repo, digest, policy.keys);
  if (legacy.verified) {
    const warnings = [LEGACY_SIG_WARNING];
    if (legacy.namesOtherDigest) warnings.push(`the .sig payload that verifies names another digest than ${digest}: Flux accepts it anyway; sign this digest with a bundle`);
    return { verified: true, artifact: { location, digest, via: 'legacy-sig', signer: 'the key', warnings } };
  }
  if (legacy.found) {
    return refuse(`${location}: its ${legacySigTag(digest)} signatures do not verify with the given key (wrong key?)${formats === 'bundles' ? ', and it has no Sigstore bundle' : ''}`, ['a cosign .sig signature by another key']);
  }
  if (formats === 'legacy-sig') {
    return refuse(`${location} has no ${legacySigTag(digest)} signature, the only kind the cluster's Flux (older than v2.8) reads; sign it with --legacy-sig (${sign} --key <key> --legacy-sig)`);
  }
  return refuse(`${location} is not signed: no Sigstore bundle among its referrers (neither the Referrers API nor the fallback tag ${fallbackTag(digest)}) and no ${legacySigTag(digest)} tag; sign it (${sign})`);
}

/**
 * Verifies an artifact as Flux's source-controller (v2.8 and newer) does (see {@link checkSignatures}): it resolves
 * the reference to its digest and checks that digest's signatures. Throws a {@link SigningError} that says why each
 * candidate was refused.
 */
export async function verifyArtifact(target: SignTarget, policy: VerifyPolicy): Promise<VerifiedArtifact> {
  const repo = target.repository;
  const m = await repo.fetchManifest(target.reference);
  const named = `${repo.location}${target.reference.startsWith('sha256:') ? '@' : ':'}${target.reference}`;
  if (!m) throw new SigningError(`${named} does not exist`);
  const result = await checkSignatures(repo, m.digest, policy);
  if (!result.verified) throw new SigningError(result.reason);
  return result.artifact;
}

/** Whether a referrer's artifactType is a Sigstore bundle of v0.3 or newer (what Flux reads). */
export function isBundleV03Plus(artifactType: string | undefined): boolean {
  const m = /^application\/vnd\.dev\.sigstore\.bundle(?:\.v(\d+)\.(\d+)\+json|\+json;\s*version=(\d+)\.(\d+))$/.exec(artifactType ?? '');
  if (!m) return false;
  const major = Number(m[1] ?? m[3]);
  const minor = Number(m[2] ?? m[4]);
  return major > 0 || minor >= 3;
}

/** Who made a bundle, for messages: a certificate's subject and issuer, or a public key's hint. */
export function signerOf(bundle: SigstoreBundleJson): string {
  const m = bundle.verificationMaterial;
  const raw = m.certificate?.rawBytes ?? m.x509CertificateChain?.certificates[0]?.rawBytes;
  if (raw) {
    try {
      const cert = X509Certificate.parse(Buffer.from(raw, 'base64'));
      return `keyless ${cert.subjectAltName ?? '(no identity)'} (issuer ${fulcioIssuer(cert) ?? 'unknown'})`;
    } catch {
      return 'a certificate that cannot be read';
    }
  }
  return m.publicKey?.hint ? `the key with hint ${m.publicKey.hint}` : 'a key without hint';
}

/** A key for messages: its hint, as a bundle it signs carries it. */
export function describeKey(key: KeyObject): string {
  return `the key with hint ${publicKeyHint(key)}`;
}

/** Checks one bundle; a string says why it does not verify. */
function checkBundle(bundle: SigstoreBundleJson, digest: string, policy: VerifyPolicy, where: string): { signer: string } | string {
  const envelope = bundle.dsseEnvelope;
  if (!envelope) return `${where}: holds a message signature, not a DSSE in-toto statement; Flux verifies statements`;
  const statement = statementOf(envelope, where);
  const hex = digest.slice('sha256:'.length);
  const named = statement.subject.map((s) => s.digest?.sha256).filter((x): x is string => typeof x === 'string');
  if (!named.includes(hex)) return `${where}: its statement names ${named.map((x) => `sha256:${x}`).join(', ') || 'no sha256 digest'}, not this artifact's ${digest}; it signs another artifact`;
  if (policy.kind === 'key') {
    const reasons: string[] = [];
    for (const s of envelope.signatures) {
      if (s.keyid !== undefined && s.keyid !== '') {
        reasons.push(`${where}: its signature has keyid ${JSON.stringify(s.keyid)}, and Flux's verifier skips a signature whose keyid is set; sign with an empty keyid (flux-fleet sign does)`);
        continue;
      }
      if (policy.keys.some((k) => envelopeSignatureVerifies(envelope, s.sig, k))) return { signer: 'the key' };
      reasons.push(`${where}: its signature does not verify with the given public key${policy.keys.length === 1 ? '' : 's'}: signed with another key`);
    }
    return reasons.join('; ') || `${where}: its envelope has no signature`;
  }
  let signer;
  try {
    const material = toTrustMaterial(TrustedRoot.fromJSON(policy.trustedRoot));
    const hasCtlogs = ((policy.trustedRoot as { ctlogs?: unknown[] })?.ctlogs ?? []).length > 0;
    const verifier = new Verifier(material, { tlogThreshold: 1, ctlogThreshold: hasCtlogs ? 1 : 0, timestampThreshold: 1 });
    signer = verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
  } catch (e) {
    return `${where}: does not verify with the trusted root (a certificate, transparency log entry or signature from another Sigstore instance?): ${(e as Error).message}`;
  }
  const subject = signer.identity?.subjectAlternativeName ?? '';
  const issuer = signer.identity?.extensions?.issuer ?? '';
  const match = policy.identities[0];
  if (!goRegex(match.issuer).test(issuer) || !goRegex(match.subject).test(subject)) {
    return `${where}: signed by ${JSON.stringify(subject)} (issuer ${JSON.stringify(issuer)}), which does not match subject ${JSON.stringify(match.subject)} and issuer ${JSON.stringify(match.issuer)}`;
  }
  return { signer: `${subject} (issuer ${issuer})` };
}

/** A Go regular expression as JavaScript's: a leading `(?i)` becomes the `i` flag. */
export function goRegex(pattern: string): RegExp {
  const flags = /^\(\?([imsU]+)\)/.exec(pattern);
  const body = flags ? pattern.slice(flags[0].length) : pattern;
  return new RegExp(body, `${flags?.[1].includes('i') ? 'i' : ''}${flags?.[1].includes('s') ? 's' : ''}${flags?.[1].includes('m') ? 'm' : ''}`);
}
