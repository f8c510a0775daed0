import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

let ticks: number | undefined;

/** The kernel's clock ticks per second, in which /proc reports CPU times. */
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The port a registry was to listen on is taken by another process. */
class PortTakenError extends Error {}

/** A request a test registry answered, from its access log. */
export interface RegistryRequest {
  readonly method: string;
  /** The path, e.g. `/v2/fleet/clusters/prod-eu-1/manifests/rev-0123`. */
  readonly path: string;
  readonly status: number;
  /** The bytes of the response body. */
  readonly bytes: number;
}

/** Options of a test registry. */
export interface TestRegistryOptions {
  /** Keep an access log of every request (see `requests()`). @default false */
  readonly accessLog?: boolean;
}

/** How a test registry authenticates. */
export type TestRegistryAuth =
  | { readonly htpasswd: { readonly username: string; readonly password: string } }
  | { readonly token: TokenService };

/**
 * Debian's `docker-registry` (the CNCF distribution registry) on a free loopback port, with its config and storage in a
 * temporary folder. `stop()` and `start()` keep the storage, so a test can stop it mid-push and look afterwards.
 */
export class TestRegistry {
  public static async start(auth?: TestRegistryAuth, options: TestRegistryOptions = {}): Promise<TestRegistry> {
    // A free port can be taken by another process (another test file's registry) before this one binds it: then
    // this registry exits, and the one answering is not ours. Each registry answers with its own id, so a start
    // that finds another's is retried on another port.
    for (let attempt = 1; ; attempt++) {
      const registry = new TestRegistry(await freePort(), auth, options);
      try {
        await registry.start();
        return registry;
      } catch (e) {
        await registry.destroy();
        if (!(e instanceof PortTakenError) || attempt >= 5) throw e;
      }
    }
  }

  /** `127.0.0.1:<port>`. */
  public readonly host: string;
  public readonly dir: string;
  /** What this registry sends in its `X-Test-Registry` header, to tell it from another on the same port. */
  private readonly id = randomUUID();
  private process?: ChildProcess;

  private constructor(public readonly port: number, auth?: TestRegistryAuth, private readonly options: TestRegistryOptions = {}) {
    this.host = `127.0.0.1:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), 'flux-fleet-registry-'));
    let authConfig = '';
    if (auth && 'htpasswd' in auth) {
      const line = execFileSync('htpasswd', ['-Bbn', auth.htpasswd.username, auth.htpasswd.password], { encoding: 'utf8' });
      writeFileSync(join(this.dir, 'htpasswd'), line);
      authConfig = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${join(this.dir, 'htpasswd')}\n`;
    } else if (auth && 'token' in auth) {
      authConfig = `auth:\n  token:\n    realm: ${auth.token.realm}\n    service: ${auth.token.service}\n    issuer: ${auth.token.issuer}\n    rootcertbundle: ${auth.token.certFile}\n`;
    }
    writeFileSync(join(this.dir, 'config.yml'), [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      `    disabled: ${options.accessLog ? 'false' : 'true'}`,
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(this.dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  headers:',
      `    X-Test-Registry: [${this.id}]`,
      authConfig,
    ].join('\n'));
  }

  /** Starts (or restarts) the registry and waits until it answers. */
  public async start(): Promise<void> {
    if (this.process) return;
    // The access log goes to standard output.
    const log = this.options.accessLog ? openSync(join(this.dir, 'access.log'), 'a') : 'ignore';
    const child = spawn('docker-registry', ['serve', join(this.dir, 'config.yml')], { stdio: ['ignore', log, 'pipe'] });
    if (typeof log === 'number') closeSync(log);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    this.process = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        this.process = undefined;
        if (/address already in use/.test(stderr)) throw new PortTakenError(`${this.host} is taken: ${stderr}`);
        throw new Error(`docker-registry exited: ${stderr}`);
      }
      const answeredBy = await new Promise<string | undefined | false>((resolve) => {
        const req = http.get(`http://${this.host}/v2/`, (res) => { res.resume(); resolve(res.headers['x-test-registry'] as string | undefined); });
        req.on('error', () => resolve(false));
      });
      if (answeredBy === this.id) return;
      if (answeredBy !== false) {
        // Another process answers on this port: ours cannot bind it.
        await this.stop();
        throw new PortTakenError(`${this.host} answers as another registry (${answeredBy ?? 'no id'})`);
      }
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${this.host}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The requests answered so far, from the access log (empty unless started with `accessLog`). */
  public requests(): RegistryRequest[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir, 'access.log'), 'utf8');
    } catch {
      return [];
    }
    const requests: RegistryRequest[] = [];
    for (const line of text.split('\n')) {
      const m = /"([A-Z]+) (\S+) HTTP\/[0-9.]+" ([0-9]{3}) ([0-9]+|-)/.exec(line);
      if (m) requests.push({ method: m[1], path: m[2], status: Number(m[3]), bytes: m[4] === '-' ? 0 : Number(m[4]) });
    }
    return requests;
  }

  /** The CPU time (user and system) the registry process used so far, in seconds (Linux). */
  public cpuSeconds(): number {
    const pid = this.process?.pid;
    if (pid === undefined) return 0;
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  }

  /** Stops the registry process, keeping its storage. */
  public async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Stops the registry and removes its folder. */
  public async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A small token service for the registry's bearer-token flow: it checks HTTP Basic credentials (or an OAuth2 refresh
 * token, `refresh-<user>`), and issues RS256 JWTs whose certificate the registry trusts, granting what was asked.
 */
export class TokenService {
  public static async start(users: Readonly<Record<string, string>>): Promise<TokenService> {
    const dir = mkdtempSync(join(tmpdir(), 'flux-fleet-token-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=flux-fleet test token issuer'], { stdio: 'ignore' });
    const service = new TokenService(dir, users, await freePort());
    await new Promise<void>((resolve) => service.server.listen(service.port, '127.0.0.1', resolve));
    return service;
  }

  public readonly service = 'test-registry';
  public readonly issuer = 'test-token-issuer';
  public readonly certFile: string;
  /** Every token request: how it authenticated and the scopes asked for. */
  public readonly requests: Array<{ method: string; user?: string; scopes: string[] }> = [];
  private readonly key: string;
  private readonly certDer: string;
  private readonly server: http.Server;

  private constructor(private readonly dir: string, private readonly users: Readonly<Record<string, string>>, public readonly port: number) {
    this.certFile = join(dir, 'cert.pem');
    this.key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const pem = readFileSync(this.certFile, 'utf8');
    this.certDer = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => this.handle(req, body, res));
    });
  }

  public get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.realm);
    let user: string | undefined;
    let scopes: string[];
    if (req.method === 'POST') {
      const form = new URLSearchParams(body);
      const token = form.get('refresh_token') ?? '';
      user = Object.keys(this.users).find((u) => `refresh-${u}` === token);
      if (!user) return this.deny(res);
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    } else {
      const auth = req.headers.authorization;
      if (auth) {
        const [name, password] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
        if (this.users[name] !== password) return this.deny(res);
        user = name;
      }
      scopes = url.searchParams.getAll('scope');
    }
    this.requests.push({ method: req.method ?? 'GET', user, scopes });
    const now = Math.floor(Date.now() / 1000);
    const access = user ? scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop() ?? '';
      return { type, name: rest.join(':'), actions: actions.split(',') };
    }) : [];
    const header = { typ: 'JWT', alg: 'RS256', x5c: [this.certDer] };
    const claims = { iss: this.issuer, sub: user ?? '', aud: this.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(this.key);
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  }

  private deny(res: http.ServerResponse): void {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"details":"incorrect username or password"}');
  }
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** What a {@link FaultProxy} does with a request. */
export type FaultAction = 'pass' | 'fail500' | 'drop';

/** Picks what a {@link FaultProxy} does with a request. */
export type FaultRule = (req: { method: string; path: string; index: number }) => FaultAction | Promise<FaultAction>;

/**
 * An HTTP proxy on a loopback port in front of a registry, that answers 500 or drops the connection for the
 * requests a rule picks, and records every request.
 */
export class FaultProxy {
  public static async start(target: () => string, rule: FaultRule): Promise<FaultProxy> {
    const proxy = new FaultProxy(await freePort(), target, rule);
    await new Promise<void>((resolve) => proxy.server.listen(proxy.port, '127.0.0.1', resolve));
    return proxy;
  }

  public readonly host: string;
  /** Every request, with what the proxy did. */
  public readonly requests: Array<{ method: string; path: string; action: FaultAction }> = [];
  private readonly server: http.Server;

  private constructor(public readonly port: number, target: () => string, rule: FaultRule) {
    this.host = `127.0.0.1:${port}`;
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', async () => {
        const path = req.url ?? '/';
        const method = req.method ?? 'GET';
        const action = await rule({ method, path, index: this.requests.length });
        this.requests.push({ method, path, action });
        if (action === 'drop') {
          req.socket.destroy();
          return;
        }
        if (action === 'fail500') {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}');
          return;
        }
        const upstream = http.request(`http://${target()}${path}`, { method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => req.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      });
    });
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Runs skopeo (plain HTTP, no TLS verification: the test registries are on loopback) and returns its output. */
export async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The files of a tar.gz, listed by the system's tar (independent of our reader): `mode path` lines. */
export async function tarList(file: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tvzf', file]);
  return stdout.trim().split('\n').filter(Boolean);
}
