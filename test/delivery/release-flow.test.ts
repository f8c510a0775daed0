import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachReferrer, DEFAULT_CONTENT, HOSTS, sealTree, writeReleaseTree, type Region } from './release-tree.js';
import {
  candidateTag, contentTag, Destinations, parseRevision, promoteRelease, PromotionError, pushRelease, readReleaseManifest, rollbackRelease,
  verifyRelease, type PushedTarget, type ReleaseManifest,
} from '../../src/index.js';
import { sha256Digest } from '../../src/index.js';
import { skopeo, TestRegistry } from '../support/registry.js';

const REV_A = 'main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const REV_B = 'main@sha1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const REV_C = 'main@sha1:cccccccccccccccccccccccccccccccccccccccc';
const REV_D = 'main@sha1:dddddddddddddddddddddddddddddddddddddddd';
const FAST = { retries: 1, baseDelayMs: 20, maxDelayMs: 50 };
const SLOW = 180_000;

let dir: string;
let registries: Record<Region, TestRegistry>;
let destinations: Destinations;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-release-'));
  const [eu, us, ap] = await Promise.all([TestRegistry.start(), TestRegistry.start(), TestRegistry.start()]);
  registries = { 'eu-west-1': eu, 'us-east-1': us, 'ap-southeast-1': ap };
  destinations = new Destinations({
    hostAliases: Object.fromEntries(Object.entries(HOSTS).map(([region, host]) => [host, registries[region as Region].host])),
    retry: FAST,
  });
}, 60_000);

afterAll(async () => {
  destinations?.close();
  await Promise.all(Object.values(registries ?? {}).map((r) => r.destroy()));
  rmSync(dir, { recursive: true, force: true });
});

/** `127.0.0.1:<port>/<repository>` of an `oci://` URL of the tree. */
function local(url: string): string {
  const [host, ...rest] = url.slice('oci://'.length).split('/');
  const region = (Object.keys(HOSTS) as Region[]).find((r) => HOSTS[r] === host)!;
  return `${registries[region].host}/${rest.join('/')}`;
}

/** The digest a tag holds, read by skopeo (not by the client under test); undefined when the tag does not exist. */
async function digestOf(url: string, tag: string): Promise<string | undefined> {
  try {
    return sha256Digest(Buffer.from(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${local(url)}:${tag}`)));
  } catch {
    return undefined;
  }
}

/** Signs as the CI signing step would: a sigstore bundle referrer on each pushed digest. */
async function sign(pushed: readonly PushedTarget[]): Promise<void> {
  for (const p of pushed) {
    const repo = destinations.repository(p.url);
    const m = (await repo.fetchManifest(p.digest))!;
    await attachReferrer(repo, { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length });
  }
}

async function pushTree(tree: string, revision: string) {
  const release = await readReleaseManifest(tree);
  return pushRelease(tree, release, { destinations, revision: parseRevision(revision), source: 'https://github.com/acme/fleet', beforeTagsMove: sign });
}

describe('a release, from push to rollback, across three regions', () => {
  let treeA: string;
  let treeB: string;
  let releaseA: ReleaseManifest;
  let releaseB: ReleaseManifest;
  const candidates: Record<string, Record<string, string>> = {};

  test('a push moves staging only: components under content tags in each region that uses them, every cluster under its candidate', async () => {
    // GIVEN
    treeA = join(dir, 'a');
    releaseA = writeReleaseTree(treeA);
    // WHEN
    const report = await pushTree(treeA, REV_A);
    // THEN
    expect(report.failed).toStrictEqual([]);
    expect(report.candidate).toBe('rev-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(report.components.map((c) => [c.artifact, c.region, c.tags[0].slice(0, 8)])).toStrictEqual([
      ['infra', 'ap-southeast-1', 'content-'],
      ['infra', 'eu-west-1', 'content-'],
      ['infra', 'us-east-1', 'content-'],
      ['web-shop', 'eu-west-1', 'content-'],
      ['web-shop', 'us-east-1', 'content-'],
    ]);
    expect(report.followed.map((f) => [f.cluster, f.tag, f.action])).toStrictEqual([
      ['prod-ap-1', 'stable-wave-2', 'held'],
      ['prod-eu-1', 'stable-wave-1', 'held'],
      ['prod-us-1', 'stable-wave-2', 'held'],
      ['stg-eu-1', 'latest', 'moved'],
      ['stg-us-1', 'latest', 'moved'],
    ]);
    candidates.a = Object.fromEntries(report.clusters.map((c) => [c.artifact, c.digest]));
    // skopeo reads every component artifact back in every region it is used in, at the digest the clusters pin
    for (const a of releaseA.artifacts) {
      for (const t of a.targets) expect(await digestOf(t.url, contentTag(a.digest))).toBe(a.digest);
    }
    for (const c of releaseA.clusters) {
      expect(await digestOf(c.url, candidateTag(REV_A))).toBe(candidates.a[c.name]);
      expect(await digestOf(c.url, c.tag!)).toBe(c.environment === 'staging' ? candidates.a[c.name] : undefined);
    }
  }, SLOW);

  test('promoting production wave by wave makes the first release live; verify-release then finds nothing dangling', async () => {
    // WHEN
    const wave1 = await promoteRelease(releaseA, REV_A, { destinations, environment: 'production', wave: 1 });
    const wave2 = await promoteRelease(releaseA, REV_A, { destinations, environment: 'production', wave: 2 });
    const verified = await verifyRelease(treeA, releaseA, { destinations, revision: REV_A });
    // THEN
    expect(wave1.tags.map((t) => [t.cluster, t.tag, t.action])).toStrictEqual([['prod-eu-1', 'stable-wave-1', 'moved']]);
    expect(wave2.tags.map((t) => [t.cluster, t.tag, t.action])).toStrictEqual([['prod-ap-1', 'stable-wave-2', 'moved'], ['prod-us-1', 'stable-wave-2', 'moved']]);
    expect(verified.dangling).toStrictEqual([]);
    expect(verified.sources.length).toBe(13);
  }, SLOW);

  test('a push of the next revision moves staging, and production\'s tags are untouched', async () => {
    // GIVEN a change to web-shop, synthesized again
    treeB = join(dir, 'b');
    releaseB = writeReleaseTree(treeB, {
      content: {
        'infra': DEFAULT_CONTENT.infra,
        'web-shop': { 'deploy/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n' },
      },
    });
    // WHEN
    const report = await pushTree(treeB, REV_B);
    // THEN
    expect(report.failed).toStrictEqual([]);
    candidates.b = Object.fromEntries(report.clusters.map((c) => [c.artifact, c.digest]));
    expect(report.components.map((c) => [c.artifact, c.region, c.uploaded, c.existing])).toStrictEqual([
      ['infra', 'ap-southeast-1', 0, 2],
      ['infra', 'eu-west-1', 0, 2],
      ['infra', 'us-east-1', 0, 2],
      ['web-shop', 'eu-west-1', 2, 0],
      ['web-shop', 'us-east-1', 2, 0],
    ]);
    for (const c of releaseB.clusters) {
      expect(await digestOf(c.url, c.tag!)).toBe(c.environment === 'staging' ? candidates.b[c.name] : candidates.a[c.name]);
    }
  }, SLOW);

  test('a dry run of promoting wave 1 says what would move, and moves nothing', async () => {
    // WHEN
    const report = await promoteRelease(releaseB, REV_B, { destinations, environment: 'production', wave: 1, dryRun: true });
    // THEN
    expect(report.moving).toBe(1);
    expect(report.tags.map((t) => [t.cluster, t.action, t.digest, t.previous])).toStrictEqual([['prod-eu-1', 'would-move', candidates.b['prod-eu-1'], candidates.a['prod-eu-1']]]);
    expect(await digestOf(releaseB.clusters[1].url, 'stable-wave-1')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('promoting wave 1 moves exactly wave 1\'s clusters and records the previous digest', async () => {
    // WHEN
    const report = await promoteRelease(releaseB, REV_B, { destinations, environment: 'production', wave: 1 });
    // THEN
    expect(report.tags.map((t) => [t.cluster, t.action])).toStrictEqual([['prod-eu-1', 'moved']]);
    const tags = Object.fromEntries(await Promise.all(releaseB.clusters.map(async (c) => [c.name, await digestOf(c.url, c.tag!)])));
    expect(tags).toStrictEqual({
      'prod-ap-1': candidates.a['prod-ap-1'],
      'prod-eu-1': candidates.b['prod-eu-1'],
      'prod-us-1': candidates.a['prod-us-1'],
      'stg-eu-1': candidates.b['stg-eu-1'],
      'stg-us-1': candidates.b['stg-us-1'],
    });
    expect(await digestOf(releaseB.clusters[1].url, 'stable-wave-1-previous')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('rolling wave 1 back restores the previous digests in one step; a second rollback changes nothing', async () => {
    // WHEN
    const first = await rollbackRelease(releaseB, { destinations, environment: 'production', wave: 1 });
    const second = await rollbackRelease(releaseB, { destinations, environment: 'production', wave: 1 });
    // THEN
    expect(first.tags.map((t) => [t.cluster, t.action, t.digest])).toStrictEqual([['prod-eu-1', 'moved', candidates.a['prod-eu-1']]]);
    expect(second.tags.map((t) => [t.cluster, t.action])).toStrictEqual([['prod-eu-1', 'unchanged']]);
    expect(await digestOf(releaseB.clusters[1].url, 'stable-wave-1')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('fails when a cluster of the wave lacks the candidate, moving nothing', async () => {
    // WHEN
    const attempt = promoteRelease(releaseB, REV_C, { destinations, environment: 'production', wave: 2 });
    // THEN
    await expect(attempt).rejects.toThrow(PromotionError);
    await expect(attempt).rejects.toThrow(/prod-ap-1: oci:\/\/registry\.ap-southeast-1\.acme\.example\/fleet\/clusters\/prod-ap-1 \(ap-southeast-1\) has no candidate rev-c{40}/);
    expect(await digestOf(releaseB.clusters[0].url, 'stable-wave-2')).toBe(candidates.a['prod-ap-1']);
  }, SLOW);

  test('fails when a candidate names another revision than its tag, moving nothing', async () => {
    // GIVEN revision A's config of prod-eu-1 put under revision D's candidate tag
    const prodEu = releaseB.clusters.find((c) => c.name === 'prod-eu-1')!;
    const repo = destinations.repository(prodEu.url);
    const a = (await repo.fetchManifest(candidateTag(REV_A)))!;
    await repo.pushManifest(candidateTag(REV_D), a.bytes, a.mediaType);
    // WHEN
    const attempt = promoteRelease(releaseB, REV_D, { destinations, environment: 'production', wave: 1 });
    // THEN
    await expect(attempt).rejects.toThrow(`prod-eu-1: ${prodEu.url}:${candidateTag(REV_D)} says it is revision ${REV_A}, not ${'d'.repeat(40)}; push the revision again`);
    expect(await digestOf(prodEu.url, 'stable-wave-1')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('fails when a wave was never promoted over another digest: there is nothing to roll back to', async () => {
    // WHEN
    const attempt = rollbackRelease(releaseB, { destinations, environment: 'production', wave: 2 });
    // THEN
    await expect(attempt).rejects.toThrow(/prod-ap-1: .* has no stable-wave-2-previous, so there is nothing to roll back to/);
  }, SLOW);

  test('verify-release fails naming each dangling reference when an artifact is deleted from one region', async () => {
    // GIVEN infra deleted from the Asian region's registry
    const infra = releaseB.artifacts.find((a) => a.name === 'infra')!;
    const ap = registries['ap-southeast-1'];
    const res = await fetch(`http://${ap.host}/v2/fleet/infra/manifests/${infra.digest}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    // WHEN
    const report = await verifyRelease(treeB, releaseB, { destinations, revision: REV_C });
    // THEN
    expect(report.dangling.filter((d) => d.source.startsWith('OCIRepository/'))).toStrictEqual([{
      cluster: 'prod-ap-1',
      source: 'OCIRepository/flux-system/infra',
      url: `oci://${HOSTS['ap-southeast-1']}/fleet/infra`,
      ref: `digest ${infra.digest}`,
      missing: 'the pinned digest is not there',
    }]);
    expect(report.dangling.filter((d) => d.source === 'config').map((d) => [d.cluster, d.missing])).toStrictEqual(
      releaseB.clusters.map((c) => [c.name, `the tag ${candidateTag(REV_C)} does not exist`]),
    );
  }, SLOW);
});

describe('push refusals', () => {
  test('fails when one region\'s registry cannot be reached: no candidate and no followed tag moves anywhere', async () => {
    // GIVEN the Asian region's registry unreachable
    const tree = join(dir, 'down');
    const release = writeReleaseTree(tree, { prefix: 'down' });
    const partial = new Destinations({
      hostAliases: { [HOSTS['eu-west-1']]: registries['eu-west-1'].host, [HOSTS['us-east-1']]: registries['us-east-1'].host, [HOSTS['ap-southeast-1']]: '127.0.0.1:9' },
      retry: { retries: 0 },
    });
    // WHEN
    const report = await pushRelease(tree, release, { destinations: partial, revision: parseRevision(REV_A) }).finally(() => partial.close());
    // THEN
    const infra = release.artifacts.find((a) => a.name === 'infra')!;
    expect(report.failed.map((f) => [f.artifact, f.error.message])).toStrictEqual([
      ['infra', `reading the manifest of oci://${HOSTS['ap-southeast-1']}/down/infra:${contentTag(infra.digest)} failed: cannot reach 127.0.0.1:9 (ECONNREFUSED)`],
      ...release.clusters.map((c) => [c.name, 'not pushed: a component artifact it uses failed to push']),
    ]);
    expect(report.followed).toStrictEqual([]);
    for (const c of release.clusters.filter((x) => x.region !== 'ap-southeast-1')) {
      expect([await digestOf(c.url, candidateTag(REV_A)), await digestOf(c.url, c.tag!)]).toStrictEqual([undefined, undefined]);
    }
  }, SLOW);

  test('fails when an artifact folder changed since synth, pushing nothing', async () => {
    // GIVEN
    const tree = join(dir, 'changed');
    const release = writeReleaseTree(tree);
    writeFileSync(join(tree, 'artifacts/infra/configs/issuer.yaml'), 'changed: true\n');
    // WHEN
    const attempt = pushRelease(tree, release, { destinations, revision: parseRevision(REV_C) });
    // THEN
    await expect(attempt).rejects.toThrow(/artifact infra: artifacts\/infra packs to sha256:[0-9a-f]{12}, but release\.json \(and the clusters' pins\) say sha256:[0-9a-f]{12}; the folder changed since synth/);
    expect(await digestOf(release.clusters[0].url, candidateTag(REV_C))).toBeUndefined();
  }, SLOW);

  test('fails when release.json names an unsupported version or a bad field', async () => {
    // GIVEN
    const tree = join(dir, 'bad');
    writeReleaseTree(tree);
    writeFileSync(join(tree, 'release.json'), JSON.stringify({ version: 1, environments: [], clusters: [{ name: 'x', environment: 'qa', region: 'r', url: 'https://x', tag: 't' }], artifacts: [], external: [] }));
    sealTree(tree);
    // WHEN / THEN
    await expect(readReleaseManifest(tree)).rejects.toThrow(
      `${join(tree, 'release.json')}: clusters[0].url must be a string starting with "oci://", oci://<host>/<repository> without tag or digest, not "https://x"; synthesize the fleet again with this version of flux-fleet`);
    writeFileSync(join(tree, 'release.json'), JSON.stringify({ version: 2, environments: [], clusters: [], artifacts: [], external: [] }));
    sealTree(tree);
    await expect(readReleaseManifest(tree)).rejects.toThrow(`${join(tree, 'release.json')}: version`);
  });
});
