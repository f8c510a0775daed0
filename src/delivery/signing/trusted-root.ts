import { createRequire } from 'node:module';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { SigningError } from './keys.js';

/** The TUF repository of the public Sigstore instance, which `@sigstore/tuf` embeds a copy of. */
const PUBLIC_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

/** Options of {@link publicSigstoreRoot}. */
export interface PublicSigstoreRootOptions {
  /**
   * Refresh the root through The Update Framework from the public Sigstore instance's TUF repository (network), in
   * this folder's cache; when that fails, the embedded root is used and `onFallback` is told why.
   * @default - no network: the root embedded in `@sigstore/tuf`
   */
  readonly refreshCache?: string;
  /** Told why a refresh failed (the embedded root is used then). @default - nothing */
  readonly onFallback?: (reason: string) => void;
}

/**
 * The trusted root (`trusted_root.json`, as JSON) of the public Sigstore instance, as `@sigstore/tuf` has it: the copy
 * its release embeds (verified TUF metadata, no network), or, with `refreshCache`, the current one fetched and
 * verified through TUF. Clusters verifying keyless without `trustedRootSecretRef` trust this instance.
 */
export async function publicSigstoreRoot(options: PublicSigstoreRootOptions = {}): Promise<unknown> {
  if (options.refreshCache !== undefined) {
    try {
      return TrustedRoot.toJSON(await getTrustedRoot({ cachePath: options.refreshCache, mirrorURL: PUBLIC_TUF_MIRROR }));
    } catch (e) {
      options.onFallback?.((e as Error).message);
    }
  }
  const seeds = createRequire(import.meta.url)('@sigstore/tuf/seeds.json') as Record<string, { targets?: Record<string, string> }>;
  const embedded = seeds[PUBLIC_TUF_MIRROR]?.targets?.['trusted_root.json'];
  if (embedded === undefined) throw new SigningError('@sigstore/tuf embeds no trusted root of the public Sigstore instance; give the root with --trusted-root <trusted_root.json>');
  return JSON.parse(Buffer.from(embedded, 'base64').toString('utf8'));
}
