import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../examples/fleet/app.js';
import { packFolder } from '../../src/fleet/folder-artifact.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import {
  blobOf, candidateTag, contentTag, Destinations, gzipDeterministic, MEDIA_TYPES, packArtifact, readReleaseManifest, referrersFallbackTag,
  REPRODUCIBLE_CREATED, sha256Digest, writeTar, type ReleaseManifest,
} from '../../src/index.js';
import { skopeo, TestRegistry } from '../support/registry.js';

/**
 * The whole release of the example fleet (examples/fleet), through the command line, against one registry per region
 * of the fleet and one standing in for the publishers (ghcr.io), all reached through host aliases: the publishers'
 * chart, app and smoke tests, and Flux's release manifests that the 2.10 canary stg-eu-2 applies, signed; mirror; push with signing; verify-release; promotion of wave 1; a second
 * revision promoted and rolled back; and what verify-release and verify say when a region loses an artifact or a
 * signature.
 */

const exec = promisify(execFile);
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
const REGIONS = ['ap-southeast-1', 'eu-west-1', 'us-east-1'] as const;
type Region = typeof REGIONS[number];
const HOST: Record<Region, string> = {
  'ap-southeast-1': '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com',
  'eu-west-1': '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  'us-east-1': '123456789012.dkr.ecr.us-east-1.amazonaws.com',
};
const CHART = 'oci://ghcr.io/stefanprodan/charts/podinfo';
const WEB_SHOP = 'oci://ghcr.io/acme/web-shop-manifests';
const SMOKE = 'oci://ghcr.io/acme/smoke-tests';
const FLUX_OPERATOR = 'oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator';
const FLUX_MANIFESTS = 'oci://ghcr.io/fluxcd/flux-manifests';
const REV_A = 'main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const REV_B = 'main@sha1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const SOURCE = 'https://github.com/acme/fleet';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const SLOW = 240_000;

let dir: string;
let upstream: TestRegistry;
let registries: Record<Region, TestRegistry>;
let destinations: Destinations;
let releaseA: ReleaseManifest;
let releaseB: ReleaseManifest;
/** The digests the publishers pushed. */
const published: Record<string, string> = {};
/** Each cluster's candidate digest, per revision. */
const candidates: Record<'a' | 'b', Record<string, string>> = { a: {}, b: {} };

/** A P-256 key pair written as `<name>.key` (PKCS#8) and `<name>.pub` in the temporary folder. */
function writeKeyPair(name: string): void {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(join(dir, `${name}.key`), privateKey, { mode: 0o600 });
  writeFileSync(join(dir, `${name}.pub`), publicKey);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-example-release-'));
  const [up, ap, eu, us] = await Promise.all([TestRegistry.start(), TestRegistry.start(), TestRegistry.start(), TestRegistry.start()]);
  upstream = up;
  registries = { 'ap-southeast-1': ap, 'eu-west-1': eu, 'us-east-1': us };
  destinations = new Destinations({ hostAliases: aliasMap(), retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 } });
  for (const name of ['fleet', 'podinfo', 'team-web', 'qa', 'flux-operator', 'flux']) writeKeyPair(name);
  // Revision A: the example as it is. Revision B: one file of its infra folder changed, in a copy.
  buildApp(join(dir, 'a')).synth();
  cpSync(join(EXAMPLE, 'infra'), join(dir, 'b-src', 'infra'), { recursive: true });
  cpSync(join(EXAMPLE, 'flux-fleet.lock'), join(dir, 'b-src', 'flux-fleet.lock'));
  const limits = join(dir, 'b-src', 'infra', 'configs', 'limits.yaml');
  writeFileSync(limits, readFileSync(limits, 'utf8').replace(/\n*$/, '\n# revision B\n'));
  buildApp(join(dir, 'b'), join(dir, 'b-src')).synth();
  releaseA = await readReleaseManifest(join(dir, 'a'));
  releaseB = await readReleaseManifest(join(dir, 'b'));
}, SLOW);

afterAll(async () => {
  destinations?.close();
  await Promise.all([upstream, ...Object.values(registries ?? {})].filter(Boolean).map((r) => r.destroy()));
  rmSync(dir, { recursive: true, force: true });
}, SLOW);

function aliasMap(): Record<string, string> {
  return { 'ghcr.io': upstream.host, ...Object.fromEntries(REGIONS.map((r) => [HOST[r], registries[r].host])) };
}

function aliases(): string[] {
  return ['--host-alias', Object.entries(aliasMap()).map(([from, to]) => `${from}=${to}`).join(',')];
}

/** Runs the command line in the temporary folder, with captured output. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => { stdout += text; } },
    stderr: { write: (text: string) => { stderr += text; } },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

/** `127.0.0.1:<port>/<repository>` of an `oci://` URL. */
function local(url: string): string {
  const [host, ...rest] = url.slice('oci://'.length).split('/');
  return `${aliasMap()[host]}/${rest.join('/')}`;
}

/** The digest of the manifest at a tag or digest, read by skopeo; undefined when there is none. */
async function digestAt(url: string, reference: string): Promise<string | undefined> {
  try {
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${local(url)}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`);
    return sha256Digest(Buffer.from(raw));
  } catch {
    return undefined;
  }
}

/** The tags of a repository, listed by skopeo, sorted. */
async function tagsOf(url: string): Promise<string[]> {
  const out = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${local(url)}`)) as { Tags: string[] };
  return [...out.Tags].sort();
}

/** The tag each cluster follows, by cluster, read in its own region's registry. */
async function followedTags(release: ReleaseManifest): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(release.clusters.map(async (c) => [c.name, await digestAt(c.url, c.tag!)])));
}

/** The `spec.ref` of an OCIRepository in a cluster's folder of a synthesized tree. */
function sourceRef(tree: string, cluster: string, name: string): unknown {
  const docs = parseAllDocuments(readFileSync(join(tree, 'clusters', cluster, 'sources.yaml'), 'utf8')).map((d) => d.toJS());
  return docs.find((o) => o.kind === 'OCIRepository' && o.metadata.name === name)?.spec.ref;
}

/** A Helm chart as `helm push` stores it: the chart's config, and its packaged .tgz as the one layer. */
async function publishChart(url: string, version: string): Promise<string> {
  const name = url.split('/').pop()!;
  const tgz = gzipDeterministic(writeTar([
    { path: `${name}/Chart.yaml`, content: Buffer.from(`apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: ${version}\n`) },
    { path: `${name}/values.yaml`, content: Buffer.from('replicaCount: 1\n') },
    { path: `${name}/templates/configmap.yaml`, content: Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  replicas: "{{ .Values.replicaCount }}"\n`) },
  ]));
  const config = blobOf(HELM_CONFIG, Buffer.from(JSON.stringify({ apiVersion: 'v2', name, version, appVersion: version })));
  const layer = blobOf(HELM_CHART, tgz);
  const repo = destinations.repository(url);
  await repo.pushBlob(config);
  await repo.pushBlob(layer);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: config.descriptor, layers: [layer.descriptor],
  }));
  return repo.pushManifest(version, manifest, MEDIA_TYPES.ociManifest);
}

/** A Flux artifact of files, pushed under a tag as `flux push artifact --reproducible` would. */
async function publishArtifact(url: string, tag: string, files: Array<{ path: string; content: Buffer }>): Promise<string> {
  const packed = packArtifact(files, { created: REPRODUCIBLE_CREATED });
  const repo = destinations.repository(url);
  await repo.pushBlob(packed.config);
  await repo.pushBlob(packed.layer);
  return repo.pushManifest(tag, packed.manifestBytes, MEDIA_TYPES.ociManifest);
}

describe('the example fleet\'s web-shop pin', () => {
  test('is the digest of examples/fleet/upstream/web-shop-manifests packed as Flux does, a tree kubectl kustomize builds', async () => {
    // GIVEN
    const pinned = /digest: '(sha256:[0-9a-f]{64})'/.exec(readFileSync(join(EXAMPLE, 'app.ts'), 'utf8'))?.[1];
    // WHEN
    const packed = packFolder('web-shop-manifests', join(EXAMPLE, 'upstream', 'web-shop-manifests'), 'web-shop-manifests');
    const { stdout } = await exec('kubectl', ['kustomize', join(EXAMPLE, 'upstream', 'web-shop-manifests', 'deploy')]);
    // THEN
    expect(packed.problems).toBeUndefined();
    expect(packed.artifact?.digest).toBe(pinned);
    expect(releaseA.external.find((e) => e.component === 'web-shop')!.targets.map((t) => t.ref)).toStrictEqual(REGIONS.map(() => ({ digest: pinned })));
    expect(parseAllDocuments(stdout).map((d) => `${d.toJS().kind}/${d.toJS().metadata.namespace}/${d.toJS().metadata.name}`))
      .toStrictEqual(['Service/team-web/web-shop', 'Deployment/team-web/web-shop']);
  }, 60_000);
});

describe('the example fleet, released across three regions', () => {
  test('the publishers push the charts, the web team\'s manifests, the smoke tests and Flux\'s release manifests, and sign them with flux-fleet sign', async () => {
    // GIVEN the chart at the production pin, at a newer 6.x that staging's range picks, and at a 7.0.0 it must not
    for (const version of ['6.7.0', '6.8.1', '7.0.0']) published[`podinfo:${version}`] = await publishChart(CHART, version);
    // the Flux Operator's chart, which every cluster's bootstrap pulls from where it is published
    published['flux-operator'] = await publishChart(FLUX_OPERATOR, '0.58.1');
    const webShop = packFolder('web-shop-manifests', join(EXAMPLE, 'upstream', 'web-shop-manifests'), 'web-shop-manifests').artifact!;
    published['web-shop'] = await publishArtifact(WEB_SHOP, '1.4.2', [...webShop.files]);
    published.smoke = await publishArtifact(SMOKE, 'main', [
      { path: 'kustomization.yaml', content: Buffer.from('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - job.yaml\n') },
      { path: 'job.yaml', content: Buffer.from('apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: smoke\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: smoke\n          image: ghcr.io/acme/smoke:1\n') },
    ]);
    // Flux's release manifests, which stg-eu-2 applies at semver 2.10.x: a 2.10 release, and a 2.11 one outside its range,
    // left unsigned, so that a range resolved to the wrong tag finds no signature
    const fluxRelease = (version: string) => [
      { path: 'kustomization.yaml', content: Buffer.from('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n') },
      { path: 'namespace.yaml', content: Buffer.from(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n    app.kubernetes.io/version: ${version}\n`) },
    ];
    published['flux-manifests'] = await publishArtifact(FLUX_MANIFESTS, 'v2.10.1', fluxRelease('v2.10.1'));
    published['flux-manifests:v2.11.0'] = await publishArtifact(FLUX_MANIFESTS, 'v2.11.0', fluxRelease('v2.11.0'));
    // WHEN
    const signed = [
      await cli('sign', `${CHART}:6.7.0`, '--key', 'podinfo.key', '--legacy-sig', ...aliases()),
      await cli('sign', `${CHART}:6.8.1`, `${CHART}:7.0.0`, '--key', 'podinfo.key', ...aliases()),
      await cli('sign', `${WEB_SHOP}@${published['web-shop']}`, '--key', 'team-web.key', ...aliases()),
      await cli('sign', `${SMOKE}:main`, '--key', 'qa.key', ...aliases()),
      await cli('sign', `${FLUX_OPERATOR}:0.58.1`, '--key', 'flux-operator.key', ...aliases()),
      await cli('sign', `${FLUX_MANIFESTS}:v2.10.1`, '--key', 'flux.key', ...aliases()),
    ];
    const fluxVerified = await cli('verify', `${FLUX_MANIFESTS}:v2.10.1`, '--key', 'flux.pub', ...aliases());
    // THEN
    expect(signed.map((s) => s.code)).toStrictEqual([EXIT.ok, EXIT.ok, EXIT.ok, EXIT.ok, EXIT.ok, EXIT.ok]);
    expect(signed.flatMap((s) => s.stdout.trim().split('\n').map((l) => l.replace(/ \(bundle sha256:[0-9a-f]{64}\)/, '')))).toStrictEqual([
      `signed ${CHART}@${published['podinfo:6.7.0']} + legacy .sig`,
      `signed ${CHART}@${published['podinfo:6.8.1']}`,
      `signed ${CHART}@${published['podinfo:7.0.0']}`,
      `signed ${WEB_SHOP}@${published['web-shop']}`,
      `signed ${SMOKE}@${published.smoke}`,
      `signed ${FLUX_OPERATOR}@${published['flux-operator']}`,
      `signed ${FLUX_MANIFESTS}@${published['flux-manifests']}`,
    ]);
    expect([fluxVerified.code, fluxVerified.stderr]).toStrictEqual([EXIT.ok, '']);
    expect(fluxVerified.stdout).toBe(`verified ${FLUX_MANIFESTS}@${published['flux-manifests']} (Sigstore bundle, signed by the key)\n`);
    expect(await tagsOf(FLUX_MANIFESTS)).toStrictEqual(['v2.10.1', 'v2.11.0', referrersFallbackTag(published['flux-manifests'])].sort());
    expect(published['web-shop']).toBe(webShop.digest);
    expect(await tagsOf(CHART)).toStrictEqual([
      '6.7.0', '6.8.1', '7.0.0',
      ...['6.7.0', '6.8.1', '7.0.0'].map((v) => referrersFallbackTag(published[`podinfo:${v}`])),
      `${referrersFallbackTag(published['podinfo:6.7.0'])}.sig`,
    ].sort());
  }, SLOW);

  test('the example\'s lock file is exactly what flux-fleet lock resolves against these publishers', async () => {
    // WHEN
    // (the example program, run as npm run example runs it)
    const app = `cd "${join(EXAMPLE, '..', '..')}" && npx tsx --tsconfig examples/tsconfig.json examples/fleet/main.ts`;
    const checked = await cli('lock', '--check', '--app', app, ...aliases());
    // THEN production's podinfo 6.7.0 is the chart published above, and nothing else production pulls floats
    expect([checked.code, checked.stderr]).toStrictEqual([EXIT.ok, '']);
    expect(checked.stdout).toBe(`kept ${CHART} 6.7.0 -> 6.7.0 ${published['podinfo:6.7.0']}\n${join(EXAMPLE, 'flux-fleet.lock')} is up to date (1 entry)\n`);
  }, SLOW);

  test('mirror copies the chart versions and the web team\'s manifests into each region that uses them, with their signatures', async () => {
    // WHEN
    const mirrored = await cli('mirror', 'a', ...aliases());
    // THEN
    expect(mirrored.stderr).toBe('');
    expect(mirrored.code).toBe(EXIT.ok);
    const chartTags = (versions: string[]) => [
      ...versions,
      ...versions.map((v) => referrersFallbackTag(published[`podinfo:${v}`])),
      ...(versions.includes('6.7.0') ? [`${referrersFallbackTag(published['podinfo:6.7.0'])}.sig`] : []),
    ].sort();
    const copies = Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, {
      chart: await tagsOf(`oci://${HOST[r]}/fleet/charts/podinfo`),
      webShop: await tagsOf(`oci://${HOST[r]}/fleet/apps/web-shop`),
    }])));
    // the pinned digest is kept under its content tag, so that garbage collection of untagged manifests spares it
    const webShopTags = [contentTag(published['web-shop']), referrersFallbackTag(published['web-shop'])];
    expect(copies).toStrictEqual({
      // Asia has production only: the exact pin
      'ap-southeast-1': { chart: chartTags(['6.7.0']), webShop: webShopTags },
      // Europe and America have staging (6.x: 6.8.1, not 7.0.0) and production (6.7.0)
      'eu-west-1': { chart: chartTags(['6.7.0', '6.8.1']), webShop: webShopTags },
      'us-east-1': { chart: chartTags(['6.7.0', '6.8.1']), webShop: webShopTags },
    });
    for (const r of REGIONS) {
      expect(await digestAt(`oci://${HOST[r]}/fleet/charts/podinfo`, '6.7.0')).toBe(published['podinfo:6.7.0']);
      expect(await digestAt(`oci://${HOST[r]}/fleet/apps/web-shop`, published['web-shop'])).toBe(published['web-shop']);
    }
    // the publishers' signatures verify against every copy, as Flux checks them there
    const charts = await cli('verify', ...REGIONS.map((r) => `oci://${HOST[r]}/fleet/charts/podinfo:6.7.0`),
      `oci://${HOST['eu-west-1']}/fleet/charts/podinfo:6.8.1`, `oci://${HOST['us-east-1']}/fleet/charts/podinfo:6.8.1`, '--key', 'podinfo.pub', ...aliases());
    const webShop = await cli('verify', ...REGIONS.map((r) => `oci://${HOST[r]}/fleet/apps/web-shop@${published['web-shop']}`), '--key', 'team-web.pub', ...aliases());
    expect([charts.code, charts.stderr, webShop.code, webShop.stderr]).toStrictEqual([EXIT.ok, '', EXIT.ok, '']);
    expect(charts.stdout.trim().split('\n')).toHaveLength(5);
    expect(webShop.stdout.trim().split('\n')).toHaveLength(3);
  }, SLOW);

  test('push --sign of revision A: components and candidates in every region, signed; staging\'s tags move, production\'s do not', async () => {
    // WHEN
    const pushed = await cli('push', 'a', '--registry', '--revision', REV_A, '--source', SOURCE, '--sign', '--key', 'fleet.key', '--format', 'json', ...aliases());
    // THEN
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(EXIT.ok);
    for (const c of releaseA.clusters) candidates.a[c.name] = (await digestAt(c.url, candidateTag(REV_A)))!;
    expect(Object.values(candidates.a).every((d) => /^sha256:[0-9a-f]{64}$/.test(d))).toBe(true);
    expect(await followedTags(releaseA)).toStrictEqual({
      'prod-ap-1': undefined,
      'prod-eu-1': undefined,
      'prod-us-1': undefined,
      'stg-eu-1': candidates.a['stg-eu-1'],
      'stg-eu-2': candidates.a['stg-eu-2'],
      'stg-us-1': candidates.a['stg-us-1'],
    });
    // skopeo reads every component artifact back in every region it is used in: the digest of release.json, and the
    // digest each cluster of that region pins
    const infra = releaseA.artifacts.find((a) => a.name === 'infra')!;
    expect(infra.targets.map((t) => t.region)).toStrictEqual([...REGIONS]);
    for (const t of infra.targets) expect(await digestAt(t.url, contentTag(infra.digest))).toBe(infra.digest);
    for (const c of releaseA.clusters) expect(sourceRef(join(dir, 'a'), c.name, 'infra')).toStrictEqual({ digest: infra.digest });
    const webShop = releaseA.external.find((e) => e.component === 'web-shop')!;
    for (const t of webShop.targets) {
      expect(await digestAt(t.url, published['web-shop'])).toBe(published['web-shop']);
      for (const c of t.clusters) expect(sourceRef(join(dir, 'a'), c, 'apps-web-shop')).toStrictEqual(t.ref);
    }
    // the fleet's signature is on every copy of every pushed artifact
    const verified = await cli('verify', ...infra.targets.map((t) => `${t.url}@${infra.digest}`),
      ...releaseA.clusters.map((c) => `${c.url}:${candidateTag(REV_A)}`), '--key', 'fleet.pub', ...aliases());
    expect([verified.code, verified.stderr]).toStrictEqual([EXIT.ok, '']);
    expect(verified.stdout.trim().split('\n')).toHaveLength(infra.targets.length + releaseA.clusters.length);
  }, SLOW);

  test('verify-release of revision A finds every source of every cluster in its region, signed', async () => {
    // WHEN
    const result = await cli('verify-release', 'a', '--revision', REV_A, ...aliases());
    // THEN
    // every cluster's config, its bootstrap's Flux Operator chart, infra, podinfo, and web-shop or smoke-tests: 25 for
    // the five operator clusters; stg-eu-2 adds 4, its config at latest, its candidate unsigned and as its signed sync
    // source, and Flux's release manifests at 2.10.x (v2.10.1, signed); its infra, podinfo 6.x and smoke tests in
    // Europe are stg-eu-1's, checked once
    expect(result.stdout).toBe('every reference resolves: 29 checked for 6 clusters\n');
    expect(result.code).toBe(EXIT.ok);
  }, SLOW);

  test('promote --wave 1 of revision A moves exactly wave 1\'s clusters', async () => {
    // WHEN
    const promoted = await cli('promote', 'a', '--registry', '--environment', 'production', '--wave', '1', '--revision', REV_A, ...aliases());
    // THEN
    expect(promoted.code).toBe(EXIT.ok);
    expect(await followedTags(releaseA)).toStrictEqual({
      'prod-ap-1': undefined,
      'prod-eu-1': candidates.a['prod-eu-1'],
      'prod-us-1': undefined,
      'stg-eu-1': candidates.a['stg-eu-1'],
      'stg-eu-2': candidates.a['stg-eu-2'],
      'stg-us-1': candidates.a['stg-us-1'],
    });
  }, SLOW);

  test('revision B (one infra file changed) pushed and promoted to wave 1, then rolled back: wave 1 runs A\'s digests again', async () => {
    // GIVEN
    const infraA = releaseA.artifacts.find((a) => a.name === 'infra')!;
    const infraB = releaseB.artifacts.find((a) => a.name === 'infra')!;
    expect(infraB.digest).not.toBe(infraA.digest);
    // WHEN
    const pushed = await cli('push', 'b', '--registry', '--revision', REV_B, '--source', SOURCE, '--sign', '--key', 'fleet.key', '--format', 'json', ...aliases());
    for (const c of releaseB.clusters) candidates.b[c.name] = (await digestAt(c.url, candidateTag(REV_B)))!;
    const afterPush = await followedTags(releaseB);
    const promoted = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '1', '--revision', REV_B, ...aliases());
    const afterPromotion = await followedTags(releaseB);
    const rolledBack = await cli('promote', 'b', '--registry', '--environment', 'production', '--wave', '1', '--rollback', ...aliases());
    const afterRollback = await followedTags(releaseB);
    // THEN
    expect([pushed.code, promoted.code, rolledBack.code]).toStrictEqual([EXIT.ok, EXIT.ok, EXIT.ok]);
    for (const t of infraB.targets) expect(await digestAt(t.url, contentTag(infraB.digest))).toBe(infraB.digest);
    for (const c of releaseB.clusters) expect(sourceRef(join(dir, 'b'), c.name, 'infra')).toStrictEqual({ digest: infraB.digest });
    expect(candidates.b['prod-eu-1']).not.toBe(candidates.a['prod-eu-1']);
    const staging = { 'stg-eu-1': candidates.b['stg-eu-1'], 'stg-eu-2': candidates.b['stg-eu-2'], 'stg-us-1': candidates.b['stg-us-1'] };
    expect(afterPush).toStrictEqual({ 'prod-ap-1': undefined, 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': undefined, ...staging });
    expect(afterPromotion).toStrictEqual({ 'prod-ap-1': undefined, 'prod-eu-1': candidates.b['prod-eu-1'], 'prod-us-1': undefined, ...staging });
    expect(afterRollback).toStrictEqual({ 'prod-ap-1': undefined, 'prod-eu-1': candidates.a['prod-eu-1'], 'prod-us-1': undefined, ...staging });
    // A's candidate of prod-eu-1 still pins A's infra, which is still in Europe's registry
    expect(await digestAt(infraA.targets.find((t) => t.region === 'eu-west-1')!.url, infraA.digest)).toBe(infraA.digest);
  }, SLOW);

  test('fails verify-release when one region loses the web team\'s manifests, naming exactly that reference', async () => {
    // GIVEN revision B resolves everywhere
    const before = await cli('verify-release', 'b', '--revision', REV_B, ...aliases());
    expect(before.code).toBe(EXIT.ok);
    // WHEN the copy in Asia is deleted (registry API)
    const deleted = await fetch(`http://${registries['ap-southeast-1'].host}/v2/fleet/apps/web-shop/manifests/${published['web-shop']}`, { method: 'DELETE' });
    const after = await cli('verify-release', 'b', '--revision', REV_B, ...aliases());
    // THEN
    expect(deleted.status).toBe(202);
    expect(after.code).toBe(EXIT.errors);
    expect(after.stdout.trim().split('\n').filter((l) => l.startsWith('dangling '))).toStrictEqual([
      `dangling prod-ap-1 OCIRepository/team-web/apps-web-shop: oci://${HOST['ap-southeast-1']}/fleet/apps/web-shop digest ${published['web-shop']}: the pinned digest is not there`,
    ]);
  }, SLOW);

  test('fails verify for the chart copy whose signature one region lost, and verifies the other region\'s', async () => {
    // GIVEN America's copy of 6.8.1 without its signature: its referrers index and the bundle it lists deleted
    const copy = `oci://${HOST['us-east-1']}/fleet/charts/podinfo`;
    const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${local(copy)}:${referrersFallbackTag(published['podinfo:6.8.1'])}`)) as { manifests: Array<{ digest: string }> };
    const us = registries['us-east-1'].host;
    const statuses = [];
    for (const digest of [...index.manifests.map((m) => m.digest), (await digestAt(copy, referrersFallbackTag(published['podinfo:6.8.1'])))!]) {
      statuses.push((await fetch(`http://${us}/v2/fleet/charts/podinfo/manifests/${digest}`, { method: 'DELETE' })).status);
    }
    // WHEN
    const result = await cli('verify', `oci://${HOST['eu-west-1']}/fleet/charts/podinfo:6.8.1`, `${copy}:6.8.1`, '--key', 'podinfo.pub', ...aliases());
    // THEN
    expect(statuses).toStrictEqual([202, 202]);
    expect(result.code).toBe(EXIT.errors);
    expect(result.stdout).toMatch(new RegExp(`^verified oci://${HOST['eu-west-1']}/fleet/charts/podinfo@${published['podinfo:6.8.1']} \\(Sigstore bundle, signed by [^)]+\\)\\n$`));
    expect(result.stderr.startsWith(`NOT verified ${copy}:6.8.1: ${copy}@${published['podinfo:6.8.1']} is not signed: no Sigstore bundle among its referrers`)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, SLOW);
});
