import { execFile } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildApp } from '../../../examples/fleet/app.js';
import { fleetHtmlWithStatus, renderFleetHtml } from '../../../src/output/review/index.js';
import type { FleetPicture, FleetStatusSnapshot } from '../../../src/output/review/index.js';

/**
 * Loads fleet.html in headless Chromium (Debian's `chromium`; scripts/setup-test-machine.sh installs it): a screenshot of
 * the example fleet's page, and the page's DOM after its script ran. With FLUX_FLEET_UPDATE_SCREENSHOT=1 the
 * screenshot is also copied to docs/fleet.png, the picture the README shows.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const WIDTH = 1280;
const HEIGHT = 800;
const CLUSTERS = ['stg-eu-1', 'stg-us-1', 'stg-eu-2', 'prod-eu-1', 'prod-us-1', 'prod-ap-1'];

/** Chromium's executable: $CHROMIUM_BIN, else the first of chromium, chromium-browser on PATH. */
function findChromium(): string {
  const candidates = process.env.CHROMIUM_BIN ? [process.env.CHROMIUM_BIN] : ['chromium', 'chromium-browser'];
  for (const name of candidates) {
    const paths = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
    for (const path of paths) {
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  throw new Error('Chromium is not installed, and this test loads fleet.html in headless Chromium: run scripts/setup-test-machine.sh '
    + '(apt-get install -y chromium), or set CHROMIUM_BIN to a Chromium executable');
}

const chromium = findChromium();
const work = mkdtempSync(join(tmpdir(), 'fleet-html-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs headless Chromium, isolated: a new empty profile, no network services, no GPU. */
async function headless(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(work, 'profile-'));
  const { stdout } = await promisify(execFile)(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--hide-scrollbars', `--user-data-dir=${profile}`,
    ...args,
  ], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

let exampleHtml: string;
beforeAll(() => {
  const outdir = join(work, 'dist');
  buildApp(outdir).synth();
  exampleHtml = join(outdir, 'fleet.html');
});

describe('fleet.html in headless Chromium', () => {
  test('a screenshot of the example fleet\'s page is a non-trivial PNG of the window\'s size', async () => {
    // GIVEN
    const png = join(work, 'fleet.png');
    // WHEN
    await headless([`--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${png}`, pathToFileURL(exampleHtml).href]);
    // THEN
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8)).toStrictEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toStrictEqual([WIDTH, HEIGHT]);
    // A blank or error page compresses to a few kilobytes; the rendered fleet is far larger.
    expect(statSync(png).size).toBeGreaterThan(40_000);
    if (process.env.FLUX_FLEET_UPDATE_SCREENSHOT === '1') copyFileSync(png, join(ROOT, 'docs', 'fleet.png'));
  }, 120_000);

  test('the page\'s script lists every cluster of the example in the table', async () => {
    // WHEN
    const dom = await headless(['--dump-dom', pathToFileURL(exampleHtml).href]);
    // THEN
    expect(dom).toMatch(/<html lang="en" data-ready-ms="\d+">/);
    const rows = [...dom.matchAll(/<tr( hidden="")?><td class="name">([^<]+)/g)].map((m) => m[2]);
    expect(rows.sort()).toStrictEqual([...CLUSTERS].sort());
    expect(dom).toContain('<span id="count" class="count" aria-live="polite">Showing 6 of 6 clusters</span>');
  }, 120_000);

  test('filters given in the address show only the matching clusters', async () => {
    // WHEN
    const url = `${pathToFileURL(exampleHtml).href}#environment=production&wave=2&component=web-shop`;
    const dom = await headless(['--dump-dom', url]);
    // THEN
    const shown = [...dom.matchAll(/<tr><td class="name">([^<]+)/g)].map((m) => m[1]);
    const hidden = [...dom.matchAll(/<tr hidden=""><td class="name">([^<]+)/g)].map((m) => m[1]);
    expect(shown.sort()).toStrictEqual(['prod-ap-1', 'prod-us-1']);
    expect(hidden.sort()).toStrictEqual(['prod-eu-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1']);
    expect(dom).toContain('Showing 2 of 6 clusters</span>');
  }, 120_000);

  test('a fleet of 1,000 clusters and 24 components is ready within a second, and filters', async () => {
    // GIVEN
    const regions = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'];
    const components = Array.from({ length: 24 }, (_, i) => ({
      name: `component-${i}`, kind: 'kustomize' as const, source: 'artifact apps', dependsOn: i === 0 ? [] : [`component-${Math.floor((i - 1) / 3)}`],
    }));
    const picture: FleetPicture = {
      name: 'large',
      environments: [{ name: 'staging', channel: 'latest', production: false }, { name: 'production', channel: 'stable', production: true }],
      clusters: Array.from({ length: 1000 }, (_, i) => {
        const production = i >= 200;
        const wave = production ? 1 + (i % 4) : undefined;
        return {
          name: `${production ? 'prod' : 'stg'}-${i}`,
          environment: production ? 'production' : 'staging',
          region: regions[i % regions.length],
          wave,
          channel: wave ? `stable-wave-${wave}` : 'latest',
          registry: `registry.${regions[i % regions.length]}`,
          components: components.filter((_c, j) => (i + j) % 5 !== 0).map((c) => c.name),
        };
      }),
      components,
    };
    const file = join(work, 'large.html');
    writeFileSync(file, renderFleetHtml(picture));
    // WHEN
    const dom = await headless(['--dump-dom', `${pathToFileURL(file).href}#wave=3&region=us-east-1`]);
    // THEN
    const ready = Number(/data-ready-ms="(\d+)"/.exec(dom)?.[1]);
    expect(ready).toBeLessThan(1000);
    expect(dom.match(/<tr( hidden="")?><td class="name">/g)).toHaveLength(1000);
    const expected = picture.clusters.filter((c) => c.wave === 3 && c.region === 'us-east-1').length;
    expect(dom.match(/<tr><td class="name">/g)).toHaveLength(expected);
    expect(dom).toContain(`Showing ${expected} of 1000 clusters</span>`);
  }, 120_000);
});

describe('fleet.html\'s details and component arrows in headless Chromium', () => {
  test('the example\'s page shows each cluster\'s Flux and signer, chart versions per environment, and notification routes', async () => {
    // WHEN
    const dom = await headless(['--dump-dom', pathToFileURL(exampleHtml).href]);
    // THEN
    const rows = (id: string) => {
      const table = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(dom)?.[0] ?? '';
      return [...table.matchAll(/<tr>(<th scope="row">[^<]*<\/th>(?:<td>[^<]*<\/td>)+)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((c) => c[1].replace(/&#39;/g, '\'')));
    };
    expect(rows('flux-details').filter((r) => ['stg-eu-2', 'prod-eu-1'].includes(r[0]))).toStrictEqual([
      ['stg-eu-2', 'staging', '2.10.x', 'plain Flux', 'cosign key (Secret fleet-cosign)'],
      ['prod-eu-1', 'production', '2.9.x', 'Flux Operator', 'GitHub Actions acme/fleet release.yaml on refs/tags/v*'],
    ]);
    expect(rows('chart-versions')).toStrictEqual([['podinfo', '6.x', '6.7.0']]);
    expect(rows('notification-routes')).toStrictEqual([['slack', 'slack #fleet-alerts', 'prod-ap-1, prod-eu-1, prod-us-1, stg-eu-1, stg-eu-2, stg-us-1', '–']]);
  }, 120_000);

  test('every arrow ends on the box of the component that waits, and crosses no other box, also across columns', async () => {
    // GIVEN: dependencies that skip columns, with boxes in the columns between
    const component = (name: string, dependsOn: string[]) => ({ name, kind: 'kustomize' as const, source: 'artifact apps', dependsOn });
    const picture: FleetPicture = {
      name: 'arrows',
      environments: [{ name: 'staging', channel: 'latest', production: false }],
      clusters: [{ name: 'stg-1', environment: 'staging', region: 'eu', channel: 'latest', registry: 'r', components: [] }],
      components: [
        component('base', []), component('crds', []), component('controllers', ['crds']), component('policies', ['crds']),
        component('configs', ['controllers', 'policies']), component('apps', ['configs', 'base']), component('tests', ['crds', 'apps']),
      ],
    };
    // The page checks its own drawing: each path's end against its target box, and points along it against every other box.
    const check = `<script>
      (function () {
        var boxes = {};
        document.querySelectorAll('.graph .node').forEach(function (n) { boxes[n.getAttribute('data-component')] = n.querySelector('rect').getBBox(); });
        var problems = [];
        document.querySelectorAll('.graph .edge').forEach(function (e) {
          var to = boxes[e.getAttribute('data-to')], from = boxes[e.getAttribute('data-from')];
          var length = e.getTotalLength(), end = e.getPointAtLength(length), start = e.getPointAtLength(0);
          if (Math.abs(end.x - to.x) > 3 || end.y < to.y || end.y > to.y + to.height) problems.push(e.getAttribute('data-from') + '->' + e.getAttribute('data-to') + ' ends at ' + end.x + ',' + end.y);
          if (Math.abs(start.x - (from.x + from.width)) > 3) problems.push(e.getAttribute('data-from') + '->' + e.getAttribute('data-to') + ' starts off its box');
          for (var d = 4; d < length - 4; d += 2) {
            var p = e.getPointAtLength(d);
            Object.keys(boxes).forEach(function (name) {
              var b = boxes[name];
              if (p.x > b.x + 1 && p.x < b.x + b.width - 1 && p.y > b.y + 1 && p.y < b.y + b.height - 1) problems.push(e.getAttribute('data-from') + '->' + e.getAttribute('data-to') + ' crosses ' + name);
            });
          }
        });
        document.documentElement.setAttribute('data-edges', String(document.querySelectorAll('.graph .edge').length));
        document.documentElement.setAttribute('data-edge-problems', Array.from(new Set(problems)).join('; '));
      })();
    </script>`;
    const file = join(work, 'arrows.html');
    writeFileSync(file, renderFleetHtml(picture).replace('</body>', `${check}\n</body>`));
    // WHEN
    const dom = await headless(['--dump-dom', pathToFileURL(file).href]);
    // THEN
    expect(/data-edges="(\d+)"/.exec(dom)?.[1]).toBe('8');
    expect(/data-edge-problems="([^"]*)"/.exec(dom)?.[1]).toBe('');
  }, 120_000);
});

describe('fleet.html with a status snapshot in headless Chromium', () => {
  const revision = 'b'.repeat(40);
  const older = 'a'.repeat(40);
  const snapshot: FleetStatusSnapshot = {
    revision,
    readAt: '2026-01-02T03:04:05Z',
    clusters: [
      { name: 'prod-eu-1', state: 'healthy', revision, since: '2026-01-02T03:00:00Z', description: 'reconciliation succeeded' },
      { name: 'prod-us-1', state: 'failing', revision, since: '2026-01-02T03:01:00Z', description: 'health check failed <script>' },
      { name: 'prod-ap-1', state: 'progressing', revision: older, since: '2026-01-01T00:00:00Z', description: 'reconciliation succeeded' },
      { name: 'stg-eu-1', state: 'healthy', revision, since: '2026-01-02T02:00:00Z' },
      { name: 'stg-eu-2', state: 'unknown', description: 'no report found' },
    ],
  };
  let page: string;
  beforeAll(() => {
    page = join(work, 'status.html');
    writeFileSync(page, fleetHtmlWithStatus(readFileSync(exampleHtml, 'utf8'), snapshot));
  });

  /** The rows of a table of the dumped DOM: each cell's text (without a cluster's labels). */
  function cells(dom: string, id: string, section: 'thead' | 'tbody'): string[][] {
    const table = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(dom)?.[0] ?? '';
    const part = new RegExp(`<${section}>([\\s\\S]*?)</${section}>`).exec(table)?.[1] ?? '';
    return [...part.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1].replace(/<span class="label">[^<]*<\/span>/g, '').replace(/<[^>]+>/g, '')));
  }

  test('the page shows each cluster\'s state and reported revision, and the states by wave and region', async () => {
    // WHEN
    const dom = await headless(['--dump-dom', pathToFileURL(page).href]);
    // THEN
    expect(dom).toContain('<h2 id="status-title">Status on bbbbbbbbbbbb</h2>');
    expect(dom).toContain('Reported by 5 of 6 clusters, read at 2026-01-02T03:04:05Z: 2 healthy, 1 progressing, 1 unknown, 1 failing.');
    expect(cells(dom, 'status-grid', 'thead')).toStrictEqual([['Stage', 'ap-southeast-1', 'eu-west-1', 'us-east-1', 'All regions']]);
    expect(cells(dom, 'status-grid', 'tbody')).toStrictEqual([
      ['staging', '', '1/2', '', '1/2'],
      ['production wave 1', '', '1/1', '', '1/1'],
      ['production wave 2', '0/1', '', '0/1', '0/2'],
    ]);
    expect([...dom.matchAll(/<td class="cell cell-(\w+)"[^>]*data-environment="production" data-wave="2" data-region="([^"]*)">/g)].map((m) => [m[2], m[1]]))
      .toStrictEqual([['ap-southeast-1', 'progressing'], ['us-east-1', 'failing'], ['', 'failing']]);
    const rows = Object.fromEntries(cells(dom, 'clusters', 'tbody').map((r) => [r[0], r.slice(6, 8)]));
    expect(rows).toStrictEqual({
      'prod-eu-1': ['healthy', 'bbbbbbbbbbbb'],
      'prod-us-1': ['failing', 'bbbbbbbbbbbb'],
      'prod-ap-1': ['progressing', 'aaaaaaaaaaaa'],
      'stg-eu-1': ['healthy', 'bbbbbbbbbbbb'],
      'stg-eu-2': ['unknown', '–'],
      'stg-us-1': ['not read', '–'],
    });
    // What a forge said is text, never markup.
    expect(dom).toContain('title="health check failed &lt;script&gt;, since 2026-01-02T03:01:00Z"');
  }, 120_000);

  test('a state given in the address shows only the clusters in it', async () => {
    // WHEN
    const dom = await headless(['--dump-dom', `${pathToFileURL(page).href}#state=failing`]);
    // THEN
    expect([...dom.matchAll(/<tr><td class="name">([^<]+)/g)].map((m) => m[1])).toStrictEqual(['prod-us-1']);
    expect(dom).toContain('Showing 1 of 6 clusters</span>');
  }, 120_000);

  test('without a snapshot the page shows no status', async () => {
    // WHEN
    const dom = await headless(['--dump-dom', pathToFileURL(exampleHtml).href]);
    // THEN
    expect(dom).toContain('<section class="panel" id="status" hidden="">');
    expect(dom).toContain('<select id="f-state" aria-label="State" hidden="">');
    expect(cells(dom, 'clusters', 'thead')[0].slice(0, 7)).toStrictEqual(['Cluster', 'Environment', 'Region', 'Wave', 'Channel', 'Registry', 'infra-controllers']);
  }, 120_000);

  test('fails when the page is not a fleet.html of flux-fleet', () => {
    expect(() => fleetHtmlWithStatus('<!DOCTYPE html><html></html>', snapshot)).toThrow(/the page has no status element: it is not a fleet.html written by this version of flux-fleet; synthesize the fleet again/);
  });
});
