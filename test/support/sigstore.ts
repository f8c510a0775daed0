import { createHash, generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, type HandlerFn } from '@sigstore/mock';

/**
 * A private Sigstore instance on loopback for keyless tests: `@sigstore/mock`'s Fulcio (with its CT log) and Rekor
 * served over HTTP, and the trusted root (`trusted_root.json`) a verifier needs to trust them. Fulcio issues a
 * certificate for whatever identity an unsigned JWT claims (`sub`, `iss`), as a real CI's token would.
 */
export class FakeSigstore {
  public static async start(): Promise<FakeSigstore> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const validFrom = new Date(Date.now() - 60_000);
    const ctlog = await initializeCTLog(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
    const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), ctlog);
    const tlog = await initializeTLog(url, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
    // Rekor stores a dsse entry as hashes and signatures, not as proposed; the mock stores what it is given.
    const rekor: HandlerFn = async (body) => {
      const entry = await tlog.log(storedEntry(JSON.parse(body)));
      return { statusCode: 201, response: JSON.stringify(entry), contentType: 'application/json' };
    };
    const handlers = [fulcioHandler(ca), { path: '/api/v1/log/entries', fn: rekor }];
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const handler = handlers.find((h) => req.method === 'POST' && req.url === h.path);
        if (!handler) {
          res.writeHead(404).end();
          return;
        }
        void handler.fn(Buffer.concat(chunks).toString('utf8')).then(({ statusCode, response, contentType }) => {
          res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
          res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
        });
      });
    });
    const b64 = (b: ArrayBufferView | Buffer): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
    const trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: validFrom.toISOString() } },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      }],
      certificateAuthorities: [{
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start: validFrom.toISOString() },
      }],
      ctlogs: [{
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: validFrom.toISOString() } },
        logId: { keyId: b64(ctlog.logID) },
      }],
      timestampAuthorities: [],
    };
    return new FakeSigstore(server, url, trustedRoot);
  }

  private constructor(private readonly server: http.Server, public readonly url: string, public readonly trustedRoot: object) {}

  /** An OIDC token (an unsigned JWT) claiming an identity: what a CI job would get. */
  public token(subject: string, issuer: string): string {
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: subject, iss: issuer, aud: 'sigstore', iat: now, exp: now + 600 })}.`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface ProposedDsse {
  readonly kind: string;
  readonly apiVersion: string;
  readonly spec: { readonly proposedContent?: { readonly envelope: string; readonly verifiers: readonly string[] } };
}

/** The body Rekor stores for a proposed entry: for dsse v0.0.1, the envelope's and payload's hashes and its signatures. */
function storedEntry(proposed: ProposedDsse): object {
  const content = proposed.spec.proposedContent;
  if (proposed.kind !== 'dsse' || !content) return proposed;
  const envelope = JSON.parse(content.envelope) as { payload: string; signatures: Array<{ sig: string }> };
  const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(content.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((sig) => ({ signature: sig.sig, verifier: content.verifiers[0] })),
    },
  };
}
