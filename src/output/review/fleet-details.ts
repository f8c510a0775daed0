import { FleetPicture, sortedClusters } from './fleet-picture.js';

/*
 * The details of a fleet beside its clusters and components: the Flux each cluster runs and who signs what it pulls,
 * the chart versions per environment, and where notifications go. FLEET.md and fleet.html show them as tables.
 */

/** Clusters named in a notification's row before the rest are only counted. */
const NAMES_PER_ROUTE = 8;

/** The tables as rows of cells, shared by both renderings. */
interface DetailTables {
  readonly flux: string[][];
  readonly charts: { readonly head: string[]; readonly rows: string[][] };
  readonly notifications: string[][];
}

function tables(picture: FleetPicture): DetailTables {
  const flux = sortedClusters(picture).filter((c) => c.flux || c.signer)
    .map((c) => [c.name, c.environment, c.flux?.version ?? '–', c.flux ? (c.flux.bootstrap === 'operator' ? 'Flux Operator' : 'plain Flux') : '–', c.signer ?? '–']);
  const environments = picture.environments.map((e) => e.name);
  const charts = picture.components.filter((c) => c.chartVersions && c.chartVersions.length > 0).map((c) => [
    c.name,
    ...environments.map((env) => c.chartVersions!.find((v) => v.environment === env)?.versions.join(', ') ?? '–'),
  ]);
  const notifications = (picture.notifications ?? []).map((n) => [
    n.name,
    n.destination,
    n.clusters.length <= NAMES_PER_ROUTE ? n.clusters.join(', ') || '–' : `${n.clusters.slice(0, NAMES_PER_ROUTE).join(', ')} and ${n.clusters.length - NAMES_PER_ROUTE} more`,
    n.tenants && n.tenants.length > 0 ? n.tenants.join(', ') : '–',
  ]);
  return { flux, charts: { head: ['Chart', ...environments], rows: charts }, notifications };
}

/** The details as Markdown sections: Flux and signing per cluster, chart versions, notifications. */
export function fleetDetailsMarkdown(picture: FleetPicture): string {
  const t = tables(picture);
  const md = (text: string) => text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');
  const table = (head: string[], rows: string[][]) => [
    `| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`),
  ].join('\n');
  const out: string[] = [];
  if (t.flux.length > 0) out.push('## Flux and signing', '', 'The Flux each cluster runs, how it is bootstrapped, and who signs what it pulls from the fleet\'s registry.', '', table(['Cluster', 'Environment', 'Flux', 'Bootstrap', 'Signer'], t.flux), '');
  if (t.charts.rows.length > 0) out.push('## Chart versions', '', 'The versions (or ranges, or digests) of each chart that the clusters of each environment pull.', '', table(t.charts.head, t.charts.rows), '');
  if (t.notifications.length > 0) out.push('## Notifications', '', 'Where each cluster sends the events of its Flux objects.', '', table(['Notification', 'Destination', 'Clusters', 'Tenants'], t.notifications), '');
  return out.join('\n');
}

/** The details as HTML panels, for fleet.html: the same tables as FLEET.md's. */
export function fleetDetailsHtml(picture: FleetPicture): string {
  const t = tables(picture);
  const esc = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const table = (id: string, head: string[], rows: string[][]) => `<div class="table-wrap"><table id="${id}" class="details">\n<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.map((r) => `<tr>${r.map((cell, i) => (i === 0 ? `<th scope="row">${esc(cell)}</th>` : `<td>${esc(cell)}</td>`)).join('')}</tr>`).join('\n')}\n</tbody></table></div>`;
  const panel = (title: string, hint: string, body: string) => `<section class="panel">\n<h2>${esc(title)}</h2>\n<p class="hint">${esc(hint)}</p>\n${body}\n</section>`;
  const out: string[] = [];
  if (t.flux.length > 0) out.push(panel('Flux and signing', 'The Flux each cluster runs, how it is bootstrapped, and who signs what it pulls.', table('flux-details', ['Cluster', 'Environment', 'Flux', 'Bootstrap', 'Signer'], t.flux)));
  if (t.charts.rows.length > 0) out.push(panel('Chart versions', 'The chart versions each environment\'s clusters pull.', table('chart-versions', t.charts.head, t.charts.rows)));
  if (t.notifications.length > 0) out.push(panel('Notifications', 'Where each cluster sends the events of its Flux objects.', table('notification-routes', ['Notification', 'Destination', 'Clusters', 'Tenants'], t.notifications)));
  return out.join('\n');
}
