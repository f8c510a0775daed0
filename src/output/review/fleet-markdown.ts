import { fleetDetailsMarkdown } from './fleet-details.js';
import {
  FleetPicture, GENERATED_NOTICE, clusterCounts, compareStrings, componentDepths, plural, rolloutStages, sortedClusters, stageName,
} from './fleet-picture.js';

/** The file name of the Markdown picture, at the root of the fleet's tree. */
export const FLEET_MARKDOWN_FILE = 'FLEET.md';

/** Clusters named in a rollout-graph node before the rest are only counted. */
const NAMES_PER_STAGE = 4;

/**
 * Renders FLEET.md: the fleet's environments, a table of clusters (environment, region, wave, channel, registry)
 * against the components each gets, the components, and Mermaid graphs of component ordering and rollout waves,
 * which GitHub renders. The same picture always gives the same text.
 */
export function renderFleetMarkdown(picture: FleetPicture, options: { readonly htmlFile?: string } = {}): string {
  const htmlFile = options.htmlFile ?? 'fleet.html';
  const regions = [...new Set(picture.clusters.map((c) => c.region))].sort(compareStrings);
  const counts = clusterCounts(picture);
  const out: string[] = [];
  out.push(`<!-- ${GENERATED_NOTICE} -->`, '');
  out.push(`# Fleet ${md(picture.name)}`, '');
  out.push(`${plural(picture.clusters.length, 'cluster')} in ${plural(picture.environments.length, 'environment')} and ` +
    `${plural(regions.length, 'region')}, with ${plural(picture.components.length, 'component')}. ` +
    `For a searchable view of a large fleet, open [${htmlFile}](${htmlFile}) in a browser.`, '');

  out.push('## Rollout waves', '');
  out.push('Each release reaches the clusters stage by stage, left to right; a stage\'s clusters follow its tag.', '');
  out.push('```mermaid', 'flowchart LR');
  const stages = rolloutStages(picture);
  stages.forEach((stage, i) => {
    const names = stage.clusters.map((c) => c.name);
    const shown = names.length <= NAMES_PER_STAGE ? names.join(', ') : `${names.slice(0, NAMES_PER_STAGE - 1).join(', ')} and ${names.length - NAMES_PER_STAGE + 1} more`;
    out.push(`  s${i}["${mermaid(`${stageName(stage)}`)}<br/>${mermaid(stage.channels.join(', '))}<br/>${mermaid(`${plural(stage.clusters.length, 'cluster')}: ${shown}`)}"]`);
  });
  for (let i = 1; i < stages.length; i++) out.push(`  s${i - 1} --> s${i}`);
  out.push('```', '');

  out.push('## Component ordering', '');
  out.push('An arrow points from a component to the components that wait for it to be ready.', '');
  out.push('```mermaid', 'flowchart LR');
  const ids = new Map(picture.components.map((c, i) => [c.name, `c${i}`]));
  const depths = componentDepths(picture);
  const byDepth = [...picture.components].sort((a, b) => (depths.get(a.name) ?? 0) - (depths.get(b.name) ?? 0));
  for (const c of byDepth) {
    out.push(`  ${ids.get(c.name)}["${mermaid(c.name)}<br/>${mermaid(`${c.kind} · ${plural(counts.get(c.name) ?? 0, 'cluster')}`)}"]`);
  }
  for (const c of byDepth) {
    for (const dep of c.dependsOn) {
      const from = ids.get(dep);
      if (from) out.push(`  ${from} --> ${ids.get(c.name)}`);
    }
  }
  out.push('```', '');

  out.push('## Environments', '');
  out.push(row(['Environment', 'Channel', 'Production', 'Waves', 'Clusters']));
  out.push(row(['---', '---', '---', '---', '---:']));
  for (const env of picture.environments) {
    const clusters = picture.clusters.filter((c) => c.environment === env.name);
    const waves = [...new Set(clusters.map((c) => c.wave).filter((w): w is number => w !== undefined))].sort((a, b) => a - b);
    out.push(row([md(env.name), code(env.channel), env.production ? 'yes' : 'no', waves.length ? waves.join(', ') : '–', String(clusters.length)]));
  }
  out.push('');

  out.push('## Clusters', '');
  out.push('Which components each cluster gets (✓).', '');
  out.push(row(['Cluster', 'Environment', 'Region', 'Wave', 'Channel', 'Registry', ...picture.components.map((c) => md(c.name))]));
  out.push(row(['---', '---', '---', '---:', '---', '---', ...picture.components.map(() => ':---:')]));
  for (const c of sortedClusters(picture)) {
    const has = new Set(c.components);
    out.push(row([
      `**${md(c.name)}**`, md(c.environment), md(c.region), c.wave === undefined ? '–' : String(c.wave), code(c.channel), code(c.registry),
      ...picture.components.map((comp) => (has.has(comp.name) ? '✓' : '')),
    ]));
  }
  out.push('');

  out.push('## Components', '');
  out.push(row(['Component', 'Kind', 'Source', 'Waits for', 'Tenant', 'Clusters']));
  out.push(row(['---', '---', '---', '---', '---', '---:']));
  for (const c of picture.components) {
    out.push(row([
      `**${md(c.name)}**`, c.kind, md(c.source), c.dependsOn.length ? c.dependsOn.map(md).join(', ') : '–', c.tenant ? md(c.tenant) : '–', String(counts.get(c.name) ?? 0),
    ]));
  }
  const details = fleetDetailsMarkdown(picture);
  if (details !== '') out.push('', details.replace(/\n+$/, ''));
  return out.join('\n') + '\n';
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Text for a Markdown table cell: pipes, HTML and emphasis characters escaped, on one line. */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');
}

/** Text as inline code in a table cell. */
function code(text: string): string {
  return `\`${text.replace(/`/g, '\'').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}\``;
}

/** Text inside a quoted Mermaid label: quotes and markup characters as entity codes. */
function mermaid(text: string): string {
  return text.replace(/[#"<>&]/g, (ch) => `#${ch.charCodeAt(0)};`);
}
