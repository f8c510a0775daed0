import * as fs from 'node:fs';
import * as path from 'node:path';
import { packArtifact, REPRODUCIBLE_CREATED } from '../flux/artifact/artifact.js';
import { ArchiveError, type ArtifactFile } from '../flux/artifact/tar.js';

/** A folder of the fleet repository, packed as a Flux artifact at synth. */
export interface FolderArtifact {
  /** The artifact's name: its folder in the output (`artifacts/<name>/`) and its repository path in each registry. */
  readonly name: string;
  /** The folder, absolute. */
  readonly folder: string;
  /** Its files, sorted by path, with default modes: exactly what is packed. */
  readonly files: readonly ArtifactFile[];
  /** The digest of the packed manifest, `sha256:<hex>`. */
  readonly digest: string;
}

/** The result of reading and packing a folder: the artifact, or the problems found. */
export type FolderPackResult =
  | { readonly artifact: FolderArtifact; readonly problems?: undefined }
  | { readonly artifact?: undefined; readonly problems: string[] };

/**
 * Reads a folder's regular files and packs them reproducibly, as Flux's `--reproducible` push does: created
 * 1970-01-01T00:00:00Z, no source or revision annotation, modes normalised, so the digest depends on the paths and
 * bytes alone. Symbolic links and special files are refused, naming the path.
 * @param what names the folder in messages, e.g. `folder "./infra"`
 */
export function packFolder(name: string, folder: string, what: string): FolderPackResult {
  const stat = fs.statSync(folder, { throwIfNoEntry: false });
  if (!stat) return { problems: [`${what} does not exist (looked for ${folder}); create it, or fix the path (relative paths start at the fleet's baseDir)`] };
  if (!stat.isDirectory()) return { problems: [`${what} is not a folder (${folder}); give the folder holding the kustomize tree`] };
  const problems: string[] = [];
  const files: ArtifactFile[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full, `${rel}/`);
      } else if (entry.isFile()) {
        files.push({ path: rel, content: fs.readFileSync(full) });
      } else if (entry.isSymbolicLink()) {
        problems.push(`${what} holds a symbolic link, ${rel}; a Flux artifact holds regular files only, so replace the link with the file it points to`);
      } else {
        problems.push(`${what} holds ${rel}, which is not a regular file (a socket, device or pipe); remove it from the folder`);
      }
    }
  };
  walk(folder, '');
  if (problems.length === 0 && files.length === 0) problems.push(`${what} holds no files (${folder}); add the kustomize tree to it`);
  if (problems.length > 0) return { problems };
  files.sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')));
  try {
    const packed = packArtifact(files, { created: REPRODUCIBLE_CREATED });
    return { artifact: { name, folder, files, digest: packed.digest } };
  } catch (e) {
    if (!(e instanceof ArchiveError)) throw e;
    return { problems: [`${what} cannot be packed as a Flux artifact, so rename the file: ${e.message}`] };
  }
}

/** Whether `relative` (e.g. `./controllers`) names a folder holding at least one of the artifact's files. */
export function hasFolder(artifact: FolderArtifact, relative: string): boolean {
  const folder = relative.replace(/^\.\/?/, '').replace(/\/+$/, '');
  if (folder === '') return true;
  return artifact.files.some((f) => f.path.startsWith(`${folder}/`));
}

/** The artifact's top-level folders, as `./<name>`, for messages. */
export function topFolders(artifact: FolderArtifact): string[] {
  return [...new Set(artifact.files.filter((f) => f.path.includes('/')).map((f) => `./${f.path.split('/')[0]}`))];
}
