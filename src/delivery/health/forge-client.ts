import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../../flux/core/errors.js';
import { printable } from '../../flux/core/terminal-text.js';

/** A forge (GitHub, GitLab) that answered with an error, kept refusing past the deadline, or could not be reached. */
export class ForgeError extends FluxFleetError {
  /** The HTTP status of the last answer, when there was one. */
  public readonly status?: number;

  public constructor(message: string, options?: FluxFleetErrorOptions & { readonly status?: number }) {
    super(ERROR_CODES.forge, message, options);
    if (options?.status !== undefined) Object.defineProperty(this, 'status', { value: options.status, enumerable: false });
  }
}

/** How a {@link ForgeClient} reaches a forge's API, retries and bounds what it reads. */
export interface ForgeClientOptions {
  /** The API's base URL, e.g. `https://api.github.com` or `https://gitlab.acme.io/api/v4`. */
  readonly baseUrl: string;
  /** Headers that authenticate, e.g. `{ authorization: 'Bearer ...' }`: sent to the API's origin only. @default - none */
  readonly authHeaders?: Readonly<Record<string, string>>;
  /** Retries of a request answered 5xx, rate-limited, or not answered at all. @default 6 */
  readonly retries?: number;
  /** The time all requests of one read may take, waits included; past it, the read fails. @default 120000 (2 minutes) */
  readonly deadlineMs?: number;
  /** The first backoff after a 5xx or a network failure, doubled on each retry (with jitter), at most 30 s. @default 500 */
  readonly backoffMs?: number;
  /** The longest a rate limit is waited out; a longer one fails the read at once, saying until when. @default 60000 */
  readonly maxRateLimitWaitMs?: number;
  /** The time one request may take. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** The largest response body read, in bytes. @default 8 MiB */
  readonly maxBodyBytes?: number;
  /** How to wait (tests may hurry it). @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** An answer of the forge: status, headers and parsed JSON body. */
export interface ForgeResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers. */
  readonly headers: Headers;
  /** The body, parsed as JSON (`undefined` when empty). */
  readonly body: unknown;
}

/** What a client did: requests sent (retries included), retries, and time spent waiting out rate limits and backoff. */
export interface ForgeClientStats {
  /** Requests sent, retries included. */
  requests: number;
  /** Requests sent again after a failure or a rate limit. */
  retries: number;
  /** Answers that said the rate limit was reached. */
  rateLimited: number;
  /** Milliseconds spent waiting out rate limits and backoff. */
  waitedMs: number;
}

/**
 * A small JSON client of a forge's REST API: GET only, each answer bounded in size and time, credentials sent to the
 * API's origin alone (a redirect elsewhere is refused), and every read bounded by a deadline. A 5xx answer or a
 * failed connection is retried with exponential backoff; a rate limit (429, or 403 with the forge's rate-limit
 * headers) is waited out as the forge says (`Retry-After`, `X-RateLimit-Reset` or `RateLimit-Reset`), when that
 * ends before the deadline.
 */
export class ForgeClient {
  /** What this client has done so far. */
  public readonly stats: ForgeClientStats = { requests: 0, retries: 0, rateLimited: 0, waitedMs: 0 };
  private readonly base: URL;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  public constructor(private readonly options: ForgeClientOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new ForgeError(`forge API URL ${JSON.stringify(options.baseUrl)} is not http(s); give e.g. https://api.github.com`);
    }
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** The API's origin, for messages. */
  public get origin(): string {
    return this.base.origin;
  }

  /**
   * GETs `path` (relative to the base URL, with `query`), retrying as described; throws a {@link ForgeError} naming
   * the request on any other answer than 2xx, or when the deadline passes.
   * @param deadline when the whole read must be done, in the clock's milliseconds
   */
  public async get(path: string, query: Record<string, string | number>, deadline: number): Promise<ForgeResponse> {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const what = `GET ${url.origin}${url.pathname}`;
    const retries = this.options.retries ?? 6;
    let backoff = this.options.backoffMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - this.now();
      if (left <= 0) throw new ForgeError(`${what}: the deadline passed before the forge answered; try again later, or give more time`);
      let res: Response | undefined;
      let failure: unknown;
      this.stats.requests++;
      try {
        res = await fetch(url, {
          headers: { accept: 'application/json', ...this.options.authHeaders },
          redirect: 'manual',
          signal: AbortSignal.timeout(Math.min(left, this.options.requestTimeoutMs ?? 30_000)),
        });
      } catch (e) {
        failure = e;
      }
      let wait: number | undefined;
      if (res === undefined) {
        if (attempt >= retries) throw new ForgeError(`${what} failed: ${(failure as Error).message}`, { cause: failure });
        wait = jitter(backoff);
      } else if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        throw new ForgeError(`${what} answered ${res.status} with a redirect to ${printable(res.headers.get('location') ?? '(none)')}; give the API's own URL (credentials are never sent to another address)`, { status: res.status });
      } else if (res.ok) {
        return { status: res.status, headers: res.headers, body: await this.json(res, what) };
      } else {
        const limit = rateLimitWait(res, this.now());
        if (limit !== undefined) {
          await res.body?.cancel();
          this.stats.rateLimited++;
          const max = this.options.maxRateLimitWaitMs ?? 60_000;
          if (limit > max || this.now() + limit >= deadline || attempt >= retries) {
            throw new ForgeError(`${what} is rate-limited for ${Math.ceil(limit / 1000)} s more (answered ${res.status}), past what this read may wait; try again after ${new Date(this.now() + limit).toISOString()}`, { status: res.status });
          }
          wait = limit;
        } else if (res.status >= 500 && attempt < retries) {
          await res.body?.cancel();
          wait = jitter(backoff);
        } else {
          const text = await boundedText(res, 2048).catch(() => '');
          throw new ForgeError(`${what} answered ${res.status}${errorHint(res.status)}${text ? `: ${printable(summary(text))}` : ''}`, { status: res.status });
        }
      }
      const sleepFor = Math.min(wait, Math.max(0, deadline - this.now()));
      this.stats.retries++;
      this.stats.waitedMs += sleepFor;
      await this.sleep(sleepFor);
      backoff = Math.min(backoff * 2, 30_000);
    }
  }

  private async json(res: Response, what: string): Promise<unknown> {
    const text = await boundedText(res, this.options.maxBodyBytes ?? 8 * 1024 * 1024).catch((e: Error) => {
      throw new ForgeError(`${what}: ${e.message}`);
    });
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ForgeError(`${what} answered with something that is not JSON: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** How long the forge asks to wait, in milliseconds, when `res` is a rate limit; undefined when it is not one. */
function rateLimitWait(res: Response, now: number): number | undefined {
  const h = res.headers;
  const retryAfter = h.get('retry-after');
  const remaining = h.get('x-ratelimit-remaining') ?? h.get('ratelimit-remaining');
  const reset = h.get('x-ratelimit-reset') ?? h.get('ratelimit-reset');
  const limited = res.status === 429 || (res.status === 403 && (retryAfter !== null || remaining === '0'));
  if (!limited) return undefined;
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  if (reset !== null && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - now) + 1000;
  // A rate limit that says nothing of its end: wait a minute, as GitHub advises for secondary limits.
  return 60_000;
}

function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

function errorHint(status: number): string {
  if (status === 401) return ' (the token is missing, expired or not valid for this forge)';
  if (status === 403) return ' (the token may not read commit statuses of this repository)';
  if (status === 404) return ' (no such repository or commit, or the token cannot see it)';
  if (status === 422) return ' (no such commit in the repository)';
  return '';
}

function summary(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300);
}

/** The body as text, refusing one longer than `max` bytes as soon as it passes that. */
async function boundedText(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new ForgeError(`the answer is ${declared} bytes, more than the ${max} read`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new ForgeError(`the answer is more than the ${max} bytes read`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
