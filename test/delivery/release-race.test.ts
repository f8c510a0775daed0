import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTENT, HOSTS, writeReleaseTree, type Region } from './release-tree.js';
import {
  candidateTag, Destinations, generateSigningKey, keySigner, LeaseError, leaseLocation, leaseTag, parseRevision, previousTag, promoteRelease,
  publicKeyPem, pushRelease, readLease,
} from '../../src/delivery/index.js';
import { sha256Digest } from '../../src/flux/artifact/index.js';
import { type ReleaseManifest } from '../../src/output/index.js';
import { skopeo, TestRegistry } from '../support/registry.js';

/**
 * Two promotions of one wave raced, again and again, against real registries (one per region): one wins, the other is
 * refused naming the holder, and the wave never ends split between the two revisions, nor with one promotion lost.
 */

const REVISIONS = {
  A: 'main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  B: 'main@sha1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  C: 'main@sha1:cccccccccccccccccccccccccccccccccccccccc',
} as const;
const TRIALS = 24;
const SETTLE_MS = 400;
const KEY = generateSigningKey();

let dir: string;
let registries: Record<Region, TestRegistry>;
let destinations: Destinations;
let release: ReleaseManifest;
/** Each wave-2 cluster's candidate digest, per revision. */
const candidates: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-race-'));
  const [eu, us, ap] = await Promise.all([TestRegistry.start(), TestRegistry.start(), TestRegistry.start()]);
  registries = { 'eu-west-1': eu, 'us-east-1': us, 'ap-southeast-1': ap };
  destinations = new Destinations({
    hostAliases: Object.fromEntries(Object.entries(HOSTS).map(([region, host]) => [host, registries[region as Region].host])),
    retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 },
  });
  // Three revisions, each of its own content, pushed and signed, holding every tag; wave 2 then promoted to A.
  for (const [name, revision] of Object.entries(REVISIONS)) {
    const tree = join(dir, name);
    release = writeReleaseTree(tree, {
      publicKey: publicKeyPem(KEY.publicKey),
      content: { ...DEFAULT_CONTENT, infra: { ...DEFAULT_CONTENT.infra, 'configs/revision.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: revision-${name.toLowerCase()}\n` } },
    });
    const pushed = await pushRelease(tree, release, {
      destinations,
      revision: parseRevision(revision),
      holdTags: true,
      signing: { options: { signer: keySigner(KEY) }, signer: { kind: 'key', publicKey: KEY.publicKey } },
    });
    expect(pushed.failed).toStrictEqual([]);
    candidates[name] = Object.fromEntries(pushed.clusters.map((c) => [c.artifact, c.digest]));
  }
}, 180_000);

afterAll(async () => {
  destinations?.close();
  await Promise.all(Object.values(registries ?? {}).map((r) => r.destroy()));
  rmSync(dir, { recursive: true, force: true });
});

const WAVE_2 = ['prod-ap-1', 'prod-us-1'];

/** What a tag of a wave-2 cluster holds, read by skopeo, as the revision whose candidate it is. */
async function revisionAt(cluster: string, tag: string): Promise<string | undefined> {
  const c = release.clusters.find((x) => x.name === cluster)!;
  const [host, ...path] = c.url.slice('oci://'.length).split('/');
  const region = (Object.keys(HOSTS) as Region[]).find((r) => HOSTS[r] === host)!;
  let digest: string;
  try {
    digest = sha256Digest(Buffer.from(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registries[region].host}/${path.join('/')}:${tag}`)));
  } catch {
    return undefined;
  }
  return Object.keys(candidates).find((name) => candidates[name][cluster] === digest) ?? digest;
}

/** Puts wave 2 back on revision A, as if A had been promoted over nothing. */
async function resetWave(): Promise<void> {
  for (const cluster of WAVE_2) {
    const c = release.clusters.find((x) => x.name === cluster)!;
    const repo = destinations.repository(c.url);
    const a = (await repo.fetchManifest(candidateTag(REVISIONS.A)))!;
    await repo.pushManifest(c.tag!, a.bytes, a.mediaType);
    await repo.pushManifest(previousTag(c.tag!), a.bytes, a.mediaType);
  }
}

describe('two promotions of one wave, raced', () => {
  test(`${TRIALS} races: one wins or they run one after the other, the other is refused naming the holder; never a split wave, never a lost promotion`, async () => {
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      // GIVEN wave 2 on A, and two promotions of it, to B and to C, started together or a little apart
      await resetWave();
      const delays = trial % 3 === 0 ? [0, 0] : [Math.floor(Math.random() * 250), Math.floor(Math.random() * 250)];
      const promote = async (name: 'B' | 'C', delay: number) => {
        await new Promise((r) => setTimeout(r, delay));
        return promoteRelease(release, REVISIONS[name], {
          destinations, environment: 'production', wave: 2, leaseOptions: { settleMs: SETTLE_MS, holder: `promotion to ${name}` },
        });
      };
      // WHEN
      const [b, c] = await Promise.allSettled([promote('B', delays[0]), promote('C', delays[1])]);
      // THEN
      const followed = await Promise.all(WAVE_2.map((x) => revisionAt(x, 'stable-wave-2')));
      const previous = await Promise.all(WAVE_2.map((x) => revisionAt(x, 'stable-wave-2-previous')));
      const won = [['B', b], ['C', c]].filter(([, r]) => (r as PromiseSettledResult<unknown>).status === 'fulfilled').map(([n]) => n as string);
      const refused = [b, c].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
      // every refusal is the lease's: naming the promotion that holds production (or, on a registry too slow for the
      // settle time, saying that it cannot be taken), before anything moved
      for (const e of refused) {
        expect(e).toBeInstanceOf(LeaseError);
        expect(e.message).toMatch(/^(production is held by promotion to [BC] \(promote production wave 2 to main@sha1:[bc]{40}\) since |cannot take the lease of production )/);
        if (e.message.startsWith('production is held by')) outcomes.push('refused naming the holder');
      }
      // never split: both clusters follow one revision
      expect(new Set(followed).size).toBe(1);
      if (won.length === 0) {
        // both refused (a registry too slow for the settle time): nothing moved
        expect([followed, previous]).toStrictEqual([['A', 'A'], ['A', 'A']]);
        outcomes.push('both refused');
      } else if (won.length === 1) {
        // the winner's revision is live, and it replaced A
        expect([followed, previous]).toStrictEqual([[won[0], won[0]], ['A', 'A']]);
        outcomes.push(`${won[0]} won`);
      } else {
        // both ran, one after the other: the second replaced the first, whose promotion is kept in -previous
        expect(won).toStrictEqual(['B', 'C']);
        const last = followed[0]!;
        const first = last === 'B' ? 'C' : 'B';
        expect([followed, previous]).toStrictEqual([[last, last], [first, first]]);
        outcomes.push(`${first} then ${last}`);
      }
      // the lease was released either way
      const lease = await readLease(destinations.store(leaseLocation(release, 'production')), leaseTag('production'));
      expect(lease?.state).toBe('released');
    }
    // both kinds of outcome were seen: real contention, and promotions one after the other
    expect(outcomes.filter((o) => o.endsWith('won')).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'refused naming the holder').length).toBeGreaterThan(0);
    console.log(`raced promotions: ${[...new Set(outcomes)].map((o) => `${o}: ${outcomes.filter((x) => x === o).length}`).join(', ')}`);
  }, 600_000);
});
