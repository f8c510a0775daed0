import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../../flux/core/errors.js';
/** The marker file at the root of every folder the writer produces; only folders holding it are ever replaced. */
export const WRITER_MARKER_FILE = '.flux-fleet';

/** File names kustomize reads as a folder's kustomization. */
export const KUSTOMIZATION_FILE_NAMES: ReadonlySet<string> = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** A path or output folder the writer refuses, or a config tree it cannot render or write. The message says the fix. */
export class ConfigTreeError extends FluxFleetError {
  public constructor(message: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.configTree, message, options);
  }
}

/**
 * Checks a path relative to the output folder and returns it normalized (`/`-separated, no `.` or empty segments).
 * Refuses absolute paths, `..` segments, backslashes and the writer's marker file, so nothing lands outside the output.
 */
export function normalizeTreePath(relativePath: string, what: 'file' | 'folder'): string {
  const refuse = (why: string) => new ConfigTreeError(
    `Refusing ${what} path ${JSON.stringify(relativePath)}: ${why}. ` +
    'Use a path relative to the output folder, with "/" separators and no ".." segments, e.g. "clusters/prod-eu-1/apps.yaml".');
  if (typeof relativePath !== 'string') throw refuse('it is not a string');
  if (what === 'file' && relativePath === '') throw refuse('it is empty');
  if (relativePath.includes('\0')) throw refuse('it contains a NUL character');
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(relativePath)) throw refuse('it contains a control character (a line break, a tab...)');
  if (relativePath.includes('\\')) throw refuse('it contains a backslash');
  if (relativePath.startsWith('/') || /^[A-Za-z]:/.test(relativePath)) throw refuse('it is absolute and would be written outside the output folder');
  const segments = relativePath.split('/');
  if (segments.includes('..')) throw refuse('it has a ".." segment that could leave the output folder');
  if (what === 'file' && (segments[segments.length - 1] === '' || segments[segments.length - 1] === '.')) {
    throw refuse('it names a folder, not a file');
  }
  const normalized = segments.filter((s) => s !== '' && s !== '.').join('/');
  if (normalized === WRITER_MARKER_FILE) throw refuse(`"${WRITER_MARKER_FILE}" is reserved for the writer's marker file`);
  return normalized;
}

/** The folder of a normalized tree path: `''` for the root. */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last segment of a normalized tree path. */
export function baseNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Orders strings by UTF-16 code units, independent of the locale, so output order is the same everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
