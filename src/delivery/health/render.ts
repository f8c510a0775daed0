import type { ClusterHealth, FleetHealth } from './health.js';
import { printable } from '../../flux/core/terminal-text.js';

/** How {@link renderHealth} writes a fleet's health: aligned text for a terminal, or a Markdown table. */
export type HealthFormat = 'text' | 'markdown';

/**
 * A fleet's health as text: a line per cluster (name, environment, wave, region, state, the revision it last
 * reported, since when, what the report says), then a line per wave, then the verdict. Markdown gives the same as
 * tables, for a pull-request comment or a CI job summary. Everything read from a forge is made printable first.
 */
export function renderHealth(health: FleetHealth, format: HealthFormat): string {
  const rows = health.clusters.map((c) => [
    c.name, c.environment, c.wave !== undefined ? String(c.wave) : '-', c.region, c.state, revisionLabel(c, health.revision),
    c.since ? printable(c.since) : '-', c.description ? printable(c.description) : '-',
  ]);
  const head = ['cluster', 'environment', 'wave', 'region', 'state', 'revision', 'since', 'report'];
  const waves = health.waves.map((w) => [
    w.environment, w.wave !== undefined ? String(w.wave) : '-', `${w.healthy}/${w.clusters}`, String(w.failing), String(w.progressing), String(w.unknown),
  ]);
  const waveHead = ['environment', 'wave', 'healthy', 'failing', 'progressing', 'unknown'];
  const verdict = health.healthy
    ? `healthy: every one of ${health.clusters.length} cluster${health.clusters.length === 1 ? '' : 's'} reports healthy on ${health.revision}`
    : `not healthy on ${health.revision}: ${summary(health)}`;
  if (format === 'markdown') {
    return [
      `### Fleet health on \`${health.revision.slice(0, 12)}\``,
      '',
      `**${health.healthy ? 'Healthy' : 'Not healthy'}**: ${verdict.replace(/^[^:]+: /, '')}`,
      '',
      table(waveHead, waves),
      '',
      table(head, rows.map((r) => r.map((cell, i) => (i === 4 ? `${STATE_ICON[r[4].split(' ')[0]] ?? ''} ${cell}`.trim() : cell)))),
      '',
      `Read at ${health.readAt} in ${health.requests} request${health.requests === 1 ? '' : 's'}.`,
      '',
    ].join('\n');
  }
  return [aligned(head, rows), '', aligned(waveHead, waves), '', verdict, ''].join('\n');
}

const STATE_ICON: Record<string, string> = { healthy: '✅', failing: '❌', progressing: '⏳', unknown: '❔' };

function revisionLabel(c: ClusterHealth, revision: string): string {
  if (c.revision === undefined) return '-';
  return c.revision === revision ? c.revision.slice(0, 12) : `${c.revision.slice(0, 12)} (older)`;
}

function summary(health: FleetHealth): string {
  const count = (state: string) => health.clusters.filter((c) => c.state === state).length;
  return ['healthy', 'failing', 'progressing', 'unknown'].map((s) => `${count(s)} ${s}`).join(', ');
}

function aligned(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

function table(head: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
