import type { KeyObject } from 'node:crypto';
import type { ClusterConfig, ClusterSource, SourceVerification } from './cluster-config.js';
import type { Destinations } from '../destinations.js';
import { publicKeyHint, readPublicKey, SigningError } from '../signing/keys.js';
import { publicSigstoreRoot } from '../signing/trusted-root.js';
import { checkSignatures, type SignatureCheck, type SignatureFormats, type VerifyPolicy } from '../signing/verify.js';

/** The first Flux minor that verifies Sigstore bundles (v2.8). */
const BUNDLES_SINCE = 2008;

/** Public material the clusters use that is not in the tree, and the public Sigstore root. */
export interface VerificationMaterialOptions {
  /**
   * Public keys (PEM, as `cosign.pub`) by the name of the Secret the clusters read them from, for Secrets managed
   * outside the config repo (not in the tree).
   * @default - only the Secrets in the tree
   */
  readonly publicKeys?: Readonly<Record<string, readonly string[]>>;
  /**
   * Trusted roots (`trusted_root.json`, parsed) by the name of the Secret the clusters read them from, for a private
   * Sigstore instance whose Secret is managed outside the config repo.
   * @default - only the Secrets in the tree
   */
  readonly trustedRoots?: Readonly<Record<string, unknown>>;
  /**
   * The trusted root of the public Sigstore instance, which clusters verifying keyless without
   * `trustedRootSecretRef` trust (`trusted_root.json`, parsed).
   * @default - the root `@sigstore/tuf` embeds (see publicSigstoreRoot)
   */
  readonly publicTrustedRoot?: unknown;
}

/** What a source accepts, resolved from its cluster's declaration and Secrets. */
export type ExpectedSigner =
  | {
    readonly kind: 'policy';
    readonly policy: VerifyPolicy;
    /** The signatures the cluster's Flux reads. */
    readonly formats: SignatureFormats;
    /** For messages: the identity and where the cluster reads its material. */
    readonly description: string;
    /** Caches checks: sources with the same key accept exactly the same signatures. */
    readonly key: string;
  }
  | { readonly kind: 'unverifiable'; readonly description: string; readonly reason: string };

/** A check of one artifact for one source of one cluster. */
export interface SourceCheck {
  /** The signer the cluster accepts for the source. */
  readonly expected: ExpectedSigner;
  /** What verification found: the signature checked, or why none verifies and who signed those found. */
  readonly result: SignatureCheck | { readonly verified: false; readonly reason: string; readonly found: readonly string[] };
}

/**
 * Verifies artifacts as the clusters that pull them do: each source's own `verify` declaration (the public keys in the
 * Secret it names, or the keyless issuer and subject patterns under the trusted root it names or the public one), the
 * signature formats its cluster's Flux version reads, in the registry the cluster pulls from. Results are cached by
 * digest and identity, so a fleet's many clusters cost one check per distinct pair.
 */
export class ReleaseVerifier {
  private publicRoot?: Promise<unknown>;
  private readonly cache = new Map<string, Promise<SignatureCheck>>();

  public constructor(private readonly destinations: Destinations, private readonly material: VerificationMaterialOptions = {}) {}

  /** What `source` of `config` accepts. */
  public async expected(config: ClusterConfig, source: ClusterSource): Promise<ExpectedSigner | undefined> {
    const v = source.verify;
    if (!v) return undefined;
    const formats: SignatureFormats = config.fluxMinor !== undefined && config.fluxMinor < BUNDLES_SINCE ? 'legacy-sig' : 'bundles';
    if (v.provider !== 'cosign') {
      return { kind: 'unverifiable', description: `${v.provider} with Secret ${source.namespace}/${v.secretRef ?? '?'}`, reason: `flux-fleet verifies cosign signatures only, and this source verifies ${v.provider} signatures; check them with ${v.provider}` };
    }
    if (v.secretRef !== undefined) return this.keyExpectation(config, source, v, formats);
    // Keyless with no matchOIDCIdentity: Flux accepts a certificate of any identity under the trusted root.
    const ids = v.matchOIDCIdentity && v.matchOIDCIdentity.length > 0 ? v.matchOIDCIdentity : [{ issuer: '^.*$', subject: '^.*$' }];
    const description = keylessDescription(v, source.namespace);
    let trustedRoot: unknown;
    if (v.trustedRootSecretRef !== undefined) {
      const secret = config.secrets.get(`${source.namespace}/${v.trustedRootSecretRef}`)?.['trusted_root.json'];
      trustedRoot = secret !== undefined ? parseRoot(secret) : this.material.trustedRoots?.[v.trustedRootSecretRef];
      if (trustedRoot === null) return { kind: 'unverifiable', description, reason: `the trusted_root.json of Secret ${source.namespace}/${v.trustedRootSecretRef} is not JSON` };
      if (trustedRoot === undefined) {
        return { kind: 'unverifiable', description, reason: `the Secret ${source.namespace}/${v.trustedRootSecretRef} with its trusted_root.json is not in the tree; give it with --trusted-root ${v.trustedRootSecretRef}=<trusted_root.json>` };
      }
    } else {
      trustedRoot = await this.publicTrustedRoot();
    }
    const root = v.trustedRootSecretRef !== undefined ? `secret:${v.trustedRootSecretRef}:${JSON.stringify(trustedRoot).length}` : 'public';
    return {
      kind: 'policy',
      policy: { kind: 'keyless', identities: ids, trustedRoot },
      formats,
      description,
      key: `keyless ${formats} ${JSON.stringify(ids)} ${root}`,
    };
  }

  /** Checks `digest` in the registry of `url` for `source` of `config`; undefined when the source verifies nothing. */
  public async check(config: ClusterConfig, source: ClusterSource, url: string, digest: string): Promise<SourceCheck | undefined> {
    const expected = await this.expected(config, source);
    if (!expected) return undefined;
    if (expected.kind === 'unverifiable') return { expected, result: { verified: false, reason: expected.reason, found: [] } };
    const key = `${url}@${digest} ${expected.key}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = checkSignatures(this.destinations.repository(url), digest, expected.policy, expected.formats);
      this.cache.set(key, pending);
    }
    return { expected, result: await pending };
  }

  private keyExpectation(config: ClusterConfig, source: ClusterSource, v: SourceVerification, formats: SignatureFormats): ExpectedSigner {
    const secret = `${source.namespace}/${v.secretRef}`;
    const inTree = config.secrets.get(secret);
    const pems = inTree
      ? Object.entries(inTree).filter(([k]) => k.endsWith('.pub')).map(([, value]) => value)
      : [...(this.material.publicKeys?.[v.secretRef!] ?? [])];
    if (pems.length === 0) {
      return {
        kind: 'unverifiable',
        description: `the keys in Secret ${secret}`,
        reason: inTree
          ? `the Secret ${secret} holds no *.pub entry, so Flux would find no key`
          : `the Secret ${secret} with the public keys is not in the tree; give them with --public-key ${v.secretRef}=<cosign.pub>`,
      };
    }
    let keys: KeyObject[];
    try {
      keys = pems.map((pem, i) => readPublicKey(pem, `${secret} entry ${i + 1}`));
    } catch (e) {
      if (!(e instanceof SigningError)) throw e;
      return { kind: 'unverifiable', description: `the keys in Secret ${secret}`, reason: e.message };
    }
    const hints = keys.map((k) => publicKeyHint(k)).sort();
    return {
      kind: 'policy',
      policy: { kind: 'key', keys },
      formats,
      description: `the key${keys.length === 1 ? '' : 's'} in Secret ${secret} (hint ${hints.join(', ')})`,
      key: `key ${formats} ${hints.join(',')}`,
    };
  }

  private async publicTrustedRoot(): Promise<unknown> {
    if (this.material.publicTrustedRoot !== undefined) return this.material.publicTrustedRoot;
    this.publicRoot ??= publicSigstoreRoot();
    return this.publicRoot;
  }
}

/** A keyless expectation for people: the subject and issuer patterns, and which Sigstore instance is trusted. */
function keylessDescription(v: SourceVerification, namespace: string): string {
  const ids = (v.matchOIDCIdentity ?? []).map((m) => `subject ${m.subject} (issuer ${m.issuer})`).join(' or ');
  // (Flux accepts any identity when none is declared; synth never writes that.)
  const root = v.trustedRootSecretRef !== undefined ? `the Sigstore root in Secret ${namespace}/${v.trustedRootSecretRef}` : 'the public Sigstore root';
  return `keyless ${ids || 'with any identity'} under ${root}`;
}

/** A trusted root's JSON; null when it is not JSON. */
function parseRoot(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
