import { writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { App, AppProps } from 'cdk8s';
import { IConstruct } from 'constructs';
import { isFleetSynthProblems, synthFleets } from './fleet-synth.js';
import { validationErrorsOf, type ValidationMessage } from './validation-messages.js';
import type { LockRequest } from '../../fleet/fleet-lock.js';
import { Fleet } from '../../fleet/fleet.js';
import { Shard } from '../../fleet/shard.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';
import { RenderSession } from '../../flux/core/render-session.js';
import { sanitizeForTerminal } from '../../flux/core/terminal-text.js';
import type { ForeignFiles } from '../../output/writer/tree-writer.js';

/**
 * A cdk8s App that checks the whole construct tree before it writes anything: every validation error of the synth
 * is reported together, naming each construct path, and a failed synth leaves the output folder untouched.
 *
 * A failed synth throws a {@link SynthError}: one line per mistake, with the clusters it affects grouped on it. When
 * nothing catches it (a `main.ts` run by `cdk8s synth`, tsx or node), the program prints that report alone, with no
 * stack trace, and exits with code 1.
 *
 * An app holding a {@link Fleet} writes the fleet's config-repo tree atomically: `clusters/<cluster>/...`, the folders
 * synth packed as artifacts (`artifacts/<name>/`, byte for byte) and the release manifest `release.json`. Files of
 * removed clusters or components disappear, and unchanged files are not rewritten. Synth replaces only the files it
 * wrote before: any other file in the output folder stops it, with the list of them (see `foreignFiles`). Any other
 * app writes one
 * `<chart>.k8s.yaml` per chart, as cdk8s does.
 */
/** Props of a {@link FluxApp}. */
export interface FluxAppProps extends AppProps {
  /**
   * What synth does with files in the output folder that it did not write (a `.sops.yaml`, notes, an extra YAML
   * under a cluster): `refuse` stops with an error listing them, `keep` carries them over, `remove` deletes them.
   * @default "refuse"
   */
  readonly foreignFiles?: ForeignFiles;
  /**
   * Keep, beside the output folder (`.<name>.flux-fleet-cache`, e.g. `.dist.flux-fleet-cache`), what the next synth
   * needs to skip the clusters whose inputs did not change: the code, the fleet's declaration and, per cluster, what
   * each function of the program returned for it (values, refs...) and what folders of artifacts held, all by
   * content. A skipped cluster's files are read and checked against the cache, so a cache never yields a stale file.
   * Add the file to `.gitignore`.
   * @default true
   */
  readonly synthCache?: boolean;
  /**
   * Synthesize one shard of the fleet's clusters (for the jobs of a CI matrix), and `flux-fleet merge` the shards'
   * output folders into the tree a synth of the whole fleet writes. A shard's folder holds its clusters, the packed
   * folders they use, the picture and `flux-fleet-shard.json` (its part of the release), and no release.json.
   * @default - the shard the environment variable `FLUX_FLEET_SHARD` names (e.g. `3/16`), else the whole fleet
   */
  readonly shard?: Shard;
}

export class FluxApp extends App {
  private readonly foreignFiles?: ForeignFiles;
  private readonly synthCache?: boolean;
  private readonly shard?: Shard;

  public constructor(props: FluxAppProps = {}) {
    super(props);
    this.foreignFiles = props.foreignFiles;
    this.synthCache = props.synthCache;
    this.shard = props.shard ?? Shard.fromEnvironment();
  }

  /** Builds every fleet, then checks every construct and throws one error listing every problem found. */
  public validate(): void {
    for (const fleet of this.fleets()) fleet.build();
    this.check(this.node.findAll());
  }

  public synth(): void {
    const fleets = this.fleets();
    const requests = process.env[LOCK_REQUESTS_ENV];
    if (requests !== undefined && requests !== '') {
      // `flux-fleet lock` runs the program to learn what production needs from the lock: nothing is checked or written.
      writeLockRequests(fleets, requests);
      return;
    }
    if (fleets.length === 0) {
      // Each object is rendered once: what is validated is what is written.
      RenderSession.run(() => {
        this.check(this.node.findAll());
        super.synth();
      });
      return;
    }
    let outcome: ReturnType<typeof synthFleets>;
    try {
      outcome = synthFleets(this, fleets, { outdir: this.outdir, foreignFiles: this.foreignFiles, cache: this.synthCache, shard: this.shard });
    } catch (e) {
      // A refusal to write (a foreign file in the output folder, another synth holding its lock) is said as plainly
      // as a synth report: its message alone, with no stack trace under it, when nothing catches it.
      if (FluxFleetError.isFluxFleetError(e) && !SynthError.isSynthError(e)) throw reportIfUncaught(e);
      throw e;
    }
    if (!isFleetSynthProblems(outcome)) return;
    if (outcome.errors.length > 0) throw reportIfUncaught(new SynthError(outcome.errors));
    throw reportIfUncaught(new SynthError(outcome.strays.map((c) => ({
      path: c.node.path,
      message: 'this chart is outside the fleet, and an app that holds a fleet writes only the fleet\'s tree; move its objects into a fleet component, or synthesize it from another app',
    }))));
  }

  public synthYaml(): string {
    this.validate();
    return super.synthYaml();
  }

  /** The fleets of the app. */
  public fleets(): Fleet<any>[] {
    return this.node.findAll().filter((c): c is Fleet<any> => Fleet.isFleet(c));
  }

  /** Throws one error listing every problem of the constructs. */
  private check(all: readonly IConstruct[]): void {
    const errors = validationErrorsOf(all);
    if (errors.length > 0) throw reportIfUncaught(new SynthError(errors));
  }
}

/**
 * The environment variable with which `flux-fleet lock` runs the fleet program: synth then writes, to the file it
 * names, what each fleet's production needs from its lock (see {@link LockRequestsFile}), and writes no tree.
 */
export const LOCK_REQUESTS_ENV = 'FLUX_FLEET_LOCK_REQUESTS';

/** What synth writes for `flux-fleet lock`: per fleet, its lock file and the upstream refs production needs from it. */
export interface LockRequestsFile {
  readonly fleets: ReadonlyArray<{ readonly fleet: string; readonly lockFile?: string; readonly requests: readonly LockRequest[] }>;
}

function writeLockRequests(fleets: readonly Fleet<any>[], file: string): void {
  const doc: LockRequestsFile = {
    fleets: fleets.map((f) => ({ fleet: f.node.path, ...(f.lock.file !== undefined ? { lockFile: f.lock.file } : {}), requests: f.lockRequests() })),
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** One line of a synth report: a mistake, and every cluster it was found on. */
export interface SynthReportLine {
  /** The construct path, with `<cluster>` for the cluster when the mistake is on a cluster's objects. */
  readonly where: string;
  /** What is wrong, the value received and the fix. */
  readonly message: string;
  /** The clusters the mistake affects, sorted; empty for a mistake outside every cluster. */
  readonly clusters: readonly string[];
}

/** Options of a {@link SynthError}. */
export interface SynthErrorOptions {
  /**
   * The first line of the report, given the number of mistakes, e.g. for a bootstrap that refuses an invalid fleet.
   * @default - "Synth failed with N errors; nothing was written:"
   */
  readonly heading?: (mistakes: number) => string;
}

const SYNTH_ERROR = Symbol.for('flux-fleet.SynthError');

/**
 * The error a failed synth throws: every problem found, each with its construct path. Its message is the report a
 * person reads: one line per mistake, naming the clusters it affects (the same mistake on five clusters is one line),
 * and it carries no stack trace (the mistakes are in the program's constructs, not where synth noticed them).
 */
export class SynthError extends FluxFleetError {
  /** Whether `x` is a SynthError (of any copy of flux-fleet). */
  public static isSynthError(x: unknown): x is SynthError {
    return x !== null && typeof x === 'object' && SYNTH_ERROR in x;
  }

  /** Every problem found, one per construct and cluster. */
  declare public readonly errors: readonly ValidationMessage[];
  /** The report: each mistake once, with the clusters it affects. */
  declare public readonly lines: readonly SynthReportLine[];

  public constructor(errors: readonly ValidationMessage[], options: SynthErrorOptions = {}) {
    const lines = groupByMistake(errors);
    const heading = options.heading?.(lines.length) ?? `Synth failed with ${lines.length} error${lines.length === 1 ? '' : 's'}; nothing was written:`;
    super(ERROR_CODES.synth, `${heading}\n${lines.map(formatLine).join('\n')}`);
    // Not enumerable: printing the error shows the report, not a dump of these fields.
    Object.defineProperty(this, 'errors', { value: errors, enumerable: false });
    Object.defineProperty(this, 'lines', { value: lines, enumerable: false });
    Object.defineProperty(this, SYNTH_ERROR, { value: true });
    // The frames would point into flux-fleet's own files; the report names the constructs instead.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** Runs every construct's validations under `root`, in tree order. */
export function collectValidationErrors(root: IConstruct): ValidationMessage[] {
  return validationErrorsOf(root.node.findAll());
}

/**
 * Formats a synth failure for a person: the report of a {@link SynthError}, or an error's message (with its stack when
 * `debug` is set).
 */
export function formatSynthFailure(error: unknown, debug = false): string {
  if (SynthError.isSynthError(error)) return sanitizeForTerminal(error.message);
  if (error instanceof Error) return sanitizeForTerminal(debug ? String(error.stack ?? error.message) : `${error.name}: ${error.message}`);
  return sanitizeForTerminal(String(error));
}

/** One line per distinct mistake (`where` and message), in the order first found, with its clusters. */
function groupByMistake(errors: readonly ValidationMessage[]): SynthReportLine[] {
  const lines = new Map<string, { where: string; message: string; clusters: Set<string> }>();
  for (const e of errors) {
    const where = e.where ?? e.path;
    const key = `${where}\u0000${e.message}`;
    let line = lines.get(key);
    if (!line) lines.set(key, line = { where, message: e.message, clusters: new Set() });
    if (e.cluster !== undefined) line.clusters.add(e.cluster);
  }
  return [...lines.values()].map((l) => ({ where: l.where, message: l.message, clusters: [...l.clusters].sort() }));
}

function formatLine(line: SynthReportLine): string {
  const on = line.clusters.length === 0 ? '' : ` (on cluster${line.clusters.length === 1 ? '' : 's'} ${line.clusters.join(', ')})`;
  return `  [${line.where}] ${line.message}${on}`;
}

/**
 * Lets a SynthError (or another refusal of synth) that nothing catches end the program with its message alone: until
 * the event loop turns, an uncaught exception listener prints the message to stderr and exits with code 1 (instead of
 * Node's dump of the error, its source line and its stack). Any other uncaught error then gets Node's usual treatment:
 * printed, exit code 1.
 */
function reportIfUncaught<E extends FluxFleetError>(error: E): E {
  const listener = (e: unknown): void => {
    if (e === error) {
      process.stderr.write(`${sanitizeForTerminal(error.message)}\n`);
      process.exit(1);
    }
    // `once` removed this listener: with no other, Node would have printed the error and exited.
    if (process.listenerCount('uncaughtException') === 0) {
      process.stderr.write(`Uncaught ${inspect(e)}\n`);
      process.exit(1);
    }
  };
  process.once('uncaughtException', listener);
  setImmediate(() => process.off('uncaughtException', listener)).unref();
  return error;
}
