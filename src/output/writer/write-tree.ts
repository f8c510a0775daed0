import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigTree } from './config-tree.js';
import { checkOutdir, resolveOutdir, type CheckedOutdir } from './outdir.js';
import { renderTree, type RenderTreeOptions, type RenderedFile } from './render.js';
import { ConfigTreeError, WRITER_MARKER_FILE, compareStrings, folderOf } from './tree-path.js';

/** A file system operation of {@link writeTree}, as seen by its test hook. */
export type WriteOperation = 'mkdir' | 'write' | 'link' | 'rename' | 'remove';

/**
 * What the writer does with files in the output folder that it did not write (the marker file lists those it did):
 * `refuse` (stop, list them, write nothing), `keep` (carry them over into the new output, as they are) or `remove`.
 */
export type ForeignFiles = 'refuse' | 'keep' | 'remove';

/** Options of {@link writeTree}. */
export interface WriteTreeOptions extends RenderTreeOptions {
  /**
   * What to do with files in the output folder that the writer did not write, such as a `.sops.yaml` or notes added
   * by hand: `refuse` stops with an error listing them and writes nothing; `keep` carries them over into the new
   * output (a file the tree now writes itself is still refused); `remove` deletes them, listing them in `removed`.
   * @default "refuse"
   */
  readonly foreignFiles?: ForeignFiles;
  /**
   * Files of the tree whose sha256 digest the marker file records, so that a reader can tell the file is the one the
   * writer wrote (synth records its `release.json`, which delivery reads): see {@link recordedDigest}.
   * @default - none
   */
  readonly recordDigests?: readonly string[];
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
  /** Files the writer did not write, carried over with `foreignFiles: 'keep'`. */
  readonly kept: readonly string[];
}

const MARKER_TEXT = 'This folder is written by flux-fleet: every synth replaces all of its content.\n' +
  'Do not keep other files here; change the fleet program and synthesize again.\n';
/** The line of the marker file after which the files the writer wrote are listed, one a line. */
const MARKER_FILES_LINE = 'Files written (a synth stops at any other file it finds here):\n';
/** The line of the marker file after which recorded digests are listed, `<digest> <path>` a line, up to the files. */
const MARKER_DIGESTS_LINE = 'Digests of the files delivery reads (a changed one is refused; synthesize again instead of editing it):\n';

/** The marker file's content: what the folder is, the digests recorded, and the files the writer wrote. */
function markerText(files: readonly string[], digests: ReadonlyMap<string, string>): string {
  const recorded = [...digests].sort(([a], [b]) => compareStrings(a, b)).map(([file, digest]) => `${digest} ${file}\n`).join('');
  return MARKER_TEXT + (recorded ? MARKER_DIGESTS_LINE + recorded : '') + MARKER_FILES_LINE + files.map((f) => `${f}\n`).join('');
}

/** The files a marker file lists; undefined for a marker written before the writer listed its files. */
function recordedFiles(markerPath: string): Set<string> | undefined {
  const text = fs.readFileSync(markerPath, 'utf8');
  const at = text.indexOf(MARKER_FILES_LINE);
  if (at < 0) return undefined;
  return new Set(text.slice(at + MARKER_FILES_LINE.length).split('\n').filter((l) => l !== ''));
}

/**
 * The digest (`sha256:<hex>`) the writer recorded for a file of the folder it wrote, read from its marker file;
 * undefined when the folder has no marker file or the marker records no digest for that file.
 * @param outdir the folder the writer wrote
 * @param file the file's path relative to it, `/`-separated
 */
export function recordedDigest(outdir: string, file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(outdir, WRITER_MARKER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const from = text.indexOf(MARKER_DIGESTS_LINE);
  const to = text.indexOf(MARKER_FILES_LINE);
  if (from < 0 || to < from) return undefined;
  for (const line of text.slice(from + MARKER_DIGESTS_LINE.length, to).split('\n')) {
    const m = /^(sha256:[0-9a-f]{64}) (.+)$/.exec(line);
    if (m && m[2] === file) return m[1];
  }
  return undefined;
}

/**
 * Writes a config tree to `outdir`, all or nothing: the tree is rendered in memory, written to a new sibling folder
 * (files whose content did not change are hard links to the previous output's, so they keep their modification time),
 * then swapped in: the previous output's entries are moved into a folder beside it, and the new folder is renamed
 * over the emptied output folder, which is never missing. If anything fails, `outdir` is left as it was and the
 * sibling folders are removed; a write that was killed is repaired by the next one. When the previous output is
 * exactly the tree (same folders, same files, same bytes), nothing is written at all.
 *
 * The writer owns only what it wrote: its marker file (`.flux-fleet`) lists its files, and files of the previous
 * output that the tree lacks are removed only if it wrote them. Any other file found there stops the write, with the
 * list of them, unless `foreignFiles` says to keep or remove them.
 *
 * Refuses (with the fix in the error) an `outdir` that is the file system root, the home folder, the current git
 * repository's root, or a non-empty folder that the writer did not write (it lacks the marker file). A lock file
 * beside the output folder (`.<name>.flux-fleet-lock`) makes a second writer of the same folder fail with a clear
 * error while the first one runs.
 */
export function writeTree(tree: ConfigTree, outdir: string, options: WriteTreeOptions = {}): WriteTreeResult {
  const fsops = new FileOperations(options.beforeOperation);
  const siblings = new Siblings(resolveOutdir(outdir));
  const files = renderTree(tree, options);
  const release = takeLock(siblings);
  try {
    recoverInterruptedWrite(siblings, fsops);
    return write(files, checkOutdir(outdir), siblings, fsops, options.foreignFiles ?? 'refuse', digestsOf(files, options.recordDigests ?? []));
  } finally {
    release();
  }
}

function write(
  files: RenderedFile[], target: CheckedOutdir, siblings: Siblings, fsops: FileOperations, foreignFiles: ForeignFiles,
  digests: ReadonlyMap<string, string>,
): WriteTreeResult {
  const previous = target.written ? listTree(target.path) : { files: new Set<string>(), folders: new Set<string>() };
  const recorded = target.written ? recordedFiles(path.join(target.path, WRITER_MARKER_FILE)) : undefined;
  const newPaths = new Set(files.map((f) => f.path));
  const foreign = recorded === undefined ? [] : [...previous.files].filter((f) => f !== WRITER_MARKER_FILE && !recorded.has(f)).sort(compareStrings);
  checkForeignFiles(target.path, foreign, newPaths, foreignFiles);
  const keptForeign = foreignFiles === 'keep' ? foreign : [];
  const oldFiles = new Set([...previous.files].filter((f) => !keptForeign.includes(f)));
  const marker: RenderedFile = { path: WRITER_MARKER_FILE, content: Buffer.from(markerText([...newPaths].sort(compareStrings), digests), 'utf8') };
  const folders = foldersOf(files);
  const same = new Map<string, fs.Stats>();
  if (target.written && foreign.length === 0 && isSameTree(marker, files, folders, target, previous, same)) {
    // Nothing to write: the previous output stays as it is, folders included.
    return { outdir: target.path, added: [], changed: [], unchanged: files.map((f) => f.path), removed: [], kept: [] };
  }
  const temp = siblings.newTemp();
  let swap: Swap | undefined;
  try {
    fs.mkdirSync(siblings.parent, { recursive: true });
    fsops.mkdir(temp);
    if (target.mode !== undefined) fs.chmodSync(temp, target.mode);
    placeFile(marker, temp, target, oldFiles, same, fsops);
    const keptAsFiles = keptForeign.map((f) => ({ path: f, content: Buffer.alloc(0) }));
    for (const folder of foldersOf([...files, ...keptAsFiles])) fsops.mkdir(path.join(temp, folder));
    const added: string[] = [];
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const file of files) {
      const outcome = placeFile(file, temp, target, oldFiles, same, fsops);
      (outcome === 'added' ? added : outcome === 'changed' ? changed : unchanged).push(file.path);
    }
    for (const file of keptForeign) fsops.link(path.join(target.path, file), path.join(temp, file), fs.lstatSync(path.join(target.path, file)));
    const removed = [...oldFiles].filter((f) => f !== WRITER_MARKER_FILE && !newPaths.has(f)).sort(compareStrings);

    if (target.exists) {
      swap = new Swap(target.path, siblings.backup, fsops);
      swap.empty();
    }
    fsops.rename(temp, target.path);
    if (swap) swap.done();
    return { outdir: target.path, added, changed, unchanged, removed, kept: keptForeign };
  } catch (e) {
    removeQuietly(temp);
    swap?.undo(e);
    throw e;
  }
}

/** The sha256 digests of the rendered files to record, by path; a path the tree does not write is refused. */
function digestsOf(files: readonly RenderedFile[], paths: readonly string[]): Map<string, string> {
  const digests = new Map<string, string>();
  for (const p of paths) {
    const file = files.find((f) => f.path === p);
    if (!file) throw new ConfigTreeError(`cannot record the digest of ${JSON.stringify(p)}: the tree writes no such file`);
    digests.set(p, `sha256:${createHash('sha256').update(file.content).digest('hex')}`);
  }
  return digests;
}

/** Refuses files the writer did not write, listing them, unless told to keep or remove them. */
function checkForeignFiles(outdir: string, foreign: readonly string[], newPaths: ReadonlySet<string>, mode: ForeignFiles): void {
  const list = (paths: readonly string[]) => paths.slice(0, 20).map((f) => `\n  ${f}`).join('') + (paths.length > 20 ? `\n  ... and ${paths.length - 20} more` : '');
  if (mode === 'keep') {
    const clashing = foreign.filter((f) => newPaths.has(f));
    if (clashing.length > 0) {
      throw new ConfigTreeError(`Refusing to write "${outdir}": the tree writes ${clashing.length === 1 ? 'a file' : 'files'} that flux-fleet did not write ` +
        `there and is told to keep; move ${clashing.length === 1 ? 'it' : 'them'} out of the output folder:${list(clashing)}`);
    }
    return;
  }
  if (mode === 'remove' || foreign.length === 0) return;
  throw new ConfigTreeError(`Refusing to write "${outdir}": it holds ${foreign.length === 1 ? 'a file' : `${foreign.length} files`} that flux-fleet did not write, ` +
    `which a synth would delete:${list(foreign)}\nMove ${foreign.length === 1 ? 'it' : 'them'} out of the output folder (the fleet program can write such files ` +
    'itself), or set foreignFiles to "keep" to carry them over or to "remove" to delete them.');
}

/**
 * The swap of the previous output for the new one, without the output folder ever missing: its entries are moved
 * into the backup folder (the marker file first, so that an output folder without it is known to be half-emptied),
 * then the new folder is renamed over the empty one.
 */
class Swap {
  private readonly moved: string[] = [];

  public constructor(private readonly outdir: string, private readonly backup: string, private readonly fsops: FileOperations) {}

  public empty(): void {
    this.fsops.mkdir(this.backup);
    const entries = fs.readdirSync(this.outdir).sort((a, b) => (a === WRITER_MARKER_FILE ? -1 : b === WRITER_MARKER_FILE ? 1 : compareStrings(a, b)));
    for (const entry of entries) {
      this.fsops.rename(path.join(this.outdir, entry), path.join(this.backup, entry));
      this.moved.push(entry);
    }
  }

  public done(): void {
    try {
      this.fsops.remove(this.backup);
    } catch {
      // The new tree is in place; the next write removes the leftover previous output.
    }
  }

  /** Puts the previous output's entries back; a mount point that cannot be replaced gets an error saying so. */
  public undo(e: unknown): void {
    for (const entry of this.moved.reverse()) {
      try {
        fs.renameSync(path.join(this.backup, entry), path.join(this.outdir, entry));
      } catch {
        // It stays in the backup folder; the next write puts it back.
      }
    }
    if (fs.existsSync(this.backup) && fs.readdirSync(this.backup).length === 0) fs.rmdirSync(this.backup);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBUSY' || code === 'EXDEV') {
      throw new ConfigTreeError(`Cannot replace "${this.outdir}" (${code}): it is probably a mount point, which cannot be renamed; ` +
        'write to a sub-folder of it instead, e.g. "<mount>/dist"', { cause: e });
    }
  }
}

/**
 * Takes the lock file beside the output folder, so that a second writer of the same folder fails with a clear error
 * instead of tripping over the first one's renames. A lock left by a process that is gone is taken over.
 */
function takeLock(siblings: Siblings): () => void {
  fs.mkdirSync(siblings.parent, { recursive: true });
  const owner = `${process.pid}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      createWithContent(siblings.lock, owner);
      return () => {
        try {
          if (fs.readFileSync(siblings.lock, 'utf8') === owner) fs.rmSync(siblings.lock, { force: true });
        } catch {
          // Gone already.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readIfPresent(siblings.lock);
    if (held === undefined && attempt === 0) continue;
    const pid = Number(held?.trim());
    const age = Date.now() - (fs.statSync(siblings.lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    const stale = pid > 0 ? !processAlive(pid) : age > 10_000;
    if (stale && attempt === 0) {
      fs.rmSync(siblings.lock, { force: true });
      continue;
    }
    throw new ConfigTreeError(`Another synth (process ${pid > 0 ? pid : 'unknown'}) is writing "${siblings.outdir}" now: wait for it to finish and synthesize again; ` +
      `if no synth runs, remove the stale lock file "${siblings.lock}"`);
  }
}

/**
 * Creates a file that must not exist yet, with its content in place from the first moment (a hard link to a
 * temporary file), so that another process never reads it empty; where hard links are not possible, `wx`.
 */
function createWithContent(file: string, content: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, content);
  try {
    fs.linkSync(temp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw e;
    fs.writeFileSync(file, content, { flag: 'wx' });
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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

/**
 * The writer's files beside the output folder: the new tree being built, the previous output during the swap, and
 * the lock.
 */
class Siblings {
  public readonly backup: string;
  public readonly lock: string;
  public readonly parent: string;
  private readonly tempPrefix: string;

  public constructor(public readonly outdir: string) {
    this.parent = path.dirname(outdir);
    const name = path.basename(outdir);
    this.backup = path.join(this.parent, `.${name}.flux-fleet-old`);
    this.lock = path.join(this.parent, `.${name}.flux-fleet-lock`);
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
 * Repairs what a killed write left beside the output folder: unfinished new trees (removed) and the previous output
 * moved aside, whole or in part. Its entries are put back when the output folder lacks its marker file (the swap was
 * cut short while emptying it), the folder itself when the output folder is missing; it is removed when the output
 * folder holds the new tree.
 */
function recoverInterruptedWrite(siblings: Siblings, fsops: FileOperations): void {
  for (const stale of siblings.staleTemps()) {
    if (isWriterFolder(stale) || fs.readdirSync(stale).length === 0) fsops.remove(stale);
  }
  const backup = fs.lstatSync(siblings.backup, { throwIfNoEntry: false });
  if (!backup) return;
  const empty = backup.isDirectory() && fs.readdirSync(siblings.backup).length === 0;
  if (!backup.isDirectory() || (!empty && !isWriterFolder(siblings.backup))) {
    throw new ConfigTreeError(`Refusing to write: "${siblings.backup}" is in the way of the writer and was not written by it; remove or rename it`);
  }
  if (!fs.existsSync(siblings.outdir)) {
    fsops.rename(siblings.backup, siblings.outdir);
    return;
  }
  if (!empty && !isWriterFolder(siblings.outdir)) {
    for (const entry of fs.readdirSync(siblings.backup)) {
      if (!fs.existsSync(path.join(siblings.outdir, entry))) fsops.rename(path.join(siblings.backup, entry), path.join(siblings.outdir, entry));
    }
  }
  fsops.remove(siblings.backup);
}

function isWriterFolder(folder: string): boolean {
  return fs.lstatSync(path.join(folder, WRITER_MARKER_FILE), { throwIfNoEntry: false })?.isFile() ?? false;
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
