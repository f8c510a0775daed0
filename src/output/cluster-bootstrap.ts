import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReleaseManifestSync } from './release-manifest.js';
import { TreeSnapshotError } from './review/tree-snapshot.js';
import { FLUX_OPERATOR_CHART_URL, FLUX_OPERATOR_VERSION } from '../fleet/bootstrap.js';
import { SelectionError, ValidationError } from '../flux/core/errors.js';
import { parseYamlDocuments } from '../flux/core/yaml-reader.js';

/*
 * What bootstrapping one cluster takes, as plain data, from the bootstrap objects synth writes to
 * `clusters/<cluster>/flux-system/flux-system.yaml` (or that `bootstrapObjects()` renders from a fleet): the install of
 * Flux itself (the Flux Operator's Helm chart, or Flux's release manifests), then the objects to apply, in order. The
 * `flux-fleet bootstrap` command writes it as manifests, and the Pulumi component applies it.
 */

/** The namespace of Flux and of every bootstrap object. */
const NAMESPACE = 'flux-system';

/** How the Flux Operator is installed with Helm: the same chart, release and values the cluster's artifact keeps. */
export interface FluxOperatorInstall {
  /** The chart, `oci://...`: the fleet bootstrap's chart URL (a mirror, or FLUX_OPERATOR_CHART_URL). */
  readonly chart: string;
  /** The chart version, exact. */
  readonly version: string;
  /** The Helm release name, which the cluster's HelmRelease adopts: `flux-operator`. */
  readonly releaseName: string;
  /** The release's namespace: `flux-system`. */
  readonly namespace: string;
  /** The chart values the cluster's HelmRelease sets (e.g. multi-tenancy). @default - the chart's defaults */
  readonly values?: Record<string, unknown>;
}

/**
 * How plain Flux is installed: Flux's release manifests, fitted to the cluster as the cluster's `flux-components`
 * Kustomization fits them (so that the first install is what Flux then keeps applying).
 */
export interface FluxManifestsInstall {
  /** Where the release manifests are published, `oci://...` (FLUX_MANIFESTS_URL, or a mirror). */
  readonly url: string;
  /** The ref the cluster pulls: `{ tag: 'v2.10.1' }` for an exact release, `{ semver: '2.10.x' }` for a range. */
  readonly ref: Readonly<Record<string, string>>;
  /** The kustomize patches of `flux-components` (the fleet's and the bootstrap's own), as kustomization.yaml takes them. */
  readonly patches: readonly Record<string, unknown>[];
  /** The image overrides of `flux-components`. */
  readonly images: readonly Record<string, unknown>[];
  /** The labels and annotations `flux-components` sets on every object of Flux. @default - none */
  readonly commonMetadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
}

/** Everything it takes to bootstrap one cluster, in the order to apply it. */
export interface FluxBootstrapPlan {
  /** The cluster's name. */
  readonly clusterName: string;
  /** How the cluster is bootstrapped: through the Flux Operator, or plain Flux from its release manifests. */
  readonly kind: 'operator' | 'plain';
  /** The namespace of Flux and of every bootstrap object: `flux-system`, created first. */
  readonly namespace: string;
  /** The cluster's own artifact, `oci://...` without tag: what it syncs. */
  readonly syncUrl: string;
  /** The tag the cluster follows. */
  readonly syncTag: string;
  /** The Flux version (exact or range) the cluster runs. */
  readonly fluxVersion: string;
  /** Through the Flux Operator: its Helm install, before any object that needs its CRDs. @default - a plain Flux cluster */
  readonly operator?: FluxOperatorInstall;
  /** On plain Flux: Flux's release manifests, applied before any Flux object. @default - an operator cluster */
  readonly fluxManifests?: FluxManifestsInstall;
  /**
   * The registry pull secret the sync reads, when the registry names one (`Registry.ghcr()`,
   * `Registry.generic({ pullSecret })`); its content is the caller's, never the fleet's.
   * @default - none: the registry authenticates with the cloud's workload identity, or not at all
   */
  readonly pullSecret?: { readonly name: string; readonly namespace: string };
  /**
   * The bootstrap objects to apply once the operator (or Flux) is installed, in order: the verification Secrets, the
   * runtime-info ConfigMap, then the FluxInstance, or on plain Flux the release source, `flux-components` and the sync.
   */
  readonly apply: readonly Record<string, any>[];
  /**
   * The bootstrap objects left to the first sync: through the operator, those of Flux's own API groups (its
   * self-upgrade OCIRepository and HelmRelease), whose CRDs exist only once the FluxInstance has installed Flux; the
   * cluster's artifact holds them, so Flux applies them on its first reconciliation. Empty on plain Flux.
   */
  readonly fromSync: readonly Record<string, any>[];
}

/**
 * The bootstrap plan of a cluster from its bootstrap objects, as `bootstrapObjects()` renders them or synth writes them
 * (`flux-system/flux-system.yaml`): an operator cluster when they hold a FluxInstance, a plain Flux cluster when they
 * hold the `flux-manifests` source and `flux-components` Kustomization.
 *
 * @param operatorVersion the exact Flux Operator chart version to install first @default - the one the objects pin
 */
export function bootstrapPlanOf(clusterName: string, objects: readonly Record<string, any>[], operatorVersion?: string): FluxBootstrapPlan {
  const instance = objects.find((o) => o.kind === 'FluxInstance');
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (instance) {
    const fromSync = objects.filter((o) => needsFluxCrds(o));
    const sync = instance.spec?.sync ?? {};
    return {
      clusterName,
      kind: 'operator',
      namespace: NAMESPACE,
      syncUrl: String(sync.url ?? ''),
      syncTag: String(sync.ref ?? ''),
      fluxVersion: String(instance.spec?.distribution?.version ?? ''),
      operator: operatorInstall(fromSync, operatorVersion),
      // The FluxInstance names it as a string; its typed construct takes a reference.
      ...pullSecretOf(typeof sync.pullSecret === 'string' ? sync.pullSecret : sync.pullSecret?.name),
      apply: materialFirst(objects.filter((o) => !needsFluxCrds(o))),
      fromSync,
    };
  }
  const manifests = find('OCIRepository', 'flux-manifests');
  const components = find('Kustomization', 'flux-components');
  const sync = find('OCIRepository', 'flux-system');
  if (!manifests || !components || !sync) {
    throw new ValidationError(`the bootstrap objects of cluster ${JSON.stringify(clusterName)} hold neither a FluxInstance nor plain Flux's flux-manifests source, flux-components Kustomization and flux-system source; synthesize the cluster again`);
  }
  const ref = (manifests.spec?.ref ?? {}) as Record<string, string>;
  return {
    clusterName,
    kind: 'plain',
    namespace: NAMESPACE,
    syncUrl: String(sync.spec?.url ?? ''),
    syncTag: String(sync.spec?.ref?.tag ?? ''),
    fluxVersion: ref.semver ?? (ref.tag ?? '').replace(/^v/, ''),
    fluxManifests: {
      url: String(manifests.spec?.url ?? ''),
      ref,
      patches: components.spec?.patches ?? [],
      images: components.spec?.images ?? [],
      ...(components.spec?.commonMetadata ? { commonMetadata: components.spec.commonMetadata } : {}),
    },
    ...pullSecretOf(sync.spec?.secretRef?.name),
    // Flux's own CRDs come with its release manifests: every object applies once they are installed.
    apply: materialFirst(objects),
    fromSync: [],
  };
}

/**
 * The objects with the Secrets first: the public material the sync source and the bootstrap's own sources verify
 * with (synth writes it after the objects that name it) exists before anything verifies with it.
 */
function materialFirst(objects: readonly Record<string, any>[]): Record<string, any>[] {
  const secret = (o: Record<string, any>) => o.apiVersion === 'v1' && o.kind === 'Secret';
  return [...objects.filter(secret), ...objects.filter((o) => !secret(o))];
}

/**
 * The bootstrap plan of one cluster of a synthesized tree, from its `clusters/<cluster>/flux-system/flux-system.yaml`
 * and `release.json` alone: no fleet program and none of the fleet repository's folders are needed.
 */
export function readBootstrapPlan(dir: string, cluster: string, operatorVersion?: string): FluxBootstrapPlan {
  const release = readReleaseManifestSync(dir);
  if (!release.clusters.some((c) => c.name === cluster)) {
    throw new SelectionError(`${join(dir, 'release.json')} lists no cluster ${JSON.stringify(cluster)}; use one of ${release.clusters.map((c) => JSON.stringify(c.name)).join(', ') || 'none'}`);
  }
  const file = join(dir, 'clusters', cluster, 'flux-system', 'flux-system.yaml');
  if (!existsSync(file)) throw new TreeSnapshotError(`${file} does not exist; synthesize the fleet into ${dir} again`);
  const objects = parseYamlDocuments(readFileSync(file, 'utf8'), file).map((d) => d.toJS({ maxAliasCount: 100 }) as Record<string, any>).filter((o) => o !== null);
  return bootstrapPlanOf(cluster, objects, operatorVersion);
}

/** Objects of Flux's own API groups: their CRDs come with Flux, which the FluxInstance installs. */
function needsFluxCrds(object: Record<string, any>): boolean {
  const apiVersion = String(object.apiVersion ?? '');
  return apiVersion.slice(0, Math.max(apiVersion.indexOf('/'), 0)).endsWith('.toolkit.fluxcd.io');
}

function pullSecretOf(name: unknown): { pullSecret?: { name: string; namespace: string } } {
  return typeof name === 'string' ? { pullSecret: { name, namespace: NAMESPACE } } : {};
}

/**
 * The operator's Helm install, read from the self-upgrade HelmRelease and its chart source, so that the first install
 * is what the cluster's artifact keeps (same chart, version, release name and values) and Flux's first reconciliation
 * of the release changes nothing.
 */
function operatorInstall(fromSync: readonly Record<string, any>[], version: string | undefined): FluxOperatorInstall {
  const release = fromSync.find((o) => o.kind === 'HelmRelease' && o.spec?.chartRef?.kind === 'OCIRepository');
  const source = release && fromSync.find((o) => o.kind === 'OCIRepository' && o.metadata?.name === release.spec.chartRef.name);
  if (!release || !source) {
    return { chart: FLUX_OPERATOR_CHART_URL, version: version ?? FLUX_OPERATOR_VERSION, releaseName: 'flux-operator', namespace: NAMESPACE };
  }
  const values = release.spec.values as Record<string, unknown> | undefined;
  return {
    chart: source.spec.url,
    version: version ?? source.spec.ref?.tag ?? FLUX_OPERATOR_VERSION,
    releaseName: release.spec.releaseName ?? release.metadata.name,
    namespace: release.spec.targetNamespace ?? release.metadata.namespace ?? NAMESPACE,
    ...(values !== undefined ? { values } : {}),
  };
}
