import { createHash, hash, type Hash } from 'node:crypto';
import { Construct, type IConstruct } from 'constructs';
import { Bootstrap } from '../../fleet/bootstrap.js';
import type { Fleet } from '../../fleet/fleet.js';
import { Notification } from '../../fleet/notification.js';
import { isOwnImplementation } from '../../fleet/own-implementations.js';
import { noteProgramCall } from '../../fleet/program-calls.js';
import { Registry } from '../../fleet/registry.js';
import { literalValuesAllowedOn } from '../../flux/core/secrets.js';

/** A function of the declaration and where it sits, to wrap and unwrap. */
interface FunctionSlot {
  readonly holder: object;
  readonly key: PropertyKey;
  readonly fn: (...args: never[]) => unknown;
  readonly location: string;
}

/** Raised while reading a declaration that a cache cannot see through; the message says why. */
class Opaque {
  public constructor(public readonly why: string) {}
}

/**
 * A fleet's declaration as a synth cache sees it, read when the fleet is closed and before any cluster is built:
 * every value reachable from the constructs of the fleet's subtree (their fields, the props they were given, the
 * clusters' variables, the literal values allowed on them), hashed, and every function found there, by where it is
 * (a construct path, then fields, e.g. `@acme/components/web.props.values`).
 *
 * What building a cluster makes depends on flux-fleet's code, on these values, on what the functions return for the
 * cluster, and on the files of folders packed as artifacts. The values are hashed here; {@link withCallsNoted} puts a
 * wrapper around each function that notes every call made while a cluster is built, so that a cache can call them
 * again and compare what they return; the fleet notes its reads of folders itself. A declaration the reading cannot
 * see through has a {@link problem} (a getter, a weak collection, a construct outside the fleet, a program's own
 * subclass of `Bootstrap`, `Registry` or `Notification`), and is never served from a cache.
 */
export class FleetDeclaration {
  /** Reads the declaration of a closed fleet whose clusters are not built. */
  public static read(fleet: Fleet<any>): FleetDeclaration {
    return new FleetDeclaration(fleet);
  }

  /** The hash of every value of the declaration. */
  public readonly hash: string;
  /** Why the declaration cannot be served from a cache; undefined when it can. */
  public readonly problem?: string;

  private readonly locations = new Map<unknown, string>();
  /** What is at each location: made when first needed (a synth with no cache to check calls none). */
  private located?: Map<string, unknown>;
  private readonly slots: FunctionSlot[] = [];
  private readonly methodNames = new Map<unknown, string>();
  private readonly root: IConstruct;

  private constructor(fleet: Fleet<any>) {
    this.root = fleet;
    const tokens = new Tokens();
    try {
      for (const c of fleet.node.findAll()) {
        const location = `@${c.node.path}`;
        this.locations.set(c, location);
      }
      for (const c of fleet.node.findAll()) this.readConstruct(c, tokens);
    } catch (e) {
      if (!(e instanceof Opaque)) throw e;
      this.problem = e.why;
    }
    this.hash = tokens.digest();
  }

  /**
   * Runs `fn` with every function of the declaration wrapped so that its calls are noted (see `recordProgramCalls`),
   * then puts the functions back as they were.
   */
  public withCallsNoted<T>(fn: () => T): T {
    const wrapped: FunctionSlot[] = [];
    try {
      for (const slot of this.slots) {
        const { fn: target, location } = slot;
        const wrapper = new Proxy(target, {
          apply: (t, receiver, args: unknown[]) => {
            const result = Reflect.apply(t, receiver, args);
            noteProgramCall({ location, fn: target, receiver, args, result });
            return result;
          },
        });
        setSlot(slot.holder, slot.key, wrapper);
        wrapped.push(slot);
      }
      return fn();
    } finally {
      for (const slot of wrapped) setSlot(slot.holder, slot.key, slot.fn);
    }
  }

  /** The function or object of the declaration at `location`, or a method of one (`<location>#<name>`). */
  public at(location: string): unknown {
    const at = location.lastIndexOf('#');
    if (at < 0) return this.byLocation.get(location);
    const owner = this.byLocation.get(location.slice(0, at));
    const name = location.slice(at + 1);
    if (owner === null || typeof owner !== 'object') return undefined;
    const method = (owner as Record<string, unknown>)[name];
    return typeof method === 'function' && !Object.hasOwn(owner, name) ? method : undefined;
  }

  /**
   * Where a called function is: its location when it is a function of the declaration, else `<receiver>#<name>` for a
   * method of an object of the declaration; undefined for any other function.
   */
  public locateCall(fn: unknown, receiver: unknown): string | undefined {
    const own = this.locations.get(fn);
    if (own !== undefined && typeof fn === 'function') return own;
    const at = this.locations.get(receiver);
    if (at === undefined || receiver === null || typeof receiver !== 'object') return undefined;
    const name = this.methodNames.get(fn) ?? methodName(receiver, fn);
    if (name === undefined) return undefined;
    this.methodNames.set(fn, name);
    return `${at}#${name}`;
  }

  /**
   * A value encoded to be given again to a function in another run: JSON, with `{"$ref": location}` for the objects
   * and functions of the declaration. Undefined when it holds anything else (an object built meanwhile, say).
   */
  public encode(value: unknown): string | undefined {
    try {
      return JSON.stringify(this.encodeValue(value));
    } catch (e) {
      if (e instanceof Opaque) return undefined;
      throw e;
    }
  }

  /** A value {@link encode} gave, with the objects of this declaration in place of references. */
  public decode(text: string): unknown {
    return this.decodeValue(JSON.parse(text));
  }

  /**
   * The hash of a value a function returned, with the objects of the declaration by location. Undefined when it
   * holds what cannot be hashed (a function outside the declaration, a getter, a weak collection).
   */
  public hashValue(value: unknown): string | undefined {
    const tokens = new Tokens();
    try {
      this.readValue(value, '', tokens, false, new Set());
    } catch (e) {
      if (e instanceof Opaque) return undefined;
      throw e;
    }
    return tokens.digest().slice(0, 22);
  }

  private get byLocation(): Map<string, unknown> {
    if (!this.located) {
      this.located = new Map();
      for (const [value, location] of this.locations) if (!this.located.has(location)) this.located.set(location, value);
    }
    return this.located;
  }

  private readConstruct(c: IConstruct, tokens: Tokens): void {
    const location = this.locations.get(c)!;
    tokens.add(`C${location}\0`);
    // State kept about the construct outside it.
    tokens.add(`A${JSON.stringify(literalValuesAllowedOn(c))}\0`);
    for (const key of Reflect.ownKeys(c)) {
      if (key === 'node') continue;
      this.readProperty(c, key, location, tokens, true, new Set());
    }
  }

  private readProperty(holder: object, key: PropertyKey, location: string, tokens: Tokens, declaration: boolean, path: Set<object>): void {
    const descriptor = Object.getOwnPropertyDescriptor(holder, key)!;
    const at = `${location}.${String(key)}`;
    if (descriptor.get || descriptor.set) throw new Opaque(`${at} is computed by a getter`);
    tokens.add(`K${typeof key === 'symbol' ? `symbol:${key.description ?? ''}` : key}\0`);
    const value = descriptor.value as unknown;
    this.readValue(value, at, tokens, declaration, path);
    if (declaration && typeof value === 'function') {
      // Every place holding the function gets a wrapper: a call through any of them is noted.
      if (!descriptor.writable && !descriptor.configurable) throw new Opaque(`${at} is a function that cannot be wrapped (read-only)`);
      this.slots.push({ holder, key, fn: value as (...args: never[]) => unknown, location: this.locations.get(value)! });
    }
  }

  /**
   * Hashes a value. `declaration`: it is part of the declaration (objects and functions get a location on first
   * sight); else (a call's result) objects of the declaration count by location and others by content.
   */
  private readValue(value: unknown, location: string, tokens: Tokens, declaration: boolean, path: Set<object>): void {
    switch (typeof value) {
      case 'undefined': tokens.add('u'); return;
      case 'boolean': tokens.add(value ? 't' : 'f'); return;
      case 'number': tokens.add(`n${Object.is(value, -0) ? '-0' : String(value)}\0`); return;
      case 'bigint': tokens.add(`i${value}\0`); return;
      case 'string': tokens.add(`s${value.length}:`).add(value); return;
      case 'symbol': tokens.add(`y${value.description ?? ''}\0`); return;
      default: break;
    }
    if (value === null) {
      tokens.add('N');
      return;
    }
    const known = this.locations.get(value);
    if (known !== undefined) {
      tokens.add(`^${known}\0`);
      return;
    }
    if (typeof value === 'function') {
      if (!declaration) throw new Opaque(`${location} returns a function`);
      this.locate(value, location);
      tokens.add('F');
      return;
    }
    const object = value as object;
    if (Construct.isConstruct(object)) throw new Opaque(`${location} refers to ${object.node.path}, a construct outside the fleet ${this.root.node.path}`);
    if (object instanceof WeakMap || object instanceof WeakSet || object instanceof WeakRef || object instanceof Promise) {
      throw new Opaque(`${location} holds a ${object.constructor.name}, whose content cannot be read`);
    }
    if ((object instanceof Bootstrap || object instanceof Registry || object instanceof Notification) && !isOwnImplementation(object)) {
      throw new Opaque(`${location} is a ${object.constructor.name}, a subclass the program defines, whose methods a cache cannot check`);
    }
    if (declaration) this.locate(object, location);
    else if (path.has(object)) throw new Opaque(`${location} is a value that holds itself`);
    path.add(object);
    if (ArrayBuffer.isView(object)) {
      tokens.add(`B${object.byteLength}:`).bytes(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
    } else if (object instanceof Date) {
      tokens.add(`D${object.getTime()}\0`);
    } else if (object instanceof RegExp) {
      tokens.add(`R${object.source}/${object.flags}\0`);
    } else if (object instanceof Map) {
      if ([...object].some(([k, v]) => typeof k === 'function' || typeof v === 'function')) throw new Opaque(`${location} is a Map holding functions`);
      tokens.add(`M${object.size}\0`);
      let i = 0;
      for (const [k, v] of object) {
        this.readValue(k, `${location}{${i}}`, tokens, declaration, path);
        this.readValue(v, `${location}{${i++}}`, tokens, declaration, path);
      }
    } else if (object instanceof Set) {
      if ([...object].some((v) => typeof v === 'function')) throw new Opaque(`${location} is a Set holding functions`);
      tokens.add(`S${object.size}\0`);
      let i = 0;
      for (const v of object) this.readValue(v, `${location}<${i++}>`, tokens, declaration, path);
    } else {
      const proto = Object.getPrototypeOf(object) as { constructor?: { name?: string } } | null;
      tokens.add(`O${Array.isArray(object) ? 'Array' : proto?.constructor?.name ?? 'null'}\0`);
      for (const key of Reflect.ownKeys(object)) {
        if (Array.isArray(object) && key === 'length') continue;
        this.readProperty(object, key, location, tokens, declaration, path);
      }
    }
    path.delete(object);
  }

  private locate(value: object, location: string): void {
    this.locations.set(value, location);
  }

  private encodeValue(value: unknown): unknown {
    if (value === undefined) return { $undefined: true };
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: String(value) };
    const known = this.locations.get(value);
    if (known !== undefined) return { $ref: known };
    if (typeof value !== 'object') throw new Opaque('not encodable');
    if (Array.isArray(value)) return value.map((v) => this.encodeValue(v));
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new Opaque('not a plain object');
    const out: Record<string, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key !== 'string' || key.startsWith('$')) throw new Opaque('a key that cannot be encoded');
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if (descriptor.get || descriptor.set) throw new Opaque('a getter');
      out[key] = this.encodeValue(descriptor.value);
    }
    return out;
  }

  private decodeValue(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.decodeValue(v));
    const o = value as Record<string, unknown>;
    if (o.$undefined === true) return undefined;
    if (typeof o.$number === 'string') return Number(o.$number);
    if (typeof o.$ref === 'string') {
      if (!this.byLocation.has(o.$ref)) throw new Opaque(`nothing at ${o.$ref}`);
      return this.byLocation.get(o.$ref);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.decodeValue(v)]));
  }
}

/** The tokens a value is read as, hashed together: in one piece when they are few, as a small result's are. */
class Tokens {
  private text = '';
  private hasher?: Hash;

  public add(token: string): this {
    this.text += token;
    if (this.text.length > 65536) this.flush();
    return this;
  }

  public bytes(content: Uint8Array): this {
    this.flush();
    this.hasher!.update(content);
    return this;
  }

  /** The SHA-256 of every token, in base64url. */
  public digest(): string {
    if (!this.hasher) return hash('sha256', this.text, 'base64url');
    this.flush();
    return this.hasher.digest('base64url');
  }

  private flush(): void {
    (this.hasher ??= createHash('sha256')).update(this.text);
    this.text = '';
  }
}

/** The name of `fn` among the methods of `receiver`'s classes. */
function methodName(receiver: object, fn: unknown): string | undefined {
  const protoOf = (o: object) => Object.getPrototypeOf(o) as object | null;
  for (let proto = protoOf(receiver); proto && proto !== Object.prototype; proto = protoOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && Object.getOwnPropertyDescriptor(proto, name)?.value === fn) return name;
    }
  }
  return undefined;
}

/** Puts `value` in place of a property, as it was defined (writable or configurable). */
function setSlot(holder: object, key: PropertyKey, value: unknown): void {
  const descriptor = Object.getOwnPropertyDescriptor(holder, key)!;
  if (descriptor.writable) (holder as Record<PropertyKey, unknown>)[key] = value;
  else Object.defineProperty(holder, key, { ...descriptor, value });
}
