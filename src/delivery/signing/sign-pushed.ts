import type { Destinations } from '../destinations.js';
import type { RegistryRepository } from '../oci/client.js';
import { parseRegistryReference } from '../oci/reference.js';
import type { PushedTarget } from '../push.js';
import { signArtifacts, type SignedTarget, type SignOptions, type SignTarget } from './sign.js';

/**
 * Signs what a push put in registries: every pushed copy of every artifact, one bundle per digest attached to each
 * region's copy (OCI layout destinations are skipped: clusters pull from registries).
 */
export async function signPushed(pushed: readonly PushedTarget[], destinations: Destinations, options: SignOptions): Promise<SignedTarget[]> {
  const targets: SignTarget[] = pushed.filter((p) => p.location.startsWith('oci://')).map((p) => {
    const ref = parseRegistryReference(p.url);
    return { repository: destinations.store(p.url) as RegistryRepository, host: ref.host, reference: p.digest };
  });
  return targets.length === 0 ? [] : signArtifacts(targets, options);
}
