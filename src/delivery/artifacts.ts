import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IConstruct } from 'constructs';
import type { Fleet } from '../fleet/fleet.js';
import { parseRegistryReference } from './oci/reference.js';
import type { ArtifactFile } from '../flux/artifact/tar.js';
import { ERROR_CODES, FluxFleetError, type FluxFleetErrorOptions } from '../flux/core/errors.js';
import { chartRenderer, RenderSession } from '../flux/core/render-session.js';
import { parseYamlDocuments } from '../flux/core/yaml-reader.js';
import { ConfigTree } from '../output/writer/config-tree.js';
import { renderTree } from '../output/writer/render.js';

/** Where an artifact goes: a registry repository and the tag its consumers follow. */
export interface DeliveryTarget {
  /** `oci://<host>/<repository>`, without tag. */
  readonly url: string;
  /** The tag the consumer follows (a cluster's channel or wave tag). */
  readonly tag: string;
  /** The region whose registry it is. @default - unknown */
  readonly region?: string;
  /** More tags to set on it after `tag`, in this order. @default - none */
  readonly alsoTags?: readonly string[];
}

/** An artifact to deliver: the files of one cluster's folder (or of the whole tree), and where it goes. */
export interface DeliveryArtifact {
  /** The cluster's name, or the whole tree's artifact name. */
  readonly name: string;
  /** The files, relative to the artifact's root. */
  readonly files: readonly ArtifactFile[];
  /** Where it goes: one target per region holding it. */
  readonly targets: readonly DeliveryTarget[];
  /** The cluster's environment. @default - not a cluster's artifact, or unknown */
  readonly environment?: string;
  /** The cluster's rollout wave. @default - none */
  readonly wave?: number;
}

/** A tree or fleet that cannot be delivered; the message names the cluster or file and the fix. */
export class DeliveryError extends FluxFleetError {
  public constructor(message: string, options?: FluxFleetErrorOptions) {
    super(ERROR_CODES.delivery, message, options);
  }
}

const EXECUTABLE = 0o755;
const REGULAR = 0o644;

/**
 * The artifact of each cluster of a fleet, rendered in memory (the files `synth` would write under
 * `clusters/<cluster>/`), going to the cluster's own repository in its region's registry with the tag it follows.
 * Builds the fleet and runs every validation of the app first; throws listing every problem.
 */
export function clusterArtifactsFromFleet(fleet: Fleet<any>): DeliveryArtifact[] {
  fleet.build();
  const all = fleet.node.root.node.findAll();
  // One render session, as synth has: each object is rendered once, for validation and for the files.
  const tree = RenderSession.run(() => {
    const errors: string[] = [];
    for (const c of all) {
      for (const message of c.node.validate()) errors.push(`  [${(c as IConstruct).node.path}] ${message}`);
    }
    if (errors.length > 0) throw new DeliveryError(`the fleet has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was packed:\n${errors.join('\n')}`);
    const render = chartRenderer(all);
    const files = new ConfigTree();
    for (const file of fleet.files()) files.addObjects(file.path, render(file.chart));
    return files;
  });
  const rendered = renderTree(tree, { kustomizationsUnder: 'clusters' });
  return fleet.clusters.map((cluster) => {
    const prefix = `clusters/${cluster.name}/`;
    const facts = fleet.bootstrapFacts(cluster);
    return {
      name: cluster.name,
      files: rendered.filter((f) => f.path.startsWith(prefix)).map((f) => ({ path: f.path.slice(prefix.length), content: f.content, mode: REGULAR })),
      targets: [{ url: facts.sync.url, tag: facts.sync.tag, region: cluster.region }],
      environment: cluster.environment,
      ...(cluster.wave !== undefined ? { wave: cluster.wave } : {}),
    };
  }).sort((a, b) => compare(a.name, b.name));
}

/**
 * The artifact of each cluster folder of a synthesized tree (`<dir>/clusters/<cluster>/`). Where each goes is read
 * from the cluster's own bootstrap, so it is what the cluster pulls: the FluxInstance's `spec.sync` (url and ref),
 * or, with plain Flux, the OCIRepository `flux-system`; the region, environment and wave from its
 * `flux-runtime-info` ConfigMap. File modes become 0644, or 0755 for files with an execute bit, so the digest does
 * not depend on the checkout's umask.
 */
export async function clusterArtifactsFromTree(dir: string): Promise<DeliveryArtifact[]> {
  const clustersDir = join(dir, 'clusters');
  const entries = await readdir(clustersDir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new DeliveryError(`${dir} has no clusters/ folder; give the folder that synth wrote (the one holding clusters/)`);
    throw e;
  });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(compare);
  if (names.length === 0) throw new DeliveryError(`${clustersDir} holds no cluster folder`);
  const artifacts: DeliveryArtifact[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const files = await readFiles(join(clustersDir, name));
    const facts = clusterFacts(name, files);
    if (typeof facts === 'string') {
      problems.push(facts);
      continue;
    }
    artifacts.push({ name, files, targets: [{ url: facts.url, tag: facts.tag, ...(facts.region ? { region: facts.region } : {}) }], ...facts.extra });
  }
  if (problems.length > 0) throw new DeliveryError(problems.join('\n'));
  return artifacts;
}

/** Options of {@link wholeTreeArtifact}. */
export interface WholeTreeOptions {
  /**
   * The artifact's path in each registry, beside the clusters' folder: the clusters' artifacts at
   * `oci://<host>/<repository>/clusters/<cluster>` put it at `oci://<host>/<repository>/<path>`.
   * @default "fleet"
   */
  readonly path?: string;
  /** The tag its consumers follow. @default "latest" */
  readonly tag?: string;
}

/**
 * One artifact holding every cluster's folder (`clusters/<cluster>/...`), going to each region's registry once. Every
 * reader of it can read every cluster's config: the per-cluster artifacts are the least-privilege default.
 */
export function wholeTreeArtifact(clusters: readonly DeliveryArtifact[], options: WholeTreeOptions = {}): DeliveryArtifact {
  const path = (options.path ?? 'fleet').replace(/^\/+|\/+$/g, '');
  const tag = options.tag ?? 'latest';
  const targets = new Map<string, DeliveryTarget>();
  for (const cluster of clusters) {
    for (const t of cluster.targets) {
      const suffix = `/clusters/${cluster.name}`;
      if (!t.url.endsWith(suffix)) throw new DeliveryError(`cluster ${cluster.name} syncs ${t.url}, which does not end in ${suffix}; cannot tell where the whole tree goes in that registry`);
      const url = `${t.url.slice(0, -suffix.length)}/${path}`;
      parseRegistryReference(url);
      if (!targets.has(url)) targets.set(url, { url, tag, ...(t.region ? { region: t.region } : {}) });
    }
  }
  const files = clusters.flatMap((c) => c.files.map((f) => ({ ...f, path: `clusters/${c.name}/${f.path}` })));
  return { name: path.slice(path.lastIndexOf('/') + 1), files, targets: [...targets.values()].sort((a, b) => compare(a.url, b.url)) };
}

/**
 * The regular files under a folder, relative to it, sorted, with modes 0644 (or 0755 for files with an execute bit)
 * so that the digest does not depend on the checkout's umask. Symbolic links and special files are left out.
 */
export async function readArtifactFiles(root: string): Promise<ArtifactFile[]> {
  return readFiles(root);
}

async function readFiles(root: string): Promise<ArtifactFile[]> {
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

interface ClusterFacts {
  url: string;
  tag: string;
  region?: string;
  extra: { environment?: string; wave?: number };
}

/** Where a cluster folder's artifact goes, from its bootstrap objects; a message when that cannot be told. */
function clusterFacts(name: string, files: readonly ArtifactFile[]): ClusterFacts | string {
  let sync: { url: string; tag?: string; file: string } | undefined;
  let info: Record<string, string> | undefined;
  for (const file of files) {
    if (!/\.ya?ml$/.test(file.path)) continue;
    let docs;
    try {
      docs = parseYamlDocuments(file.content.toString('utf8'), file.path);
    } catch {
      continue;
    }
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      type Parsed = { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: any; data?: Record<string, string> } | null;
      const o = doc.toJS({ maxAliasCount: 100 }) as Parsed;
      if (!o || typeof o !== 'object') continue;
      const at = `clusters/${name}/${file.path}`;
      if (o.kind === 'FluxInstance' && String(o.apiVersion).startsWith('fluxcd.controlplane.io/') && o.spec?.sync?.kind === 'OCIRepository') {
        sync = { url: String(o.spec.sync.url), tag: o.spec.sync.ref === undefined ? undefined : String(o.spec.sync.ref), file: at };
      } else if (o.kind === 'OCIRepository' && o.metadata?.name === 'flux-system' && !sync) {
        sync = { url: String(o.spec?.url), tag: o.spec?.ref?.tag === undefined ? undefined : String(o.spec.ref.tag), file: at };
      } else if (o.kind === 'ConfigMap' && o.metadata?.name === 'flux-runtime-info' && o.data) {
        info = o.data;
      }
    }
  }
  if (!sync) {
    return `clusters/${name}: no FluxInstance syncing an OCIRepository and no OCIRepository "flux-system" found, so where its artifact goes is unknown; synthesize the tree with a fleet (it writes the bootstrap under flux-system/)`;
  }
  try {
    parseRegistryReference(sync.url);
  } catch (e) {
    return `clusters/${name}: the sync URL in ${sync.file} is not usable: ${(e as Error).message}`;
  }
  if (sync.tag === undefined || sync.tag.startsWith('sha256:')) {
    return `clusters/${name}: the sync in ${sync.file} follows no tag, so there is no tag to push to`;
  }
  const wave = info?.CLUSTER_WAVE !== undefined ? Number(info.CLUSTER_WAVE) : undefined;
  return {
    url: sync.url,
    tag: sync.tag,
    region: info?.CLUSTER_REGION,
    extra: {
      ...(info?.CLUSTER_ENVIRONMENT !== undefined ? { environment: info.CLUSTER_ENVIRONMENT } : {}),
      ...(wave !== undefined && Number.isInteger(wave) ? { wave } : {}),
    },
  };
}

/** Whether any of the owner, group or other execute bits is set. */
function isExecutable(mode: number): boolean {
  const perm = mode % 0o1000;
  return [0o100, 0o10, 0o1].some((bit) => Math.floor(perm / bit) % 2 === 1);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
