import type { FieldChange } from './field-diff.js';
import { objectLabel, type ClusterChange, type FileChange, type FleetDiff, type ObjectChange } from './fleet-diff.js';
import { compareStrings, compareWaves, plural } from './fleet-picture.js';

/** How a diff is printed: `text` for a terminal, `markdown` for a pull-request comment. */
export type DiffFormat = 'text' | 'markdown';

/** Options of {@link formatFleetDiff}. */
export interface DiffReportOptions {
  /** The format. @default 'text' */
  readonly format?: DiffFormat;
  /**
   * The most characters the report may have: cluster detail that does not fit is left out, with a note saying how
   * much. The summary is always printed.
   * @default - 60000 for markdown (a GitHub comment holds 65536), no limit for text
   */
  readonly maxChars?: number;
  /** The most field changes shown per object, the rest counted. @default 40 */
  readonly maxFields?: number;
  /** The longest a value is shown; longer values are cut around where they differ. @default 80 */
  readonly maxValueChars?: number;
}

/** The size markdown reports are kept under by default: a GitHub comment holds at most 65536 characters. */
export const MARKDOWN_MAX_CHARS = 60_000;

const NAMES_IN_SUMMARY = 8;

/**
 * Prints a fleet diff: a summary first (how many clusters change, by environment and wave, and files outside
 * clusters/), then the detail of each cluster (its objects added, removed and changed, with the changed fields as
 * `path: old → new`). Clusters with exactly the same change are printed once, together. In markdown, each cluster's
 * detail is collapsed in a `<details>` block, and the report is kept under {@link DiffReportOptions.maxChars}.
 */
export function formatFleetDiff(diff: FleetDiff, options: DiffReportOptions = {}): string {
  const format = options.format ?? 'text';
  const maxChars = options.maxChars ?? (format === 'markdown' ? MARKDOWN_MAX_CHARS : Infinity);
  const show: ShowOptions = { maxFields: options.maxFields ?? 40, maxValue: options.maxValueChars ?? 80 };
  const groups = groupIdentical(diff.changes, show);
  const summary = format === 'markdown' ? markdownSummary(diff) : textSummary(diff);
  const blocks = groups.map((g) => (format === 'markdown' ? markdownBlock(g) : textBlock(g)));

  let out = summary + packedFolders(diff.otherFiles, format);
  for (let i = 0; i < blocks.length; i++) {
    const leftOut = groups.slice(i).reduce((n, g) => n + g.clusters.length, 0);
    const note = format === 'markdown'
      ? `\n> [!NOTE]\n> The detail of ${plural(leftOut, 'more cluster')} is left out to keep this comment under ${maxChars} characters; run \`flux-fleet diff\` to see everything.\n`
      : `\n(The detail of ${plural(leftOut, 'more cluster')} is left out to keep this report under ${maxChars} characters.)\n`;
    if (out.length + blocks[i].length + (i < blocks.length - 1 ? note.length : 0) <= maxChars) {
      out += blocks[i];
      continue;
    }
    out += note;
    break;
  }
  return out;
}

interface ShowOptions {
  readonly maxFields: number;
  readonly maxValue: number;
}

/** Clusters whose detail is the same, line for line. */
interface Group {
  readonly clusters: readonly ClusterChange[];
  readonly lines: readonly string[];
  readonly counts: string;
}

function groupIdentical(changes: readonly ClusterChange[], show: ShowOptions): Group[] {
  const ordered = [...changes].sort((a, b) => compareStrings(a.environment ?? '\uffff', b.environment ?? '\uffff')
    || compareWaves(a.wave, b.wave) || compareStrings(a.name, b.name));
  const groups = new Map<string, { clusters: ClusterChange[]; lines: string[]; counts: string }>();
  for (const change of ordered) {
    const lines = detailLines(change, show);
    const counts = countsOf(change);
    const key = `${change.type}\n${counts}\n${lines.join('\n')}`;
    const group = groups.get(key);
    if (group) group.clusters.push(change);
    else groups.set(key, { clusters: [change], lines, counts });
  }
  return [...groups.values()];
}

/** `2 objects changed, 1 added` */
function countsOf(change: ClusterChange): string {
  const count = (type: string) => change.objects.filter((o) => o.type === type).length + change.files.filter((f) => f.type === type).length;
  const changed = count('changed');
  const added = count('added');
  const removed = count('removed');
  const total = changed + added + removed;
  const noun = total === 1 ? 'object' : 'objects';
  if (change.type === 'added') return `new cluster, ${added} ${noun}`;
  if (change.type === 'removed') return `cluster removed, ${removed} ${noun}`;
  const parts = [changed ? `${changed} changed` : '', added ? `${added} added` : '', removed ? `${removed} removed` : ''].filter(Boolean);
  return parts.length === 1 ? `${total} ${noun} ${parts[0].replace(/^\d+ /, '')}` : `${total} ${noun}: ${parts.join(', ')}`;
}

function detailLines(change: ClusterChange, show: ShowOptions): string[] {
  const lines: string[] = [];
  for (const f of change.files) lines.push(`${SIGN[f.type]} file ${f.path}${f.note ? `: ${f.note}` : ''}`);
  for (const o of change.objects) lines.push(...objectLines(o, show));
  return lines;
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;

function objectLines(o: ObjectChange, show: ShowOptions): string[] {
  const where = o.movedFrom ? `  (${o.file}, moved from ${o.movedFrom})` : o.unnamed ? '' : `  (${o.file})`;
  const lines = [`${SIGN[o.type]} ${objectLabel(o)}${where}`];
  const fields = o.fields.slice(0, show.maxFields);
  for (const f of fields) lines.push(`    ${fieldLine(f, show.maxValue)}`);
  if (o.fields.length > fields.length) lines.push(`    … and ${plural(o.fields.length - fields.length, 'more field')}`);
  return lines;
}

/** A field change on one line: `path: old → new`, `+ path: value` or `- path: value`, values cut to `max` characters. */
export function fieldLine(f: FieldChange, max: number): string {
  if (f.type === 'added') return `+ ${f.path}: ${showValue(f.to, max)}`;
  if (f.type === 'removed') return `- ${f.path}: ${showValue(f.from, max)}`;
  const [a, b] = showPair(f.from, f.to, max);
  return `${f.path}: ${a} → ${b}`;
}

/** A value as JSON on one line (strings quoted), cut to `max` characters. */
function showValue(value: unknown, max: number): string {
  const text = value === undefined ? '(none)' : JSON.stringify(value) ?? String(value);
  if (text.length <= max) return text;
  const cut = `${text.slice(0, Math.max(1, max - 1))}…`;
  return typeof value === 'string' ? `${cut}" (${value.length} characters)` : cut;
}

/** Two values; two long strings are both cut to the stretch around their first difference. */
function showPair(from: unknown, to: unknown, max: number): [string, string] {
  if (typeof from !== 'string' || typeof to !== 'string') return [showValue(from, max), showValue(to, max)];
  const a = JSON.stringify(from);
  const b = JSON.stringify(to);
  if (a.length <= max && b.length <= max) return [a, b];
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  const start = Math.max(0, p - Math.floor(max / 3));
  const excerpt = (s: string) => {
    const body = s.slice(start, start + max);
    return `${start > 0 ? '"…' : ''}${body}${start + max < s.length ? '…"' : ''}`;
  };
  return [excerpt(a), excerpt(b)];
}

function stageLabel(environment: string, wave: number | undefined): string {
  return wave === undefined ? environment : `${environment} wave ${wave}`;
}

function factsOf(c: ClusterChange): string {
  return [c.environment, c.wave === undefined ? undefined : `wave ${c.wave}`, c.region].filter(Boolean).join(', ');
}

function namesOf(names: readonly string[], limit: number): string {
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}

function headline(diff: FleetDiff): string {
  const n = diff.changes.length;
  if (!diff.changed) return `no change in ${plural(diff.clusters, 'cluster')}`;
  const added = diff.changes.filter((c) => c.type === 'added').length;
  const removed = diff.changes.filter((c) => c.type === 'removed').length;
  const extra = [added ? `${added} new` : '', removed ? `${removed} removed` : ''].filter(Boolean).join(', ');
  return `${n} of ${plural(diff.clusters, 'cluster')} change${extra ? ` (${extra})` : ''}`;
}

function otherFilesText(files: readonly FileChange[]): string {
  return files.map((f) => `${f.path} ${f.type}`).join(', ');
}

function textSummary(diff: FleetDiff): string {
  const lines = [`Fleet diff ${diff.from} → ${diff.to}: ${headline(diff)}`];
  const labels = diff.stages.map((s) => stageLabel(s.environment, s.wave));
  const width = Math.max(0, ...labels.map((l) => l.length));
  diff.stages.forEach((s, i) => {
    const names = s.changed.length ? `: ${namesOf(s.changed, NAMES_IN_SUMMARY)}` : '';
    lines.push(`  ${labels[i].padEnd(width)}  ${s.changed.length} of ${s.clusters} change${names}`);
  });
  if (diff.otherFiles.length > 0) lines.push(`Outside clusters/: ${otherFilesText(diff.otherFiles)}`);
  return lines.join('\n') + '\n';
}

function textBlock(group: Group): string {
  const first = group.clusters[0];
  const title = group.clusters.length === 1
    ? `${first.name}${factsOf(first) ? ` (${factsOf(first)})` : ''}: ${group.counts}`
    : `${namesOf(group.clusters.map((c) => c.name), NAMES_IN_SUMMARY)} (${stagesOf(group.clusters)}): the same change on ${group.clusters.length} clusters, ${group.counts}`;
  return `\n${title}\n${group.lines.map((l) => `  ${l}`).join('\n')}\n`;
}

function stagesOf(clusters: readonly ClusterChange[]): string {
  const stages: string[] = [];
  for (const c of clusters) {
    const label = stageLabel(c.environment ?? '(unknown)', c.wave);
    if (!stages.includes(label)) stages.push(label);
  }
  return stages.join(', ');
}

function markdownSummary(diff: FleetDiff): string {
  const out = [`### Fleet diff: ${headline(diff)}`, '', `\`${diff.from}\` → \`${diff.to}\``, ''];
  out.push('| Environment | Wave | Change | Clusters that change |', '| --- | ---: | ---: | --- |');
  for (const s of diff.stages) {
    out.push(`| ${mdCell(s.environment)} | ${s.wave ?? '–'} | ${s.changed.length} of ${s.clusters} | ${mdCell(namesOf(s.changed, NAMES_IN_SUMMARY))} |`);
  }
  if (diff.otherFiles.length > 0) {
    out.push('', `Outside \`clusters/\`: ${diff.otherFiles.map((f) => `\`${f.path}\` ${f.type}`).join(', ')}.`);
  }
  return out.join('\n') + '\n';
}

/**
 * The files of packed folders (`artifacts/<name>/`) that change, with their lines: a cluster shows such a change only as
 * a new `spec.ref.digest` of the source that pins the folder.
 */
function packedFolders(files: readonly FileChange[], format: DiffFormat): string {
  const shown = files.filter((f) => f.lines !== undefined);
  if (shown.length === 0) return '';
  const title = 'Packed folders (artifacts/): the clusters pinning them show a new spec.ref.digest';
  const body = shown.map((f) => [`${SIGN[f.type]} file ${f.path}`, ...f.lines!.map((l) => `    ${l}`)].join('\n')).join('\n');
  if (format === 'text') return `\n${title}\n${body.split('\n').map((l) => `  ${l}`).join('\n')}\n`;
  const fence = '`'.repeat(Math.max(3, ...[...body.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `\n<details>\n<summary>${html(title)}</summary>\n\n${fence}diff\n${body}\n${fence}\n\n</details>\n`;
}

function markdownBlock(group: Group): string {
  const first = group.clusters[0];
  const title = group.clusters.length === 1
    ? `<b>${html(first.name)}</b>${factsOf(first) ? ` · ${html(factsOf(first))}` : ''} · ${html(group.counts)}`
    : `<b>${html(namesOf(group.clusters.map((c) => c.name), NAMES_IN_SUMMARY))}</b> · ${html(stagesOf(group.clusters))} · the same change on ${group.clusters.length} clusters · ${html(group.counts)}`;
  const body = group.lines.join('\n');
  const fence = '`'.repeat(Math.max(3, ...[...body.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `\n<details>\n<summary>${title}</summary>\n\n${fence}diff\n${body}\n${fence}\n\n</details>\n`;
}

function mdCell(text: string): string {
  return html(text).replace(/\|/g, '\\|');
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
