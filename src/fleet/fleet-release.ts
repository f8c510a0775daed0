import type { Cluster } from './cluster.js';
import type { ExternalPullRecord } from './component.js';
import type { FolderArtifact } from './folder-artifact.js';

/** A folder artifact and the clusters that get it. */
export interface FleetFolderArtifact {
  /** The packed folder. */
  readonly artifact: FolderArtifact;
  /** The clusters whose components use it, in the order they were built. */
  readonly clusters: readonly Cluster<any>[];
}

/** An external chart or artifact that one cluster pulls for one component. */
export interface FleetExternalPull extends ExternalPullRecord {
  /** The component's name. */
  readonly component: string;
  /** The cluster. */
  readonly cluster: Cluster<any>;
}

/** What a fleet releases beside its clusters' own artifacts, known once it is built. */
export interface FleetRelease {
  /** The folders synth packed, sorted by name. */
  readonly artifacts: readonly FleetFolderArtifact[];
  /** Every external chart or artifact pulled, per component and cluster, in build order. */
  readonly external: readonly FleetExternalPull[];
}
