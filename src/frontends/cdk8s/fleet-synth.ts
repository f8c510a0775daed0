import { Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { FleetDeclaration } from './fleet-declaration.js';
import { addFleetPicture } from './fleet-picture.js';
import { SynthCache, type FleetRecorder, type PreviousFleet } from './synth-cache.js';
import { validationErrorsOf, type ValidationMessage } from './validation-messages.js';
import type { Cluster } from '../../fleet/cluster.js';
import type { Fleet } from '../../fleet/fleet.js';
import { recordProgramCalls, type ProgramCall } from '../../fleet/program-calls.js';
import type { Shard } from '../../fleet/shard.js';
import { chartRenderer, RenderSession } from '../../flux/core/render-session.js';
import { artifactFolder, buildReleaseManifest, RELEASE_MANIFEST_FILE, renderReleaseManifest } from '../../output/release-manifest.js';
import { clusterNamesDigest, SHARD_MANIFEST_FILE, type ShardFleet, type ShardManifest } from '../../output/shard.js';
import { ConfigTree } from '../../output/writer/config-tree.js';
import { renderTree, type RenderTreeOptions } from '../../output/writer/render.js';
import { contentDigest, TreeWriter, type ForeignFiles, type WriteTreeResult } from '../../output/writer/tree-writer.js';

/** Options of {@link synthFleets}. */
export interface FleetSynthOptions {
  /** The output folder. */
  readonly outdir: string;
  /** What to do with files in the output folder that synth did not write. @default "refuse" */
  readonly foreignFiles?: ForeignFiles;
  /** Whether to keep, beside the output folder, what the next synth needs to skip the clusters that did not change. @default true */
  readonly cache?: boolean;
  /**
   * Synthesize this shard of each fleet's clusters only, and write, instead of release.json, the shard's manifest
   * (`flux-fleet-shard.json`) that `flux-fleet merge` reads.
   * @default - every cluster
   */
  readonly shard?: Shard;
}

/** What {@link synthFleets} found: the problems of the constructs, and charts outside every fleet. */
export interface FleetSynthProblems {
  /** Every validation error, in construct tree order. */
  readonly errors: readonly ValidationMessage[];
  /** Charts that no fleet writes. */
  readonly strays: readonly Chart[];
}

/** Where a fleet's clusters go and what the cache knows of them. */
interface FleetOutput {
  readonly writer: TreeWriter;
  readonly prefix: string;
  readonly render: RenderTreeOptions;
  readonly previous?: PreviousFleet;
  readonly recorder?: FleetRecorder;
}

/**
 * Synthesizes the fleets of an app into one output folder, one cluster at a time: each cluster's objects are built,
 * validated, rendered and handed to the writer (which compares them with the previous output at once), then taken
 * out of the construct tree, so that memory holds one cluster's objects and what the fleet-wide files need, however
 * large the fleet. A cluster the program built itself (with `fleet.build()`) keeps its objects.
 *
 * With the cache (see {@link SynthCache}), a cluster whose inputs did not change since the previous synth into the
 * same folder, and whose files there are still as written, is not built at all.
 *
 * Every problem of every construct is gathered; when there is one (or a chart outside the fleets), nothing is written
 * and they are returned. Otherwise the tree is committed: the release manifest, the packed folders and the picture
 * beside the clusters' folders.
 */
export function synthFleets(app: IConstruct, fleets: readonly Fleet<any>[], options: FleetSynthOptions): FleetSynthProblems | WriteTreeResult {
  // Opened first, so that a refused output folder costs no writing: the clusters are then only checked, as after a
  // mistake, and the program's own mistakes reported before the refusal (they are what the run must fix, wherever
  // it writes). The marker records each release.json's digest: delivery reads only the one synth wrote (a shard
  // writes none: the merge does).
  const releases = options.shard ? [] : fleets.map((fleet) => `${fleets.length > 1 ? `${fleet.node.id}/` : ''}${RELEASE_MANIFEST_FILE}`);
  let writer: TreeWriter | undefined;
  let refusal: unknown;
  try {
    writer = TreeWriter.open(options.outdir, { foreignFiles: options.foreignFiles, recordDigests: releases });
  } catch (e) {
    refusal = e;
  }
  try {
    const cache = options.cache === false || !writer ? undefined : SynthCache.beside(writer.outdir);
    return RenderSession.run(() => {
      const render: RenderTreeOptions = { kustomizationsUnder: fleets.length > 1 ? undefined : 'clusters' };
      const clusterErrors = new Map<IConstruct, ValidationMessage[]>();
      let failed = !writer;
      for (const fleet of fleets) {
        fleet._seal();
        // A fleet the program built itself, or one whose declaration the cache cannot see through, is built whole.
        const declaration = cache && !fleet.clusters.some((c) => fleet._isBuilt(c)) ? FleetDeclaration.read(fleet) : undefined;
        const cached = declaration && !declaration.problem ? cache!.fleet(fleet.node.path, declaration) : undefined;
        const output: FleetOutput | undefined = writer && { writer, prefix: fleets.length > 1 ? `${fleet.node.id}/` : '', render, ...cached };
        const names = new Set<string>();
        const each = () => {
          for (const cluster of fleet.clusters) {
            // Another shard's cluster is built by that shard; its own checks (name, variables...) run in every shard.
            if (options.shard && !options.shard.includes(cluster.name)) continue;
            // A name declared twice fails the fleet's own check: its folder is not written twice meanwhile.
            if (names.has(cluster.name)) failed = true;
            names.add(cluster.name);
            const errors = failed || !output ? synthCluster(fleet, cluster, undefined) : synthOrKeep(fleet, cluster, output);
            clusterErrors.set(cluster, errors);
            if (errors.length > 0) failed = true;
          }
        };
        if (cached) declaration!.withCallsNoted(each);
        else each();
      }
      const errors = treeErrors(app, clusterErrors);
      if (errors.length > 0) return { errors, strays: [] };
      const written = new Set(fleets.flatMap((fleet) => fleet.clusters.flatMap((c) => fleet._filesOf(c).map((f) => f.chart))));
      const strays = app.node.findAll().filter((c): c is Chart => Chart.isChart(c) && !written.has(c));
      if (strays.length > 0) return { errors: [], strays };
      if (!writer) throw refusal;
      const shardFleets: ShardFleet[] = [];
      for (const fleet of fleets) {
        const prefix = fleets.length > 1 ? `${fleet.node.id}/` : '';
        const clusters = options.shard ? fleet.clusters.filter((c) => options.shard!.includes(c.name)) : fleet.clusters;
        const tree = new ConfigTree();
        // The folders synth packed, byte for byte, so that the output tree alone suffices to push them.
        for (const { artifact } of fleet._release(clusters).artifacts) {
          for (const f of artifact.files) tree.addBytes(`${prefix}${artifactFolder(artifact.name)}/${f.path}`, f.content);
        }
        // The release manifest: the contract with delivery (what to push where, which tags a push moves); a shard's
        // goes into its manifest, for the merge.
        const release = buildReleaseManifest(fleet, clusters);
        if (options.shard) {
          const names = clusterNamesDigest(fleet.clusters.map((c) => c.name));
          shardFleets.push({ folder: prefix, clusters: fleet.clusters.length, names, release });
        } else {
          tree.addFile(`${prefix}${RELEASE_MANIFEST_FILE}`, renderReleaseManifest(release));
        }
        // The picture for reviewers: FLEET.md and fleet.html in the fleet's root folder.
        addFleetPicture(tree, prefix, fleet);
        for (const file of renderTree(tree, render)) writer.add(file.path, file.content);
      }
      if (options.shard) {
        const manifest: ShardManifest = { format: 1, shard: options.shard.toString(), fleets: shardFleets };
        writer.add(SHARD_MANIFEST_FILE, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
      }
      return writer.commit(() => cache?.save());
    });
  } finally {
    writer?.abort();
  }
}

/** Whether {@link synthFleets} found problems rather than writing. */
export function isFleetSynthProblems(x: FleetSynthProblems | WriteTreeResult): x is FleetSynthProblems {
  return 'errors' in x;
}

/**
 * Takes a cluster as the previous synth wrote it when nothing it was built from changed and its files are as written;
 * else synthesizes it, recording what the next synth needs. Returns its validation errors.
 */
function synthOrKeep(fleet: Fleet<any>, cluster: Cluster<any>, output: FleetOutput): ValidationMessage[] {
  const folder = `${output.prefix}clusters/${cluster.name}/`;
  const unchanged = output.previous?.unchanged(cluster.name);
  if (unchanged && output.writer.keepIfSame(unchanged.files.map(([name, digest]) => [folder + name, digest] as const))) {
    fleet._restoreCluster(cluster, unchanged.pulls as never[]);
    output.recorder!.kept(cluster.name, output.previous!);
    // The cluster's own checks (its name, wave, variables); it has no objects.
    return validationErrorsOf([cluster]);
  }
  const calls: ProgramCall[] = [];
  const files: Array<readonly [string, string]> = [];
  const errors = recordProgramCalls(calls, () => synthCluster(fleet, cluster, output, (file, content, digest) => {
    if (file.startsWith(folder)) files.push([file.slice(folder.length), digest ?? contentDigest(content)]);
  }));
  if (errors.length === 0 && output.recorder && files.length > 0) {
    const pulls = fleet._pullsOf(cluster).map(({ cluster: _, ...pull }) => pull);
    output.recorder.built(cluster.name, calls, files, pulls);
  }
  return errors;
}

/**
 * Builds one cluster (unless the program did), validates its constructs, hands its files to the writer when given
 * an output, and takes its objects out of the tree again. Returns its validation errors.
 */
function synthCluster(fleet: Fleet<any>, cluster: Cluster<any>, output: FleetOutput | undefined,
  written?: (file: string, content: Buffer, digest: string | undefined) => void): ValidationMessage[] {
  const builtBefore = fleet._isBuilt(cluster);
  fleet._buildCluster(cluster);
  // The cluster's renderings are its own: forgotten with its objects.
  return RenderSession.runApart(() => checkAndWrite(fleet, cluster, output, written, builtBefore));
}

function checkAndWrite(fleet: Fleet<any>, cluster: Cluster<any>, output: FleetOutput | undefined,
  written: ((file: string, content: Buffer, digest: string | undefined) => void) | undefined, builtBefore: boolean): ValidationMessage[] {
  try {
    const constructs = cluster.node.findAll();
    const errors = validationErrorsOf(constructs);
    if (errors.length > 0 || !output) return errors;
    const render = chartRenderer(constructs);
    const tree = new ConfigTree();
    for (const file of fleet._filesOf(cluster)) tree.addObjects(`${output.prefix}${file.path}`, render(file.chart));
    for (const file of renderTree(tree, output.render)) {
      const digest = output.writer.add(file.path, file.content);
      written?.(file.path, file.content, digest);
    }
    return errors;
  } finally {
    if (!builtBefore) fleet._releaseCluster(cluster);
  }
}

/**
 * Every validation error of the app in construct tree order: each construct's own, except that a fleet cluster's
 * subtree, checked while it was built, gives the errors recorded then.
 */
function treeErrors(app: IConstruct, clusterErrors: ReadonlyMap<IConstruct, ValidationMessage[]>): ValidationMessage[] {
  const errors: ValidationMessage[] = [];
  const visit = (c: IConstruct): void => {
    const recorded = clusterErrors.get(c);
    if (recorded) {
      errors.push(...recorded);
      return;
    }
    errors.push(...validationErrorsOf([c]));
    for (const child of c.node.children) visit(child);
  };
  visit(app);
  return errors;
}
