import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { FLUX_COMPONENTS, FLUX_INSTANCE_NAME, FLUX_VARIANTS } from './schemas.js';
import { API_VERSION, CommonMetadata, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { ObjectIndex } from '../core/object-index.js';
import { Checks, isSemverRange, q } from '../core/rules.js';
import type { KustomizePatch } from '../kustomize/kustomization.js';

/** A Flux controller a FluxInstance can install. */
export type FluxComponent = typeof FLUX_COMPONENTS[number];

/** A build of the Flux distribution: upstream images, or ControlPlane's enterprise ones. */
export type FluxDistributionVariant = typeof FLUX_VARIANTS[number];

/** Which Flux to install, and where its images and manifests come from. */
export interface FluxDistribution {
  /** The Flux version: exact (`2.9.4`) or a semver range the operator keeps up with (`2.9.x`, `2.x`). @default "2.9.x" */
  readonly version?: string;
  /** The registry the controller images come from, without scheme, e.g. `ghcr.io/fluxcd`. @default "ghcr.io/fluxcd" */
  readonly registry?: string;
  /** The build to install. @default - the upstream build the registry holds */
  readonly variant?: FluxDistributionVariant;
  /** A Secret for pulling the controller images. @default - anonymous */
  readonly imagePullSecret?: SecretReference;
  /** An OCI artifact with the distribution's manifests, `oci://...`, pulled instead of those built into the operator. @default - the operator's own */
  readonly artifact?: string;
  /** A Secret for pulling `artifact`. @default - anonymous */
  readonly artifactPullSecret?: SecretReference;
}

/** The cluster Flux runs on, and how locked down it is. */
export interface FluxInstanceCluster {
  /** The Kubernetes distribution. @default "kubernetes" */
  readonly type?: 'kubernetes' | 'openshift' | 'aws' | 'azure' | 'gcp';
  /** The controllers' vertical scaling profile (concurrency, CPU and memory limits). @default - the manifests' own */
  readonly size?: 'small' | 'medium' | 'large';
  /**
   * Multi-tenancy lockdown: no cross-namespace references, reconcilers impersonate a tenant service account, no
   * remote kustomize bases. Synth then refuses cross-namespace source references throughout the cluster.
   * @default false
   */
  readonly multitenant?: boolean;
  /** Multi-tenancy lockdown of workload identity; needs `objectLevelWorkloadIdentity`. @default false */
  readonly multitenantWorkloadIdentity?: boolean;
  /** Enable object-level workload identity (Flux 2.6 and later). @default false */
  readonly objectLevelWorkloadIdentity?: boolean;
  /** Restrict network access to the controllers' namespace. @default true */
  readonly networkPolicy?: boolean;
  /** The cluster DNS domain. @default "cluster.local" */
  readonly domain?: string;
  /** The service account reconcilers impersonate when an object names none, under a lockdown. @default "default" */
  readonly tenantDefaultServiceAccount?: string;
  /** The service account for SOPS decryption under the workload identity lockdown. @default "default" */
  readonly tenantDefaultDecryptionServiceAccount?: string;
  /** The service account for remote cluster access under the workload identity lockdown. @default "default" */
  readonly tenantDefaultKubeConfigServiceAccount?: string;
}

/** The source the cluster syncs from: the operator creates a source and a Kustomization for it. */
export interface FluxInstanceSync {
  /** The kind of source to create. */
  readonly kind: 'OCIRepository' | 'GitRepository' | 'Bucket';
  /** `oci://host/repo` (OCIRepository), `https://` or `ssh://` (GitRepository), or an endpoint host (Bucket). */
  readonly url: string;
  /** An OCI tag (`latest`), a Git reference (`refs/heads/main`) or a bucket name. */
  readonly ref: string;
  /** The folder to apply, relative to the source root, e.g. `clusters/production`. */
  readonly path: string;
  /** A Secret with the source credentials. @default - anonymous, or `provider` */
  readonly pullSecret?: SecretReference;
  /** Authenticate with this identity provider (OCI and Bucket: aws, azure, gcp; Git: aws, azure, github). @default "generic" */
  readonly provider?: 'generic' | 'aws' | 'azure' | 'gcp' | 'github';
  /** How often to sync. @default 1m */
  readonly interval?: FluxDuration;
  /** The name of the created source and Kustomization (immutable). @default - the FluxInstance's namespace */
  readonly name?: string;
}

/** Horizontal sharding: a set of controllers per shard, each reconciling the objects labelled with its shard. */
export interface FluxInstanceSharding {
  /** The label that assigns objects to shards. @default "sharding.fluxcd.io/key" */
  readonly key?: string;
  /** The shard names. */
  readonly shards: string[];
  /** Storage of the sharded source-controllers; `persistent` needs `storage`. @default "ephemeral" */
  readonly storage?: 'ephemeral' | 'persistent';
}

/** A persistent volume for source-controller's artifacts. */
export interface FluxInstanceStorage {
  /** The storage class. */
  readonly class: string;
  /** The volume size, e.g. `10Gi`. */
  readonly size: string;
}

/** Kustomize settings of the Flux manifests an instance applies. */
export interface FluxInstanceKustomize {
  /** Patches applied to the Flux manifests. @default - none */
  readonly patches?: KustomizePatch[];
}

/** Props of a {@link FluxInstance}. */
export interface FluxInstanceProps extends FluxObjectProps {
  /** Which Flux to install. @default - Flux 2.9.x from ghcr.io/fluxcd */
  readonly distribution?: FluxDistribution;
  /** The controllers to install. @default - source, kustomize, helm and notification controllers */
  readonly components?: FluxComponent[];
  /** The cluster and its lockdown. @default - a plain Kubernetes cluster, no lockdown, with network policies */
  readonly cluster?: FluxInstanceCluster;
  /** Horizontal sharding of the controllers. @default - no sharding */
  readonly sharding?: FluxInstanceSharding;
  /** A persistent volume for source-controller. @default - an emptyDir */
  readonly storage?: FluxInstanceStorage;
  /** Kustomize patches applied to the Flux manifests, e.g. to add `verify` to the sync OCIRepository. @default - none */
  readonly kustomize?: FluxInstanceKustomize;
  /** The source the cluster syncs from. @default - no sync */
  readonly sync?: FluxInstanceSync;
  /** Labels and annotations for every object the operator creates. @default - none */
  readonly commonMetadata?: CommonMetadata;
  /** Wait for every installed object to become ready. @default true */
  readonly wait?: boolean;
  /** Migrate Flux objects to the newest API versions on upgrade. @default true */
  readonly migrateResources?: boolean;
}

/** A FluxInstance, as other objects may reference it. */
export interface IFluxInstance extends IFluxObject {
  readonly kind: 'FluxInstance';
}

/**
 * A FluxInstance (`fluxcd.controlplane.io/v1`): Flux Operator installs, configures and upgrades Flux from it.
 * Its name is always `flux`, and a cluster has at most one.
 */
export class FluxInstance extends FluxObject implements IFluxInstance {
  /** References a FluxInstance managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string = FLUX_INSTANCE_NAME, options: FromNameOptions = {}): IFluxInstance {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.operator, kind: 'FluxInstance', name, namespace: options.namespace }) as IFluxInstance;
  }

  declare public readonly kind: 'FluxInstance';

  /** The props, as given. */
  public readonly props: FluxInstanceProps;

  public constructor(scope: Construct, id: string, props: FluxInstanceProps = {}) {
    super(scope, id, { ...props, metadata: { ...props.metadata, name: props.metadata?.name ?? FLUX_INSTANCE_NAME } }, {
      apiVersion: API_VERSION.operator,
      kind: 'FluxInstance',
    });
    this.props = props;
  }

  /** Whether this instance locks down cross-namespace source references throughout its cluster. @internal */
  public _locksNamespaces(): boolean {
    return this.props.cluster?.multitenant === true;
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const d = p.distribution ?? {};
    const c = p.cluster;
    const spec: FluxInstanceSpecJson = {
      distribution: {
        version: d.version ?? '2.9.x',
        registry: d.registry ?? 'ghcr.io/fluxcd',
        variant: d.variant,
        imagePullSecret: d.imagePullSecret?.name,
        artifact: d.artifact,
        artifactPullSecret: d.artifactPullSecret?.name,
      },
      components: p.components ? [...p.components] : undefined,
      commonMetadata: p.commonMetadata ? { labels: p.commonMetadata.labels, annotations: p.commonMetadata.annotations } : undefined,
      cluster: c ? {
        type: c.type,
        size: c.size,
        multitenant: c.multitenant,
        multitenantWorkloadIdentity: c.multitenantWorkloadIdentity,
        objectLevelWorkloadIdentity: c.objectLevelWorkloadIdentity,
        networkPolicy: c.networkPolicy,
        domain: c.domain,
        tenantDefaultServiceAccount: c.tenantDefaultServiceAccount,
        tenantDefaultDecryptionServiceAccount: c.tenantDefaultDecryptionServiceAccount,
        tenantDefaultKubeConfigServiceAccount: c.tenantDefaultKubeConfigServiceAccount,
      } : undefined,
      sharding: p.sharding ? { key: p.sharding.key, shards: [...p.sharding.shards], storage: p.sharding.storage } : undefined,
      storage: p.storage ? { class: p.storage.class, size: p.storage.size } : undefined,
      kustomize: p.kustomize ? {
        patches: p.kustomize.patches?.map((x) => ({ patch: typeof x.patch === 'string' ? x.patch : stringify(x.patch), target: x.target ? { ...x.target } : undefined })),
      } : undefined,
      wait: p.wait,
      migrateResources: p.migrateResources,
      sync: p.sync ? {
        kind: p.sync.kind,
        url: p.sync.url,
        ref: p.sync.ref,
        path: p.sync.path,
        pullSecret: p.sync.pullSecret?.name,
        provider: p.sync.provider,
        interval: renderOptionalDuration(p.sync.interval),
        name: p.sync.name,
      } : undefined,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    this.checkDistribution(c, p.distribution ?? {});
    this.checkComponents(c);
    if (p.cluster) checkCluster(c, p.cluster);
    if (p.sync) checkSync(c, p.sync);
    if (p.sharding) this.checkSharding(c, p.sharding);
    if (p.storage) {
      c.dnsName('spec.storage.class', p.storage.class);
      if (!QUANTITY.test(p.storage.size)) {
        c.add(`spec.storage.size ${q(p.storage.size)} is not a Kubernetes quantity; use e.g. "10Gi"`);
      }
    }
    p.kustomize?.patches?.forEach((x, i) => {
      if (typeof x.patch === 'string' && x.patch.trim() === '') c.add(`spec.kustomize.patches[${i}].patch is empty; write the patch, or drop it`);
    });
    // Two instances in one namespace are reported as duplicates by the object index.
    const first = ObjectIndex.of(this).all().find((o) => o.kind === 'FluxInstance')!;
    if (first !== this && first.namespace !== this.namespace) {
      c.add(`${first.node.path} defines a FluxInstance in namespace ${first.namespace} already; Flux Operator runs one FluxInstance per cluster, so keep only one (or put them in separate ClusterScopes)`);
    }
  }

  private checkDistribution(c: Checks, d: FluxDistribution): void {
    if (d.version !== undefined && !isSemverRange(d.version)) {
      c.add(`spec.distribution.version ${q(d.version)} is neither a version nor a semver range; use e.g. "2.9.x" or "2.9.4"`);
    }
    if (d.registry !== undefined) {
      const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(d.registry)?.[0];
      if (scheme) {
        c.add(`spec.distribution.registry ${q(d.registry)} carries a scheme; drop ${q(scheme)}, e.g. ${q(d.registry.slice(scheme.length))}`);
      } else if (d.registry.trim() === '' || d.registry.endsWith('/') || /\s/.test(d.registry)) {
        c.add(`spec.distribution.registry ${q(d.registry)} is not a registry address; use host[/path] without a trailing slash, e.g. "ghcr.io/fluxcd"`);
      }
    }
    c.oneOf('spec.distribution.variant', d.variant, FLUX_VARIANTS);
    if (d.artifact !== undefined && !d.artifact.startsWith('oci://')) {
      c.add(`spec.distribution.artifact ${q(d.artifact)} must start with oci:// (e.g. "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest")`);
    }
    if (d.artifactPullSecret && d.artifact === undefined) {
      c.add('spec.distribution.artifactPullSecret is set without spec.distribution.artifact; set the artifact too, or drop the secret');
    }
  }

  private checkComponents(c: Checks): void {
    const list = this.props.components;
    if (!list) return;
    list.forEach((comp, i) => c.oneOf(`spec.components[${i}]`, comp, FLUX_COMPONENTS));
    const seen = new Set<string>();
    for (const comp of list) {
      if (seen.has(comp)) c.add(`spec.components lists ${q(comp)} twice; list each controller once`);
      seen.add(comp);
    }
    if (seen.has('image-automation-controller') && !seen.has('image-reflector-controller')) {
      c.add('spec.components lists "image-automation-controller" without "image-reflector-controller", which elects the images it writes; add "image-reflector-controller"');
    }
    if (this.props.sync) {
      const missing = ['source-controller', 'kustomize-controller'].filter((x) => !seen.has(x));
      if (missing.length > 0) c.add(`spec.sync needs ${missing.map((m) => q(m)).join(' and ')} in spec.components; add ${missing.length === 1 ? 'it' : 'them'}`);
    }
  }

  private checkSharding(c: Checks, s: FluxInstanceSharding): void {
    if (s.key !== undefined && !isLabelKey(s.key)) {
      c.add(`spec.sharding.key ${q(s.key)} is not a label key; use [prefix/]name, e.g. "sharding.fluxcd.io/key"`);
    }
    if (s.shards.length === 0) c.add('spec.sharding.shards is empty; name at least one shard, or drop spec.sharding');
    const seen = new Set<string>();
    s.shards.forEach((shard, i) => {
      c.dnsLabel(`spec.sharding.shards[${i}]`, shard, 63);
      if (seen.has(shard)) c.add(`spec.sharding.shards lists ${q(shard)} twice; name each shard once`);
      seen.add(shard);
    });
    c.oneOf('spec.sharding.storage', s.storage, ['ephemeral', 'persistent']);
    if (s.storage === 'persistent' && !this.props.storage) {
      c.add('spec.sharding.storage "persistent" needs spec.storage (class and size) for the shards\' volumes; set storage, or use "ephemeral"');
    }
  }
}

function checkCluster(c: Checks, cl: FluxInstanceCluster): void {
  c.oneOf('spec.cluster.type', cl.type, ['kubernetes', 'openshift', 'aws', 'azure', 'gcp']);
  c.oneOf('spec.cluster.size', cl.size, ['small', 'medium', 'large']);
  c.dnsName('spec.cluster.domain', cl.domain);
  c.dnsName('spec.cluster.tenantDefaultServiceAccount', cl.tenantDefaultServiceAccount);
  c.dnsName('spec.cluster.tenantDefaultDecryptionServiceAccount', cl.tenantDefaultDecryptionServiceAccount);
  c.dnsName('spec.cluster.tenantDefaultKubeConfigServiceAccount', cl.tenantDefaultKubeConfigServiceAccount);
  if (cl.multitenantWorkloadIdentity && !cl.objectLevelWorkloadIdentity) {
    c.add('spec.cluster.multitenantWorkloadIdentity needs spec.cluster.objectLevelWorkloadIdentity: true; set it');
  }
  if (cl.tenantDefaultServiceAccount !== undefined && !cl.multitenant && !cl.multitenantWorkloadIdentity) {
    c.add(`spec.cluster.tenantDefaultServiceAccount ${q(cl.tenantDefaultServiceAccount)} only applies under a lockdown; set spec.cluster.multitenant: true, or drop it`);
  }
}

function checkSync(c: Checks, s: FluxInstanceSync): void {
  c.oneOf('spec.sync.kind', s.kind, ['OCIRepository', 'GitRepository', 'Bucket']);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s.url)?.[1]?.toLowerCase();
  if (s.kind === 'OCIRepository') {
    if (scheme !== 'oci') {
      c.add(`spec.sync.url ${q(s.url)} must start with oci:// for kind OCIRepository (e.g. "oci://ghcr.io/acme/fleet")`);
    } else {
      const last = s.url.slice(s.url.lastIndexOf('/') + 1);
      const at = s.url.indexOf('@');
      if (at >= 0) {
        c.add(`spec.sync.url ${q(s.url)} carries a digest; drop ${q(s.url.slice(at))} and put the tag in spec.sync.ref`);
      } else if (s.url.slice('oci://'.length).includes('/') && last.includes(':')) {
        const tag = last.slice(last.indexOf(':') + 1);
        c.add(`spec.sync.url ${q(s.url)} carries a tag; drop ":${tag}" and set spec.sync.ref to ${q(tag)}`);
      }
    }
  } else if (s.kind === 'GitRepository') {
    c.url('spec.sync.url', s.url, ['https', 'http', 'ssh']);
    if (!s.ref.startsWith('refs/')) {
      c.add(`spec.sync.ref ${q(s.ref)} is not a Git reference for kind GitRepository; use a full reference, e.g. ${q(`refs/heads/${s.ref.replace(/^\/+/, '') || 'main'}`)} or "refs/tags/v1.0.0"`);
    }
  } else if (s.kind === 'Bucket' && scheme) {
    c.add(`spec.sync.url ${q(s.url)} carries a scheme, but a Bucket endpoint is a host[:port]; drop "${scheme}://", e.g. ${q(s.url.slice(scheme.length + 3).replace(/\/.*$/, ''))}`);
  }
  if (s.ref.trim() === '') c.add('spec.sync.ref is empty; set the OCI tag, Git reference or bucket name');
  c.relativePath('spec.sync.path', s.path);
  c.duration('spec.sync.interval', s.interval);
  c.dnsLabel('spec.sync.name', s.name, 63);
  const providers = s.kind === 'GitRepository' ? ['generic', 'aws', 'azure', 'github'] : ['generic', 'aws', 'azure', 'gcp'];
  if (s.provider !== undefined && !providers.includes(s.provider)) {
    c.add(`spec.sync.provider ${q(s.provider)} is not allowed for kind ${s.kind}; use one of ${providers.map((x) => q(x)).join(', ')}`);
  }
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  return (prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253)) && LABEL_NAME.test(name) && name.length <= 63;
}

/** The rendered spec, as the Flux Operator API types it. */
interface FluxInstanceSpecJson {
  distribution: {
    version: string;
    registry: string;
    variant?: FluxDistributionVariant;
    imagePullSecret?: string;
    artifact?: string;
    artifactPullSecret?: string;
  };
  components?: FluxComponent[];
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  cluster?: {
    type?: string;
    size?: string;
    multitenant?: boolean;
    multitenantWorkloadIdentity?: boolean;
    objectLevelWorkloadIdentity?: boolean;
    networkPolicy?: boolean;
    domain?: string;
    tenantDefaultServiceAccount?: string;
    tenantDefaultDecryptionServiceAccount?: string;
    tenantDefaultKubeConfigServiceAccount?: string;
  };
  sharding?: { key?: string; shards: string[]; storage?: 'ephemeral' | 'persistent' };
  storage?: { class: string; size: string };
  kustomize?: { patches?: Array<{ patch: string; target?: Record<string, string | undefined> }> };
  wait?: boolean;
  migrateResources?: boolean;
  sync?: {
    kind: 'OCIRepository' | 'GitRepository' | 'Bucket';
    url: string;
    ref: string;
    path: string;
    pullSecret?: string;
    provider?: string;
    interval?: string;
    name?: string;
  };
}
