import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import {
  clusterArtifactsFromFleet, clusterArtifactsFromTree, Destinations, pushArtifacts, wholeTreeArtifact, type DeliveryArtifact, type PushEvent,
} from '../../src/delivery/index.js';
import { packArtifact, sha256Digest } from '../../src/index.js';
import { FaultProxy, skopeo, tarList, TestRegistry } from '../support/registry.js';

const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AP = '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com';
const METADATA = { source: 'https://github.com/acme/fleet', revision: 'main@sha1:4b825dc642cb6eb9a060e54bf8d69288fbee4904', created: '2026-11-01T10:00:00Z' };
const FAST = { retries: 2, baseDelayMs: 20, maxDelayMs: 50 };

let dir: string;
let tree: string;
let euRegistry: TestRegistry;
let usRegistry: TestRegistry;
let artifacts: DeliveryArtifact[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-push-'));
  tree = join(dir, 'tree');
  buildApp(tree).synth();
  [euRegistry, usRegistry] = await Promise.all([TestRegistry.start(), TestRegistry.start()]);
  artifacts = await clusterArtifactsFromTree(tree);
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

describe('cluster artifacts', () => {
  test('the fleet rendered in memory gives the artifacts of the synthesized tree, digest for digest', () => {
    // WHEN
    const fromFleet = clusterArtifactsFromFleet(buildApp(join(dir, 'unused')).fleets()[0]);
    // THEN
    const summary = (list: DeliveryArtifact[]) => list.map((a) => ({
      name: a.name, targets: a.targets, environment: a.environment, wave: a.wave, digest: packArtifact(a.files, METADATA).digest,
    }));
    expect(summary(fromFleet)).toStrictEqual(summary(artifacts));
    expect(summary(artifacts).map((a) => [a.name, a.targets[0].url, a.targets[0].tag, a.targets[0].region, a.environment, a.wave])).toStrictEqual([
      ['prod-ap-1', `oci://${AP}/fleet/clusters/prod-ap-1`, 'stable-wave-2', 'ap-southeast-1', 'production', 2],
      ['prod-eu-1', `oci://${EU}/fleet/clusters/prod-eu-1`, 'stable-wave-1', 'eu-west-1', 'production', 1],
      ['prod-us-1', `oci://${US}/fleet/clusters/prod-us-1`, 'stable-wave-2', 'us-east-1', 'production', 2],
      ['stg-eu-1', `oci://${EU}/fleet/clusters/stg-eu-1`, 'latest', 'eu-west-1', 'staging', undefined],
      ['stg-eu-2', `oci://${EU}/fleet/clusters/stg-eu-2`, 'latest', 'eu-west-1', 'staging', undefined],
      ['stg-us-1', `oci://${US}/fleet/clusters/stg-us-1`, 'latest', 'us-east-1', 'staging', undefined],
    ]);
  });
});

describe('push to registries', () => {
  let firstDigests: Record<string, string>;

  test('pushes every cluster\'s artifact to its region\'s registry; skopeo reads back media types, annotations and files', async () => {
    // GIVEN
    const destinations = registries();
    const events: PushEvent['type'][] = [];
    // WHEN
    const report = await pushArtifacts(artifacts, { destinations, metadata: METADATA, concurrency: 3, onEvent: (e) => events.push(e.type) });
    destinations.close();
    // THEN
    expect(report.failed).toStrictEqual([]);
    expect(report.pushed.map((p) => [p.artifact, p.tags, p.uploaded, p.existing]))
      .toStrictEqual(artifacts.map((a) => [a.name, [a.targets[0].tag], 2, 0]));
    // one per cluster: three production clusters and three staging clusters
    expect(events.filter((e) => e === 'done')).toHaveLength(6);
    firstDigests = Object.fromEntries(report.pushed.map((p) => [p.artifact, p.digest]));
    for (const a of artifacts) {
      const ref = `docker://${localOf(a.targets[0].url)}:${a.targets[0].tag}`;
      const raw = await skopeo('inspect', '--raw', '--tls-verify=false', ref);
      const manifest = JSON.parse(raw);
      expect(sha256Digest(raw)).toBe(firstDigests[a.name]);
      const layers = manifest.layers.map((l: { mediaType: string }) => l.mediaType);
      expect({ mediaType: manifest.mediaType, config: manifest.config.mediaType, layers, annotations: manifest.annotations }).toStrictEqual({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: 'application/vnd.cncf.flux.config.v1+json',
        layers: ['application/vnd.cncf.flux.content.v1.tar+gzip'],
        annotations: {
          'org.opencontainers.image.created': '2026-11-01T10:00:00Z',
          'org.opencontainers.image.revision': METADATA.revision,
          'org.opencontainers.image.source': METADATA.source,
        },
      });
      const copied = join(dir, `copy-${a.name}`);
      await skopeo('copy', '--src-tls-verify=false', ref, `dir:${copied}`);
      const listing = await tarList(join(copied, manifest.layers[0].digest.slice('sha256:'.length)));
      expect(listing.map((l) => l.split(/\s+/).pop()).sort()).toStrictEqual(treeFiles(a.name));
      expect(listing.every((l) => /^-rw-r--r-- 0\/0 /.test(l))).toBe(true);
    }
  }, 120_000);

  test('a second push of the unchanged tree uploads no blob and gives the same digests', async () => {
    // GIVEN
    const destinations = registries();
    // WHEN
    const report = await pushArtifacts(await clusterArtifactsFromTree(tree), { destinations, metadata: METADATA });
    destinations.close();
    // THEN
    expect(report.pushed.reduce((n, p) => n + p.uploaded + p.mounted, 0)).toBe(0);
    // each of the 6 cluster artifacts has 2 blobs, its config and its layer, already there
    expect(report.pushed.reduce((n, p) => n + p.existing, 0)).toBe(12);
    expect(Object.fromEntries(report.pushed.map((p) => [p.artifact, p.digest]))).toStrictEqual(firstDigests);
  }, 120_000);

  test('a new revision of the same tree gets new digests and still uploads no blob', async () => {
    // GIVEN
    const destinations = registries();
    // WHEN
    const report = await pushArtifacts(artifacts, { destinations, metadata: { ...METADATA, revision: 'main@sha1:1111111111111111111111111111111111111111' }, tags: ['candidate'] });
    destinations.close();
    // THEN
    expect(report.pushed.map((p) => p.uploaded)).toStrictEqual([0, 0, 0, 0, 0, 0]);
    expect(report.pushed.every((p) => p.digest !== firstDigests[p.artifact])).toBe(true);
  }, 120_000);

  test('pushing to the OCI layout, then skopeo copy to the registry, gives the same digest', async () => {
    // GIVEN
    const layout = join(dir, 'layout');
    const destinations = new Destinations({ layout });
    // WHEN
    const report = await pushArtifacts(artifacts, { destinations, metadata: METADATA });
    const prod = report.pushed.find((p) => p.artifact === 'prod-eu-1')!;
    await skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${prod.location.slice('oci:'.length)}:stable-wave-1`, `docker://${euRegistry.host}/copied/prod-eu-1:stable-wave-1`);
    // THEN
    expect(prod.location).toBe(`oci:${join(layout, EU, 'fleet', 'clusters', 'prod-eu-1')}`);
    expect(Object.fromEntries(report.pushed.map((p) => [p.artifact, p.digest]))).toStrictEqual(firstDigests);
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${euRegistry.host}/copied/prod-eu-1:stable-wave-1`);
    expect(sha256Digest(raw)).toBe(firstDigests['prod-eu-1']);
  }, 120_000);

  test('the whole tree as one artifact goes once to each region\'s registry, with one digest', async () => {
    // GIVEN
    const whole = wholeTreeArtifact(artifacts);
    const destinations = registries();
    // WHEN
    const report = await pushArtifacts([whole], { destinations, metadata: METADATA });
    destinations.close();
    // THEN
    expect(whole.targets.map((t) => [t.url, t.tag])).toStrictEqual([
      [`oci://${AP}/fleet/fleet`, 'latest'], [`oci://${EU}/fleet/fleet`, 'latest'], [`oci://${US}/fleet/fleet`, 'latest'],
    ]);
    expect(new Set(report.pushed.map((p) => p.digest)).size).toBe(1);
    const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${euRegistry.host}/fleet/fleet:latest`));
    const copied = join(dir, 'copy-whole');
    await skopeo('copy', '--src-tls-verify=false', `docker://${euRegistry.host}/fleet/fleet:latest`, `dir:${copied}`);
    const paths = (await tarList(join(copied, raw.layers[0].digest.slice(7)))).map((l) => l.split(/\s+/).pop());
    expect(paths).toContain('clusters/prod-eu-1/flux-system/flux-system.yaml');
    expect(paths).toHaveLength(artifacts.reduce((n, a) => n + a.files.length, 0));
  }, 120_000);

  test('a region whose registry answers 500 gets no tag; the others are pushed; the error says what failed', async () => {
    // GIVEN: the Europe registry behind a proxy that fails every manifest put
    const proxy = await FaultProxy.start(() => euRegistry.host, ({ method, path }) => (method === 'PUT' && path.includes('/manifests/') ? 'fail500' : 'pass'));
    const destinations = new Destinations({ hostAliases: { [EU]: proxy.host, [US]: usRegistry.host, [AP]: usRegistry.host }, retry: FAST });
    try {
      // WHEN
      const report = await pushArtifacts(artifacts, { destinations, metadata: METADATA, tags: ['broken'] });
      // THEN
      expect(report.pushed.map((p) => p.artifact)).toStrictEqual(['prod-ap-1', 'prod-us-1', 'stg-us-1']);
      expect(report.failed.map((f) => [f.artifact, f.error.message])).toStrictEqual([
        ['prod-eu-1', `putting the manifest of oci://${EU}/fleet/clusters/prod-eu-1:broken failed: the registry answered 500 Internal Server Error (UNKNOWN: injected failure) after 3 attempts`],
        ['stg-eu-1', `putting the manifest of oci://${EU}/fleet/clusters/stg-eu-1:broken failed: the registry answered 500 Internal Server Error (UNKNOWN: injected failure) after 3 attempts`],
        ['stg-eu-2', `putting the manifest of oci://${EU}/fleet/clusters/stg-eu-2:broken failed: the registry answered 500 Internal Server Error (UNKNOWN: injected failure) after 3 attempts`],
      ]);
      const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${euRegistry.host}/fleet/clusters/prod-eu-1`)).Tags;
      expect(tags).not.toContain('broken');
    } finally {
      destinations.close();
      await proxy.stop();
    }
  }, 120_000);
});
