import { writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ApiObject, App, AppProps, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { addFleetPicture } from './fleet-picture.js';
import type { LockRequest } from '../../fleet/fleet-lock.js';
import { Fleet } from '../../fleet/fleet.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';
import { ClusterScope } from '../../flux/core/object-index.js';
import { chartRenderer, RenderSession } from '../../flux/core/render-session.js';
import { allowedLiteralValues, findObjectSecrets, literalSecretMessage } from '../../flux/core/secrets.js';
import { sanitizeForTerminal } from '../../flux/core/terminal-text.js';
import { artifactFolder, buildReleaseManifest, RELEASE_MANIFEST_FILE, renderReleaseManifest } from '../../output/release-manifest.js';
import { ConfigTree } from '../../output/writer/config-tree.js';
import { writeTree, WriteTreeResult, type ForeignFiles } from '../../output/writer/write-tree.js';

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
}

export class FluxApp extends App {
  private readonly foreignFiles?: ForeignFiles;

  public constructor(props: FluxAppProps = {}) {
    super(props);
    this.foreignFiles = props.foreignFiles;
  }

  /** Builds every fleet, then checks every construct and throws one error listing every problem found. */
  public validate(): void {
    for (const fleet of this.fleets()) fleet.build();
    this.check(this.node.findAll());
  }

  public synth(): void {
    const fleets = this.fleets();
    for (const fleet of fleets) fleet.build();
    const requests = process.env[LOCK_REQUESTS_ENV];
    if (requests !== undefined && requests !== '') {
      // `flux-fleet lock` runs the program to learn what production needs from the lock: nothing is checked or written.
      writeLockRequests(fleets, requests);
      return;
    }
    // Every object is built: each is now rendered once, and what is validated is what is written.
    RenderSession.run(() => {
      const all = this.node.findAll();
      this.check(all);
      if (fleets.length === 0) {
        super.synth();
        return;
      }
      try {
        this.writeFleets(fleets, all);
      } catch (e) {
        // A refusal to write (a foreign file in the output folder, another synth holding its lock) is said as plainly
        // as a synth report: its message alone, with no stack trace under it, when nothing catches it.
        if (FluxFleetError.isFluxFleetError(e) && !SynthError.isSynthError(e)) throw reportIfUncaught(e);
        throw e;
      }
    });
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

  private writeFleets(fleets: Fleet<any>[], all: readonly IConstruct[]): WriteTreeResult {
    const tree = new ConfigTree();
    const inFleets = new Set<Chart>();
    const releases: string[] = [];
    const render = chartRenderer(all);
    for (const fleet of fleets) {
      const prefix = fleets.length > 1 ? `${fleet.node.id}/` : '';
      for (const file of fleet.files()) {
        tree.addObjects(`${prefix}${file.path}`, render(file.chart));
        inFleets.add(file.chart);
      }
      // The folders synth packed, byte for byte, so that the output tree alone suffices to push them.
      const release = fleet.release();
      for (const { artifact } of release.artifacts) {
        for (const f of artifact.files) tree.addBytes(`${prefix}${artifactFolder(artifact.name)}/${f.path}`, f.content);
      }
      // The release manifest: the contract with delivery (what to push where, which tags a push moves).
      tree.addFile(`${prefix}${RELEASE_MANIFEST_FILE}`, renderReleaseManifest(buildReleaseManifest(fleet)));
      releases.push(`${prefix}${RELEASE_MANIFEST_FILE}`);
      // The picture for reviewers: FLEET.md and fleet.html in the fleet's root folder.
      addFleetPicture(tree, prefix, fleet);
    }
    const strays = all.filter((c): c is Chart => Chart.isChart(c) && !inFleets.has(c));
    if (strays.length > 0) {
      throw reportIfUncaught(new SynthError(strays.map((c) => ({
        path: c.node.path,
        message: 'this chart is outside the fleet, and an app that holds a fleet writes only the fleet\'s tree; move its objects into a fleet component, or synthesize it from another app',
      }))));
    }
    // The marker records each release.json's digest: delivery reads only the one synth wrote.
    return writeTree(tree, this.outdir, { kustomizationsUnder: fleets.length > 1 ? undefined : 'clusters', foreignFiles: this.foreignFiles, recordDigests: releases });
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

/** A validation error of one construct. */
export interface ValidationMessage {
  /** The construct's path, e.g. `app/chart/podinfo`. */
  readonly path: string;
  /** What is wrong, the value received and the fix. */
  readonly message: string;
  /**
   * The cluster whose objects the construct belongs to (its nearest {@link ClusterScope}, e.g. a fleet's cluster).
   * @default - none: the construct is outside every cluster
   */
  readonly cluster?: string;
  /**
   * The construct's path with the cluster as `<cluster>` (`acme/<cluster>/podinfo/podinfo`): the same mistake made on
   * every cluster (one component, built per cluster) has the same `where` and is reported once.
   * @default - the path
   */
  readonly where?: string;
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

function validationErrorsOf(constructs: readonly IConstruct[]): ValidationMessage[] {
  const errors: ValidationMessage[] = [];
  for (const c of constructs) {
    const messages = c.node.validate();
    const scopes = c.node.scopes;
    const cluster = [...scopes].reverse().find((s) => ClusterScope.isClusterScope(s));
    const where = cluster ? wherePath(c, cluster) : c.node.path;
    const add = (message: string) => errors.push(cluster
      ? { path: c.node.path, message, cluster: cluster.node.id, where }
      : { path: c.node.path, message });
    for (const message of messages) add(message);
    // ConfigMaps are written as they are: a literal credential in one is caught here.
    if (ApiObject.isApiObject(c) && c.kind === 'ConfigMap' && c.apiVersion === 'v1') {
      for (const found of findObjectSecrets(c.toJson(), allowedLiteralValues(c))) {
        add(literalSecretMessage(found, 'keep it in a Secret on the cluster instead'));
      }
    }
  }
  return errors;
}

/**
 * The path of `c` with its cluster as `<cluster>`: `<fleet>/<cluster>/<path in the cluster>` for a fleet's cluster
 * (whatever its environment), `<parent>/<cluster>/<path in the cluster>` for another ClusterScope.
 */
function wherePath(c: IConstruct, cluster: IConstruct): string {
  const fleet = [...cluster.node.scopes].reverse().find((s) => Fleet.isFleet(s));
  const base = (fleet ?? cluster.node.scope)?.node.path ?? '';
  const inside = c.node.path.slice(cluster.node.path.length).replace(/^\//, '');
  return [base, '<cluster>', inside].filter((x) => x !== '').join('/');
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
