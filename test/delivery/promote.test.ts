import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import {
  clusterArtifactsFromTree, Destinations, promoteArtifacts, promotionTargets, PromotionError, pushArtifacts, wholeTreeArtifact, type DeliveryArtifact,
} from '../../src/delivery/index.js';
import { sha256Digest } from '../../src/index.js';
import { FaultProxy, skopeo, TestRegistry } from '../support/registry.js';

const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AP = '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com';
const R1 = { source: 'https://github.com/acme/fleet', revision: 'main@sha1:1111111111111111111111111111111111111111' };
const R2 = { source: 'https://github.com/acme/fleet', revision: 'main@sha1:2222222222222222222222222222222222222222' };

let dir: string;
let eu: TestRegistry;
let us: TestRegistry;
let euProxy: FaultProxy;
let usProxy: FaultProxy;
let artifacts: DeliveryArtifact[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-promote-'));
  buildApp(join(dir, 'tree')).synth();
  artifacts = await clusterArtifactsFromTree(join(dir, 'tree'));
  [eu, us] = await Promise.all([TestRegistry.start(), TestRegistry.start()]);
  // Pass-through proxies that record every request, to show that promotion uploads nothing.
  [euProxy, usProxy] = await Promise.all([FaultProxy.start(() => eu.host, () => 'pass'), FaultProxy.start(() => us.host, () => 'pass')]);
  const destinations = regions();
  const report = await pushArtifacts(artifacts, { destinations, metadata: R1, tags: ['latest'] });
  destinations.close();
  expect(report.failed).toStrictEqual([]);
}, 120_000);

afterAll(async () => {
  await Promise.all([euProxy.stop(), usProxy.stop()]);
  await Promise.all([eu.destroy(), us.destroy()]);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Two registries for the fleet's regions: Europe on one, America and Asia on the other. */
function regions(): Destinations {
  return new Destinations({ hostAliases: { [EU]: euProxy.host, [US]: usProxy.host, [AP]: usProxy.host }, retry: { retries: 1, baseDelayMs: 10 } });
}

async function digestOf(registry: TestRegistry, repository: string, tag: string): Promise<string | undefined> {
  try {
    return sha256Digest(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/${repository}:${tag}`));
  } catch {
    return undefined;
  }
}

function requestsSince(marks: [number, number]): string[] {
  return [...euProxy.requests.slice(marks[0]), ...usProxy.requests.slice(marks[1])].map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`);
}

describe('promote', () => {
  test('moves a wave\'s tag to the digest the channel holds, without uploading anything', async () => {
    // GIVEN
    const latest = await digestOf(eu, 'fleet/clusters/prod-eu-1', 'latest');
    const marks: [number, number] = [euProxy.requests.length, usProxy.requests.length];
    const destinations = regions();
    // WHEN
    const report = await promoteArtifacts(promotionTargets(artifacts, { environment: 'production', wave: 1 }), { destinations, from: 'latest' });
    destinations.close();
    // THEN
    expect(report).toStrictEqual({
      revision: R1.revision,
      tags: [{ artifact: 'prod-eu-1', location: `oci://${EU}/fleet/clusters/prod-eu-1`, region: 'eu-west-1', from: 'latest', to: 'stable-wave-1', digest: latest, moved: true }],
    });
    expect(await digestOf(eu, 'fleet/clusters/prod-eu-1', 'stable-wave-1')).toBe(latest);
    expect(requestsSince(marks).filter((r) => r.includes('/blobs/'))).toStrictEqual([]);
    expect(requestsSince(marks)).toContain('PUT /v2/fleet/clusters/prod-eu-1/manifests/stable-wave-1');
  }, 120_000);

  test('moves an environment\'s tags across the two registries standing for its regions', async () => {
    // GIVEN
    const destinations = regions();
    // WHEN
    const report = await promoteArtifacts(promotionTargets(artifacts, { environment: 'production' }), { destinations, from: 'latest' });
    destinations.close();
    // THEN
    expect(report.tags.map((t) => [t.artifact, t.region, t.to, t.moved])).toStrictEqual([
      ['prod-ap-1', 'ap-southeast-1', 'stable-wave-2', true],
      ['prod-eu-1', 'eu-west-1', 'stable-wave-1', false],
      ['prod-us-1', 'us-east-1', 'stable-wave-2', true],
    ]);
    expect(await digestOf(us, 'fleet/clusters/prod-us-1', 'stable-wave-2')).toBe(await digestOf(us, 'fleet/clusters/prod-us-1', 'latest'));
    expect(await digestOf(us, 'fleet/clusters/prod-ap-1', 'stable-wave-2')).toBe(await digestOf(us, 'fleet/clusters/prod-ap-1', 'latest'));
  }, 120_000);

  test('refuses when the regions disagree on the digest, and moves nothing', async () => {
    // GIVEN: the whole tree in both regions, then another tree in America only
    const whole = wholeTreeArtifact(artifacts);
    let destinations = regions();
    await pushArtifacts([whole], { destinations, metadata: R1 });
    const other = { ...whole, files: [...whole.files, { path: 'clusters/extra.yaml', content: Buffer.from('{}\n') }], targets: whole.targets.filter((t) => !t.url.includes(EU)) };
    await pushArtifacts([other], { destinations, metadata: R1 });
    destinations.close();
    destinations = regions();
    // WHEN
    const promotion = promoteArtifacts(promotionTargets([whole], { tag: 'stable' }), { destinations, from: 'latest' });
    // THEN
    await expect(promotion).rejects.toThrow(PromotionError);
    await expect(promotion).rejects.toThrow(/fleet: the regions disagree on the digest of "latest": ap-southeast-1 has sha256:[0-9a-f]{12}, eu-west-1 has sha256:[0-9a-f]{12}, us-east-1 has sha256:[0-9a-f]{12}; push again so that every region holds the same artifact/);
    destinations.close();
    expect(await digestOf(eu, 'fleet/fleet', 'stable')).toBeUndefined();
    expect(await digestOf(us, 'fleet/fleet', 'stable')).toBeUndefined();
  }, 120_000);

  test('refuses when the clusters\' artifacts come from different revisions (a partial push)', async () => {
    // GIVEN: prod-us-1 pushed again from another revision
    const destinations = regions();
    const changed = artifacts.filter((a) => a.name === 'prod-us-1').map((a) => ({ ...a, files: [...a.files, { path: 'note.txt', content: Buffer.from('r2\n') }] }));
    await pushArtifacts(changed, { destinations, metadata: R2, tags: ['next'] });
    await pushArtifacts(artifacts.filter((a) => a.name !== 'prod-us-1'), { destinations, metadata: R1, tags: ['next'] });
    const before = await digestOf(us, 'fleet/clusters/prod-us-1', 'stable-wave-2');
    // WHEN
    const promotion = promoteArtifacts(promotionTargets(artifacts, { environment: 'production' }), { destinations, from: 'next' });
    // THEN
    await expect(promotion).rejects.toThrow(`the artifacts tagged "next" come from different revisions: ${R1.revision} (prod-ap-1, prod-eu-1); ${R2.revision} (prod-us-1); push the whole fleet again so that they all come from one revision`);
    destinations.close();
    expect(await digestOf(us, 'fleet/clusters/prod-us-1', 'stable-wave-2')).toBe(before);
  }, 120_000);

  test('refuses when the channel tag is missing somewhere', async () => {
    // GIVEN
    const destinations = regions();
    // WHEN
    const promotion = promoteArtifacts(promotionTargets(artifacts, { environment: 'staging' }), { destinations, from: 'release-9' });
    // THEN
    await expect(promotion).rejects.toThrow(`promotion refused, no tag was moved:\n  stg-eu-1: oci://${EU}/fleet/clusters/stg-eu-1 has no tag "release-9"; push it first\n  stg-eu-2: oci://${EU}/fleet/clusters/stg-eu-2 has no tag "release-9"; push it first\n  stg-us-1: oci://${US}/fleet/clusters/stg-us-1 has no tag "release-9"; push it first`);
    destinations.close();
  }, 120_000);

  test('a dry run checks and reports, moving nothing', async () => {
    // GIVEN
    const destinations = regions();
    // WHEN
    const report = await promoteArtifacts(promotionTargets(artifacts, { clusters: ['stg-eu-1'], tag: 'preview' }), { destinations, from: 'latest', dryRun: true });
    destinations.close();
    // THEN
    expect(report.tags.map((t) => [t.to, t.moved, t.previous])).toStrictEqual([['preview', false, undefined]]);
    expect(await digestOf(eu, 'fleet/clusters/stg-eu-1', 'preview')).toBeUndefined();
  }, 120_000);

  test('fails when no cluster matches the selection', () => {
    // THEN
    expect(() => promotionTargets(artifacts, { environment: 'prod' })).toThrow('no cluster matches environment "prod" (environments: production, staging)');
  });
});
