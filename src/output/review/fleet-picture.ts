/**
 * The plain facts a picture of a fleet is drawn from: environments, clusters and components, as names and strings.
 * The front end that holds the fleet builds it; FLEET.md and fleet.html are rendered from it alone.
 */

/** An environment, in promotion order. */
export interface PictureEnvironment {
  /** The environment's name, e.g. `production`. */
  readonly name: string;
  /** What its clusters follow, e.g. `stable` (an OCI tag) or `semver >=1.0.0`. */
  readonly channel: string;
  /** Whether it is a production environment. */
  readonly production: boolean;
}

/** A cluster. */
export interface PictureCluster {
  /** The cluster's name. */
  readonly name: string;
  /** The name of its environment. */
  readonly environment: string;
  /** The region it runs in. */
  readonly region: string;
  /** Its rollout wave within the environment. @default - none: it follows the environment's channel */
  readonly wave?: number;
  /** The OCI tag its sources follow (e.g. `stable-wave-1`), or the semver range. */
  readonly channel: string;
  /** The registry it pulls its artifacts from (the host of its region's registry). */
  readonly registry: string;
  /** Its labels. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The names of the components it gets. */
  readonly components: readonly string[];
  /** The Flux version it runs (`2.9.x`) and how it is bootstrapped. @default - not said */
  readonly flux?: { readonly version: string; readonly bootstrap: 'operator' | 'plain' };
  /** Who signs what it pulls from the fleet's registry, in a few words; `none` when it verifies nothing. @default - not said */
  readonly signer?: string;
}

/** A component. */
export interface PictureComponent {
  /** The component's name. */
  readonly name: string;
  /** `kustomize` (a kustomize tree from an OCI artifact) or `helm` (a Helm chart). */
  readonly kind: 'kustomize' | 'helm';
  /** Where it comes from, in a few words, e.g. `artifact infra, path ./controllers`. */
  readonly source: string;
  /** The names of the components it waits for. */
  readonly dependsOn: readonly string[];
  /** The tenant it belongs to. @default - the platform's */
  readonly tenant?: string;
  /**
   * For a Helm component, the chart versions its clusters pull, per environment (an exact version, a range or a
   * digest), in the order of the environments.
   * @default - not a chart, or not said
   */
  readonly chartVersions?: ReadonlyArray<{ readonly environment: string; readonly versions: readonly string[] }>;
}

/** Where a notification goes, and from which clusters. */
export interface PictureNotification {
  /** Its name (the Provider's and Alert's). */
  readonly name: string;
  /** Where it posts, e.g. `slack #fleet-alerts` or `github commit status`. */
  readonly destination: string;
  /** The clusters that post to it, sorted. */
  readonly clusters: readonly string[];
  /** The tenants whose own namespaces post to it too. @default - none */
  readonly tenants?: readonly string[];
}

/** Everything FLEET.md and fleet.html show of a fleet. */
export interface FleetPicture {
  /** The fleet's name. */
  readonly name: string;
  /** The environments, in promotion order. */
  readonly environments: readonly PictureEnvironment[];
  /** The clusters. */
  readonly clusters: readonly PictureCluster[];
  /** The components, in declaration order. */
  readonly components: readonly PictureComponent[];
  /** The notifications, in the order added. @default - none */
  readonly notifications?: readonly PictureNotification[];
}

/** A step of the rollout: the clusters of one environment and wave, which get a release together. */
export interface RolloutStage {
  /** The environment. */
  readonly environment: string;
  /** The wave. @default - the environment's clusters without a wave */
  readonly wave?: number;
  /** What the stage's clusters follow, e.g. `stable-wave-1`. */
  readonly channels: readonly string[];
  /** The stage's clusters, sorted by name. */
  readonly clusters: readonly PictureCluster[];
}

/**
 * The rollout order: environments in promotion order, each wave by wave (wave 1 first); an environment's clusters
 * without a wave follow its channel's own tag, which is promoted after its waves.
 */
export function rolloutStages(picture: FleetPicture): RolloutStage[] {
  const stages: RolloutStage[] = [];
  const envNames = [...picture.environments.map((e) => e.name)];
  for (const c of picture.clusters) if (!envNames.includes(c.environment)) envNames.push(c.environment);
  for (const env of envNames) {
    const clusters = picture.clusters.filter((c) => c.environment === env);
    const waves = [...new Set(clusters.map((c) => c.wave))].sort(compareWaves);
    for (const wave of waves) {
      const members = clusters.filter((c) => c.wave === wave).sort((a, b) => compareStrings(a.name, b.name));
      stages.push({ environment: env, wave, channels: [...new Set(members.map((c) => c.channel))].sort(compareStrings), clusters: members });
    }
  }
  return stages;
}

/** Waves ascending, no wave last. */
export function compareWaves(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a - b;
}

/**
 * The depth of each component in the dependency order: 0 for a component that waits for nothing, else one more than
 * the deepest component it waits for. Dependencies on components missing from the picture are left out; a cycle
 * (which synth refuses) does not loop.
 */
export function componentDepths(picture: FleetPicture): Map<string, number> {
  const byName = new Map(picture.components.map((c) => [c.name, c]));
  const depths = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    visiting.delete(name);
    depths.set(name, d);
    return d;
  };
  for (const c of picture.components) depth(c.name);
  return depths;
}

/** The clusters sorted for a table: by environment (promotion order), wave, region, then name. */
export function sortedClusters(picture: FleetPicture): PictureCluster[] {
  const envOrder = new Map(picture.environments.map((e, i) => [e.name, i]));
  const envIndex = (name: string) => envOrder.get(name) ?? envOrder.size;
  return [...picture.clusters].sort((a, b) => envIndex(a.environment) - envIndex(b.environment)
    || compareStrings(a.environment, b.environment)
    || compareWaves(a.wave, b.wave)
    || compareStrings(a.region, b.region)
    || compareStrings(a.name, b.name));
}

/** How many clusters get each component. */
export function clusterCounts(picture: FleetPicture): Map<string, number> {
  const counts = new Map(picture.components.map((c) => [c.name, 0]));
  for (const cluster of picture.clusters) {
    for (const name of cluster.components) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** Orders strings by UTF-16 code units, independent of the locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1 cluster`, `2 clusters`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The stage's name, e.g. `production wave 1`, or `staging`. */
export function stageName(stage: Pick<RolloutStage, 'environment' | 'wave'>): string {
  return stage.wave === undefined ? stage.environment : `${stage.environment} wave ${stage.wave}`;
}

/** The generated-file notice of the picture's files. */
export const GENERATED_NOTICE = 'Generated by flux-fleet. Do not edit: change the fleet program and synthesize again.';
