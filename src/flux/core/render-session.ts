import { ApiObject, ApiObjectMetadataDefinition, App, Chart, ImplicitTokenResolver, JsonPatch, Lazy, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import type { IConstruct } from 'constructs';

let rendered: WeakMap<ApiObject, Record<string, any>> | undefined;

/**
 * Renders each ApiObject once while a synth runs: the object synth validates is then exactly the object it writes,
 * and a large app is not rendered twice. Outside {@link RenderSession.run}, {@link RenderSession.toJson} renders
 * anew each time, as `ApiObject.toJson()` does, so changes made to an object reach its next rendering.
 *
 * Within a session, the rendered objects are shared: they must not be changed.
 * @internal
 */
export class RenderSession {
  /**
   * Runs `fn` with every rendering remembered until it returns. Objects must not change meanwhile: a session covers
   * the validation and the writing of a synth, after every object is built.
   */
  public static run<T>(fn: () => T): T {
    if (rendered) return fn();
    rendered = new WeakMap();
    try {
      return fn();
    } finally {
      rendered = undefined;
    }
  }

  /**
   * Runs `fn` in a session of its own, whatever runs around it: what it renders is forgotten when it returns (a
   * cluster's objects, once written), so that the renderings of a large app never pile up.
   */
  public static runApart<T>(fn: () => T): T {
    const outer = rendered;
    rendered = new WeakMap();
    try {
      return fn();
    } finally {
      rendered = outer;
    }
  }

  /** Whether a session is running. */
  public static get active(): boolean {
    return rendered !== undefined;
  }

  /** The object as `toJson()` renders it; within a session, rendered on first use only. */
  public static toJson(o: ApiObject): Record<string, any> {
    if (!rendered) return renderApiObject(o);
    const known = rendered.get(o);
    if (known !== undefined) return known;
    const json = renderApiObject(o);
    rendered.set(o, json);
    return json;
  }

  private constructor() {}
}

/**
 * How to render charts' objects as `Chart.toJson()` does, for an app whose constructs are `all` and that has been
 * validated; objects are rendered with {@link RenderSession.toJson}.
 *
 * `Chart.toJson()` first resolves the construct dependencies of the whole app and validates the whole app again, so
 * rendering every chart of an app with it costs time in the square of the app's size. Without construct dependencies
 * and nested charts (fleets create neither) there is nothing to resolve, and a chart's objects are its own ApiObjects
 * in construct order: that order is taken directly. Otherwise each chart is rendered with `Chart.toJson()`.
 * @internal
 */
export function chartRenderer(all: readonly IConstruct[]): (chart: Chart) => Record<string, any>[] {
  const plain = all.every((c) => c.node.dependencies.length === 0 && !(Chart.isChart(c) && c.node.scopes.slice(0, -1).some(Chart.isChart)));
  if (!plain) return (chart) => chart.toJson();
  return (chart) => chart.node.findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart)
    .map((o) => RenderSession.toJson(o));
}

/** What `ApiObject.toJson()` reads of an ApiObject. */
interface ApiObjectInternals {
  readonly props?: unknown;
  readonly patches?: unknown;
}

/** What `ApiObjectMetadataDefinition.toJson()` reads of the metadata, besides its public fields. */
interface MetadataInternals {
  readonly _additionalAttributes?: unknown;
}

/** How cdk8s sanitizes a rendered value. */
interface SanitizeOptions {
  readonly sortKeys: boolean;
  /** Drop empty arrays and objects, as cdk8s does in metadata. */
  readonly filterEmpty: boolean;
}

/** Thrown for a value the fast rendering leaves to cdk8s. */
const UNSUPPORTED = Symbol('unsupported');

/**
 * The object exactly as cdk8s's `ApiObject.toJson()` renders it (resolve the props with the app's resolvers, drop
 * empty values, sort the keys, apply the JSON patches, put `apiVersion`, `kind` and `metadata` first), in one pass
 * over the props instead of three, and without looking up the app at every value.
 *
 * It applies to an ApiObject whose `toJson()` is cdk8s's own, in an app with cdk8s's built-in resolvers only; any
 * other object, and any object whose rendering fails, is rendered by its own `toJson()` (which then reports the
 * failure as cdk8s does).
 * @internal
 */
export function renderApiObject(o: ApiObject): Record<string, any> {
  const internals = o as unknown as ApiObjectInternals;
  const props = internals.props;
  const patches = internals.patches;
  if (o.toJson !== ApiObject.prototype.toJson || !isObject(props) || !Array.isArray(patches) || !builtInResolvers(o)) {
    return o.toJson();
  }
  try {
    const sortKeys = process.env.CDK8S_DISABLE_SORT ? false : true;
    const json = render({ ...props, metadata: renderMetadata(o.metadata) }, { sortKeys, filterEmpty: false }) as Record<string, unknown>;
    const patched = patches.length > 0 ? JsonPatch.apply(json, ...(patches as JsonPatch[])) : json;
    const result: Record<string, any> = {};
    for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)]) {
      if (k in patched) result[k] = patched[k];
    }
    return result;
  } catch {
    return o.toJson();
  }
}

/** Whether the app of `o` resolves values with exactly cdk8s's built-in resolvers, in their order. */
function builtInResolvers(o: ApiObject): boolean {
  const resolvers = (App.of(o) as { resolvers?: unknown }).resolvers;
  return Array.isArray(resolvers) && resolvers.length === 3 &&
    resolvers[0]?.constructor === LazyResolver &&
    resolvers[1]?.constructor === ImplicitTokenResolver &&
    resolvers[2]?.constructor === NumberStringUnionResolver;
}

/** The metadata as cdk8s's `ApiObjectMetadataDefinition.toJson()` renders it. */
function renderMetadata(metadata: ApiObjectMetadataDefinition): unknown {
  const additional = (metadata as unknown as MetadataInternals)._additionalAttributes;
  if (metadata.toJson !== ApiObjectMetadataDefinition.prototype.toJson || !isObject(additional)) return metadata.toJson();
  return render({
    ...additional,
    name: metadata.name,
    namespace: metadata.namespace,
    annotations: (metadata as unknown as Record<string, unknown>).annotations,
    finalizers: (metadata as unknown as Record<string, unknown>).finalizers,
    ownerReferences: (metadata as unknown as Record<string, unknown>).ownerReferences,
    labels: (metadata as unknown as Record<string, unknown>).labels,
  }, { sortKeys: true, filterEmpty: true });
}

/** `sanitizeValue(resolve(value))` of cdk8s, with its built-in resolvers, in one pass. */
function render(value: unknown, options: SanitizeOptions): unknown {
  // No resolver applies to a string, number or boolean, which sanitizing keeps as it is.
  if (typeof value !== 'object' || value === null) return value === null ? undefined : value;
  // The built-in resolvers, in order, until none applies.
  for (;;) {
    if (value === null || value === undefined) return undefined;
    const v = value as { resolve?: unknown; constructor?: unknown; value?: unknown };
    if (value instanceof Lazy) value = value.produce();
    else if (typeof v.resolve === 'function') value = (v.resolve as () => unknown).call(value);
    else if (v.constructor !== Object && (typeof v.value === 'number' || typeof v.value === 'string')) value = { value: v.value };
    else break;
  }
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    if (options.filterEmpty && value.length === 0) return undefined;
    return value.map((x) => render(x, options));
  }
  if (value.constructor !== Object) return sanitize(value, options);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  let empty = true;
  for (const key of options.sortKeys ? keys.sort() : keys) {
    if (key === '__proto__') throw UNSUPPORTED;
    const r = render((value as Record<string, unknown>)[key], options);
    if (r !== null && r !== undefined) {
      out[key] = r;
      empty = false;
    }
  }
  return options.filterEmpty && empty ? undefined : out;
}

/** cdk8s's `sanitizeValue`, for a value its resolution left as it was. */
function sanitize(value: unknown, options: SanitizeOptions): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    if (options.filterEmpty && value.length === 0) return undefined;
    return value.map((x) => sanitize(x, options));
  }
  if (value.constructor?.name !== 'Object') throw UNSUPPORTED;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  let empty = true;
  for (const key of options.sortKeys ? keys.sort() : keys) {
    if (key === '__proto__') throw UNSUPPORTED;
    const r = sanitize((value as Record<string, unknown>)[key], options);
    if (r !== null && r !== undefined) {
      out[key] = r;
      empty = false;
    }
  }
  return options.filterEmpty && empty ? undefined : out;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}
