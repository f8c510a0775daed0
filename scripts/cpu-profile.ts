/**
 * Where a synth's time goes, from a V8 CPU profile (`node --cpu-prof`): each sample is counted in the first category,
 * in the order below, that any frame of its stack belongs to, so that a schema check made while validating counts
 * as a schema check, and a file created by the writer as file creation.
 *
 * Usage: tsx scripts/cpu-profile.ts <file.cpuprofile>
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** The categories, first match wins. A frame without a URL is native (a system call, the garbage collector). */
const CATEGORIES: ReadonlyArray<readonly [string, (f: CallFrame) => boolean]> = [
  ['file system: creating files', (f) => !f.url && f.functionName === 'open'],
  ['file system: creating folders', (f) => !f.url && f.functionName === 'mkdir'],
  ['file system: links and moves', (f) => !f.url && (f.functionName === 'link' || f.functionName === 'rename')],
  ['file system: reading', (f) => !f.url && (f.functionName === 'read' || f.functionName === 'readFileUtf8' || f.functionName === 'readdir')],
  ['file system: other calls', (f) => !f.url && ['writeBuffer', 'writeString', 'close', 'lstat', 'stat', 'fstat', 'unlink', 'rmdir', 'realpath', 'readFileSync'].includes(f.functionName)],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['schema checks', (f) => /\/(schema|schema-registry|schemas|schema-cache)\.[jt]s$|@kubernetes-models|\/ajv\//.test(f.url)],
  ['serialization (YAML)', (f) => /\/yaml-emitter\.[jt]s$|\/node_modules\/yaml\//.test(f.url) || f.functionName === 'renderYamlFile'],
  ['rendering objects (toJson)', (f) => (/\/render-session\.[jt]s$/.test(f.url) && f.functionName !== 'run' && f.functionName !== 'runApart') || /\/cdk8s\/lib\/(resolve|_util|api-object|metadata|lazy)\.js$/.test(f.url)],
  ['validation (rules, references, secrets)', (f) => /\/(rules|object-index|secrets|validation-messages)\.[jt]s$/.test(f.url) || (f.functionName === 'validate' && /constructs\/lib\/construct\.js$/.test(f.url))],
  ['construct creation (building clusters)', (f) => f.functionName === '_buildCluster' || f.functionName === 'buildCluster'],
  ['writer (comparing, paths, kustomizations)', (f) => /\/output\/writer\//.test(f.url)],
  ['module loading', (f) => /node:internal\/modules|\/tsx\/dist\/|\/esbuild\//.test(f.url)],
];

/** Milliseconds per category, largest first, with the total. */
export function summarizeCpuProfile(file: string): { total: number; categories: Array<[string, number]> } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const category = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const known = category.get(id);
    if (known !== undefined) return known;
    const frames: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) frames.push(byId.get(cur)!.callFrame);
    const found = CATEGORIES.find(([, test]) => frames.some(test))?.[0] ?? 'other';
    category.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    total += ms;
    const c = categoryOf(id);
    totals.set(c, (totals.get(c) ?? 0) + ms);
  });
  return { total, categories: [...totals].sort((a, b) => b[1] - a[1]) };
}

/** The summary as lines: seconds, share, category. */
export function formatCpuProfile(summary: { total: number; categories: Array<[string, number]> }): string {
  return [
    ...summary.categories.map(([name, ms]) => `${(ms / 1000).toFixed(2).padStart(8)} s ${(100 * ms / summary.total).toFixed(1).padStart(5)}%  ${name}`),
    `${(summary.total / 1000).toFixed(2).padStart(8)} s 100.0%  total`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file) {
    console.log(formatCpuProfile(summarizeCpuProfile(file)));
  } else {
    console.error('give a .cpuprofile file: tsx scripts/cpu-profile.ts <file>');
    process.exitCode = 2;
  }
}
