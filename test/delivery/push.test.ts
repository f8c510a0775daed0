import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import { candidateTag, Destinations, parseRevision, pushRelease, type PushEvent } from '../../src/delivery/index.js';
import { sha256Digest } from '../../src/flux/artifact/index.js';
import { readReleaseManifest, type ReleaseManifest } from '../../src/output/index.js';
import { FaultProxy, skopeo, tarList, TestRegistry } from '../support/registry.js';

const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AP = '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com';
const SOURCE = 'https://github.com/acme/fleet';
const CREATED = '2026-11-01T10:00:00Z';
const REVISION = parseRevision('main@sha1:4b825dc642cb6eb9a060e54bf8d69288fbee4904');
const CANDIDATE = candidateTag(REVISION);
const FAST = { retries: 2, baseDelayMs: 20, maxDelayMs: 50 };

let dir: string;
let tree: string;
let euRegistry: TestRegistry;
let usRegistry: TestRegistry;
let release: ReleaseManifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-push-'));
  tree = join(dir, 'tree');
  buildApp(tree).synth();
  [euRegistry, usRegistry] = await Promise.all([TestRegistry.start(), TestRegistry.start()]);
  release = await readReleaseManifest(tree);
}, 120_000);

afterAll(async () => {
  await Promise.all([euRegistry.destroy(), usRegistry.destroy()]);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Two registries standing for the fleet's three regions: Europe on one, America and Asia on the other. */
function registries(extra: Partial<ConstructorParameters<typeof Destinations>[0]> = {}): Destinations {
  return new Destinations({ hostAliases: { [EU]: euRegistry.host, [US]: usRegistry.host, [AP]: usRegistry.host }, retry: FAST, ...extra });
}

function localOf(url: string): string {
  const host = url.replace(/^oci:\/\//, '').split('/')[0];
  const local = host === EU ? euRegistry.host : usRegistry.host;
  return `${local}${url.slice('oci://'.length + host.length)}`;
}

function treeFiles(cluster: string): string[] {
  const root = join(tree, 'clusters', cluster);
  const walk = (d: string): string[] => readdirSync(d)
    .flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(root, join(d, n))]));
  return walk(root).sort();
}

/** Pushes the tree's release holding every followed tag: components and candidates only. */
async function pushHeld(destinations: Destinations, revision = REVISION, onEvent?: (e: PushEvent) => void) {
  return pushRelease(tree, release, {
    destinations, revision, source: SOURCE, created: CREATED, holdTags: true, concurrency: 3, ...(onEvent ? { onEvent } : {}),
  });
}

describe('push to registries', () => {
  let firstDigests: Record<string, string>;

  test('pushes every cluster\'s candidate to its region\'s registry; skopeo reads back media types, annotations and files', async () => {
    // GIVEN
    const destinations = registries();
    const events: PushEvent['type'][] = [];
    // WHEN
    const report = await pushHeld(destinations, REVISION, (e) => events.push(e.type));
    destinations.close();
    // THEN
    expect(report.failed).toStrictEqual([]);
    expect(report.clusters.map((p) => [p.artifact, p.tags, p.uploaded, p.existing]))
      .toStrictEqual(release.clusters.map((c) => [c.name, [CANDIDATE], 2, 0]));
    // one per cluster (three production, three staging) and one per region of the packed infra folder
    expect(events.filter((e) => e === 'done')).toHaveLength(6 + 3);
    expect(report.followed.map((f) => f.action)).toStrictEqual(release.clusters.map(() => 'held'));
    firstDigests = Object.fromEntries(report.clusters.map((p) => [p.artifact, p.digest]));
    for (const c of release.clusters) {
      const ref = `docker://${localOf(c.url)}:${CANDIDATE}`;
      const raw = await skopeo('inspect', '--raw', '--tls-verify=false', ref);
      const manifest = JSON.parse(raw);
      expect(sha256Digest(raw)).toBe(firstDigests[c.name]);
      const layers = manifest.layers.map((l: { mediaType: string }) => l.mediaType);
      expect({ mediaType: manifest.mediaType, config: manifest.config.mediaType, layers, annotations: manifest.annotations }).toStrictEqual({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: 'application/vnd.cncf.flux.config.v1+json',
        layers: ['application/vnd.cncf.flux.content.v1.tar+gzip'],
        annotations: {
          'org.opencontainers.image.created': CREATED,
          'org.opencontainers.image.revision': REVISION.annotation,
          'org.opencontainers.image.source': SOURCE,
        },
      });
      const copied = join(dir, `copy-${c.name}`);
      await skopeo('copy', '--src-tls-verify=false', ref, `dir:${copied}`);
      const listing = await tarList(join(copied, manifest.layers[0].digest.slice('sha256:'.length)));
      expect(listing.map((l) => l.split(/\s+/).pop()).sort()).toStrictEqual(treeFiles(c.name));
      expect(listing.every((l) => /^-rw-r--r-- 0\/0 /.test(l))).toBe(true);
    }
  }, 120_000);

  test('a second push of the unchanged tree uploads no blob and gives the same digests', async () => {
    // GIVEN
    const destinations = registries();
    // WHEN
    const report = await pushHeld(destinations);
    destinations.close();
    // THEN
    expect([...report.components, ...report.clusters].reduce((n, p) => n + p.uploaded + p.mounted, 0)).toBe(0);
    expect(Object.fromEntries(report.clusters.map((p) => [p.artifact, p.digest]))).toStrictEqual(firstDigests);
  }, 120_000);

  test('a new revision of the same tree gets new digests and still uploads no blob', async () => {
    // GIVEN
    const destinations = registries();
    // WHEN
    const report = await pushHeld(destinations, parseRevision('main@sha1:1111111111111111111111111111111111111111'));
    destinations.close();
    // THEN
    expect(report.clusters.map((p) => p.uploaded)).toStrictEqual([0, 0, 0, 0, 0, 0]);
    expect(report.clusters.every((p) => p.digest !== firstDigests[p.artifact])).toBe(true);
  }, 120_000);

  test('pushing to the OCI layout, then skopeo copy to the registry, gives the same digest', async () => {
    // GIVEN
    const layout = join(dir, 'layout');
    const destinations = new Destinations({ layout });
    // WHEN
    const report = await pushHeld(destinations);
    const prod = report.clusters.find((p) => p.artifact === 'prod-eu-1')!;
    await skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${prod.location.slice('oci:'.length)}:${CANDIDATE}`, `docker://${euRegistry.host}/copied/prod-eu-1:${CANDIDATE}`);
    // THEN
    expect(prod.location).toBe(`oci:${join(layout, EU, 'fleet', 'clusters', 'prod-eu-1')}`);
    expect(Object.fromEntries(report.clusters.map((p) => [p.artifact, p.digest]))).toStrictEqual(firstDigests);
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${euRegistry.host}/copied/prod-eu-1:${CANDIDATE}`);
    expect(sha256Digest(raw)).toBe(firstDigests['prod-eu-1']);
  }, 120_000);

  test('fails when one region answers 500: its candidates get no tag, the others are pushed, and no followed tag moves anywhere', async () => {
    // GIVEN: the Europe registry behind a proxy that fails every manifest put
    const proxy = await FaultProxy.start(() => euRegistry.host, ({ method, path }) => (method === 'PUT' && path.includes('/manifests/') ? 'fail500' : 'pass'));
    const destinations = new Destinations({ hostAliases: { [EU]: proxy.host, [US]: usRegistry.host, [AP]: usRegistry.host }, retry: FAST });
    const revision = parseRevision('main@sha1:2222222222222222222222222222222222222222');
    try {
      // WHEN
      const report = await pushRelease(tree, release, { destinations, revision, source: SOURCE, created: CREATED });
      // THEN
      expect(report.failed.map((f) => f.artifact).sort()).toStrictEqual(['prod-eu-1', 'stg-eu-1', 'stg-eu-2']);
      expect(report.failed.find((f) => f.artifact === 'stg-eu-1')!.error.message).toBe(`putting the manifest of oci://${EU}/fleet/clusters/stg-eu-1:${candidateTag(revision)} failed: the registry answered 500 Internal Server Error (UNKNOWN: injected failure) after 3 attempts`);
      expect(report.followed.map((f) => f.action)).toStrictEqual(release.clusters.map(() => 'held'));
      const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${usRegistry.host}/fleet/clusters/stg-us-1`)).Tags;
      expect(tags).toContain(candidateTag(revision));
      expect(tags).not.toContain('latest');
    } finally {
      destinations.close();
      await proxy.stop();
    }
  }, 120_000);
});
