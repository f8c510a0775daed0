import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachReferrer, BUNDLE_TYPE, DEFAULT_CLUSTERS, HOSTS, sealTree, writeReleaseTree, type Region } from './release-tree.js';
import { contentTag, Destinations, mirrorRelease, referrersFallbackTag, verifyRelease, type RegistryRepository } from '../../src/delivery/index.js';
import { blobOf, type Descriptor } from '../../src/flux/artifact/digest.js';
import { sha256Digest } from '../../src/flux/artifact/index.js';
import { MEDIA_TYPES } from '../../src/flux/artifact/media-types.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { readReleaseManifest, type ReleaseManifest } from '../../src/output/index.js';
import { FaultProxy, skopeo, TestRegistry } from '../support/registry.js';

const UPSTREAM = 'ghcr.example';
const CHART = `oci://${UPSTREAM}/stefanprodan/charts/podinfo`;
const APP = `oci://${UPSTREAM}/acme/app`;
const FAST = { retries: 1, baseDelayMs: 20, maxDelayMs: 50 };
const SLOW = 180_000;

let dir: string;
let upstream: TestRegistry;
let registries: Record<Region, TestRegistry>;
let destinations: Destinations;
let tree: string;
let release: ReleaseManifest;
let chart: { digest: string; referrer: string; sig: string };
let appIndex: string;

function imageManifest(config: Descriptor, layer: Descriptor): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers: [layer] }));
}

/** A Helm chart as `helm push` stores it: a config and one chart layer. */
async function pushChart(repo: RegistryRepository, version: string, content = `chart ${version}`): Promise<{ digest: string; size: number }> {
  const config = blobOf('application/vnd.cncf.helm.config.v1+json', Buffer.from(JSON.stringify({ name: 'podinfo', version, apiVersion: 'v2' })));
  const layer = blobOf('application/vnd.cncf.helm.chart.content.v1.tar+gzip', Buffer.from(content));
  await repo.pushBlob(config);
  await repo.pushBlob(layer);
  const bytes = imageManifest(config.descriptor, layer.descriptor);
  return { digest: await repo.pushManifest(version, bytes, MEDIA_TYPES.ociManifest), size: bytes.length };
}

/** A cosign v2 signature: a `sha256-<hex>.sig` tag holding a simple-signing payload layer. */
async function pushSigTag(repo: RegistryRepository, digest: string): Promise<string> {
  const config = blobOf('application/vnd.oci.image.config.v1+json', Buffer.from('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'));
  const payload = blobOf('application/vnd.dev.cosign.simplesigning.v1+json', Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' } })));
  await repo.pushBlob(config);
  await repo.pushBlob(payload);
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: config.descriptor,
    layers: [{ ...payload.descriptor, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } }],
  }));
  return repo.pushManifest(`${referrersFallbackTag(digest)}.sig`, bytes, MEDIA_TYPES.ociManifest);
}

/** An image index of two platform images, pushed by digest and tagged. */
async function pushIndex(repo: RegistryRepository): Promise<string> {
  const children: Descriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const config = blobOf('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })));
    const layer = blobOf('application/vnd.oci.image.layer.v1.tar+gzip', Buffer.from(`layer ${arch}`));
    await repo.pushBlob(config);
    await repo.pushBlob(layer);
    const bytes = imageManifest(config.descriptor, layer.descriptor);
    const digest = await repo.pushManifestByDigest(bytes, MEDIA_TYPES.ociManifest);
    children.push({ mediaType: MEDIA_TYPES.ociManifest, digest, size: bytes.length });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: children }));
  return repo.pushManifest('1.0.0', index, MEDIA_TYPES.ociIndex);
}

function local(url: string): string {
  const [host, ...rest] = url.slice('oci://'.length).split('/');
  const region = (Object.keys(HOSTS) as Region[]).find((r) => HOSTS[r] === host);
  return `${region ? registries[region].host : upstream.host}/${rest.join('/')}`;
}

/** The raw manifest at a reference, read by skopeo; undefined when there is none. */
async function raw(url: string, reference: string): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${local(url)}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`));
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-mirror-'));
  const [up, eu, us, ap] = await Promise.all([TestRegistry.start(), TestRegistry.start(), TestRegistry.start(), TestRegistry.start()]);
  upstream = up;
  registries = { 'eu-west-1': eu, 'us-east-1': us, 'ap-southeast-1': ap };
  destinations = new Destinations({
    hostAliases: {
      [UPSTREAM]: up.host,
      ...Object.fromEntries(Object.entries(HOSTS).map(([region, host]) => [host, registries[region as Region].host])),
    },
    retry: FAST,
  });
  // The publisher's side: chart versions, a cosign v3 bundle referrer and a cosign v2 .sig tag on 6.7.0, an image index.
  const charts = destinations.repository(CHART);
  for (const v of ['6.6.0', '6.8.0-rc.1', '7.0.0']) await pushChart(charts, v);
  const published = await pushChart(charts, '6.7.0');
  chart = {
    digest: published.digest,
    referrer: await attachReferrer(charts, { mediaType: MEDIA_TYPES.ociManifest, digest: published.digest, size: published.size }),
    sig: await pushSigTag(charts, published.digest),
  };
  appIndex = await pushIndex(destinations.repository(APP));
  // The tree: every cluster gets the chart from its region's copy, at 6.x, verified; the app by digest.
  tree = join(dir, 'tree');
  writeReleaseTree(tree);
  const base = await readReleaseManifest(tree);
  const regions = [...new Set(DEFAULT_CLUSTERS.map((c) => c.region))].sort();
  const clustersIn = (r: Region) => DEFAULT_CLUSTERS.filter((c) => c.region === r).map((c) => c.name).sort();
  for (const c of DEFAULT_CLUSTERS) {
    mkdirSync(join(tree, 'clusters', c.name, 'components', 'podinfo'), { recursive: true });
    writeFileSync(join(tree, 'clusters', c.name, 'components', 'podinfo', 'podinfo.yaml'), [
      'apiVersion: source.toolkit.fluxcd.io/v1',
      'kind: OCIRepository',
      'metadata:',
      '  name: podinfo',
      '  namespace: flux-system',
      'spec:',
      '  interval: 5m',
      '  layerSelector:',
      '    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      '    operation: copy',
      '  ref:',
      '    semver: 6.x',
      `  url: oci://${HOSTS[c.region]}/fleet/charts/podinfo`,
      '  verify:',
      '    provider: cosign',
      '',
    ].join('\n'));
  }
  release = {
    ...base,
    external: [
      {
        kind: 'artifact',
        component: 'app',
        upstream: APP,
        mirror: true,
        verify: false,
        targets: regions.map((region) => ({ region, url: `oci://${HOSTS[region]}/fleet/app`, ref: { digest: appIndex }, clusters: clustersIn(region) })),
      },
      {
        kind: 'chart',
        component: 'podinfo',
        upstream: CHART,
        mirror: true,
        verify: true,
        targets: regions.map((region) => ({ region, url: `oci://${HOSTS[region]}/fleet/charts/podinfo`, ref: { semver: '6.x' }, clusters: clustersIn(region) })),
      },
    ],
  };
  writeFileSync(join(tree, 'release.json'), `${JSON.stringify(release, null, 2)}\n`);
  sealTree(tree);
}, 120_000);

afterAll(async () => {
  destinations?.close();
  await Promise.all([upstream, ...Object.values(registries ?? {})].filter(Boolean).map((r) => r.destroy()));
  rmSync(dir, { recursive: true, force: true });
});

describe('mirror', () => {
  test('before the mirror, verify-release names the chart missing in every cluster\'s region', async () => {
    // WHEN
    const report = await verifyRelease(tree, await readReleaseManifest(tree), { destinations });
    // THEN
    expect(report.dangling.filter((d) => d.source === 'OCIRepository/flux-system/podinfo').map((d) => [d.cluster, d.ref, d.missing])).toStrictEqual(
      DEFAULT_CLUSTERS.map((c) => [c.name, 'semver 6.x', 'the repository has no tag']).sort(),
    );
  }, SLOW);

  test('copies the highest 6.x chart to every region with its digest, its referrer and its .sig tag; an index with its children', async () => {
    // WHEN
    const report = await mirrorRelease(release, { destinations });
    // THEN
    expect(report.failed).toStrictEqual([]);
    expect(report.mirrored.map((m) => [m.component, m.region, m.tag, m.digest, m.signatures])).toStrictEqual([
      ['app', 'ap-southeast-1', contentTag(appIndex), appIndex, 0],
      ['app', 'eu-west-1', contentTag(appIndex), appIndex, 0],
      ['app', 'us-east-1', contentTag(appIndex), appIndex, 0],
      ['podinfo', 'ap-southeast-1', '6.7.0', chart.digest, 2],
      ['podinfo', 'eu-west-1', '6.7.0', chart.digest, 2],
      ['podinfo', 'us-east-1', '6.7.0', chart.digest, 2],
    ]);
    for (const region of Object.keys(HOSTS) as Region[]) {
      const copy = `oci://${HOSTS[region]}/fleet/charts/podinfo`;
      // the manifest bytes are the publisher's, so the digest is the same
      expect(sha256Digest((await raw(copy, '6.7.0'))!)).toBe(chart.digest);
      expect(sha256Digest((await raw(copy, `${referrersFallbackTag(chart.digest)}.sig`))!)).toBe(chart.sig);
      type Index = { manifests: Array<{ digest: string; artifactType: string }> };
      const index = JSON.parse((await raw(copy, referrersFallbackTag(chart.digest)))!.toString()) as Index;
      expect(index.manifests.map((m) => [m.digest, m.artifactType])).toStrictEqual([[chart.referrer, BUNDLE_TYPE]]);
      const referrer = JSON.parse((await raw(copy, chart.referrer))!.toString()) as { subject: { digest: string }; layers: Descriptor[] };
      expect(referrer.subject.digest).toBe(chart.digest);
      const bundle = await fetch(`http://${local(copy).split('/')[0]}/v2/fleet/charts/podinfo/blobs/${referrer.layers[0].digest}`);
      expect(sha256Digest(Buffer.from(await bundle.arrayBuffer()))).toBe(referrer.layers[0].digest);
      // the index and both of its platform manifests
      const app = JSON.parse((await raw(`oci://${HOSTS[region]}/fleet/app`, appIndex))!.toString()) as { manifests: Descriptor[] };
      for (const child of app.manifests) expect(sha256Digest((await raw(`oci://${HOSTS[region]}/fleet/app`, child.digest))!)).toBe(child.digest);
    }
  }, SLOW);

  test('a second mirror copies nothing, and verify-release finds every chart and its signature', async () => {
    // WHEN
    const again = await mirrorRelease(release, { destinations });
    const verified = await verifyRelease(tree, release, { destinations });
    // THEN
    expect(again.mirrored.map((m) => [m.manifests, m.blobs])).toStrictEqual(Array(6).fill([0, 0]));
    // every copy resolves and its bundle is found; the bundle is a placeholder, so verify-release says it does not verify
    expect(verified.dangling.filter((d) => d.source === 'OCIRepository/flux-system/podinfo').map((d) => [d.cluster, d.digest, /is not a Sigstore bundle$/.test(d.missing)]))
      .toStrictEqual(DEFAULT_CLUSTERS.map((c) => [c.name, chart.digest, true]).sort());
  }, SLOW);

  test('fails when no upstream tag matches the range, and names the tags there', async () => {
    // GIVEN
    const narrow: ReleaseManifest = { ...release, external: [{ ...release.external[1], targets: [{ ...release.external[1].targets[0], ref: { semver: '>=8.0.0' } }] }] };
    // WHEN
    const report = await mirrorRelease(narrow, { destinations });
    // THEN
    expect(report.failed.map((f) => f.error.message)).toStrictEqual([
      `no tag of ${CHART} matches semver ">=8.0.0" (6 tags, e.g. 6.7.0, 6.8.0-rc.1, 7.0.0, ${referrersFallbackTag(chart.digest)}, ${referrersFallbackTag(chart.digest)}.sig)`,
    ]);
  }, SLOW);
});

/** The mirror command on a tree, through host aliases to the test registries (and the upstream, or a proxy in front of it). */
async function mirrorCli(treeDir: string, upstreamHost: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const aliases = [`${UPSTREAM}=${upstreamHost}`, ...(Object.keys(HOSTS) as Region[]).map((r) => `${HOSTS[r]}=${registries[r].host}`)].join(',');
  const code = await run(['mirror', treeDir, '--host-alias', aliases, '--retries', '0', ...extra], {
    stdout: { write: (t: string) => { stdout += t; } },
    stderr: { write: (t: string) => { stderr += t; } },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

/** A tree whose one external chart is `charts/<name>` upstream, mirrored to every region with the given targets' refs. */
async function chartTree(name: string, refs: (region: Region) => ReleaseManifest['external'][number]['targets'][number]['ref'] | Array<Pick<ReleaseManifest['external'][number]['targets'][number], 'ref' | 'locked'>>): Promise<string> {
  const treeDir = join(dir, `tree-${name}`);
  writeReleaseTree(treeDir, { prefix: `fleet-${name}` });
  const base = await readReleaseManifest(treeDir);
  const regions = [...new Set(DEFAULT_CLUSTERS.map((c) => c.region))].sort();
  const targets = regions.flatMap((region) => {
    const given = refs(region);
    const list = Array.isArray(given) ? given : [{ ref: given }];
    return list.map((t) => ({ region, url: `oci://${HOSTS[region]}/fleet-${name}/charts/${name}`, ...t, clusters: DEFAULT_CLUSTERS.filter((c) => c.region === region).map((c) => c.name).sort() }));
  });
  const withChart: ReleaseManifest = { ...base, external: [{ kind: 'chart', component: name, upstream: `oci://${UPSTREAM}/charts/${name}`, mirror: true, verify: false, targets }] };
  writeFileSync(join(treeDir, 'release.json'), `${JSON.stringify(withChart, null, 2)}\n`);
  sealTree(treeDir);
  return treeDir;
}

describe('mirror moves no tag', () => {
  test('an upstream re-tag leaves every region\'s production copy unchanged and exits 1 with the drift; dry runs say exactly what a real run does', async () => {
    // GIVEN production pinned by the lock to 6.7.0's digest, and staging following the tag 6.7.0 itself
    const charts = destinations.repository(`oci://${UPSTREAM}/charts/retag`);
    const first = await pushChart(charts, '6.7.0', 'chart 6.7.0 as first published');
    const treeDir = await chartTree('retag', (region) => [
      { ref: { digest: first.digest }, locked: { declared: { tag: '6.7.0' }, tag: '6.7.0' } },
      ...(region === 'ap-southeast-1' ? [] : [{ ref: { tag: '6.7.0' } }]),
    ]);
    // WHEN
    const dryBefore = await mirrorCli(treeDir, upstream.host, '--dry-run');
    const copied = await mirrorCli(treeDir, upstream.host);
    const dryAfter = await mirrorCli(treeDir, upstream.host, '--dry-run');
    const second = await pushChart(charts, '6.7.0', 'chart 6.7.0 published again, with other content');
    const dryDrift = await mirrorCli(treeDir, upstream.host, '--dry-run');
    const drift = await mirrorCli(treeDir, upstream.host);
    // THEN the dry run said what the copy then did, tag by tag and count by count
    const url = (r: Region) => `oci://${HOSTS[r]}/fleet-retag/charts/retag`;
    expect(dryBefore.stdout.replace('dry run: would copy', 'copied').replace(/would copy/g, 'copied')).toBe(copied.stdout);
    expect([dryBefore.code, copied.code, dryAfter.code]).toStrictEqual([EXIT.ok, EXIT.ok, EXIT.ok]);
    expect(copied.stdout.split('\n').filter(Boolean).map((l) => l.split(' ').slice(0, 4).join(' '))).toStrictEqual([
      ...['ap-southeast-1', 'eu-west-1', 'eu-west-1', 'us-east-1', 'us-east-1'].map((r) => `copied retag ${url(r as Region)}:6.7.0 ${first.digest}`),
      'copied 5 of 5',
    ]);
    expect(dryAfter.stdout.split('\n').filter((l) => l.startsWith('up to date'))).toHaveLength(5);
    // after the re-tag: the lock's digest stays, the staging copy's tag is not moved; both drifts named, exit 1
    expect(second.digest).not.toBe(first.digest);
    expect([dryDrift.code, drift.code]).toStrictEqual([EXIT.errors, EXIT.errors]);
    expect(dryDrift.stderr).toBe(drift.stderr);
    const lines = drift.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.includes(`the copy's tag points at ${first.digest}, and upstream's at ${second.digest}; mirror moves no tag`))
      .map((l) => l.split(' ')[2])).toStrictEqual([`${url('eu-west-1')}:6.7.0:`, `${url('us-east-1')}:6.7.0:`]);
    expect(lines.filter((l) => l.includes(`upstream's tag now points at ${second.digest}, and the lock pins ${first.digest}, which production keeps`))).toHaveLength(3);
    for (const r of Object.keys(HOSTS) as Region[]) expect(sha256Digest((await raw(url(r), '6.7.0'))!)).toBe(first.digest);
  }, SLOW);

  test('each blob is downloaded from upstream once per run, however many regions it is copied to', async () => {
    // GIVEN a chart seen through a proxy that counts what is asked of the upstream
    const proxy = await FaultProxy.start(() => upstream.host, () => 'pass');
    try {
      const published = await pushChart(destinations.repository(`oci://${UPSTREAM}/charts/once`), '1.0.0', 'x'.repeat(64 * 1024));
      const treeDir = await chartTree('once', () => ({ digest: published.digest }));
      // WHEN
      const result = await mirrorCli(treeDir, proxy.host);
      // THEN
      expect([result.code, result.stderr]).toStrictEqual([EXIT.ok, '']);
      const blobGets = proxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/sha256:')).map((r) => r.path.split('/blobs/')[1]);
      expect(blobGets.length).toBe(2);
      expect(new Set(blobGets).size).toBe(2);
      for (const r of Object.keys(HOSTS) as Region[]) expect(sha256Digest((await raw(`oci://${HOSTS[r]}/fleet-once/charts/once`, published.digest))!)).toBe(published.digest);
    } finally {
      await proxy.stop();
    }
  }, SLOW);
});
