import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';

/** How to run the builds. */
export interface KustomizeBuildOptions {
  /** The kubectl command. */
  readonly kubectl: string;
  /** How many builds run at once. */
  readonly concurrency: number;
  /** How long one build may take, in milliseconds. */
  readonly timeoutMs: number;
}

/** A folder that does not build. */
export interface BuildProblem {
  /** The folder's kustomization file, relative to the root; `.` when kubectl itself is missing. */
  readonly file: string;
  readonly message: string;
}

type Outcome = { ok: true } | { ok: false; message: string } | { timedOut: true } | { missing: true };

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
  const worker = async () => {
    while (!missing && nextIndex < folders.length) {
      const i = nextIndex++;
      outcomes[i] = await build(absRoot, folders[i].folder, options);
      if ('missing' in outcomes[i]) missing = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, folders.length)) }, worker));

  if (missing) {
    return [{ file: '.', message: `kubectl (${JSON.stringify(options.kubectl)}) could not be started, so no kustomization could be built; install kubectl and put it on PATH, or skip the build check (--no-build, or the option build: false)` }];
  }
  const problems: BuildProblem[] = [];
  outcomes.forEach((outcome, i) => {
    const { folder, file } = folders[i];
    if (outcome && 'timedOut' in outcome) {
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
    const child = spawn(options.kubectl, ['kustomize', folder], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** Absolute paths inside the tree as paths relative to its root. */
function shorten(message: string, roots: readonly string[]): string {
  let out = message;
  for (const root of roots) out = out.split(`${root}/`).join('').split(root).join('.');
  return out;
}
