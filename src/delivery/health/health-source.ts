import { ForgeClient, ForgeError, type ForgeClientOptions, type ForgeClientStats } from './forge-client.js';
import type { HealthReportTarget } from '../../fleet/health-report.js';

/** What one report says of a cluster: healthy on the commit, failing on it, or still on its way. */
export type ReportState = 'healthy' | 'failing' | 'progressing';

/** The newest report of one cluster (one context) found on a commit. */
export interface Report {
  /** The context (status name) that carries it, e.g. `flux-fleet/prod-eu-1`. */
  readonly context: string;
  /** The commit it was posted on (40 hex digits). */
  readonly commit: string;
  /** What it says. */
  readonly state: ReportState;
  /** Its description as posted, e.g. `reconciliation succeeded` or `health check failed`. */
  readonly description: string;
  /** When it was posted (RFC 3339): the cluster's state has been this since then. */
  readonly since: string;
}

/** One read of a source: which contexts to look for, on which commit, and how far back. */
export interface HealthReadRequest {
  /** The commit whose reports count (40 hex digits). */
  readonly commit: string;
  /** The contexts to find. */
  readonly contexts: readonly string[];
  /**
   * How many earlier commits (ancestors of `commit`, newest first) to look at for contexts with no report on
   * `commit`, to tell which revision a cluster still runs; 0 reads `commit` alone.
   */
  readonly history: number;
  /** When the read must be done, in the clock's milliseconds. */
  readonly deadline: number;
}

/**
 * A place clusters report to, read without cluster credentials: a forge's commit statuses, a metrics query... Each
 * kind is registered under the `type` its {@link HealthReportTarget}s carry (see {@link registerHealthSource}).
 */
export interface HealthSource {
  /** Requests sent so far, retries and waits. */
  readonly stats: ForgeClientStats;
  /**
   * The newest report of each context found: on `commit` when there is one, else on the newest earlier commit
   * within `history` that has one. A context with no report found is absent: a missing report is never healthy.
   */
  read(request: HealthReadRequest): Promise<Map<string, Report>>;
}

/** What a source of one repository is made from. */
export interface HealthSourceOptions {
  /** The token to read with, e.g. from `$GITHUB_TOKEN`; never taken from the command line. @default - anonymous */
  readonly token?: string;
  /** The API's base URL, overriding the one of the host (e.g. a loopback server in tests). @default - the host's */
  readonly apiUrl?: string;
  /** Retries, deadline, backoff and bounds of the HTTP client. @default - the client's defaults */
  readonly client?: Omit<ForgeClientOptions, 'baseUrl' | 'authHeaders'>;
  /** The largest number of pages read for one commit (100 statuses a page). @default 100 */
  readonly maxPages?: number;
}

/** Makes the {@link HealthSource} of one target's repository. */
export type HealthSourceFactory = (target: Pick<HealthReportTarget, 'host' | 'repository'>, options: HealthSourceOptions) => HealthSource;

const FACTORIES = new Map<string, HealthSourceFactory>();

/** Registers how reports of `type` are read (GitHub and GitLab commit statuses are built in). */
export function registerHealthSource(type: string, factory: HealthSourceFactory): void {
  FACTORIES.set(type, factory);
}

/** The factory for reports of `type`; throws naming the known types when there is none. */
export function healthSourceFactory(type: string): HealthSourceFactory {
  const factory = FACTORIES.get(type);
  if (!factory) {
    const known = [...FACTORIES.keys()].join(', ');
    throw new ForgeError(`reports of type ${JSON.stringify(type)} cannot be read by this flux-fleet (it reads ${known}); upgrade flux-fleet, or synthesize the tree again`);
  }
  return factory;
}

/** The environment variable each built-in type reads its token from, unless told otherwise. */
export const DEFAULT_TOKEN_VARIABLES: Readonly<Record<string, string>> = {
  'github-commit-status': 'GITHUB_TOKEN',
  'gitlab-commit-status': 'GITLAB_TOKEN',
};

/** How a forge's statuses are listed: one page of a commit's newest status per context, and a commit's ancestors. */
interface CommitStatusApi {
  /** A page of the newest status of each context on `commit`: the statuses, and how many pages there are in all. */
  page(client: ForgeClient, repository: string, commit: string, page: number, deadline: number): Promise<{ statuses: Report[]; pages: number }>;
  /** Up to `count` commits from `commit` back, newest first (the first is `commit` itself). */
  ancestors(client: ForgeClient, repository: string, commit: string, count: number, deadline: number): Promise<string[]>;
}

/** A source reading a forge's commit statuses through `api`. */
class CommitStatusSource implements HealthSource {
  public constructor(
    private readonly client: ForgeClient,
    private readonly repository: string,
    private readonly api: CommitStatusApi,
    private readonly maxPages: number,
  ) {}

  public get stats(): ForgeClientStats {
    return this.client.stats;
  }

  public async read(request: HealthReadRequest): Promise<Map<string, Report>> {
    const wanted = new Set(request.contexts);
    const found = new Map<string, Report>();
    await this.readCommit(request.commit, wanted, found, request.deadline);
    if (found.size < wanted.size && request.history > 0) {
      const ancestors = await this.api.ancestors(this.client, this.repository, request.commit, request.history + 1, request.deadline);
      const earlier = ancestors.filter((c) => c !== request.commit);
      for (const commit of earlier.slice(0, request.history)) {
        if (found.size === wanted.size) break;
        await this.readCommit(commit, wanted, found, request.deadline);
      }
    }
    return found;
  }

  /** Reads every page of `commit`, keeping the statuses of wanted contexts that have none found yet. */
  private async readCommit(commit: string, wanted: Set<string>, found: Map<string, Report>, deadline: number): Promise<void> {
    let pages = 1;
    for (let page = 1; page <= pages; page++) {
      const result = await this.api.page(this.client, this.repository, commit, page, deadline);
      if (page === 1) {
        pages = result.pages;
        if (pages > this.maxPages) {
          throw new ForgeError(`commit ${commit} has ${pages} pages of statuses on ${this.client.origin}, more than the ${this.maxPages} read; raise the page limit if that many contexts are expected`);
        }
      }
      for (const report of result.statuses) {
        if (wanted.has(report.context) && !found.has(report.context)) found.set(report.context, report);
      }
    }
  }
}

const PER_PAGE = 100;

/** GitHub's REST API: the combined status of a commit (newest status per context, 100 a page), and its commits. */
const GITHUB_API: CommitStatusApi = {
  async page(client, repository, commit, page, deadline) {
    const res = await client.get(`repos/${githubRepo(repository)}/commits/${commit}/status`, { per_page: PER_PAGE, page }, deadline);
    const body = res.body as { total_count?: unknown; statuses?: unknown };
    if (!Array.isArray(body.statuses) || typeof body.total_count !== 'number') {
      throw new ForgeError(`the combined status of ${commit} on ${client.origin} has no statuses or total_count; is this GitHub's API?`);
    }
    const statuses = body.statuses.flatMap((s: Record<string, unknown>): Report[] => {
      if (typeof s.context !== 'string' || typeof s.state !== 'string') return [];
      const state: ReportState = s.state === 'success' ? 'healthy' : s.state === 'failure' || s.state === 'error' ? 'failing' : 'progressing';
      const since = typeof s.updated_at === 'string' ? s.updated_at : typeof s.created_at === 'string' ? s.created_at : '';
      return [{ context: s.context, commit, state, description: typeof s.description === 'string' ? s.description : '', since }];
    });
    return { statuses, pages: Math.max(1, Math.ceil(body.total_count / PER_PAGE)) };
  },
  async ancestors(client, repository, commit, count, deadline) {
    const res = await client.get(`repos/${githubRepo(repository)}/commits`, { sha: commit, per_page: Math.min(count, PER_PAGE) }, deadline);
    if (!Array.isArray(res.body)) throw new ForgeError(`the commits of ${commit} on ${client.origin} are not a list; is this GitHub's API?`);
    return res.body.map((c: { sha?: unknown }) => c.sha).filter((s): s is string => typeof s === 'string');
  },
};

/** GitLab's REST API: a commit's statuses (the newest per name unless `all`), and its commits. */
const GITLAB_API: CommitStatusApi = {
  async page(client, repository, commit, page, deadline) {
    const project = encodeURIComponent(repository);
    const res = await client.get(`projects/${project}/repository/commits/${commit}/statuses`, { per_page: PER_PAGE, page }, deadline);
    if (!Array.isArray(res.body)) throw new ForgeError(`the statuses of ${commit} on ${client.origin} are not a list; is this GitLab's API?`);
    const statuses = res.body.flatMap((s: Record<string, unknown>): Report[] => {
      if (typeof s.name !== 'string' || typeof s.status !== 'string') return [];
      const state: ReportState = s.status === 'success' ? 'healthy' : s.status === 'failed' || s.status === 'canceled' ? 'failing' : 'progressing';
      return [{ context: s.name, commit, state, description: typeof s.description === 'string' ? s.description : '', since: typeof s.created_at === 'string' ? s.created_at : '' }];
    });
    const total = Number(res.headers.get('x-total-pages'));
    // Past 10,000 statuses GitLab leaves out the totals: follow X-Next-Page instead.
    const pages = Number.isInteger(total) && total >= 1 ? total : res.headers.get('x-next-page') ? page + 1 : page;
    return { statuses, pages };
  },
  async ancestors(client, repository, commit, count, deadline) {
    const project = encodeURIComponent(repository);
    const res = await client.get(`projects/${project}/repository/commits`, { ref_name: commit, per_page: Math.min(count, PER_PAGE) }, deadline);
    if (!Array.isArray(res.body)) throw new ForgeError(`the commits of ${commit} on ${client.origin} are not a list; is this GitLab's API?`);
    return res.body.map((c: { id?: unknown }) => c.id).filter((s): s is string => typeof s === 'string');
  },
};

function githubRepo(repository: string): string {
  return repository.split('/').map(encodeURIComponent).join('/');
}

registerHealthSource('github-commit-status', (target, options) => {
  const baseUrl = options.apiUrl ?? (target.host === 'github.com' ? 'https://api.github.com' : `https://${target.host}/api/v3`);
  const auth: Record<string, string> = { 'x-github-api-version': '2022-11-28', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  const client = new ForgeClient({ ...options.client, baseUrl, authHeaders: auth });
  return new CommitStatusSource(client, target.repository, GITHUB_API, options.maxPages ?? 100);
});

registerHealthSource('gitlab-commit-status', (target, options) => {
  const baseUrl = options.apiUrl ?? `https://${target.host}/api/v4`;
  const auth: Record<string, string> = options.token ? { 'private-token': options.token } : {};
  const client = new ForgeClient({ ...options.client, baseUrl, authHeaders: auth });
  return new CommitStatusSource(client, target.repository, GITLAB_API, options.maxPages ?? 100);
});
