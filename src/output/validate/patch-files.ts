import { posix } from 'node:path';
import { parse } from 'yaml';
import { isKustomizationFile, isRecord } from './tree.js';

/**
 * The files of a tree that kustomization files use as patches (`patches[].path`, `patchesStrategicMerge`,
 * `patchesJson6902[].path`), relative to the tree root. A patch holds only the fields it changes, so it is not a
 * whole object: the object checks leave these files out, and `kubectl kustomize` checks them where they are applied.
 *
 * @param texts the text of every kustomization file of the tree, by path relative to the root
 */
export function patchFiles(texts: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const [file, text] of texts) {
    if (!isKustomizationFile(file)) continue;
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100 });
    } catch {
      continue; // reported where the tree is read
    }
    if (!isRecord(doc)) continue;
    const folder = posix.dirname(file);
    const add = (path: unknown) => {
      // An inline patch (a multi-line string) or a remote one is not a file of the tree.
      if (typeof path !== 'string' || path.includes('\n') || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return;
      out.add(posix.normalize(posix.join(folder, path)));
    };
    for (const p of Array.isArray(doc.patches) ? doc.patches : []) if (isRecord(p)) add(p.path);
    for (const p of Array.isArray(doc.patchesJson6902) ? doc.patchesJson6902 : []) if (isRecord(p)) add(p.path);
    for (const p of Array.isArray(doc.patchesStrategicMerge) ? doc.patchesStrategicMerge : []) add(p);
  }
  return out;
}
