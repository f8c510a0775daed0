import { deepEqual, diffFields, type FieldChange } from './field-diff.js';
import { compareStrings, compareWaves } from './fleet-picture.js';
import { lineDiff } from './line-diff.js';
import type { TreeSnapshot } from './tree-snapshot.js';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';

/** An object that a cluster gets, loses, or gets in another version. */
export interface ObjectChange {
  /** `added`, `removed` or `changed`. */
  readonly type: 'added' | 'removed' | 'changed';
  /** The API group (`''` for the core group). */
  readonly group: string;
  /** The kind. */
  readonly kind: string;
  /** The namespace. @default - none: cluster-scoped, or a document without a name (then `name` is its file) */
  readonly namespace?: string;
  /** The name; for a document without `metadata.name` (a kustomization.yaml), its file. */
  readonly name: string;
  /** Whether the document has no `metadata.name`, so that it is matched by its file. @default false */
  readonly unnamed?: boolean;
  /** The file, relative to the cluster's folder: the new one, or the old one for a removed object. */
  readonly file: string;
  /** The file the object was in before, when it moved. @default - it did not move */
  readonly movedFrom?: string;
  /** The fields that differ, for a changed object; empty otherwise. */
  readonly fields: readonly FieldChange[];
}

/** A file that changed but holds no objects to compare: YAML that does not parse, or a file of another kind. */
export interface FileChange {
  /** The path relative to the cluster's folder, or to the tree's root for files outside clusters/. */
  readonly path: string;
  /** `added`, `removed` or `changed`. */
  readonly type: 'added' | 'removed' | 'changed';
  /** Why the file is compared as a whole, e.g. that it does not parse. @default - it is not YAML */
  readonly note?: string;
  /**
   * For a file of a folder synth packed (`artifacts/<name>/...`), what changed in it, line by line (`-` old, `+` new,
   * ` ` context, `@@ -<old line> +<new line> @@` before each stretch), or for an added or removed file, its lines.
   * @default - not shown: a file outside `artifacts/`, or one too large to compare line by line
   */
  readonly lines?: readonly string[];
}

/** What changes on one cluster. */
export interface ClusterChange {
  /** The cluster's name (`<fleet>/<cluster>` in a tree of several fleets). */
  readonly name: string;
  /** `added` (a new cluster), `removed` (a cluster that goes away) or `changed`. */
  readonly type: 'added' | 'removed' | 'changed';
  /** Its environment, from its runtime-info ConfigMap. @default - unknown */
  readonly environment?: string;
  /** Its rollout wave. @default - no wave */
  readonly wave?: number;
  /** Its region. @default - unknown */
  readonly region?: string;
  /** The objects added, removed and changed, by file then identity. */
  readonly objects: readonly ObjectChange[];
  /** Files compared as a whole. */
  readonly files: readonly FileChange[];
}

/** How many clusters of one environment and wave change. */
export interface StageSummary {
  /** The environment; `(unknown)` for clusters whose tree does not say. */
  readonly environment: string;
  /** The wave. @default - the environment's clusters without a wave */
  readonly wave?: number;
  /** How many clusters the stage has in either tree. */
  readonly clusters: number;
  /** The names of its clusters that change, sorted. */
  readonly changed: readonly string[];
}

/** The difference between two synthesized trees, cluster by cluster. */
export interface FleetDiff {
  /** Where the old tree was read from. */
  readonly from: string;
  /** Where the new tree was read from. */
  readonly to: string;
  /** How many clusters either tree has. */
  readonly clusters: number;
  /** The clusters that change, sorted by name. */
  readonly changes: readonly ClusterChange[];
  /** Clusters by environment and wave: environments sorted by name, waves ascending, clusters without a wave last. */
  readonly stages: readonly StageSummary[];
  /** Files outside clusters/ that change (FLEET.md, fleet.html...). */
  readonly otherFiles: readonly FileChange[];
  /** Whether anything changes. */
  readonly changed: boolean;
}

/** The ConfigMap whose data say a cluster's environment, region and wave. */
const RUNTIME_INFO = 'flux-runtime-info';
const UNKNOWN_ENVIRONMENT = '(unknown)';
const CLUSTER_FILE = /^((?:[^/]+\/)?)clusters\/([^/]+)\/(.+)$/;

/**
 * Compares two synthesized trees. Files are grouped by cluster (`clusters/<cluster>/...`); within a cluster, objects
 * are matched by API group, kind, namespace and name, wherever their file, and changed objects are compared field by
 * field. Comments (the generated-file header) and the order of keys do not count. A cluster's environment, region and
 * wave come from its `flux-runtime-info` ConfigMap.
 */
export function diffFleetTrees(from: TreeSnapshot, to: TreeSnapshot): FleetDiff {
  const oldSide = splitByCluster(from.files);
  const newSide = splitByCluster(to.files);
  const names = [...new Set([...oldSide.clusters.keys(), ...newSide.clusters.keys()])].sort(compareStrings);
  const changes: ClusterChange[] = [];
  const stages = new Map<string, { environment: string; wave?: number; clusters: number; changed: string[] }>();
  for (const name of names) {
    const before = oldSide.clusters.get(name);
    const after = newSide.clusters.get(name);
    const facts = (after && factsOf(after)) ?? (before && factsOf(before)) ?? {};
    const change = diffCluster(name, before, after, facts);
    const environment = facts.environment ?? UNKNOWN_ENVIRONMENT;
    const key = `${environment}\0${facts.wave ?? ''}`;
    const stage = stages.get(key) ?? { environment, wave: facts.wave, clusters: 0, changed: [] };
    stage.clusters++;
    if (change) {
      changes.push(change);
      stage.changed.push(name);
    }
    stages.set(key, stage);
  }
  const otherFiles = diffOtherFiles(oldSide.other, newSide.other);
  return {
    from: from.label,
    to: to.label,
    clusters: names.length,
    changes,
    stages: [...stages.values()].sort((a, b) => compareStrings(a.environment, b.environment) || compareWaves(a.wave, b.wave)),
    otherFiles,
    changed: changes.length > 0 || otherFiles.length > 0,
  };
}

interface ClusterFacts {
  readonly environment?: string;
  readonly wave?: number;
  readonly region?: string;
}

/** The files of a tree by cluster (paths relative to the cluster's folder), and those outside any cluster. */
function splitByCluster(files: ReadonlyMap<string, string>): { clusters: Map<string, Map<string, string>>; other: Map<string, string> } {
  const clusters = new Map<string, Map<string, string>>();
  const other = new Map<string, string>();
  for (const [path, text] of files) {
    const m = CLUSTER_FILE.exec(path);
    if (!m) {
      other.set(path, text);
      continue;
    }
    const name = `${m[1]}${m[2]}`;
    const cluster = clusters.get(name) ?? new Map<string, string>();
    cluster.set(m[3], text);
    clusters.set(name, cluster);
  }
  return { clusters, other };
}

/** The environment, region and wave in a cluster's runtime-info ConfigMap (the one in flux-system first). */
function factsOf(files: ReadonlyMap<string, string>): ClusterFacts | undefined {
  const candidates = [...files.keys()].filter((f) => isYaml(f) && files.get(f)!.includes('CLUSTER_ENVIRONMENT'))
    .sort((a, b) => Number(b === 'flux-system/flux-system.yaml') - Number(a === 'flux-system/flux-system.yaml') || compareStrings(a, b));
  let found: Record<string, unknown> | undefined;
  for (const file of candidates) {
    const pieces = splitDocuments(files.get(file)!).filter((p) => p.text.includes(RUNTIME_INFO) && p.text.includes('CLUSTER_ENVIRONMENT'));
    for (const doc of pieces.flatMap((p) => parseYaml(p.text).docs)) {
      if (!isRecord(doc) || doc.kind !== 'ConfigMap' || !isRecord(doc.metadata) || doc.metadata.name !== RUNTIME_INFO || !isRecord(doc.data)) continue;
      if (doc.metadata.namespace === 'flux-system' || doc.metadata.namespace === undefined) return factsFrom(doc.data);
      found ??= doc.data;
    }
  }
  return found && factsFrom(found);
}

function factsFrom(data: Record<string, unknown>): ClusterFacts {
  const wave = Number(data.CLUSTER_WAVE);
  return {
    environment: typeof data.CLUSTER_ENVIRONMENT === 'string' ? data.CLUSTER_ENVIRONMENT : undefined,
    region: typeof data.CLUSTER_REGION === 'string' ? data.CLUSTER_REGION : undefined,
    wave: data.CLUSTER_WAVE !== undefined && Number.isInteger(wave) ? wave : undefined,
  };
}

/** An object read from a file, with the identity it is matched by. */
interface Entry {
  readonly key: string;
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly unnamed: boolean;
  readonly file: string;
  readonly value: unknown;
}

function diffCluster(
  name: string,
  before: ReadonlyMap<string, string> | undefined,
  after: ReadonlyMap<string, string> | undefined,
  facts: ClusterFacts,
): ClusterChange | undefined {
  const oldFiles = before ?? new Map<string, string>();
  const newFiles = after ?? new Map<string, string>();
  const paths = [...new Set([...oldFiles.keys(), ...newFiles.keys()])].sort(compareStrings);
  const oldEntries: Entry[] = [];
  const newEntries: Entry[] = [];
  const files: FileChange[] = [];
  for (const path of paths) {
    const a = oldFiles.get(path);
    const b = newFiles.get(path);
    if (a === b) continue;
    const type = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
    if (!isYaml(path)) {
      files.push({ path, type });
      continue;
    }
    // Documents with the same text in both versions of the file are the same objects: only the others are parsed.
    const [pa, pb] = withoutCommonDocuments(a === undefined ? [] : splitDocuments(a), b === undefined ? [] : splitDocuments(b));
    const ea = entriesOfPieces(path, pa);
    const eb = entriesOfPieces(path, pb);
    const broken = eb.error ?? ea.error;
    if (broken) {
      files.push({ path, type, note: `${eb.error ? 'the new' : 'the old'} file does not parse as YAML: ${broken}` });
      continue;
    }
    oldEntries.push(...ea.entries);
    newEntries.push(...eb.entries);
  }
  const objects = matchEntries(oldEntries, newEntries);
  if (objects.length === 0 && files.length === 0) return undefined;
  return {
    name,
    type: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed',
    environment: facts.environment,
    wave: facts.wave,
    region: facts.region,
    objects,
    files,
  };
}

/** A document of a file: its text and its position in the file. */
interface Piece {
  readonly text: string;
  readonly index: number;
  readonly count: number;
}

/**
 * Splits a YAML file into its documents' texts at the `---` lines that start documents (a document marker cannot
 * occur inside a scalar). The text before the first marker (comments, or the first document) is a document too.
 */
function splitDocuments(text: string): Piece[] {
  const starts = [0];
  for (const m of text.matchAll(/^---(?=[ \t\r\n]|$)/gm)) if (m.index > 0) starts.push(m.index);
  const texts = starts.map((start, i) => text.slice(start, starts[i + 1] ?? text.length));
  return texts.map((t, index) => ({ text: t, index, count: texts.length }));
}

/** Both lists without the documents whose text is in both (as many times as it is in both). */
function withoutCommonDocuments(a: readonly Piece[], b: readonly Piece[]): [Piece[], Piece[]] {
  const counts = new Map<string, number>();
  for (const p of a) counts.set(p.text, (counts.get(p.text) ?? 0) + 1);
  const common = new Map<string, number>();
  for (const p of b) {
    const left = (counts.get(p.text) ?? 0) - (common.get(p.text) ?? 0);
    if (left > 0) common.set(p.text, (common.get(p.text) ?? 0) + 1);
  }
  const drop = (list: readonly Piece[]) => {
    const budget = new Map(common);
    return list.filter((p) => {
      const n = budget.get(p.text) ?? 0;
      if (n === 0) return true;
      budget.set(p.text, n - 1);
      return false;
    });
  };
  return [drop(a), drop(b)];
}

function entriesOfPieces(file: string, pieces: readonly Piece[]): { entries: Entry[]; error?: string } {
  const entries: Entry[] = [];
  for (const piece of pieces) {
    const parsed = parseYaml(piece.text);
    if (parsed.error) return { entries, error: parsed.error };
    // A piece is one document, unless the split missed a marker; then its documents share its position.
    for (const doc of parsed.docs) {
      const entry = entryOf(file, doc, piece.count > 1 ? `${file}#${piece.index + 1}` : file);
      if (entry) entries.push(entry);
    }
  }
  return { entries };
}

/** The object of a document, keyed by group, kind, namespace and name (by `unnamed`, its file and position, without a name). */
function entryOf(file: string, doc: unknown, unnamed: string): Entry | undefined {
  if (doc === null || doc === undefined) return undefined;
  const apiVersion = isRecord(doc) && typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
  const kind = isRecord(doc) && typeof doc.kind === 'string' ? doc.kind : 'document';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const metadata = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : {};
  if (typeof metadata.name === 'string' && metadata.name !== '' && apiVersion !== '') {
    const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
    return { key: `${group}|${kind}|${namespace ?? ''}|${metadata.name}`, group, kind, namespace, name: metadata.name, unnamed: false, file, value: doc };
  }
  return { key: `file|${unnamed}`, group, kind, name: unnamed, unnamed: true, file, value: doc };
}

/** Pairs old and new objects by identity (a second object with the same identity is told apart by its rank). */
function matchEntries(oldEntries: readonly Entry[], newEntries: readonly Entry[]): ObjectChange[] {
  const index = (entries: readonly Entry[]) => {
    const map = new Map<string, Entry>();
    for (const e of entries) {
      let key = e.key;
      for (let n = 2; map.has(key); n++) key = `${e.key}#${n}`;
      map.set(key, e);
    }
    return map;
  };
  const olds = index(oldEntries);
  const news = index(newEntries);
  const changes: ObjectChange[] = [];
  const identity = (e: Entry) => ({
    group: e.group,
    kind: e.kind,
    ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
    name: e.name,
    ...(e.unnamed ? { unnamed: true } : {}),
  });
  for (const [key, e] of olds) {
    const n = news.get(key);
    if (!n) {
      changes.push({ type: 'removed', ...identity(e), file: e.file, fields: [] });
    } else if (!deepEqual(e.value, n.value) || e.file !== n.file) {
      const fields = diffFields(e.value, n.value);
      if (fields.length > 0 || e.file !== n.file) {
        changes.push({ type: 'changed', ...identity(n), file: n.file, ...(e.file !== n.file ? { movedFrom: e.file } : {}), fields });
      }
    }
  }
  for (const [key, n] of news) {
    if (!olds.has(key)) changes.push({ type: 'added', ...identity(n), file: n.file, fields: [] });
  }
  return changes.sort((a, b) => compareStrings(a.file, b.file) || compareStrings(objectLabel(a), objectLabel(b)));
}

/** A file of a folder synth packed: `artifacts/<name>/...`, in a fleet's folder or at the root. */
const ARTIFACT_FILE = /^(?:[^/]+\/)?artifacts\/[^/]+\/./;

/**
 * Files outside clusters/: YAML compared by content (comments aside), other files byte for byte. A file of a packed
 * folder (whose change shows in the clusters only as a new `spec.ref.digest`) gets its change line by line.
 */
function diffOtherFiles(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): FileChange[] {
  const changes: FileChange[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort(compareStrings)) {
    const a = before.get(path);
    const b = after.get(path);
    if (a === b) continue;
    if (a !== undefined && b !== undefined && isYaml(path)) {
      const pa = parseYaml(a);
      const pb = parseYaml(b);
      if (!pa.error && !pb.error && deepEqual(pa.docs, pb.docs) && !ARTIFACT_FILE.test(path)) continue;
    }
    const lines = ARTIFACT_FILE.test(path) ? lineDiff(a ?? '', b ?? '') : undefined;
    changes.push({ path, type: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed', ...(lines ? { lines } : {}) });
  }
  return changes;
}

/** How an object is named in a report: `HelmRelease flux-system/podinfo`, or `flux-system/kustomization.yaml (Kustomization)` for an unnamed document. */
export function objectLabel(o: Pick<ObjectChange, 'kind' | 'namespace' | 'name' | 'unnamed'>): string {
  if (o.unnamed) return `${o.name} (${o.kind})`;
  return `${o.kind} ${o.namespace !== undefined ? `${o.namespace}/` : ''}${o.name}`;
}

function parseYaml(text: string): { docs: unknown[]; error?: string } {
  const docs: unknown[] = [];
  let parsed;
  try {
    parsed = parseYamlDocuments(text, 'the file');
  } catch (e) {
    return { docs, error: (e as Error).message };
  }
  for (const doc of parsed) {
    if (doc.errors.length > 0) return { docs, error: doc.errors[0].message.split('\n')[0] };
    try {
      docs.push(doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      return { docs, error: (e as Error).message };
    }
  }
  return { docs };
}

function isYaml(path: string): boolean {
  return /\.ya?ml$/.test(path) || /(^|\/)Kustomization$/.test(path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
