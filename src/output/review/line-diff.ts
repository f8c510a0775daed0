import { align } from './field-diff.js';

/**
 * A line diff of two texts for a review: the changed lines (`-` old, `+` new) with a line of context around each
 * change (` `), and `@@ -<old line> +<new line> @@` before each stretch, as `diff -U1` prints them. Texts longer than
 * `maxLines` lines are not compared line by line (the diff is undefined), to keep the work bounded.
 */
export function lineDiff(
  before: string,
  after: string,
  options: { readonly maxLines?: number; readonly context?: number } = {},
): string[] | undefined {
  const maxLines = options.maxLines ?? 2000;
  const context = options.context ?? 1;
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.length > maxLines || b.length > maxLines) return undefined;
  const ops: Array<{ sign: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number }> = [];
  let oldLine = 1;
  let newLine = 1;
  for (const op of align(a, b)) {
    if (op.type === 'same') ops.push({ sign: ' ', text: b[op.index], oldLine: oldLine++, newLine: newLine++ });
    else if (op.type === 'removed') ops.push({ sign: '-', text: a[op.index], oldLine: oldLine++, newLine });
    else ops.push({ sign: '+', text: b[op.index], oldLine, newLine: newLine++ });
  }
  const shown = ops.map((op, k) => op.sign !== ' ' || ops.slice(Math.max(0, k - context), k + context + 1).some((o) => o.sign !== ' '));
  const out: string[] = [];
  for (let k = 0; k < ops.length; k++) {
    if (!shown[k]) continue;
    if (k === 0 || !shown[k - 1]) out.push(`@@ -${ops[k].oldLine} +${ops[k].newLine} @@`);
    out.push(`${ops[k].sign}${ops[k].text}`);
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
