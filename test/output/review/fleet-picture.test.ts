import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../examples/fleet/app.js';
import { fleetPictureOf } from '../../../src/frontends/cdk8s/fleet-picture.js';
import { renderFleetHtml, renderFleetMarkdown, rolloutStages } from '../../../src/output/review/index.js';
import type { FleetPicture } from '../../../src/output/review/index.js';

/** A small fleet: two environments, a wave, two components, one of them for production only. */
const SMALL: FleetPicture = {
  name: 'acme',
  environments: [
    { name: 'staging', channel: 'latest', production: false },
    { name: 'production', channel: 'stable', production: true },
  ],
  clusters: [
    { name: 'prod-1', environment: 'production', region: 'eu-west-1', wave: 1, channel: 'stable-wave-1', registry: 'registry.eu', components: ['infra', 'shop'] },
    { name: 'stg-1', environment: 'staging', region: 'eu-west-1', channel: 'latest', registry: 'registry.eu', labels: { tier: 'edge' }, components: ['infra'] },
  ],
  components: [
    { name: 'infra', kind: 'kustomize', source: 'artifact infra', dependsOn: [] },
    { name: 'shop', kind: 'helm', source: 'chart oci://example.com/shop, version 1.x', dependsOn: ['infra'], tenant: 'team-web' },
  ],
};

describe('the picture of the example fleet', () => {
  test('is built from the fleet: environments, clusters with their channel, registry and components, and components', () => {
    // GIVEN
    const app = buildApp(join(mkdtempSync(join(tmpdir(), 'picture-')), 'dist'));
    // WHEN
    const picture = fleetPictureOf(app.fleets()[0]);
    // THEN
    const ecr = (region: string) => `123456789012.dkr.ecr.${region}.amazonaws.com`;
    const all = ['infra-controllers', 'infra-configs', 'podinfo'];
    const staging = [...all, 'smoke-tests'];
    const operator = { version: '2.9.x', bootstrap: 'operator' };
    const STAGING_KEY = 'cosign key (Secret fleet-cosign)';
    const TAGS = 'GitHub Actions acme/fleet release.yaml on refs/tags/v*';
    expect(picture).toStrictEqual({
      name: 'acme',
      environments: [
        { name: 'staging', channel: 'latest', production: false },
        { name: 'production', channel: 'stable', production: true },
      ],
      clusters: [
        { name: 'stg-eu-1', environment: 'staging', region: 'eu-west-1', wave: undefined, channel: 'latest', registry: ecr('eu-west-1'), labels: {}, components: staging, flux: operator, signer: STAGING_KEY },
        { name: 'stg-us-1', environment: 'staging', region: 'us-east-1', wave: undefined, channel: 'latest', registry: ecr('us-east-1'), labels: {}, components: staging, flux: operator, signer: STAGING_KEY },
        { name: 'stg-eu-2', environment: 'staging', region: 'eu-west-1', wave: undefined, channel: 'latest', registry: ecr('eu-west-1'), labels: {}, components: staging, flux: { version: '2.10.x', bootstrap: 'plain' }, signer: STAGING_KEY },
        { name: 'prod-eu-1', environment: 'production', region: 'eu-west-1', wave: 1, channel: 'stable-wave-1', registry: ecr('eu-west-1'), labels: {}, components: [...all, 'web-shop'], flux: operator, signer: TAGS },
        { name: 'prod-us-1', environment: 'production', region: 'us-east-1', wave: 2, channel: 'stable-wave-2', registry: ecr('us-east-1'), labels: {}, components: [...all, 'web-shop'], flux: operator, signer: TAGS },
        { name: 'prod-ap-1', environment: 'production', region: 'ap-southeast-1', wave: 2, channel: 'stable-wave-2', registry: ecr('ap-southeast-1'), labels: { tier: 'edge' }, components: [...all, 'web-shop'], flux: operator, signer: TAGS },
      ],
      components: [
        { name: 'infra-controllers', dependsOn: [], tenant: undefined, kind: 'kustomize', source: 'folder ./infra, path ./controllers' },
        { name: 'infra-configs', dependsOn: ['infra-controllers'], tenant: undefined, kind: 'kustomize', source: 'folder ./infra, path ./configs' },
        {
          name: 'podinfo',
          dependsOn: ['infra-configs'],
          tenant: undefined,
          kind: 'helm',
          source: 'chart fleet/charts/podinfo (mirrored in each region\'s registry), version per cluster',
          chartVersions: [{ environment: 'staging', versions: ['6.x'] }, { environment: 'production', versions: ['6.7.0'] }],
        },
        { name: 'web-shop', dependsOn: ['infra-configs'], tenant: 'team-web', kind: 'kustomize', source: 'artifact oci://ghcr.io/acme/web-shop-manifests, path ./deploy' },
        { name: 'smoke-tests', dependsOn: ['infra-configs'], tenant: undefined, kind: 'kustomize', source: 'artifact oci://ghcr.io/acme/smoke-tests' },
      ],
      notifications: [{ name: 'slack', destination: 'slack #fleet-alerts', clusters: ['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1'] }],
    });
  });

  test('synth writes FLEET.md and fleet.html at the root of the tree', () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'picture-')), 'dist');
    // WHEN
    buildApp(outdir).synth();
    // THEN
    expect(readdirSync(outdir).sort()).toStrictEqual(['.flux-fleet', 'FLEET.md', 'artifacts', 'clusters', 'fleet.html', 'release.json']);
    const md = readFileSync(join(outdir, 'FLEET.md'), 'utf8');
    expect(md).toContain('| **prod-ap-1** | production | ap-southeast-1 | 2 | `stable-wave-2` | `123456789012.dkr.ecr.ap-southeast-1.amazonaws.com` | ✓ | ✓ | ✓ | ✓ |  |\n');
    expect(md).toContain('| **stg-us-1** | staging | us-east-1 | – | `latest` | `123456789012.dkr.ecr.us-east-1.amazonaws.com` | ✓ | ✓ | ✓ |  | ✓ |\n');
    expect(md).toContain('| **stg-eu-2** | staging | eu-west-1 | – | `latest` | `123456789012.dkr.ecr.eu-west-1.amazonaws.com` | ✓ | ✓ | ✓ |  | ✓ |\n');
    expect(md).toContain('  s0["staging<br/>latest<br/>3 clusters: stg-eu-1, stg-eu-2, stg-us-1"]\n');
    expect(md).toContain('  s1["production wave 1<br/>stable-wave-1<br/>1 cluster: prod-eu-1"]\n');
    expect(md).toContain('  c1 --> c3\n');
    const html = readFileSync(join(outdir, 'fleet.html'), 'utf8');
    for (const name of ['stg-eu-1', 'stg-us-1', 'stg-eu-2', 'prod-eu-1', 'prod-us-1', 'prod-ap-1']) expect(html).toContain(`"${name}"`);
  });
});

describe('renderFleetMarkdown', () => {
  test('renders the rollout and ordering graphs in Mermaid, and tables of environments, clusters and components', () => {
    // WHEN
    const md = renderFleetMarkdown(SMALL);
    // THEN
    expect(md).toBe(`<!-- Generated by flux-fleet. Do not edit: change the fleet program and synthesize again. -->

# Fleet acme

2 clusters in 2 environments and 1 region, with 2 components. For a searchable view of a large fleet, open [fleet.html](fleet.html) in a browser.

## Rollout waves

Each release reaches the clusters stage by stage, left to right; a stage's clusters follow its tag.

\`\`\`mermaid
flowchart LR
  s0["staging<br/>latest<br/>1 cluster: stg-1"]
  s1["production wave 1<br/>stable-wave-1<br/>1 cluster: prod-1"]
  s0 --> s1
\`\`\`

## Component ordering

An arrow points from a component to the components that wait for it to be ready.

\`\`\`mermaid
flowchart LR
  c0["infra<br/>kustomize · 2 clusters"]
  c1["shop<br/>helm · 1 cluster"]
  c0 --> c1
\`\`\`

## Environments

| Environment | Channel | Production | Waves | Clusters |
| --- | --- | --- | --- | ---: |
| staging | \`latest\` | no | – | 1 |
| production | \`stable\` | yes | 1 | 1 |

## Clusters

Which components each cluster gets (✓).

| Cluster | Environment | Region | Wave | Channel | Registry | infra | shop |
| --- | --- | --- | ---: | --- | --- | :---: | :---: |
| **stg-1** | staging | eu-west-1 | – | \`latest\` | \`registry.eu\` | ✓ |  |
| **prod-1** | production | eu-west-1 | 1 | \`stable-wave-1\` | \`registry.eu\` | ✓ | ✓ |

## Components

| Component | Kind | Source | Waits for | Tenant | Clusters |
| --- | --- | --- | --- | --- | ---: |
| **infra** | kustomize | artifact infra | – | – | 2 |
| **shop** | helm | chart oci://example.com/shop, version 1.x | infra | team-web | 1 |
`);
  });

  test('escapes Markdown table cells and Mermaid labels', () => {
    // GIVEN
    const picture: FleetPicture = {
      ...SMALL,
      components: [{ name: 'infra', kind: 'kustomize', source: 'artifact a|b <x>', dependsOn: [] }, { ...SMALL.components[1], name: 'shop' }],
      clusters: [{ ...SMALL.clusters[0], channel: 'semver "1.x"' }],
    };
    // WHEN
    const md = renderFleetMarkdown(picture);
    // THEN
    expect(md).toContain('| **infra** | kustomize | artifact a\\|b \\<x\\> |');
    expect(md).toContain('<br/>semver #34;1.x#34;<br/>');
  });
});

describe('renderFleetHtml', () => {
  test('is one self-contained page: inline style and script, nothing loaded from the network', () => {
    // WHEN
    const html = renderFleetHtml(SMALL);
    // THEN
    expect(html.startsWith('<!DOCTYPE html>\n<!-- Generated by flux-fleet.')).toBe(true);
    expect(html).not.toMatch(/<link\b|<script[^>]*\bsrc=|<img\b|@import|url\((?!#)/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('<style>');
    expect(html).toContain('<script type="application/json" id="fleet-data">{"environments":["staging","production"],"components":["infra","shop"],'
      + '"registries":["registry.eu"],"clusters":[["stg-1","staging","eu-west-1",null,"latest",0,["tier=edge"],[0]],'
      + '["prod-1","production","eu-west-1",1,"stable-wave-1",0,[],[0,1]]]}</script>');
  });

  test('draws the rollout stages and the component graph on the page itself', () => {
    // WHEN
    const html = renderFleetHtml(SMALL);
    // THEN
    expect(html).toContain('<ol class="rollout" aria-label="Rollout stages: staging, then production wave 1">');
    expect(html).toContain('data-environment="production" data-wave="1"');
    expect(html).toContain('<g class="node helm" data-component="shop"');
    expect(html.match(/<path class="edge"/g)).toHaveLength(1);
  });

  test('keeps names that look like markup out of the page\'s markup', () => {
    // GIVEN
    const picture: FleetPicture = { ...SMALL, name: '<b>x</b>', clusters: [{ ...SMALL.clusters[0], name: '</script><script>alert(1)</script>' }] };
    // WHEN
    const html = renderFleetHtml(picture);
    // THEN
    expect(html).toContain('<title>Fleet &#60;b&#62;x&#60;/b&#62;</title>');
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"');
  });

  test('renders the same bytes for the same fleet, and a thousand clusters in a small page', () => {
    // GIVEN
    const clusters = Array.from({ length: 1000 }, (_, i) => ({ ...SMALL.clusters[i % 2], name: `cluster-${i}` }));
    // WHEN
    const html = renderFleetHtml({ ...SMALL, clusters });
    // THEN
    expect(renderFleetHtml({ ...SMALL, clusters })).toBe(html);
    expect(html.length).toBeLessThan(100_000);
  });
});

describe('rolloutStages', () => {
  test('orders environments by promotion, waves ascending, clusters without a wave after the waves', () => {
    // GIVEN
    const c = (name: string, environment: string, wave?: number) => ({ name, environment, wave, region: 'r', channel: 't', registry: 'x', components: [] });
    const picture: FleetPicture = {
      name: 'f',
      environments: [{ name: 'staging', channel: 'latest', production: false }, { name: 'production', channel: 'stable', production: true }],
      clusters: [c('p3', 'production'), c('p2', 'production', 2), c('p1', 'production', 1), c('s1', 'staging'), c('p0', 'production', 1)],
      components: [],
    };
    // WHEN
    const stages = rolloutStages(picture);
    // THEN
    expect(stages.map((s) => [s.environment, s.wave, s.clusters.map((x) => x.name)])).toStrictEqual([
      ['staging', undefined, ['s1']],
      ['production', 1, ['p0', 'p1']],
      ['production', 2, ['p2']],
      ['production', undefined, ['p3']],
    ]);
  });
});
