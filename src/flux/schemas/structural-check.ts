import { Environment } from '@marcbachmann/cel-js';
import type { CelRule, StructuralSchema } from './schema-model.js';

/**
 * A compiled check of one value against a structural schema: adds a message per problem to `out`, each starting with
 * the field's path (`spec.chart.spec.version`), and naming the value and what is allowed.
 */
export type CompiledCheck = (value: unknown, path: string, out: string[]) => void;

/** What a check says about the kind it belongs to, for messages. */
export interface CheckContext {
  /** How the kind is named in messages, e.g. `Kustomization (Flux 2.9)`. */
  readonly kindLabel: string;
}

/**
 * The CEL environment CRD validation rules are evaluated in: `self` is the value the rule sits on. The rules of
 * Flux's CRDs use the standard library and the strings extension (`substring`), which `@marcbachmann/cel-js` provides.
 */
const CEL = new Environment({ homogeneousAggregateLiterals: false }).registerVariable('self', 'dyn');

/** A CEL rule, parsed once. */
interface CompiledRule {
  readonly rule: CelRule;
  readonly program: (context: Record<string, unknown>) => unknown;
  /** The fields the rule reads (`metadata.name` for `self.metadata.name == 'flux'`), named in its message. */
  readonly fields: readonly string[];
}

/** Parses a CRD validation rule; throws when cel-js cannot parse or type-check it. */
export function compileCelRule(rule: CelRule): CompiledRule {
  const program = CEL.parse(rule.rule);
  const checked = program.check();
  // The rules are vendored data that a test compiles one by one: one that does not type-check is a bug in flux-fleet.
  // eslint-disable-next-line no-restricted-syntax
  if (!checked.valid) throw new SyntaxError(`CEL rule ${JSON.stringify(rule.rule)} does not type-check: ${checked.error?.message}`);
  const fields = new Set([...rule.rule.matchAll(/\bself((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => m[1].slice(1).replace(/\.(size|startsWith|endsWith|contains|matches|substring|all|exists|exists_one|map|filter)$/, '')));
  return { rule, program: program as unknown as CompiledRule['program'], fields: [...fields] };
}

/**
 * Compiles a schema into a check. Nested schemas compile on first use, so an object exercises only what it holds.
 */
export function compileSchema(schema: StructuralSchema, context: CheckContext): CompiledCheck {
  return new Node(schema, context).check;
}

class Node {
  public readonly check: CompiledCheck;
  private children?: Map<string, Node>;
  private items?: Node;
  private additional?: Node;
  private rules?: CompiledRule[];
  /** The properties the rules read (their first field), or undefined when a rule reads `self` whole. */
  private ruleKeys?: Set<string>;
  private readonly pattern?: RegExp;

  public constructor(private readonly schema: StructuralSchema, private readonly context: CheckContext) {
    this.pattern = schema.pattern !== undefined ? new RegExp(schema.pattern) : undefined;
    this.check = (value, path, out) => this.validate(value, path, out);
  }

  private validate(value: unknown, path: string, out: string[]): void {
    const s = this.schema;
    if (value === null) {
      if (!s.nullable && !s['x-kubernetes-preserve-unknown-fields']) out.push(`${path} must not be null`);
      return;
    }
    if (s['x-kubernetes-int-or-string']) {
      if (!(typeof value === 'string' || Number.isInteger(value))) out.push(`${path} must be an integer or a string (got ${show(value)})`);
    } else if (s.type !== undefined && !hasType(value, s.type)) {
      out.push(`${path} must be ${s.type === 'integer' ? 'integer' : s.type} (got ${show(value)})`);
      return;
    }
    if (s.enum !== undefined && !s.enum.some((e) => e === value)) {
      out.push(`${path} ${show(value)} is not allowed; use one of ${s.enum.map(show).join(', ')}`);
    }
    if (typeof value === 'string') this.checkString(value, path, out);
    else if (typeof value === 'number') this.checkNumber(value, path, out);
    else if (Array.isArray(value)) this.checkArray(value, path, out);
    else if (typeof value === 'object') this.checkObject(value as Record<string, unknown>, path, out);
    if (s['x-kubernetes-validations']) this.checkRules(value, path, out);
  }

  private checkString(value: string, path: string, out: string[]): void {
    const s = this.schema;
    // Kubernetes counts characters, not UTF-16 units; count them only when the bounds are close.
    const near = (s.maxLength !== undefined && value.length > s.maxLength) || (s.minLength !== undefined && value.length < 2 * s.minLength);
    const length = near ? [...value].length : value.length;
    if (s.minLength !== undefined && length < s.minLength) {
      out.push(s.minLength === 1 ? `${path} must not be empty` : `${path} must NOT have fewer than ${s.minLength} characters (got ${show(value)})`);
    }
    if (s.maxLength !== undefined && length > s.maxLength) out.push(`${path} must NOT be longer than ${s.maxLength} characters (got ${length})`);
    if (this.pattern && !this.pattern.test(value)) out.push(`${path} must match pattern ${show(s.pattern)} (got ${show(value)})`);
  }

  private checkNumber(value: number, path: string, out: string[]): void {
    const s = this.schema;
    if (s.minimum !== undefined && value < s.minimum) out.push(`${path} must be >= ${s.minimum} (got ${value})`);
    if (s.maximum !== undefined && value > s.maximum) out.push(`${path} must be <= ${s.maximum} (got ${value})`);
    if (s.format === 'int32' && (value < -2147483648 || value > 2147483647)) out.push(`${path} ${value} does not fit in 32 bits`);
  }

  private checkArray(value: unknown[], path: string, out: string[]): void {
    const s = this.schema;
    if (s.minItems !== undefined && value.length < s.minItems) out.push(`${path} must NOT have fewer than ${s.minItems} items (got ${value.length})`);
    if (s.maxItems !== undefined && value.length > s.maxItems) out.push(`${path} must NOT have more than ${s.maxItems} items (got ${value.length})`);
    if (s.items) {
      this.items ??= new Node(s.items, this.context);
      value.forEach((item, i) => this.items!.check(item, `${path}[${i}]`, out));
    }
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set' || listType === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = listType === 'set' ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k]));
        if (seen.has(key)) out.push(`${path}[${i}] repeats ${listType === 'set' ? show(item) : `the key ${keys.join(', ')} of an earlier entry`}; each entry must be unique`);
        seen.add(key);
      });
    }
  }

  private checkObject(value: Record<string, unknown>, path: string, out: string[]): void {
    const s = this.schema;
    const prefix = path === '' ? '' : `${path}.`;
    for (const name of s.required ?? []) {
      if (value[name] === undefined) out.push(`${prefix}${name} is required`);
    }
    const properties = s.properties;
    if (properties) {
      this.children ??= new Map();
      for (const [name, child] of Object.entries(value)) {
        if (child === undefined) continue;
        const sub = properties[name];
        if (sub) {
          let node = this.children.get(name);
          if (!node) this.children.set(name, node = new Node(sub, this.context));
          node.check(child, `${prefix}${name}`, out);
        } else if (!s['x-kubernetes-preserve-unknown-fields'] && !(s['x-kubernetes-embedded-resource'] && EMBEDDED.has(name))) {
          const near = nearest(name, Object.keys(properties));
          out.push(`${prefix}${name} is not a field of ${this.context.kindLabel}${near ? `; did you mean ${near}?` : `; its fields here are ${Object.keys(properties).join(', ')}`}`);
        }
      }
    } else if (typeof s.additionalProperties === 'object') {
      this.additional ??= new Node(s.additionalProperties, this.context);
      for (const [name, child] of Object.entries(value)) {
        if (child !== undefined) this.additional.check(child, `${prefix}${name}`, out);
      }
    }
  }

  private checkRules(value: unknown, path: string, out: string[]): void {
    if (!this.rules) {
      this.rules = (this.schema['x-kubernetes-validations'] ?? []).filter((r) => !isTransitionRule(r)).map(compileCelRule);
      const whole = this.rules.some(({ rule }) => /\bself\b(?!\.[A-Za-z_])/.test(rule.rule));
      this.ruleKeys = whole ? undefined : new Set(this.rules.flatMap(({ fields }) => fields.map((f) => f.split('.')[0])));
    }
    if (this.rules.length === 0) return;
    const self = toCel(this.schema, value, this.ruleKeys);
    for (const { rule, program, fields } of this.rules) {
      let ok: unknown;
      let failure: string | undefined;
      try {
        ok = program({ self });
      } catch (e) {
        failure = `cannot be evaluated: ${(e as Error).message.split('\n')[0]}`;
      }
      if (ok === true) continue;
      // The subject names the fields the rule reads (up to three), and the value of a single one.
      const named = rule.fieldPath ? [rule.fieldPath.replace(/^\./, '')] : fields.length <= 3 ? fields : [];
      const at = named.length > 0 ? named.map((f) => joinPath(path, f)).join(', ') : path;
      const shown = named.length === 1 ? valueAt(value, named[0]) : undefined;
      const subject = at === '' ? '' : `${at}${shown !== undefined && typeof shown !== 'object' ? ` ${show(shown)}` : ''}: `;
      out.push(`${subject}${rule.message ?? `fails the rule ${show(rule.rule)}`}${failure ? ` (the rule ${show(rule.rule)} ${failure})` : ''}`);
    }
  }
}

/**
 * A rule comparing with the previous object (`oldSelf`): the API server evaluates it on updates only, and a config
 * repository's objects are checked as created.
 */
function isTransitionRule(rule: CelRule): boolean {
  return /\boldSelf\b/.test(rule.rule) && !rule.optionalOldSelf;
}

function joinPath(path: string, field: string | undefined): string {
  if (!field) return path;
  return path === '' ? field : `${path}.${field}`;
}

function valueAt(value: unknown, field: string): unknown {
  let cur = value;
  for (const name of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[name];
  }
  return cur;
}

/** The fields an embedded Kubernetes object may always carry. */
const EMBEDDED = new Set(['apiVersion', 'kind', 'metadata']);

function hasType(value: unknown, type: NonNullable<StructuralSchema['type']>): boolean {
  switch (type) {
    case 'object': return typeof value === 'object' && !Array.isArray(value);
    case 'array': return Array.isArray(value);
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    default: return typeof value === type;
  }
}

/**
 * The value as the API server hands it to CEL: defaults filled in where a field is absent (defaulting runs before
 * validation), integers as CEL ints. With `keys`, an object gets only those properties (the ones its rules read).
 */
function toCel(schema: StructuralSchema | undefined, value: unknown, keys?: ReadonlySet<string>): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') {
    return (schema?.type === 'integer' || (schema?.type === undefined && Number.isInteger(value))) && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => toCel(schema?.items, v));
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const props = schema?.properties;
  for (const [name, child] of Object.entries(value)) {
    if (child === undefined || (keys && !keys.has(name))) continue;
    const sub = props?.[name] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    out[name] = toCel(sub, child);
  }
  for (const [name, sub] of Object.entries(props ?? {})) {
    if (out[name] === undefined && sub.default !== undefined && (!keys || keys.has(name))) out[name] = toCel(sub, sub.default);
  }
  return out;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** The known name closest to `name`, when one is close enough to be what was meant. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours cost one each.
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], before[j - 2] + 1);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}
