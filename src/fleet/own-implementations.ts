/** The prototypes of flux-fleet's own implementations of the classes a program could extend. */
const own = new WeakSet<object>();

/**
 * Records flux-fleet's own implementations of an abstract class a program could also extend (`Bootstrap`,
 * `Registry`, `Notification`): a synth cache serves a fleet only when every such object is one of them, since the
 * methods of a program's own subclass are code it cannot see.
 * @internal
 */
export function ownImplementations(...classes: Array<abstract new (...args: never[]) => unknown>): void {
  for (const c of classes) own.add(c.prototype as object);
}

/** Whether `x` is an instance of one of flux-fleet's own implementations, exactly. @internal */
export function isOwnImplementation(x: object): boolean {
  return own.has(Object.getPrototypeOf(x) as object);
}
