import { hash } from 'node:crypto';
import type { SchemaCheck } from './schema.js';

/** The most results kept: the objects of a few clusters, as identical objects recur from one cluster to the next. */
const LIMIT = 20_000;
/** Results by kind, Flux minor and hash of the object's JSON; the oldest is dropped first (Maps keep insertion order). */
const results = new Map<string, readonly string[]>();
const kinds = new WeakMap<object, number>();
let nextKind = 0;
const NONE: readonly string[] = Object.freeze([]);

/**
 * Checks an object of a kind against its schema in a Flux minor, remembering the result by content: an object
 * identical to one checked before (the same Kustomization on many clusters of a fleet, say) is not checked again. A
 * schema check is a pure function of the object and the minor, so a result is reused only for the same bytes of JSON.
 * @param kind what decides which check applies beside the object and the minor (the same for the same check)
 * @internal
 */
export function cachedSchemaCheck(kind: object, minor: string, check: SchemaCheck, object: Record<string, unknown>): readonly string[] {
  let id = kinds.get(kind);
  if (id === undefined) kinds.set(kind, id = nextKind++);
  const key = `${id} ${minor} ${hash('sha256', JSON.stringify(object), 'base64')}`;
  const known = results.get(key);
  if (known) return known;
  const messages = check(object);
  results.set(key, messages.length === 0 ? NONE : messages);
  if (results.size > LIMIT) results.delete(results.keys().next().value!);
  return messages;
}
