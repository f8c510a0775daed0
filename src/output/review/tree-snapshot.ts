import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compareStrings } from './fleet-picture.js';
import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../../flux/core/errors.js';

/** The files of a synthesized tree, read from a folder or from a git commit: the text of each, by relative path. */
export interface TreeSnapshot {
  /** Where the tree was read from, for messages, e.g. `dist` or `git:main:dist`. */
  readonly label: string;
  /** Each file's text by its path relative to the tree's root, with `/` separators. */
  readonly files: ReadonlyMap<string, string>;
}

/** A tree that cannot be read: a missing folder, an unknown git ref, a folder outside any repository. */
export class TreeSnapshotError extends FluxFleetError {
  public constructor(message: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.treeSnapshot, message, options);
  }
}

/** Reads every file below `dir`, leaving out hidden entries (the writer's `.flux-fleet` marker, `.git`) and node_modules. */
export function readTreeFolder(dir: string, label: string = dir): TreeSnapshot {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw new TreeSnapshotError(`${label} does not exist; give the folder that holds clusters/`);
  if (!stat.isDirectory()) throw new TreeSnapshotError(`${label} is not a folder; give the folder that holds clusters/`);
  const files = new Map<string, string>();
  const walk = (folder: string, prefix: string): void => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => compareStrings(a.name, b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile()) files.set(`${prefix}${entry.name}`, readFileSync(path, 'utf8'));
    }
  };
  walk(dir, '');
  return { label, files };
}

/** Where a folder lies in its git repository. */
export interface GitLocation {
  /** The repository's root folder. */
  readonly root: string;
  /** The folder's path relative to the root, with `/` separators, `''` for the root itself. */
  readonly path: string;
}

/** The git repository holding `dir`, and the path of `dir` inside it. */
export function gitLocationOf(dir: string): GitLocation {
  const real = realpathSync(dir);
  const result = git(real, ['rev-parse', '--show-toplevel']);
  if (result.status !== 0) {
    throw new TreeSnapshotError(`${dir} is not in a git repository, so a git ref cannot be read beside it; compare two folders instead`);
  }
  const root = realpathSync(result.stdout.toString('utf8').trim());
  return { root, path: relative(root, real).split(sep).join('/') };
}

/**
 * Reads the files below `path` at a git ref (a branch, tag, commit, `HEAD~1`...) of the repository at `root`, with
 * `git ls-tree` and one `git cat-file --batch`. A folder that does not exist at the ref gives an empty tree (the tree
 * was added after it). Hidden entries are left out, as in {@link readTreeFolder}.
 */
export function readTreeAtGitRef(root: string, ref: string, path: string, label: string = `git:${ref}`): TreeSnapshot & { readonly exists: boolean } {
  if (ref === '' || ref.startsWith('-')) throw new TreeSnapshotError(`${JSON.stringify(ref)} is not a git ref; use e.g. git:main or git:HEAD~1`);
  const commit = git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (commit.status !== 0) {
    throw new TreeSnapshotError(`git ref ${JSON.stringify(ref)} is not a commit of the repository at ${root}; use a branch, tag or commit, e.g. git:main or git:HEAD~1`);
  }
  const sha = commit.stdout.toString('utf8').trim();
  const folder = path.replace(/\/+$/, '');
  const listing = git(root, ['ls-tree', '-r', '-z', '--full-tree', sha, '--', folder === '' ? '.' : folder]);
  if (listing.status !== 0) throw new TreeSnapshotError(`git ls-tree failed: ${listing.stderr.toString('utf8').trim()}`);
  const blobs: Array<{ file: string; oid: string }> = [];
  for (const entry of listing.stdout.toString('utf8').split('\0')) {
    const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (!m || m[2] !== 'blob' || m[1] === '120000') continue;
    if (folder !== '' && !m[4].startsWith(`${folder}/`)) continue;
    const file = folder === '' ? m[4] : m[4].slice(folder.length + 1);
    if (file.split('/').some((s) => s.startsWith('.') || s === 'node_modules')) continue;
    blobs.push({ file, oid: m[3] });
  }
  const files = new Map<string, string>();
  if (blobs.length > 0) {
    const batch = git(root, ['cat-file', '--batch'], blobs.map((b) => b.oid).join('\n') + '\n');
    if (batch.status !== 0) throw new TreeSnapshotError(`git cat-file failed: ${batch.stderr.toString('utf8').trim()}`);
    const out = batch.stdout;
    let at = 0;
    for (const blob of blobs) {
      const eol = out.indexOf(0x0a, at);
      const header = out.subarray(at, eol).toString('utf8').split(' ');
      if (header[0] !== blob.oid || header[1] !== 'blob') throw new TreeSnapshotError(`git cat-file returned ${JSON.stringify(header.join(' '))} for ${blob.file}`);
      const size = Number(header[2]);
      files.set(blob.file, out.subarray(eol + 1, eol + 1 + size).toString('utf8'));
      at = eol + 1 + size + 1;
    }
  }
  return { label, files: new Map([...files].sort(([a], [b]) => compareStrings(a, b))), exists: blobs.length > 0 };
}

/** Whether the working tree's ignore rules (`.gitignore`, `.git/info/exclude`...) ignore `path` of the repository at `root`. */
export function isGitIgnored(root: string, path: string): boolean {
  if (path === '') return false;
  // check-ignore takes no literal pathspecs; `dist/` in .gitignore matches only a folder, so ask about the folder.
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  delete env.GIT_LITERAL_PATHSPECS;
  const result = spawnSync('git', ['check-ignore', '-q', '--no-index', '--', `${path}/`], { cwd: root, env });
  return result.status === 0;
}

function git(cwd: string, args: string[], input?: string): { status: number | null; stdout: Buffer; stderr: Buffer } {
  const result = spawnSync('git', args, { cwd, input, maxBuffer: 1024 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_LITERAL_PATHSPECS: '1' } });
  if (result.error) {
    throw new TreeSnapshotError(`cannot run git: ${result.error.message}; install git to compare with a git ref`, { cause: result.error });
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
