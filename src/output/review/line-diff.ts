/**
 * A line diff of two texts for a review: the changed lines (`-` old, `+` new) with a line of context around each
 * change (` `), and `@@ -<old line> +<new line> @@` before each stretch, as `diff -U1` prints them. Texts longer than
 * `maxLines` lines are not compared line by line (the diff is undefined), to keep the work bounded.
 */
export function lineDiff(before: string, after: string, options: { readonly maxLines?: number; readonly context?: number } = {}): string[] | undefined {
  const maxLines = options.maxLines ?? 2000;
  const context = options.context ?? 1;
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.length > maxLines || b.length > maxLines) return undefined;
  // Longest common subsequence, from the end, so that the walk below goes forward.
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const ops: Array<{ sign: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ sign: ' ', text: a[i], oldLine: i + 1, newLine: j + 1 });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // Removed lines before added ones, as diff prints them.
      ops.push({ sign: '-', text: a[i], oldLine: i + 1, newLine: j + 1 });
      i++;
    } else {
      ops.push({ sign: '+', text: b[j], oldLine: i + 1, newLine: j + 1 });
      j++;
    }
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
