import { DEFAULT_FLUX_MINOR, FluxMinor } from './core/flux-version.js';
import { SCHEMA_PREFIX } from './core/schema.js';
import { FLUX_2_10_MODEL } from './schemas/flux-2.10-model.js';
import { FLUX_2_7_MODEL } from './schemas/flux-2.7-model.js';
import { FLUX_2_8_MODEL } from './schemas/flux-2.8-model.js';
import { FLUX_2_9_MODEL } from './schemas/flux-2.9-model.js';
import { FLUX_OPERATOR_MODEL } from './schemas/flux-operator-model.js';
import type { FluxSchemaKind, FluxSchemaModel, StructuralSchema } from './schemas/schema-model.js';
import { CompiledCheck, compileSchema } from './schemas/structural-check.js';

/**
 * The upstream schemas each Flux minor is checked against, from the CRDs that minor installs, as
 * `scripts/generate-flux-schemas.ts` reads them: Flux 2.7 from v2.7.5, 2.8 from v2.8.8 and 2.9 from v2.9.4 (the
 * release manifests Flux Operator v0.58.1 embeds); Flux 2.10 derived from v2.9.4 and the v2.10.0 release notes (its
 * CRDs were not available: see its `derived` field). Each model records its upstream release, source and commit.
 */
export const FLUX_SCHEMA_MODELS: Readonly<Record<FluxMinor, FluxSchemaModel>> = {
  '2.7': FLUX_2_7_MODEL,
  '2.8': FLUX_2_8_MODEL,
  '2.9': FLUX_2_9_MODEL,
  '2.10': FLUX_2_10_MODEL,
};

/**
 * The Flux Operator's kinds (FluxInstance, ResourceSet, ResourceSetInputProvider, FluxReport), from the CRDs of
 * Flux Operator v0.58.1, the release flux-fleet pins, checked in every minor.
 */
export const FLUX_OPERATOR_SCHEMA_MODEL: FluxSchemaModel = FLUX_OPERATOR_MODEL;

/** Options of {@link checkFluxSchema}. */
export interface FluxSchemaOptions {
  /**
   * The Flux minor whose schemas to check against: the API versions it serves, and their fields and rules.
   * @default "2.9"
   */
  readonly fluxMinor?: FluxMinor;
}

/**
 * Checks one Kubernetes object, as read from YAML or rendered by synth, against the upstream schema of its kind in a
 * Flux minor (2.9 unless told; README's "Flux versions" names the upstream release of each): the API versions that minor serves, every field (an unknown one is an error, with the
 * nearest known name), types, enums, patterns, lengths, and the CRD's CEL validation rules, evaluated on the object
 * with the defaults the API server would fill in. Objects outside the API groups of Flux and the Flux Operator are
 * not checked (an empty list).
 *
 * A pure function of the object and the minor: each kind's schema and rules compile once per minor, on first use.
 */
export function checkFluxSchema(object: Record<string, unknown>, options: FluxSchemaOptions = {}): string[] {
  const minor = options.fluxMinor ?? DEFAULT_FLUX_MINOR;
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const group = groupOf(apiVersion);
  if (!isFluxGroup(group)) return [];
  const served = registryOf(minor).get(`${group}/${kind}`);
  if (!served) return [`kind ${kind} of ${group} is not served by Flux v${minor}`];
  const version = served.versions.get(apiVersion);
  if (!version) return [`apiVersion ${apiVersion} of ${kind} is not served by Flux v${minor}; use ${served.preferred}`];
  const out: string[] = [];
  version.check()(object, '', out);
  return out.map((m) => SCHEMA_PREFIX + m);
}

/** Whether an API group belongs to Flux (source-watcher's included) or the Flux Operator. */
export function isFluxGroup(group: string): boolean {
  return group.endsWith('.toolkit.fluxcd.io') || group === 'source.extensions.fluxcd.io' || group === 'fluxcd.controlplane.io';
}

interface ServedKind {
  /** The storage version's apiVersion. */
  readonly preferred: string;
  readonly versions: Map<string, { readonly check: () => CompiledCheck }>;
}

const registries = new Map<FluxMinor, Map<string, ServedKind>>();

function registryOf(minor: FluxMinor): Map<string, ServedKind> {
  let registry = registries.get(minor);
  if (!registry) {
    registry = new Map();
    const model = FLUX_SCHEMA_MODELS[minor];
    for (const entry of [...model.kinds, ...FLUX_OPERATOR_MODEL.kinds]) {
      const key = `${entry.group}/${entry.kind}`;
      const apiVersion = `${entry.group}/${entry.version}`;
      let served = registry.get(key);
      if (!served) registry.set(key, served = { preferred: apiVersion, versions: new Map() });
      if (entry.storage) (served as { preferred: string }).preferred = apiVersion;
      const label = FLUX_OPERATOR_MODEL.kinds.includes(entry)
        ? `${entry.kind} (${apiVersion}, Flux Operator ${FLUX_OPERATOR_MODEL.release})`
        : `${entry.kind} (${apiVersion}, Flux ${minor})`;
      served.versions.set(apiVersion, { check: lazyCheck(entry, label) });
    }
    registries.set(minor, registry);
  }
  return registry;
}

function lazyCheck(entry: FluxSchemaKind, kindLabel: string): () => CompiledCheck {
  let compiled: CompiledCheck | undefined;
  return () => compiled ??= compileSchema(rootSchema(entry), { kindLabel });
}

/** A kind's schema with Kubernetes' own `metadata` in place of the CRD's open object, and `status` ignored. */
function rootSchema(entry: FluxSchemaKind): StructuralSchema {
  const schema = JSON.parse(entry.schema) as StructuralSchema;
  return {
    ...schema,
    properties: { ...schema.properties, metadata: { ...OBJECT_META, ...pick(schema.properties?.metadata) }, status: { 'x-kubernetes-preserve-unknown-fields': true } },
  };
}

/** What a CRD's own metadata schema adds (FluxInstance's name rule, say) on top of ObjectMeta. */
function pick(metadata: StructuralSchema | undefined): StructuralSchema {
  return metadata?.['x-kubernetes-validations'] ? { 'x-kubernetes-validations': metadata['x-kubernetes-validations'] } : {};
}

const STRING: StructuralSchema = { type: 'string' };
const STRING_MAP: StructuralSchema = { type: 'object', additionalProperties: STRING };
const OPEN: StructuralSchema = { 'x-kubernetes-preserve-unknown-fields': true };

/** Kubernetes ObjectMeta, as the API server checks it: its fields and nothing else. */
const OBJECT_META: StructuralSchema = {
  type: 'object',
  properties: {
    name: STRING,
    generateName: STRING,
    namespace: STRING,
    labels: STRING_MAP,
    annotations: STRING_MAP,
    finalizers: { type: 'array', items: STRING },
    ownerReferences: { type: 'array', items: { type: 'object', ...OPEN } },
    uid: STRING,
    resourceVersion: STRING,
    generation: { type: 'integer' },
    creationTimestamp: { ...OPEN, nullable: true },
    deletionTimestamp: { ...OPEN, nullable: true },
    deletionGracePeriodSeconds: { type: 'integer' },
    selfLink: STRING,
    managedFields: { type: 'array', items: { type: 'object', ...OPEN } },
  },
};

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
