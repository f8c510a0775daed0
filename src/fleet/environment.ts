import { Construct } from 'constructs';
import { Channel } from './channel.js';
import type { ClusterObjects, ClusterObjectsBuilder, ClusterObjectsOptions } from './cluster-objects.js';
import { Cluster, ClusterProps, FleetVariables, VariablesOf } from './cluster.js';
import type { Fleet } from './fleet.js';
import type { RolloutSettings } from './rollout.js';
import type { Signing } from './signing.js';

/** Props of an {@link Environment}. */
export interface EnvironmentProps {
  /**
   * The release channel the environment's clusters follow: an OCI tag (`'latest'`, `'stable'`), or a `Channel`.
   * A cluster with a wave follows the channel's tag with `-wave-<n>` appended.
   */
  readonly channel: string | Channel;
  /**
   * Whether this is a production environment: its clusters then require signature verification unless
   * `verify` is explicitly false.
   * @default - true when the name is `production` or starts with `prod`
   */
  readonly production?: boolean;
  /**
   * Whether the clusters verify the signature of every artifact they pull, with the fleet's signing identity.
   * Turning it off in production is explicit.
   * @default true (an error in production when the fleet declares no signing identity)
   */
  readonly verify?: boolean;
  /**
   * Whether a push of a new release moves this environment's tags, so that its clusters run it at once. When false,
   * its tags move only by promotion (wave by wave), and a rollback is a promotion of the previous release.
   * @default - true when the environment is not production, false for production
   */
  readonly deployOnPush?: boolean;
  /**
   * Who signs what this environment's clusters pull from the fleet's registry (their own config and the components'
   * artifacts), e.g. staging: the main branch's workflow, production: release tags. Every `verify` block of its
   * clusters follows from it, and so does the signing step CI runs for them.
   * @default - the fleet's signing identity
   */
  readonly signing?: Signing;
  /**
   * How this environment's waves roll out on evidence: where its clusters report (`report`), soak, progress
   * deadline, failures tolerated and the waves that need a person's approval. Each setting given wins over the
   * fleet's `rollout`.
   * @default - the fleet's rollout settings
   */
  readonly rollout?: RolloutSettings;
}

/** An environment (staging, production...): a release channel and its clusters. */
export class Environment<V extends VariablesOf<V> = FleetVariables> extends Construct {
  /** The environment's name. */
  public readonly name: string;
  /** The channel its clusters follow. */
  public readonly channel: Channel;
  /** Whether this is a production environment. */
  public readonly production: boolean;
  /** Whether a push moves its tags; when false, only promotion does. */
  public readonly deployOnPush: boolean;
  /** Whether its clusters verify signatures; undefined when not said. */
  public readonly verify?: boolean;
  /** Who signs this environment's artifacts; undefined when the fleet's identity applies. */
  public readonly signing?: Signing;
  /** The environment's own rollout settings; undefined when the fleet's apply (see `Fleet.rolloutOf`). */
  public readonly rollout?: RolloutSettings;
  /** The fleet. */
  public readonly fleet: Fleet<V>;

  private readonly clusterList: Cluster<V>[] = [];

  /** @internal */
  public constructor(fleet: Fleet<V>, name: string, props: EnvironmentProps) {
    super(fleet, name);
    this.fleet = fleet;
    this.name = name;
    this.channel = typeof props.channel === 'string' ? Channel.tag(props.channel) : props.channel;
    this.production = props.production ?? (name === 'production' || name.startsWith('prod'));
    this.verify = props.verify;
    this.deployOnPush = props.deployOnPush ?? !this.production;
    this.signing = props.signing;
    this.rollout = props.rollout;
    this.node.addValidation({ validate: () => this.channel.validate('channel') });
  }

  /** The clusters of this environment, in the order they were added. */
  public get clusters(): readonly Cluster<V>[] {
    return this.clusterList;
  }

  /**
   * Adds objects to the environment's clusters (those of them `options.targets` selects), written to
   * `clusters/<cluster>/<name>.yaml`: see {@link Fleet.addObjects}.
   */
  public addObjects(name: string, build: ClusterObjectsBuilder<V>, options: ClusterObjectsOptions = {}): ClusterObjects<V> {
    return this.fleet._addObjects(this, name, build, options, (cluster) => cluster.env === this);
  }

  /** Adds a cluster to the environment. */
  public addCluster(name: string, props: ClusterProps<V>): Cluster<V> {
    const cluster = new Cluster<V>(this, name, props);
    this.clusterList.push(cluster);
    this.fleet._registerCluster(cluster);
    return cluster;
  }
}
