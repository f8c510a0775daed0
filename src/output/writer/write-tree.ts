import type { ConfigTree } from './config-tree.js';
import { renderTree } from './render.js';
import { TreeWriter, type WriteTreeOptions, type WriteTreeResult } from './tree-writer.js';

export { recordedDigest, type ForeignFiles, type WriteOperation, type WriteTreeOptions, type WriteTreeResult } from './tree-writer.js';

/**
 * Writes a config tree to `outdir`, all or nothing: the tree is rendered in memory first (an object that cannot be
 * rendered leaves everything untouched), then only new and changed files are written, beside the output folder, and
 * moved in; files of the previous output that the tree lacks are removed. Unchanged files are not touched (same inode,
 * same modification time): when the previous output is exactly the tree, nothing is written at all. Files with the
 * same bytes are written once and hard-linked. If anything fails, `outdir` is left as it was; a write that was killed
 * is finished or cleared by the next one.
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
  const files = renderTree(tree, options);
  const writer = TreeWriter.open(outdir, options);
  try {
    for (const file of files) writer.add(file.path, file.content);
    return writer.commit();
  } finally {
    writer.abort();
  }
}
