import { spawn } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';

/** How to run the builds. */
export interface KustomizeBuildOptions {
  /** The kubectl command. */
  readonly kubectl: string;
  /** How many builds run at once. */
  readonly concurrency: number;
  /** How long one build may take, in milliseconds. */
  readonly timeoutMs: number;
  /** The address space one kubectl may use, in bytes. @default 2 GiB */
  readonly memoryBytes?: number;
  /** Build kustomizations that name remote resources (URLs, git repositories), which kubectl then fetches. @default false */
  readonly allowRemote?: boolean;
}

/** The address space a kubectl build may use by default: 2 GiB. */
export const DEFAULT_BUILD_MEMORY = 2 * 1024 * 1024 * 1024;

/** How long one `kubectl kustomize` may run by default before it is stopped (ms). */
export const DEFAULT_BUILD_TIMEOUT_MS = 60_000;

/** A folder that does not build. */
export interface BuildProblem {
  /** The folder's kustomization file, relative to the root; `.` when kubectl itself is missing. */
  readonly file: string;
  readonly message: string;
}

type Outcome = { ok: true } | { ok: false; message: string } | { timedOut: true } | { missing: true } | { outOfMemory: true };

/**
 * Builds each folder with `kubectl kustomize <folder>`, a bounded number at a time, and reports every folder that
 * fails with kubectl's own explanation (absolute paths shortened to the tree's). When kubectl cannot be started,
 * reports that once and builds nothing.
 *
 * @param root the tree root
 * @param folders folders relative to the root, each paired with the name of its kustomization file
 */
export async function buildFolders(
  root: string,
  folders: ReadonlyArray<{ folder: string; file: string }>,
  options: KustomizeBuildOptions,
): Promise<BuildProblem[]> {
  const absRoot = resolve(root);
  const roots = [...new Set([absRoot, await realpath(absRoot).catch(() => absRoot)])];
  const outcomes: Outcome[] = new Array(folders.length);
  let nextIndex = 0;
  let missing = false;
  const realRoot = await realpath(absRoot).catch(() => absRoot);
  const refused: BuildProblem[] = [];
  const worker = async () => {
    while (!missing && nextIndex < folders.length) {
      const i = nextIndex++;
      const sources = await checkSources(realRoot, folders[i].folder, folders[i].file, options.allowRemote ?? false);
      if (sources.length > 0) {
        refused.push(...sources.map((message) => ({ file: folders[i].file, message })));
        outcomes[i] = { ok: true };
        continue;
      }
      outcomes[i] = await build(absRoot, folders[i].folder, options);
      if ('missing' in outcomes[i]) missing = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, folders.length)) }, worker));

  if (missing) {
    return [{ file: '.', message: `kubectl (${JSON.stringify(options.kubectl)}) could not be started, so no kustomization could be built; install kubectl and put it on PATH, or skip the build check (--no-build, or the option build: false)` }];
  }
  const problems: BuildProblem[] = [...refused];
  outcomes.forEach((outcome, i) => {
    const { folder, file } = folders[i];
    if (outcome && 'outOfMemory' in outcome) {
      problems.push({ file, message: `kubectl kustomize ${folder} used more than ${formatBytes(options.memoryBytes ?? DEFAULT_BUILD_MEMORY)} of memory and was stopped; look for YAML aliases that expand without end in ${file}, or allow more memory (buildMemoryBytes)` });
    } else if (outcome && 'timedOut' in outcome) {
      problems.push({ file, message: `kubectl kustomize ${folder} did not finish within ${options.timeoutMs / 1000}s and was stopped; look for remote resources that hang in ${file}, or allow more time (buildTimeoutMs)` });
    } else if (outcome && 'message' in outcome) {
      problems.push({ file, message: `kubectl kustomize ${folder} fails: ${shorten(outcome.message, roots)}; fix ${file} or the files it lists` });
    }
  });
  return problems;
}

/** Runs one build, keeping only stderr. */
function build(cwd: string, folder: string, options: KustomizeBuildOptions): Promise<Outcome> {
  return new Promise((done) => {
    let stderr = '';
    let settled = false;
    // kubectl runs under an address-space limit (ulimit -v, in KiB), so that a kustomization that expands without end
    // fails fast instead of taking the machine's memory.
    const kib = Math.ceil((options.memoryBytes ?? DEFAULT_BUILD_MEMORY) / 1024);
    const child = spawn('/bin/sh', ['-c', 'ulimit -v "$1" || exit 125; exec "$0" kustomize "$2"', options.kubectl, String(kib), folder],
      { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, options.timeoutMs);
    const finish = (outcome: Outcome) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        done(outcome);
      }
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 64_000) stderr += chunk;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(e.code === 'ENOENT' || e.code === 'EACCES' ? { missing: true } : { ok: false, message: e.message });
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish({ ok: true });
      else if (code === 127 && /not found|No such file/i.test(stderr)) finish({ missing: true });
      else if (/out of memory|cannot allocate memory|failed to reserve/i.test(stderr)) finish({ outOfMemory: true });
      else if (signal && timedOut) finish({ timedOut: true });
      else if (signal) finish({ ok: false, message: `stopped by ${signal}` });
      else finish({ ok: false, message: cleanStderr(stderr) || `exit code ${code}` });
    });
  });
}

/**
 * kubectl's error output as one line: the klog prefix (`E1122 14:06:40.159825 19992 run.go:72]`) with its time and
 * process id dropped, a quoted `err="..."` unquoted, and `error: ` dropped.
 */
export function cleanStderr(stderr: string): string {
  return stderr.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const klog = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]]+\] (.*)$/.exec(line);
      let text = klog ? klog[1] : line;
      const failed = /^"command failed" err=(".*")$/.exec(text);
      if (failed) {
        try {
          text = JSON.parse(failed[1]) as string;
        } catch {
          text = failed[1].slice(1, -1);
        }
      }
      return text.replace(/^error: /, '');
    })
    .join(' ');
}

/** The fields of a kustomization that name files or folders to load, each a string or a list of strings. */
const PATH_FIELDS = ['resources', 'bases', 'components', 'crds', 'configurations', 'transformers', 'generators', 'validators', 'patchesStrategicMerge'];
/** Generator fields whose entries list files (`key=path` or `path`). */
const GENERATORS = ['configMapGenerator', 'secretGenerator'];

/** Whether a kustomization entry is a remote resource kubectl would fetch: a URL or a git repository. */
function isRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^git@/.test(entry) || /^git::/.test(entry)
    || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) || /\?(ref|version|submodules|timeout)=/.test(entry);
}

/**
 * Checks what a kustomization loads before kubectl builds it: every file and folder inside the tree (no base four
 * folders up, no absolute path), no remote resources unless allowed, no Helm charts (which kubectl would download).
 * Returns a message per entry refused.
 */
async function checkSources(realRoot: string, folder: string, file: string, allowRemote: boolean): Promise<string[]> {
  let k: Record<string, unknown> | undefined;
  try {
    const docs = parseYamlDocuments(await readFile(resolve(realRoot, file), 'utf8'), file);
    if (docs.length === 0 || docs[0].errors.length > 0) return [];
    k = docs[0].toJS({ maxAliasCount: 100 }) as Record<string, unknown> | undefined;
  } catch (e) {
    return [`${file} is not built: ${(e as Error).message}`];
  }
  if (k === null || typeof k !== 'object') return [];
  const entries: Array<{ field: string; value: string }> = [];
  const add = (field: string, value: unknown) => {
    if (typeof value === 'string' && value !== '' && !value.includes('\n')) entries.push({ field, value });
  };
  for (const field of PATH_FIELDS) {
    const v = k[field];
    if (Array.isArray(v)) v.forEach((x) => add(field, x));
    else add(field, v);
  }
  for (const field of ['patches', 'patchesJson6902', 'replacements']) {
    const v = k[field];
    if (Array.isArray(v)) v.forEach((p) => add(`${field}[].path`, (p as { path?: unknown } | null)?.path));
  }
  for (const field of GENERATORS) {
    const v = k[field];
    if (!Array.isArray(v)) continue;
    for (const g of v as Array<Record<string, unknown> | null>) {
      for (const list of ['files', 'envs']) {
        const items = g?.[list];
        if (Array.isArray(items)) items.forEach((x) => add(`${field}[].${list}`, typeof x === 'string' ? x.slice(x.indexOf('=') + 1) : x));
      }
      add(`${field}[].env`, g?.env);
    }
  }
  add('openapi.path', (k.openapi as { path?: unknown } | undefined)?.path);
  const problems: string[] = [];
  if (k.helmCharts !== undefined || k.helmChartInflationGenerator !== undefined) {
    problems.push(`${file} inflates Helm charts, which kubectl would download; validate does not build it (render the chart into the tree, or use a HelmRelease)`);
  }
  const base = resolve(realRoot, folder);
  for (const { field, value } of entries) {
    if (isRemote(value)) {
      if (!allowRemote) {
        problems.push(`${field} entry ${JSON.stringify(value)} is a remote resource, which validate does not fetch; vendor it into the tree, or allow remote resources (--allow-remote, or the option allowRemoteResources: true)`);
      }
      continue;
    }
    const target = await realpath(resolve(base, value)).catch(() => resolve(base, value));
    const rel = relative(realRoot, target);
    if (isAbsolute(value) || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      problems.push(`${field} entry ${JSON.stringify(value)} is outside the tree; validate builds only what the tree holds, so copy it into the tree`);
    }
  }
  return problems;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 * 1024 ? `${(bytes / 1024 / 1024 / 1024).toFixed(1)} GiB` : `${Math.round(bytes / 1024 / 1024)} MiB`;
}

/** Absolute paths inside the tree as paths relative to its root. */
function shorten(message: string, roots: readonly string[]): string {
  let out = message;
  for (const root of roots) out = out.split(`${root}/`).join('').split(root).join('.');
  return out;
}
