import type { Adoption, AdoptionEntry, AdoptionOutcome } from './adoption.js';
import { keyLabel } from './cluster-state.js';
import { fieldLine } from '../review/diff-report.js';

/** How an adoption report is printed. */
export type AdoptionFormat = 'text' | 'json';

const SIGN: Readonly<Record<AdoptionOutcome, string>> = { 'kept': '=', 'changed': '~', 'renamed': '>', 'removed': '-', 'retired': 'x', 'left': '.', 'handed-over': '^', 'new': '+' };
const ORDER: readonly AdoptionOutcome[] = ['kept', 'changed', 'new', 'handed-over', 'retired', 'left', 'renamed', 'removed'];

/**
 * The report of an adoption: the counts and whether anything is pruned, the commands that let retiring owners go of
 * what the new tree keeps (before the cut-over) and delete what nothing prunes any more (after it), then each object.
 */
export function formatAdoption(adoption: Adoption, format: AdoptionFormat = 'text'): string {
  if (format === 'json') return `${JSON.stringify({ ...adoption, commands: { before: orphanCommands(adoption), after: deleteCommands(adoption) } }, null, 2)}\n`;
  const count = (o: AdoptionOutcome) => adoption.entries.filter((e) => e.outcome === o).length;
  const out = [`Adopting ${adoption.to} from ${adoption.from}`, `  ${ORDER.map((o) => `${o} ${count(o)}`).join(', ')}`];
  const pruned = adoption.entries.filter((e) => e.outcome === 'renamed' || e.outcome === 'removed');
  out.push(pruned.length === 0
    ? 'No object is pruned: the cut-over keeps every object it does not retire.'
    : `${pruned.length} object${pruned.length === 1 ? ' is' : 's are'} pruned by the cut-over (and what ${pruned.length === 1 ? 'it manages' : 'they manage'} with ${pruned.length === 1 ? 'it' : 'them'}); keep their names in the fleet (objectName, sourceName, namespace...) to keep them`);
  const before = orphanCommands(adoption);
  if (before.length > 0) out.push('', 'Before the cut-over, let the retiring owners go of what the new tree keeps (parents first):', ...before.map((c) => `  ${c}`));
  const after = deleteCommands(adoption);
  if (after.length > 0) out.push('', 'Once the cut-over is verified, delete what no longer has an owner to prune it:', ...after.map((c) => `  ${c}`));
  out.push('');
  for (const e of adoption.entries) out.push(...entryLines(e));
  if (adoption.notes.length > 0) out.push('', 'Not compared:', ...adoption.notes.map((n) => `  ${n}`));
  return `${out.join('\n')}\n`;
}

function entryLines(e: AdoptionEntry): string[] {
  const label = keyLabel(e.key);
  const head = e.outcome === 'renamed'
    ? `${SIGN.renamed} ${label}${e.to !== e.key ? ` -> ${keyLabel(e.to!)}` : ''}: pruned and recreated, as ${e.reason}`
    : e.outcome === 'removed' ? `${SIGN.removed} ${label}: pruned`
      : e.outcome === 'retired' || e.outcome === 'left' || e.outcome === 'handed-over' ? `${SIGN[e.outcome]} ${label}: ${e.outcome}, ${e.reason}`
        : `${SIGN[e.outcome]} ${label}${e.outcome === 'kept' ? '' : `: ${e.outcome}`}`;
  const lines = [`  ${head}`];
  for (const f of e.fields ?? []) lines.push(`      ${fieldLine(f, 80)}`);
  if (e.loses && e.loses.length > 0) lines.push(`      and with it: ${e.loses.join(', ')}`);
  return lines;
}

/**
 * The kubectl commands that keep the sync from pruning Flux's own objects (handed over to the Kustomization of Flux's
 * release manifests), then make each retiring owner let go of what it manages when it is deleted.
 */
export function orphanCommands(adoption: Adoption): string[] {
  const handOver = adoption.handOver.map((namespace) => (namespace === ''
    ? 'kubectl annotate customresourcedefinitions,clusterroles,clusterrolebindings,namespaces -l app.kubernetes.io/part-of=flux kustomize.toolkit.fluxcd.io/prune=disabled --overwrite'
    : `kubectl -n ${namespace} annotate deployments,services,serviceaccounts,networkpolicies,resourcequotas -l app.kubernetes.io/part-of=flux kustomize.toolkit.fluxcd.io/prune=disabled --overwrite`));
  return [...handOver, ...adoption.orphan.flatMap((key) => {
    const [group, kind, namespace, name] = key.split('/');
    const ns = namespace === '-' ? '' : `-n ${namespace} `;
    if (kind === 'Kustomization') return [`kubectl ${ns}patch kustomization.${group} ${name} --type=merge -p '{"spec":{"suspend":true}}'`];
    if (kind === 'ResourceSet' || kind === 'FluxInstance') return [`kubectl ${ns}annotate ${kind.toLowerCase()}.${group} ${name} fluxcd.controlplane.io/reconcile=disabled --overwrite`];
    return [];
  })];
}

/** The kubectl commands that delete what nothing prunes after the cut-over, children first. */
export function deleteCommands(adoption: Adoption): string[] {
  return adoption.deleteAfter.map((key) => {
    const [group, kind, namespace, name] = key.split('/');
    return `kubectl ${namespace === '-' ? '' : `-n ${namespace} `}delete ${kind.toLowerCase()}${group === '' ? '' : `.${group}`} ${name}`;
  });
}
