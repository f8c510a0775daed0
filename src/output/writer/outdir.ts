import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigTreeError, WRITER_MARKER_FILE } from './tree-path.js';

/** An output folder that passed the checks: it may be created or replaced. */
export interface CheckedOutdir {
  /** The absolute path, symbolic links resolved. */
  readonly path: string;
  /** Whether the folder exists (then it is empty or was written by the writer). */
  readonly exists: boolean;
  /** Whether it holds the writer's marker file, i.e. its files are a previous output to compare with. */
  readonly written: boolean;
  /** Its permission bits, kept on the new folder. @default - a new folder's */
  readonly mode?: number;
}

/**
 * Resolves an output folder and refuses one the writer must never replace: the file system root, the home folder,
 * the root of the current git repository, a folder holding `.git`, a file, or a non-empty folder lacking the marker.
 */
export function checkOutdir(outdir: string): CheckedOutdir {
  const real = resolveOutdir(outdir);
  const refuse = (why: string, fix: string) => new ConfigTreeError(`Refusing to write the config tree to "${real}": ${why}; ${fix}`);
  const fix = 'write to a dedicated sub-folder instead, e.g. "dist"';

  const stat = fs.lstatSync(real, { throwIfNoEntry: false });
  if (!stat) return { path: real, exists: false, written: false };
  if (!stat.isDirectory()) throw refuse('it exists and is not a folder', 'remove it or pick another path');
  if (fs.existsSync(path.join(real, '.git'))) throw refuse('it holds a .git folder (a repository root)', fix);
  const marker = fs.lstatSync(path.join(real, WRITER_MARKER_FILE), { throwIfNoEntry: false });
  const written = marker?.isFile() ?? false;
  if (!written && fs.readdirSync(real).length > 0) {
    throw refuse(`it is not empty and was not written by flux-fleet (it has no ${WRITER_MARKER_FILE} marker file), ` +
      'so replacing it could delete your files', 'pick an empty or new folder, or remove this one yourself first');
  }
  return { path: real, exists: true, written, mode: stat.mode % 0o10000 };
}

/**
 * Resolves an output folder (absolute, symbolic links resolved) and refuses the places the writer must never replace:
 * the file system root, the home folder, the root of the current git repository.
 */
export function resolveOutdir(outdir: string): string {
  if (typeof outdir !== 'string' || outdir.trim() === '') {
    throw new ConfigTreeError(`Refusing output folder ${JSON.stringify(outdir)}: give a folder path, e.g. "dist"`);
  }
  const real = realPath(path.resolve(outdir));
  const refuse = (why: string) => new ConfigTreeError(`Refusing to write the config tree to "${real}": ${why}; write to a dedicated sub-folder instead, e.g. "dist"`);
  if (path.parse(real).root === real) throw refuse('it is the root of the file system');
  if (real === realPath(os.homedir())) throw refuse('it is your home folder');
  if (real === gitRoot(realPath(process.cwd()))) throw refuse('it is the root of the current git repository');
  return real;
}

/** The absolute path with every symbolic link resolved, for the part of it that exists. */
function realPath(p: string): string {
  const missing: string[] = [];
  let existing = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(existing), ...missing.reverse());
    } catch (e) {
      const parent = path.dirname(existing);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === existing) throw e;
      missing.push(path.basename(existing));
      existing = parent;
    }
  }
}

/** The root of the git repository holding `folder` (the nearest folder with a `.git` entry), if any. */
function gitRoot(folder: string): string | undefined {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
