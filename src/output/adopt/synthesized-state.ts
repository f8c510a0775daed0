import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { ClusterState, fluxInstanceSyncObjects, inNamespace, keyLabel, objectKey, StateObject, stateObject } from './cluster-state.js';
import { folderObjects } from './folder-content.js';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';
import { readReleaseManifest } from '../release-manifest.js';
import { TreeSnapshotError } from '../review/tree-snapshot.js';
import { isKustomizationFile } from '../validate/tree.js';

const SYNC = objectKey('kustomize.toolkit.fluxcd.io', 'Kustomization', 'flux-system', 'flux-system');

/**
 * What a synthesized cluster will apply: the objects of `clusters/<cluster>/` (which its sync Kustomization applies;
 * a Helm component's `components/<name>/`, which the component's Kustomization applies), the sync objects its
 * FluxInstance generates, and the content of each folder synth packed that a Kustomization applies
 * (`artifacts/<name>/<path>`), built with `kubectl kustomize`.
 */
export async function readSynthesizedState(dir: string, cluster: string): Promise<ClusterState> {
  const folder = join(dir, 'clusters', cluster);
  if (!existsSync(folder)) throw new TreeSnapshotError(`${dir} has no clusters/${cluster}/; give the folder synth writes and one of its clusters`);
  const objects = new Map<string, StateObject>();
  const notes: string[] = [];
  const byFolder = new Map<string, string[]>();
  for (const file of yamlFiles(folder, '')) {
    if (isKustomizationFile(file)) continue;
    const component = /^components\/([^/]+)\//.exec(file)?.[1];
    for (const doc of parseYamlDocuments(readFileSync(join(folder, file), 'utf8'), file)) {
      const o = stateObject(doc.toJS({ maxAliasCount: 100 }));
      if (!o) continue;
      objects.set(o.key, o);
      const where = component !== undefined ? `./components/${component}` : '.';
      byFolder.set(where, [...(byFolder.get(where) ?? []), o.key]);
    }
  }
  // Owners: a Kustomization applying ./components/<name> owns that folder's objects; the sync owns the rest.
  const applying = (path: string) => [...objects.values()].find((o) => o.kind === 'Kustomization' && normalizedPath(o) === path && o.key !== SYNC);
  for (const [where, keys] of byFolder) {
    const owner = where === '.' ? SYNC : applying(normalize(where))?.key ?? SYNC;
    for (const key of keys) objects.set(key, { ...objects.get(key)!, owner });
    const o = objects.get(owner);
    if (o) objects.set(owner, { ...o, manages: [...(o.manages ?? []), ...keys] });
  }
  for (const instance of [...objects.values()].filter((o) => o.kind === 'FluxInstance')) {
    for (const generated of fluxInstanceSyncObjects(instance)) {
      if (!objects.has(generated.key)) objects.set(generated.key, { ...generated, manages: byFolder.get('.') });
    }
  }
  // The folders synth packed, pinned by digest: what each Kustomization reading one applies.
  const release = await readReleaseManifest(dir).catch(() => undefined);
  for (const k of [...objects.values()].filter((o) => o.kind === 'Kustomization')) {
    const sourceRef = (k.raw.spec as { sourceRef?: { kind?: string; name?: string } } | undefined)?.sourceRef;
    const source = objects.get(objectKey('source.toolkit.fluxcd.io', sourceRef?.kind ?? '', k.namespace, sourceRef?.name ?? ''));
    const digest = (source?.raw.spec as { ref?: { digest?: string } } | undefined)?.ref?.digest;
    const artifact = release?.artifacts.find((a) => a.digest === digest);
    if (!artifact) continue;
    const substitute = (k.raw.spec as { postBuild?: { substitute?: Record<string, string> } }).postBuild?.substitute ?? {};
    const built = await folderObjects(join(dir, artifact.folder, normalizedPath(k)), substitute);
    if ('error' in built) {
      notes.push(`${keyLabel(k.key)}: ${built.error}`);
      continue;
    }
    const targetNamespace = (k.raw.spec as { targetNamespace?: string }).targetNamespace;
    const keys: string[] = [];
    for (const doc of built.docs) {
      const o = stateObject(inNamespace(doc, targetNamespace), { owner: k.key });
      if (!o || objects.has(o.key)) continue;
      objects.set(o.key, o);
      keys.push(o.key);
    }
    objects.set(k.key, { ...objects.get(k.key)!, manages: keys });
  }
  return { label: `clusters/${cluster} of ${dir}`, objects: [...objects.values()], notes };
}

function normalizedPath(k: StateObject): string {
  return normalize((k.raw.spec as { path?: string } | undefined)?.path ?? '.');
}

function yamlFiles(root: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...yamlFiles(root, rel));
    else if (/\.ya?ml$/.test(entry.name)) out.push(rel);
  }
  return out;
}
