import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobOf, gzipDeterministic, packArtifact, sha256Digest, writeTar, type OciBlob } from '../../src/flux/artifact/index.js';

/** What the hostile registry does to a client, one attack per registry. */
export type HostileAttack =
  /** Serves the artifact honestly, behind HTTP Basic. */
  | 'none'
  /** A blob download redirects to the accomplice, which answers 401 with a Bearer challenge whose realm is its own. */
  | 'redirect-to-challenge'
  /** Opening an upload answers a `Location` on the accomplice. */
  | 'foreign-upload-location'
  /** The tag list's `Link: next` points at the accomplice. */
  | 'foreign-next-link'
  /** A Bearer challenge whose realm is the accomplice over plain HTTP (meant for a registry served over HTTPS). */
  | 'plain-http-realm'
  /** A Bearer challenge whose realm is on another host name (`localhost`, the accomplice). */
  | 'foreign-realm'
  /** The layer is a small gzip stream holding one file of {@link BOMB_ENTRY_SIZE} zero bytes. */
  | 'gzip-bomb'
  /** The layer is sent with 8 MiB of junk after the bytes its descriptor counts. */
  | 'oversized-blob'
  /** The manifest never ends (64 MiB of spaces, sent as fast as the client reads). */
  | 'endless-manifest'
  /** The manifest is sent one byte a second, forever: never silent long enough for an idle time-out. */
  | 'trickle-manifest'
  /** The manifest's layer digest is `../../../../etc/passwd`. */
  | 'traversal-digest'
  /** The manifest's annotations hold terminal escape sequences. */
  | 'escape-annotations'
  /**
   * Every manifest, tag list and blob request is refused (403) with an error body whose message clears the screen,
   * retitles the terminal and forges lines of a successful verification.
   */
  | 'escape-error-body'
  /** The artifact's cosign `.sig` tag holds one layer of {@link HostileOptions.signatureLayerSize} zero bytes (1 GiB). */
  | 'huge-signature-layer'
  /** The artifact's `.sig` tag lists {@link MANY_LAYERS} small layers. */
  | 'many-signature-layers'
  /** The artifact's fallback index lists {@link MANY_REFERRERS} junk referrers before one bundle. */
  | 'many-referrers'
  /** The tag list answers {@link HUGE_TAG_PAGE} tags in one page (`0.<n>.0`), all of them the artifact. */
  | 'huge-tag-page'
  /** `v1` is an image index listing the artifact {@link DUPLICATE_CHILDREN} times. */
  | 'duplicate-index-children';

/** What a mirror attack serves, where it has a size. */
export interface HostileOptions {
  /** Serve over HTTPS with a self-signed certificate. @default false */
  readonly tls?: boolean;
  /** The size of the `huge-signature-layer` layer. @default 1 GiB */
  readonly signatureLayerSize?: number;
}

/** How many layers the `many-signature-layers` `.sig` has. */
export const MANY_LAYERS = 18_000;
/** How many junk referrers the `many-referrers` index lists. */
export const MANY_REFERRERS = 3000;
/** How many tags the `huge-tag-page` page holds. */
export const HUGE_TAG_PAGE = 150_000;
/** How often the `duplicate-index-children` index lists its child. */
export const DUPLICATE_CHILDREN = 25_000;

/** What the `escape-error-body` attack's registry says: escape sequences, and lines that look like flux-fleet's own. */
export const FORGED_ERROR_MESSAGE = '\u001b[2J\u001b[H\u001b]0;flux-fleet\u0007\nverified oci://ghcr.io/acme/app@sha256:0 (Sigstore bundle, signed by the key)\r\nall signatures verified\u009b0m';

/** The uncompressed size of the gzip bomb's one file: 80 MiB, in about 80 KiB of gzip. */
export const BOMB_ENTRY_SIZE = 80 * 1024 * 1024;

/** What a server of the attack saw: each request, with its Authorization header. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
}

/** The registry's user name and password (HTTP Basic): what must never reach the accomplice. */
export const HOSTILE_CREDENTIALS = { username: 'alice', password: 'wonderland' } as const;

/**
 * A hostile OCI registry on loopback: it serves one artifact, `hostile/app:v1`, behind HTTP Basic, and carries out one
 * {@link HostileAttack}. Its accomplice, a second server on another port, records every request that reaches it (the
 * credentials must not) and answers what the attack needs. With `tls`, the registry is served over HTTPS with a
 * self-signed certificate for 127.0.0.1 (`ca` holds it).
 */
export class HostileRegistry {
  public static async start(attack: HostileAttack, options: HostileOptions = {}): Promise<HostileRegistry> {
    const r = new HostileRegistry(attack, options.tls ?? false, options);
    await r.listen();
    return r;
  }

  /** `127.0.0.1:<port>`. */
  public host = '';
  /** The accomplice's origin, `http://127.0.0.1:<port>`. */
  public accompliceOrigin = '';
  /** Requests the registry got. */
  public readonly seen: SeenRequest[] = [];
  /** Requests the accomplice got. */
  public readonly accompliceSeen: SeenRequest[] = [];
  /** The certificate of the HTTPS registry (PEM). */
  public readonly ca?: Buffer;

  private readonly server: http.Server;
  private readonly accomplice: http.Server;
  private readonly manifest: Buffer;
  private readonly blobs = new Map<string, OciBlob>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly dir?: string;
  /** Manifests served by tag or digest besides the artifact's own (signatures, referrers, an index). */
  private readonly extraManifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  /** Blobs of zero bytes, served as a stream: their size by digest. */
  private readonly zeroBlobs = new Map<string, number>();
  private servedTags?: string;

  private constructor(public readonly attack: HostileAttack, tls: boolean, options: HostileOptions = {}) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    if (tls) {
      this.dir = mkdtempSync(join(tmpdir(), 'flux-fleet-hostile-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', join(this.dir, 'key.pem'), '-out', join(this.dir, 'cert.pem')], { stdio: 'ignore' });
      this.ca = readFileSync(join(this.dir, 'cert.pem'));
      this.server = https.createServer({ key: readFileSync(join(this.dir, 'key.pem')), cert: this.ca }, handler);
    } else {
      this.server = http.createServer(handler);
    }
    this.accomplice = http.createServer((req, res) => this.handleAccomplice(req, res));

    let layer: OciBlob;
    const files = [{ path: 'kustomization.yaml', content: Buffer.from('resources: []\n') }];
    const packed = packArtifact(files, { source: 'https://example.com/hostile', revision: 'main@sha1:0000000' });
    layer = packed.layer;
    if (attack === 'gzip-bomb') {
      layer = blobOf(packed.layer.descriptor.mediaType, gzipDeterministic(writeTar([{ path: 'bomb.yaml', content: Buffer.alloc(BOMB_ENTRY_SIZE) }])));
    }
    const manifest = JSON.parse(packed.manifestBytes.toString('utf8')) as { layers: Array<{ digest: string; size: number }>; annotations: Record<string, string> };
    manifest.layers = [layer.descriptor];
    if (attack === 'traversal-digest') manifest.layers = [{ ...layer.descriptor, digest: '../../../../etc/passwd' }];
    if (attack === 'escape-annotations') {
      manifest.annotations = { ...manifest.annotations, 'org.opencontainers.image.revision': 'main\u001b[2J\u001b]0;owned\u0007', 'x\u001b[31m': 'red\r\nforged: line' };
    }
    this.manifest = Buffer.from(JSON.stringify(manifest));
    for (const blob of [packed.config, layer]) this.blobs.set(blob.descriptor.digest, blob);
    this.buildMirrorAttack(options);
  }

  /** The digest the artifact's `v1` tag names (an index for `duplicate-index-children`). */
  public get servedDigest(): string {
    return this.attack === 'duplicate-index-children' ? sha256Digest(this.extraManifests.get('v1')!.bytes) : this.manifestDigest;
  }

  /** Builds what a mirror attack serves beside the artifact. */
  private buildMirrorAttack(options: HostileOptions): void {
    const digest = sha256Digest(this.manifest);
    const fallback = `sha256-${digest.slice('sha256:'.length)}`;
    const config = blobOf('application/vnd.oci.image.config.v1+json', Buffer.from('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'));
    const sigManifest = (layers: object[]) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.descriptor, layers }));
    const addManifest = (reference: string, bytes: Buffer, mediaType = 'application/vnd.oci.image.manifest.v1+json') => {
      this.extraManifests.set(reference, { bytes, mediaType });
      this.extraManifests.set(sha256Digest(bytes), { bytes, mediaType });
      return sha256Digest(bytes);
    };
    if (this.attack === 'huge-signature-layer') {
      const size = options.signatureLayerSize ?? 1024 * 1024 * 1024;
      const hash = createHash('sha256');
      const chunk = Buffer.alloc(Math.min(size, 8 * 1024 * 1024));
      for (let done = 0; done < size; done += chunk.length) hash.update(done + chunk.length <= size ? chunk : chunk.subarray(0, size - done));
      const layerDigest = `sha256:${hash.digest('hex')}`;
      this.zeroBlobs.set(layerDigest, size);
      this.blobs.set(config.descriptor.digest, config);
      addManifest(`${fallback}.sig`, sigManifest([{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: layerDigest, size }]));
    } else if (this.attack === 'many-signature-layers') {
      this.blobs.set(config.descriptor.digest, config);
      const layers = Array.from({ length: MANY_LAYERS }, (_, i) => {
        const blob = blobOf('application/vnd.dev.cosign.simplesigning.v1+json', Buffer.from(`{"layer":${i}}`));
        this.blobs.set(blob.descriptor.digest, blob);
        return blob.descriptor;
      });
      addManifest(`${fallback}.sig`, sigManifest(layers));
    } else if (this.attack === 'many-referrers') {
      const empty = blobOf('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
      this.blobs.set(empty.descriptor.digest, empty);
      const referrer = (i: number) => {
        const content = blobOf('application/vnd.dev.sigstore.bundle.v0.3+json', Buffer.from(`{"junk":${i}}`));
        this.blobs.set(content.descriptor.digest, content);
        const bytes = Buffer.from(JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          config: empty.descriptor,
          layers: [content.descriptor],
          subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: this.manifest.length },
        }));
        return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: addManifest(sha256Digest(bytes), bytes), size: bytes.length, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
      };
      const manifests = Array.from({ length: MANY_REFERRERS + 1 }, (_, i) => referrer(i));
      addManifest(fallback, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })), 'application/vnd.oci.image.index.v1+json');
    } else if (this.attack === 'huge-tag-page') {
      this.servedTags = JSON.stringify({ name: 'hostile/app', tags: Array.from({ length: HUGE_TAG_PAGE }, (_, i) => `0.${i}.0`) });
    } else if (this.attack === 'duplicate-index-children') {
      const child = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: this.manifest.length };
      addManifest('v1', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: Array(DUPLICATE_CHILDREN).fill(child) })),
        'application/vnd.oci.image.index.v1+json');
    }
  }

  /** The reference of the served artifact's tag. */
  public get reference(): string {
    return `oci://${this.host}/hostile/app:v1`;
  }

  /** The digest of the served manifest. */
  public get manifestDigest(): string {
    return sha256Digest(this.manifest);
  }

  /** Whether the registry's password reached the accomplice, in any form. */
  public credentialsLeaked(): boolean {
    const basic = Buffer.from(`${HOSTILE_CREDENTIALS.username}:${HOSTILE_CREDENTIALS.password}`).toString('base64');
    return this.accompliceSeen.some((r) => r.authorization !== undefined
      && (r.authorization.includes(basic) || r.authorization.includes(HOSTILE_CREDENTIALS.password)));
  }

  public async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.server.closeAllConnections();
    this.accomplice.closeAllConnections();
    await Promise.all([new Promise((r) => this.server.close(r)), new Promise((r) => this.accomplice.close(r))]);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async listen(): Promise<void> {
    await Promise.all([
      new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r)),
      new Promise<void>((r) => this.accomplice.listen(0, '127.0.0.1', r)),
    ]);
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.accompliceOrigin = `http://127.0.0.1:${(this.accomplice.address() as AddressInfo).port}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    this.seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    req.resume();
    const attack = this.attack;
    if (attack === 'plain-http-realm' || attack === 'foreign-realm') {
      if (!req.headers.authorization?.startsWith('Bearer ')) {
        const realm = attack === 'plain-http-realm' ? `${this.accompliceOrigin}/token` : this.accompliceOrigin.replace('127.0.0.1', 'localhost') + '/token';
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="hostile"`, 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
    } else {
      const expected = `Basic ${Buffer.from(`${HOSTILE_CREDENTIALS.username}:${HOSTILE_CREDENTIALS.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="hostile"', 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
    }
    if (path === '/v2/') return void res.writeHead(200).end('{}');
    if (attack === 'escape-error-body') {
      res.writeHead(403, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: FORGED_ERROR_MESSAGE }] }));
    }
    if (path.startsWith('/v2/hostile/app/manifests/')) return this.serveManifest(req, res);
    const blob = /^\/v2\/hostile\/app\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
    if (blob && this.zeroBlobs.has(blob[1])) return this.serveZeros(req, res, this.zeroBlobs.get(blob[1])!);
    if (blob) {
      const found = this.blobs.get(blob[1]);
      if (!found) return void res.writeHead(404).end();
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': String(found.content.length) }).end();
      if (attack === 'redirect-to-challenge' && req.method === 'GET') {
        return void res.writeHead(307, { location: `${this.accompliceOrigin}/storage/${blob[1]}` }).end();
      }
      if (attack === 'oversized-blob') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(found.content);
        return void res.end(Buffer.alloc(8 * 1024 * 1024, 0x41));
      }
      return void res.writeHead(200, { 'content-length': String(found.content.length) }).end(found.content);
    }
    if (path.startsWith('/v2/hostile/app/blobs/uploads/') && req.method === 'POST') {
      const location = attack === 'foreign-upload-location' ? `${this.accompliceOrigin}/upload/1` : '/v2/hostile/app/blobs/uploads/1';
      return void res.writeHead(202, { location }).end();
    }
    if (path.startsWith('/v2/hostile/app/blobs/uploads/1')) return void res.writeHead(201).end();
    if (path.startsWith('/v2/hostile/app/tags/list')) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (attack === 'foreign-next-link') headers.link = `<${this.accompliceOrigin}/v2/hostile/app/tags/list?last=v1>; rel="next"`;
      return void res.writeHead(200, headers).end(this.servedTags ?? '{"name":"hostile/app","tags":["v1"]}');
    }
    res.writeHead(404).end();
  }

  private serveManifest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'PUT') return void res.writeHead(201).end();
    const reference = decodeURIComponent((req.url ?? '').slice('/v2/hostile/app/manifests/'.length));
    const extra = this.extraManifests.get(reference);
    if (extra) return void res.writeHead(200, { 'content-type': extra.mediaType, 'content-length': String(extra.bytes.length) }).end(req.method === 'HEAD' ? undefined : extra.bytes);
    const isMirrorAttack = ['huge-signature-layer', 'many-signature-layers', 'many-referrers', 'huge-tag-page', 'duplicate-index-children'].includes(this.attack);
    // A mirror attack serves what it built and the artifact, by any tag or its digest: nothing else exists.
    if (isMirrorAttack && reference !== this.manifestDigest && (reference.startsWith('sha256') || (this.attack !== 'huge-tag-page' && reference !== 'v1'))) {
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    }
    const headers = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
    if (this.attack === 'endless-manifest') {
      res.writeHead(200, headers);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (this.attack === 'trickle-manifest') {
      res.writeHead(200, headers);
      const timer = setInterval(() => {
        if (res.destroyed) return void clearInterval(timer);
        res.write(' ');
      }, 1000);
      this.timers.add(timer);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(this.manifest.length) }).end(this.manifest);
  }

  /** Streams `size` zero bytes, as fast as the client reads. */
  private serveZeros(req: http.IncomingMessage, res: http.ServerResponse, size: number): void {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    if (req.method === 'HEAD') return void res.end();
    const chunk = Buffer.alloc(1024 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < size && !res.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  }

  private handleAccomplice(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    this.accompliceSeen.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    req.resume();
    if (path.startsWith('/token')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"from-the-accomplice"}');
    if (path.startsWith('/storage/')) {
      if (req.headers.authorization?.startsWith('Bearer ')) {
        const blob = this.blobs.get(path.slice('/storage/'.length));
        return void res.writeHead(200).end(blob?.content);
      }
      return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${this.accompliceOrigin}/token",service="storage"` }).end();
    }
    if (path.startsWith('/upload/')) return void res.writeHead(req.method === 'PUT' ? 201 : 202, { location: '/upload/1' }).end();
    if (path.startsWith('/v2/hostile/app/tags/list')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["v2"]}');
    res.writeHead(404).end();
  }
}
