import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTENT, HOSTS, sealTree, writeReleaseTree, type Region } from './release-tree.js';
import {
  candidateTag, contentTag, Destinations, generateSigningKey, keySigner, parseRevision, promoteRelease, PromotionError, publicKeyPem, pushRelease,
  PushRefusedError, rollbackRelease, verifyRelease, type PushSigning,
} from '../../src/delivery/index.js';
import { sha256Digest } from '../../src/flux/artifact/index.js';
import { readReleaseManifest, type ReleaseManifest } from '../../src/output/index.js';
import { independentSigners } from '../support/independent-verify.js';
import { skopeo, TestRegistry } from '../support/registry.js';

const REV_A = 'main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const REV_B = 'main@sha1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const REV_C = 'main@sha1:cccccccccccccccccccccccccccccccccccccccc';
const REV_D = 'main@sha1:dddddddddddddddddddddddddddddddddddddddd';
const FAST = { retries: 1, baseDelayMs: 20, maxDelayMs: 50 };
const LEASE = { settleMs: 500 };
const SLOW = 180_000;
/** The fleet's key: every source of the test trees verifies it (Secret cosign-pub). */
const KEY = generateSigningKey();
const SIGNING: PushSigning = { options: { signer: keySigner(KEY) }, signer: { kind: 'key', publicKey: KEY.publicKey } };
/** A key no cluster verifies. */
const INTRUDER = generateSigningKey();

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

/** Deletes a manifest by digest through the registry API. */
async function deleteManifest(url: string, digest: string): Promise<number> {
  const [host, ...path] = local(url).split('/');
  return (await fetch(`http://${host}/v2/${path.join('/')}/manifests/${digest}`, { method: 'DELETE' })).status;
}

function keyTree(name: string, options: Parameters<typeof writeReleaseTree>[1] = {}): { tree: string; release: ReleaseManifest } {
  const tree = join(dir, name);
  return { tree, release: writeReleaseTree(tree, { publicKey: publicKeyPem(KEY.publicKey), ...options }) };
}

async function pushTree(tree: string, revision: string, options: Partial<Parameters<typeof pushRelease>[2]> = {}) {
  const release = await readReleaseManifest(tree);
  return pushRelease(tree, release, { destinations, revision: parseRevision(revision), source: 'https://github.com/acme/fleet', signing: SIGNING, leaseOptions: LEASE, ...options });
}

async function followed(release: ReleaseManifest): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(release.clusters.map(async (c) => [c.name, await digestOf(c.url, c.tag!)])));
}

describe('a release, from push to rollback, across three regions', () => {
  let treeA: string;
  let treeB: string;
  let treeC: string;
  let releaseA: ReleaseManifest;
  let releaseB: ReleaseManifest;
  let releaseC: ReleaseManifest;
  const candidates: Record<string, Record<string, string>> = {};
  /** Staging and wave 1 on revision B, the rest of production still on A. */
  function wave1OnB(): Record<string, string> {
    return {
      'prod-ap-1': candidates.a['prod-ap-1'],
      'prod-eu-1': candidates.b['prod-eu-1'],
      'prod-us-1': candidates.a['prod-us-1'],
      'stg-eu-1': candidates.b['stg-eu-1'],
      'stg-us-1': candidates.b['stg-us-1'],
    };
  }
  const promote = (release: ReleaseManifest, revision: string, wave: number) =>
    promoteRelease(release, revision, { destinations, environment: 'production', wave, leaseOptions: LEASE, dir: 'dist' });

  test('a push signs everything it pushed and moves staging only: components under content tags in each region, every cluster under its candidate', async () => {
    // GIVEN
    ({ tree: treeA, release: releaseA } = keyTree('a'));
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
    expect(report.signed.map((s) => s.outcome)).toStrictEqual(Array(10).fill('attached'));
    expect(report.unsigned).toStrictEqual([]);
    candidates.a = Object.fromEntries(report.clusters.map((c) => [c.artifact, c.digest]));
    // skopeo reads every component artifact back in every region it is used in, at the digest the clusters pin
    for (const a of releaseA.artifacts) {
      for (const t of a.targets) expect(await digestOf(t.url, contentTag(a.digest))).toBe(a.digest);
    }
    for (const c of releaseA.clusters) {
      expect(await digestOf(c.url, candidateTag(REV_A))).toBe(candidates.a[c.name]);
      expect(await digestOf(c.url, c.tag!)).toBe(c.environment === 'staging' ? candidates.a[c.name] : undefined);
      // openssl checks the signature each candidate carries
      expect(await independentSigners(destinations.repository(c.url), candidates.a[c.name], { keys: { fleet: KEY.publicKey } })).toStrictEqual(['key fleet']);
    }
  }, SLOW);

  test('promoting production wave by wave makes the first release live; verify-release then finds nothing dangling', async () => {
    // WHEN
    const wave1 = await promote(releaseA, REV_A, 1);
    const wave2 = await promote(releaseA, REV_A, 2);
    const verified = await verifyRelease(treeA, releaseA, { destinations, revision: REV_A });
    const live = await verifyRelease(treeA, releaseA, { destinations });
    // THEN
    expect(wave1.tags.map((t) => [t.cluster, t.tag, t.action])).toStrictEqual([['prod-eu-1', 'stable-wave-1', 'moved']]);
    expect(wave2.tags.map((t) => [t.cluster, t.tag, t.action])).toStrictEqual([['prod-ap-1', 'stable-wave-2', 'moved'], ['prod-us-1', 'stable-wave-2', 'moved']]);
    expect(verified.dangling).toStrictEqual([]);
    // the five candidates and staging's two followed tags, and the components each pins (infra in three regions,
    // web-shop in two)
    expect(verified.checked).toBe(7 + 5);
    expect(live.dangling).toStrictEqual([]);
  }, SLOW);

  test('a push of the next revision moves staging, and production\'s tags are untouched', async () => {
    // GIVEN a change to web-shop, synthesized again
    ({ tree: treeB, release: releaseB } = keyTree('b', {
      content: {
        'infra': DEFAULT_CONTENT.infra,
        'web-shop': { 'deploy/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n' },
      },
    }));
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
    // infra was signed by the push of A: the bundle found is kept, in every region
    expect(report.signed.filter((s) => s.location.includes('/fleet/infra@')).map((s) => s.outcome)).toStrictEqual(['existing', 'existing', 'existing']);
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
    const report = await promote(releaseB, REV_B, 1);
    // THEN
    expect(report.tags.map((t) => [t.cluster, t.action])).toStrictEqual([['prod-eu-1', 'moved']]);
    expect(await followed(releaseB)).toStrictEqual(wave1OnB());
    expect(await digestOf(releaseB.clusters[1].url, 'stable-wave-1-previous')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('fails to roll back to a release that no longer resolves in the cluster\'s region, moving nothing; pushing that revision again holding the tags restores it', async () => {
    // GIVEN revision A's web-shop lost from Europe's registry
    const webShopA = releaseA.artifacts.find((a) => a.name === 'web-shop')!;
    const eu = webShopA.targets.find((t) => t.region === 'eu-west-1')!;
    expect(await deleteManifest(eu.url, webShopA.digest)).toBe(202);
    // WHEN
    const refused = await rollbackRelease(releaseB, { destinations, environment: 'production', wave: 1, leaseOptions: LEASE }).catch((e: Error) => e);
    const wave1 = await digestOf(releaseB.clusters[1].url, 'stable-wave-1');
    const restored = await pushTree(treeA, REV_A, { holdTags: true });
    // THEN
    expect(refused).toBeInstanceOf(PromotionError);
    expect((refused as PromotionError).problems).toStrictEqual([
      `prod-eu-1 OCIRepository/flux-system/web-shop: ${eu.url} digest ${webShopA.digest}: the pinned digest is not there`,
      `to restore what revision ${REV_A} pins, push it again from its own tree, holding every followed tag: flux-fleet push <that tree> --registry --revision ${REV_A} --hold-tags; then roll back again`,
    ]);
    expect(wave1).toBe(candidates.b['prod-eu-1']);
    expect(restored.failed).toStrictEqual([]);
    expect(await digestOf(eu.url, contentTag(webShopA.digest))).toBe(webShopA.digest);
    // nothing else moved: staging stays on B
    expect(await followed(releaseB)).toStrictEqual(wave1OnB());
  }, SLOW);

  test('rolling wave 1 back restores the previous digests in one step; a second rollback changes nothing', async () => {
    // WHEN
    const first = await rollbackRelease(releaseB, { destinations, environment: 'production', wave: 1, leaseOptions: LEASE });
    const second = await rollbackRelease(releaseB, { destinations, environment: 'production', wave: 1, leaseOptions: LEASE });
    // THEN
    expect(first.tags.map((t) => [t.cluster, t.action, t.digest])).toStrictEqual([['prod-eu-1', 'moved', candidates.a['prod-eu-1']]]);
    expect(second.tags.map((t) => [t.cluster, t.action])).toStrictEqual([['prod-eu-1', 'unchanged']]);
    expect(await digestOf(releaseB.clusters[1].url, 'stable-wave-1')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('fails to move staging back to a revision it moved past, moving nothing, unless asked to', async () => {
    // WHEN revision A is pushed again without holding the tags, while staging runs B
    const refused = await pushTree(treeA, REV_A).catch((e: Error) => e);
    const after = await followed(releaseA);
    // THEN
    expect(refused).toBeInstanceOf(PushRefusedError);
    expect((refused as PushRefusedError).problems).toStrictEqual([
      expect.stringMatching(new RegExp(`^staging moved past revision ${REV_A} to ${REV_B} \\(push, \\d{4}-\\d\\d-\\d\\dT[^)]+\\); pushing it would roll staging back\\. `
        + `To restore its candidates alone: flux-fleet push <dir> --registry --revision ${REV_A} --hold-tags; to roll staging back on purpose, add --allow-older$`)),
    ]);
    expect([after['stg-eu-1'], after['stg-us-1']]).toStrictEqual([candidates.b['stg-eu-1'], candidates.b['stg-us-1']]);
  }, SLOW);

  test('fails to promote a wave when a cluster lacks the candidate, moving nothing; the push it advises restores the candidate and moves no other tag', async () => {
    // GIVEN revision C pushed holding every tag, then prod-us-1's candidate lost
    ({ tree: treeC, release: releaseC } = keyTree('c', { content: { ...DEFAULT_CONTENT, infra: { ...DEFAULT_CONTENT.infra, 'configs/extra.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n' } } }));
    const pushed = await pushTree(treeC, REV_C, { holdTags: true });
    candidates.c = Object.fromEntries(pushed.clusters.map((c) => [c.artifact, c.digest]));
    const prodUs = releaseC.clusters.find((c) => c.name === 'prod-us-1')!;
    expect(await deleteManifest(prodUs.url, candidates.c['prod-us-1'])).toBe(202);
    // WHEN
    const refused = await promote(releaseC, REV_C, 2).catch((e: Error) => e);
    const before = await followed(releaseC);
    const advised = (refused as PromotionError).problems[0].replace(/^.*; push that revision first, holding every followed tag: /, '');
    const restored = await pushTree(treeC, REV_C, { holdTags: true });
    const after = await followed(releaseC);
    const promoted = await promote(releaseC, REV_C, 2);
    // THEN
    expect((refused as PromotionError).problems).toStrictEqual([
      `prod-us-1: ${prodUs.url} (us-east-1) has no candidate ${candidateTag(REV_C)} (revision ${REV_C}); push that revision first, holding every followed tag: flux-fleet push dist --registry --revision ${REV_C} --hold-tags`,
    ]);
    expect(advised).toBe(`flux-fleet push dist --registry --revision ${REV_C} --hold-tags`);
    expect(restored.followed.map((f) => f.action)).toStrictEqual(Array(5).fill('held'));
    expect(after).toStrictEqual(before);
    expect(after['stg-eu-1']).toBe(candidates.b['stg-eu-1']);
    expect(promoted.tags.map((t) => [t.cluster, t.action, t.digest])).toStrictEqual([
      ['prod-ap-1', 'moved', candidates.c['prod-ap-1']],
      ['prod-us-1', 'moved', candidates.c['prod-us-1']],
    ]);
  }, SLOW);

  test('fails to promote a candidate its cluster would refuse: signed by a key no cluster verifies, naming the cluster, the digest, the key expected and the one found', async () => {
    // GIVEN revision D pushed and signed with another key
    const { tree } = keyTree('d', { content: { ...DEFAULT_CONTENT, 'web-shop': { 'deploy/kustomization.yaml': 'resources: []\n' } } });
    const intruder: PushSigning = { options: { signer: keySigner(INTRUDER) }, signer: { kind: 'key', publicKey: INTRUDER.publicKey } };
    // the intruder's key signs nothing here: no cluster accepts it
    const pushed = await pushTree(tree, REV_D, { holdTags: true, signing: intruder });
    // WHEN
    const refused = await promote(releaseC, REV_D, 1).catch((e: Error) => e);
    // THEN
    expect(pushed.signed).toStrictEqual([]);
    expect(pushed.unsigned).toHaveLength(10);
    expect(refused).toBeInstanceOf(PromotionError);
    const candidate = pushed.clusters.find((c) => c.artifact === 'prod-eu-1')!.digest;
    expect((refused as PromotionError).problems.find((p) => p.startsWith('prod-eu-1 config:'))).toMatch(new RegExp(`^prod-eu-1 config: ${releaseC.clusters[1].url.replace(/[.]/g, '\\.')} digest ${candidate}: the cluster accepts the key in Secret flux-system/cosign-pub \\(hint [^)]+\\); found no signature it reads\\n`));
    expect(await digestOf(releaseC.clusters[1].url, 'stable-wave-1')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('fails when a candidate names another revision than its tag, moving nothing', async () => {
    // GIVEN revision A's config of prod-eu-1 put under another revision's candidate tag
    const other = 'main@sha1:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    const prodEu = releaseB.clusters.find((c) => c.name === 'prod-eu-1')!;
    const repo = destinations.repository(prodEu.url);
    const a = (await repo.fetchManifest(candidateTag(REV_A)))!;
    await repo.pushManifest(candidateTag(other), a.bytes, a.mediaType);
    // WHEN
    const attempt = promote(releaseB, other, 1);
    // THEN
    await expect(attempt).rejects.toThrow(`prod-eu-1: ${prodEu.url}:${candidateTag(other)} says it is revision ${REV_A}, not ${'e'.repeat(40)}`);
    expect(await digestOf(prodEu.url, 'stable-wave-1')).toBe(candidates.a['prod-eu-1']);
  }, SLOW);

  test('fails when a wave was never promoted over another digest: there is nothing to roll back to', async () => {
    // WHEN
    const attempt = rollbackRelease(releaseB, { destinations, environment: 'staging', leaseOptions: LEASE });
    // THEN
    await expect(attempt).rejects.toThrow(/stg-eu-1: .* has no latest-previous, so there is nothing to roll back to/);
  }, SLOW);

  test('verify-release fails naming each dangling reference when an artifact is deleted from one region', async () => {
    // GIVEN infra of C deleted from the Asian region's registry
    const infra = releaseC.artifacts.find((a) => a.name === 'infra')!;
    expect(await deleteManifest(`oci://${HOSTS['ap-southeast-1']}/fleet/infra`, infra.digest)).toBe(202);
    // WHEN
    const report = await verifyRelease(treeC, releaseC, { destinations, revision: REV_C });
    // THEN
    expect(report.dangling).toStrictEqual([{
      cluster: 'prod-ap-1',
      source: 'OCIRepository/flux-system/infra',
      url: `oci://${HOSTS['ap-southeast-1']}/fleet/infra`,
      ref: `digest ${infra.digest}`,
      missing: 'the pinned digest is not there',
    }]);
  }, SLOW);
  test('runs the gate after the lease is taken and before each move: refusing before the first moves nothing, refusing before a move stops there', async () => {
    // GIVEN
    const seen: string[] = [];
    const gated = (gate: Parameters<typeof promoteRelease>[2]['gate']) =>
      promoteRelease(releaseB, REV_B, { destinations, environment: 'production', wave: 1, leaseOptions: LEASE, gate });
    // WHEN
    const before = await gated(async () => {
      throw new Error('wave 2 is not healthy');
    }).catch((e: Error) => e);
    const during = await gated(async (c) => {
      if (c.phase === 'before-move') throw new Error('prod-eu-1 stopped reporting');
    }).catch((e: Error) => e);
    const afterRefusals = await digestOf(releaseB.clusters[1].url, 'stable-wave-1');
    const passed = await gated(async (c) => {
      seen.push(c.phase === 'before-moves' ? `before-moves ${c.moves.map((m) => m.cluster).join(',')}` : `before-move ${c.move.cluster} ${c.move.digest === candidates.b['prod-eu-1']}`);
    });
    // THEN
    expect((before as PromotionError).problems).toStrictEqual(['the gate refused: wave 2 is not healthy']);
    expect((during as Error).message).toBe([
      'the promotion of production wave 1 stopped:',
      '  prod-eu-1: prod-eu-1 stopped reporting',
      'moved: nothing',
      `not moved: ${releaseB.clusters[1].url}:stable-wave-1`,
      'run the promotion again to finish: it checks every target and tag again',
    ].join('\n'));
    expect(afterRefusals).toBe(candidates.a['prod-eu-1']);
    expect(seen).toStrictEqual(['before-moves prod-eu-1', 'before-move prod-eu-1 true']);
    expect(passed.tags.map((t) => [t.cluster, t.action])).toStrictEqual([['prod-eu-1', 'moved']]);
  }, SLOW);

  test('moves staging back to a revision it moved past when asked to (allowOlder)', async () => {
    // WHEN
    const report = await pushTree(treeA, REV_A, { allowOlder: true });
    // THEN
    expect(report.followed.filter((f) => f.environment === 'staging').map((f) => [f.cluster, f.action, f.digest])).toStrictEqual([
      ['stg-eu-1', 'moved', candidates.a['stg-eu-1']],
      ['stg-us-1', 'moved', candidates.a['stg-us-1']],
    ]);
  }, SLOW);
});

describe('candidates', () => {
  test('fails to point an existing candidate at another digest, naming both and pushing nothing; --replace-candidate replaces it, saying so', async () => {
    // GIVEN revision A of one tree pushed, and another tree claiming the same revision
    const first = keyTree('same-a', { prefix: 'imm' });
    const second = keyTree('same-b', { prefix: 'imm', content: { ...DEFAULT_CONTENT, 'web-shop': { 'deploy/kustomization.yaml': 'resources: []\n' } } });
    const pushed = await pushTree(first.tree, REV_A, { holdTags: true });
    const was = pushed.clusters.find((c) => c.artifact === 'prod-us-1')!.digest;
    // WHEN
    const refused = await pushTree(second.tree, REV_A, { holdTags: true }).catch((e: Error) => e);
    const kept = await digestOf(second.release.clusters[2].url, candidateTag(REV_A));
    const webShopNew = second.release.artifacts.find((a) => a.name === 'web-shop')!;
    const uploaded = await digestOf(webShopNew.targets[0].url, contentTag(webShopNew.digest));
    const replaced = await pushTree(second.tree, REV_A, { holdTags: true, replaceCandidate: true });
    // THEN
    expect(refused).toBeInstanceOf(PushRefusedError);
    const now = replaced.clusters.find((c) => c.artifact === 'prod-us-1')!.digest;
    expect((refused as PushRefusedError).problems).toContain(`prod-us-1: oci://${HOSTS['us-east-1']}/imm/clusters/prod-us-1:${candidateTag(REV_A)} is ${was}; this tree would make it ${now}`);
    expect(kept).toBe(was);
    expect(uploaded).toBeUndefined();
    expect(replaced.replaced).toContain(`oci://${HOSTS['us-east-1']}/imm/clusters/prod-us-1:${candidateTag(REV_A)} (was ${was}, now ${now})`);
    expect(await digestOf(second.release.clusters[2].url, candidateTag(REV_A))).toBe(now);
  }, SLOW);
});

describe('push refusals', () => {
  test('fails when one region\'s registry cannot be reached: no candidate and no followed tag moves anywhere', async () => {
    // GIVEN the Asian region's registry unreachable
    const { tree, release } = keyTree('down', { prefix: 'down' });
    const partial = new Destinations({
      hostAliases: { [HOSTS['eu-west-1']]: registries['eu-west-1'].host, [HOSTS['us-east-1']]: registries['us-east-1'].host, [HOSTS['ap-southeast-1']]: '127.0.0.1:9' },
      retry: { retries: 0 },
    });
    // WHEN
    const attempt = await pushRelease(tree, release, { destinations: partial, revision: parseRevision(REV_A) })
      .catch((e: Error) => e).finally(() => partial.close());
    // THEN the candidates are checked first, so the unreachable region stops the push before anything is sent
    expect((attempt as Error).message).toBe(`reading the manifest of oci://${HOSTS['ap-southeast-1']}/down/clusters/prod-ap-1:${candidateTag(REV_A)} failed: cannot reach 127.0.0.1:9 (ECONNREFUSED)`);
    for (const c of release.clusters.filter((x) => x.region !== 'ap-southeast-1')) {
      expect([await digestOf(c.url, candidateTag(REV_A)), await digestOf(c.url, c.tag!)]).toStrictEqual([undefined, undefined]);
    }
  }, SLOW);

  test('fails when an artifact folder changed since synth, pushing nothing', async () => {
    // GIVEN
    const { tree, release } = keyTree('changed', { prefix: 'changed' });
    writeFileSync(join(tree, 'artifacts/infra/configs/issuer.yaml'), 'changed: true\n');
    // WHEN
    const attempt = pushRelease(tree, release, { destinations, revision: parseRevision(REV_C) });
    // THEN
    await expect(attempt).rejects.toThrow(/artifact infra: artifacts\/infra packs to sha256:[0-9a-f]{12}, but release\.json \(and the clusters' pins\) say sha256:[0-9a-f]{12}; the folder changed since synth/);
    expect(await digestOf(release.clusters[0].url, candidateTag(REV_C))).toBe(undefined);
  }, SLOW);

  test('fails when release.json names an unsupported version or a bad field', async () => {
    // GIVEN
    const { tree } = keyTree('bad');
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
