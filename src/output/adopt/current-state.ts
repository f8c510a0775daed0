import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import {
  ClusterState, fluxInstanceSyncObjects, inNamespace, inventoryOf, keyLabel, objectKey, ownerFromLabels, StateObject, stateObject,
} from './cluster-state.js';
import { folderObjects } from './folder-content.js';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';
import { TreeSnapshotError } from '../review/tree-snapshot.js';

/** The sync Kustomization `flux bootstrap` and the Flux Operator create: it applies the cluster's folder. */
const SYNC = objectKey('kustomize.toolkit.fluxcd.io', 'Kustomization', 'flux-system', 'flux-system');

/**
 * What runs on a cluster now, as exported from it: YAML files of objects (`kubectl get kustomizations,helmreleases,...
 * -A -o yaml` lists, or `flux export` documents). Each object's owner comes from Flux's labels on it, and each owner's
 * inventory from its `status.inventory` (present in `kubectl get -o yaml`, not in `flux export`).
 */
export function readExportedState(files: readonly string[]): ClusterState {
  const objects = new Map<string, StateObject>();
  for (const file of files) {
    for (const doc of parseYamlDocuments(readFileSync(file, 'utf8'), file)) {
      if (doc.errors.length > 0) throw new TreeSnapshotError(`${file} does not parse as YAML: ${doc.errors[0].message.split('\n')[0]}`);
      const value = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; items?: unknown[] } | null;
      const items = value !== null && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items) ? value.items : [value];
      for (const raw of items) {
        const o = stateObject(raw, { owner: ownerFromLabels(raw as Record<string, unknown>), manages: inventoryOf(raw as Record<string, unknown>) });
        if (o) objects.set(o.key, o);
      }
    }
  }
  const notes: string[] = [];
  // `flux export` leaves out the labels Flux sets on what it applies: every object is then taken as the sync's.
  if (objects.size > 0 && [...objects.values()].every((o) => o.owner === undefined && o.manages === undefined)) {
    notes.push('the export carries no Flux ownership labels or inventories (flux export leaves them out): every object is taken as applied by the flux-system sync; export with kubectl get -o yaml to see which owner applies what');
    for (const [key, o] of objects) if (key !== SYNC) objects.set(key, { ...o, owner: SYNC });
  }
  for (const instance of [...objects.values()].filter((o) => o.kind === 'FluxInstance')) {
    for (const generated of fluxInstanceSyncObjects(instance)) if (!objects.has(generated.key)) objects.set(generated.key, generated);
  }
  return { label: files.join(', '), objects: [...objects.values()], notes };
}

/**
 * What a repository drives on a cluster: the objects of the cluster's folder (`clusterPath`, built as its sync
 * Kustomization builds it), then, Kustomization by Kustomization, the content each applies when it comes from the same
 * repository (a GitRepository, or an ExternalArtifact an ArtifactGenerator makes of it), with its postBuild
 * substitution and target namespace. What comes from elsewhere (an OCI artifact, a ResourceSet's templates) is noted.
 */
export async function readRepositoryState(root: string, clusterPath: string): Promise<ClusterState> {
  const objects = new Map<string, StateObject>();
  const notes: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'flux-fleet-adopt-'));
  try {
    const add = (docs: unknown[], owner: string, targetNamespace?: string): string[] => {
      const keys: string[] = [];
      for (const doc of docs) {
        const o = stateObject(inNamespace(doc, targetNamespace), { owner });
        if (!o) continue;
        objects.set(o.key, objects.get(o.key)?.manages ? { ...o, manages: objects.get(o.key)!.manages } : o);
        keys.push(o.key);
      }
      return keys;
    };
    const top = await folderObjects(resolve(root, clusterPath));
    if ('error' in top) throw new TreeSnapshotError(`cannot read ${clusterPath} of ${root}: ${top.error}`);
    const synced = add(top.docs, SYNC);
    for (const instance of [...objects.values()].filter((o) => o.kind === 'FluxInstance')) {
      for (const generated of fluxInstanceSyncObjects(instance)) if (!objects.has(generated.key)) objects.set(generated.key, generated);
    }
    setManages(objects, SYNC, synced);

    const done = new Set<string>();
    for (let next = pendingKustomizations(objects, done); next.length > 0; next = pendingKustomizations(objects, done)) {
      for (const k of next) {
        done.add(k.key);
        if (k.key === SYNC) continue;
        const spec = (k.raw.spec ?? {}) as KustomizationSpec;
        const content = contentFolder(root, k, spec, objects, work, done.size);
        if ('note' in content) {
          notes.push(content.note);
          continue;
        }
        const built = await folderObjects(content.dir, substitutionsOf(k, spec, objects));
        if ('error' in built) {
          notes.push(`${keyLabel(k.key)}: ${built.error}`);
          continue;
        }
        setManages(objects, k.key, add(built.docs, k.key, spec.targetNamespace));
      }
    }
    for (const r of [...objects.values()].filter((o) => o.kind === 'ResourceSet')) {
      notes.push(`${keyLabel(r.key)}: the objects its templates create are not read from a folder; export them from the cluster (kubectl get ... -o yaml) to compare them`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { label: `${clusterPath} of ${root}`, objects: [...objects.values()], notes };
}

interface KustomizationSpec {
  readonly sourceRef?: { readonly kind?: string; readonly name?: string; readonly namespace?: string };
  readonly path?: string;
  readonly targetNamespace?: string;
  readonly postBuild?: {
    readonly substitute?: Record<string, string>;
    readonly substituteFrom?: ReadonlyArray<{ readonly kind?: string; readonly name?: string }>;
  };
}

function pendingKustomizations(objects: ReadonlyMap<string, StateObject>, done: ReadonlySet<string>): StateObject[] {
  return [...objects.values()].filter((o) => o.kind === 'Kustomization' && o.group === 'kustomize.toolkit.fluxcd.io' && !done.has(o.key));
}

function setManages(objects: Map<string, StateObject>, key: string, manages: string[]): void {
  const o = objects.get(key);
  if (o) objects.set(key, { ...o, manages: [...new Set([...(o.manages ?? []), ...manages])] });
}

/** The variables a Kustomization substitutes: `postBuild.substitute`, over the ConfigMaps of `substituteFrom` read so far. */
function substitutionsOf(k: StateObject, spec: KustomizationSpec, objects: ReadonlyMap<string, StateObject>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const from of spec.postBuild?.substituteFrom ?? []) {
    if (from.kind !== 'ConfigMap' || from.name === undefined) continue;
    const data = objects.get(objectKey('', 'ConfigMap', k.namespace, from.name))?.raw.data;
    if (data && typeof data === 'object') Object.assign(vars, data);
  }
  return { ...vars, ...spec.postBuild?.substitute };
}

/**
 * The folder a Kustomization applies, when its source is the repository read: a GitRepository's path, or the folder
 * an ArtifactGenerator copies for an ExternalArtifact (laid out in `work`); a note saying why not otherwise.
 */
function contentFolder(
  root: string,
  k: StateObject,
  spec: KustomizationSpec,
  objects: ReadonlyMap<string, StateObject>,
  work: string,
  n: number,
): { dir: string } | { note: string } {
  const ref = spec.sourceRef;
  const path = normalize(spec.path ?? './');
  if (path.startsWith('..')) return { note: `${keyLabel(k.key)}: its path ${JSON.stringify(spec.path)} leaves the artifact; not read` };
  if (ref?.kind === 'GitRepository') return { dir: join(root, path) };
  if (ref?.kind === 'ExternalArtifact' && ref.name !== undefined) {
    const generator = [...objects.values()].find((o) => o.kind === 'ArtifactGenerator'
      && ((o.raw.spec as { artifacts?: Array<{ name?: unknown }> } | undefined)?.artifacts ?? []).some((a) => a.name === ref.name));
    if (!generator) return { note: `${keyLabel(k.key)}: no ArtifactGenerator of the folder makes ExternalArtifact ${ref.name}; its content is not read` };
    const dir = join(work, `artifact-${n}`);
    const problem = layOutArtifact(root, generator, ref.name, dir);
    return problem !== undefined ? { note: `${keyLabel(k.key)}: ${problem}` } : { dir: join(dir, path) };
  }
  return { note: `${keyLabel(k.key)}: its content comes from ${ref?.kind ?? 'an unnamed source'} ${ref?.name ?? ''}, outside the folder read; export what it applies from the cluster to compare it`.replace(/ ,/, ',') };
}

/**
 * Lays out an ExternalArtifact as an ArtifactGenerator makes it from the repository: each copy's `from` (`@alias/dir/**`,
 * `@alias/dir/*`, or one file) into its `to` (`@artifact/dest/`). Returns why it cannot, or undefined.
 */
function layOutArtifact(root: string, generator: StateObject, artifact: string, dir: string): string | undefined {
  const spec = generator.raw.spec as { artifacts?: Array<{ name?: string; copy?: Array<{ from?: string; to?: string }> }> };
  const copies = spec.artifacts?.find((a) => a.name === artifact)?.copy ?? [];
  mkdirSync(dir, { recursive: true });
  for (const c of copies) {
    const from = /^@[^/]+\/(.*)$/.exec(c.from ?? '')?.[1];
    const to = /^@artifact\/?(.*)$/.exec(c.to ?? '')?.[1];
    if (from === undefined || to === undefined) return `ArtifactGenerator ${generator.name}: copy ${JSON.stringify(c)} is not "@<alias>/<path>" to "@artifact/<path>"`;
    const target = join(dir, normalize(to));
    if (from.endsWith('/**') || from.endsWith('/*')) {
      const source = join(root, normalize(from.replace(/\/\*\*?$/, '')));
      if (!existsSync(source)) continue;
      mkdirSync(target, { recursive: true });
      for (const entry of readdirSync(source, { withFileTypes: true })) {
        if (from.endsWith('/*') && !entry.isFile()) continue;
        cpSync(join(source, entry.name), join(target, entry.name), { recursive: true });
      }
    } else if (/[*?[]/.test(from)) {
      return `ArtifactGenerator ${generator.name}: the pattern ${JSON.stringify(c.from)} is not read (only "<dir>/**", "<dir>/*" and single files are)`;
    } else if (existsSync(join(root, from))) {
      const file = join(root, normalize(from));
      const dest = (c.to ?? '').endsWith('/') || (existsSync(target) && statSync(target).isDirectory()) ? join(target, file.slice(dirname(file).length + 1)) : target;
      mkdirSync(dirname(dest), { recursive: true });
      cpSync(file, dest, { recursive: true });
    }
  }
  return undefined;
}
