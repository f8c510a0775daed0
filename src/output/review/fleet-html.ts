import { fleetDetailsHtml } from './fleet-details.js';
import {
  FleetPicture, GENERATED_NOTICE, PictureComponent, RolloutStage, clusterCounts, compareStrings, componentDepths, plural,
  rolloutStages, sortedClusters, stageName,
} from './fleet-picture.js';
import { scriptSafeJson, statusElement, type FleetStatusSnapshot } from './fleet-status.js';

/** The file name of the HTML picture, at the root of the fleet's tree. */
export const FLEET_HTML_FILE = 'fleet.html';

/** Options of {@link renderFleetHtml}. */
export interface FleetHtmlOptions {
  /**
   * What the clusters reported on a revision (e.g. `healthOf`'s result): the page then shows each cluster's state and
   * reported revision, and the states by wave and region. `flux-fleet status --html` adds one to a synthesized page.
   * @default - none: the page shows the fleet as declared
   */
  readonly status?: FleetStatusSnapshot;
}

/** Clusters named on a rollout card before the rest are only counted. */
const NAMES_PER_CARD = 6;

/**
 * Renders fleet.html: one self-contained page (inline CSS and script, no network) with the rollout waves, the
 * component ordering as a graph, and a table of every cluster against its components that can be searched, filtered
 * by environment, region, wave and component, and sorted. The table is built in the browser from data embedded in the
 * page, so a fleet of a thousand clusters stays small and quick. With a status snapshot, it also shows what the
 * clusters reported. The same picture (and snapshot) always gives the same bytes.
 */
export function renderFleetHtml(picture: FleetPicture, options: FleetHtmlOptions = {}): string {
  const regions = [...new Set(picture.clusters.map((c) => c.region))].sort(compareStrings);
  const stats = [
    plural(picture.clusters.length, 'cluster'), plural(picture.environments.length, 'environment'),
    plural(regions.length, 'region'), plural(picture.components.length, 'component'),
  ].join(' · ');
  return `<!DOCTYPE html>
<!-- ${GENERATED_NOTICE} -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet ${esc(picture.name)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<header>
<h1>Fleet <span class="fleet-name">${esc(picture.name)}</span></h1>
<p class="stats">${esc(stats)}</p>
</header>
<main>
<div class="panels">
<section class="panel stages">
<h2>Rollout waves</h2>
<p class="hint">A release reaches these stages in order. Select a stage to list its clusters.</p>
${rolloutHtml(rolloutStages(picture))}
</section>
<section class="panel">
<h2>Component ordering</h2>
<p class="hint">Each arrow points to a component that waits for the other. Select a component to list the clusters that get it.</p>
${componentGraphSvg(picture)}
</section>
</div>
<section class="panel" id="status" hidden>
<h2 id="status-title">Status</h2>
<p class="hint" id="status-hint"></p>
<div class="table-wrap"><table id="status-grid"><thead></thead><tbody></tbody></table></div>
</section>
<section class="panel">
<h2>Clusters</h2>
<div class="filters" role="search">
<input id="q" type="search" placeholder="Search name, region, channel, label…" aria-label="Search clusters" autocomplete="off">
<select id="f-environment" aria-label="Environment"></select>
<select id="f-region" aria-label="Region"></select>
<select id="f-wave" aria-label="Wave"></select>
<select id="f-component" aria-label="Component"></select>
<select id="f-state" aria-label="State" hidden></select>
<button id="reset" type="button">Reset</button>
<span id="count" class="count" aria-live="polite"></span>
</div>
<noscript><p>The cluster table needs JavaScript; FLEET.md beside this file has the same table.</p></noscript>
<div class="table-wrap">
<table id="clusters">
<thead></thead>
<tbody></tbody>
<tfoot></tfoot>
</table>
</div>
</section>
${fleetDetailsHtml(picture)}
</main>
<script type="application/json" id="fleet-data">${embeddedData(picture)}</script>
${statusElement(options.status)}
<script>
${SCRIPT}
</script>
</body>
</html>
`;
}

/** The picture as compact JSON for the page's script: registries and components as indices. */
function embeddedData(picture: FleetPicture): string {
  const registries = [...new Set(picture.clusters.map((c) => c.registry))].sort(compareStrings);
  const componentIndex = new Map(picture.components.map((c, i) => [c.name, i]));
  const data = {
    environments: picture.environments.map((e) => e.name),
    components: picture.components.map((c) => c.name),
    registries,
    // name, environment, region, wave, channel, registry, labels, components
    clusters: sortedClusters(picture).map((c) => [
      c.name, c.environment, c.region, c.wave ?? null, c.channel, registries.indexOf(c.registry),
      Object.entries(c.labels ?? {}).sort(([a], [b]) => compareStrings(a, b)).map(([k, v]) => `${k}=${v}`),
      c.components.map((n) => componentIndex.get(n)).filter((i): i is number => i !== undefined).sort((a, b) => a - b),
    ]),
  };
  return scriptSafeJson(data);
}

function rolloutHtml(stages: readonly RolloutStage[]): string {
  if (stages.length === 0) return '<p class="empty">No clusters.</p>';
  const cards = stages.map((stage) => {
    const names = stage.clusters.map((c) => c.name);
    const shown = names.slice(0, names.length <= NAMES_PER_CARD ? NAMES_PER_CARD : NAMES_PER_CARD - 1);
    const more = names.length - shown.length;
    const wave = stage.wave === undefined ? '' : String(stage.wave);
    return `<li><button type="button" class="stage" data-environment="${esc(stage.environment)}" data-wave="${wave === '' ? 'none' : wave}">` +
      `<span class="stage-env">${esc(stage.environment)}</span>` +
      `<span class="stage-wave">${stage.wave === undefined ? 'no wave' : `wave ${stage.wave}`}</span>` +
      `<code class="stage-tag">${esc(stage.channels.join(', '))}</code>` +
      `<span class="stage-count">${esc(plural(stage.clusters.length, 'cluster'))}</span>` +
      `<span class="stage-names">${esc(shown.join(', '))}${more > 0 ? ` +${more} more` : ''}</span>` +
      '</button></li>';
  });
  return `<ol class="rollout" aria-label="Rollout stages: ${esc(stages.map(stageName).join(', then '))}">\n${cards.join('\n')}\n</ol>`;
}

const NODE_HEIGHT = 46;
const NODE_GAP_Y = 14;
const NODE_GAP_X = 48;
const MARGIN = 12;
const MAX_LABEL = 30;

/** The components in columns by depth (a component right of everything it waits for), arrows between. */
function componentGraphSvg(picture: FleetPicture): string {
  if (picture.components.length === 0) return '<p class="empty">No components.</p>';
  const depths = componentDepths(picture);
  const counts = clusterCounts(picture);
  const columns: PictureComponent[][] = [];
  for (const c of picture.components) (columns[depths.get(c.name) ?? 0] ??= []).push(c);
  const detailOf = (c: PictureComponent) => `${c.kind} · ${plural(counts.get(c.name) ?? 0, 'cluster')}${c.tenant ? ` · ${c.tenant}` : ''}`;
  // Text widths estimated from the fonts' average character widths: 13px bold names, 11.5px details.
  const textWidth = (c: PictureComponent) => Math.max(Math.min(c.name.length, MAX_LABEL) * 7.6, Math.min(detailOf(c).length, MAX_LABEL + 10) * 6.1);
  const widest = Math.max(...picture.components.map(textWidth));
  const width = Math.max(150, Math.round(widest + 26));
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((column, depth) => column.forEach((c, i) => {
    pos.set(c.name, { x: MARGIN + depth * (width + NODE_GAP_X), y: MARGIN + i * (NODE_HEIGHT + NODE_GAP_Y) });
  }));
  const svgWidth = MARGIN * 2 + columns.length * width + (columns.length - 1) * NODE_GAP_X;
  const svgHeight = MARGIN * 2 + Math.max(...columns.map((col) => col.length)) * (NODE_HEIGHT + NODE_GAP_Y) - NODE_GAP_Y;
  const rows = Math.max(...columns.map((col) => col.length));
  const edges: string[] = [];
  for (const c of picture.components) {
    const to = pos.get(c.name)!;
    for (const dep of c.dependsOn) {
      const from = pos.get(dep);
      if (!from) continue;
      const d = edgePath(from, to, width, rows);
      edges.push(`<path class="edge" d="${d}" marker-end="url(#arrow)" data-from="${esc(dep)}" data-to="${esc(c.name)}"><title>${esc(`${c.name} waits for ${dep}`)}</title></path>`);
    }
  }
  const nodes = picture.components.map((c) => {
    const { x, y } = pos.get(c.name)!;
    const label = c.name.length > MAX_LABEL ? `${c.name.slice(0, MAX_LABEL - 1)}…` : c.name;
    const full = detailOf(c);
    const detail = full.length > MAX_LABEL + 10 ? `${full.slice(0, MAX_LABEL + 9)}…` : full;
    return `<g class="node ${c.kind}" data-component="${esc(c.name)}" tabindex="0" role="button">` +
      `<title>${esc(`${c.name}: ${c.source}${c.dependsOn.length ? `; waits for ${c.dependsOn.join(', ')}` : ''}`)}</title>` +
      `<rect x="${x}" y="${y}" width="${width}" height="${NODE_HEIGHT}" rx="8"/>` +
      `<text x="${x + 12}" y="${y + 19}" class="node-name">${esc(label)}</text>` +
      `<text x="${x + 12}" y="${y + 36}" class="node-detail">${esc(detail)}</text></g>`;
  });
  return `<div class="graph-wrap"><svg class="graph" width="${svgWidth}" height="${svgHeight}" viewBox="0 0 ${svgWidth} ${svgHeight}" role="img" aria-label="Component ordering">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
${edges.join('\n')}
${nodes.join('\n')}
</svg></div>`;
}

/**
 * The path of an arrow from the right edge of a component's box to the left edge of the box of one that waits for it.
 * Between neighbouring columns it is one curve; across columns it runs along the gap between two rows of boxes, so
 * that it never crosses a box of the columns between (which it would seem to point into).
 */
function edgePath(from: { x: number; y: number }, to: { x: number; y: number }, width: number, rows: number): string {
  const x1 = from.x + width;
  const y1 = from.y + NODE_HEIGHT / 2;
  const x2 = to.x - 2;
  const y2 = to.y + NODE_HEIGHT / 2;
  if (x2 - x1 <= NODE_GAP_X) {
    const bend = Math.max(24, (x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
  }
  // The gap (above the first row, between two rows, or below the last) closest to both ends.
  const gaps = Array.from({ length: rows + 1 }, (_, k) => MARGIN + k * (NODE_HEIGHT + NODE_GAP_Y) - NODE_GAP_Y / 2);
  const yg = gaps.reduce((best, y) => (Math.abs(y - y1) + Math.abs(y - y2) < Math.abs(best - y1) + Math.abs(best - y2) ? y : best));
  const xs = x1 + NODE_GAP_X / 2;
  const xe = x2 - NODE_GAP_X / 2 + 2;
  const half = NODE_GAP_X / 4;
  return `M${x1},${y1} C${x1 + half},${y1} ${xs - half},${yg} ${xs},${yg} L${xe},${yg} C${xe + half},${yg} ${x2 - half},${y2} ${x2},${y2}`;
}

/** Text for HTML content and attribute values. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --panel: #fff; --accent: #0969da;
  --kustomize: #ddf4ff; --kustomize-line: #54aeff; --helm: #fbefff; --helm-line: #c297ff; --yes: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 18px 24px 8px; }
h1 { margin: 0; font-size: 24px; font-weight: 600; }
.fleet-name { color: var(--accent); }
.stats { margin: 4px 0 0; color: var(--muted); }
main { padding: 8px 24px 24px; }
.panels { display: flex; flex-wrap: wrap; gap: 0 16px; }
.panels > .panel { flex: 1 1 420px; }
.panels > .panel.stages { flex: 0 1 auto; max-width: 100%; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin-bottom: 16px; min-width: 0; }
h2 { margin: 0 0 2px; font-size: 16px; font-weight: 600; }
.hint { margin: 0 0 10px; color: var(--muted); font-size: 12.5px; }
.empty { color: var(--muted); }
.rollout { list-style: none; display: flex; flex-wrap: wrap; gap: 8px 26px; margin: 0; padding: 0; }
.rollout li { position: relative; }
.rollout li + li::before { content: "→"; position: absolute; left: -20px; top: 34%; color: var(--muted); font-size: 16px; }
.stage { display: flex; flex-direction: column; align-items: flex-start; gap: 1px; min-width: 132px; max-width: 220px; padding: 8px 10px;
  border: 1px solid var(--line); border-radius: 8px; background: var(--bg); font: inherit; text-align: left; cursor: pointer; color: inherit; }
.stage:hover, .stage:focus-visible, .stage.active { border-color: var(--accent); box-shadow: 0 0 0 2px rgba(9,105,218,.15); }
.stage-env { font-weight: 600; }
.stage-wave { color: var(--muted); font-size: 12px; }
.stage-tag, code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.stage-tag { background: #eff2f5; border-radius: 4px; padding: 0 4px; }
.stage-count { font-size: 12.5px; }
.stage-names { color: var(--muted); font-size: 12px; }
.graph-wrap { overflow: auto; }
.graph { display: block; max-width: 100%; height: auto; }
.graph .edge { fill: none; stroke: #8c959f; stroke-width: 1.5; }
.graph marker path { fill: #8c959f; }
.graph .node { cursor: pointer; }
.graph .node rect { stroke-width: 1.5; }
.graph .node.kustomize rect { fill: var(--kustomize); stroke: var(--kustomize-line); }
.graph .node.helm rect { fill: var(--helm); stroke: var(--helm-line); }
.graph .node:hover rect, .graph .node:focus rect, .graph .node.active rect { stroke: var(--accent); stroke-width: 2.5; }
.graph .node-name { font-weight: 600; font-size: 13px; fill: var(--fg); }
.graph .node-detail { font-size: 11.5px; fill: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0 10px; }
.filters input, .filters select, .filters button { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: inherit; }
.filters input { flex: 1 1 240px; min-width: 200px; }
.filters button { cursor: pointer; }
.count { color: var(--muted); margin-left: auto; }
.table-wrap { overflow: auto; max-height: 75vh; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: separate; border-spacing: 0; width: 100%; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; text-align: left; }
thead th { position: sticky; top: 0; background: #f6f8fa; z-index: 2; font-weight: 600; cursor: pointer; user-select: none; vertical-align: bottom; }
thead th.sorted::after { content: " ▲"; font-size: 10px; color: var(--muted); }
thead th.sorted.desc::after { content: " ▼"; }
thead th.component { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; padding: 8px 6px; font-weight: 500; }
tbody tr:hover td { background: #f6f8fa; }
td.name { font-weight: 600; position: sticky; left: 0; background: #fff; }
tbody tr:hover td.name { background: #f6f8fa; }
td.num, th.num { text-align: right; }
td.has { text-align: center; color: var(--yes); font-weight: 700; }
td.has-not { text-align: center; color: #d1d9e0; }
.label { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 10px; background: #eff2f5; color: var(--muted); font-size: 11.5px; font-weight: 400; }
.env-production { color: #9a6700; }
.state { font-weight: 600; }
.state-healthy { color: var(--yes); }
.state-failing { color: #cf222e; }
.state-progressing { color: #9a6700; }
.state-unknown, .state-none { color: var(--muted); }
td.older code { color: #9a6700; }
#status-grid td.cell { text-align: center; cursor: pointer; }
#status-grid td.cell-healthy { background: #dafbe1; }
#status-grid td.cell-failing { background: #ffebe9; }
#status-grid td.cell-progressing { background: #fff8c5; }
#status-grid td.cell-unknown { background: #eff2f5; }
tfoot td { position: sticky; bottom: 0; background: #f6f8fa; font-weight: 600; color: var(--muted); border-top: 1px solid var(--line); }`;

const SCRIPT = `(function () {
  'use strict';
  var started = performance.now();
  var data = JSON.parse(document.getElementById('fleet-data').textContent);
  var comps = data.components;
  // A status snapshot (flux-fleet status --html): name -> [state, revision, since, description]; null when none.
  var status = JSON.parse(document.getElementById('fleet-status').textContent);
  var STATES = ['healthy', 'progressing', 'unknown', 'failing'];
  var clusters = data.clusters.map(function (c) {
    var report = status ? status.clusters[c[0]] || null : null;
    return {
      report: report, state: report ? report[0] : null,
      name: c[0], environment: c[1], region: c[2], wave: c[3], channel: c[4], registry: data.registries[c[5]] || '',
      labels: c[6], components: c[7],
      has: comps.map(function (_, i) { return c[7].indexOf(i) >= 0; }),
      text: [c[0], c[1], c[2], c[3] === null ? '' : 'wave ' + c[3], c[4], data.registries[c[5]] || '', report ? report[0] : ''].concat(c[6]).join(' ').toLowerCase()
    };
  });
  var $ = function (id) { return document.getElementById(id); };
  var table = $('clusters');
  var q = $('q'), fEnv = $('f-environment'), fRegion = $('f-region'), fWave = $('f-wave'), fComp = $('f-component'), fState = $('f-state');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function uniq(values) {
    return values.filter(function (v, i) { return values.indexOf(v) === i; });
  }
  function fill(select, all, options) {
    select.appendChild(new Option(all, ''));
    options.forEach(function (o) { select.appendChild(new Option(o[1], o[0])); });
  }
  var envs = uniq(data.environments.concat(clusters.map(function (c) { return c.environment; })));
  fill(fEnv, 'All environments', envs.map(function (e) { return [e, e]; }));
  fill(fRegion, 'All regions', uniq(clusters.map(function (c) { return c.region; })).sort().map(function (r) { return [r, r]; }));
  var waves = uniq(clusters.map(function (c) { return c.wave; })).filter(function (w) { return w !== null; }).sort(function (a, b) { return a - b; });
  var waveOptions = waves.map(function (w) { return [String(w), 'Wave ' + w]; });
  if (clusters.some(function (c) { return c.wave === null; })) waveOptions.push(['none', 'No wave']);
  fill(fWave, 'All waves', waveOptions);
  fill(fComp, 'All components', comps.map(function (c, i) { return [String(i), 'Gets ' + c]; }));
  if (status) {
    fill(fState, 'All states', STATES.map(function (s) { return [s, s.charAt(0).toUpperCase() + s.slice(1)]; }));
    fState.hidden = false;
  }

  var columns = [
    { title: 'Cluster', key: function (c) { return c.name; } },
    { title: 'Environment', key: function (c) { return envs.indexOf(c.environment); } },
    { title: 'Region', key: function (c) { return c.region; } },
    { title: 'Wave', num: true, key: function (c) { return c.wave === null ? 1e9 : c.wave; } },
    { title: 'Channel', key: function (c) { return c.channel; } },
    { title: 'Registry', key: function (c) { return c.registry; } }
  ].concat(status ? [
    { title: 'State', key: function (c) { return c.state === null ? 9 : STATES.indexOf(c.state); } },
    { title: 'Reported', key: function (c) { return c.report && c.report[1] ? c.report[1] : '~'; } }
  ] : []).concat(comps.map(function (name, i) {
    return { title: name, component: true, key: function (c) { return c.has[i] ? 0 : 1; } };
  }));

  var headRow = el('tr');
  columns.forEach(function (col, i) {
    var th = el('th', (col.component ? 'component' : '') + (col.num ? ' num' : ''), col.title);
    th.title = col.component ? 'Sort by whether clusters get ' + col.title : 'Sort by ' + col.title.toLowerCase();
    th.addEventListener('click', function () { sortBy(i); });
    headRow.appendChild(th);
  });
  table.tHead.appendChild(headRow);

  var body = table.tBodies[0];
  clusters.forEach(function (c) {
    var tr = el('tr');
    var name = el('td', 'name', c.name);
    c.labels.forEach(function (l) { name.appendChild(el('span', 'label', l)); });
    tr.appendChild(name);
    tr.appendChild(el('td', /^prod/.test(c.environment) ? 'env-production' : '', c.environment));
    tr.appendChild(el('td', '', c.region));
    tr.appendChild(el('td', 'num', c.wave === null ? '–' : String(c.wave)));
    tr.appendChild(el('td', '')).appendChild(el('code', '', c.channel));
    tr.appendChild(el('td', '')).appendChild(el('code', '', c.registry));
    if (status) {
      var r = c.report;
      var st = el('td', 'state state-' + (r ? r[0] : 'none'), r ? r[0] : 'not read');
      st.title = r ? [r[3], r[2] ? 'since ' + r[2] : ''].filter(Boolean).join(', ') : 'not in the snapshot';
      tr.appendChild(st);
      var rev = tr.appendChild(el('td', r && r[1] && r[1] !== status.revision ? 'older' : ''));
      if (r && r[1]) {
        rev.appendChild(el('code', '', r[1].slice(0, 12)));
        rev.title = r[1] === status.revision ? 'the revision read' : 'an older revision than ' + status.revision;
      } else rev.textContent = '–';
    }
    c.has.forEach(function (has, i) {
      var td = el('td', has ? 'has' : 'has-not', has ? '✓' : '·');
      td.title = c.name + (has ? ' gets ' : ' does not get ') + comps[i];
      tr.appendChild(td);
    });
    c.row = tr;
    body.appendChild(tr);
  });

  var footRow = el('tr');
  var footLabel = el('td', '', 'Shown clusters that get each component');
  footLabel.colSpan = status ? 8 : 6;
  footRow.appendChild(footLabel);
  var footCells = comps.map(function () { return footRow.appendChild(el('td', 'has')); });
  table.tFoot.appendChild(footRow);

  var sortColumn = -1, sortDesc = false;
  function sortBy(i) {
    sortDesc = sortColumn === i ? !sortDesc : false;
    sortColumn = i;
    var key = columns[i].key;
    var ordered = clusters.slice().sort(function (a, b) {
      var x = key(a), y = key(b);
      var d = x < y ? -1 : x > y ? 1 : 0;
      if (d === 0) d = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      return sortDesc ? -d : d;
    });
    var frag = document.createDocumentFragment();
    ordered.forEach(function (c) { frag.appendChild(c.row); });
    body.appendChild(frag);
    Array.prototype.forEach.call(headRow.children, function (th, j) {
      th.classList.toggle('sorted', j === i);
      th.classList.toggle('desc', j === i && sortDesc);
    });
  }

  function apply() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var env = fEnv.value, region = fRegion.value, wave = fWave.value, comp = fComp.value, state = fState.value;
    var shown = 0;
    var perComponent = comps.map(function () { return 0; });
    clusters.forEach(function (c) {
      var ok = (!env || c.environment === env) && (!region || c.region === region)
        && (!wave || (wave === 'none' ? c.wave === null : String(c.wave) === wave))
        && (!comp || c.has[Number(comp)]) && (!state || c.state === state)
        && words.every(function (w) { return c.text.indexOf(w) >= 0; });
      c.row.hidden = !ok;
      if (ok) {
        shown++;
        c.has.forEach(function (has, i) { if (has) perComponent[i]++; });
      }
    });
    $('count').textContent = 'Showing ' + shown + ' of ' + clusters.length + ' cluster' + (clusters.length === 1 ? '' : 's');
    perComponent.forEach(function (n, i) { footCells[i].textContent = String(n); });
    Array.prototype.forEach.call(document.querySelectorAll('.stage'), function (s) {
      s.classList.toggle('active', s.getAttribute('data-environment') === env && s.getAttribute('data-wave') === wave);
    });
    Array.prototype.forEach.call(document.querySelectorAll('.graph .node'), function (n) {
      n.classList.toggle('active', comp !== '' && n.getAttribute('data-component') === comps[Number(comp)]);
    });
  }

  // The filters live in the address's fragment (#environment=production&wave=2), so a filtered view can be shared.
  var fields = { q: q, environment: fEnv, region: fRegion, wave: fWave, component: fComp, state: fState };
  function fromHash() {
    var params = new URLSearchParams(location.hash.slice(1));
    Object.keys(fields).forEach(function (k) {
      var v = params.get(k) || '';
      if (k === 'component' && v) v = String(comps.indexOf(v));
      fields[k].value = v;
      if (fields[k].value !== v) fields[k].value = '';
    });
  }
  function toHash() {
    var params = new URLSearchParams();
    Object.keys(fields).forEach(function (k) {
      var v = fields[k].value;
      if (v) params.set(k, k === 'component' ? comps[Number(v)] : v);
    });
    var hash = params.toString();
    if (hash !== location.hash.slice(1)) history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
  }
  function update() {
    apply();
    toHash();
  }

  var timer = 0;
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(update, 60); });
  [fEnv, fRegion, fWave, fComp].forEach(function (s) { s.addEventListener('change', update); });
  $('reset').addEventListener('click', function () {
    q.value = ''; fEnv.value = ''; fRegion.value = ''; fWave.value = ''; fComp.value = ''; fState.value = '';
    update();
  });
  Array.prototype.forEach.call(document.querySelectorAll('.stage'), function (s) {
    s.addEventListener('click', function () {
      fEnv.value = s.getAttribute('data-environment');
      fWave.value = s.getAttribute('data-wave');
      fRegion.value = ''; fComp.value = '';
      update();
      table.scrollIntoView({ block: 'nearest' });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('.graph .node'), function (n) {
    function pick() {
      var i = comps.indexOf(n.getAttribute('data-component'));
      fComp.value = fComp.value === String(i) ? '' : String(i);
      update();
    }
    n.addEventListener('click', pick);
    n.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
  });
  // The snapshot by stage (environment and wave, in rollout order) and region: healthy of read, coloured by the
  // worst state; a cell filters the table.
  if (status) {
    var read = clusters.filter(function (c) { return c.report; });
    var counts = {};
    STATES.forEach(function (s) { counts[s] = read.filter(function (c) { return c.state === s; }).length; });
    $('status-title').textContent = 'Status on ' + status.revision.slice(0, 12);
    $('status-hint').textContent = 'Reported by ' + read.length + ' of ' + clusters.length + ' clusters, read at ' + status.readAt + ': '
      + STATES.map(function (s) { return counts[s] + ' ' + s; }).join(', ') + '. A cell counts the clusters healthy on ' + status.revision + '.';
    var regions = uniq(read.map(function (c) { return c.region; })).sort();
    var stages = uniq(read.map(function (c) { return c.environment + '\u0000' + (c.wave === null ? 'none' : c.wave); })).map(function (k) {
      var parts = k.split('\u0000');
      return { environment: parts[0], wave: parts[1] };
    }).sort(function (a, b) {
      return envs.indexOf(a.environment) - envs.indexOf(b.environment) || (a.wave === 'none' ? 1e9 : Number(a.wave)) - (b.wave === 'none' ? 1e9 : Number(b.wave));
    });
    var grid = $('status-grid');
    var head = el('tr');
    head.appendChild(el('th', '', 'Stage'));
    regions.concat(['All regions']).forEach(function (r) { head.appendChild(el('th', '', r)); });
    grid.tHead.appendChild(head);
    stages.forEach(function (stage) {
      var tr = el('tr');
      tr.appendChild(el('th', '', stage.environment + (stage.wave === 'none' ? '' : ' wave ' + stage.wave))).scope = 'row';
      regions.concat(['']).forEach(function (region) {
        var these = read.filter(function (c) {
          return c.environment === stage.environment && String(c.wave === null ? 'none' : c.wave) === stage.wave && (!region || c.region === region);
        });
        if (these.length === 0) { tr.appendChild(el('td', '', '')); return; }
        var n = {};
        STATES.forEach(function (s) { n[s] = these.filter(function (c) { return c.state === s; }).length; });
        var worst = STATES.slice().reverse().filter(function (s) { return n[s] > 0; })[0];
        var td = el('td', 'cell cell-' + worst, n.healthy + '/' + these.length);
        td.title = STATES.filter(function (s) { return n[s] > 0; }).map(function (s) { return n[s] + ' ' + s; }).join(', ')
          + ': ' + these.map(function (c) { return c.name; }).join(', ');
        td.setAttribute('data-environment', stage.environment);
        td.setAttribute('data-wave', stage.wave);
        td.setAttribute('data-region', region);
        td.addEventListener('click', function () {
          fEnv.value = stage.environment; fWave.value = stage.wave; fRegion.value = region; fComp.value = ''; fState.value = '';
          update();
          table.scrollIntoView({ block: 'nearest' });
        });
        tr.appendChild(td);
      });
      grid.tBodies[0].appendChild(tr);
    });
    $('status').hidden = false;
  }
  window.addEventListener('hashchange', function () { fromHash(); apply(); });
  fromHash();
  apply();
  document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now() - started)));
})();`;
