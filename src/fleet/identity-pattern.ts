/**
 * What a keyless identity pattern (a `matchOIDCIdentity` issuer or subject: a Go RE2 regular expression) accepts,
 * found by probing it rather than by reading its text. The pattern is parsed (the RE2 syntax identity patterns use),
 * the identities it is written for are generated from it, and crafted identities around each (another owner,
 * repository, host or ref, something before or after it) are matched against it with a linear-time automaton, as
 * Go's RE2 matches them: a pattern that accepts one of them accepts identities outside the one it declares.
 */

/** Why a pattern cannot be probed: it uses syntax this checker does not read. */
export class UnreadablePattern {
  public constructor(public readonly reason: string) {}
}

/** A pattern, parsed. */
type Node =
  | { readonly k: 'char'; readonly test: (c: string) => boolean; readonly sample: string; readonly literal: boolean }
  | { readonly k: 'bol' }
  | { readonly k: 'eol' }
  | { readonly k: 'seq'; readonly items: readonly Node[] }
  | { readonly k: 'alt'; readonly branches: readonly Node[] }
  | { readonly k: 'rep'; readonly node: Node; readonly min: number; readonly max: number };

interface Flags {
  readonly i: boolean;
  readonly s: boolean;
  readonly m: boolean;
}

/** The most a bounded repetition may count: RE2's own limit. */
const MAX_REPEAT = 1000;
/** The most automaton states a pattern may need; identity patterns need a few hundred. */
const MAX_STATES = 20_000;
/** The most witnesses generated per pattern. */
const MAX_WITNESSES = 16;

/** A parsed pattern: whether it matches a string (anywhere, as Go's `MatchString`), and identities it is written for. */
export class IdentityPattern {
  /** Parses a pattern; throws {@link UnreadablePattern} for syntax outside what identity patterns use. */
  public static parse(pattern: string): IdentityPattern {
    const parser = new Parser(pattern);
    const root = parser.parse();
    return new IdentityPattern(pattern, root, parser.multiline);
  }

  private readonly start: number;
  private readonly states: State[] = [];

  private constructor(public readonly pattern: string, private readonly root: Node, private readonly multiline: boolean) {
    this.start = compile(root, this.states);
  }

  /** Whether the pattern has alternatives at its top level, outside any group (so `^` and `$` bind to one each). */
  public get alternatesOutsideGroups(): readonly string[] | undefined {
    return this.root.k === 'alt' ? topLevelBranches(this.pattern) : undefined;
  }

  /** Whether the pattern matches `text`, as Go's `regexp.MatchString` (a match anywhere; anchors where written). */
  public matches(text: string): boolean {
    let current = new Set<number>();
    for (let pos = 0; pos <= text.length; pos++) {
      this.addState(current, this.start, text, pos);
      for (const s of current) if (this.states[s].k === 'match') return true;
      if (pos === text.length) break;
      const next = new Set<number>();
      const c = text[pos];
      for (const s of current) {
        const st = this.states[s];
        if (st.k === 'char' && st.test(c)) this.addState(next, st.out, text, pos + 1);
      }
      current = next;
    }
    return false;
  }

  /**
   * Identities the pattern is written for: the shortest strings it matches, one per alternative (for a class or `.`,
   * a representative character), each character marked literal (spelled in the pattern) or not.
   */
  public witnesses(): Witness[] {
    return generate(this.root).map((w) => ({ text: w.map((c) => c.c).join(''), literal: w.map((c) => c.lit) }))
      .filter((w) => this.matches(w.text));
  }

  private addState(set: Set<number>, s: number, text: string, pos: number): void {
    if (set.has(s)) return;
    set.add(s);
    const st = this.states[s];
    if (st.k === 'split') {
      this.addState(set, st.out, text, pos);
      this.addState(set, st.out2, text, pos);
    } else if (st.k === 'bol') {
      if (pos === 0 || (this.multiline && text[pos - 1] === '\n')) this.addState(set, st.out, text, pos);
    } else if (st.k === 'eol') {
      if (pos === text.length || (this.multiline && text[pos] === '\n')) this.addState(set, st.out, text, pos);
    }
  }
}

/** An identity a pattern is written for, with which of its characters the pattern spells literally. */
export interface Witness {
  readonly text: string;
  readonly literal: readonly boolean[];
}

/** The top-level alternatives of a pattern's source (outside groups and classes), for messages. */
function topLevelBranches(pattern: string): string[] {
  const branches: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === '|' && depth === 0) {
      branches.push(pattern.slice(from, i));
      from = i + 1;
    }
  }
  branches.push(pattern.slice(from));
  return branches;
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing: the RE2 syntax of identity patterns (literals, escapes, classes, groups, alternation, repetition, anchors).

class Parser {
  public multiline = false;
  private pos = 0;

  public constructor(private readonly src: string) {}

  public parse(): Node {
    const node = this.alternation({ i: false, s: false, m: false });
    if (this.pos < this.src.length) throw new UnreadablePattern(`an unmatched ")" at offset ${this.pos}`);
    return node;
  }

  private alternation(flags: Flags): Node {
    const branches: Node[] = [];
    let f = flags;
    for (;;) {
      const { node, flags: after } = this.sequence(f);
      branches.push(node);
      f = after;
      if (this.src[this.pos] !== '|') break;
      this.pos++;
    }
    return branches.length === 1 ? branches[0] : { k: 'alt', branches };
  }

  private sequence(flags: Flags): { node: Node; flags: Flags } {
    const items: Node[] = [];
    let f = flags;
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const c = this.src[this.pos];
      if (c === '(' && this.src.startsWith('(?', this.pos)) {
        const set = /^\(\?([imsU-]*)\)/.exec(this.src.slice(this.pos));
        if (set) {
          f = applyFlags(f, set[1], this);
          this.pos += set[0].length;
          continue;
        }
      }
      let atom = this.atom(f);
      atom = this.quantified(atom);
      items.push(atom);
    }
    return { node: items.length === 1 ? items[0] : { k: 'seq', items }, flags: f };
  }

  private quantified(atom: Node): Node {
    let node = atom;
    let counted = false;
    for (;;) {
      const c = this.src[this.pos];
      let min: number;
      let max: number;
      if (c === '*' || c === '+' || c === '?') {
        [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
        this.pos++;
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m) return node;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) throw new UnreadablePattern(`the repetition ${m[0]} is out of range (RE2 counts up to ${MAX_REPEAT})`);
        this.pos += m[0].length;
      } else {
        return node;
      }
      if (counted) throw new UnreadablePattern('a repetition of a repetition (RE2 refuses it)');
      counted = true;
      if (this.src[this.pos] === '?') this.pos++;
      if (node.k === 'bol' || node.k === 'eol') throw new UnreadablePattern('a repeated anchor');
      node = { k: 'rep', node, min, max };
    }
  }

  private atom(flags: Flags): Node {
    const c = this.src[this.pos];
    if (c === '(') return this.group(flags);
    if (c === '[') return this.charClass(flags);
    if (c === '.') {
      this.pos++;
      return charNode((x) => flags.s || x !== '\n', false);
    }
    if (c === '^') {
      this.pos++;
      return { k: 'bol' };
    }
    if (c === '$') {
      this.pos++;
      return { k: 'eol' };
    }
    if (c === '*' || c === '+' || c === '?') throw new UnreadablePattern(`a repetition "${c}" with nothing to repeat`);
    if (c === '\\') {
      const escaped = this.escape(flags, false);
      return escaped;
    }
    this.pos++;
    return literalNode(c, flags);
  }

  private group(flags: Flags): Node {
    const rest = this.src.slice(this.pos);
    let header: RegExpExecArray | null;
    let inner = flags;
    if ((header = /^\(\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|:)/.exec(rest))) {
      this.pos += header[0].length;
    } else if ((header = /^\(\?([imsU-]*):/.exec(rest))) {
      inner = applyFlags(flags, header[1], this);
      this.pos += header[0].length;
    } else if (rest.startsWith('(?')) {
      throw new UnreadablePattern('a group "(?..." other than (?:...), (?P<name>...) or flags (lookarounds are not RE2)');
    } else {
      this.pos++;
    }
    const node = this.alternation(inner);
    if (this.src[this.pos] !== ')') throw new UnreadablePattern('a group without its ")"');
    this.pos++;
    return node;
  }

  private charClass(flags: Flags): Node {
    this.pos++;
    let negated = false;
    if (this.src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const tests: Array<(c: string) => boolean> = [];
    let first = true;
    while (this.pos < this.src.length && (this.src[this.pos] !== ']' || first)) {
      first = false;
      if (this.src.startsWith('[:', this.pos)) throw new UnreadablePattern('a POSIX class such as [[:alpha:]] (JavaScript reads it otherwise; use [a-zA-Z])');
      let lo: string;
      if (this.src[this.pos] === '\\') {
        const e = this.escape(flags, true);
        if (e.k !== 'char') throw new UnreadablePattern('an anchor inside a class');
        if (!e.literal) {
          tests.push(e.test);
          continue;
        }
        lo = e.sample;
      } else {
        lo = this.src[this.pos++];
      }
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        this.pos++;
        let hi: string;
        if (this.src[this.pos] === '\\') {
          const e = this.escape(flags, true);
          if (e.k !== 'char' || !e.literal) throw new UnreadablePattern('a class range ending in a class');
          hi = e.sample;
        } else {
          hi = this.src[this.pos++];
        }
        if (hi < lo) throw new UnreadablePattern(`the class range ${lo}-${hi} is reversed`);
        tests.push((x) => inRange(x, lo, hi, flags.i));
      } else {
        tests.push((x) => sameChar(x, lo, flags.i));
      }
    }
    if (this.src[this.pos] !== ']') throw new UnreadablePattern('a class without its "]"');
    this.pos++;
    const any = (x: string) => tests.some((t) => t(x));
    return charNode(negated ? (x) => !any(x) : any, false);
  }

  /** `\x` at the position: a class shorthand, an escaped punctuation or control character. */
  private escape(flags: Flags, inClass: boolean): Node {
    const c = this.src[this.pos + 1];
    if (c === undefined) throw new UnreadablePattern('a trailing "\\"');
    this.pos += 2;
    const shorthand: Record<string, (x: string) => boolean> = {
      d: (x) => x >= '0' && x <= '9',
      w: (x) => /[0-9A-Za-z_]/.test(x),
      s: (x) => /[\t\n\f\r ]/.test(x),
    };
    if (shorthand[c]) return charNode(shorthand[c], false);
    if (shorthand[c.toLowerCase()] && c !== c.toLowerCase()) {
      const t = shorthand[c.toLowerCase()];
      return charNode((x) => !t(x), false);
    }
    const controls: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v' };
    if (controls[c]) return literalNode(controls[c], flags);
    if (c === 'x') {
      const m = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.pos));
      if (!m) throw new UnreadablePattern('a \\x escape other than \\xHH');
      this.pos += 2;
      return literalNode(String.fromCharCode(parseInt(m[0], 16)), flags);
    }
    if (/[A-Za-z0-9]/.test(c)) {
      throw new UnreadablePattern(`the escape \\${c}${inClass ? ' in a class' : ''} (flux-fleet reads \\d \\w \\s, their negations, \\n \\t \\r \\f \\v, \\xHH and escaped punctuation)`);
    }
    return literalNode(c, flags);
  }
}

function applyFlags(flags: Flags, spec: string, parser: Parser): Flags {
  let on = true;
  const f = { ...flags };
  for (const ch of spec) {
    if (ch === '-') on = false;
    else if (ch === 'i' || ch === 's' || ch === 'm') f[ch] = on;
  }
  if (f.m) parser.multiline = true;
  return f;
}

function sameChar(x: string, c: string, fold: boolean): boolean {
  return x === c || (fold && x.toLowerCase() === c.toLowerCase());
}

function inRange(x: string, lo: string, hi: string, fold: boolean): boolean {
  const within = (y: string) => y >= lo && y <= hi;
  return within(x) || (fold && (within(x.toLowerCase()) || within(x.toUpperCase())));
}

function literalNode(c: string, flags: Flags): Node {
  return { k: 'char', test: (x) => sameChar(x, c, flags.i), sample: c, literal: true };
}

/** Characters tried, in order, as the representative of a class: plain ones first. */
const SAMPLES = [...'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~/:@+=!#$%&*,;?',
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)), '\t', '\n', '\u00e9'];

function charNode(test: (c: string) => boolean, literal: boolean): Node {
  return { k: 'char', test, sample: SAMPLES.find(test) ?? '\u0000', literal };
}

// ---------------------------------------------------------------------------------------------------------------------
// Matching: a Thompson automaton, simulated in time linear in the text (as RE2 matches), whatever the pattern.

type State =
  | { k: 'char'; test: (c: string) => boolean; out: number }
  | { k: 'split'; out: number; out2: number }
  | { k: 'bol' | 'eol'; out: number }
  | { k: 'match' };

/** Compiles a node into states; returns the start state. */
function compile(root: Node, states: State[]): number {
  const add = (s: State): number => {
    if (states.length >= MAX_STATES) throw new UnreadablePattern(`it needs more than ${MAX_STATES} automaton states`);
    states.push(s);
    return states.length - 1;
  };
  const match = add({ k: 'match' });
  // Builds `node` so that it continues into `next`; returns its entry state.
  const build = (node: Node, next: number): number => {
    switch (node.k) {
      case 'char': return add({ k: 'char', test: node.test, out: next });
      case 'bol': case 'eol': return add({ k: node.k, out: next });
      case 'seq': return node.items.reduceRight((out, item) => build(item, out), next);
      case 'alt': {
        const entries = node.branches.map((b) => build(b, next));
        return entries.reduceRight((rest, entry) => add({ k: 'split', out: entry, out2: rest }));
      }
      case 'rep': {
        let out: number;
        if (node.max === Infinity) {
          const loop = add({ k: 'split', out: -1, out2: next });
          (states[loop] as { out: number }).out = build(node.node, loop);
          out = loop;
        } else {
          out = optionalChain(node, node.max - node.min, next);
        }
        for (let i = 0; i < node.min; i++) out = build(node.node, out);
        return out;
      }
    }
  };
  // `max - min` optional copies, each of which may be skipped to `next`.
  const optionalChain = (node: Extract<Node, { k: 'rep' }>, count: number, next: number): number => {
    let out = next;
    for (let i = 0; i < count; i++) out = add({ k: 'split', out: build(node.node, out), out2: next });
    return out;
  };
  return build(root, match);
}

// ---------------------------------------------------------------------------------------------------------------------
// Witnesses: the identities a pattern is written for.

type WitnessChars = Array<{ c: string; lit: boolean }>;

function generate(node: Node): WitnessChars[] {
  switch (node.k) {
    case 'char': return [[{ c: node.sample, lit: node.literal }]];
    case 'bol': case 'eol': return [[]];
    case 'alt': return node.branches.flatMap(generate).slice(0, MAX_WITNESSES);
    case 'seq': {
      const parts = node.items.map(generate);
      const base = parts.map((p) => p[0]);
      const out: WitnessChars[] = [base.flat()];
      parts.forEach((p, i) => {
        for (const variant of p.slice(1)) {
          if (out.length >= MAX_WITNESSES) return;
          out.push(base.map((b, j) => (j === i ? variant : b)).flat());
        }
      });
      return out;
    }
    case 'rep': {
      const inner = generate(node.node);
      const times = (w: WitnessChars, n: number) => Array.from({ length: n }, () => w).flat();
      const out = inner.map((w) => times(w, Math.max(node.min, 1)));
      return (node.min === 0 ? [[], ...out] : out).slice(0, MAX_WITNESSES);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Probing: crafted identities around each witness, which a pattern that means what it says refuses.

/** An identity a pattern accepts although it lies outside what the pattern declares. */
export interface PatternFinding {
  /** What the accepted identity changes: `any identity`, `another owner`, `something before it`... */
  readonly what: string;
  /** The identity the pattern accepts. */
  readonly probe: string;
  /** The identity the pattern is written for, which the probe was made from. */
  readonly witness: string;
}

/** Identities that have nothing to do with any signer: a pattern accepting two of them accepts anything. */
const UNRELATED = ['', 'x', 'https://evil.example/attacker', 'attacker@evil.example', 'refs/heads/evil'];

/**
 * Probes a pattern with crafted identities: unrelated ones; each identity it is written for with something before or
 * after it; with another host; for a GitHub Actions or GitLab CI identity, another owner, repository or project; for
 * an identity naming a Git ref, another kind of ref (`refs/pull/...`, a branch where a tag is declared...) or a ref
 * outside the literal prefix the pattern spells. Returns the first identity it accepts (one that changes a part of the
 * identity before one that adds something around it, unless `aroundFirst`), or undefined when it refuses every one.
 */
export function probeIdentityPattern(pattern: IdentityPattern, options: { readonly aroundFirst?: boolean } = {}): PatternFinding | undefined {
  const unrelated = UNRELATED.filter((u) => pattern.matches(u));
  if (unrelated.length >= 2) return { what: 'any identity', probe: unrelated.find((u) => u.startsWith('https:')) ?? unrelated.find((u) => u !== '') ?? '', witness: '' };
  const witnesses = pattern.witnesses();
  if (witnesses.length === 0) return undefined;
  // Another host, owner, repository or ref says more than something before or after: those are tried first.
  const probes = witnesses.flatMap((w) => probesOf(w).map((p) => ({ ...p, witness: w.text })));
  for (const kind of options.aroundFirst ? ['before', 'after', 'part'] : ['part', 'before', 'after']) {
    for (const p of probes) {
      if (p.kind === kind && p.text !== p.witness && pattern.matches(p.text)) return { what: p.what, probe: p.text, witness: p.witness };
    }
  }
  return undefined;
}

interface Probe {
  readonly what: string;
  readonly text: string;
  /** Whether it adds something `before` or `after` the identity, or changes a `part` of it. */
  readonly kind: 'before' | 'after' | 'part';
}

/** The crafted identities around one witness. */
function probesOf(w: Witness): Probe[] {
  const t = w.text;
  const literal = (from: number, to: number) => w.literal.slice(from, to).every(Boolean);
  const replace = (from: number, to: number, text: string) => t.slice(0, from) + text + t.slice(to);
  // A bare ref is what another repository's workflow identity ends with.
  const before = [...(t.startsWith('refs/') ? ['https://github.com/evil/evil/.github/workflows/evil.yaml@'] : []), 'evil', 'https://evil.example/'];
  const probes: Probe[] = before.map((b) => ({ what: 'something before it', text: `${b}${t}`, kind: 'before' as const }));
  if (w.literal[t.length - 1] === true) {
    for (const after of ['x', '/evil', '\n']) probes.push({ what: 'something after it', text: `${t}${after}`, kind: 'after' });
  }
  // Each part that names the signer, replaced by another name, extended, and with its variable characters changed.
  const part = (what: string, from: number, to: number) => {
    const value = t.slice(from, to);
    const variants = [`evil${value.includes('.') ? '.example' : ''}`, `${value}-evil`, `evil-${value}`, `${value}.evil.example`];
    if (!literal(from, to)) variants.push(Array.from(value, (c, i) => (w.literal[from + i] ? c : 'X')).join(''));
    for (const v of variants) if (v !== value) probes.push({ what, text: replace(from, to, v), kind: 'part' });
  };
  const url = /^(https?:\/\/)([^/@]+)/.exec(t);
  let forge = false;
  if (url) {
    const hostFrom = url[1].length;
    part('another host', hostFrom, hostFrom + url[2].length);
    const path = t.slice(hostFrom + url[2].length);
    const github = /^\/([^/]+)\/([^/]+)\/\.github\/workflows\//.exec(path);
    const gitlab = /^\/(.+?)\/\//.exec(path);
    const base = hostFrom + url[2].length + 1;
    forge = github !== null || gitlab !== null;
    if (github) {
      part('another owner', base, base + github[1].length);
      part('another repository', base + github[1].length + 1, base + github[1].length + 1 + github[2].length);
    } else if (gitlab) {
      const segments = gitlab[1].split('/');
      let at = base;
      segments.forEach((segment, i) => {
        part(i === segments.length - 1 ? 'another project' : 'another group', at, at + segment.length);
        at += segment.length + 1;
      });
    }
  } else {
    const email = /^([^@/]+)@([^@/]+)$/.exec(t);
    if (email) {
      part('another user', 0, email[1].length);
      part('another domain', email[1].length + 1, t.length);
    }
  }
  // The ref: after the last "@" of a CI identity (whatever the pattern spells there), or of any identity naming refs/.
  const refAt = forge || t.includes('@refs/') ? t.lastIndexOf('@') : -1;
  if (refAt >= 0) {
    const from = refAt + 1;
    const ref = t.slice(from);
    let prefixLength = 0;
    while (prefixLength < ref.length && w.literal[from + prefixLength]) prefixLength++;
    const declared = ref.slice(0, prefixLength);
    // A ref outside what the pattern spells: another kind of ref, or (for an exact ref) a longer or shorter one.
    const kindFixed = /^refs\/(heads|tags)\//.test(declared);
    const others = ['refs/heads/evil', 'refs/tags/evil', 'refs/pull/1/merge', `${ref}-evil`, `${ref}/evil`, ref.slice(0, -1)];
    for (const other of others) {
      const inside = kindFixed && (prefixLength === ref.length ? other === ref : other.startsWith(declared));
      if (!inside && other !== ref) probes.push({ what: 'another ref', text: replace(from, t.length, other), kind: 'part' });
    }
  }
  return probes;
}
