import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ArtifactFile } from '../../flux/artifact/tar.js';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';
import type { ReleaseRef } from '../../output/release-manifest.js';
import { DeliveryError, readArtifactFiles } from '../artifacts.js';

/** The `spec.verify` of a source, as a cluster's folder declares it. */
export interface SourceVerification {
  /** `cosign` or `notation`. */
  readonly provider: string;
  /** The Secret with the public keys (`*.pub`), in the source's namespace. @default - none: keyless */
  readonly secretRef?: string;
  /** The keyless identities accepted (Go regular expressions). @default - none */
  readonly matchOIDCIdentity?: ReadonlyArray<{ readonly issuer: string; readonly subject: string }>;
  /** The Secret with a private Sigstore's `trusted_root.json`, in the source's namespace. @default - the public Sigstore instance */
  readonly trustedRootSecretRef?: string;
}

/** An OCI source a cluster pulls, as its folder declares it. */
export interface ClusterSource {
  /** The cluster that pulls it. */
  readonly cluster: string;
  /** What declares it, e.g. `OCIRepository/flux-system/podinfo` or `FluxInstance/flux-system/flux (sync)`. */
  readonly source: string;
  /** The file, relative to the tree (`clusters/<cluster>/...`). */
  readonly file: string;
  /** The namespace of the source: where the Secrets its verification names are read. */
  readonly namespace: string;
  /** `oci://<host>/<repository>`. */
  readonly url: string;
  /** The ref it pulls: a tag, a semver range or a digest. */
  readonly ref: ReleaseRef;
  /** Whether this is the cluster's own sync source (its config artifact, at the tag it follows). */
  readonly sync: boolean;
  /** How it verifies signatures. @default - it verifies none */
  readonly verify?: SourceVerification;
}

/**
 * A cluster's config as Flux reads it: the OCI sources it pulls (with how each verifies), the Secrets it carries
 * (public keys and trusted roots among them) and the Flux minor it runs, which decides the signatures it reads.
 */
export interface ClusterConfig {
  /** The cluster's name. */
  readonly cluster: string;
  /** The OCI sources it pulls, its own sync source among them. */
  readonly sources: readonly ClusterSource[];
  /** The string data of every Secret in the folder, by `<namespace>/<name>`. */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /**
   * The Flux minor the cluster runs (`2009` for 2.9), from its FluxInstance's `distribution.version` or its plain
   * bootstrap's release manifests ref. @default - not known: taken as current (bundles)
   */
  readonly fluxMinor?: number;
}

/** The config of cluster `cluster` in a synthesized tree (`<dir>/clusters/<cluster>/`). */
export async function clusterConfigFromTree(dir: string, cluster: string): Promise<ClusterConfig> {
  const files = await readArtifactFiles(join(dir, 'clusters', cluster)).catch((e: NodeJS.ErrnoException) => {
    throw new DeliveryError(`clusters/${cluster} ${e.code === 'ENOENT' ? `is missing from ${dir}; synthesize again` : `cannot be read: ${e.message}`}`);
  });
  return clusterConfig(cluster, files);
}

/**
 * Reads a cluster's config from its files (the folder `clusters/<cluster>/` of a tree, or the files of its config
 * artifact): every OCIRepository of the source API, the FluxInstance's sync (its verification is the kustomize
 * patch on the `flux-system` OCIRepository), every Secret, and the Flux minor.
 */
export function clusterConfig(cluster: string, files: readonly ArtifactFile[]): ClusterConfig {
  const sources: ClusterSource[] = [];
  const secrets = new Map<string, Record<string, string>>();
  let fluxMinor: number | undefined;
  let manifestsMinor: number | undefined;
  for (const f of [...files].sort((a, b) => compare(a.path, b.path))) {
    if (!/\.ya?ml$/.test(f.path)) continue;
    const file = `clusters/${cluster}/${f.path}`;
    for (const doc of parseYamlDocuments(f.content.toString('utf8'), file)) {
      type Parsed = { kind?: unknown; apiVersion?: unknown; metadata?: any; spec?: any; data?: unknown; stringData?: unknown } | null;
      const o = doc.toJS({ maxAliasCount: 100 }) as Parsed;
      if (!o || typeof o !== 'object') continue;
      const namespace = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : 'default';
      const name = String(o.metadata?.name);
      const id = `${String(o.kind)}/${namespace}/${name}`;
      if (o.kind === 'OCIRepository' && String(o.apiVersion).startsWith('source.toolkit.fluxcd.io/') && typeof o.spec?.url === 'string') {
        const r = o.spec.ref ?? {};
        const ref: ReleaseRef = r.digest ? { digest: String(r.digest) } : r.semver ? { semver: String(r.semver) } : { tag: String(r.tag ?? 'latest') };
        const verify = verificationOf(o.spec.verify);
        sources.push({ cluster, source: id, file, namespace, url: o.spec.url, ref, sync: namespace === 'flux-system' && name === 'flux-system', ...(verify ? { verify } : {}) });
        if (namespace === 'flux-system' && name === 'flux-manifests') manifestsMinor = minorOf(String(r.tag ?? r.semver ?? ''));
      } else if (o.kind === 'FluxInstance' && String(o.apiVersion).startsWith('fluxcd.controlplane.io/')) {
        fluxMinor = minorOf(String(o.spec?.distribution?.version ?? ''));
        if (o.spec?.sync?.kind !== 'OCIRepository' || typeof o.spec.sync.url !== 'string') continue;
        const patches = (o.spec.kustomize?.patches ?? []) as Array<{ target?: { kind?: string; name?: string }; patch?: unknown }>;
        let verify: SourceVerification | undefined;
        for (const p of patches) {
          if (p.target?.kind !== 'OCIRepository' || p.target?.name !== 'flux-system') continue;
          const ops = typeof p.patch === 'string' ? parseYaml(p.patch) as unknown : p.patch;
          for (const op of Array.isArray(ops) ? ops as Array<{ path?: string; value?: unknown }> : []) {
            if (op.path === '/spec/verify') verify = verificationOf(op.value);
          }
        }
        const ref = String(o.spec.sync.ref ?? 'latest');
        sources.push({
          cluster,
          source: `${id} (sync)`,
          file,
          namespace: 'flux-system',
          url: o.spec.sync.url,
          ref: ref.startsWith('sha256:') ? { digest: ref } : { tag: ref },
          sync: true,
          ...(verify ? { verify } : {}),
        });
      } else if (o.kind === 'Secret' && o.apiVersion === 'v1') {
        secrets.set(`${namespace}/${name}`, secretData(o.data, o.stringData));
      }
    }
  }
  const minor = fluxMinor ?? manifestsMinor;
  return { cluster, sources, secrets, ...(minor !== undefined ? { fluxMinor: minor } : {}) };
}

/** The clusters' own sync source of a config: its config artifact at the tag it follows. */
export function syncSource(config: ClusterConfig): ClusterSource | undefined {
  return config.sources.find((s) => s.sync);
}

function verificationOf(value: unknown): SourceVerification | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { provider?: unknown; secretRef?: { name?: unknown }; matchOIDCIdentity?: unknown; trustedRootSecretRef?: { name?: unknown } };
  const ids = Array.isArray(v.matchOIDCIdentity)
    ? (v.matchOIDCIdentity as Array<{ issuer?: unknown; subject?: unknown }>).map((m) => ({ issuer: String(m?.issuer ?? ''), subject: String(m?.subject ?? '') }))
    : undefined;
  return {
    provider: typeof v.provider === 'string' ? v.provider : 'cosign',
    ...(typeof v.secretRef?.name === 'string' ? { secretRef: v.secretRef.name } : {}),
    ...(ids ? { matchOIDCIdentity: ids } : {}),
    ...(typeof v.trustedRootSecretRef?.name === 'string' ? { trustedRootSecretRef: v.trustedRootSecretRef.name } : {}),
  };
}

/** A Secret's entries as strings: `stringData` over base64-decoded `data`. */
function secretData(data: unknown, stringData: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  if (stringData && typeof stringData === 'object') {
    for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** `2.9.x`, `v2.10.1`, `>=2.9.0 <2.10.0` as `major * 1000 + minor`; undefined when no version is named. */
function minorOf(version: string): number | undefined {
  const m = /(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
