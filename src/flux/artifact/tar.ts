import { gunzipSync, gzipSync } from 'node:zlib';
import { ERROR_CODES, FluxFleetError } from '../core/errors.js';

/** A regular file of an artifact. */
export interface ArtifactFile {
  /** The path inside the artifact, relative, with `/` separators, e.g. `flux-system/kustomization.yaml`. */
  readonly path: string;
  /** The file's bytes. */
  readonly content: Buffer;
  /** The permission bits. @default 0o644 */
  readonly mode?: number;
}

/** A tarball or gzip stream that cannot be written or read; the message names the entry and the fix. */
export class ArchiveError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.archive, message);
  }
}

/** Bounds on what reading an archive may expand to: a small gzip stream can hold gigabytes of zeros. */
export interface UnpackLimits {
  /** The largest uncompressed tarball read; gzip stops there. @default 256 MiB */
  readonly maxTotalSize?: number;
  /** The largest file in it. @default 64 MiB */
  readonly maxEntrySize?: number;
  /** The most entries in it. @default 100000 */
  readonly maxEntries?: number;
}

/** The limits applied when none are given. */
export const UNPACK_LIMITS = {
  maxTotalSize: 256 * 1024 * 1024,
  maxEntrySize: 64 * 1024 * 1024,
  maxEntries: 100_000,
} as const;

const BLOCK = 512;
const DEFAULT_MODE = 0o644;

/**
 * Checks a path inside an artifact and returns it unchanged: relative, `/`-separated, without empty, `.` or `..`
 * segments, backslashes or NUL characters, so that extracting it can never leave the target folder.
 */
export function checkArtifactPath(path: string): string {
  const refuse = (why: string) => new ArchiveError(`artifact path ${JSON.stringify(path)} ${why}; use a relative path with "/" separators, e.g. "flux-system/kustomization.yaml"`);
  if (typeof path !== 'string' || path === '') throw refuse('is empty');
  if (path.includes('\0')) throw refuse('contains a NUL character');
  if (path.includes('\\')) throw refuse('contains a backslash');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw refuse('is absolute');
  const segments = path.split('/');
  if (segments.includes('..')) throw refuse('has a ".." segment');
  if (segments.some((s) => s === '' || s === '.')) throw refuse('has an empty or "." segment');
  return path;
}

/**
 * Writes a deterministic ustar tarball of regular files: entries sorted by path (bytewise on UTF-8), modification
 * time 0, uid and gid 0, no user or group names, each file's mode kept (0644 by default), and the two zero blocks
 * that end an archive. The same files always give the same bytes.
 */
export function writeTar(files: readonly ArtifactFile[]): Buffer {
  const sorted = [...files].map((f) => ({ ...f, path: checkArtifactPath(f.path) }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')));
  const chunks: Buffer[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const file = sorted[i];
    if (i > 0 && sorted[i - 1].path === file.path) throw new ArchiveError(`artifact path ${JSON.stringify(file.path)} is given twice; give each file once`);
    chunks.push(header(file));
    chunks.push(file.content);
    const pad = (BLOCK - (file.content.length % BLOCK)) % BLOCK;
    if (pad > 0) chunks.push(Buffer.alloc(pad));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}

function header(file: ArtifactFile): Buffer {
  const h = Buffer.alloc(BLOCK);
  const [prefix, name] = splitName(file.path);
  const mode = file.mode ?? DEFAULT_MODE;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new ArchiveError(`artifact file ${JSON.stringify(file.path)} has mode ${String(mode)}, which is not a permission mode; use e.g. 0o644`);
  }
  if (file.content.length > 0o77777777777) throw new ArchiveError(`artifact file ${JSON.stringify(file.path)} is larger than a ustar entry holds (8 GiB)`);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, file.content.length);
  octal(h, 136, 12, 0); // mtime
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces
  h.write('0', 156, 1, 'ascii'); // regular file
  h.write('ustar\u000000', 257, 8, 'ascii');
  // uname, gname, devmajor and devminor stay empty.
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'ascii');
  return h;
}

/** Writes a zero-padded octal number ending in NUL into a header field. */
function octal(h: Buffer, offset: number, length: number, value: number): void {
  h.write(value.toString(8).padStart(length - 1, '0') + '\u0000', offset, length, 'ascii');
}

/** Splits a path into ustar's prefix (at most 155 bytes) and name (at most 100 bytes) at a `/`. */
function splitName(path: string): [string, string] {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes <= 100) return ['', path];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix, 'utf8') <= 155 && Buffer.byteLength(name, 'utf8') <= 100 && name !== '') return [prefix, name];
  }
  throw new ArchiveError(`artifact path ${JSON.stringify(path)} is too long for a ustar entry (at most 100 bytes of file name and 155 of folders); shorten it`);
}

/** An entry read from a tarball. */
export interface TarEntry extends ArtifactFile {
  /** `file`, `directory`, or `other` (links, devices: never extracted). */
  readonly type: 'file' | 'directory' | 'other';
}

/**
 * Reads a tarball (ustar, with the PAX and GNU long-name extensions other tools write) and returns its entries in
 * order; paths lose a leading `./`. Throws on a truncated or corrupt archive.
 */
export function readTar(tar: Buffer, limits: UnpackLimits = {}): TarEntry[] {
  const maxEntry = limits.maxEntrySize ?? UNPACK_LIMITS.maxEntrySize;
  const maxEntries = limits.maxEntries ?? UNPACK_LIMITS.maxEntries;
  let headers = 0;
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (offset + BLOCK <= tar.length) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!checksumMatches(h)) throw new ArchiveError(`corrupt tarball: the header at byte ${offset} has a wrong checksum`);
    const size = pax.size !== undefined ? Number(pax.size) : readNumber(h, 124, 12);
    const type = String.fromCharCode(h[156]);
    if (!Number.isSafeInteger(size) || size < 0) throw new ArchiveError(`corrupt tarball: the header at byte ${offset} gives no valid size`);
    if (size > maxEntry) {
      throw new ArchiveError(`the tarball's entry at byte ${offset} is ${formatBytes(size)}, more than the limit of ${formatBytes(maxEntry)} per file; raise maxEntrySize if it is expected`);
    }
    if (++headers > maxEntries) throw new ArchiveError(`the tarball has more than ${maxEntries} entries, the limit; raise maxEntries if it is expected`);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw new ArchiveError(`truncated tarball: an entry at byte ${offset} needs ${size} bytes that are missing`);
    const data = tar.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pax = { ...pax, ...parsePax(data) };
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    let name = readString(h, 0, 100);
    const magic = h.toString('ascii', 257, 262);
    if (magic === 'ustar') {
      const prefix = readString(h, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    name = pax.path ?? longName ?? name;
    const mode = readNumber(h, 100, 8) % 0o10000;
    longName = undefined;
    pax = {};
    const path = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (path === '' || path === '.') continue;
    const kind = type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : 'other';
    entries.push({ path, mode, content: kind === 'file' ? Buffer.from(data) : Buffer.alloc(0), type: kind });
  }
  return entries;
}

function checksumMatches(h: Buffer): boolean {
  const stored = readNumber(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === stored;
}

function readString(h: Buffer, offset: number, length: number): string {
  const field = h.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? length : end);
}

function readNumber(h: Buffer, offset: number, length: number): number {
  if (h[offset] >= 0x80) {
    // GNU base-256 for large values.
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + h[i];
    return value;
  }
  const text = readString(h, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const length = parseInt(data.toString('ascii', i, space), 10);
    if (!(length > 0)) break;
    const record = data.toString('utf8', space + 1, i + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    i += length;
  }
  return records;
}

/**
 * Compresses with gzip, deterministically: no file name, modification time 0 and the "unknown" OS byte (255), so the
 * header does not depend on the platform that wrote it (zlib writes the OS it runs on).
 */
export function gzipDeterministic(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 9 });
  // Header: ID1 ID2 CM FLG MTIME(4) XFL OS. zlib sets no FLG bits (so no name or comment) and MTIME 0.
  if (gz[0] !== 0x1f || gz[1] !== 0x8b || gz[3] !== 0) throw new ArchiveError('zlib wrote an unexpected gzip header');
  gz.writeUInt32LE(0, 4);
  gz[9] = 0xff;
  return gz;
}

/**
 * Decompresses gzip, stopping at `maxSize` bytes of output; throws an ArchiveError naming what was being read when it
 * is not gzip or expands beyond the limit.
 * @param maxSize the most bytes it may expand to @default 256 MiB
 */
export function gunzip(data: Buffer, what: string, maxSize: number = UNPACK_LIMITS.maxTotalSize): Buffer {
  if (data.length < 2 || data[0] !== 0x1f || data[1] !== 0x8b) throw new ArchiveError(`${what} is not gzip-compressed`);
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, maxSize) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ArchiveError(`${what} expands to more than ${formatBytes(maxSize)} (${formatBytes(data.length)} compressed), the limit; raise maxTotalSize if it is expected`);
    }
    throw new ArchiveError(`${what} is corrupt: ${(e as Error).message}`);
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}
