/**
 * The one error hierarchy of flux-fleet. Every error the library throws on purpose is a {@link FluxFleetError}: it
 * carries a stable {@link FluxFleetError.code} (what the command line maps to an exit status, and what a program can
 * branch on), and is recognised by a brand rather than `instanceof`, which fails when a program loads two copies of
 * the package (a cdk8s app and a plugin each with their own `node_modules`, say).
 */

const BRAND = Symbol.for('flux-fleet.FluxFleetError');

/**
 * The stable codes of flux-fleet's errors. Each names a kind of failure, not a message: messages may be reworded,
 * codes do not change. The command line's exit status follows from the code alone.
 */
export const ERROR_CODES = {
  /** The command line was wrong: an unknown option, a missing argument, a folder that does not exist. */
  usage: 'usage',
  /** A fleet or Flux object failed synth's checks; the message lists every mistake. */
  synth: 'synth',
  /** A value given to a construct or function is not valid; the message names it and the fix. */
  validation: 'validation',
  /** An output folder or path the writer refuses, or a tree it cannot write. */
  configTree: 'config-tree',
  /** A tree on disk (or at a git ref) that cannot be read for review. */
  treeSnapshot: 'tree-snapshot',
  /** A release manifest (`release.json`) that cannot be read or does not match its tree. */
  releaseManifest: 'release-manifest',
  /** A tree or fleet that cannot be delivered as it is; the message says what to change. */
  delivery: 'delivery',
  /** A release step refused before it moved anything (promotion, rollback, a push onto a candidate). */
  refused: 'refused',
  /** A registry answered with an error, or could not be reached. */
  registry: 'registry',
  /** Registry credentials that cannot be read. */
  credentials: 'credentials',
  /** An artifact reference, tag or digest that is not well formed. */
  reference: 'reference',
  /** A signature that cannot be made or does not verify, or a key that cannot be read. */
  signing: 'signing',
  /** A semver range that cannot be parsed. */
  semver: 'semver',
  /** An archive that cannot be written or read within its limits. */
  archive: 'archive',
  /** A YAML text over the reader's limits. */
  yamlLimit: 'yaml-limit',
  /** A forge (GitHub, GitLab) answered with an error, kept rate-limiting or failing past the deadline, or could not be reached. */
  forge: 'forge',
  /** A file or folder that cannot be read or written: it does not exist, access is denied, the disk is full. */
  fileAccess: 'file-access',
  /** An environment, wave or cluster named that the release or tree does not have; the message lists those it has. */
  selection: 'selection',
} as const;

/** One of {@link ERROR_CODES}. */
export type FluxFleetErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Options of a {@link FluxFleetError}. */
export interface FluxFleetErrorOptions {
  /**
   * The error that led to this one.
   * @default - none
   */
  readonly cause?: unknown;
}

/**
 * The base of every error flux-fleet throws on purpose. Its message is meant for a person: what was wrong, the value
 * received and the fix.
 */
// The one class that extends Error itself (see the no-restricted-syntax rule of .projenrc.ts).
export class FluxFleetError extends Error {
  /** Whether `x` is a flux-fleet error, from this copy of the package or any other. */
  public static isFluxFleetError(x: unknown): x is FluxFleetError {
    return x !== null && typeof x === 'object' && (x as Record<symbol, unknown>)[BRAND] === true;
  }

  /** What kind of failure this is: stable across releases, unlike the message. */
  declare public readonly code: FluxFleetErrorCode;

  // Not ErrorOptions: that type is missing from the older `lib` settings of consumers' projects (cdk8s' es2016).
  public constructor(code: FluxFleetErrorCode, message: string, options?: FluxFleetErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Not enumerable: printing the error shows its message, not these fields.
    Object.defineProperty(this, 'code', { value: code, enumerable: false });
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/**
 * A value that breaks a rule, found outside synth's collected report (a function given a bad argument, say). The
 * message names the value and the fix; `scope` names where it happened (a construct path, a file, a field) when known.
 */
export class ValidationError extends FluxFleetError {
  /** Where the bad value was found: a construct path, a file or a field. @default - not known */
  public readonly scope?: string;

  public constructor(message: string, scope?: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.validation, scope ? `${scope}: ${message}` : message, options);
    this.scope = scope;
  }
}

/**
 * A file or folder that the operating system would not let flux-fleet read or write (a missing file, a folder without
 * permission, a full disk), with the system's message; the command line wraps such failures in one.
 */
export class FileAccessError extends FluxFleetError {
  /** The error of a failed file-system call (one Node.js reports with a `code` and a `syscall`) as a FileAccessError. */
  public static fromSystemError(e: unknown): FileAccessError | undefined {
    // Not instanceof Error: an error made in another realm (a vm context, as jest runs code in) is one too.
    if (typeof e !== 'object' || e === null) return undefined;
    const { code, syscall, message } = e as Partial<NodeJS.ErrnoException>;
    if (typeof code !== 'string' || typeof syscall !== 'string' || typeof message !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
    return new FileAccessError(message, code, { cause: e });
  }

  /** The system's error code, e.g. `ENOENT` or `EACCES`. */
  public readonly systemCode: string;

  public constructor(message: string, systemCode: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.fileAccess, message, options);
    this.systemCode = systemCode;
  }
}

/**
 * An environment, wave or cluster named (on the command line, or to a function) that the release or tree does not
 * have; the message lists those it has. Nothing was read from a registry or moved.
 */
export class SelectionError extends FluxFleetError {
  public constructor(message: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.selection, message, options);
  }
}
