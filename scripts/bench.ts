/**
 * Synth benchmark: fleets of clusters × 30 components, built through the public API and synthesized with FluxApp,
 * beside two baselines measured in the same run on the same objects:
 *
 * - yaml: the rendered objects, taken once, serialized with the `yaml` package (default options) straight to one file
 *   per chart in a fresh folder; only the serialization and the writes are timed;
 * - cdk8s: the same objects as plain cdk8s ApiObjects, one Chart per file, in a plain cdk8s App; the construction of
 *   the App and `App.synth()` are timed.
 *
 * Each measurement runs in its own child process, so that its peak memory (maxRSS) is its own. flux-fleet's time is
 * `FluxApp.synth()`: building the fleet's Flux objects, validating every construct and writing the tree (the
 * declaration of the fleet before it, e.g. `addCluster()`, is shown apart). Then, into the same folder: a re-synth of
 * the unchanged fleet (its time, and the files it rewrote, by modification time and inode), and a synth after one
 * component's values changed for the clusters of one region (the files it rewrote must be exactly those clusters'
 * files of that component).
 *
 * Usage: tsx scripts/bench.ts [options]
 *   --sizes=10,100,1000     cluster counts (default 10,100,1000; the targets are at 1000 and 10000)
 *   --runs=N                runs of the flux-fleet and yaml measurements, taking turns; the median is shown (default 3)
 *   --skip-cdk8s            do not measure the plain cdk8s baseline
 *   --cdk8s-timeout=S       stop the plain cdk8s baseline after S seconds and report it as "> S" (default 120)
 *   --timeout=S             stop any other measurement after S seconds (default 3600)
 *   --profile               also profile one synth at the largest size (node --cpu-prof) and print where its time went
 *   --keep                  keep the temporary folder (its path is printed)
 *   --source                measure the TypeScript sources through tsx, rather than flux-fleet compiled by tsc as a
 *                           program using the package runs it (the default: the script compiles itself and the
 *                           sources into a temporary folder first)
 *
 * The checks are printed as PASS/FAIL/SKIP lines: the targets (synth within 1.2x of the yaml baseline at 1,000 and
 * 10,000 clusters, time growing no worse than linearly, at 10,000 clusters peak memory at most 1.5 GiB and 1.2x the
 * yaml baseline's, an unchanged re-synth at most 25% of a synth), measured only at those sizes, and at every size
 * that a re-synth rewrites nothing and a change rewrites exactly the files it changes. The exit code is 1 when one
 * fails. The machine's load average (1 minute) is shown beside each figure: timings depend on it and on the file
 * system, where file creation dominates at scale.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { buildFleetApp, REGIONS, type BenchChange } from './bench-fleet.js';
import { runCompiled } from './compiled.js';
import { formatCpuProfile, summarizeCpuProfile } from './cpu-profile.js';
import type { Fleet } from '../src/index.js';

const SCRIPT = fileURLToPath(import.meta.url);
const RESULT_PREFIX = 'BENCH-RESULT ';
const GIB = 1024 ** 3;
/** The change measured after the re-synth: a chart's values on one region's clusters. */
const CHANGE: BenchChange = { component: 'chart-3', region: REGIONS[1] };
/** The render child holds every object of the fleet at once, as the baselines need them: it gets a larger heap. */
const RENDER_HEAP_MIB = 16384;

/** One chart file of the rendered tree: its path and its objects, as synth renders them. */
interface RenderedChart {
  readonly path: string;
  readonly objects: Record<string, unknown>[];
}

/** What a child process reports. */
interface ChildResult {
  /** Wall time of the measured part, in milliseconds. */
  readonly ms: number;
  /** CPU time (user and system) of the measured part, in milliseconds: less sensitive than `ms` to a busy machine. */
  readonly cpuMs?: number;
  /** Peak resident memory of the child process, in bytes. */
  readonly maxRss: number;
  /** The machine's 1-minute load average when the measurement started. */
  readonly load?: number;
  /** Wall time of the fleet's declaration, untimed in `ms` (flux-fleet runs only). */
  readonly declareMs?: number;
  readonly objects?: number;
  readonly files?: number;
  /** Files of the previous output rewritten (or added, or removed) by a re-synth. */
  readonly rewritten?: number;
  /** For a change: whether the files rewritten are exactly those of the changed component on the region's clusters. */
  readonly exact?: boolean;
  /** For a change: the files expected to change. */
  readonly expected?: number;
}

/** A measurement that did not finish. */
interface Failed {
  readonly failed: string;
}

type Outcome = ChildResult | Failed;

// ---------------------------------------------------------------------------------------------------------------
// The fleet
// ---------------------------------------------------------------------------------------------------------------

/** The rendered objects of every chart file, as synth renders them (objects in construct order; no dependencies). */
function renderedCharts(fleet: Fleet<any>): RenderedChart[] {
  return fleet.files().map((file) => ({
    path: file.path,
    objects: file.chart.node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === file.chart)
      .map((o) => o.toJson()),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: one measurement each
// ---------------------------------------------------------------------------------------------------------------

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Every file below `root` with its modification time and inode, the writer's marker file included. */
function fileStamps(root: string): Map<string, string> {
  const stamps = new Map<string, string>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stat = fs.statSync(file, { bigint: true });
    stamps.set(path.relative(root, file), `${stat.mtimeNs}:${stat.ino}`);
  }
  return stamps;
}

/** The files whose stamp differs, or that appeared or disappeared. */
function rewrittenFiles(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const rewritten: string[] = [];
  for (const [file, stamp] of after) if (before.get(file) !== stamp) rewritten.push(file);
  for (const file of before.keys()) if (!after.has(file)) rewritten.push(file);
  return rewritten.sort();
}

/** Objects and files of a written tree (generated kustomization.yaml files, and files other than YAML, count as files). */
function countTree(root: string): { objects: number; files: number } {
  let objects = 0;
  let files = 0;
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    files++;
    if (entry.name === 'kustomization.yaml' || !entry.name.endsWith('.yaml')) continue;
    const text = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    objects += 1 + (text.match(/^---$/gm)?.length ?? 0);
  }
  return { objects, files };
}

/** CPU time (user and system) since `start`, in milliseconds. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function childSynth(clusters: number, outdir: string): ChildResult {
  const t0 = performance.now();
  const { app } = buildFleetApp(clusters, outdir);
  const t1 = performance.now();
  const cpu = process.cpuUsage();
  app.synth();
  const t2 = performance.now();
  return { ms: t2 - t1, cpuMs: cpuSince(cpu), declareMs: t1 - t0, maxRss: peakRss(), ...countTree(outdir) };
}

function childResynth(clusters: number, outdir: string, change?: BenchChange): ChildResult {
  const before = fileStamps(outdir);
  const t0 = performance.now();
  const { app, fleet } = buildFleetApp(clusters, outdir, change);
  const t1 = performance.now();
  const cpu = process.cpuUsage();
  app.synth();
  const t2 = performance.now();
  const cpuMs = cpuSince(cpu);
  const maxRss = peakRss();
  const after = fileStamps(outdir);
  const rewritten = rewrittenFiles(before, after);
  const result = { ms: t2 - t1, cpuMs, declareMs: t1 - t0, maxRss, rewritten: rewritten.length, files: after.size };
  if (!change) return result;
  // The changed component's file on each cluster of the region that gets it, and nothing else.
  const component = fleet.components.find((c) => c.name === change.component)!;
  const expected = fleet.clusters.filter((c) => c.region === change.region && component.appliesTo(c))
    .map((c) => `clusters/${c.name}/components/${component.name}/${component.name}.yaml`).sort();
  return { ...result, expected: expected.length, exact: expected.length > 0 && JSON.stringify(expected) === JSON.stringify(rewritten) };
}

function childRender(clusters: number, objectsFile: string): ChildResult {
  const { app, fleet } = buildFleetApp(clusters, path.join(path.dirname(objectsFile), 'unused'));
  const t0 = performance.now();
  app.validate();
  const charts = renderedCharts(fleet);
  const t1 = performance.now();
  // One chart at a time (the whole array as one string may exceed the longest string V8 makes), flushed before the
  // measurements start, so that its write-back does not slow them down.
  const fd = fs.openSync(objectsFile, 'w');
  charts.forEach((chart, i) => fs.writeSync(fd, `${i === 0 ? '[' : ','}${JSON.stringify(chart)}\n`));
  fs.writeSync(fd, charts.length === 0 ? '[]' : ']');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return { ms: t1 - t0, maxRss: peakRss(), objects: charts.reduce((n, c) => n + c.objects.length, 0), files: charts.length };
}

function childYaml(objectsFile: string, outdir: string): ChildResult {
  const charts = JSON.parse(fs.readFileSync(objectsFile, 'utf8')) as RenderedChart[];
  const t0 = performance.now();
  const cpu = process.cpuUsage();
  fs.mkdirSync(outdir);
  const folders = new Set<string>();
  for (const chart of charts) {
    const file = path.join(outdir, chart.path);
    const folder = path.dirname(file);
    if (!folders.has(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    fs.writeFileSync(file, chart.objects.map((o) => stringify(o)).join('---\n'));
  }
  const t1 = performance.now();
  return { ms: t1 - t0, cpuMs: cpuSince(cpu), maxRss: peakRss() };
}

function childCdk8s(objectsFile: string, outdir: string): ChildResult {
  const charts = JSON.parse(fs.readFileSync(objectsFile, 'utf8')) as RenderedChart[];
  const t0 = performance.now();
  const app = new App({ outdir });
  for (const chart of charts) {
    const c = new Chart(app, chart.path.replace(/\.yaml$/, '').replace(/\//g, '-'));
    chart.objects.forEach((o, i) => new ApiObject(c, `o${i}`, o as any));
  }
  app.synth();
  const t1 = performance.now();
  return { ms: t1 - t0, maxRss: peakRss() };
}

function runChild(argv: Map<string, string>): void {
  const kind = argv.get('child')!;
  const clusters = Number(argv.get('clusters'));
  const target = argv.get('target')!;
  let result: ChildResult;
  switch (kind) {
    case 'synth': result = childSynth(clusters, target); break;
    case 'resynth': result = childResynth(clusters, target); break;
    case 'change': result = childResynth(clusters, target, CHANGE); break;
    case 'render': result = childRender(clusters, target); break;
    case 'yaml': result = childYaml(argv.get('objects')!, target); break;
    case 'cdk8s': result = childCdk8s(argv.get('objects')!, target); break;
    default:
      console.error(`unknown child ${kind}`);
      process.exit(2);
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// The parent: runs the children, prints the table and the checks
// ---------------------------------------------------------------------------------------------------------------

function spawnChild(args: string[], timeoutSeconds: number, nodeOptions: string[] = []): Outcome {
  const load = os.loadavg()[0];
  const child = spawnSync(process.execPath, [...nodeOptions, ...process.execArgv, SCRIPT, ...args], {
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.error && (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { failed: `> ${timeoutSeconds} s (stopped)` };
  const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (child.status !== 0 || !line) {
    process.stderr.write(child.stderr.slice(0, 4000));
    return { failed: `failed (exit ${child.status ?? child.signal})` };
  }
  return { ...JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult, load };
}

function ok(o: Outcome | undefined): o is ChildResult {
  return o !== undefined && !('failed' in o);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The runs of one measurement summed up: the median times, the largest peak memory; the first failure if any. */
function summary(results: readonly Outcome[]): Outcome | undefined {
  if (results.length === 0) return undefined;
  const failed = results.find((r) => !ok(r));
  if (failed) return failed;
  const done = results as ChildResult[];
  const medianOf = (f: (r: ChildResult) => number) => median(done.map(f));
  return { ...done[0], ms: medianOf((r) => r.ms), cpuMs: medianOf((r) => r.cpuMs ?? 0), maxRss: Math.max(...done.map((r) => r.maxRss)) };
}

const seconds = (o: Outcome | undefined): string => (o === undefined ? 'skipped' : ok(o) ? (o.ms / 1000).toFixed(2) : o.failed);
const cpuSeconds = (o: Outcome | undefined): string => (ok(o) && o.cpuMs !== undefined ? (o.cpuMs / 1000).toFixed(2) : '-');
const mib = (o: Outcome | undefined): string => (ok(o) ? String(Math.round(o.maxRss / 1024 ** 2)) : '-');
const loadOf = (o: Outcome | undefined): string => (ok(o) && o.load !== undefined ? o.load.toFixed(1) : '-');

interface Row {
  readonly clusters: number;
  readonly render: Outcome;
  readonly synth: Outcome;
  readonly synthRuns: readonly Outcome[];
  readonly yamlRuns: readonly Outcome[];
  readonly resynth?: Outcome;
  readonly change?: Outcome;
  readonly yaml?: Outcome;
  readonly cdk8s?: Outcome;
  readonly cdk8sTimeout: number;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `a / b`, or a bound when `b` was stopped at its timeout. */
function ratio(a: Outcome | undefined, b: Outcome | undefined, timeout?: number): { text: string; value?: number; lowerBound?: boolean } {
  if (!ok(a)) return { text: '-' };
  if (ok(b)) {
    const value = b.ms / a.ms;
    return { text: `${value.toFixed(2)}x`, value };
  }
  if (b && timeout !== undefined && b.failed.includes('stopped')) {
    const value = (timeout * 1000) / a.ms;
    return { text: `> ${value.toFixed(1)}x`, value, lowerBound: true };
  }
  return { text: '-' };
}

/** A check: its name, PASS (true), FAIL (false) or SKIP (undefined), and the figure behind it. */
type Check = [string, boolean | undefined, string];

function checks(rows: readonly Row[], skipCdk8s: boolean): Check[] {
  const out: Check[] = [];
  const at = (n: number) => rows.find((r) => r.clusters === n);
  const notMeasured = (n: number) => `not measured (add ${n} to --sizes)`;
  for (const n of [1000, 10000]) {
    const row = at(n);
    const name = `synth within 1.2x of the yaml baseline at ${n} clusters`;
    if (!row) out.push([name, undefined, notMeasured(n)]);
    else if (ok(row.synth) && ok(row.yaml)) out.push([name, row.synth.ms <= 1.2 * row.yaml.ms, `${(row.synth.ms / row.yaml.ms).toFixed(2)}x`]);
    else out.push([name, false, 'failed']);
  }
  for (const row of rows) {
    const tenth = at(row.clusters / 10);
    if (!tenth) continue;
    const g = ok(row.synth) && ok(tenth.synth) ? row.synth.ms / tenth.synth.ms : undefined;
    // Beside it, for reading a miss: the growth of synth's CPU time, and that of the yaml baseline on the same machine
    // (its file system's cost per file can itself grow with the tree).
    const growth = (a: Outcome | undefined, b: Outcome | undefined, of: (o: ChildResult) => number | undefined) => {
      const x = ok(a) ? of(a) : undefined;
      const y = ok(b) ? of(b) : undefined;
      return x !== undefined && y ? `${(x / y).toFixed(2)}x` : '-';
    };
    const beside = `cpu ${growth(row.synth, tenth.synth, (o) => o.cpuMs)}; the yaml baseline's ${growth(row.yaml, tenth.yaml, (o) => o.ms)}`;
    out.push([`synth time grows no worse than linearly from ${tenth.clusters} to ${row.clusters} clusters (at most 10x)`,
      g !== undefined && g <= 10, g === undefined ? 'failed' : `${g.toFixed(2)}x (${beside})`]);
  }
  const big = at(10000);
  const memory = 'synth peak memory at most 1.5 GiB at 10000 clusters';
  const memoryVsYaml = 'synth peak memory at most 1.2x the yaml baseline\'s at 10000 clusters';
  const resynth = 'unchanged re-synth at most 25% of a synth at 10000 clusters';
  if (!big) {
    for (const name of [memory, memoryVsYaml, resynth]) out.push([name, undefined, notMeasured(10000)]);
  } else {
    out.push([memory, ok(big.synth) ? big.synth.maxRss <= 1.5 * GIB : false, ok(big.synth) ? `${(big.synth.maxRss / GIB).toFixed(2)} GiB` : 'failed']);
    out.push([memoryVsYaml, ok(big.synth) && ok(big.yaml) ? big.synth.maxRss <= 1.2 * big.yaml.maxRss : false,
      ok(big.synth) && ok(big.yaml) ? `${mib(big.synth)} MiB against ${mib(big.yaml)} MiB (${(big.synth.maxRss / big.yaml.maxRss).toFixed(2)}x)` : 'failed']);
    out.push([resynth, ok(big.synth) && ok(big.resynth) ? big.resynth.ms <= 0.25 * big.synth.ms : false,
      ok(big.synth) && ok(big.resynth) ? `${seconds(big.resynth)} s, ${(100 * big.resynth.ms / big.synth.ms).toFixed(0)}% of ${seconds(big.synth)} s` : 'failed']);
  }
  for (const row of rows) {
    out.push([`re-synth of the unchanged ${row.clusters}-cluster fleet rewrites no file`,
      ok(row.resynth) ? row.resynth.rewritten === 0 : false, ok(row.resynth) ? `${row.resynth.rewritten} rewritten` : 'failed']);
    out.push([`a change of ${CHANGE.component}'s values in ${CHANGE.region} rewrites only those clusters' files (${row.clusters} clusters)`,
      ok(row.change) ? row.change.exact === true : false,
      ok(row.change) ? `${row.change.rewritten} rewritten, ${row.change.expected} expected` : 'failed']);
  }
  const largest = rows[rows.length - 1];
  const vsCdk8s = ratio(largest.synth, largest.cdk8s, largest.cdk8sTimeout);
  out.push([`synth at least 10x faster than plain cdk8s at ${largest.clusters} clusters`,
    vsCdk8s.value === undefined ? (skipCdk8s ? undefined : false) : vsCdk8s.value >= 10,
    vsCdk8s.value === undefined ? (skipCdk8s ? 'skipped' : 'not measured') : `${vsCdk8s.text}${vsCdk8s.lowerBound ? ' (cdk8s stopped at its timeout: a lower bound)' : ''}`]);
  return out;
}

/** Profiles one synth of `clusters` clusters and prints where its time went. */
function profile(clusters: number, dir: string, timeout: number): void {
  const profiles = path.join(dir, 'profile');
  fs.mkdirSync(profiles);
  const outcome = spawnChild(['--child=synth', `--clusters=${clusters}`, `--target=${path.join(dir, 'profiled')}`], timeout, ['--cpu-prof', `--cpu-prof-dir=${profiles}`]);
  console.log(`\nWhere the time of one synth of ${clusters} clusters went (node --cpu-prof; the child process's whole run, load average ${loadOf(outcome)}):`);
  const file = fs.readdirSync(profiles).find((f) => f.endsWith('.cpuprofile'));
  if (!ok(outcome) || !file) {
    console.log(`  not profiled: ${ok(outcome) ? 'no profile written' : outcome.failed}`);
    return;
  }
  console.log(formatCpuProfile(summarizeCpuProfile(path.join(profiles, file))));
}

function parent(argv: Map<string, string>): number {
  const sizes = (argv.get('sizes') ?? '10,100,1000').split(',').map(Number);
  const runs = Number(argv.get('runs') ?? 3);
  const timeout = Number(argv.get('timeout') ?? 3600);
  const cdk8sTimeout = Number(argv.get('cdk8s-timeout') ?? 120);
  const skipCdk8s = argv.has('skip-cdk8s');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-fleet-bench-'));
  console.log(`flux-fleet synth benchmark: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${SCRIPT.endsWith('.js') ? 'flux-fleet compiled by tsc' : 'the TypeScript sources, through tsx'}`);
  console.log(`work folder: ${tmp}\n`);

  const rows: Row[] = [];
  try {
    for (const clusters of sizes) {
      const dir = path.join(tmp, `n${clusters}`);
      fs.mkdirSync(dir);
      const objects = path.join(dir, 'objects.json');
      const log = (what: string, o: Outcome | undefined) => console.log(`  ${clusters} clusters, ${what}: ${seconds(o)} s (load ${loadOf(o)})`);
      const render = spawnChild(['--child=render', `--clusters=${clusters}`, `--target=${objects}`], timeout, [`--max-old-space-size=${RENDER_HEAP_MIB}`]);
      log('render the objects for the baselines (untimed)', render);
      // flux-fleet and the yaml baseline take turns, each going first every other run, so that both meet the same
      // load of the machine.
      const synthRuns: Outcome[] = [];
      const yamlRuns: Outcome[] = [];
      const runSynth = (i: number) => {
        if (synthRuns.some((r) => !ok(r))) return;
        synthRuns.push(spawnChild(['--child=synth', `--clusters=${clusters}`, `--target=${path.join(dir, `synth-${i}`)}`], timeout));
        log(`flux-fleet synth, run ${i + 1}`, synthRuns[synthRuns.length - 1]);
      };
      const runYaml = (i: number) => {
        if (!ok(render) || yamlRuns.some((r) => !ok(r))) return;
        yamlRuns.push(spawnChild(['--child=yaml', `--objects=${objects}`, `--target=${path.join(dir, `yaml-${i}`)}`], timeout));
        log(`yaml baseline, run ${i + 1}`, yamlRuns[yamlRuns.length - 1]);
      };
      for (let i = 0; i < runs; i++) {
        if (i % 2 === 0) {
          runSynth(i);
          runYaml(i);
        } else {
          runYaml(i);
          runSynth(i);
        }
      }
      const synth = summary(synthRuns)!;
      const yaml = summary(yamlRuns);
      const first = path.join(dir, 'synth-0');
      const resynth = ok(synth) ? spawnChild(['--child=resynth', `--clusters=${clusters}`, `--target=${first}`], timeout) : undefined;
      log('flux-fleet re-synth, unchanged', resynth);
      const change = ok(resynth) ? spawnChild(['--child=change', `--clusters=${clusters}`, `--target=${first}`], timeout) : undefined;
      log(`flux-fleet re-synth, ${CHANGE.component} changed in ${CHANGE.region}`, change);
      const cdk8s = ok(render) && !skipCdk8s
        ? spawnChild(['--child=cdk8s', `--objects=${objects}`, `--target=${path.join(dir, 'cdk8s')}`], cdk8sTimeout) : undefined;
      log('plain cdk8s baseline', cdk8s);
      rows.push({ clusters, render, synth, synthRuns, yamlRuns, resynth, change, yaml, cdk8s, cdk8sTimeout });
      // The outputs stay until the end: deleting many files slows the file system down for a while after.
    }
    if (argv.has('profile')) profile(sizes[sizes.length - 1], tmp, timeout);
  } finally {
    if (!argv.has('keep')) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`\nwork folder kept: ${tmp}`);
  }

  const loads = (row: Row) => {
    const all = [...row.synthRuns, ...row.yamlRuns, row.resynth, row.change].filter(ok).map((o) => o.load ?? 0);
    return all.length === 0 ? '-' : `${Math.min(...all).toFixed(1)}-${Math.max(...all).toFixed(1)}`;
  };
  console.log();
  console.log(table(
    ['clusters', 'objects', 'files', 'declare s', 'synth s', 'synth cpu s', 'synth MiB', 'yaml s', 'yaml cpu s', 'yaml MiB', 'synth/yaml',
      'cpu synth/yaml', 're-synth s', 're-synth/synth', 'rewritten', 'change s', 'changed', 'cdk8s s', 'cdk8s/synth', 'load'],
    rows.map((r) => [
      String(r.clusters),
      ok(r.render) ? String(r.render.objects) : ok(r.synth) ? String(r.synth.objects) : '-',
      ok(r.synth) ? String(r.synth.files) : '-',
      ok(r.synth) ? ((r.synth.declareMs ?? 0) / 1000).toFixed(2) : '-',
      seconds(r.synth), cpuSeconds(r.synth), mib(r.synth),
      seconds(r.yaml), cpuSeconds(r.yaml), mib(r.yaml),
      ok(r.synth) && ok(r.yaml) ? `${(r.synth.ms / r.yaml.ms).toFixed(2)}x` : '-',
      ok(r.synth) && ok(r.yaml) && r.synth.cpuMs && r.yaml.cpuMs ? `${(r.synth.cpuMs / r.yaml.cpuMs).toFixed(2)}x` : '-',
      seconds(r.resynth),
      ok(r.synth) && ok(r.resynth) ? `${(100 * r.resynth.ms / r.synth.ms).toFixed(0)}%` : '-',
      ok(r.resynth) ? `${r.resynth.rewritten}/${r.resynth.files}` : '-',
      seconds(r.change),
      ok(r.change) ? `${r.change.rewritten}/${r.change.files}` : '-',
      seconds(r.cdk8s),
      ratio(r.synth, r.cdk8s, r.cdk8sTimeout).text,
      loads(r),
    ]),
  ));
  console.log(`\nTimes in seconds, the median of ${runs} run(s) for synth and yaml (cpu: user and system CPU time, which a busy machine`);
  console.log('  inflates less than wall time); MiB: peak resident memory of the measuring process');
  console.log('  (the largest of the runs). load: the lowest and highest 1-minute load average at the start of the measurements.');
  console.log('The targets compare wall times; cpu synth/yaml is shown beside them, for a busy machine.');
  console.log('objects: Kubernetes objects; files: files synth writes (charts, generated kustomization.yaml files, the fleet');
  console.log('  picture, release.json, the packed folders, the marker file); the yaml baseline writes the chart files only.');
  console.log('declare: the Fleet program (addCluster, addComponent...); synth: FluxApp.synth() (build the Flux objects, validate, write).');
  console.log('yaml: yaml.stringify() of the same objects and one write per chart file into a fresh folder;');
  console.log('  cdk8s: the same objects as ApiObjects in a plain cdk8s App, one Chart per chart file: construction and App.synth().');
  console.log('re-synth: FluxApp.synth() of the unchanged fleet into the same folder; rewritten: files whose mtime or inode changed.');
  console.log(`change: FluxApp.synth() after ${CHANGE.component}'s values changed on the clusters of ${CHANGE.region}; changed: files rewritten.\n`);

  let failed = false;
  for (const [name, pass, detail] of checks(rows, skipCdk8s)) {
    console.log(`${pass === undefined ? 'SKIP' : pass ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
    if (pass === false) failed = true;
  }
  return failed ? 1 : 0;
}

function parseArgs(args: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const a of args) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      console.error(`unknown argument ${a}; see the usage at the top of scripts/bench.ts`);
      process.exit(2);
    }
    map.set(m[1], m[2] ?? '');
  }
  return map;
}

const argv = parseArgs(process.argv.slice(2));
if (argv.has('child')) runChild(argv);
else process.exitCode = runCompiled(import.meta.url) ?? parent(argv);
