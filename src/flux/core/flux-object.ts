import { ApiObject, ApiObjectMetadata, Chart, JsonPatch, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { fluxMinorAt, ObjectIndex } from './object-index.js';
import { RenderSession } from './render-session.js';
import { Checks } from './rules.js';
import { cachedSchemaCheck } from './schema-cache.js';
import { SchemaCheck, unreportedSchemaMessages } from './schema.js';
import { checkFluxSchema } from '../schema-registry.js';
import { allowedLiteralValues, findObjectSecrets, literalSecretMessage, secretsCheckedElsewhere } from './secrets.js';

/** The namespace Flux objects go to when neither they nor their Chart name one. */
export const DEFAULT_NAMESPACE = 'flux-system';

/**
 * A Flux object that others can reference: one the app defines, or one imported with a kind's `fromName()`.
 */
export interface IFluxObject extends IConstruct {
  /** The API version, e.g. `source.toolkit.fluxcd.io/v1`. */
  readonly apiVersion: string;
  /** The kind, e.g. `OCIRepository`. */
  readonly kind: string;
  /** `metadata.name`. */
  readonly name: string;
  /** `metadata.namespace`. */
  readonly namespace: string;
  /** True when the object is managed elsewhere (imported by name) and so not synthesized here. */
  readonly imported: boolean;
}

/** Metadata common to every Flux object. */
export interface FluxObjectProps {
  /**
   * Metadata of the object: `name`, `namespace`, `labels`, `annotations`.
   *
   * @default - name: the construct id (which must then be a DNS-1123 name); namespace: the enclosing Chart's
   * namespace, or `flux-system`
   */
  readonly metadata?: ApiObjectMetadata;
}

/** The API version and kind of a Flux object, and how to check it. */
export interface FluxObjectType {
  /** The API version written, e.g. `source.toolkit.fluxcd.io/v1`. */
  readonly apiVersion: string;
  /** The kind, e.g. `OCIRepository`. */
  readonly kind: string;
  /** Longest `metadata.name` the kind allows. @default 253 */
  readonly maxNameLength?: number;
  /**
   * Checks of the rendered object beyond the upstream schema of its kind, which every object passes in the Flux minor
   * of its cluster.
   * @default - the upstream schema only
   */
  readonly schema?: SchemaCheck;
}

/** What one field of an object refers to, for the cross-object checks. */
export interface FluxReference {
  /** The field, e.g. `spec.sourceRef` or `spec.dependsOn[0]`. */
  readonly field: string;
  /** The object referred to. */
  readonly target: IFluxObject;
  /** The kinds Flux accepts in this field. */
  readonly kinds: readonly string[];
  /** A source reference: subject to the no-cross-namespace-refs lockdown. @default false */
  readonly source?: boolean;
  /** A `dependsOn` edge: part of the ordering graph checked for cycles. @default false */
  readonly dependency?: boolean;
  /** Added to the message when the kind is not accepted. @default - no hint */
  readonly kindHint?: string;
}

const FLUX_OBJECT = Symbol.for('flux-fleet.FluxObject');

/**
 * Base of every Flux construct: a cdk8s `ApiObject` child with the id `Resource`, rendered lazily at synth, and
 * checked at synth against the kind's rules, the Flux schema and the other objects of its cluster.
 */
export abstract class FluxObject extends Construct implements IFluxObject {
  /** Whether `x` is a Flux object defined in an app (not an imported one). */
  public static isFluxObject(x: unknown): x is FluxObject {
    return x !== null && typeof x === 'object' && FLUX_OBJECT in x;
  }

  public readonly apiVersion: string;
  public readonly kind: string;
  public readonly name: string;
  public readonly namespace: string;
  public readonly imported = false;

  /** The underlying cdk8s object: an escape hatch for anything the props do not model. */
  public readonly apiObject: ApiObject;

  private readonly type: FluxObjectType;

  protected constructor(scope: Construct, id: string, props: FluxObjectProps, type: FluxObjectType) {
    super(scope, id);
    Object.defineProperty(this, FLUX_OBJECT, { value: true });
    this.type = type;
    this.apiVersion = type.apiVersion;
    this.kind = type.kind;
    this.name = props.metadata?.name ?? id;
    this.namespace = props.metadata?.namespace ?? Chart.of(this).namespace ?? DEFAULT_NAMESPACE;
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: { ...props.metadata, name: this.name, namespace: this.namespace },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });
    ObjectIndex.of(this).register(this);
    this.node.addValidation({ validate: () => this.check() });
  }

  /**
   * Applies RFC 6902 JSON patches to the rendered object: the escape hatch for any field the props do not model,
   * e.g. `addJsonPatch(JsonPatch.add('/spec/sourceIgnore', '*.md'))`. The patched object is what synth checks.
   */
  public addJsonPatch(...ops: JsonPatch[]): void {
    this.apiObject.addJsonPatch(...ops);
  }

  /** The rendered object, as synth writes it. */
  public toJson(): Record<string, any> {
    return RenderSession.toJson(this.apiObject);
  }

  /** The objects this one refers to. */
  public references(): FluxReference[] {
    return [];
  }

  /** @internal */
  protected abstract renderSpec(): object;

  /** Checks the props against the kind's rules. @internal */
  protected abstract validateProps(checks: Checks): void;

  private check(): string[] {
    const checks = new Checks();
    checks.dnsName('metadata.name', this.name, this.type.maxNameLength ?? 253);
    checks.dnsLabel('metadata.namespace', this.namespace);
    this.validateProps(checks);
    let json: Record<string, unknown> | undefined;
    try {
      json = this.toJson();
    } catch (e) {
      checks.add(`cannot be rendered: ${(e as Error).message}`);
    }
    if (json) {
      const minor = fluxMinorAt(this);
      const schema = this.type.schema;
      // The upstream schema is a function of the object and the minor alone; the kind's own checks are told apart by
      // their function.
      const check = (o: Record<string, unknown>) => [...checkFluxSchema(o, { fluxMinor: minor }), ...(schema?.(o) ?? [])];
      const schemaMessages = cachedSchemaCheck(schema ?? checkFluxSchema, minor, check, json);
      for (const message of unreportedSchemaMessages(schemaMessages, checks.errors)) checks.add(message);
      if (!secretsCheckedElsewhere(this)) {
        for (const found of findObjectSecrets(json, allowedLiteralValues(this))) {
          checks.add(literalSecretMessage(found, 'keep it in a Secret on the cluster and reference it (valuesFrom, substituteFrom)'));
        }
      }
    }
    for (const message of ObjectIndex.of(this).check(this)) checks.add(message);
    return checks.errors;
  }
}

/** Props of an object imported by name. */
export interface ImportedFluxObjectProps {
  /** The object's API version. */
  readonly apiVersion: string;
  /** The object's kind. */
  readonly kind: string;
  /** The object's name. */
  readonly name: string;
  /** The object's namespace. @default - the enclosing Chart's namespace, or `flux-system` */
  readonly namespace?: string;
}

/**
 * A Flux object managed elsewhere, referenced by name. Kinds' `fromName()` methods return one; it is not synthesized,
 * and references to it are not required to resolve inside the app.
 */
export class ImportedFluxObject extends Construct implements IFluxObject {
  public readonly apiVersion: string;
  public readonly kind: string;
  public readonly name: string;
  public readonly namespace: string;
  public readonly imported = true;

  public constructor(scope: Construct, id: string, props: ImportedFluxObjectProps) {
    super(scope, id);
    this.apiVersion = props.apiVersion;
    this.kind = props.kind;
    this.name = props.name;
    this.namespace = props.namespace ?? namespaceOf(scope);
    const checks = new Checks();
    checks.dnsName('name', this.name);
    checks.dnsLabel('namespace', this.namespace);
    this.node.addValidation({ validate: () => checks.errors });
  }
}

/** The namespace objects created in `scope` get by default. */
export function namespaceOf(scope: IConstruct): string {
  const chart = scope.node.scopes.reverse().find((s) => Chart.isChart(s)) as Chart | undefined;
  return chart?.namespace ?? DEFAULT_NAMESPACE;
}

/**
 * Renders a reference to another object as Flux writes it: `{kind, name}`, plus `namespace` when it differs from
 * the referring object's.
 */
export function renderRef(from: IFluxObject, to: IFluxObject, withKind = true): { kind?: string; name: string; namespace?: string } {
  return {
    ...(withKind ? { kind: to.kind } : {}),
    name: to.name,
    ...(to.namespace !== from.namespace ? { namespace: to.namespace } : {}),
  };
}
