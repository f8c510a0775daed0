import { hash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkOutdir, resolveOutdir, type CheckedOutdir } from './outdir.js';
import { PathTable } from './path-table.js';
import type { RenderTreeOptions } from './render.js';
import { ConfigTreeError, WRITER_MARKER_FILE, compareStrings, folderOf, normalizeTreePath } from './tree-path.js';
import { processAlive } from '../../flux/core/process-alive.js';

/** A file system operation of a write, as seen by its test hook. */
export type WriteOperation = 'mkdir' | 'write' | 'link' | 'rename' | 'remove';

/**
 * What the writer does with files in the output folder that it did not write (the marker file lists those it did):
 * `refuse` (stop, list them, write nothing), `keep` (leave them as they are) or `remove`.
 */
export type ForeignFiles = 'refuse' | 'keep' | 'remove';

/** Options of `writeTree`. */
export interface WriteTreeOptions extends RenderTreeOptions {
  /**
   * What to do with files in the output folder that the writer did not write, such as a `.sops.yaml` or notes added
   * by hand: `refuse` stops with an error listing them and writes nothing; `keep` leaves them as they are (a file the
   * tree now writes itself is still refused); `remove` deletes them, listing them in `removed`.
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

/** What `writeTree` (or a synth) did, as paths relative to the output folder, each list sorted. */
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
  /** Files the writer did not write, left in place with `foreignFiles: 'keep'`. */
  readonly kept: readonly string[];
}

const MARKER_TEXT = 'This folder is written by flux-fleet: every synth replaces all of its content.\n' +
  'Do not keep other files here; change the fleet program and synthesize again.\n';
/** The line of the marker file after which the files the writer wrote are listed, one a line. */
const MARKER_FILES_LINE = 'Files written (a synth stops at any other file it finds here):\n';
/** The line of the marker file after which recorded digests are listed, `<digest> <path>` a line, up to the files. */
const MARKER_DIGESTS_LINE = 'Digests of the files delivery reads (a changed one is refused; synthesize again instead of editing it):\n';
/** In a write's work folder: the files to move in, the files moved out, the plan of the moves, and what it is. */
const NEW = 'new';
const OLD = 'old';
const JOURNAL = 'journal.json';
const WORK_FOLDER_MARK = '.flux-fleet-write';
/** Set on the error of a failed commit: whether every move made was undone. */
const UNDONE = Symbol('undone');

/** The plan of a write's moves, written completely before the first one: a killed write is finished from it. */
interface Journal {
  /**
   * Files moved from the work folder's `new/` into the output folder, the previous file, if any, moved out first: the
   * n-th waits in `new/<n>`.
   */
  readonly moveIn: readonly string[];
  /** Files of the previous output moved out. */
  readonly moveOut: readonly string[];
  /** Folders of the previous output that the tree lacks, removed when empty, deepest first. */
  readonly folders: readonly string[];
}

/**
 * Writes a config tree into an output folder file by file, all or nothing, with memory that does not grow with the
 * files' content: each file added is compared with the previous output's at once, and only a new or changed file is
 * written, into a work folder beside the output folder. Files with the same bytes are written once and hard-linked
 * (where the file system allows), so that a fleet's many identical files cost one file's creation.
 *
 * {@link commit} then moves the new and changed files in (the previous ones out) and removes the files of the previous
 * output that the tree lacks; when the output folder is new or empty, the work folder simply becomes it. Unchanged
 * files are never touched (same inode, same modification time), so a tree written again unchanged costs reading it.
 * If anything fails, or {@link abort} is called, the output folder is left as it was and the work folder removed; the
 * moves are planned in a journal first, so a commit that was killed is finished by the next write.
 *
 * The writer owns only what it wrote: its marker file (`.flux-fleet`) lists its files, and files of the previous
 * output that the tree lacks are removed only if it wrote them. Any other file found there stops the write, with the
 * list of them, unless `foreignFiles` says to keep or remove them.
 *
 * Refuses (with the fix in the error) an output folder that is the file system root, the home folder, the current git
 * repository's root, or a non-empty folder that the writer did not write (it lacks the marker file). A lock file
 * beside the output folder (`.<name>.flux-fleet-lock`) makes a second writer of the same folder fail with a clear
 * error while the first one runs.
 * @internal
 */
export class TreeWriter {
  /**
   * Opens an output folder for writing: takes its lock, finishes or clears what a killed write left, checks the
   * folder and reads its previous output. Throws, holding nothing, when the folder is refused.
   */
  public static open(outdir: string, options: WriteTreeOptions = {}): TreeWriter {
    const fsops = new FileOperations(options.beforeOperation);
    const siblings = new Siblings(resolveOutdir(outdir));
    const unlock = takeLock(siblings);
    try {
      recoverInterruptedWrite(siblings, fsops);
      return new TreeWriter(checkOutdir(outdir), siblings, fsops, options, unlock);
    } catch (e) {
      unlock();
      throw e;
    }
  }

  private readonly previousFolders: ReadonlySet<string>;
  /** Files of the previous output the writer may replace or remove: its own, and foreign ones unless kept. */
  private readonly ownedFiles: ReadonlySet<string>;
  private readonly foreign: readonly string[];
  /** The files added, by number. */
  private readonly paths = new PathTable();
  // Every file added is in exactly one of these three.
  private readonly added: number[] = [];
  private readonly changed: number[] = [];
  private readonly unchanged: number[] = [];
  /**
   * The files written into the work folder's `new/`, in order: for a new output folder, whose tree is built there
   * whole, at their path; for a folder updated in place, side by side, the n-th at `new/<n>`.
   */
  private readonly staged: number[] = [];
  /** A written file (its index in {@link staged}) by the digest of its bytes, to hard-link the next one with those bytes to. */
  private readonly byContent = new Map<string, number>();
  /** The digests the marker records, of the files `recordDigests` names, by path. */
  private readonly digests = new Map<string, string>();
  private readonly toRecord: ReadonlySet<string>;
  private readonly foreignFiles: ForeignFiles;
  private linking = true;
  private work?: string;
  private closed = false;

  private constructor(
    private readonly target: CheckedOutdir,
    private readonly siblings: Siblings,
    private readonly fsops: FileOperations,
    options: WriteTreeOptions,
    private readonly unlock: () => void,
  ) {
    const foreignFiles = this.foreignFiles = options.foreignFiles ?? 'refuse';
    this.toRecord = new Set(options.recordDigests);
    const previous = target.written ? listTree(target.path) : { files: new Set<string>(), folders: new Set<string>() };
    const recorded = target.written ? recordedFiles(path.join(target.path, WRITER_MARKER_FILE)) : undefined;
    this.previousFolders = previous.folders;
    this.foreign = recorded === undefined ? [] : [...previous.files].filter((f) => f !== WRITER_MARKER_FILE && !recorded.has(f)).sort(compareStrings);
    if (foreignFiles === 'refuse' && this.foreign.length > 0) throw refuseForeign(target.path, this.foreign);
    const kept = foreignFiles === 'keep' ? new Set(this.foreign) : new Set<string>();
    this.ownedFiles = new Set([...previous.files].filter((f) => !kept.has(f)));
  }

  /** The output folder, absolute, with symbolic links resolved. */
  public get outdir(): string {
    return this.target.path;
  }

  /**
   * Adds a file of the new tree: compared with the previous output's at once, and written into the work folder only
   * when new or changed. Returns the digest of its bytes ({@link contentDigest}) when it was worked out on the way.
   * @param file the file, relative to the output folder and normalized as a `ConfigTree` does it, e.g.
   *   `clusters/prod-eu-1/podinfo.yaml`
   */
  public add(file: string, content: Buffer): string | undefined {
    this.assertOpen();
    const { id, newFolders } = this.paths.add(file);
    if (this.toRecord.has(file)) this.digests.set(file, `sha256:${hash('sha256', content, 'hex')}`);
    if (!this.ownedFiles.has(file)) {
      this.added.push(id);
    } else if (sameBytes(path.join(this.target.path, file), content)) {
      this.unchanged.push(id);
      return undefined;
    } else {
      this.changed.push(id);
    }
    return this.stage(id, content, newFolders);
  }

  /**
   * Adds a file of the new tree from a file on disk (of another tree the writer wrote, say): like {@link add}, but a
   * new or changed file is hard-linked to `source` rather than written, where the file system allows.
   * @param file the file, relative to the output folder and normalized as a `ConfigTree` does it
   * @param source the file whose bytes it has
   */
  public addFrom(file: string, source: string): void {
    this.assertOpen();
    if (this.ownedFiles.has(file)) {
      this.add(file, fs.readFileSync(source));
      return;
    }
    const { id, newFolders } = this.paths.add(file);
    this.added.push(id);
    const dest = this.stagePath(id, newFolders);
    if (this.linking) {
      try {
        this.fsops.link(source, dest);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS' && code !== 'EMLINK') throw e;
      }
    }
    this.fsops.write(dest, fs.readFileSync(source));
  }

  /**
   * Takes files of the previous output as files of the new tree without their bytes: when each of them is there, a
   * file the writer wrote, with the digest given ({@link contentDigest}), they are added as unchanged and true is
   * returned; else nothing is added (each is then added with its bytes).
   * @param files paths relative to the output folder, with the digest of the bytes each should have
   */
  public keepIfSame(files: ReadonlyArray<readonly [file: string, digest: string]>): boolean {
    this.assertOpen();
    for (const [file, digest] of files) {
      if (normalizeTreePath(file, 'file') !== file || !this.ownedFiles.has(file)) return false;
      let content: Buffer;
      try {
        content = fs.readFileSync(path.join(this.target.path, file));
      } catch {
        return false;
      }
      if (contentDigest(content) !== digest) return false;
    }
    for (const [file] of files) this.unchanged.push(this.paths.add(file).id);
    return true;
  }

  /**
   * Makes the output folder hold exactly the files added (and the foreign files kept), with the marker file listing
   * them, then runs `done` (still holding the lock) and releases the lock. On failure, the output folder is left as it
   * was.
   */
  public commit(done?: () => void): WriteTreeResult {
    this.assertOpen();
    try {
      const result = this.finish();
      done?.();
      return result;
    } finally {
      this.abort();
    }
  }

  /** Drops the files added, leaving the output folder as it was, and releases the lock. Does nothing once closed. */
  public abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.work) removeQuietly(this.work);
    } finally {
      this.unlock();
    }
  }

  private finish(): WriteTreeResult {
    const target = this.target;
    const named = (ids: readonly number[]) => ids.map((id) => this.paths.path(id)).sort(compareStrings);
    const added = named(this.added);
    const changed = named(this.changed);
    const unchanged = named(this.unchanged);
    const paths = [...added, ...changed, ...unchanged].sort(compareStrings);
    const twice = paths.filter((p, i) => i > 0 && paths[i - 1] === p);
    if (twice.length > 0) throw new ConfigTreeError(`Cannot write the tree: it has ${twice.length === 1 ? 'a file' : 'files'} twice; add each file once:${listOf(twice)}`);
    if (this.foreignFiles === 'keep') {
      const foreign = new Set(this.foreign);
      const clashing = paths.filter((f) => foreign.has(f));
      if (clashing.length > 0) {
        throw new ConfigTreeError(`Refusing to write "${target.path}": the tree writes ${clashing.length === 1 ? 'a file' : 'files'} that flux-fleet did not write ` +
          `there and is told to keep; move ${clashing.length === 1 ? 'it' : 'them'} out of the output folder:${listOf(clashing)}`);
      }
    }
    const kept = this.foreignFiles === 'keep' ? this.foreign : [];
    const removed = sortedMinus([...this.ownedFiles].sort(compareStrings), paths).filter((f) => f !== WRITER_MARKER_FILE);
    const unrecorded = [...this.toRecord].filter((f) => !this.digests.has(f));
    if (unrecorded.length > 0) throw new ConfigTreeError(`cannot record the digest of ${JSON.stringify(unrecorded[0])}: the tree writes no such file`);
    const marker = Buffer.from(markerText(paths, this.digests), 'utf8');
    const markerChanged = !target.written || !sameBytes(path.join(target.path, WRITER_MARKER_FILE), marker);
    const inUse = new Set(this.paths.folders());
    for (const file of kept) for (let f = folderOf(file); f !== '' && !inUse.has(f); f = folderOf(f)) inUse.add(f);
    // Deepest first: a folder's path sorts before its children's.
    const emptied = [...this.previousFolders].filter((f) => !inUse.has(f)).sort(compareStrings).reverse();
    const result: WriteTreeResult = {
      outdir: target.path,
      added,
      changed,
      unchanged,
      removed,
      kept: [...kept],
    };
    if (this.staged.length === 0 && removed.length === 0 && !markerChanged && emptied.length === 0) return result;
    if (markerChanged) this.stage(this.paths.add(WRITER_MARKER_FILE).id, marker, []);
    const work = this.workFolder();
    if (!target.written) {
      this.moveWholeTreeIn();
    } else {
      const journal: Journal = { moveIn: this.staged.map((id) => this.paths.path(id)), moveOut: removed, folders: emptied };
      this.fsops.write(path.join(work, `${JOURNAL}.partial`), Buffer.from(JSON.stringify(journal), 'utf8'));
      this.fsops.rename(path.join(work, `${JOURNAL}.partial`), path.join(work, JOURNAL));
      try {
        applyJournal(journal, target.path, work, this.fsops, true);
      } catch (e) {
        // Moves that could not be undone: the work folder and its journal stay, and the next write finishes this one.
        if ((e as { [UNDONE]?: boolean })[UNDONE] === false) this.work = undefined;
        throw e;
      }
    }
    return result;
  }

  /** Into a new or empty output folder: the work folder's new tree becomes it, else its entries are moved in. */
  private moveWholeTreeIn(): void {
    const tree = path.join(this.workFolder(), NEW);
    if (this.target.mode !== undefined) fs.chmodSync(tree, this.target.mode);
    try {
      this.fsops.rename(tree, this.target.path);
      return;
    } catch (e) {
      // An empty folder that cannot be replaced (a mount point) gets the entries instead.
      const code = (e as NodeJS.ErrnoException).code;
      if (!this.target.exists || (code !== 'EBUSY' && code !== 'EXDEV' && code !== 'EPERM')) throw e;
    }
    const moved: string[] = [];
    try {
      for (const entry of fs.readdirSync(tree).sort(compareStrings)) {
        this.fsops.rename(path.join(tree, entry), path.join(this.target.path, entry));
        moved.push(entry);
      }
    } catch (e) {
      for (const entry of moved.reverse()) fs.renameSync(path.join(this.target.path, entry), path.join(tree, entry));
      throw e;
    }
  }

  /** Writes a file into the work folder's new tree, hard-linked to one written before with the same bytes. */
  /** The write's work folder beside the output folder, made on first need. */
  private workFolder(): string {
    if (!this.work) {
      const work = this.siblings.newWork();
      this.fsops.mkdir(work);
      this.work = work;
      fs.writeFileSync(path.join(work, WORK_FOLDER_MARK), '');
      this.fsops.mkdir(path.join(work, NEW));
      this.fsops.mkdir(path.join(work, OLD));
    }
    return this.work;
  }

  /**
   * Where the next file staged goes in the work folder, recording it as staged. For a new output folder, whose tree is
   * built there whole, `folders` (those of the file not seen before) are made there first.
   */
  private stagePath(file: number, folders: readonly string[]): string {
    const tree = path.join(this.workFolder(), NEW);
    if (this.target.written) return path.join(tree, String(this.staged.push(file) - 1));
    for (const folder of folders) this.fsops.mkdir(path.join(tree, folder));
    this.staged.push(file);
    return path.join(tree, this.paths.path(file));
  }

  /** Writes a file into the work folder; returns the digest of its bytes, when worked out to find one to link to. */
  private stage(file: number, content: Buffer, folders: readonly string[]): string | undefined {
    const dest = this.stagePath(file, folders);
    const tree = path.join(this.work!, NEW);
    if (!this.linking) {
      this.fsops.write(dest, content);
      return undefined;
    }
    const digest = contentDigest(content);
    const same = this.byContent.get(digest);
    if (same !== undefined) {
      try {
        this.fsops.link(path.join(tree, this.stagedName(same)), dest);
        return digest;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // EMLINK: that file has as many links as the file system allows; the next ones link to this one.
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS') this.linking = false;
        else if (code !== 'EMLINK') throw e;
      }
    }
    this.byContent.set(digest, this.staged.length - 1);
    this.fsops.write(dest, content);
    return digest;
  }

  /** Where the n-th file staged waits in the work folder's `new/`. */
  private stagedName(n: number): string {
    return this.target.written ? String(n) : this.paths.path(this.staged[n]);
  }

  private assertOpen(): void {
    if (this.closed) throw new ConfigTreeError(`The write of "${this.target.path}" is over; open a new one`);
  }
}

/**
 * Carries out a journal: each file moved out of the output folder into the work folder's `old/` (those replaced and
 * those removed), each new file moved in, then the folders left empty removed. `strict`: a failure undoes every move
 * made and throws; else (finishing a killed write) the files to move out are removed, and each step done already is
 * skipped.
 */
function applyJournal(journal: Journal, outdir: string, work: string, fsops: FileOperations, strict: boolean): void {
  const undo: Array<() => void> = [];
  const move = (from: string, to: string) => {
    fsops.rename(from, to);
    undo.push(() => fs.renameSync(to, from));
  };
  const madeFolders = new Set<string>();
  const makeFolders = (file: string) => {
    const missing: string[] = [];
    for (let f = folderOf(file); f !== '' && !madeFolders.has(f); f = folderOf(f)) {
      if (fs.lstatSync(path.join(outdir, f), { throwIfNoEntry: false })?.isDirectory()) break;
      missing.push(f);
    }
    for (const f of missing.reverse()) {
      fsops.mkdir(path.join(outdir, f));
      madeFolders.add(f);
      undo.push(() => fs.rmdirSync(path.join(outdir, f)));
    }
  };
  let moved = 0;
  const moveOut = (file: string) => {
    const current = path.join(outdir, file);
    if (!fs.lstatSync(current, { throwIfNoEntry: false })) return;
    if (strict) move(current, path.join(work, OLD, String(moved++)));
    else fs.rmSync(current, { force: true });
  };
  try {
    for (const file of journal.moveOut) moveOut(file);
    for (const [n, file] of journal.moveIn.entries()) {
      const staged = path.join(work, NEW, String(n));
      if (!strict && !fs.lstatSync(staged, { throwIfNoEntry: false })) continue;
      moveOut(file);
      makeFolders(file);
      move(staged, path.join(outdir, file));
    }
  } catch (e) {
    if (!strict) throw e;
    let undone = true;
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        undone = false;
        break;
      }
    }
    if (e !== null && typeof e === 'object') Object.defineProperty(e, UNDONE, { value: undone });
    throw e;
  }
  for (const folder of journal.folders) {
    try {
      fs.rmdirSync(path.join(outdir, folder));
    } catch {
      // Not empty (or gone): it stays.
    }
  }
}

/** The digest by which a file's bytes are known without them: 128 bits of their SHA-256, in base64url. @internal */
export function contentDigest(content: Buffer): string {
  return hash('sha256', content, 'base64url').slice(0, 22);
}

/** The strings of sorted `all` that sorted `some` lacks, in order. */
function sortedMinus(all: readonly string[], some: readonly string[]): string[] {
  const out: string[] = [];
  let j = 0;
  for (const s of all) {
    while (j < some.length && compareStrings(some[j], s) < 0) j++;
    if (j >= some.length || some[j] !== s) out.push(s);
  }
  return out;
}

/** Reads `file` and compares it with `content`; false when it is not a regular file with exactly those bytes. */
function sameBytes(file: string, content: Buffer): boolean {
  try {
    return fs.readFileSync(file).equals(content);
  } catch {
    return false;
  }
}

/** The marker file's content: what the folder is, and the files the writer wrote. */
function markerText(files: readonly string[], digests: ReadonlyMap<string, string>): string {
  const recorded = [...digests].sort(([a], [b]) => compareStrings(a, b)).map(([file, digest]) => `${digest} ${file}\n`).join('');
  return MARKER_TEXT + (recorded ? MARKER_DIGESTS_LINE + recorded : '') + MARKER_FILES_LINE + files.map((f) => `${f}\n`).join('');
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
 * The files the writer wrote in a folder, as its marker file lists them: undefined when the folder holds no marker, or
 * one written before the writer listed its files.
 * @internal
 */
export function writtenFiles(folder: string): string[] | undefined {
  const marker = path.join(folder, WRITER_MARKER_FILE);
  if (!fs.lstatSync(marker, { throwIfNoEntry: false })?.isFile()) return undefined;
  const files = recordedFiles(marker);
  return files && [...files];
}

/** The files a marker file lists; undefined for a marker written before the writer listed its files. */
function recordedFiles(markerPath: string): Set<string> | undefined {
  const text = fs.readFileSync(markerPath, 'utf8');
  const at = text.indexOf(MARKER_FILES_LINE);
  if (at < 0) return undefined;
  return new Set(text.slice(at + MARKER_FILES_LINE.length).split('\n').filter((l) => l !== ''));
}

function listOf(paths: readonly string[]): string {
  return paths.slice(0, 20).map((f) => `\n  ${f}`).join('') + (paths.length > 20 ? `\n  ... and ${paths.length - 20} more` : '');
}

function refuseForeign(outdir: string, foreign: readonly string[]): ConfigTreeError {
  return new ConfigTreeError(`Refusing to write "${outdir}": it holds ${foreign.length === 1 ? 'a file' : `${foreign.length} files`} that flux-fleet did not write, ` +
    `which a synth would delete:${listOf(foreign)}\nMove ${foreign.length === 1 ? 'it' : 'them'} out of the output folder (the fleet program can write such files ` +
    'itself), or set foreignFiles to "keep" to carry them over or to "remove" to delete them.');
}

/**
 * Takes the lock file beside the output folder, so that a second writer of the same folder fails with a clear error
 * instead of tripping over the first one's moves. A lock left by a process that is gone is taken over.
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

/** The writer's files beside the output folder: the work folders of writes, the previous output of an old swap, the lock. */
class Siblings {
  /** Where a write of an earlier version moved the previous output aside while swapping in a whole new tree. */
  public readonly backup: string;
  public readonly lock: string;
  public readonly parent: string;
  private readonly workPrefix: string;

  public constructor(public readonly outdir: string) {
    this.parent = path.dirname(outdir);
    const name = path.basename(outdir);
    this.backup = path.join(this.parent, `.${name}.flux-fleet-old`);
    this.lock = path.join(this.parent, `.${name}.flux-fleet-lock`);
    this.workPrefix = `.${name}.flux-fleet-new-`;
  }

  /** A fresh path for a write's work folder, on the output folder's file system. */
  public newWork(): string {
    return path.join(this.parent, this.workPrefix + randomBytes(6).toString('hex'));
  }

  /** Work folders left by writes that were killed. */
  public staleWork(): string[] {
    if (!fs.existsSync(this.parent)) return [];
    return fs.readdirSync(this.parent).filter((n) => n.startsWith(this.workPrefix)).map((n) => path.join(this.parent, n)).sort(compareStrings);
  }
}

/**
 * Repairs what a killed write left beside the output folder. A work folder whose journal is complete was killed while
 * moving files: its moves are finished. Any other work folder (or new tree of an earlier version) is removed. The
 * previous output that an earlier version moved aside while swapping, whole or in part, is put back.
 */
function recoverInterruptedWrite(siblings: Siblings, fsops: FileOperations): void {
  for (const stale of siblings.staleWork()) {
    const journal = readIfPresent(path.join(stale, JOURNAL));
    if (journal !== undefined && fs.existsSync(siblings.outdir)) {
      applyJournal(JSON.parse(journal) as Journal, siblings.outdir, stale, fsops, false);
      fsops.remove(stale);
    } else if (fs.existsSync(path.join(stale, WORK_FOLDER_MARK)) || isWriterFolder(stale) || fs.readdirSync(stale).length === 0) {
      fsops.remove(stale);
    }
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

  public link(source: string, dest: string): void {
    this.before?.('link', dest);
    fs.linkSync(source, dest);
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
