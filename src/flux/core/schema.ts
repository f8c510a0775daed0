/** How every schema message starts. */
export const SCHEMA_PREFIX = 'does not match the Flux schema: ';

/** An error found by a schema check: where in the object, and what is wrong. */
export interface SchemaError {
  readonly instancePath: string;
  readonly message?: string;
  readonly keyword?: string;
  readonly params?: Record<string, unknown>;
}

/** Checks a rendered object against its kind's schema; returns readable messages, none when it conforms. */
export type SchemaCheck = (object: Record<string, unknown>) => string[];

/** A model class of `@kubernetes-models/flux-cd`: constructed from JSON, with a `validate()` that throws. */
export interface KubernetesModelClass {
  /** The API version the model's schema is for. */
  readonly apiVersion: string;
  new (data: any): { validate(): void };
}

/** A schema check backed by a `@kubernetes-models` model class (the Flux CRD schemas, compiled). */
export function modelSchemaCheck(model: KubernetesModelClass): SchemaCheck {
  return (object) => {
    try {
      new model(object).validate();
      return [];
    } catch (e) {
      const errors = (e as { errors?: SchemaError[] }).errors;
      if (!Array.isArray(errors)) return [String((e as Error).message ?? e)];
      return formatSchemaErrors(object, errors);
    }
  };
}

/**
 * A schema check for a kind that a later Flux minor serves at `apiVersion` with the same fields as the model's version
 * (a promotion without schema changes, as Flux v2.10 promoted `Provider` and `Alert` from `v1beta3` to `v1`): the
 * object is checked against the model with the model's API version in place of its own.
 */
export function promotedSchemaCheck(model: KubernetesModelClass, apiVersion: string): SchemaCheck {
  const check = modelSchemaCheck(model);
  return (object) => {
    if (object.apiVersion !== apiVersion) {
      return [`${SCHEMA_PREFIX}apiVersion ${JSON.stringify(object.apiVersion)} is not allowed; use "${apiVersion}"`];
    }
    return check({ ...object, apiVersion: model.apiVersion });
  };
}

/** Turns ajv-style errors into messages naming the field, the value and what is allowed. */
export function formatSchemaErrors(object: Record<string, unknown>, errors: readonly SchemaError[]): string[] {
  const out: string[] = [];
  for (const error of errors) {
    const path = error.instancePath === '' ? '(root)' : fieldPath(error.instancePath);
    const params = error.params ?? {};
    let text: string;
    if (error.keyword === 'required') {
      text = `${path === '(root)' ? '' : path + '.'}${String(params.missingProperty)} is required`;
    } else if (error.keyword === 'enum') {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      text = `${path} ${JSON.stringify(valueAt(object, error.instancePath))} is not allowed; use one of ${allowed}`;
    } else if (error.keyword === 'additionalProperties') {
      text = `${path === '(root)' ? '' : path + '.'}${String(params.additionalProperty)} is not a field of this kind`;
    } else {
      text = `${path} ${error.message ?? 'is invalid'} (got ${JSON.stringify(valueAt(object, error.instancePath))})`;
    }
    out.push(`${SCHEMA_PREFIX}${text}`);
  }
  return [...new Set(out)];
}

/** `/spec/patches/0/target` as `spec.patches[0].target`. */
function fieldPath(pointer: string): string {
  return pointer.split('/').slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg, i) => (/^[0-9]+$/.test(seg) ? `[${seg}]` : `${i === 0 ? '' : '.'}${seg}`))
    .join('');
}

function valueAt(object: unknown, pointer: string): unknown {
  let cur: any = object;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}
