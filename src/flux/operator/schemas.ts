import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { API_VERSION } from '../core/api.js';
import { formatSchemaErrors, SchemaCheck } from '../core/schema.js';

/*
 * JSON schemas of the Flux Operator kinds (fluxcd.controlplane.io/v1), which no model package ships. They follow the
 * operator's API types: field types, required fields, enums, patterns and length limits. Like kubectl's strict field
 * validation, they refuse fields the API does not define, so a typo in an escape-hatch patch is reported rather than
 * pruned by the API server.
 */

type Schema = Record<string, unknown>;

const STRING: Schema = { type: 'string' };
const BOOLEAN: Schema = { type: 'boolean' };
const STRING_MAP: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const GO_DURATION: Schema = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };

/** An object with exactly these fields. */
function fields(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

function arrayOf(items: Schema, extra: Schema = {}): Schema {
  return { type: 'array', items, ...extra };
}

function oneOfValues(...values: string[]): Schema {
  return { type: 'string', enum: values };
}

const OBJECT_METADATA: Schema = {
  type: 'object',
  required: ['name'],
  properties: { name: STRING, namespace: STRING, labels: STRING_MAP, annotations: STRING_MAP },
};

const COMMON_METADATA = fields({ labels: STRING_MAP, annotations: STRING_MAP });

const LABEL_SELECTOR = fields({
  matchLabels: STRING_MAP,
  matchExpressions: arrayOf(fields({
    key: STRING,
    operator: STRING,
    values: arrayOf(STRING),
  }, ['key', 'operator'])),
});

/** A whole object of a kind: apiVersion, kind, metadata, spec, and the status the operator writes. */
function kindSchema(kind: string, spec: Schema, metadata: Schema = OBJECT_METADATA): Schema {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: oneOfValues(API_VERSION.operator),
      kind: oneOfValues(kind),
      metadata,
      spec,
      status: { type: 'object' },
    },
    additionalProperties: false,
  };
}

/** The Flux controllers a FluxInstance can install. */
export const FLUX_COMPONENTS = [
  'source-controller',
  'kustomize-controller',
  'helm-controller',
  'notification-controller',
  'image-reflector-controller',
  'image-automation-controller',
  'source-watcher',
] as const;

/** The Flux distribution builds a FluxInstance can install. */
export const FLUX_VARIANTS = ['upstream-alpine', 'enterprise-alpine', 'enterprise-distroless', 'enterprise-distroless-fips'] as const;

const FLUX_INSTANCE_SPEC = fields({
  distribution: fields({
    version: STRING,
    registry: STRING,
    variant: oneOfValues(...FLUX_VARIANTS),
    imagePullSecret: STRING,
    artifact: { type: 'string', pattern: '^oci://.*$' },
    artifactPullSecret: STRING,
  }, ['version', 'registry']),
  components: arrayOf(oneOfValues(...FLUX_COMPONENTS)),
  commonMetadata: COMMON_METADATA,
  cluster: fields({
    domain: STRING,
    multitenant: BOOLEAN,
    multitenantWorkloadIdentity: BOOLEAN,
    tenantDefaultServiceAccount: STRING,
    tenantDefaultDecryptionServiceAccount: STRING,
    tenantDefaultKubeConfigServiceAccount: STRING,
    objectLevelWorkloadIdentity: BOOLEAN,
    networkPolicy: BOOLEAN,
    type: oneOfValues('kubernetes', 'openshift', 'aws', 'azure', 'gcp'),
    size: oneOfValues('small', 'medium', 'large'),
  }),
  sharding: fields({
    key: STRING,
    shards: arrayOf(STRING, { minItems: 1 }),
    storage: oneOfValues('ephemeral', 'persistent'),
  }, ['shards']),
  storage: fields({ class: STRING, size: STRING }, ['class', 'size']),
  kustomize: fields({
    patches: arrayOf(fields({
      patch: STRING,
      target: fields({
        group: STRING,
        version: STRING,
        kind: STRING,
        name: STRING,
        namespace: STRING,
        labelSelector: STRING,
        annotationSelector: STRING,
      }),
    }, ['patch'])),
  }),
  wait: BOOLEAN,
  migrateResources: BOOLEAN,
  sync: fields({
    name: { type: 'string', maxLength: 63 },
    interval: GO_DURATION,
    kind: oneOfValues('OCIRepository', 'GitRepository', 'Bucket'),
    url: STRING,
    ref: STRING,
    path: STRING,
    pullSecret: STRING,
    provider: oneOfValues('generic', 'aws', 'azure', 'gcp', 'github'),
  }, ['kind', 'url', 'ref', 'path']),
}, ['distribution']);

/** The name Flux Operator accepts for a FluxInstance. */
export const FLUX_INSTANCE_NAME = 'flux';

const FLUX_INSTANCE = kindSchema('FluxInstance', FLUX_INSTANCE_SPEC, {
  ...OBJECT_METADATA,
  properties: { ...(OBJECT_METADATA.properties as Record<string, Schema>), name: oneOfValues(FLUX_INSTANCE_NAME) },
});

const RESOURCES = arrayOf({ type: 'object' });

const RESOURCE_SET_SPEC = fields({
  commonMetadata: COMMON_METADATA,
  inputs: arrayOf({ type: 'object' }),
  inputsFrom: arrayOf(fields({
    apiVersion: oneOfValues(API_VERSION.operator),
    kind: oneOfValues('ResourceSetInputProvider'),
    name: STRING,
    selector: LABEL_SELECTOR,
  })),
  inputStrategy: fields({
    name: oneOfValues('Flatten', 'Permute'),
    includeEmptyProviders: BOOLEAN,
  }, ['name']),
  resources: RESOURCES,
  resourcesTemplate: STRING,
  steps: arrayOf(fields({
    name: STRING,
    resources: RESOURCES,
    resourcesTemplate: STRING,
    timeout: GO_DURATION,
  }, ['name']), { maxItems: 20 }),
  dependsOn: arrayOf(fields({
    apiVersion: STRING,
    kind: STRING,
    name: STRING,
    namespace: STRING,
    ready: BOOLEAN,
    readyExpr: STRING,
  }, ['apiVersion', 'kind', 'name'])),
  serviceAccountName: STRING,
  wait: BOOLEAN,
});

const RESOURCE_SET = kindSchema('ResourceSet', RESOURCE_SET_SPEC);

let ajv: Ajv | undefined;
const compiled = new Map<Schema, ValidateFunction>();

/** Compiles a schema once, on first use. */
function validator(schema: Schema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: true, strict: true });
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function errorsOf(schema: Schema, object: Record<string, unknown>): ErrorObject[] {
  const validate = validator(schema);
  return validate(object) ? [] : [...(validate.errors ?? [])];
}

/**
 * Checks a FluxInstance against the Flux Operator's API: field types, required fields, enums, patterns, unknown
 * fields, and the one name the operator accepts.
 */
export const fluxInstanceSchemaCheck: SchemaCheck = (object) => {
  const errors = errorsOf(FLUX_INSTANCE, object);
  const isName = (e: ErrorObject) => e.instancePath === '/metadata/name' && e.keyword === 'enum';
  const messages = errors.filter(isName).map(() => {
    const name = (object.metadata as Record<string, unknown> | undefined)?.name;
    return `does not match the Flux schema: metadata.name ${JSON.stringify(name)} is not allowed: Flux Operator reconciles only a FluxInstance named "${FLUX_INSTANCE_NAME}"; drop metadata.name (it defaults to "${FLUX_INSTANCE_NAME}")`;
  });
  return [...messages, ...formatSchemaErrors(object, errors.filter((e) => !isName(e)))];
};

/** Checks a ResourceSet against the Flux Operator's API: field types, required fields, enums, patterns, unknown fields. */
export const resourceSetSchemaCheck: SchemaCheck = (object) => formatSchemaErrors(object, errorsOf(RESOURCE_SET, object));
