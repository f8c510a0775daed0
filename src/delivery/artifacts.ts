import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactFile } from '../flux/artifact/tar.js';
import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../flux/core/errors.js';

/** A tree or fleet that cannot be delivered; the message names the cluster or file and the fix. */
export class DeliveryError extends FluxFleetError {
  public constructor(message: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.delivery, message, options);
  }
}

const EXECUTABLE = 0o755;
const REGULAR = 0o644;

/**
 * The regular files under a folder, relative to it, sorted, with modes 0644 (or 0755 for files with an execute bit)
 * so that the digest does not depend on the checkout's umask. Symbolic links and special files are left out.
 */
export async function readArtifactFiles(root: string): Promise<ArtifactFile[]> {
  const files: ArtifactFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => compare(a.name, b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full, `${prefix}${entry.name}/`);
      } else if (entry.isFile()) {
        const mode = isExecutable((await lstat(full)).mode) ? EXECUTABLE : REGULAR;
        files.push({ path: `${prefix}${entry.name}`, content: await readFile(full), mode });
      }
      // Symbolic links and other special files are left out, as Flux does.
    }
  };
  await walk(root, '');
  return files;
}

/** Whether any of the owner, group or other execute bits is set. */
function isExecutable(mode: number): boolean {
  const perm = mode % 0o1000;
  return [0o100, 0o10, 0o1].some((bit) => Math.floor(perm / bit) % 2 === 1);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
