import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A forge on loopback implementing the part of two REST APIs that commit statuses use, as their published
 * descriptions give it:
 *
 * - GitHub (docs.github.com, "REST API endpoints for commit statuses" and "List commits"; the OpenAPI description's
 *   `status`, `simple-commit-status` and `combined-commit-status` schemas): `POST /repos/{owner}/{repo}/statuses/{sha}`
 *   (state `error|failure|pending|success`, required; `context` defaults to `default`; 201 with the status; 422 for
 *   an unknown commit, a bad state, or past 1,000 statuses of one sha and context), `GET .../commits/{ref}/statuses`
 *   (newest first), `GET .../commits/{ref}/status` (the newest status per context, `per_page` up to 100 and `page`,
 *   `total_count` counting contexts; combined `state` failure if any is error or failure, pending if none or any is
 *   pending, else success), `GET .../commits?sha=` (newest first). A missing or wrong token answers 401
 *   "Bad credentials". Every answer carries `x-ratelimit-*` headers.
 * - GitLab (docs.gitlab.com, Commits API, "List the statuses of a commit", "Set the pipeline status of a commit",
 *   "List repository commits"): `POST /api/v4/projects/{id}/statuses/{sha}` (state `pending|running|success|failed|
 *   canceled|skipped`, `name` or `context`, default `default`), `GET .../repository/commits/{sha}/statuses` (the newest
 *   status per name unless `all=true`; `name` filters; `X-Total`, `X-Total-Pages`, `X-Page`, `X-Per-Page`,
 *   `X-Next-Page` headers), `GET .../repository/commits?ref_name=`. The token comes in `PRIVATE-TOKEN` or as a bearer.
 *
 * Faults are scripted per request: a rate limit (GitHub's primary limit, 403 with `x-ratelimit-remaining: 0` and
 * `x-ratelimit-reset`; or 429 with `Retry-After`, as both forges send) and 5xx answers. Every request is counted by
 * kind, so tests and the benchmark see what a reader cost.
 */
export class TestForge {
  /**
   * Starts a forge on a free loopback port; `token` is the one credential it accepts. Statuses are stamped by a clock
   * of their own (from 2026-11-02, a second per status), or by `now` (e.g. `Date.now`, for soaks measured against it).
   */
  public static async start(options: { readonly token?: string; readonly now?: () => number } = {}): Promise<TestForge> {
    const forge = new TestForge(options.token ?? 'forge-token', options.now);
    await new Promise<void>((resolve) => forge.server.listen(0, '127.0.0.1', resolve));
    return forge;
  }

  /** Requests received, by `<method> <kind>` (e.g. `GET combined`, `POST status`), faults included. */
  public readonly requests = new Map<string, number>();
  /** Every request's method, path and whether it carried the right token, in order. */
  public readonly log: Array<{ method: string; path: string; authorized: boolean; status: number }> = [];
  private readonly server: http.Server;
  /** Statuses per repository and commit, oldest first. */
  private readonly statuses = new Map<string, StoredStatus[]>();
  /** Commits per repository, oldest first (each commit's parent is the one before). */
  private readonly commits = new Map<string, string[]>();
  private faults: Array<(req: { method: string; kind: string }) => Fault | undefined> = [];
  private nextId = 1;
  private clock = Date.parse('2026-11-02T10:00:00Z');

  private constructor(private readonly token: string, private readonly now?: () => number) {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => { body += chunk; });
      req.on('end', () => this.handle(req, body, res));
    });
  }

  /** The base URL GitHub clients use (the API root): `http://127.0.0.1:<port>`. */
  public get githubUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The base URL GitLab clients use: `http://127.0.0.1:<port>/api/v4`. */
  public get gitlabUrl(): string {
    return `${this.githubUrl}/api/v4`;
  }

  /** Adds commits to a repository's history (`owner/repo` or a GitLab project path), oldest first. */
  public addCommits(repository: string, ...shas: string[]): void {
    this.commits.set(repository, [...(this.commits.get(repository) ?? []), ...shas]);
  }

  /** Scripts faults: `rule` is asked for every request and may answer it with a fault instead. */
  public fault(rule: (req: { method: string; kind: string }) => Fault | undefined): void {
    this.faults.push(rule);
  }

  /** Drops every scripted fault. */
  public clearFaults(): void {
    this.faults = [];
  }

  /** Every status of a commit, oldest first, as stored. */
  public statusesOf(repository: string, sha: string): readonly StoredStatus[] {
    return this.statuses.get(`${repository}@${sha}`) ?? [];
  }

  /** Moves the forge's clock (status timestamps) forward. */
  public advance(ms: number): void {
    this.clock += ms;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private count(key: string): void {
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://forge');
    const method = req.method ?? 'GET';
    const route = this.route(method, url.pathname);
    const authorized = this.authorized(req, route?.forge);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      this.log.push({ method, path: url.pathname, authorized, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...this.rateHeaders(), ...headers });
      res.end(JSON.stringify(payload));
    };
    if (!route) return send(404, { message: 'Not Found' });
    this.count(`${method} ${route.kind}`);
    for (const rule of this.faults) {
      const fault = rule({ method, kind: route.kind });
      if (!fault) continue;
      if (fault.kind === 'rate-limit') {
        const reset = Math.floor(Date.now() / 1000) + fault.seconds;
        return route.forge === 'github' && !fault.retryAfter
          ? send(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })
          : send(429, { message: '429 Too Many Requests' }, { 'retry-after': String(fault.seconds), 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) });
      }
      return send(fault.status, { message: 'Server Error' });
    }
    if (!authorized) return send(401, route.forge === 'github' ? { message: 'Bad credentials' } : { message: '401 Unauthorized' });
    const known = this.commits.get(route.repository) ?? [];
    if (route.kind === 'status') {
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body || '{}') as Record<string, unknown>;
      } catch {
        return send(400, { message: 'Problems parsing JSON' });
      }
      if (!known.includes(route.sha)) return send(422, route.forge === 'github' ? { message: `No commit found for SHA: ${route.sha}` } : { message: '404 Commit Not Found' });
      const states = route.forge === 'github' ? GITHUB_STATES : GITLAB_STATES;
      if (typeof input.state !== 'string' || !states.includes(input.state)) {
        return send(route.forge === 'github' ? 422 : 400, { message: `state must be one of ${states.join(', ')}` });
      }
      const context = String((route.forge === 'github' ? input.context : input.name ?? input.context) ?? 'default');
      const list = this.statuses.get(`${route.repository}@${route.sha}`) ?? [];
      if (route.forge === 'github' && list.filter((s) => s.context === context).length >= 1000) {
        return send(422, { message: 'This SHA and context has reached the maximum number of statuses.' });
      }
      this.clock = this.now ? this.now() : this.clock + 1000;
      const stored: StoredStatus = {
        id: this.nextId++,
        sha: route.sha,
        state: input.state,
        context,
        description: typeof input.description === 'string' ? input.description : null,
        createdAt: new Date(this.clock).toISOString(),
      };
      list.push(stored);
      this.statuses.set(`${route.repository}@${route.sha}`, list);
      return send(201, route.forge === 'github' ? githubStatus(stored) : gitlabStatus(stored));
    }
    if (route.kind === 'commits') {
      const from = url.searchParams.get(route.forge === 'github' ? 'sha' : 'ref_name');
      const end = from === null ? known.length : known.indexOf(from) + 1;
      if (end === 0) return send(404, { message: 'Not Found' });
      const perPage = perPageOf(url, route.forge === 'github' ? 30 : 20);
      const list = known.slice(0, end).reverse().slice(0, perPage);
      return send(200, list.map((sha) => (route.forge === 'github' ? { sha, commit: { message: `commit ${sha.slice(0, 7)}` } } : { id: sha, short_id: sha.slice(0, 8), title: `commit ${sha.slice(0, 7)}` })));
    }
    if (!known.includes(route.sha)) return send(route.forge === 'github' ? 422 : 404, { message: route.forge === 'github' ? `No commit found for SHA: ${route.sha}` : '404 Commit Not Found' });
    const all = this.statuses.get(`${route.repository}@${route.sha}`) ?? [];
    const newestFirst = [...all].reverse();
    if (route.kind === 'list') {
      const perPage = perPageOf(url, 30);
      const page = pageOf(url);
      return send(200, newestFirst.slice((page - 1) * perPage, page * perPage).map(githubStatus));
    }
    // A later status of a context replaces the earlier one: the newest per context.
    const latest = [...new Map(all.map((s) => [s.context, s])).values()].sort((a, b) => (a.context < b.context ? -1 : 1));
    if (route.kind === 'combined') {
      const perPage = perPageOf(url, 30);
      const page = pageOf(url);
      const states = latest.map((s) => s.state);
      const state = states.some((s) => s === 'error' || s === 'failure') ? 'failure' : states.length === 0 || states.includes('pending') ? 'pending' : 'success';
      return send(200, {
        state,
        sha: route.sha,
        total_count: latest.length,
        statuses: latest.slice((page - 1) * perPage, page * perPage).map(githubStatus),
        repository: { full_name: route.repository },
        commit_url: '',
        url: '',
      });
    }
    // GitLab's list: the newest per name unless all=true, optionally one name, paged with its headers.
    const name = url.searchParams.get('name');
    const chosen = (url.searchParams.get('all') === 'true' ? newestFirst : latest).filter((s) => name === null || s.context === name);
    const perPage = perPageOf(url, 20);
    const page = pageOf(url);
    const pages = Math.max(1, Math.ceil(chosen.length / perPage));
    return send(200, chosen.slice((page - 1) * perPage, page * perPage).map(gitlabStatus), {
      'x-total': String(chosen.length),
      'x-total-pages': String(pages),
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': page < pages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
    });
  }

  private route(method: string, path: string): Route | undefined {
    let m = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (m && method === 'POST') return { forge: 'github', kind: 'status', repository: `${m[1]}/${m[2]}`, sha: m[3] };
    m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/(status|statuses)$/.exec(path);
    if (m && method === 'GET') return { forge: 'github', kind: m[4] === 'status' ? 'combined' : 'list', repository: `${m[1]}/${m[2]}`, sha: m[3] };
    m = /^\/repos\/([^/]+)\/([^/]+)\/commits$/.exec(path);
    if (m && method === 'GET') return { forge: 'github', kind: 'commits', repository: `${m[1]}/${m[2]}`, sha: '' };
    m = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (m && method === 'POST') return { forge: 'gitlab', kind: 'status', repository: decodeURIComponent(m[1]), sha: m[2] };
    m = /^\/api\/v4\/projects\/([^/]+)\/repository\/commits\/([^/]+)\/statuses$/.exec(path);
    if (m && method === 'GET') return { forge: 'gitlab', kind: 'gitlab-list', repository: decodeURIComponent(m[1]), sha: m[2] };
    m = /^\/api\/v4\/projects\/([^/]+)\/repository\/commits$/.exec(path);
    if (m && method === 'GET') return { forge: 'gitlab', kind: 'commits', repository: decodeURIComponent(m[1]), sha: '' };
    return undefined;
  }

  private authorized(req: http.IncomingMessage, forge: 'github' | 'gitlab' | undefined): boolean {
    const bearer = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (forge === 'gitlab' && req.headers['private-token'] === this.token) return true;
    return bearer === this.token;
  }

  private rateHeaders(): Record<string, string> {
    return { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) };
  }
}

/** A scripted fault: a rate limit for some seconds (GitHub's primary-limit 403, or a 429 with Retry-After), or a 5xx. */
export type Fault = { readonly kind: 'rate-limit'; readonly seconds: number; readonly retryAfter?: boolean } | { readonly kind: 'error'; readonly status: number };

/** A status as the forge stores it. */
export interface StoredStatus {
  readonly id: number;
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description: string | null;
  readonly createdAt: string;
}

interface Route {
  readonly forge: 'github' | 'gitlab';
  readonly kind: 'status' | 'list' | 'combined' | 'commits' | 'gitlab-list';
  readonly repository: string;
  readonly sha: string;
}

const GITHUB_STATES = ['error', 'failure', 'pending', 'success'];
const GITLAB_STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];

function githubStatus(s: StoredStatus): Record<string, unknown> {
  return {
    url: '',
    avatar_url: null,
    id: s.id,
    node_id: `SC_${s.id}`,
    state: s.state,
    description: s.description,
    target_url: null,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
  };
}

function gitlabStatus(s: StoredStatus): Record<string, unknown> {
  return {
    id: s.id,
    sha: s.sha,
    ref: null,
    status: s.state,
    name: s.context,
    target_url: null,
    description: s.description,
    created_at: s.createdAt,
    started_at: null,
    finished_at: s.state === 'success' || s.state === 'failed' ? s.createdAt : null,
    allow_failure: false,
    coverage: null,
    author: { username: 'flux' },
  };
}

function perPageOf(url: URL, fallback: number): number {
  const n = Number(url.searchParams.get('per_page') ?? fallback);
  return Math.min(100, Math.max(1, Number.isInteger(n) ? n : fallback));
}

function pageOf(url: URL): number {
  const n = Number(url.searchParams.get('page') ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}
