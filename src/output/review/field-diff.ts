/** A field that differs between two versions of an object. */
export interface FieldChange {
  /** The field, e.g. `spec.values.replicaCount`, `spec.dependsOn[0].name` or `metadata.annotations["a.io/b"]`. */
  readonly path: string;
  /** `added` (only in the new object), `removed` (only in the old one) or `changed`. */
  readonly type: 'added' | 'removed' | 'changed';
  /** The old value. @default - none: the field was added */
  readonly from?: unknown;
  /** The new value. @default - none: the field was removed */
  readonly to?: unknown;
}

/** Arrays longer than this (old length times new length) are compared position by position instead of aligned. */
const MAX_ALIGNED = 250_000;

/**
 * The fields that differ between two JSON-like values, deepest first: keys of objects compared in sorted order, and
 * arrays aligned on their equal elements, so an element inserted in a list shows as one added element rather than a
 * change of every element after it. Elements that take each other's place are compared field by field.
 */
export function diffFields(from: unknown, to: unknown, path: string = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  collect(from, to, path, changes);
  return changes;
}

function collect(from: unknown, to: unknown, path: string, out: FieldChange[]): void {
  if (deepEqual(from, to)) return;
  if (isRecord(from) && isRecord(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const here = joinKey(path, key);
      if (!Object.hasOwn(to, key)) out.push({ path: here, type: 'removed', from: from[key] });
      else if (!Object.hasOwn(from, key)) out.push({ path: here, type: 'added', to: to[key] });
      else collect(from[key], to[key], here, out);
    }
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    collectArray(from, to, path, out);
    return;
  }
  out.push({ path: path === '' ? '.' : path, type: 'changed', from, to });
}

/** Aligns two arrays on their longest common subsequence; the elements between matches are paired, then added or removed. */
function collectArray(from: readonly unknown[], to: readonly unknown[], path: string, out: FieldChange[]): void {
  const ops = from.length * to.length <= MAX_ALIGNED ? align(from, to) : positional(from.length, to.length);
  let removed: number[] = [];
  let added: number[] = [];
  const flush = () => {
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k++) collect(from[removed[k]], to[added[k]], `${path}[${added[k]}]`, out);
    for (const i of removed.slice(paired)) out.push({ path: `${path}[${i}]`, type: 'removed', from: from[i] });
    for (const j of added.slice(paired)) out.push({ path: `${path}[${j}]`, type: 'added', to: to[j] });
    removed = [];
    added = [];
  };
  for (const op of ops) {
    if (op.type === 'same') flush();
    else if (op.type === 'removed') removed.push(op.index);
    else added.push(op.index);
  }
  flush();
}

/** One step of an alignment: an element in both sequences (its index in the new one), or one removed or added. */
export type AlignOp = { type: 'same' | 'removed' | 'added'; index: number };

/**
 * Aligns two sequences on their longest common subsequence: the steps from the old to the new, removals before
 * additions where either would do. Its cost is the product of their lengths; callers bound it.
 */
export function align(from: readonly unknown[], to: readonly unknown[]): AlignOp[] {
  const n = from.length;
  const m = to.length;
  // lcs[i][j]: the length of the longest common subsequence of from[i..] and to[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = deepEqual(from[i], to[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops: AlignOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (deepEqual(from[i], to[j])) {
      ops.push({ type: 'same', index: j });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      ops.push({ type: 'removed', index: i++ });
    } else {
      ops.push({ type: 'added', index: j++ });
    }
  }
  while (i < n) ops.push({ type: 'removed', index: i++ });
  while (j < m) ops.push({ type: 'added', index: j++ });
  return ops;
}

function positional(n: number, m: number): AlignOp[] {
  const ops: AlignOp[] = [];
  for (let i = 0; i < Math.max(n, m); i++) {
    if (i < n) ops.push({ type: 'removed', index: i });
    if (i < m) ops.push({ type: 'added', index: i });
  }
  return ops;
}

/** Whether two JSON-like values are equal, regardless of the order of object keys. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const k of keys) if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return Number.isNaN(a) && Number.isNaN(b);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}
