import { basicCredentials, Destinations, mirrorRelease, referrersFallbackTag } from '../../src/delivery/index.js';
import { type ReleaseManifest } from '../../src/output/index.js';
import {
  DUPLICATE_CHILDREN, HOSTILE_CREDENTIALS, HostileRegistry, HUGE_TAG_PAGE, MANY_LAYERS, MANY_REFERRERS, type HostileAttack, type HostileOptions,
} from '../support/hostile-registry.js';
import { skopeo, TestRegistry } from '../support/registry.js';

/**
 * Mirror is bounded like pull, against a hostile upstream and a real registry as the copy: signature artifacts past
 * their size limit, layer lists and referrer lists past their count limit are refused before anything of the artifact
 * is copied; a 150,000-tag page is read without blowing the stack; an index listing one child 25,000 times copies it
 * once.
 */

const SLOW = 180_000;
let dest: TestRegistry;
const started: HostileRegistry[] = [];
const opened: Destinations[] = [];

beforeAll(async () => {
  dest = await TestRegistry.start();
}, 60_000);

afterAll(async () => {
  opened.forEach((d) => d.close());
  await Promise.all([dest.destroy(), ...started.map((r) => r.stop())]);
});

async function hostile(attack: HostileAttack, options: HostileOptions = {}): Promise<HostileRegistry> {
  const r = await HostileRegistry.start(attack, options);
  started.push(r);
  return r;
}

/** A release whose one external artifact is the hostile registry's, mirrored into the real registry. */
function releaseOf(r: HostileRegistry, repository: string, ref: { tag: string } | { semver: string } = { tag: 'v1' }): ReleaseManifest {
  return {
    version: 1,
    environments: [{ name: 'staging', channel: { kind: 'tag', value: 'latest' }, production: false, deployOnPush: true }],
    clusters: [],
    artifacts: [],
    external: [{
      kind: 'artifact',
      component: 'app',
      upstream: `oci://${r.host}/hostile/app`,
      mirror: true,
      verify: true,
      targets: [{ region: 'eu-west-1', url: `oci://${dest.host}/${repository}`, ref, clusters: ['stg-eu-1'] }],
    }],
  };
}

function destinations(): Destinations {
  const d = new Destinations({ credentials: basicCredentials(HOSTILE_CREDENTIALS.username, HOSTILE_CREDENTIALS.password), retry: { retries: 0 } });
  opened.push(d);
  return d;
}

/** The repositories of the real registry that start with `prefix`: none, when nothing was copied there. */
async function copied(prefix: string): Promise<string[]> {
  const res = await fetch(`http://${dest.host}/v2/_catalog`);
  return ((await res.json()) as { repositories: string[] }).repositories.filter((r) => r.startsWith(prefix));
}

describe('mirror, bounded like pull', () => {
  test('fails when a signature layer is 1 GiB, reading not a byte of it and copying nothing of the artifact', async () => {
    // GIVEN
    const r = await hostile('huge-signature-layer');
    // WHEN
    const report = await mirrorRelease(releaseOf(r, 'huge-sig/app'), { destinations: destinations() });
    // THEN
    expect(report.failed.map((f) => f.error.message)).toStrictEqual([
      `the .sig signature tag of oci://${r.host}/hostile/app@${r.manifestDigest} is 1024.0 MiB, more than the 128.0 MiB a signature or attestation may be ` +
      '(cosign refuses larger attachments too); nothing of it was copied: raise maxSignatureSize if it is expected',
    ]);
    expect(r.seen.filter((s) => s.method === 'GET' && s.path.includes('/blobs/'))).toStrictEqual([]);
    expect(await copied('huge-sig/')).toStrictEqual([]);
    expect(report.downloaded).toStrictEqual({ blobs: 0, bytes: 0 });
  }, SLOW);

  test('a 100 MiB signature layer within the limit is copied whole, streamed, with its digest; a lower limit refuses it', async () => {
    // GIVEN
    const r = await hostile('huge-signature-layer', { signatureLayerSize: 100 * 1024 * 1024 });
    const sigTag = `${referrersFallbackTag(r.manifestDigest)}.sig`;
    // WHEN
    const limited = await mirrorRelease(releaseOf(r, 'limited-sig/app'), { destinations: destinations(), limits: { maxSignatureSize: 64 * 1024 * 1024 } });
    const report = await mirrorRelease(releaseOf(r, 'big-sig/app'), { destinations: destinations() });
    // THEN
    expect(limited.failed.map((f) => f.error.message.split(';')[0])).toStrictEqual([
      `the .sig signature tag of oci://${r.host}/hostile/app@${r.manifestDigest} is 100.0 MiB, more than the 64.0 MiB a signature or attestation may be (cosign refuses larger attachments too)`,
    ]);
    expect(await copied('limited-sig/')).toStrictEqual([]);
    expect([report.failed, report.mirrored.map((m) => [m.action, m.digest, m.signatures])]).toStrictEqual([[], [['copy', r.manifestDigest, 1]]]);
    // skopeo reads the copy's .sig manifest, and the registry holds its 100 MiB layer
    const sig = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/big-sig/app:${sigTag}`));
    const layer = sig.layers[0];
    expect(layer.size).toBe(100 * 1024 * 1024);
    const head = await fetch(`http://${dest.host}/v2/big-sig/app/blobs/${layer.digest}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.headers.get('docker-content-digest')]).toStrictEqual([200, String(100 * 1024 * 1024), layer.digest]);
    expect(r.seen.filter((s) => s.method === 'GET' && s.path.endsWith(layer.digest))).toHaveLength(1);
  }, SLOW);

  test(`fails when a .sig lists ${MANY_LAYERS} layers, downloading none of them`, async () => {
    // GIVEN
    const r = await hostile('many-signature-layers');
    // WHEN
    const report = await mirrorRelease(releaseOf(r, 'many-layers/app'), { destinations: destinations() });
    // THEN
    expect(report.failed.map((f) => f.error.message)).toStrictEqual([
      `the .sig signature tag of oci://${r.host}/hostile/app@${r.manifestDigest} has ${MANY_LAYERS} layers, more than the 1000 mirror copies (cosign refuses more in a signature too); nothing of it was copied`,
    ]);
    expect(r.seen.filter((s) => s.path.includes('/blobs/'))).toStrictEqual([]);
    expect(await copied('many-layers/')).toStrictEqual([]);
  }, SLOW);

  test(`fails when ${MANY_REFERRERS} referrers are listed, in a handful of requests, copying nothing`, async () => {
    // GIVEN
    const r = await hostile('many-referrers');
    // WHEN
    const report = await mirrorRelease(releaseOf(r, 'many-referrers/app'), { destinations: destinations() });
    // THEN
    expect(report.failed.map((f) => f.error.message)).toStrictEqual([
      `oci://${r.host}/hostile/app@${r.manifestDigest} has ${MANY_REFERRERS + 1} referrers, more than the 1000 that verify (and Flux) read, so a copy listing them all would not verify; ` +
      'nothing of it was copied: ask its publisher to prune them, or raise maxReferrers if they are all expected',
    ]);
    // the tag, the artifact, its .sig and .att tags, the Referrers API and the fallback index: no referrer is read
    expect(r.seen.filter((s) => s.path !== '/v2/').length).toBeLessThanOrEqual(12);
    expect(await copied('many-referrers/')).toStrictEqual([]);
  }, SLOW);

  test(`resolves a semver range over a tag list of ${HUGE_TAG_PAGE} tags in one page`, async () => {
    // GIVEN
    const r = await hostile('huge-tag-page');
    // WHEN
    const report = await mirrorRelease(releaseOf(r, 'many-tags/app', { semver: '>=0.0.0' }), { destinations: destinations() });
    // THEN
    expect(report.failed).toStrictEqual([]);
    expect(report.mirrored.map((m) => [m.tag, m.digest])).toStrictEqual([[`0.${HUGE_TAG_PAGE - 1}.0`, r.manifestDigest]]);
  }, SLOW);

  test(`copies an index listing one child ${DUPLICATE_CHILDREN} times with one read and one copy of the child`, async () => {
    // GIVEN
    const r = await hostile('duplicate-index-children');
    // WHEN
    const report = await mirrorRelease(releaseOf(r, 'duplicates/app'), { destinations: destinations() });
    // THEN
    expect(report.failed).toStrictEqual([]);
    expect(report.mirrored.map((m) => [m.digest, m.manifests, m.blobs])).toStrictEqual([[r.servedDigest, 3, 2]]);
    expect(r.seen.filter((s) => s.method === 'GET' && decodeURIComponent(s.path) === `/v2/hostile/app/manifests/${r.manifestDigest}`)).toHaveLength(1);
    const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/duplicates/app:v1`));
    expect(index.manifests).toHaveLength(DUPLICATE_CHILDREN);
  }, SLOW);
});
