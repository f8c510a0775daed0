import { App, Chart } from 'cdk8s';
import { ConfigMap } from 'cdk8s-plus-34';
import { ownImplementations } from './own-implementations.js';
import { insecureOptIn, type RegistrySourceSettings } from './registry.js';
import { Signing } from './signing.js';
import { COMPONENT_HEALTH_CHECK } from './sync-health.js';
import type { SecretReference } from '../flux/core/api.js';
import type { FluxDuration } from '../flux/core/duration.js';
import { ValidationError } from '../flux/core/errors.js';
import { FluxMinor, knownFluxMinorOf } from '../flux/core/flux-version.js';
import { Checks, isSemverRange, q } from '../flux/core/rules.js';
import { HELM_CHART_LAYER_SELECTOR, HelmRelease } from '../flux/helm/helm-release.js';
import { HealthCheckTarget, Kustomization, KustomizeImage, KustomizePatch } from '../flux/kustomize/kustomization.js';
import {
  FluxComponent, FluxDistributionVariant, FluxInstance, FluxInstanceSharding, FluxInstanceStorage,
} from '../flux/operator/flux-instance.js';
import { FLUX_COMPONENTS } from '../flux/operator/schemas.js';
import { OciRepository, OciRepositoryRef, OciVerification } from '../flux/source/oci-repository.js';

/*
 * The per-cluster bootstrap: the objects in `clusters/<cluster>/flux-system/` that keep Flux itself installed,
 * upgraded and syncing the cluster's own artifact. They are part of that artifact, so once Flux runs it manages
 * them like everything else.
 *
 * The first install is out of scope here: on a new cluster something must install the Flux Operator (`helm install
 * flux-operator oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator -n flux-system`) or Flux (`flux install`)
 * once and apply these objects (`bootstrapObjects()` gives them in order); the Pulumi component does both.
 */

/** The namespace of every bootstrap object. */
export const BOOTSTRAP_NAMESPACE = 'flux-system';

/** The name of the source and Kustomization that sync the cluster's own artifact (the operator's default too). */
export const SYNC_NAME = 'flux-system';

/**
 * How long the sync waits for the objects of its health checks on each reconcile before it fails (its `timeout`):
 * long enough for components that install charts, short enough that a stuck component is reported as a failure.
 */
export const SYNC_HEALTH_TIMEOUT = '10m';

/** The name of the ConfigMap holding the cluster's facts, for `postBuild.substituteFrom` and ResourceSet inputs. */
export const RUNTIME_INFO_NAME = 'flux-runtime-info';

/**
 * The annotations of the `flux-runtime-info` ConfigMap that record how the cluster's environment is released: whether
 * it is production, and whether a push moves its tag. Delivery checks release.json against them, so a release.json
 * edited to let a push move production's tags is refused.
 */
export const RELEASE_POLICY_ANNOTATIONS = {
  production: 'flux-fleet.io/production',
  deployOnPush: 'flux-fleet.io/deploy-on-push',
} as const;

/** The Flux Operator chart version `Bootstrap.operator()` pins for Flux 2.9 unless told otherwise. */
export const FLUX_OPERATOR_VERSION = '0.58.1';

/**
 * The Flux Operator release that installs each Flux minor: the operator installs only the minors embedded in its own
 * release, so a FluxInstance asking for a newer minor needs a newer operator. flux-fleet pins none for Flux 2.10 yet:
 * a cluster on 2.10 needs `Bootstrap.operator({ version })` set to a release whose notes say it includes Flux v2.10.
 */
export const FLUX_OPERATOR_VERSIONS: Readonly<Record<FluxMinor, string | undefined>> = {
  '2.7': FLUX_OPERATOR_VERSION,
  '2.8': FLUX_OPERATOR_VERSION,
  '2.9': FLUX_OPERATOR_VERSION,
  '2.10': undefined,
};

/** Where ControlPlane publishes the Flux Operator Helm chart. */
export const FLUX_OPERATOR_CHART_URL = 'oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator';

/**
 * Who signs the Flux Operator chart: ControlPlane's charts repository signs every chart keyless with cosign from its
 * `release.yml` workflow, run on a release tag (`controlplaneio-fluxcd/charts`, `scripts/sign.sh`). Declared like any
 * other signer; `Bootstrap.operator({ chartSigning })` replaces it (a chart mirrored and signed by your own pipeline).
 */
export const FLUX_OPERATOR_CHART_SIGNING: Signing = Signing.oidc({
  issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
  subject: '^https://github\\.com/controlplaneio-fluxcd/charts/\\.github/workflows/release\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
  regex: true,
});

/** The `verify` of the Flux Operator chart's source by default: {@link FLUX_OPERATOR_CHART_SIGNING}'s. */
export const FLUX_OPERATOR_CHART_VERIFICATION: OciVerification = FLUX_OPERATOR_CHART_SIGNING.verification()!;

/** Where the Flux project publishes each release's install manifests as an OCI artifact (tags `v<version>`). */
export const FLUX_MANIFESTS_URL = 'oci://ghcr.io/fluxcd/flux-manifests';

/**
 * Who signs the Flux release manifests: the `release.yaml` workflow of `fluxcd/flux2`, run on a release tag, pushes
 * the artifact and signs it keyless with cosign. Declared like any other signer; `Bootstrap.plain({ manifestsSigning })`
 * replaces it (manifests mirrored and signed by your own pipeline).
 */
export const FLUX_MANIFESTS_SIGNING: Signing = Signing.oidc({
  issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
  subject: '^https://github\\.com/fluxcd/flux2/\\.github/workflows/release\\.yaml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
  regex: true,
});

/** The `verify` of the Flux release manifests' source by default: {@link FLUX_MANIFESTS_SIGNING}'s. */
export const FLUX_MANIFESTS_VERIFICATION: OciVerification = FLUX_MANIFESTS_SIGNING.verification()!;

/** Everything a bootstrap needs to know about one cluster; the fleet model computes it. */
export interface BootstrapFacts {
  /** The cluster's name, for messages. */
  readonly clusterName: string;
  /** The cluster's environment. */
  readonly environment: string;
  /** The cluster's region. */
  readonly region: string;
  /** The cluster's rollout wave. @default - no wave */
  readonly wave?: number;
  /**
   * The cloud or distribution the cluster runs on: FluxInstance `cluster.type`, which picks the operator's
   * platform settings. Plain Flux has no such profiles and ignores it.
   */
  readonly cloud: 'kubernetes' | 'openshift' | 'aws' | 'azure' | 'gcp';
  /**
   * The controllers' vertical scaling profile: FluxInstance `cluster.size`. Plain Flux has no such profiles and
   * ignores it.
   * @default - the operator's default profile
   */
  readonly size?: 'small' | 'medium' | 'large';
  /**
   * Lock Flux down for multi-tenancy (no cross-namespace references, reconcilers impersonate the `default` service
   * account of their namespace unless they name one, no remote kustomize bases): the cluster's `flux.multitenant`, else
   * the fleet's, else whether it has tenants.
   */
  readonly multitenant: boolean;
  /** Restrict network access to the Flux controllers with NetworkPolicies. @default true */
  readonly networkPolicy?: boolean;
  /** Which Flux to run. */
  readonly flux: {
    /** The Flux version: exact (`2.9.4`) or a semver range kept up with (`2.9.x`). */
    readonly version: string;
    /** The controllers to run. @default - source, kustomize, helm and notification controllers */
    readonly components?: FluxComponent[];
    /** The registry holding the controller images, without scheme, e.g. a mirror. @default "ghcr.io/fluxcd" */
    readonly registry?: string;
  };
  /** The cluster's own artifact: what the cluster syncs. */
  readonly sync: {
    /** The artifact's repository, `oci://<host>/<repository>`, without tag. */
    readonly url: string;
    /** The tag the cluster follows, e.g. its environment's channel. */
    readonly tag: string;
    /** How source-controller reaches the registry. */
    readonly settings: RegistrySourceSettings;
    /** How often to look for a new artifact. @default 1m */
    readonly interval?: FluxDuration;
    /**
     * The objects whose readiness the sync's readiness includes (its `healthChecks`), e.g. the Kustomization of every
     * component of the cluster, so that the sync ends Ready, and reports success, only once they are; the sync then
     * waits for them up to {@link SYNC_HEALTH_TIMEOUT}, judging them by {@link COMPONENT_HEALTH_CHECK}.
     * @default - none: the sync is ready once applied
     */
    readonly healthChecks?: readonly HealthCheckTarget[];
  };
  /** Signature verification of the sync artifact. @default - none: the environment does not verify */
  readonly verification?: OciVerification;
  /**
   * The data of the `flux-runtime-info` ConfigMap (cluster name, environment, region, wave, tag, and the cluster's
   * variables). Keys must be substitution variable names, since reconcilers read them with `substituteFrom`.
   */
  readonly runtimeInfo: Readonly<Record<string, string>>;
  /**
   * How the cluster's environment is released, recorded on the `flux-runtime-info` ConfigMap as
   * {@link RELEASE_POLICY_ANNOTATIONS}.
   * @default - not recorded
   */
  readonly release?: { readonly production: boolean; readonly deployOnPush: boolean };
}

/** How the Flux controllers' manifests are fitted to a cluster, whichever bootstrap installs them. */
export interface FluxControllerSettings {
  /**
   * Extra command-line flags of each controller, appended to its container's arguments, e.g.
   * `{ 'kustomize-controller': ['--concurrent=20', '--requeue-dependency=5s'] }`.
   * @default - none
   */
  readonly controllerFlags?: Partial<Record<FluxComponent, string[]>>;
  /**
   * Kustomize patches on the Flux manifests, e.g. controller flags, resources or node selectors; applied after the
   * fleet's own patches (components, lockdown, network policies, and for the operator the sync source's
   * verification and plain HTTP) and after `controllerFlags`.
   * @default - none
   */
  readonly patches?: KustomizePatch[];
  /**
   * Labels and annotations set on every object of Flux itself (its controllers, CRDs, service accounts...), e.g. a
   * team label that admission policies or cost reports select on.
   * @default - none
   */
  readonly commonMetadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
}

/** The FluxInstance settings a fleet sets beyond the version, components and sync (see {@link OperatorBootstrapOptions.instance}). */
export interface FluxInstanceSettings extends FluxControllerSettings {
  /**
   * An OCI artifact with the Flux distribution's manifests (`distribution.artifact`), e.g.
   * `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests`, pulled instead of those built into the operator,
   * so that new Flux patch releases arrive without an operator upgrade.
   * @default - the manifests built into the operator
   */
  readonly distributionArtifact?: string;
  /** A Secret for pulling `distributionArtifact`. @default - anonymous */
  readonly distributionArtifactPullSecret?: SecretReference;
  /** The Flux build (`distribution.variant`). @default - the upstream build */
  readonly variant?: FluxDistributionVariant;
  /** A Secret for pulling the controller images (`distribution.imagePullSecret`). @default - anonymous */
  readonly imagePullSecret?: SecretReference;
  /** The cluster DNS domain (`cluster.domain`). @default "cluster.local" */
  readonly domain?: string;
  /**
   * The service account reconcilers impersonate under the multi-tenancy lockdown when an object names none
   * (`cluster.tenantDefaultServiceAccount`).
   * @default "default"
   */
  readonly tenantDefaultServiceAccount?: string;
  /** Object-level workload identity (`cluster.objectLevelWorkloadIdentity`). @default false */
  readonly objectLevelWorkloadIdentity?: boolean;
  /** Horizontal sharding of the controllers (`sharding`). @default - no sharding */
  readonly sharding?: FluxInstanceSharding;
  /** A persistent volume for source-controller's artifacts (`storage`). @default - an emptyDir */
  readonly storage?: FluxInstanceStorage;
}

/** Options of {@link Bootstrap.operator}. */
export interface OperatorBootstrapOptions {
  /**
   * The Flux Operator chart version: exact (`0.58.1`), or a semver range (`0.58.x`, `>=0.58.0 <1.0.0`) that the
   * operator follows as new charts are published; the operator upgrades itself to it. It must embed the Flux minor
   * every cluster asks for: required for clusters on Flux 2.10, for which flux-fleet pins no release yet. With a range,
   * the first install (e.g. by the Pulumi component) takes the pinned release unless it is given an exact version.
   * @default - the release flux-fleet pins for the cluster's Flux minor: FLUX_OPERATOR_VERSION ("0.58.1") for 2.9
   */
  readonly version?: string;
  /**
   * The chart's repository, e.g. a mirror; the signature is still verified, so copy it with the chart
   * (`cosign copy`).
   * @default FLUX_OPERATOR_CHART_URL
   */
  readonly chartUrl?: string;
  /** How the chart's registry is reached (provider, pull secret, plain HTTP). @default - anonymous HTTPS pulls */
  readonly chartSettings?: RegistrySourceSettings;
  /**
   * Who signs the chart, as the clusters verify it, e.g. your own key or pipeline for a chart you mirror and sign
   * yourself (an air-gapped fleet), whose public material synth writes into `flux-system` like any other.
   * @default FLUX_OPERATOR_CHART_SIGNING (ControlPlane's release workflow)
   */
  readonly chartSigning?: Signing;
  /**
   * How often to look at the chart's registry. The version is pinned, so this only catches a tag that moved;
   * a new version arrives with the cluster's artifact.
   * @default 1h
   */
  readonly interval?: FluxDuration;
  /**
   * Chart values, merged at the top level over the computed ones (`multitenancy.enabled` on multi-tenant clusters).
   * @default - the computed values only
   */
  readonly values?: Record<string, unknown>;
  /** How often helm-controller reconciles the operator's HelmRelease. @default 10m */
  readonly releaseInterval?: FluxDuration;
  /** How long to wait before retrying a failed install or upgrade of the operator (`RetryOnFailure`). @default - the release interval */
  readonly retryInterval?: FluxDuration;
  /** Force resource updates through replacement when an upgrade of the operator cannot patch them (`upgrade.force`). @default false */
  readonly force?: boolean;
  /**
   * The FluxInstance settings, the same on every cluster or computed from each cluster's facts (its name,
   * environment, region...), e.g. `(facts) => ({ domain: \`${facts.clusterName}.local\` })`.
   * @default - the operator's defaults
   */
  readonly instance?: FluxInstanceSettings | ((facts: BootstrapFacts) => FluxInstanceSettings);
}

/** Options of {@link Bootstrap.plain}. */
export interface PlainBootstrapOptions {
  /**
   * The repository of the Flux release manifests, e.g. a mirror; the signature is still verified, so copy it with
   * the artifact (`cosign copy`).
   * @default FLUX_MANIFESTS_URL
   */
  readonly manifestsUrl?: string;
  /** How the manifests' registry is reached (provider, pull secret, plain HTTP). @default - anonymous HTTPS pulls */
  readonly manifestsSettings?: RegistrySourceSettings;
  /**
   * Who signs the release manifests, as the clusters verify them, e.g. your own key or pipeline for manifests you
   * mirror and sign yourself (an air-gapped fleet), whose public material synth writes into `flux-system`.
   * @default FLUX_MANIFESTS_SIGNING (the Flux project's release workflow)
   */
  readonly manifestsSigning?: Signing;
  /** How often to look for a new Flux release (with a version range) or a moved tag. @default 1h */
  readonly interval?: FluxDuration;
  /**
   * Controller flags, patches and labels fitted to the release manifests (as `Bootstrap.operator({ instance })` sets
   * them on a FluxInstance), the same on every cluster or computed from each cluster's facts, e.g.
   * `(facts) => ({ controllerFlags: { 'kustomize-controller': [facts.environment === 'production' ? '--concurrent=20' : '--concurrent=5'] } })`.
   * @default - the release manifests as published, with the fleet's own patches only
   */
  readonly controllers?: FluxControllerSettings | ((facts: BootstrapFacts) => FluxControllerSettings);
}

/** Which factory made a bootstrap. */
export type BootstrapKind = 'operator' | 'plain';

/**
 * How Flux is installed and kept up to date on each cluster, and how it syncs the cluster's own artifact.
 * Every bootstrap writes its objects to namespace `flux-system`, plus the `flux-runtime-info` ConfigMap.
 */
export abstract class Bootstrap {
  /**
   * Flux Operator (the default): a FluxInstance `flux` that installs Flux and syncs the cluster's artifact, the
   * signed Flux Operator chart with a HelmRelease `flux-operator` so that the operator upgrades itself, and the
   * runtime info.
   *
   * Signature verification and plain HTTP of the sync artifact are kustomize patches on the OCIRepository
   * `flux-system` the operator generates, since the FluxInstance sync block has neither field.
   * The FluxInstance and the HelmRelease carry `kustomize.toolkit.fluxcd.io/prune: disabled`: taking them out of
   * the config never uninstalls Flux or the operator (delete them by hand to do that).
   */
  public static operator(options: OperatorBootstrapOptions = {}): Bootstrap {
    return new OperatorBootstrap(options);
  }

  /**
   * Plain Flux: the cluster applies the official signed release artifact `oci://ghcr.io/fluxcd/flux-manifests`
   * (Kustomization `flux-components`, verified, never copied into the config), and syncs its own artifact with an
   * OCIRepository and a Kustomization named `flux-system`.
   *
   * `flux-components` prunes, so controllers taken out of `components` are removed, but its deletion policy is
   * `Orphan`: deleting it (say, when moving to the operator) leaves Flux running. `flux-system` does not depend on
   * it, so a failed Flux upgrade never blocks the sync that would fix it. Components, network policies, the
   * multi-tenancy lockdown and an image registry mirror are kustomize patches on the release manifests;
   * `cloud` and `size` are profiles of the operator and do not apply.
   */
  public static plain(options: PlainBootstrapOptions = {}): Bootstrap {
    return new PlainBootstrap(options);
  }

  /** Which factory made this bootstrap. */
  public abstract readonly kind: BootstrapKind;

  /** Creates the bootstrap objects in `chart`, in namespace flux-system, in the order they are to be applied. */
  public abstract build(chart: Chart, facts: BootstrapFacts): void;

  /**
   * Who signs what the bootstrap itself pulls besides the cluster's own artifact (the operator chart, or Flux's
   * release manifests), as its sources in `flux-system` verify it.
   */
  public abstract signings(): Signing[];
}

/**
 * The bootstrap objects of one cluster, rendered in the order to apply them, e.g. for a program that installs Flux
 * on a new cluster. Throws, listing every problem, when an object is invalid.
 */
export function bootstrapObjects(bootstrap: Bootstrap, facts: BootstrapFacts): Record<string, any>[] {
  const app = new App();
  const chart = new Chart(app, 'bootstrap');
  bootstrap.build(chart, facts);
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((m) => `[${c.node.path}] ${m}`));
  if (errors.length > 0) {
    throw new ValidationError(`The bootstrap objects of cluster ${q(facts.clusterName)} are invalid:\n  ${errors.join('\n  ')}`);
  }
  return chart.toJson();
}

/** The controllers a FluxInstance installs by default; plain Flux installs the same set. */
const DEFAULT_COMPONENTS: readonly FluxComponent[] = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'];
const DEFAULT_REGISTRY = 'ghcr.io/fluxcd';
const PRUNE_DISABLED = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };
/** An exact version: a release (and pre-release) tag rather than a range. */
const EXACT_VERSION = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

class OperatorBootstrap extends Bootstrap {
  public readonly kind = 'operator';

  public constructor(private readonly options: OperatorBootstrapOptions) {
    super();
  }

  public signings(): Signing[] {
    return [this.options.chartSigning ?? FLUX_OPERATOR_CHART_SIGNING];
  }

  public build(chart: Chart, facts: BootstrapFacts): void {
    const o = this.options;
    const settings = facts.sync.settings;
    runtimeInfo(chart, facts);
    const instance = typeof o.instance === 'function' ? o.instance(facts) : o.instance ?? {};
    const patches: KustomizePatch[] = [];
    if (facts.verification) patches.push(syncPatch('/spec/verify', verificationValue(facts.verification)));
    if (settings.insecure) patches.push(syncPatch('/spec/insecure', true));
    const checks = facts.sync.healthChecks ?? [];
    if (checks.length > 0) {
      patches.push(
        syncPatch('/spec/healthChecks', checks.map((h) => ({ apiVersion: h.apiVersion, kind: h.kind, name: h.name, namespace: h.namespace }))),
        syncPatch('/spec/healthCheckExprs', [{ ...COMPONENT_HEALTH_CHECK }]),
        syncPatch('/spec/timeout', SYNC_HEALTH_TIMEOUT),
      );
    }
    patches.push(...flagPatches(instance.controllerFlags), ...instance.patches ?? []);
    // A tenant default service account without the lockdown: said in the fleet's words, not the FluxInstance's.
    const orphanDefaultAccount = instance.tenantDefaultServiceAccount !== undefined && !facts.multitenant;
    const fluxInstance = new FluxInstance(chart, 'flux', {
      metadata: { name: 'flux', namespace: BOOTSTRAP_NAMESPACE, annotations: { ...PRUNE_DISABLED } },
      distribution: {
        version: facts.flux.version,
        ...(facts.flux.registry !== undefined ? { registry: facts.flux.registry } : {}),
        variant: instance.variant,
        imagePullSecret: instance.imagePullSecret,
        artifact: instance.distributionArtifact,
        artifactPullSecret: instance.distributionArtifactPullSecret,
      },
      components: facts.flux.components ? [...facts.flux.components] : undefined,
      cluster: {
        type: facts.cloud,
        size: facts.size,
        multitenant: facts.multitenant,
        networkPolicy: facts.networkPolicy ?? true,
        domain: instance.domain,
        tenantDefaultServiceAccount: orphanDefaultAccount ? undefined : instance.tenantDefaultServiceAccount,
        objectLevelWorkloadIdentity: instance.objectLevelWorkloadIdentity,
      },
      sharding: instance.sharding,
      storage: instance.storage,
      commonMetadata: instance.commonMetadata,
      kustomize: patches.length > 0 ? { patches } : undefined,
      sync: {
        kind: 'OCIRepository',
        url: facts.sync.url,
        ref: facts.sync.tag,
        path: './',
        provider: settings.provider,
        pullSecret: settings.secretRef,
        interval: facts.sync.interval,
      },
    });
    fluxInstance.node.addValidation({
      validate: () => [
        ...flagProblems('Bootstrap.operator() instance.controllerFlags', instance.controllerFlags),
        ...(orphanDefaultAccount ? [`Bootstrap.operator() instance.tenantDefaultServiceAccount ${q(instance.tenantDefaultServiceAccount)} applies only under the multi-tenancy lockdown, which cluster ${facts.clusterName} does not run (it has no tenants); set flux: { multitenant: true } on the cluster (or on the fleet) to lock it down, or drop tenantDefaultServiceAccount`] : []),
      ],
    });
    // Without helm-controller nothing would reconcile the operator's HelmRelease: the operator is then kept by
    // whatever installed it.
    if (facts.flux.components && !facts.flux.components.includes('helm-controller')) return;
    const minor = knownFluxMinorOf(facts.flux.version);
    const version = o.version ?? (minor ? FLUX_OPERATOR_VERSIONS[minor] : FLUX_OPERATOR_VERSION) ?? '';
    const source = new OciRepository(chart, 'flux-operator-chart', {
      metadata: { name: 'flux-operator', namespace: BOOTSTRAP_NAMESPACE, annotations: insecureOptIn(o.chartSettings?.insecure) },
      url: o.chartUrl ?? FLUX_OPERATOR_CHART_URL,
      // With no version (a minor flux-fleet pins no operator for), validation below says what to set.
      ref: EXACT_VERSION.test(version) ? { tag: version } : version === '' ? undefined : { semver: version },
      interval: o.interval ?? '1h',
      layerSelector: HELM_CHART_LAYER_SELECTOR,
      ...registrySettings(o.chartSettings),
      verify: (o.chartSigning ?? FLUX_OPERATOR_CHART_SIGNING).verification(),
    });
    source.node.addValidation({
      validate: () => EXACT_VERSION.test(version) || isSemverRange(version) ? [] : version === '' ? [
        `Flux ${facts.flux.version} needs a Flux Operator release that embeds Flux ${minor}, and flux-fleet pins none for it; set Bootstrap.operator({ version }) to the chart version of an operator release whose notes say it includes Flux v${minor}`,
      ] : [
        `Bootstrap.operator() version ${q(version)} is not a chart version or semver range; use an exact one, e.g. ${q(FLUX_OPERATOR_VERSION)}, or a range, e.g. "0.58.x"`,
      ],
    });
    const values = { ...(facts.multitenant ? { multitenancy: { enabled: true } } : {}), ...o.values };
    new HelmRelease(chart, 'flux-operator', {
      metadata: { name: 'flux-operator', namespace: BOOTSTRAP_NAMESPACE, annotations: { ...PRUNE_DISABLED } },
      chartRef: source,
      // The release the first install (`helm install flux-operator`) made, adopted as is.
      releaseName: 'flux-operator',
      // The operator's own cluster-admin account: under the lockdown, helm-controller would otherwise impersonate
      // flux-system's `default` account, which may do nothing.
      serviceAccountName: 'flux-operator',
      // A failed upgrade is retried, never remediated: uninstalling the chart would remove its CRDs, and with them
      // the FluxInstance and Flux itself.
      interval: o.releaseInterval,
      install: { strategy: { name: 'RetryOnFailure', retryInterval: o.retryInterval } },
      upgrade: { strategy: { name: 'RetryOnFailure', retryInterval: o.retryInterval }, force: o.force },
      values: Object.keys(values).length > 0 ? values : undefined,
    });
  }
}

class PlainBootstrap extends Bootstrap {
  public readonly kind = 'plain';

  public constructor(private readonly options: PlainBootstrapOptions) {
    super();
  }

  public signings(): Signing[] {
    return [this.options.manifestsSigning ?? FLUX_MANIFESTS_SIGNING];
  }

  public build(chart: Chart, facts: BootstrapFacts): void {
    const o = this.options;
    const settings = facts.sync.settings;
    // Under the lockdown, kustomize-controller would impersonate flux-system's `default` account.
    const serviceAccountName = facts.multitenant ? 'kustomize-controller' : undefined;
    runtimeInfo(chart, facts);
    const manifests = new OciRepository(chart, 'flux-manifests', {
      metadata: { name: 'flux-manifests', namespace: BOOTSTRAP_NAMESPACE, annotations: insecureOptIn(o.manifestsSettings?.insecure) },
      url: o.manifestsUrl ?? FLUX_MANIFESTS_URL,
      ref: releaseRef(facts.flux.version),
      interval: o.interval ?? '1h',
      ...registrySettings(o.manifestsSettings),
      verify: (o.manifestsSigning ?? FLUX_MANIFESTS_SIGNING).verification(),
    });
    const controllers = typeof o.controllers === 'function' ? o.controllers(facts) : o.controllers ?? {};
    const patches = [...componentPatches(facts), ...flagPatches(controllers.controllerFlags), ...controllers.patches ?? []];
    const images = imageOverrides(facts);
    const components = new Kustomization(chart, 'flux-components', {
      metadata: { name: 'flux-components', namespace: BOOTSTRAP_NAMESPACE },
      sourceRef: manifests,
      path: './',
      prune: true,
      deletionPolicy: 'Orphan',
      serviceAccountName,
      patches: patches.length > 0 ? patches : undefined,
      images: images.length > 0 ? images : undefined,
      commonMetadata: controllers.commonMetadata,
    });
    components.node.addValidation({ validate: () => flagProblems('Bootstrap.plain() controllers.controllerFlags', controllers.controllerFlags) });
    const sync = new OciRepository(chart, 'flux-system-source', {
      metadata: { name: SYNC_NAME, namespace: BOOTSTRAP_NAMESPACE, annotations: insecureOptIn(settings.insecure) },
      url: facts.sync.url,
      ref: { tag: facts.sync.tag },
      interval: facts.sync.interval ?? '1m',
      ...registrySettings(settings),
      verify: facts.verification,
    });
    // No postBuild substitution: the config is generated per cluster, so a `${...}` in it is meant literally.
    new Kustomization(chart, 'flux-system', {
      metadata: { name: SYNC_NAME, namespace: BOOTSTRAP_NAMESPACE },
      sourceRef: sync,
      path: './',
      prune: true,
      serviceAccountName,
      ...(facts.sync.healthChecks && facts.sync.healthChecks.length > 0
        ? { healthChecks: [...facts.sync.healthChecks], healthCheckExprs: [COMPONENT_HEALTH_CHECK], timeout: SYNC_HEALTH_TIMEOUT }
        : {}),
    });
  }
}

/** The `flux-runtime-info` ConfigMap, with the labels and annotation the Flux Operator's reference architecture uses. */
function runtimeInfo(chart: Chart, facts: BootstrapFacts): ConfigMap {
  const map = new ConfigMap(chart, RUNTIME_INFO_NAME, {
    metadata: {
      name: RUNTIME_INFO_NAME,
      namespace: BOOTSTRAP_NAMESPACE,
      labels: {
        'toolkit.fluxcd.io/runtime': 'true',
        // Reconcilers reading it (substituteFrom, ResourceSet inputs) run again as soon as it changes.
        'reconcile.fluxcd.io/watch': 'Enabled',
      },
      // Applied with a merge, so entries another tool adds on the cluster (say, a cloud account id) survive.
      annotations: {
        'kustomize.toolkit.fluxcd.io/ssa': 'Merge',
        ...(facts.release ? {
          [RELEASE_POLICY_ANNOTATIONS.production]: String(facts.release.production),
          [RELEASE_POLICY_ANNOTATIONS.deployOnPush]: String(facts.release.deployOnPush),
        } : {}),
      },
    },
    data: { ...facts.runtimeInfo },
  });
  map.node.addValidation({
    validate: () => {
      const c = new Checks();
      for (const key of Object.keys(facts.runtimeInfo)) c.variableName(`${RUNTIME_INFO_NAME} data key`, key);
      return c.errors;
    },
  });
  return map;
}

/** A JSON 6902 patch on the sync object the operator generates: its OCIRepository, or with `/spec/healthChecks`, `/spec/healthCheckExprs` or `/spec/timeout` its Kustomization. */
function syncPatch(path: string, value: unknown): KustomizePatch {
  const kind = ['/spec/healthChecks', '/spec/healthCheckExprs', '/spec/timeout'].includes(path) ? 'Kustomization' : 'OCIRepository';
  return { patch: [{ op: 'add', path, value }], target: { kind, name: SYNC_NAME } };
}

/** `spec.verify` as plain data, without unset fields. */
function verificationValue(v: OciVerification): Record<string, unknown> {
  return {
    provider: v.provider,
    ...(v.secretRef ? { secretRef: { name: v.secretRef.name } } : {}),
    ...(v.matchOIDCIdentity ? { matchOIDCIdentity: v.matchOIDCIdentity.map((m) => ({ issuer: m.issuer, subject: m.subject })) } : {}),
    ...(v.trustedRootSecretRef ? { trustedRootSecretRef: { name: v.trustedRootSecretRef.name } } : {}),
  };
}

/** The OCIRepository fields of registry settings, leaving out what is unset. */
function registrySettings(s: RegistrySourceSettings | undefined): { provider?: RegistrySourceSettings['provider']; secretRef?: { name: string }; insecure?: boolean } {
  if (!s) return {};
  return {
    provider: s.provider,
    ...(s.secretRef ? { secretRef: { name: s.secretRef.name } } : {}),
    ...(s.insecure ? { insecure: true } : {}),
  };
}

/** A release's manifests: the tag `v<version>` of an exact version, the highest matching release of a range. */
function releaseRef(version: string): OciRepositoryRef {
  return EXACT_VERSION.test(version) ? { tag: version.startsWith('v') ? version : `v${version}` } : { semver: version };
}

/** The kustomize patches that fit the release manifests to the cluster: components, network policies, lockdown. */
function componentPatches(facts: BootstrapFacts): KustomizePatch[] {
  const patches: KustomizePatch[] = [];
  const wanted = new Set<string>(facts.flux.components ?? DEFAULT_COMPONENTS);
  const unwanted = FLUX_COMPONENTS.filter((c) => !wanted.has(c));
  if (unwanted.length > 0) {
    patches.push({
      patch: { $patch: 'delete', apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'unwanted' } },
      target: { kind: 'Deployment', name: `(${unwanted.join('|')})` },
    });
  }
  if (facts.networkPolicy === false) {
    patches.push({
      patch: { $patch: 'delete', apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'all' } },
      target: { kind: 'NetworkPolicy' },
    });
  }
  if (facts.multitenant) {
    const arg = (value: string) => [{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value }];
    patches.push(
      {
        patch: arg('--no-cross-namespace-refs=true'),
        target: { kind: 'Deployment', name: '(kustomize-controller|helm-controller|notification-controller|image-reflector-controller|image-automation-controller)' },
      },
      { patch: arg('--no-remote-bases=true'), target: { kind: 'Deployment', name: 'kustomize-controller' } },
      { patch: arg('--default-service-account=default'), target: { kind: 'Deployment', name: '(kustomize-controller|helm-controller)' } },
    );
  }
  return patches;
}

/** JSON 6902 patches appending each controller's extra flags to its container's arguments, one patch per controller. */
function flagPatches(flags: FluxControllerSettings['controllerFlags']): KustomizePatch[] {
  return Object.entries(flags ?? {}).filter(([, args]) => (args ?? []).length > 0).map(([controller, args]) => ({
    patch: args!.map((value) => ({ op: 'add', path: '/spec/template/spec/containers/0/args/-', value })),
    target: { kind: 'Deployment', name: controller },
  }));
}

/** Flags that are not `--name` or `--name=value`, and controllers Flux does not have. */
function flagProblems(field: string, flags: FluxControllerSettings['controllerFlags']): string[] {
  const problems: string[] = [];
  for (const [controller, args] of Object.entries(flags ?? {})) {
    if (!(FLUX_COMPONENTS as readonly string[]).includes(controller)) {
      problems.push(`${field} names ${q(controller)}, which is not a Flux controller; use one of ${FLUX_COMPONENTS.map((c) => q(c)).join(', ')}`);
    }
    for (const arg of args ?? []) {
      if (!/^--[a-z0-9][a-z0-9-]*(=.*)?$/.test(arg)) problems.push(`${field}.${controller} flag ${q(arg)} is not a flag; write it as "--name=value", e.g. "--concurrent=20"`);
    }
  }
  return problems;
}

/** The controller images taken from the fleet's registry instead of ghcr.io/fluxcd. */
function imageOverrides(facts: BootstrapFacts): KustomizeImage[] {
  const registry = facts.flux.registry?.replace(/\/+$/, '');
  if (registry === undefined || registry === DEFAULT_REGISTRY) return [];
  return [...(facts.flux.components ?? DEFAULT_COMPONENTS)].map((c) => ({ name: `${DEFAULT_REGISTRY}/${c}`, newName: `${registry}/${c}` }));
}

ownImplementations(OperatorBootstrap, PlainBootstrap);
