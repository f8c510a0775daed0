/**
 * The shape of the vendored upstream schemas (the `*-model.ts` files beside this one, written by
 * `scripts/generate-flux-schemas.ts` from the CRDs each Flux minor installs).
 *
 * @see https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */

/** The served versions of the kinds of one Flux minor (or of the Flux Operator), and where they come from. */
export interface FluxSchemaModel {
  /** The Flux minor, e.g. `2.9`; none for the Flux Operator's kinds. */
  readonly minor?: string;
  /** The upstream release the CRDs come from, e.g. `v2.9.4`. */
  readonly release: string;
  /** Where the CRDs were read. */
  readonly source: string;
  /** The upstream commit read. */
  readonly commit: string;
  /** Set when the minor's CRDs were not available: how its schemas were derived. */
  readonly derived?: string;
  /** One entry per served version of each kind. */
  readonly kinds: readonly FluxSchemaKind[];
}

/** One served version of a kind. */
export interface FluxSchemaKind {
  /** The API group, e.g. `source.toolkit.fluxcd.io`. */
  readonly group: string;
  /** The version, e.g. `v1`. */
  readonly version: string;
  /** The kind, e.g. `OCIRepository`. */
  readonly kind: string;
  /** Whether this is the storage version, the one flux-fleet writes. */
  readonly storage: boolean;
  /** Whether upstream marks this version deprecated. */
  readonly deprecated: boolean;
  /** The openAPIV3Schema, as JSON, without descriptions and status. */
  readonly schema: string;
}

/** The subset of an OpenAPI v3 structural schema that Kubernetes CRDs use, as the vendored data holds it. */
export interface StructuralSchema {
  readonly 'type'?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly 'properties'?: Readonly<Record<string, StructuralSchema>>;
  readonly 'required'?: readonly string[];
  readonly 'additionalProperties'?: StructuralSchema | boolean;
  readonly 'items'?: StructuralSchema;
  readonly 'enum'?: readonly unknown[];
  readonly 'pattern'?: string;
  readonly 'format'?: string;
  readonly 'minLength'?: number;
  readonly 'maxLength'?: number;
  readonly 'minimum'?: number;
  readonly 'maximum'?: number;
  readonly 'minItems'?: number;
  readonly 'maxItems'?: number;
  readonly 'minProperties'?: number;
  readonly 'maxProperties'?: number;
  readonly 'nullable'?: boolean;
  readonly 'default'?: unknown;
  /** Set on a field upstream's description calls deprecated. */
  readonly 'deprecated'?: boolean;
  readonly 'anyOf'?: readonly StructuralSchema[];
  readonly 'oneOf'?: readonly StructuralSchema[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: string;
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
}

/** A CEL validation rule of a CRD. */
export interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}
