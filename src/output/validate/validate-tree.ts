import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { clusterFluxMinors } from './flux-minor.js';
import { buildFolders, DEFAULT_BUILD_TIMEOUT_MS } from './kustomize-build.js';
import { checkObject } from './object-rules.js';
import { patchFiles } from './patch-files.js';
import { checkCluster } from './references.js';
import { ValidationFinding, ValidationReport } from './report.js';
import { compare, isKustomizationFile, KUSTOMIZATION_FILES, readTree, TreeObject } from './tree.js';
import { readReleaseManifest, RELEASE_MANIFEST_FILE, ReleaseManifestError } from '../release-manifest.js';
import { TreeSnapshotError } from '../review/tree-snapshot.js';

/** Options of {@link validateTree}. */
export interface ValidateTreeOptions {
  /**
   * Build every folder that has a kustomization.yaml with `kubectl kustomize`.
   * @default true
   */
  readonly build?: boolean;
  /**
   * The kubectl command to build with: a name looked up on PATH, or a path.
   * @default "kubectl"
   */
  readonly kubectl?: string;
  /**
   * How many builds run at once.
   * @default 2
   */
  readonly buildConcurrency?: number;
  /**
   * How long one build may take, in milliseconds.
   * @default 60000
   */
  readonly buildTimeoutMs?: number;
  /**
   * The address space one kubectl build may use, in bytes; a build that needs more is stopped and reported.
   * @default 2 GiB
   */
  readonly buildMemoryBytes?: number;
  /**
   * Build kustomizations that name remote resources (URLs, git repositories), letting kubectl fetch them. Without
   * it, such a kustomization is reported and not built: validate reads nothing from the network.
   * @default false
   */
  readonly allowRemoteResources?: boolean;
  /**
   * The largest YAML file read, in bytes; a larger one is reported and not parsed.
   * @default 16 MiB
   */
  readonly maxFileBytes?: number;
}

/**
 * Checks a config-repo tree (synthesized or hand-written) and gathers every problem into one report:
 *
 * 1. every YAML file parses, and every Flux object matches the schema of its kind at an API version served by the
 *    Flux minor its cluster runs: the one its FluxInstance's `spec.distribution.version` asks for (2.9 or 2.10), or
 *    Flux 2.9 for a cluster without a FluxInstance;
 * 2. field values follow the rules Flux's controllers enforce (Go durations, `oci://` URLs without tag or digest,
 *    relative paths without `..`, substitution variable names, Kustomization names of at most 63 characters), no
 *    registry is reached over plain HTTP without the `flux-fleet.io/allow-insecure: "true"` annotation, and no
 *    Secret is committed unencrypted (a Secret with data must be SOPS-encrypted);
 * 3. within each cluster (`clusters/<cluster>/` and everything below it), every reference resolves to an object of
 *    the right kind (objects a FluxInstance or ResourceSet creates count), no object is defined twice, and dependsOn
 *    has no cycle and stays within its kind;
 * 4. a synthesized tree's `release.json` is the one synth wrote (the marker records its digest) and says what the
 *    clusters' own objects say (see `readReleaseManifest`);
 * 5. every folder with a kustomization.yaml builds with `kubectl kustomize` (unless `build: false`), within the
 *    tree: a kustomization that loads files or folders from outside it, remote resources (unless
 *    `allowRemoteResources`) or Helm charts is reported and not built, and each build runs under a time and memory
 *    bound.
 *
 * Every YAML file is parsed in time linear in its size, up to `maxFileBytes`.
 *
 * @param dir the folder that holds `clusters/`
 * @throws when `dir` is not a folder
 */
export async function validateTree(dir: string, options: ValidateTreeOptions = {}): Promise<ValidationReport> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new TreeSnapshotError(`${JSON.stringify(dir)} is not a directory; give the folder that holds clusters/`);

  const tree = await readTree(dir, options.maxFileBytes !== undefined ? { maxBytes: options.maxFileBytes } : {});
  const found: Array<ValidationFinding & { document: number; seq: number }> = [];
  const add = (file: string, document: number, object: string | undefined, message: string) => {
    found.push({ file, ...(object === undefined ? {} : { object }), message, document, seq: found.length });
  };

  if (!tree.hasClustersFolder) {
    add('.', -1, undefined, 'the tree has no clusters/ folder; a config repo keeps one folder per cluster, clusters/<cluster>/, so point validate at the folder that holds clusters/');
  }
  for (const p of tree.problems) add(p.file, p.document ?? -1, undefined, p.message);
  // Files used as kustomize patches hold partial objects: kubectl kustomize checks them where they apply.
  const patches = await kustomizePatchFiles(dir, tree.files);
  const objects = tree.objects.filter((o) => !patches.has(o.file));
  const minors = clusterFluxMinors(objects);
  for (const p of minors.problems) add(p.object.file, p.object.document, p.object.id, p.message);
  for (const o of objects) {
    // A range over several minors (`2.x`) may run any of them: the object is checked against each.
    const admitted = o.cluster === undefined ? undefined : minors.admitted.get(o.cluster);
    const messages = new Set((admitted ?? [undefined]).flatMap((minor) => checkObject(o, minor)));
    for (const message of messages) add(o.file, o.document, o.id, message);
  }

  const byCluster = new Map<string, TreeObject[]>();
  for (const o of objects) {
    if (o.cluster === undefined) continue;
    const list = byCluster.get(o.cluster);
    if (list) list.push(o);
    else byCluster.set(o.cluster, [o]);
  }
  for (const cluster of [...byCluster.keys()].sort(compare)) {
    for (const p of checkCluster(cluster, byCluster)) add(p.object.file, p.object.document, p.object.id, p.message);
  }

  // A synthesized tree's release.json is what delivery reads: it must be the one synth wrote, saying what the tree says.
  if (await stat(join(dir, RELEASE_MANIFEST_FILE)).catch(() => undefined)) {
    await readReleaseManifest(dir).catch((e: unknown) => {
      if (!(e instanceof ReleaseManifestError)) throw e;
      add(RELEASE_MANIFEST_FILE, -1, undefined, e.message);
    });
  }

  if (options.build ?? true) {
    // A kustomization file that does not parse (or expands aliases without end) is reported already, and not built.
    const broken = new Set(tree.problems.map((p) => p.file));
    const folders = tree.kustomizationFolders.map((folder) => ({
      folder,
      file: tree.files.find((f) => KUSTOMIZATION_FILES.some((k) => f === (folder === '.' ? k : `${folder}/${k}`)))!,
    })).filter((f) => !broken.has(f.file));
    const problems = await buildFolders(dir, folders, {
      // A path is taken from the caller's working directory; kubectl runs in the tree root.
      kubectl: options.kubectl?.includes('/') ? resolve(options.kubectl) : options.kubectl ?? 'kubectl',
      concurrency: options.buildConcurrency ?? 2,
      timeoutMs: options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
      memoryBytes: options.buildMemoryBytes,
      allowRemote: options.allowRemoteResources ?? false,
    });
    for (const p of problems) add(p.file, -1, undefined, p.message);
  }

  found.sort((a, b) => compare(a.file, b.file) || a.document - b.document || a.seq - b.seq);
  return {
    errors: found.map(({ file, object, message }) => (object === undefined ? { file, message } : { file, object, message })),
    clusters: tree.clusters.length,
    files: tree.files.length,
    objects: objects.length,
  };
}

/** The files the tree's kustomization files use as patches. */
async function kustomizePatchFiles(dir: string, files: readonly string[]): Promise<Set<string>> {
  const texts = new Map<string, string>();
  for (const file of files.filter(isKustomizationFile)) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => '');
    // A kustomization file is small; a huge one is reported by the build, not read again here.
    if (text.length <= 1024 * 1024) texts.set(file, text);
  }
  return patchFiles(texts);
}
