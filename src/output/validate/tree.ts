import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize } from '../../flux/artifact/digest.js';
import { parseYamlDocuments, YAML_READ_LIMITS, type YamlReadLimits } from '../../flux/core/yaml-reader.js';

/** A Kubernetes object read from a YAML file of the tree. */
export interface TreeObject {
  /** The file, relative to the tree root, with `/` separators. */
  readonly file: string;
  /** The position of its document in the file, from 0. */
  readonly document: number;
  /** The cluster whose folder holds the file (`clusters/<cluster>/...`), if any. */
  readonly cluster?: string;
  /** The object as read. */
  readonly raw: Record<string, unknown>;
  readonly apiVersion: string;
  /** The API group, `''` for the core group. */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /**
   * The namespace the object lands in: a `namespace` set by an enclosing kustomization.yaml (the outermost wins, as
   * kustomize applies it last), else `metadata.namespace`, else `default`. Undefined for cluster-scoped kinds.
   */
  readonly namespace?: string;
  /** `Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds. */
  readonly id: string;
}

/** A problem found while reading the tree. */
export interface TreeProblem {
  readonly file: string;
  readonly document?: number;
  readonly message: string;
}

/** Everything read from a config-repo tree. */
export interface Tree {
  /** Every YAML file, relative to the root, sorted. */
  readonly files: string[];
  /** Folders holding a kustomization file, relative to the root (`.` for the root), sorted. */
  readonly kustomizationFolders: string[];
  /** The cluster folders under `clusters/`, sorted. */
  readonly clusters: string[];
  /** Whether the root holds a `clusters/` folder. */
  readonly hasClustersFolder: boolean;
  /** Every object, in file and document order. */
  readonly objects: TreeObject[];
  /** Files that do not parse, and documents that are not complete objects. */
  readonly problems: TreeProblem[];
}

/** The file names kustomize reads as a folder's kustomization. */
export const KUSTOMIZATION_FILES: readonly string[] = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Kinds that are not namespaced: kustomize and the API server leave them without a namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService', 'PriorityClass', 'RuntimeClass',
  'IngressClass', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
  'CertificateSigningRequest', 'ClusterIssuer',
]);

/**
 * Reads every YAML file below `root` (hidden entries and node_modules left out): the documents of each, which files
 * are kustomizations, and which cluster each object belongs to.
 */
export async function readTree(root: string, limits: YamlReadLimits = {}): Promise<Tree> {
  const { files, kustomizationFolders } = await walk(root);
  const problems: TreeProblem[] = [];
  const texts = new Map<string, string>();
  const maxBytes = limits.maxBytes ?? YAML_READ_LIMITS.maxBytes;
  for (const file of files) {
    const size = (await stat(join(root, file))).size;
    if (size > maxBytes) {
      problems.push({ file, message: `the file is ${formatSize(size)}, more than the ${formatSize(maxBytes)} a YAML file may be, and was not read; split it` });
      texts.set(file, '');
      continue;
    }
    texts.set(file, await readFile(join(root, file), 'utf8'));
  }

  // The namespace each kustomization sets, by folder.
  const folderNamespaces = new Map<string, string>();
  const parsed = new Map<string, unknown[]>();
  for (const file of files) {
    const docs = parseYaml(file, texts.get(file)!, problems, limits);
    parsed.set(file, docs);
    if (isKustomizationFile(file)) {
      const ns = (docs[0] as { namespace?: unknown } | null | undefined)?.namespace;
      if (typeof ns === 'string' && ns !== '') folderNamespaces.set(dirOf(file), ns);
    }
  }

  const objects: TreeObject[] = [];
  for (const file of files) {
    if (isKustomizationFile(file)) continue;
    parsed.get(file)!.forEach((doc, document) => {
      const object = toObject(file, document, doc, folderNamespaces, problems);
      if (object) objects.push(object);
    });
  }

  const clusters = (await subfolders(join(root, 'clusters'))).sort(compare);
  const hasClustersFolder = (await subfolders(root)).includes('clusters');
  return { files, kustomizationFolders, clusters, hasClustersFolder, objects, problems };
}

/** Whether a relative path names a kustomization file. */
export function isKustomizationFile(file: string): boolean {
  return KUSTOMIZATION_FILES.includes(file.slice(file.lastIndexOf('/') + 1));
}

/** The API group of an apiVersion, `''` for the core group. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Plain string comparison, for an order that does not depend on the locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseYaml(file: string, text: string, problems: TreeProblem[], limits: YamlReadLimits): unknown[] {
  const out: unknown[] = [];
  let docs;
  try {
    docs = parseYamlDocuments(text, file, limits);
  } catch (e) {
    problems.push({ file, message: `${(e as Error).message}` });
    return out;
  }
  docs.forEach((doc, document) => {
    if (doc.errors.length > 0) {
      // Only the first error: the parser's later ones mostly follow from it.
      const error = doc.errors[0];
      const where = error.linePos ? ` (line ${error.linePos[0].line}, column ${error.linePos[0].col})` : '';
      const what = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      problems.push({ file, document, message: `YAML does not parse: ${what}${where}; fix the syntax` });
      out.push(undefined);
      return;
    }
    try {
      out.push(doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      problems.push({ file, document, message: `YAML does not parse: ${(e as Error).message}; fix the syntax` });
      out.push(undefined);
    }
  });
  return out;
}

function toObject(
  file: string,
  document: number,
  doc: unknown,
  folderNamespaces: ReadonlyMap<string, string>,
  problems: TreeProblem[],
): TreeObject | undefined {
  if (!isRecord(doc)) return undefined;
  const { apiVersion, kind } = doc;
  // Documents without apiVersion and kind are not objects (values files, generator inputs); kubectl kustomize
  // refuses them where they are listed as resources.
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    problems.push({ file, document, message: `${kind} (document ${document + 1}) has no metadata.name; give the object a name` });
    return undefined;
  }
  let namespace: string | undefined;
  if (!CLUSTER_SCOPED.has(kind)) {
    const own = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
    namespace = kustomizeNamespace(file, folderNamespaces) ?? own ?? 'default';
  }
  const match = /^clusters\/([^/]+)\/./.exec(file);
  return {
    file,
    document,
    cluster: match?.[1],
    raw: doc,
    apiVersion,
    group: groupOf(apiVersion),
    kind,
    name,
    namespace,
    id: namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`,
  };
}

/** The namespace the outermost kustomization above `file` sets, if any. */
function kustomizeNamespace(file: string, folderNamespaces: ReadonlyMap<string, string>): string | undefined {
  let found: string | undefined;
  for (let folder = dirOf(file); ; folder = dirOf(folder)) {
    found = folderNamespaces.get(folder) ?? found;
    if (folder === '.') return found;
  }
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

async function walk(root: string): Promise<{ files: string[]; kustomizationFolders: string[] }> {
  const files: string[] = [];
  const kustomizationFolders: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '.' ? root : join(root, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => compare(a.name, b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = rel === '.' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        await visit(path);
      } else if (entry.isFile()) {
        if (KUSTOMIZATION_FILES.includes(entry.name)) {
          if (!kustomizationFolders.includes(rel)) kustomizationFolders.push(rel);
          files.push(path);
        } else if (/\.ya?ml$/.test(entry.name)) {
          files.push(path);
        }
      }
    }
  };
  await visit('.');
  return { files: files.sort(compare), kustomizationFolders: kustomizationFolders.sort(compare) };
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Whether a value is a plain mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
