import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { listReferrers, parseBundle, preAuthEncoding, publicKeyPem, readBundleBytes, type RegistryRepository } from '../../src/delivery/index.js';

const run = promisify(execFile);

/** What a signature may be checked against: named public keys, and a Sigstore trusted root for certificates. */
export interface IndependentTrust {
  /** Public keys by a name used in the result (`key <name>`). */
  readonly keys?: Readonly<Record<string, KeyObject>>;
  /** The trusted root keyless bundles are checked under. */
  readonly trustedRoot?: object;
}

/**
 * Who signed `digest`, as verifiers flux-fleet did not write see it: every Sigstore bundle among its referrers whose
 * in-toto statement names the digest is checked with `openssl dgst` (a key bundle, against each key of `trust`: ECDSA
 * over the DSSE pre-authentication encoding) or with `@sigstore/verify` (a keyless bundle: certificate chain,
 * transparency log entry and signature, under `trust.trustedRoot`). Returns `key <name>` or `keyless <subject>
 * (<issuer>)` for each bundle that verifies, sorted.
 */
export async function independentSigners(repo: RegistryRepository, digest: string, trust: IndependentTrust): Promise<string[]> {
  const found: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-independent-'));
  try {
    const { referrers } = await listReferrers(repo, digest);
    for (const r of referrers.filter((x) => x.artifactType?.startsWith('application/vnd.dev.sigstore.bundle'))) {
      const bytes = await readBundleBytes(repo, r);
      if (!bytes) continue;
      const bundle = parseBundle(bytes, r.digest);
      const envelope = bundle.dsseEnvelope;
      if (!envelope) continue;
      const payload = Buffer.from(envelope.payload, 'base64');
      const statement = JSON.parse(payload.toString('utf8')) as { subject: Array<{ digest: { sha256?: string } }> };
      if (!statement.subject.some((s) => `sha256:${s.digest.sha256}` === digest)) continue;
      const m = bundle.verificationMaterial;
      if (m.certificate || m.x509CertificateChain) {
        if (!trust.trustedRoot) continue;
        try {
          const signer = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trust.trustedRoot)), { tlogThreshold: 1, ctlogThreshold: 1 })
            .verify(toSignedEntity(bundleFromJSON(bundle)));
          found.push(`keyless ${signer.identity?.subjectAlternativeName} (${signer.identity?.extensions?.issuer})`);
        } catch {
          // Not under this root: not counted.
        }
        continue;
      }
      writeFileSync(join(dir, 'pae.bin'), preAuthEncoding(envelope.payloadType, payload));
      writeFileSync(join(dir, 'sig.der'), Buffer.from(envelope.signatures[0].sig, 'base64'));
      for (const [name, key] of Object.entries(trust.keys ?? {})) {
        writeFileSync(join(dir, 'key.pub'), publicKeyPem(key));
        const ok = await run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'key.pub'), '-signature', join(dir, 'sig.der'), join(dir, 'pae.bin')])
          .then((out) => out.stdout.trim() === 'Verified OK', () => false);
        if (ok) found.push(`key ${name}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return found.sort();
}
