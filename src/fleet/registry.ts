import { AWS_REGIONS, AZURE_REGIONS, closestRegion, GCP_MULTI_REGIONS, GCP_REGIONS } from './cloud-regions.js';
import { ownImplementations } from './own-implementations.js';
import { ALLOW_INSECURE_ANNOTATION, type SecretReference } from '../flux/core/api.js';
import { ValidationError } from '../flux/core/errors.js';
import { Checks, q } from '../flux/core/rules.js';
import type { OciProvider } from '../flux/source/oci-repository.js';

/** The OCIRepository fields a registry needs: how source-controller authenticates to it, and over what. */
export interface RegistrySourceSettings {
  /** `spec.provider`: the cloud whose workload identity authenticates, or `generic`. */
  readonly provider: OciProvider;
  /** `spec.secretRef`: a `kubernetes.io/dockerconfigjson` Secret on the cluster. @default - no pull secret */
  readonly secretRef?: SecretReference;
  /** `spec.insecure`: reach the registry over plain HTTP. @default - HTTPS (the field is left out) */
  readonly insecure?: boolean;
}

/**
 * The annotations a source reaching its registry over plain HTTP carries: the explicit opt-in the tree validator
 * accepts (`flux-fleet.io/allow-insecure: "true"`); undefined over HTTPS.
 */
export function insecureOptIn(insecure: boolean | undefined): Record<string, string> | undefined {
  return insecure ? { [ALLOW_INSECURE_ANNOTATION]: 'true' } : undefined;
}

/** Options every registry takes. */
export interface RegistryOptions {
  /**
   * The folder, under the registry's repository, where Helm charts are mirrored: `helmChartUrl()` gives
   * `oci://<host>/<repository>/<chartsPath>/<chart>`.
   * @default "charts"
   */
  readonly chartsPath?: string;
}

/** Options of the registries a cloud names by region (ECR, ACR, Artifact Registry). */
export interface CloudRegistryOptions extends RegistryOptions {
  /**
   * Regions to accept beyond those flux-fleet knows the cloud runs (`AWS_REGIONS`, `AZURE_REGIONS`, `GCP_REGIONS`),
   * e.g. one the cloud opened after flux-fleet's list was made. A region in neither fails synth, with the closest
   * known one as a suggestion.
   * @default - the known regions only
   */
  readonly additionalRegions?: string[];
}

/** An AWS partition; each has its own ECR domain. */
export type AwsPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** Props of {@link Registry.ecr}. */
export interface EcrRegistryProps extends CloudRegistryOptions {
  /** The AWS account id owning the repositories: 12 digits, as a string (leading zeros count). */
  readonly account: string;
  /** The repository prefix under which the fleet's artifacts live, e.g. `fleet` (artifacts go to `fleet/<path>`). */
  readonly repository: string;
  /** The AWS partition. @default - the region's: "aws-cn" for `cn-*`, "aws-us-gov" for `us-gov-*`, else "aws" */
  readonly partition?: AwsPartition;
  /** The region of the registry. @default - the cluster's region (one registry per region) */
  readonly region?: string;
}

/** Props of {@link Registry.acr}. */
export interface AcrRegistryProps extends CloudRegistryOptions {
  /**
   * The registry's name (`<name>.azurecr.io`): one for every region, or one per region
   * (`{ westeurope: 'acmeweu', eastus: 'acmeeus' }`).
   */
  readonly registryName: string | Readonly<Record<string, string>>;
  /** The repository prefix under which the fleet's artifacts live, e.g. `fleet`. */
  readonly repository: string;
}

/** Props of {@link Registry.gar}. */
export interface GarRegistryProps extends CloudRegistryOptions {
  /** The Google Cloud project id. */
  readonly project: string;
  /** The Artifact Registry repository (format Docker), e.g. `fleet`. */
  readonly repository: string;
  /** The repository's location: a region (`europe-west1`) or a multi-region (`europe`). @default - the cluster's region */
  readonly location?: string;
}

/** Props of {@link Registry.ghcr}. */
export interface GhcrRegistryProps extends RegistryOptions {
  /** The GitHub user or organization owning the packages. */
  readonly owner: string;
  /** A repository prefix under the owner. @default - artifacts directly under the owner: `ghcr.io/<owner>/<path>` */
  readonly repository?: string;
  /**
   * A `kubernetes.io/dockerconfigjson` Secret, present on every cluster, with a token that reads the packages.
   * Only its name is referenced; its content never enters the config repo.
   */
  readonly pullSecret: SecretReference;
}

/** Props of {@link Registry.generic}. */
export interface GenericRegistryProps extends RegistryOptions {
  /** The registry host, with an optional port (`registry.acme.io`, `localhost:5000`), or one computed per region. */
  readonly host: string | ((region: string) => string);
  /** The repository prefix under which the fleet's artifacts live, e.g. `platform/fleet`. */
  readonly repository: string;
  /** A `kubernetes.io/dockerconfigjson` Secret on the cluster; only its name is referenced. @default - anonymous pulls */
  readonly pullSecret?: SecretReference;
  /** Reach the registry over plain HTTP; an explicit opt-in, for local or air-gapped registries. @default false (HTTPS) */
  readonly insecure?: boolean;
}

/** Which factory made a registry. */
export type RegistryKind = 'ecr' | 'acr' | 'gar' | 'ghcr' | 'generic' | 'per-region';

/**
 * Where a cluster's OCI artifacts live: one registry per region. A registry turns a region and a path (a cluster's
 * name, `components/<name>`) into an `oci://` URL, and says how Flux authenticates to it.
 *
 * The methods that compute URLs throw a `ValidationError` for a region that a {@link Registry.perRegion} map (or an
 * ACR `registryName` map, or a computed `Registry.generic()` host) has no registry for; `hasRegion()` says whether they
 * would, and `validate()` gathers every problem as a message instead.
 */
export abstract class Registry {
  /**
   * Amazon ECR: `<account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn` in China); Flux authenticates with
   * the cluster's AWS workload identity (provider `aws`), so no pull secret is needed.
   */
  public static ecr(props: EcrRegistryProps): Registry {
    return new EcrRegistry(props);
  }

  /** Azure Container Registry: `<name>.azurecr.io`; Flux authenticates with Azure workload identity (provider `azure`). */
  public static acr(props: AcrRegistryProps): Registry {
    return new AcrRegistry(props);
  }

  /**
   * Google Artifact Registry: `<location>-docker.pkg.dev/<project>/<repository>`; Flux authenticates with GKE workload
   * identity (provider `gcp`).
   */
  public static gar(props: GarRegistryProps): Registry {
    return new GarRegistry(props);
  }

  /** GitHub Container Registry: `ghcr.io/<owner>/...`, read with a pull secret (provider `generic`). */
  public static ghcr(props: GhcrRegistryProps): Registry {
    return new GhcrRegistry(props);
  }

  /** Any OCI registry, reached over HTTPS unless `insecure` opts in to plain HTTP. */
  public static generic(props: GenericRegistryProps): Registry {
    return new GenericRegistry(props);
  }

  /** A different registry in each region, e.g. `{ 'eu-west-1': Registry.ecr(...), 'westeurope': Registry.acr(...) }`. */
  public static perRegion(registries: Readonly<Record<string, Registry>>): Registry {
    return new PerRegionRegistry(registries);
  }

  /** Which factory made this registry. */
  public abstract readonly kind: RegistryKind;

  /**
   * Whether the registry has a registry for `region`, so that its URLs can be computed: false for a region a
   * {@link Registry.perRegion} map or an ACR `registryName` map lacks, or a region a computed host throws for
   * (`validate()` says why).
   */
  public hasRegion(_region: string): boolean {
    return true;
  }

  /** The registry host for a region, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  public abstract hostFor(region: string): string;

  /** The repository prefix, under the host, that the artifacts of a region share, e.g. `fleet` or `acme-prod/fleet`. */
  public abstract repositoryFor(region: string): string;

  /** The OCIRepository fields to set for a region: `provider`, and `secretRef` and `insecure` where they apply. */
  public abstract sourceSettings(region: string): RegistrySourceSettings;

  /**
   * The `oci://` URL of an artifact in the region's registry: `oci://<host>/<repository>/<path>`.
   * @param path the artifact's path under the repository, e.g. a cluster's name or `components/<name>`
   */
  public abstract urlFor(region: string, path: string): string;

  /** The `oci://` URL of a Helm chart mirrored in the region's registry: `oci://<host>/<repository>/<chartsPath>/<chart>`. */
  public abstract helmChartUrl(region: string, chart: string): string;

  /**
   * Checks the registry's settings for a region, and the artifact paths to be used under it; returns one message per
   * problem, each naming the bad value and the fix (none when all is well).
   */
  public abstract validate(region: string, paths?: readonly string[]): string[];
}

/** What the single registries share: URLs built from host and repository, the charts folder, and the path checks. */
abstract class SingleRegistry extends Registry {
  /** The factory, for messages, e.g. `Registry.ecr()`. */
  protected abstract readonly label: string;

  protected constructor(private readonly options: RegistryOptions) {
    super();
  }

  public urlFor(region: string, path: string): string {
    const clean = trimSlashes(path);
    return `oci://${this.hostFor(region)}/${this.repositoryFor(region)}${clean === '' ? '' : '/' + clean}`;
  }

  public helmChartUrl(region: string, chart: string): string {
    return this.urlFor(region, `${trimSlashes(this.options.chartsPath ?? 'charts')}/${trimSlashes(chart)}`);
  }

  public validate(region: string, paths: readonly string[] = []): string[] {
    const c = new Checks();
    this.check(c, region);
    if (this.options.chartsPath !== undefined) checkRepositoryPath(c, `${this.label} chartsPath`, this.options.chartsPath);
    paths.forEach((path) => checkRepositoryPath(c, `${this.label} path`, path));
    return c.errors;
  }

  /** Adds a message per problem of the settings for a region. */
  protected abstract check(c: Checks, region: string): void;
}

class EcrRegistry extends SingleRegistry {
  public readonly kind = 'ecr';
  protected readonly label = 'Registry.ecr()';

  public constructor(private readonly props: EcrRegistryProps) {
    super(props);
  }

  public hostFor(region: string): string {
    const r = this.props.region ?? region;
    const domain = this.partitionFor(r) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    return `${this.props.account}.dkr.ecr.${r}.${domain}`;
  }

  public repositoryFor(): string {
    return trimSlashes(this.props.repository);
  }

  public sourceSettings(): RegistrySourceSettings {
    return { provider: 'aws' };
  }

  protected check(c: Checks, region: string): void {
    const p = this.props;
    if (!/^[0-9]{12}$/.test(p.account)) {
      c.add(`${this.label} account ${q(p.account)} is not an AWS account id; use its 12 digits as a string, e.g. "123456789012"`);
    }
    if (!ECR_REPOSITORY.test(p.repository) || p.repository.length < 2 || p.repository.length > 256) {
      c.add(`${this.label} repository ${q(p.repository)} is not an ECR repository name: use 2 to 256 lowercase letters, digits and '.', '_', '-' or '/' between them, e.g. ${q(example(suggestPath(p.repository), (v) => ECR_REPOSITORY.test(v) && v.length >= 2, 'fleet'))}`);
    }
    const r = p.region ?? region;
    const where = p.region === undefined ? ': run the cluster in an AWS region, or set region' : '';
    if (!AWS_REGION.test(r)) {
      c.add(`${this.label} region ${q(r)} is not an AWS region (like "eu-west-1")${hintRegion(r)}${didYouMean(r, AWS_REGIONS)}; ECR needs the AWS region of the registry${where}`);
    } else if (!known(r, AWS_REGIONS, p.additionalRegions)) {
      c.add(unknownRegion(this.label, r, 'AWS', 'AWS_REGIONS', AWS_REGIONS));
    } else if (p.partition !== undefined && p.partition !== partitionOf(r)) {
      c.add(`${this.label} partition ${q(p.partition)} does not serve region ${q(r)}; set partition to ${q(partitionOf(r))}, or drop it (it follows the region)`);
    }
  }

  private partitionFor(region: string): AwsPartition {
    return this.props.partition ?? partitionOf(region);
  }
}

class AcrRegistry extends SingleRegistry {
  public readonly kind = 'acr';
  protected readonly label = 'Registry.acr()';

  public constructor(private readonly props: AcrRegistryProps) {
    super(props);
  }

  public hostFor(region: string): string {
    const name = this.nameFor(region);
    if (name === undefined) throw new ValidationError(this.missingName(region));
    return `${name.toLowerCase()}.azurecr.io`;
  }

  public hasRegion(region: string): boolean {
    return this.nameFor(region) !== undefined;
  }

  public repositoryFor(): string {
    return trimSlashes(this.props.repository);
  }

  public sourceSettings(): RegistrySourceSettings {
    return { provider: 'azure' };
  }

  protected check(c: Checks, region: string): void {
    if (!AZURE_REGION.test(region)) {
      c.add(`${this.label} region ${q(region)} is not an Azure region (like "westeurope")${hintRegion(region)}${didYouMean(region, AZURE_REGIONS)}; ACR with workload identity needs an AKS cluster in an Azure region`);
    } else if (!known(region, AZURE_REGIONS, this.props.additionalRegions)) {
      c.add(unknownRegion(this.label, region, 'Azure', 'AZURE_REGIONS', AZURE_REGIONS));
    }
    const name = this.nameFor(region);
    if (name === undefined) {
      c.add(this.missingName(region));
    } else if (!/^[a-zA-Z0-9]{5,50}$/.test(name)) {
      c.add(`${this.label} registryName ${q(name)} is not an ACR name: use 5 to 50 letters and digits only, e.g. ${q(suggestAcrName(name))}`);
    }
    checkRepositoryPath(c, `${this.label} repository`, this.props.repository);
  }

  private nameFor(region: string): string | undefined {
    const n = this.props.registryName;
    return typeof n === 'string' ? n : Object.prototype.hasOwnProperty.call(n, region) ? n[region] : undefined;
  }

  private missingName(region: string): string {
    const listed = Object.keys(this.props.registryName).map((r) => q(r)).join(', ');
    return `${this.label} registryName has no entry for region ${q(region)}; add one (regions listed: ${listed === '' ? 'none' : listed})`;
  }
}

class GarRegistry extends SingleRegistry {
  public readonly kind = 'gar';
  protected readonly label = 'Registry.gar()';

  public constructor(private readonly props: GarRegistryProps) {
    super(props);
  }

  public hostFor(region: string): string {
    return `${this.props.location ?? region}-docker.pkg.dev`;
  }

  public repositoryFor(): string {
    return `${this.props.project}/${trimSlashes(this.props.repository)}`;
  }

  public sourceSettings(): RegistrySourceSettings {
    return { provider: 'gcp' };
  }

  protected check(c: Checks, region: string): void {
    const p = this.props;
    if (p.location === undefined && !GCP_REGION.test(region)) {
      c.add(`${this.label} region ${q(region)} is not a Google Cloud region (like "europe-west1")${hintRegion(region)}${didYouMean(region, GCP_REGIONS)}; run the cluster in a GCP region, or set location (e.g. "europe-west1" or "europe")`);
    } else if (p.location === undefined && !known(region, GCP_REGIONS, p.additionalRegions)) {
      c.add(unknownRegion(this.label, region, 'Google Cloud', 'GCP_REGIONS', GCP_REGIONS));
    } else if (p.location !== undefined && !GCP_MULTI_REGIONS.includes(p.location) && !known(p.location, GCP_REGIONS, p.additionalRegions)) {
      const locations = [...GCP_REGIONS, ...GCP_MULTI_REGIONS];
      const opened = GCP_REGION.test(p.location) ? `, or, if Google opened ${q(p.location)} after flux-fleet's list (GCP_REGIONS) was made, accept it with additionalRegions: [${q(p.location)}]` : '';
      c.add(`${this.label} location ${q(p.location)} is not an Artifact Registry location${didYouMean(p.location, locations)}; use a region (like "europe-west1") or a multi-region ("us", "europe" or "asia")${opened}`);
    }
    if (!GCP_PROJECT.test(p.project)) {
      c.add(`${this.label} project ${q(p.project)} is not a Google Cloud project id: use 6 to 30 lowercase letters, digits and '-', starting with a letter, e.g. ${q(example(suggestPath(p.project).replace(/[._/]+/g, '-'), (v) => GCP_PROJECT.test(v), 'acme-fleet'))}`);
    }
    if (!GAR_REPOSITORY.test(p.repository) || p.repository.length > 63) {
      c.add(`${this.label} repository ${q(p.repository)} is not an Artifact Registry repository id: use up to 63 lowercase letters, digits and '-', starting with a letter, e.g. ${q(example(suggestPath(p.repository).replace(/[._/]+/g, '-'), (v) => GAR_REPOSITORY.test(v) && v.length <= 63, 'fleet'))}`);
    }
  }
}

class GhcrRegistry extends SingleRegistry {
  public readonly kind = 'ghcr';
  protected readonly label = 'Registry.ghcr()';

  public constructor(private readonly props: GhcrRegistryProps) {
    super(props);
  }

  public hostFor(): string {
    return 'ghcr.io';
  }

  public repositoryFor(): string {
    // GitHub names are case-insensitive; OCI repository names must be lowercase.
    const owner = this.props.owner.toLowerCase();
    return this.props.repository === undefined ? owner : `${owner}/${trimSlashes(this.props.repository)}`;
  }

  public sourceSettings(): RegistrySourceSettings {
    return { provider: 'generic', secretRef: { name: this.props.pullSecret.name } };
  }

  protected check(c: Checks): void {
    const p = this.props;
    if (!/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/.test(p.owner) || p.owner.length > 39) {
      c.add(`${this.label} owner ${q(p.owner)} is not a GitHub user or organization: use up to 39 letters, digits and single '-' between them, e.g. "acme"`);
    }
    if (p.repository !== undefined) checkRepositoryPath(c, `${this.label} repository`, p.repository);
    c.dnsName(`${this.label} pullSecret.name`, p.pullSecret.name);
  }
}

class GenericRegistry extends SingleRegistry {
  public readonly kind = 'generic';
  protected readonly label = 'Registry.generic()';

  public constructor(private readonly props: GenericRegistryProps) {
    super(props);
  }

  public hostFor(region: string): string {
    const computed = this.computedHost(region);
    if (typeof computed !== 'string') throw new ValidationError(this.noHost(region, computed));
    return computed;
  }

  public hasRegion(region: string): boolean {
    return typeof this.computedHost(region) === 'string';
  }

  public repositoryFor(): string {
    return trimSlashes(this.props.repository);
  }

  public sourceSettings(): RegistrySourceSettings {
    const p = this.props;
    return {
      provider: 'generic',
      ...(p.pullSecret ? { secretRef: { name: p.pullSecret.name } } : {}),
      ...(p.insecure === true ? { insecure: true } : {}),
    };
  }

  protected check(c: Checks, region: string): void {
    const p = this.props;
    const host = this.computedHost(region);
    const what = `${this.label} host ${q(host)}${typeof p.host === 'function' ? ` (computed for region ${q(region)})` : ''}`;
    const scheme = typeof host === 'string' ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(host) : null;
    if (typeof host !== 'string') {
      c.add(this.noHost(region, host));
    } else if (typeof p.host === 'function' && /(^|[^a-z0-9])(undefined|null|NaN)([^a-z0-9]|$)/i.test(host)) {
      // `127.0.0.1:${ports[region]}` for a region the map lacks: say so, rather than show the broken host as one.
      c.add(`${this.label} host function has no host for region ${q(region)}: what it returns for that region holds an undefined, null or NaN value (a lookup by region with no entry for ${q(region)}, say); return a host for every region the fleet's clusters run in`);
    } else if (scheme) {
      const bare = host.slice(scheme[0].length);
      const fix = scheme[1].toLowerCase() === 'http' ? ' and set insecure: true to opt in to plain HTTP' : '';
      c.add(`${what} carries a scheme; give the host alone (${q(bare)})${fix}`);
    } else if (host.includes('/')) {
      const at = host.indexOf('/');
      c.add(`${what} carries a path; give the host alone (${q(host.slice(0, at))}) and move ${q(host.slice(at + 1))} into repository`);
    } else if (!HOST.test(host) || Number(host.split(':')[1] ?? '1') > 65535) {
      c.add(`${what} is not a registry host; use a host name with an optional port, e.g. "registry.acme.io" or "localhost:5000"`);
    }
    checkRepositoryPath(c, `${this.label} repository`, p.repository);
    if (p.pullSecret) c.dnsName(`${this.label} pullSecret.name`, p.pullSecret.name);
  }

  /** The host for a region, or what went wrong computing it: the error it threw, or the value it returned instead. */
  private computedHost(region: string): string | { readonly thrown?: unknown; readonly returned?: unknown } {
    const host = this.props.host;
    if (typeof host !== 'function') return host;
    try {
      const computed = host(region);
      return typeof computed === 'string' ? computed : { returned: computed };
    } catch (e) {
      return { thrown: e };
    }
  }

  private noHost(region: string, problem: { readonly thrown?: unknown; readonly returned?: unknown }): string {
    const why = 'thrown' in problem
      ? `throws for it (${problem.thrown instanceof Error ? problem.thrown.message : String(problem.thrown)})`
      : `returns ${problem.returned === undefined ? 'undefined' : `a ${typeof problem.returned}, not a host name`} for it`;
    return `${this.label} host function has no host for region ${q(region)}: it ${why}; return a host for every region the fleet's clusters run in`;
  }
}

class PerRegionRegistry extends Registry {
  public readonly kind = 'per-region';

  public constructor(private readonly registries: Readonly<Record<string, Registry>>) {
    super();
  }

  public hostFor(region: string): string {
    return this.registryFor(region).hostFor(region);
  }

  public hasRegion(region: string): boolean {
    return this.lookup(region)?.hasRegion(region) ?? false;
  }

  public repositoryFor(region: string): string {
    return this.registryFor(region).repositoryFor(region);
  }

  public sourceSettings(region: string): RegistrySourceSettings {
    return this.registryFor(region).sourceSettings(region);
  }

  public urlFor(region: string, path: string): string {
    return this.registryFor(region).urlFor(region, path);
  }

  public helmChartUrl(region: string, chart: string): string {
    return this.registryFor(region).helmChartUrl(region, chart);
  }

  public validate(region: string, paths: readonly string[] = []): string[] {
    const registry = this.lookup(region);
    return registry ? registry.validate(region, paths) : [this.missing(region)];
  }

  private lookup(region: string): Registry | undefined {
    return Object.prototype.hasOwnProperty.call(this.registries, region) ? this.registries[region] : undefined;
  }

  private registryFor(region: string): Registry {
    const registry = this.lookup(region);
    if (!registry) throw new ValidationError(this.missing(region));
    return registry;
  }

  private missing(region: string): string {
    const listed = Object.keys(this.registries);
    if (listed.length === 0) return 'Registry.perRegion() lists no regions; add one registry per region, e.g. { "eu-west-1": Registry.ecr({ ... }) }';
    return `Registry.perRegion() has no registry for region ${q(region)}; add an entry for it (regions listed: ${listed.map((r) => q(r)).join(', ')})`;
  }
}

/** A repository path of the OCI distribution spec: lowercase components separated by '/'. */
const OCI_PATH = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const ECR_REPOSITORY = /^([a-z0-9]+([._-][a-z0-9]+)*\/)*[a-z0-9]+([._-][a-z0-9]+)*$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/i;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$/;
const GCP_REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const GAR_REPOSITORY = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const AZURE_REGION = /^[a-z]+[0-9]*$/;

/** A repository path (a prefix, an artifact path or the charts folder). */
function checkRepositoryPath(c: Checks, field: string, value: string): void {
  if (trimSlashes(value).trim() === '') {
    c.add(`${field} is empty; give a repository path, e.g. "fleet" or "components/podinfo"`);
  } else if (!OCI_PATH.test(trimSlashes(value))) {
    c.add(`${field} ${q(value)} is not an OCI repository path: use lowercase letters and digits, with '.', '_', '-' between them and '/' between components, e.g. ${q(example(suggestPath(value), (v) => OCI_PATH.test(v), 'fleet'))}`);
  }
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

function partitionOf(region: string): AwsPartition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Whether a region is one the cloud runs, or one the registry accepts besides. */
function known(region: string, regions: readonly string[], additional: readonly string[] | undefined): boolean {
  return regions.includes(region) || (additional ?? []).includes(region);
}

/** `; did you mean "eu-west-1"?` for the closest known region, or nothing. */
function didYouMean(region: string, regions: readonly string[]): string {
  const closest = closestRegion(region, regions);
  return closest === undefined ? '' : `; did you mean ${q(closest)}?`;
}

/** A region shaped like the cloud's, but not one it runs. */
function unknownRegion(label: string, region: string, cloud: string, list: string, regions: readonly string[]): string {
  return `${label} region ${q(region)} is not a region ${cloud} runs (flux-fleet's list, ${list})${didYouMean(region, regions)}; ` +
    `use the registry's ${cloud} region, or, if ${cloud} opened ${q(region)} after that list was made, accept it with additionalRegions: [${q(region)}]`;
}

/** Names the cloud whose format a region follows, when it is another cloud's. */
function hintRegion(region: string): string {
  if (AWS_REGION.test(region)) return ' but an AWS one';
  if (GCP_REGION.test(region)) return ' but a Google Cloud one';
  if (AZURE_REGION.test(region)) return ' but looks like an Azure one';
  return '';
}

function suggestPath(value: string): string {
  const s = value.toLowerCase().split('/').map((part) => part.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter((part) => part !== '').join('/');
  return s === '' ? 'fleet' : s;
}

/** The suggestion when it is valid, else a fixed valid example. */
function example(suggestion: string, valid: (value: string) => boolean, fallback: string): string {
  return valid(suggestion) ? suggestion : fallback;
}

function suggestAcrName(value: string): string {
  const s = value.replace(/[^a-zA-Z0-9]/g, '').slice(0, 50);
  return s.length >= 5 ? s : (s + 'registry').slice(0, 50);
}

ownImplementations(EcrRegistry, AcrRegistry, GarRegistry, GhcrRegistry, GenericRegistry, PerRegionRegistry);
