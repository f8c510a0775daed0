import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { anonymousCredentials, type CredentialProvider, type RegistryCredentials } from './auth.js';
import { isRepositoryName, isTag } from './reference.js';
import type { ArtifactStore, BlobOutcome, FetchedManifest } from './store.js';
import { formatSize, isDigest, sha256Digest, shortDigest, type OciBlob, type Descriptor } from '../../flux/artifact/digest.js';
import { MANIFEST_ACCEPT } from '../../flux/artifact/media-types.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';
import { printable } from '../../flux/core/terminal-text.js';

/** How failed requests are retried: 5xx and 429 answers, dropped and refused connections, time-outs. */
export interface RetryPolicy {
  /** Retries after the first attempt. @default 4 */
  readonly retries?: number;
  /** The delay before the first retry; each next one doubles, with jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** The longest delay between two attempts. @default 8000 */
  readonly maxDelayMs?: number;
}

/** Options of a {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** The registry host as references name it, with its port if any: `ghcr.io`, `127.0.0.1:5000`. */
  readonly host: string;
  /**
   * Where to reach the registry, e.g. `http://127.0.0.1:5001` for a host reached through an alias.
   * @default - `https://<host>`; `http://<host>` when `plainHttp` is set or the host is a loopback address
   */
  readonly endpoint?: string;
  /** Reach the registry over plain HTTP. @default - only loopback hosts (localhost, 127.0.0.0/8, [::1]) */
  readonly plainHttp?: boolean;
  /** Where credentials come from. @default anonymousCredentials */
  readonly credentials?: CredentialProvider;
  /** Extra certificate authorities to trust for HTTPS (PEM). @default - the system's */
  readonly ca?: string | Buffer;
  /** Retries. @default - 4 retries from 500 ms, doubling up to 8 s */
  readonly retry?: RetryPolicy;
  /**
   * Blobs up to this size are uploaded in one request; larger ones in chunks of this size (PATCH requests), which
   * registries with request size limits need.
   * @default 8 MiB
   */
  readonly chunkSize?: number;
  /** The time a request may stay silent before it is dropped (and retried). @default 60000 */
  readonly timeoutMs?: number;
  /** Mount blobs from another repository of the registry that holds them, instead of uploading them. @default true */
  readonly mount?: boolean;
  /** How many tags to ask for per page of the tag list. @default 1000 */
  readonly tagsPageSize?: number;
  /** The time a whole request may take, answer included, however steadily the registry sends. @default 300000 (5 minutes) */
  readonly deadlineMs?: number;
  /** The largest manifest (or page of the tag list) read; a larger answer is cut off and refused. @default 4 MiB */
  readonly maxManifestSize?: number;
  /** The largest blob read; a blob is also cut off as soon as it passes the size its descriptor gives. @default 1 GiB */
  readonly maxBlobSize?: number;
  /** The most tags read from a repository's tag list, over all its pages; a longer list is refused. @default 500000 */
  readonly maxTags?: number;
  /**
   * Hosts, besides the registry's own, whose token service may receive the credentials when the registry names it as
   * its bearer-token realm, e.g. `auth.docker.io`.
   * @default - the registry's host name and the hosts under its parent domain (`auth.docker.io` for
   * `registry-1.docker.io`); for an IP address, that address alone
   */
  readonly tokenRealmHosts?: readonly string[];
}

/** The limits a {@link RegistryClient} applies by default. */
export const REGISTRY_LIMITS = {
  /** 4 MiB: the largest manifest read. */
  maxManifestSize: 4 * 1024 * 1024,
  /** 1 GiB: the largest blob read. */
  maxBlobSize: 1024 * 1024 * 1024,
  /** 5 minutes: the longest time one request may take. */
  deadlineMs: 300_000,
  /** 500,000: the most tags read from one repository's tag list. */
  maxTags: 500_000,
  /** 1,000: the most pages of a tag list followed. */
  maxTagPages: 1000,
} as const;

/** What a registry request failed at: the operation, the registry's answer or the network error, and whether a retry could help. */
export class RegistryError extends FluxFleetError {
  /** The HTTP status of the last answer. @default - no answer (a network error) */
  public readonly status?: number;
  /** The network error code, e.g. `ECONNREFUSED`. @default - no network error (the registry answered) */
  public readonly networkCode?: string;
  /** Whether the failure is one that retries are for (5xx, 429, network). */
  public readonly retryable: boolean;

  public constructor(message: string, details: { status?: number; networkCode?: string; retryable?: boolean } = {}) {
    super(ERROR_CODES.registry, message);
    this.status = details.status;
    this.networkCode = details.networkCode;
    this.retryable = details.retryable ?? false;
  }
}

interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Whether the answer came from another origin than the registry's (after a redirect, or an absolute URL). */
  readonly foreign: boolean;
  /** Where the answer came from, after redirects. */
  readonly url: URL;
  /** What went to the request's sink: its size and sha256 digest. @default - nothing (no sink, or not a 200 answer) */
  readonly streamed?: { readonly bytes: number; readonly digest: string };
}

interface Request {
  readonly method: string;
  /** A path under the endpoint (`/v2/...`) or an absolute URL (upload locations, redirects). */
  readonly url: string;
  /** The token scopes the request needs, e.g. `repository:fleet/a:pull,push`. */
  readonly scopes: readonly string[];
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** The most bytes of answer read; more is refused. @default - the manifest limit */
  readonly maxBytes?: number;
  /** What the limit is called in the error, e.g. `the manifest limit`. */
  readonly limitName?: string;
  /**
   * Where a successful (200) answer's body goes as it arrives, instead of being held in memory: a new stream per
   * attempt (a retried download starts again). The answer's `body` is then empty and `streamed` says what was sent.
   */
  readonly sink?: () => NodeJS.WritableStream;
}

type Challenge = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string; scope?: string };

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
const DEFAULT_CHUNK = 8 * 1024 * 1024;

/**
 * The blob uploads under way in this process, by registry endpoint, repository and digest. Two uploads of one blob
 * into one repository at once (two artifacts sharing a config or layer, two region names reaching one registry) run
 * one after the other: the distribution registry on its filesystem storage rewrites the repository's link to the blob
 * on every upload, truncating it first, so a manifest checked at that moment reads an empty link and is refused
 * (`DIGEST_INVALID`, `MANIFEST_BLOB_UNKNOWN`). The second upload then finds the blob, with its own credentials.
 */
const uploadsUnderWay = new Map<string, Promise<BlobOutcome>>();

/**
 * A client of one OCI registry, on the OCI distribution spec: blob existence checks, monolithic and chunked uploads,
 * cross-repository mounts, manifests by tag or digest, tag listing. It authenticates as registries ask (the
 * `WWW-Authenticate` challenge): anonymously, with HTTP Basic, or with bearer tokens from the registry's token service,
 * using credentials from a {@link CredentialProvider} such as a Docker config.json. Requests are retried with backoff
 * on 5xx answers and dropped connections. Call {@link close} when done, to release its connections.
 */
export class RegistryClient {
  /** The registry host. */
  public readonly host: string;
  /** Where it is reached. */
  public readonly endpoint: URL;

  private readonly options: RegistryClientOptions;
  private readonly agent: http.Agent;
  private readonly retries: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private challenge?: Challenge;
  private credentials?: Promise<RegistryCredentials | undefined>;
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  /** Repositories of this registry known to hold each blob: mount candidates. */
  private readonly knownBlobs = new Map<string, Set<string>>();

  public constructor(options: RegistryClientOptions) {
    this.options = options;
    this.host = options.host;
    const plain = options.plainHttp ?? isLoopback(options.host);
    this.endpoint = new URL(options.endpoint ?? `${plain ? 'http' : 'https'}://${options.host}`);
    this.agent = this.endpoint.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: 8, ca: options.ca })
      : new http.Agent({ keepAlive: true, maxSockets: 8 });
    this.retries = options.retry?.retries ?? 4;
    this.baseDelay = options.retry?.baseDelayMs ?? 500;
    this.maxDelay = options.retry?.maxDelayMs ?? 8000;
  }

  /** A repository of the registry, as an {@link ArtifactStore}. */
  public repository(name: string): RegistryRepository {
    if (!isRepositoryName(name)) throw new RegistryError(`${JSON.stringify(name)} is not a repository name: use lowercase letters, digits, and '.', '_', '-' or '/' between them`);
    return new RegistryRepository(this, name);
  }

  /** Checks that the registry answers the OCI distribution API, authenticating if it asks to. */
  public async ping(): Promise<void> {
    const res = await this.send('reaching the registry', { method: 'GET', url: '/v2/', scopes: [] }, true);
    if (res.status !== 200) throw this.failure('reaching the registry', res);
  }

  /** Releases the client's connections. */
  public close(): void {
    this.agent.destroy();
  }

  /** @internal */
  public async send(operation: string, req: Request, retry: boolean): Promise<Response> {
    let attempt = 0;
    let authRetried = false;
    for (;;) {
      attempt++;
      let res: Response;
      try {
        const url = this.resolve(req.url);
        // Credentials go to the registry's own origin only: never along an upload location or a next-page link elsewhere.
        const authorization = url.origin === this.endpoint.origin ? await this.authorization(req.scopes, operation) : undefined;
        const headers = { ...req.headers, ...(authorization ? { authorization } : {}) };
        res = await this.raw(req.method, url, headers, req.body, { maxBytes: req.maxBytes ?? this.maxManifestSize, limitName: req.limitName ?? 'the manifest limit', operation, sink: req.sink });
      } catch (e) {
        // Token service failures were retried where they happened.
        if (e instanceof RegistryError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (retry && attempt <= this.retries && RETRYABLE_CODES.has(code ?? '')) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new RegistryError(`${operation} failed: cannot reach ${this.endpoint.host} (${code ?? (e as Error).message})${attempt > 1 ? ` after ${attempt} attempts` : ''}`,
          { networkCode: code, retryable: RETRYABLE_CODES.has(code ?? '') });
      }
      // A challenge from another origin (a redirect's target) is not the registry's: it gets nothing.
      if (res.status === 401 && !authRetried && !res.foreign) {
        authRetried = true;
        attempt--;
        if (await this.learnChallenge(res)) continue;
        return res;
      }
      if (RETRYABLE_STATUS.has(res.status) && retry && attempt <= this.retries) {
        await sleep(Math.max(this.backoff(attempt), retryAfter(res)));
        continue;
      }
      return Object.assign(res, { attempts: attempt });
    }
  }

  /** The error for an unexpected answer. @internal */
  public failure(operation: string, res: Response): RegistryError {
    const attempts = (res as { attempts?: number }).attempts ?? 1;
    const after = attempts > 1 ? ` after ${attempts} attempts` : '';
    // The registry's words, on one line: neither an escape sequence nor a line of their own reaches the terminal.
    const detail = printable(registryErrors(res.body));
    const status = `${res.status} ${http.STATUS_CODES[res.status] ?? ''}`.trim();
    let hint = '';
    if (res.status === 401) hint = `; check the credentials for ${this.host} (docker login ${this.host}, or the Docker config given)`;
    if (res.status === 403) hint = `; the credentials for ${this.host} lack the permission`;
    return new RegistryError(`${operation} failed: the registry answered ${status}${detail ? ` (${detail})` : ''}${after}${hint}`,
      { status: res.status, retryable: RETRYABLE_STATUS.has(res.status) });
  }

  /** Runs a multi-request operation again from its start when it fails in a way retries are for. @internal */
  public async withRetries<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (e) {
        if (!(e instanceof RegistryError) || !e.retryable || attempt > this.retries) {
          if (e instanceof RegistryError && e.retryable && attempt > 1) throw new RegistryError(`${e.message} (operation tried ${attempt} times)`, e);
          throw e;
        }
        await sleep(this.backoff(attempt));
      }
    }
  }

  /** @internal */
  public get tagsPageSize(): number {
    return this.options.tagsPageSize ?? 1000;
  }

  /** @internal */
  public get maxManifestSize(): number {
    return this.options.maxManifestSize ?? REGISTRY_LIMITS.maxManifestSize;
  }

  /** @internal */
  public get maxBlobSize(): number {
    return this.options.maxBlobSize ?? REGISTRY_LIMITS.maxBlobSize;
  }

  /** @internal */
  public get maxTags(): number {
    return this.options.maxTags ?? REGISTRY_LIMITS.maxTags;
  }

  /** @internal */
  public get chunkSize(): number {
    return this.options.chunkSize ?? DEFAULT_CHUNK;
  }

  /** Records that a repository holds a blob. @internal */
  public noteBlob(digest: string, repository: string): void {
    const set = this.knownBlobs.get(digest) ?? new Set<string>();
    set.add(repository);
    this.knownBlobs.set(digest, set);
  }

  /** Another repository known to hold a blob, to mount it from. @internal */
  public mountSource(digest: string, repository: string): string | undefined {
    if (this.options.mount === false) return undefined;
    return [...(this.knownBlobs.get(digest) ?? [])].find((r) => r !== repository);
  }

  /** A URL under the endpoint, or an absolute one. @internal */
  public resolve(url: string): URL {
    return new URL(url, this.endpoint);
  }

  private backoff(attempt: number): number {
    const delay = Math.min(this.maxDelay, this.baseDelay * 2 ** (attempt - 1));
    return delay / 2 + Math.random() * (delay / 2);
  }

  private creds(): Promise<RegistryCredentials | undefined> {
    // A host reached through an alias has its credentials under the alias or under its own name.
    const provider = this.options.credentials ?? anonymousCredentials;
    return (this.credentials ??= (async () => (this.endpoint.host !== this.host ? await provider.credentialsFor(this.endpoint.host) : undefined)
      ?? provider.credentialsFor(this.host))());
  }

  /** The Authorization header for a request, from what the registry asked for before. */
  private async authorization(scopes: readonly string[], operation: string): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    const creds = await this.creds();
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    if (c.scheme === 'basic') {
      return creds?.username !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` : undefined;
    }
    // The scopes each operation needs are known; a challenge's own scope is for the request that got it alone.
    const wanted = [...new Set(scopes)].sort();
    const key = wanted.join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(c, wanted, creds, operation);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /** Reads a 401's challenge; returns whether a retry could now succeed. */
  private async learnChallenge(res: Response): Promise<boolean> {
    const header = res.headers['www-authenticate'];
    const parsed = parseChallenge(Array.isArray(header) ? header.join(', ') : header ?? '');
    if (!parsed) return false;
    const before = this.challenge;
    this.challenge = parsed;
    this.tokens.clear();
    if (parsed.scheme === 'basic') return (await this.creds())?.username !== undefined && before?.scheme !== 'basic';
    return true;
  }

  private async fetchToken(c: Extract<Challenge, { scheme: 'bearer' }>, scopes: string[], creds: RegistryCredentials | undefined, operation: string): Promise<{ token: string; expires: number }> {
    let realm: URL;
    try {
      realm = new URL(c.realm);
    } catch {
      throw new RegistryError(`${operation} failed: the registry's token realm ${JSON.stringify(printable(c.realm))} is not a URL`);
    }
    let res: Response;
    const what = `${operation}: getting a token from ${realm.origin}${realm.pathname}`;
    this.checkRealm(realm, what);
    for (let attempt = 1; ; attempt++) {
      try {
        if (creds?.identityToken) {
          const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'flux-fleet' });
          if (c.service) form.set('service', c.service);
          if (scopes.length > 0) form.set('scope', scopes.join(' '));
          res = await this.raw('POST', realm, { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()), { operation: what, ...TOKEN_LIMIT });
        } else {
          const url = new URL(realm);
          if (c.service) url.searchParams.set('service', c.service);
          for (const s of scopes) url.searchParams.append('scope', s);
          const headers: Record<string, string> = {};
          if (creds?.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
          res = await this.raw('GET', url, headers, undefined, { operation: what, ...TOKEN_LIMIT });
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (RETRYABLE_CODES.has(code) && attempt <= this.retries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new RegistryError(`${what} failed: cannot reach it (${code || (e as Error).message})`, { networkCode: code, retryable: RETRYABLE_CODES.has(code) });
      }
      if (RETRYABLE_STATUS.has(res.status) && attempt <= this.retries) {
        await sleep(this.backoff(attempt));
        continue;
      }
      break;
    }
    if (res.url.origin !== realm.origin) throw new RegistryError(`${what} failed: it redirected to ${res.url.origin}, which gets no credentials`);
    if (res.status !== 200) {
      const hint = res.status === 401 || res.status === 403
        ? creds ? `; the token service refused the credentials for ${this.host}` : `; ${this.host} needs credentials (docker login ${this.host}, or a Docker config)`
        : '';
      throw new RegistryError(`${what} failed: it answered ${res.status} ${http.STATUS_CODES[res.status] ?? ''}${hint}`.replace(/ +;/, ';'), { status: res.status });
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new RegistryError(`${what} failed: the answer is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${what} failed: the answer holds no token`);
    const lifetime = Math.max(10, (body.expires_in ?? 60) - 5);
    return { token, expires: Date.now() + lifetime * 1000 };
  }

  /**
   * Refuses a token realm that would receive the credentials in a weaker or unexpected place: plain HTTP when the
   * registry is reached over HTTPS, or a host that is neither the registry's nor one allowed.
   */
  private checkRealm(realm: URL, what: string): void {
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new RegistryError(`${what} refused: the realm is not an http(s) URL`);
    if (this.endpoint.protocol === 'https:' && realm.protocol !== 'https:') {
      throw new RegistryError(`${what} refused: ${this.host} is reached over HTTPS but names a plain-HTTP token realm, which would send the credentials in clear text; fix the registry's token realm`);
    }
    if (!realmHostAllowed(realm.hostname, this.endpoint.hostname, this.options.tokenRealmHosts ?? [])) {
      throw new RegistryError(`${what} refused: the token realm's host ${realm.hostname} is not ${this.endpoint.hostname}'s; ` +
        'if it is the registry\'s token service, allow it with the client\'s tokenRealmHosts option');
    }
  }

  /**
   * One HTTP request, its answer read up to `maxBytes` and within the deadline. Redirects of GET and HEAD are
   * followed; the credentials never leave the origin they were sent to.
   */
  private raw(method: string, url: URL, headers: Record<string, string>, body: Buffer | undefined, limits: RawLimits, redirects = 0,
    deadline = Date.now() + (this.options.deadlineMs ?? REGISTRY_LIMITS.deadlineMs)): Promise<Response> {
    const mod = url.protocol === 'https:' ? https : http;
    const agent = url.origin === this.endpoint.origin ? this.agent : undefined;
    const maxBytes = limits.maxBytes ?? this.maxManifestSize;
    return new Promise<Response>((resolvePromise, reject) => {
      let settled = false;
      let sink: NodeJS.WritableStream | undefined;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        (sink as { destroy?: () => void } | undefined)?.destroy?.();
        reject(e);
      };
      const timer = setTimeout(() => fail(new RegistryError(`${limits.operation ?? `${method} ${url.origin}`} failed: no complete answer within ${Math.round((this.options.deadlineMs ?? REGISTRY_LIMITS.deadlineMs) / 1000)} s (the deadline of a request); try again, or raise deadlineMs`,
        { networkCode: 'ETIMEDOUT' })), Math.max(0, deadline - Date.now()));
      const req = mod.request(url, {
        method,
        agent,
        ca: agent ? undefined : this.options.ca,
        headers: { 'user-agent': 'flux-fleet', ...headers, ...(body ? { 'content-length': String(body.length) } : method === 'PUT' || method === 'POST' || method === 'PATCH' ? { 'content-length': '0' } : {}) },
        timeout: this.options.timeoutMs ?? 60_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes && method !== 'HEAD') {
          fail(new RegistryError(`${limits.operation ?? `${method} ${url.origin}`} failed: the answer is ${formatSize(declared)}, more than ${limits.limitName ?? 'the limit'} (${formatSize(maxBytes)})`));
          return;
        }
        // A 200 answer to a streamed request goes to its sink as it arrives (paused while the sink is full), hashed on
        // the way; any other answer (an error body, a redirect) is read into memory as usual.
        const redirect = [301, 302, 303, 307, 308].includes(res.statusCode ?? 0);
        sink = limits.sink && res.statusCode === 200 && !redirect ? limits.sink() : undefined;
        const hash = sink ? createHash('sha256') : undefined;
        sink?.on('error', (e) => fail(e));
        res.on('data', (c: Buffer) => {
          received += c.length;
          if (received > maxBytes) {
            fail(new RegistryError(`${limits.operation ?? `${method} ${url.origin}`} failed: the answer is larger than ${limits.limitName ?? 'the limit'} (${formatSize(maxBytes)}); it was cut off`));
            return;
          }
          if (!sink) {
            chunks.push(c);
            return;
          }
          hash!.update(c);
          if (!sink.write(c)) {
            res.pause();
            sink.once('drain', () => res.resume());
          }
        });
        res.on('error', (e) => fail(e));
        res.on('close', () => {
          // Shaped as Node's own network errors, which the retry below turns into a RegistryError.
          // eslint-disable-next-line no-restricted-syntax
          if (!res.complete) fail(Object.assign(new Error('the connection was dropped during the answer'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          if (settled) return;
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          if ([301, 302, 303, 307, 308].includes(status) && location && (method === 'GET' || method === 'HEAD') && redirects < 5) {
            settled = true;
            clearTimeout(timer);
            const next = new URL(location, url);
            const h = { ...headers };
            if (next.origin !== url.origin) delete h.authorization;
            this.raw(method, next, h, undefined, limits, redirects + 1, deadline).then(resolvePromise, reject);
            return;
          }
          const answer = { status, headers: res.headers, body: Buffer.concat(chunks), foreign: url.origin !== this.endpoint.origin, url };
          if (!sink) {
            settled = true;
            clearTimeout(timer);
            resolvePromise(answer);
            return;
          }
          // Done once everything is on its way out of the sink.
          const out = sink;
          out.end(() => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolvePromise({ ...answer, streamed: { bytes: received, digest: `sha256:${hash!.digest('hex')}` } });
          });
        });
      });
      // eslint-disable-next-line no-restricted-syntax
      req.on('timeout', () => fail(Object.assign(new Error('the request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => fail(e));
      req.end(body);
    });
  }
}

interface RawLimits {
  /** The most bytes of answer read. @default - the manifest limit */
  readonly maxBytes?: number;
  readonly limitName?: string;
  /** The operation, for errors. */
  readonly operation?: string;
  /** Where a 200 answer's body goes, see {@link Request.sink}. */
  readonly sink?: () => NodeJS.WritableStream;
}

/** A token service's answer is small. */
const TOKEN_LIMIT = { maxBytes: 1024 * 1024, limitName: 'the token answer limit (1 MiB)' } as const;

/**
 * Whether a token realm's host may receive the registry's credentials: the registry's own host name, a host under the
 * same parent domain (not for IP addresses), or one listed.
 */
function realmHostAllowed(realmHost: string, registryHost: string, allowed: readonly string[]): boolean {
  const realm = realmHost.toLowerCase();
  const registry = registryHost.toLowerCase();
  if (realm === registry || allowed.some((h) => h.toLowerCase() === realm)) return true;
  const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':') || h.startsWith('[');
  if (isIp(realm) || isIp(registry)) return false;
  const parent = (h: string) => h.split('.').slice(-2).join('.');
  return registry.split('.').length >= 2 && parent(realm) === parent(registry);
}

/** A repository of a registry. Create it with {@link RegistryClient.repository}. */
export class RegistryRepository implements ArtifactStore {
  public readonly location: string;

  /** @internal */
  public constructor(private readonly client: RegistryClient, public readonly name: string) {
    this.location = `oci://${client.host}/${name}`;
  }

  public async blobExists(descriptor: Descriptor): Promise<boolean> {
    return this.exists(descriptor, [this.pullScope]);
  }

  public async pushBlob(blob: OciBlob): Promise<BlobOutcome> {
    const d = blob.descriptor;
    if (sha256Digest(blob.content) !== d.digest) throw new RegistryError(`blob content does not match its digest ${d.digest}`);
    return this.pushFrom({ descriptor: d, read: async (start, length) => blob.content.subarray(start, start + length) });
  }

  /**
   * Stores a blob read from a file (one {@link downloadBlob} wrote and checked) unless the repository holds it: the
   * file is sent a chunk at a time (`chunkSize`), so memory does not grow with the blob. The registry checks the
   * digest when the upload closes.
   */
  public async pushBlobFile(descriptor: Descriptor, file: string): Promise<BlobOutcome> {
    checkDescriptor(descriptor, this.location);
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      if (size !== descriptor.size) throw new RegistryError(`${file} holds ${size} bytes, not the ${descriptor.size} of ${descriptor.digest}`);
      // One buffer for every chunk: an upload sends a chunk before it reads the next.
      let buffer = Buffer.alloc(0);
      return await this.pushFrom({
        descriptor,
        read: async (start, length) => {
          if (buffer.length < length) buffer = Buffer.alloc(length);
          const { bytesRead } = await handle.read(buffer, 0, length, start);
          return buffer.subarray(0, bytesRead);
        },
      });
    } finally {
      await handle.close();
    }
  }

  /**
   * Downloads a blob into a file, without holding it in memory: the answer is written as it arrives, cut off past the
   * size its descriptor gives (and refused past `maxBlobSize`), and its size and digest checked once it is whole. A
   * download that fails leaves no file.
   */
  public async downloadBlob(descriptor: Descriptor, file: string): Promise<void> {
    try {
      await this.getBlob(descriptor, () => createWriteStream(file));
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
  }

  /** Stores a blob unless the repository holds it: mounted from another repository known to hold it, else uploaded. */
  private async pushFrom(source: BlobSource): Promise<BlobOutcome> {
    const key = `${this.client.endpoint.origin}/${this.name}@${source.descriptor.digest}`;
    for (let prior = uploadsUnderWay.get(key); prior !== undefined; prior = uploadsUnderWay.get(key)) {
      await prior.catch(() => undefined);
    }
    const upload = this.pushAlone(source);
    uploadsUnderWay.set(key, upload);
    try {
      return await upload;
    } finally {
      if (uploadsUnderWay.get(key) === upload) uploadsUnderWay.delete(key);
    }
  }

  private async pushAlone(source: BlobSource): Promise<BlobOutcome> {
    const d = source.descriptor;
    if (await this.exists(d, [this.pushScope])) return 'existing';
    const from = this.client.mountSource(d.digest, this.name);
    let location: string | undefined;
    if (from !== undefined) {
      const op = `mounting ${this.describe(d)} from ${from}`;
      const res = await this.client.send(op, {
        method: 'POST',
        url: `/v2/${this.name}/blobs/uploads/?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`,
        scopes: [this.pushScope, `repository:${from}:pull`],
      }, true);
      if (res.status === 201) {
        this.client.noteBlob(d.digest, this.name);
        return 'mounted';
      }
      // 202: the registry did not mount, and opened an upload instead.
      if (res.status === 202 && typeof res.headers.location === 'string') location = res.headers.location;
    }
    await this.client.withRetries(() => this.upload(source, location).finally(() => { location = undefined; }));
    this.client.noteBlob(d.digest, this.name);
    return 'uploaded';
  }

  public async fetchBlob(descriptor: Descriptor): Promise<Buffer> {
    return (await this.getBlob(descriptor)).body;
  }

  /**
   * GETs a blob, held in memory or, with a sink, streamed to it; within `maxBlobSize` and the size its descriptor gives,
   * and checked against that size and its digest.
   */
  private async getBlob(descriptor: Descriptor, sink?: () => NodeJS.WritableStream): Promise<Response> {
    checkDescriptor(descriptor, this.location);
    const op = `downloading ${this.describe(descriptor)}`;
    const max = this.client.maxBlobSize;
    if (descriptor.size > max) throw new RegistryError(`${op} refused: its descriptor gives ${formatSize(descriptor.size)}, more than the blob limit (${formatSize(max)}); raise maxBlobSize if it is expected`);
    const res = await this.client.send(op, {
      method: 'GET',
      url: `/v2/${this.name}/blobs/${descriptor.digest}`,
      scopes: [this.pullScope],
      maxBytes: descriptor.size,
      limitName: 'the size its descriptor gives',
      sink,
    }, true);
    if (res.status !== 200) throw this.client.failure(op, res);
    const got = sink ? res.streamed ?? { bytes: 0, digest: '' } : { bytes: res.body.length, digest: sha256Digest(res.body) };
    if (got.bytes !== descriptor.size) throw new RegistryError(`${op} failed: the registry sent ${formatSize(got.bytes)}, not the ${descriptor.size} bytes its descriptor gives`);
    if (got.digest !== descriptor.digest) throw new RegistryError(`${op} failed: the content has another digest`);
    return res;
  }

  public async pushManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const op = `putting the manifest of ${this.location}:${tag}`;
    const res = await this.client.send(op, {
      method: 'PUT',
      url: `/v2/${this.name}/manifests/${encodeURIComponent(tag)}`,
      scopes: [this.pushScope],
      headers: { 'content-type': mediaType },
      body: bytes,
    }, true);
    if (res.status !== 201 && res.status !== 200) throw this.client.failure(op, res);
    const digest = sha256Digest(bytes);
    const stored = headerOf(res, 'docker-content-digest');
    if (stored !== undefined && stored !== digest) throw new RegistryError(`${op}: the registry stored it as ${stored}, not ${digest}`);
    return digest;
  }

  public async fetchManifest(reference: string): Promise<FetchedManifest | undefined> {
    if (!isDigest(reference) && !isTag(reference)) throw new RegistryError(`${JSON.stringify(printable(reference))} is neither a tag nor a sha256 digest; use e.g. "latest" or "sha256:<64 hex digits>"`);
    const op = `reading the manifest of ${this.location}${isDigest(reference) ? '@' : ':'}${reference}`;
    const res = await this.client.send(op, {
      method: 'GET',
      url: `/v2/${this.name}/manifests/${encodeURIComponent(reference)}`,
      scopes: [this.pullScope],
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
    }, true);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.client.failure(op, res);
    const digest = sha256Digest(res.body);
    if (isDigest(reference) && digest !== reference) throw new RegistryError(`${op} failed: the content has another digest (${digest})`);
    const type = headerOf(res, 'content-type')?.split(';')[0].trim();
    let own: unknown;
    try {
      own = (JSON.parse(res.body.toString('utf8')) as { mediaType?: unknown } | null)?.mediaType;
    } catch {
      throw new RegistryError(`${op} failed: the manifest is not JSON`);
    }
    return { bytes: res.body, digest, mediaType: typeof own === 'string' ? own : type ?? 'application/vnd.oci.image.manifest.v1+json' };
  }

  public async tags(): Promise<string[]> {
    const op = `listing the tags of ${this.location}`;
    const max = this.client.maxTags;
    const tags = new Set<string>();
    let url: string | undefined = `/v2/${this.name}/tags/list?n=${this.client.tagsPageSize}`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= REGISTRY_LIMITS.maxTagPages) throw new RegistryError(`${op} failed: the tag list goes on past ${REGISTRY_LIMITS.maxTagPages} pages`);
      const res = await this.client.send(op, { method: 'GET', url, scopes: [this.pullScope] }, true);
      if (res.status === 404) return [];
      if (res.status !== 200) throw this.client.failure(op, res);
      let body: { tags?: unknown };
      try {
        body = JSON.parse(res.body.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new RegistryError(`${op} failed: the tag list is not JSON`);
      }
      // Only well-formed tags are kept: anything else could not be pushed or pulled, and may hold escape sequences.
      // One at a time: a page of any length (within the manifest limit) is read without spreading it into a call.
      if (Array.isArray(body.tags)) {
        for (const t of body.tags as unknown[]) {
          if (typeof t !== 'string' || !isTag(t)) continue;
          tags.add(t);
          if (tags.size > max) throw new RegistryError(`${op} failed: it lists more than ${max} tags, the most read (maxTags); raise maxTags if that is expected`);
        }
      }
      url = /<([^>]+)>;\s*rel="?next"?/.exec(headerOf(res, 'link') ?? '')?.[1];
    }
    return [...tags].sort();
  }

  /**
   * Stores a manifest under its digest alone (no tag), as a copy of content or of a signature needs; returns the
   * digest. Its blobs (and, for an index, its manifests) must be there already.
   */
  public async pushManifestByDigest(bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    const op = `putting the manifest ${shortDigest(digest)} of ${this.location}`;
    const res = await this.client.send(op, {
      method: 'PUT',
      url: `/v2/${this.name}/manifests/${digest}`,
      scopes: [this.pushScope],
      headers: { 'content-type': mediaType },
      body: bytes,
    }, true);
    if (res.status !== 201 && res.status !== 200) throw this.client.failure(op, res);
    const stored = headerOf(res, 'docker-content-digest');
    if (stored !== undefined && stored !== digest) throw new RegistryError(`${op}: the registry stored it as ${stored}, not ${digest}`);
    return digest;
  }

  /** Whether the repository holds a manifest (by tag or digest), asked with HEAD: nothing is downloaded. */
  public async manifestExists(reference: string): Promise<boolean> {
    const op = `checking for the manifest ${reference} of ${this.location}`;
    const res = await this.client.send(op, {
      method: 'HEAD',
      url: `/v2/${this.name}/manifests/${isDigest(reference) ? reference : encodeURIComponent(reference)}`,
      scopes: [this.pullScope],
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
    }, true);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.client.failure(op, res);
  }

  /**
   * The referrers of a digest from the Referrers API (`GET /v2/<name>/referrers/<digest>`): the image index it
   * answers, or undefined when the registry has no Referrers API (404, as distribution 2.8 answers). Registries that
   * have none list referrers in the fallback tag, {@link referrersFallbackTag}.
   */
  public async referrers(digest: string): Promise<FetchedManifest | undefined> {
    if (!isDigest(digest)) throw new RegistryError(`${JSON.stringify(digest)} is not a sha256 digest`);
    const op = `listing the referrers of ${this.location}@${digest}`;
    const res = await this.client.send(op, {
      method: 'GET',
      url: `/v2/${this.name}/referrers/${digest}`,
      scopes: [this.pullScope],
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    }, true);
    if (res.status === 404 || res.status === 405 || res.status === 400) return undefined;
    if (res.status !== 200) throw this.client.failure(op, res);
    const type = headerOf(res, 'content-type')?.split(';')[0].trim();
    if (type !== undefined && type !== 'application/vnd.oci.image.index.v1+json') return undefined;
    return { bytes: res.body, digest: sha256Digest(res.body), mediaType: 'application/vnd.oci.image.index.v1+json' };
  }

  private get pullScope(): string {
    return `repository:${this.name}:pull`;
  }

  private get pushScope(): string {
    return `repository:${this.name}:pull,push`;
  }

  private describe(d: Descriptor): string {
    return `blob ${shortDigest(d.digest)} (${formatSize(d.size)}) of ${this.location}`;
  }

  private async exists(d: Descriptor, scopes: string[]): Promise<boolean> {
    checkDescriptor(d, this.location);
    const op = `checking for ${this.describe(d)}`;
    const res = await this.client.send(op, { method: 'HEAD', url: `/v2/${this.name}/blobs/${d.digest}`, scopes }, true);
    if (res.status === 200) {
      this.client.noteBlob(d.digest, this.name);
      return true;
    }
    if (res.status === 404) return false;
    throw this.client.failure(op, res);
  }

  /** One upload: opens a session (unless given one), sends the blob in one request or in chunks, and closes it. */
  private async upload(source: BlobSource, opened?: string): Promise<void> {
    const d = source.descriptor;
    const op = `uploading ${this.describe(d)}`;
    let location = opened;
    if (location === undefined) {
      const res = await this.client.send(op, { method: 'POST', url: `/v2/${this.name}/blobs/uploads/`, scopes: [this.pushScope] }, false);
      if (res.status !== 202) throw this.client.failure(op, res);
      location = headerOf(res, 'location');
      if (location === undefined) throw new RegistryError(`${op} failed: the registry opened no upload (no Location header)`);
    }
    const chunk = this.client.chunkSize;
    let body: Buffer | undefined;
    if (d.size > chunk) {
      for (let start = 0; start < d.size; start += chunk) {
        const part = await source.read(start, Math.min(chunk, d.size - start));
        const res = await this.client.send(op, {
          method: 'PATCH',
          url: location,
          scopes: [this.pushScope],
          body: part,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + part.length - 1}` },
        }, false);
        if (res.status !== 202) throw this.client.failure(op, res);
        location = headerOf(res, 'location') ?? location;
      }
    } else {
      body = await source.read(0, d.size);
    }
    const url = this.client.resolve(location);
    url.searchParams.set('digest', d.digest);
    const res = await this.client.send(op, {
      method: 'PUT',
      url: url.toString(),
      scopes: [this.pushScope],
      body,
      headers: { 'content-type': 'application/octet-stream' },
    }, false);
    if (res.status !== 201) throw this.client.failure(op, res);
  }
}

/** A blob's bytes, in memory or in a file, read a chunk at a time by an upload. */
interface BlobSource {
  readonly descriptor: Descriptor;
  read(start: number, length: number): Promise<Buffer>;
}

/** Refuses a descriptor whose digest is not a sha256 digest (it goes into URLs and paths) or whose size is not a count of bytes. */
export function checkDescriptor(d: Descriptor, where: string): void {
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) {
    throw new RegistryError(`${where}: the descriptor digest ${JSON.stringify(printable(String(d.digest)))} is not a sha256 digest ("sha256:" and 64 lowercase hex digits); the manifest is malformed or hostile`);
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0) {
    throw new RegistryError(`${where}: the descriptor of ${d.digest} gives size ${JSON.stringify(d.size)}, which is not a count of bytes; the manifest is malformed`);
  }
}

function headerOf(res: Response, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Parses `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme === 'basic') return { scheme: 'basic' };
  if (scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[p[1].toLowerCase()] = (p[2] ?? p[3]).replace(/\\(.)/g, '$1');
  if (!params.realm) return undefined;
  return { scheme: 'bearer', realm: params.realm, service: params.service, scope: params.scope };
}

/** `CODE: message` of each error in an OCI error body. */
function registryErrors(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    return (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    const text = body.toString('utf8').trim();
    return text.length > 0 && text.length < 200 && !text.includes('<') ? text : '';
  }
}

function retryAfter(res: Response): number {
  const value = Number(headerOf(res, 'retry-after'));
  return Number.isFinite(value) && value > 0 ? Math.min(value, 30) * 1000 : 0;
}

/** Whether a host is a loopback address, which is reached over plain HTTP by default. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The tag that lists a digest's referrers in registries without the Referrers API: `sha256-<hex>`. */
export function referrersFallbackTag(digest: string): string {
  if (!isDigest(digest)) throw new RegistryError(`${JSON.stringify(digest)} is not a sha256 digest`);
  return `sha256-${digest.slice('sha256:'.length)}`;
}
