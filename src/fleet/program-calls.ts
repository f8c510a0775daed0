/**
 * A call made while a cluster was built: of a function the program gave the fleet (a value per cluster, a registry
 * host per region, a builder of objects), noted by the wrapper a synth cache puts around it, or of a method of the
 * fleet that reads outside the program (a folder packed as an artifact). What was called, on what, with what, and
 * what came back.
 * @internal
 */
export interface ProgramCall {
  /** Where the function is in the fleet's declaration, when a wrapper noted the call. */
  readonly location?: string;
  /** The function called (the program's own, not the wrapper). */
  readonly fn: (...args: never[]) => unknown;
  /** The object it was called on (`this`). */
  readonly receiver: unknown;
  /** The arguments. */
  readonly args: readonly unknown[];
  /** What it returned. */
  readonly result: unknown;
}

let recording: ProgramCall[] | undefined;

/**
 * Runs `build`, collecting in `calls` every call noted meanwhile: a synth cache calls them again to tell whether
 * building the cluster again would give the same objects.
 * @internal
 */
export function recordProgramCalls<T>(calls: ProgramCall[], build: () => T): T {
  const outer = recording;
  recording = calls;
  try {
    return build();
  } finally {
    recording = outer;
  }
}

/** Notes a call, while calls are collected. @internal */
export function noteProgramCall(call: ProgramCall): void {
  recording?.push(call);
}

/**
 * Calls a method of the fleet that reads outside the program (the files of a folder), noting the call while calls are
 * collected: a synth cache then reads again what a cached cluster read.
 * @internal
 */
export function readOutsideProgram<A extends readonly unknown[], R>(receiver: object, method: (...args: A) => R, ...args: A): R {
  const result = Reflect.apply(method, receiver, args) as R;
  recording?.push({ fn: method as (...args: never[]) => unknown, receiver, args, result });
  return result;
}
