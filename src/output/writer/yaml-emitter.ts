import { Document, stringify, type CreateNodeOptions, type DocumentOptions, type ScalarTag, type SchemaOptions, type ToStringOptions } from 'yaml';

/**
 * Strings that Go's YAML parsers (kustomize's, Flux's) read as integers though neither YAML 1.1 nor 1.2 does:
 * `0o17`, `0X1F`, `0B101`, `1_000` (they parse plain integers with Go's `strconv`, which takes every base prefix in
 * either case and `_` separators). A tag that matches them makes the writer quote them; read back, they stay strings.
 */
const GO_INTEGER: ScalarTag = {
  tag: 'tag:flux-fleet.dev,2026:go-integer',
  default: true,
  test: /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/,
  resolve: (text: string) => text,
};

/**
 * The options every YAML document is rendered with. YAML 1.1 rules quote strings such as "on", "yes" or "0777" that
 * Kubernetes' YAML 1.1 parser would otherwise read as booleans or numbers, and strings that Go reads as integers
 * (`0o17`, `0X1F`, `0B101`) are quoted too; no line folding; keys in the order given; no anchors or aliases for
 * objects that appear twice.
 */
export const YAML_OPTIONS: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {
  version: '1.1',
  customTags: (tags) => [...tags, GO_INTEGER],
  lineWidth: 0,
  minContentWidth: 0,
  indent: 2,
  indentSeq: true,
  sortMapEntries: false,
  aliasDuplicateObjects: false,
  keepUndefined: false,
};

/** Strings that `yaml` may write plain unless a tag claims them: one line of printable ASCII. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** What keeps a string from being written plain (the test `yaml` itself applies). */
const INDICATORS = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Strings `yaml` treats apart: never written plain by the emitter's own check; as keys, left to `yaml`. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** Longest implicit key `yaml` writes; longer ones become explicit (`? key`). */
const MAX_IMPLICIT_KEY = 1024;
/** Distinct strings remembered; the memory is emptied when it grows past this. */
const MAX_REMEMBERED = 50_000;

/** Thrown inside the emitter for a value it leaves to `yaml`. */
const UNSUPPORTED = Symbol('unsupported');
/** A string `yaml` writes on several lines, so differently at each depth. */
const MULTI_LINE = Symbol('multi-line');

/**
 * Renders JSON-like objects as YAML exactly as `stringify(value, YAML_OPTIONS)` of the `yaml` package does, byte for
 * byte, an order of magnitude faster: the documents of a large fleet are mostly plain strings, which need only the
 * checks `yaml` makes to decide that a string can be written plain. Every other string is rendered by `yaml` itself,
 * once per distinct string (and per depth, for the strings it writes on several lines, such as block scalars).
 *
 * It covers plain objects, arrays, strings, finite numbers and booleans, with keys that render on one line;
 * {@link emit} returns undefined for a document with anything else (null, a Date, a key on several lines...), which
 * is then left to `yaml` whole.
 * @internal
 */
export class YamlEmitter {
  /** The tests of the schema's non-string tags: a string one of them matches must be quoted. */
  private readonly tagTests: readonly RegExp[];
  /** How `yaml` renders value strings: alike at any depth, or MULTI_LINE for those it renders on several lines. */
  private readonly values = new Map<string, string | typeof MULTI_LINE>();
  /** Renderings of the others, by depth and string. */
  private readonly multiLineValues = new Map<string, string>();
  private readonly keys = new Map<string, string | typeof UNSUPPORTED>();

  public constructor() {
    const schema = new Document(null, YAML_OPTIONS).schema as unknown as { tags: Tag[]; compat?: Tag[] | null };
    this.tagTests = [...schema.tags, ...(schema.compat ?? [])]
      .filter((t) => t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test instanceof RegExp)
      .map((t) => t.test!);
  }

  /** The YAML document for `value` (a plain object), with its final newline; undefined if `yaml` must render it. */
  public emit(value: object): string | undefined {
    if (!isPlainObject(value) || Object.keys(value).length === 0) return undefined;
    try {
      return `${this.block(value, '')}\n`;
    } catch (e) {
      if (e === UNSUPPORTED) return undefined;
      throw e;
    }
  }

  /** A non-empty map or sequence at `indent`, without the indentation of its first line or a final newline. */
  private block(value: Record<string, unknown> | unknown[], indent: string): string {
    const inner = `${indent}  `;
    let out = '';
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out += `\n${indent}`;
        out += `- ${this.node(value[i], inner, '', '')}`;
      }
      return out;
    }
    let first = true;
    for (const key of Object.keys(value)) {
      if (!first) out += `\n${indent}`;
      first = false;
      out += `${this.key(key)}:${this.node(value[key], inner, ' ', `\n${inner}`)}`;
    }
    return out;
  }

  /**
   * A value after its key or sequence dash: a scalar or an empty collection after `inline`, a non-empty collection
   * at `indent` after `nested`.
   */
  private node(value: unknown, indent: string, inline: string, nested: string): string {
    switch (typeof value) {
      case 'string': return inline + this.string(value, indent);
      case 'boolean': return inline + (value ? 'true' : 'false');
      case 'number':
        if (!Number.isFinite(value)) throw UNSUPPORTED;
        return inline + (Object.is(value, -0) ? '-0' : JSON.stringify(value));
      case 'object':
        if (Array.isArray(value)) {
          if (Object.getPrototypeOf(value) !== Array.prototype) throw UNSUPPORTED;
          return value.length === 0 ? `${inline}[]` : nested + this.block(value, indent);
        }
        if (!isPlainObject(value)) throw UNSUPPORTED;
        return hasKeys(value) ? nested + this.block(value, indent) : `${inline}{}`;
      default:
        throw UNSUPPORTED;
    }
  }

  /**
   * A string value, as `yaml` writes it in a block collection at `indent` (the indentation of the collection's
   * items). Strings that `yaml` writes on one line are written the same at any depth; the others (block scalars,
   * folded quoted strings) are rendered by `yaml` at the depth where they stand.
   */
  private string(s: string, indent: string): string {
    let r = this.values.get(s);
    if (r === undefined) {
      if (this.isPlain(s)) {
        r = s;
      } else {
        const text = this.rendered(s, '  ');
        r = text.includes('\n') ? MULTI_LINE : text;
      }
      this.remember(this.values, s, r);
    }
    if (r !== MULTI_LINE) return r;
    const key = `${indent.length}:${s}`;
    let text = this.multiLineValues.get(key);
    if (text === undefined) {
      text = this.rendered(s, indent);
      this.remember(this.multiLineValues, key, text);
    }
    return text;
  }

  /** What `yaml` writes for the string as the value of a map whose items stand at `indent`. */
  private rendered(s: string, indent: string): string {
    let doc: Record<string, unknown> = { k: s };
    let prefix = `${indent.slice(2)}k: `;
    for (let i = indent.length - 4; i >= 0; i -= 2) {
      doc = { a: doc };
      prefix = `${' '.repeat(i)}a:\n${prefix}`;
    }
    const text = stringify(doc, YAML_OPTIONS);
    if (!text.startsWith(prefix) || !text.endsWith('\n')) throw UNSUPPORTED;
    return text.slice(prefix.length, -1);
  }

  /** A key of a block map, as `yaml` writes it. */
  private key(k: string): string {
    let r = this.keys.get(k);
    if (r === undefined) {
      if (k.length <= MAX_IMPLICIT_KEY && this.isPlain(k)) {
        r = k;
      } else {
        const text = DOCUMENT_MARKER.test(k) ? '' : stringify({ [k]: 0 }, YAML_OPTIONS);
        r = text.endsWith(': 0\n') && text.indexOf('\n') === text.length - 1 && !text.startsWith('? ') ? text.slice(0, -4) : UNSUPPORTED;
      }
      this.remember(this.keys, k, r);
    }
    if (r === UNSUPPORTED) throw UNSUPPORTED;
    return r;
  }

  /** Whether `yaml` writes the string plain, as is: the checks of its plain-string rule, for one line of ASCII. */
  private isPlain(s: string): boolean {
    if (!PRINTABLE_ASCII.test(s) || INDICATORS.test(s) || DOCUMENT_MARKER.test(s)) return false;
    for (const test of this.tagTests) if (test.test(s)) return false;
    return true;
  }

  private remember<T>(map: Map<string, T>, s: string, r: T): void {
    if (map.size >= MAX_REMEMBERED) map.clear();
    map.set(s, r);
  }
}

/** The part of a `yaml` schema tag the emitter reads. */
interface Tag {
  readonly tag: string;
  readonly default?: boolean | 'key';
  readonly test?: RegExp;
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}
