import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  basicCredentials, dockerConfigCredentials, fetchArtifact, pushArtifact, RegistryClient, RegistryError,
} from '../../../src/delivery/index.js';
import { packArtifact, type PackedArtifact } from '../../../src/flux/artifact/index.js';
import { FaultProxy, skopeo, TestRegistry, TokenService, type FaultAction } from '../../support/registry.js';

const FAST = { retries: 2, baseDelayMs: 20, maxDelayMs: 50 };

let plain: TestRegistry;
let basic: TestRegistry;
let tokens: TokenService;
let bearer: TestRegistry;
let dir: string;
const clients: RegistryClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-client-'));
  tokens = await TokenService.start({ alice: 'wonderland' });
  [plain, basic, bearer] = await Promise.all([
    TestRegistry.start(),
    TestRegistry.start({ htpasswd: { username: 'bob', password: 'builder' } }),
    TestRegistry.start({ token: tokens }),
  ]);
}, 120_000);

afterAll(async () => {
  clients.forEach((c) => c.close());
  await Promise.all([plain.destroy(), basic.destroy(), bearer.destroy()]);
  await tokens.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

function client(options: ConstructorParameters<typeof RegistryClient>[0]): RegistryClient {
  const c = new RegistryClient({ retry: FAST, ...options });
  clients.push(c);
  return c;
}

function artifact(seed: string, size = 64): PackedArtifact {
  return packArtifact([
    { path: 'kustomization.yaml', content: Buffer.from(`resources: []\n# ${seed}\n`) },
    { path: 'data.bin', content: randomBytes(size) },
  ], { source: 'https://github.com/acme/fleet', revision: `main@sha1:${seed}` });
}

async function skopeoTags(host: string, repository: string, ...auth: string[]): Promise<string[]> {
  try {
    return (JSON.parse(await skopeo('list-tags', '--tls-verify=false', ...auth, `docker://${host}/${repository}`)) as { Tags: string[] }).Tags;
  } catch (e) {
    if (/name unknown|repository name not known|404/i.test(String((e as { stderr?: string }).stderr ?? e))) return [];
    throw e;
  }
}

describe('registry client, anonymous', () => {
  test('pushes in one request each blob, then the manifest; skopeo reads it back with the same digest', async () => {
    // GIVEN
    const a = artifact('one');
    const repo = client({ host: plain.host }).repository('fleet/clusters/one');
    // WHEN
    const pushed = await pushArtifact(repo, a, ['latest']);
    // THEN
    expect(pushed).toStrictEqual({ location: `oci://${plain.host}/fleet/clusters/one`, digest: a.digest, tags: ['latest'], uploaded: 2, mounted: 0, existing: 0, bytesUploaded: a.config.content.length + a.layer.content.length });
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/fleet/clusters/one:latest`);
    expect(raw).toBe(a.manifestBytes.toString());
  }, 120_000);

  test('pushes a large blob in chunks', async () => {
    // GIVEN
    const a = artifact('chunked', 50_000);
    const c = client({ host: plain.host, chunkSize: 8 * 1024 });
    // WHEN
    await pushArtifact(c.repository('fleet/chunked'), a, ['v1']);
    // THEN
    const copied = join(dir, 'chunked');
    await skopeo('copy', '--src-tls-verify=false', `docker://${plain.host}/fleet/chunked:v1`, `dir:${copied}`);
    expect(a.layer.content.length).toBeGreaterThan(5 * 8 * 1024);
    expect(JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/fleet/chunked:v1`)).layers[0].digest).toBe(a.layer.descriptor.digest);
  }, 120_000);

  test('never sends a blob the repository has: a second push checks and skips both', async () => {
    // GIVEN
    const a = artifact('again');
    const repo = client({ host: plain.host }).repository('fleet/again');
    await pushArtifact(repo, a, ['latest']);
    // WHEN
    const second = await pushArtifact(repo, a, ['latest', 'stable']);
    // THEN
    expect([second.uploaded, second.existing, second.bytesUploaded]).toStrictEqual([0, 2, 0]);
    expect(await repo.tags()).toStrictEqual(['latest', 'stable']);
  }, 120_000);

  test('mounts a blob from another repository of the registry instead of uploading it', async () => {
    // GIVEN
    const a = artifact('mount');
    const c = client({ host: plain.host });
    await pushArtifact(c.repository('fleet/source'), a, ['latest']);
    // WHEN
    const mounted = await pushArtifact(c.repository('fleet/target'), a, ['latest']);
    // THEN
    expect([mounted.mounted, mounted.uploaded]).toStrictEqual([2, 0]);
    expect(JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/fleet/target:latest`)).layers[0].digest).toBe(a.layer.descriptor.digest);
  }, 120_000);

  test('uploads a blob once when two pushes of one artifact into one repository run at once, under two host names', async () => {
    // GIVEN one registry, with its access log, reached as two registries are when two regions alias to it
    const logged = await TestRegistry.start(undefined, { accessLog: true });
    try {
      const hosts = ['registry.eu.example', 'registry.us.example'].map((host) => client({ host, endpoint: `http://${logged.host}` }));
      const stored = new Set<string>();
      for (let round = 0; round < 10; round++) {
        const a = artifact(`raced-${round}`);
        const added = [a.config, a.layer].map((b) => b.descriptor.digest).filter((d) => !stored.has(d));
        const before = logged.requests().length;
        // WHEN
        const pushed = await Promise.all(hosts.map((c) => pushArtifact(c.repository('fleet/raced'), a, [`r${round}`])));
        // THEN each new blob went up once, the other push found it, and both manifests were accepted
        const uploads = logged.requests().slice(before).filter((r) => r.method === 'POST' && r.path.startsWith('/v2/fleet/raced/blobs/uploads/'));
        expect([uploads.length, pushed[0].uploaded + pushed[1].uploaded]).toStrictEqual([added.length, added.length]);
        expect(pushed.map((p) => p.digest)).toStrictEqual([a.digest, a.digest]);
        added.forEach((d) => stored.add(d));
      }
      expect((await hosts[0].repository('fleet/raced').tags()).length).toBe(10);
    } finally {
      await logged.destroy();
    }
  }, 180_000);

  test('gets a manifest by tag or digest, and lists tags page by page', async () => {
    // GIVEN
    const a = artifact('get');
    const repo = client({ host: plain.host, tagsPageSize: 2 }).repository('fleet/get');
    await pushArtifact(repo, a, ['a', 'b', 'c', 'd', 'e']);
    // WHEN
    const byTag = await repo.fetchManifest('c');
    const byDigest = await repo.fetchManifest(a.digest);
    const missing = await repo.fetchManifest('nope');
    const fetched = await fetchArtifact(repo, 'e');
    // THEN
    expect(byTag?.digest).toBe(a.digest);
    expect(byDigest?.bytes.equals(a.manifestBytes)).toBe(true);
    expect(missing).toBeUndefined();
    expect(await repo.tags()).toStrictEqual(['a', 'b', 'c', 'd', 'e']);
    expect(fetched.files.map((f) => f.path)).toStrictEqual(['data.bin', 'kustomization.yaml']);
    expect(await client({ host: plain.host }).repository('fleet/never-pushed').tags()).toStrictEqual([]);
  }, 120_000);
});

describe('registry client, failures', () => {
  test('retries 500 answers and dropped connections with backoff', async () => {
    // GIVEN: the first blob upload answers 500 twice, the first manifest put drops the connection
    let uploads = 0;
    let manifests = 0;
    const proxy = await FaultProxy.start(() => plain.host, ({ method, path }) => {
      if (method === 'PUT' && path.includes('/blobs/uploads/') && uploads++ < 2) return 'fail500';
      if (method === 'PUT' && path.includes('/manifests/') && manifests++ < 1) return 'drop';
      return 'pass';
    });
    try {
      const repo = client({ host: 'registry.example', endpoint: `http://${proxy.host}` }).repository('fleet/retried');
      const a = artifact('retried');
      // WHEN
      const pushed = await pushArtifact(repo, a, ['latest']);
      // THEN
      expect(pushed.digest).toBe(a.digest);
      expect(proxy.requests.filter((r) => r.action !== 'pass').map((r) => `${r.method} ${r.action}`)).toStrictEqual(['PUT fail500', 'PUT fail500', 'PUT drop']);
      expect(await skopeoTags(plain.host, 'fleet/retried')).toStrictEqual(['latest']);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  test('a registry answering 500 to the manifest leaves no tag, and the error says what failed', async () => {
    // GIVEN
    const proxy = await FaultProxy.start(() => plain.host, ({ method, path }) => (method === 'PUT' && path.includes('/manifests/') ? 'fail500' : 'pass'));
    try {
      const repo = client({ host: 'registry.example', endpoint: `http://${proxy.host}` }).repository('fleet/broken');
      // WHEN
      const push = pushArtifact(repo, artifact('broken'), ['latest']);
      // THEN
      await expect(push).rejects.toThrow(/^putting the manifest of oci:\/\/registry\.example\/fleet\/broken:latest failed: the registry answered 500 Internal Server Error \(UNKNOWN: injected failure\) after 3 attempts$/);
      expect(await skopeoTags(plain.host, 'fleet/broken')).toStrictEqual([]);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  test('a registry stopped mid-push leaves no tag, and the error says what failed', async () => {
    // GIVEN: a registry of its own, stopped as the first blob upload arrives
    const reg = await TestRegistry.start();
    const proxy = await FaultProxy.start(() => reg.host, async ({ method, path }): Promise<FaultAction> => {
      if (method === 'PUT' && path.includes('/blobs/uploads/')) await reg.stop();
      return 'pass';
    });
    try {
      const repo = client({ host: 'registry.example', endpoint: `http://${proxy.host}` }).repository('fleet/stopped');
      // WHEN
      const push = pushArtifact(repo, artifact('stopped'), ['latest']);
      // THEN
      await expect(push).rejects.toThrow(/^uploading blob sha256:[0-9a-f]{12} \(\d+ B\) of oci:\/\/registry\.example\/fleet\/stopped failed: cannot reach 127\.0\.0\.1:\d+ \(ECONNRESET\)/);
      await reg.start();
      expect(await skopeoTags(reg.host, 'fleet/stopped')).toStrictEqual([]);
    } finally {
      await proxy.stop();
      await reg.destroy();
    }
  }, 120_000);

  test('an unreachable registry fails with the host and the network error', async () => {
    // GIVEN
    const repo = client({ host: '127.0.0.1:9', retry: { retries: 1, baseDelayMs: 10 } }).repository('fleet/none');
    // THEN
    await expect(repo.tags()).rejects.toThrow(/^listing the tags of oci:\/\/127\.0\.0\.1:9\/fleet\/none failed: cannot reach 127\.0\.0\.1:9 \(ECONNREFUSED\) after 2 attempts$/);
  }, 120_000);
});

describe('registry client, authentication', () => {
  test('basic auth against the htpasswd registry', async () => {
    // GIVEN
    const a = artifact('basic');
    const repo = client({ host: basic.host, credentials: basicCredentials('bob', 'builder') }).repository('fleet/basic');
    // WHEN
    await pushArtifact(repo, a, ['latest']);
    // THEN
    expect(await skopeoTags(basic.host, 'fleet/basic', '--creds', 'bob:builder')).toStrictEqual(['latest']);
  }, 120_000);

  test('fails without credentials, or with wrong ones, saying to check them', async () => {
    // GIVEN
    const anonymous = client({ host: basic.host }).repository('fleet/basic');
    const wrong = client({ host: basic.host, credentials: basicCredentials('bob', 'wrong') }).repository('fleet/basic');
    // THEN
    await expect(anonymous.tags()).rejects.toThrow(new RegistryError(`listing the tags of oci://${basic.host}/fleet/basic failed: the registry answered 401 Unauthorized (UNAUTHORIZED: authentication required); check the credentials for ${basic.host} (docker login ${basic.host}, or the Docker config given)`));
    await expect(wrong.tags()).rejects.toThrow(/answered 401 Unauthorized .*check the credentials/);
  }, 120_000);

  test('credentials from a Docker config.json', async () => {
    // GIVEN
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ auths: { [`http://${basic.host}`]: { auth: Buffer.from('bob:builder').toString('base64') } } }));
    const repo = client({ host: basic.host, credentials: dockerConfigCredentials({ path: config }) }).repository('fleet/from-config');
    // WHEN
    await pushArtifact(repo, artifact('config'), ['latest']);
    // THEN
    expect(await skopeoTags(basic.host, 'fleet/from-config', '--creds', 'bob:builder')).toStrictEqual(['latest']);
  }, 120_000);

  test('the bearer challenge flow: a token per scope from the token service', async () => {
    // GIVEN
    tokens.requests.length = 0;
    const a = artifact('bearer');
    const c = client({ host: bearer.host, credentials: basicCredentials('alice', 'wonderland') });
    // WHEN
    await pushArtifact(c.repository('fleet/bearer'), a, ['latest']);
    const fetched = await fetchArtifact(c.repository('fleet/bearer'), 'latest');
    // THEN
    expect(fetched.digest).toBe(a.digest);
    expect(tokens.requests).toStrictEqual([
      { method: 'GET', user: 'alice', scopes: ['repository:fleet/bearer:pull,push'] },
      { method: 'GET', user: 'alice', scopes: ['repository:fleet/bearer:pull'] },
    ]);
  }, 120_000);

  test('an identity token from a Docker config is exchanged with the OAuth2 refresh-token grant', async () => {
    // GIVEN
    tokens.requests.length = 0;
    const config = join(dir, 'identity.json');
    writeFileSync(config, JSON.stringify({ auths: { [bearer.host]: { identitytoken: 'refresh-alice' } } }));
    const repo = client({ host: bearer.host, credentials: dockerConfigCredentials({ path: config }) }).repository('fleet/identity');
    // WHEN
    await pushArtifact(repo, artifact('identity'), ['latest']);
    // THEN
    expect(tokens.requests).toStrictEqual([{ method: 'POST', user: 'alice', scopes: ['repository:fleet/identity:pull,push'] }]);
  }, 120_000);

  test('fails when the token service refuses the credentials', async () => {
    // GIVEN
    const repo = client({ host: bearer.host, credentials: basicCredentials('alice', 'wrong') }).repository('fleet/bearer');
    // THEN
    await expect(repo.tags()).rejects.toThrow(new RegistryError(`listing the tags of oci://${bearer.host}/fleet/bearer: getting a token from ${tokens.realm} failed: it answered 401 Unauthorized; the token service refused the credentials for ${bearer.host}`));
  }, 120_000);
});
