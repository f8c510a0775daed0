import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigTree } from './config-tree.js';
import { checkOutdir, type CheckedOutdir } from './outdir.js';
import { renderTree, type RenderTreeOptions, type RenderedFile } from './render.js';
import { ConfigTreeError, WRITER_MARKER_FILE, compareStrings, folderOf } from './tree-path.js';

/** A file system operation of {@link writeTree}, as seen by its test hook. */
export type WriteOperation = 'mkdir' | 'write' | 'link' | 'rename' | 'remove';

/** Options of {@link writeTree}. */
export interface WriteTreeOptions extends RenderTreeOptions {
  /**
   * Called before each file system operation; a throw stands for a failure of that operation.
   * @internal
   */
  readonly beforeOperation?: (operation: WriteOperation, target: string) => void;
}

/** What {@link writeTree} did, as paths relative to the output folder, each list sorted. */
export interface WriteTreeResult {
  /** The output folder, absolute, with symbolic links resolved. */
  readonly outdir: string;
  /** Files that the previous output lacked. */
  readonly added: readonly string[];
  /** Files whose content changed. */
  readonly changed: readonly string[];
  /** Files whose content is the same: they are kept as they were (same inode, same modification time). */
  readonly unchanged: readonly string[];
  /** Files of the previous output that the tree lacks: they are gone. */
  readonly removed: readonly string[];
}

const MARKER_TEXT = 'This folder is written by flux-fleet: every synth replaces all of its content.\n' +
  'Do not keep other files here; change the fleet program and synthesize again.\n';

/**
 * Writes a config tree to `outdir`, all or nothing: the tree is rendered in memory, written to a new sibling folder
 * (files whose content did not change are hard links to the previous output's, so they keep their modification time),
 * then swapped in with two renames. If anything fails, `outdir` is left as it was and the sibling folder is removed.
 * Files of the previous output that the tree lacks are gone afterwards. When the previous output is exactly the tree
 * (same folders, same files, same bytes), nothing is written at all.
 *
 * Refuses (with the fix in the error) an `outdir` that is the file system root, the home folder, the current git
 * repository's root, or a non-empty folder that the writer did not write (it lacks the `.flux-fleet` marker file).
 * Run one writer at a time per output folder.
 */
export function writeTree(tree: ConfigTree, outdir: string, options: WriteTreeOptions = {}): WriteTreeResult {
  const fsops = new FileOperations(options.beforeOperation);
  let target = checkOutdir(outdir);
  const files = renderTree(tree, options);
  const siblings = new Siblings(target.path);
  if (recoverInterruptedWrite(siblings, fsops)) target = checkOutdir(outdir);

  const previous = target.written ? listTree(target.path) : { files: new Set<string>(), folders: new Set<string>() };
  const oldFiles = previous.files;
  const marker: RenderedFile = { path: WRITER_MARKER_FILE, content: Buffer.from(MARKER_TEXT, 'utf8') };
  const folders = foldersOf(files);
  const same = new Map<string, fs.Stats>();
  if (target.written && isSameTree(marker, files, folders, target, previous, same)) {
    // Nothing to write: the previous output stays as it is, folders included.
    return { outdir: target.path, added: [], changed: [], unchanged: files.map((f) => f.path), removed: [] };
  }
  const temp = siblings.newTemp();
  let outdirMoved = false;
  try {
    fs.mkdirSync(siblings.parent, { recursive: true });
    fsops.mkdir(temp);
    if (target.mode !== undefined) fs.chmodSync(temp, target.mode);
    placeFile(marker, temp, target, oldFiles, same, fsops);
    for (const folder of folders) fsops.mkdir(path.join(temp, folder));
    const added: string[] = [];
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const file of files) {
      const outcome = placeFile(file, temp, target, oldFiles, same, fsops);
      (outcome === 'added' ? added : outcome === 'changed' ? changed : unchanged).push(file.path);
    }
    const kept = new Set(files.map((f) => f.path)).add(WRITER_MARKER_FILE);
    const removed = [...oldFiles].filter((f) => !kept.has(f)).sort(compareStrings);

    if (target.exists) {
      moveAside(target.path, siblings.backup, fsops);
      outdirMoved = true;
    }
    fsops.rename(temp, target.path);
    outdirMoved = false;
    if (target.exists) {
      try {
        fsops.remove(siblings.backup);
      } catch {
        // The new tree is in place; the next write removes the leftover previous output.
      }
    }
    return { outdir: target.path, added, changed, unchanged, removed };
  } catch (e) {
    if (outdirMoved) restore(siblings.backup, target.path);
    removeQuietly(temp);
    throw e;
  }
}

type Outcome = 'added' | 'changed' | 'unchanged';

/**
 * Whether the previous output is exactly the new tree: the same folders, the same files with the same bytes, and
 * nothing else. Files found unchanged on the way are recorded in `same`, with their status, so that they are not
 * read twice when the tree differs.
 */
function isSameTree(marker: RenderedFile, files: readonly RenderedFile[], folders: readonly string[], target: CheckedOutdir,
  previous: { files: ReadonlySet<string>; folders: ReadonlySet<string> }, same: Map<string, fs.Stats>): boolean {
  if (previous.files.size !== files.length + 1 || previous.folders.size !== folders.length) return false;
  if (!folders.every((f) => previous.folders.has(f))) return false;
  if (!files.every((f) => previous.files.has(f.path))) return false;
  for (const file of [marker, ...files]) {
    const stat = unchangedStat(file, target);
    if (!stat) return false;
    same.set(file.path, stat);
  }
  return true;
}

/** The status of the previous output's file when it is a regular file with exactly the new bytes. */
function unchangedStat(file: RenderedFile, target: CheckedOutdir): fs.Stats | undefined {
  const old = path.join(target.path, file.path);
  const stat = fs.lstatSync(old, { throwIfNoEntry: false });
  return stat?.isFile() && stat.size === file.content.length && fs.readFileSync(old).equals(file.content) ? stat : undefined;
}

/**
 * Places one file in the new folder: a hard link to the previous output's file when its bytes are the same (sizes
 * compared first, so most changed files are never read), else newly written. Files in `same` are known to be the same.
 */
function placeFile(file: RenderedFile, temp: string, target: CheckedOutdir, oldFiles: ReadonlySet<string>,
  same: ReadonlyMap<string, fs.Stats>, fsops: FileOperations): Outcome {
  const dest = path.join(temp, file.path);
  if (!oldFiles.has(file.path)) {
    fsops.write(dest, file.content);
    return 'added';
  }
  const old = path.join(target.path, file.path);
  const stat = same.get(file.path) ?? unchangedStat(file, target);
  if (stat) {
    fsops.link(old, dest, stat);
    return 'unchanged';
  }
  fsops.write(dest, file.content);
  return 'changed';
}

/** Every folder holding a file, parents before children. */
function foldersOf(files: readonly RenderedFile[]): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    for (let folder = folderOf(file.path); folder !== '' && !folders.has(folder); folder = folderOf(folder)) folders.add(folder);
  }
  // A parent's path is a prefix of its children's, so it sorts first.
  return [...folders].sort(compareStrings);
}

/** The files (anything but folders) and the folders below `root`, as `/`-separated relative paths. */
function listTree(root: string): { files: Set<string>; folders: Set<string> } {
  const files = new Set<string>();
  const folders = new Set<string>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      if (entry.isDirectory()) {
        folders.add(rel);
        walk(path.join(dir, entry.name), `${rel}/`);
      } else {
        files.add(rel);
      }
    }
  };
  walk(root, '');
  return { files, folders };
}

/** The writer's folders beside the output folder: the new tree being built, and the previous output during the swap. */
class Siblings {
  public readonly backup: string;
  public readonly parent: string;
  private readonly tempPrefix: string;

  public constructor(public readonly outdir: string) {
    this.parent = path.dirname(outdir);
    const name = path.basename(outdir);
    this.backup = path.join(this.parent, `.${name}.flux-fleet-old`);
    this.tempPrefix = `.${name}.flux-fleet-new-`;
  }

  /** A fresh path for the new tree, on the output folder's file system. */
  public newTemp(): string {
    return path.join(this.parent, this.tempPrefix + randomBytes(6).toString('hex'));
  }

  /** New-tree folders left by a write that was killed. */
  public staleTemps(): string[] {
    if (!fs.existsSync(this.parent)) return [];
    return fs.readdirSync(this.parent).filter((n) => n.startsWith(this.tempPrefix)).map((n) => path.join(this.parent, n));
  }
}

/**
 * Repairs what a killed write left beside the output folder: the previous output moved aside (put back if the output
 * folder is missing, else removed) and unfinished new trees (removed). Returns whether the output folder was put back.
 */
function recoverInterruptedWrite(siblings: Siblings, fsops: FileOperations): boolean {
  for (const stale of siblings.staleTemps()) {
    if (isWriterFolder(stale) || fs.readdirSync(stale).length === 0) fsops.remove(stale);
  }
  const backup = fs.lstatSync(siblings.backup, { throwIfNoEntry: false });
  if (!backup) return false;
  if (!backup.isDirectory() || !isWriterFolder(siblings.backup)) {
    throw new ConfigTreeError(`Refusing to write: "${siblings.backup}" is in the way of the writer and was not written by it; remove or rename it`);
  }
  if (fs.existsSync(siblings.outdir)) {
    fsops.remove(siblings.backup);
    return false;
  }
  fsops.rename(siblings.backup, siblings.outdir);
  return true;
}

function isWriterFolder(folder: string): boolean {
  return fs.lstatSync(path.join(folder, WRITER_MARKER_FILE), { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Moves the previous output aside; a mount point cannot be renamed, so the error then says to use a sub-folder. */
function moveAside(outdir: string, backup: string, fsops: FileOperations): void {
  try {
    fsops.rename(outdir, backup);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV') throw e;
    throw new ConfigTreeError(`Cannot replace "${outdir}" (${code}): it is probably a mount point, which cannot be renamed; ` +
      'write to a sub-folder of it instead, e.g. "<mount>/dist"', { cause: e });
  }
}

function restore(backup: string, outdir: string): void {
  try {
    fs.renameSync(backup, outdir);
  } catch {
    // The previous output stays beside the output folder; the next write puts it back.
  }
}

function removeQuietly(folder: string): void {
  try {
    fs.rmSync(folder, { recursive: true, force: true });
  } catch {
    // Best effort while reporting the original failure.
  }
}

/** The file system calls of a write, each announced to the test hook first. */
class FileOperations {
  public constructor(private readonly before?: (operation: WriteOperation, target: string) => void) {}

  public mkdir(folder: string): void {
    this.before?.('mkdir', folder);
    fs.mkdirSync(folder);
  }

  public write(file: string, content: Buffer): void {
    this.before?.('write', file);
    fs.writeFileSync(file, content);
  }

  /** Hard-links `dest` to `source`; where links are not possible, copies it with its modification time. */
  public link(source: string, dest: string, stat: fs.Stats): void {
    this.before?.('link', dest);
    try {
      fs.linkSync(source, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw e;
      fs.copyFileSync(source, dest);
      fs.utimesSync(dest, stat.atime, stat.mtime);
    }
  }

  public rename(from: string, to: string): void {
    this.before?.('rename', to);
    fs.renameSync(from, to);
  }

  public remove(folder: string): void {
    this.before?.('remove', folder);
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
