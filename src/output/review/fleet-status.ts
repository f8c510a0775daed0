import { TreeSnapshotError } from './tree-snapshot.js';

/** A cluster's state on a revision, as its reports say: only `healthy` counts as healthy. */
export type StatusState = 'healthy' | 'failing' | 'progressing' | 'unknown';

/** What one cluster reported. */
export interface StatusCluster {
  /** The cluster's name. */
  readonly name: string;
  /** Its state on the snapshot's revision. */
  readonly state: StatusState;
  /** The commit of its newest report (the snapshot's revision, or an older one). @default - no report found */
  readonly revision?: string;
  /** When that report was posted (RFC 3339). @default - no report found */
  readonly since?: string;
  /** What the report says, or why the state is unknown. @default - nothing said */
  readonly description?: string;
}

/**
 * What the clusters of a fleet reported on one revision at one moment, as fleet.html shows it: the result of
 * `healthOf` (what `flux-fleet status` prints) is one.
 */
export interface FleetStatusSnapshot {
  /** The commit asked about. */
  readonly revision: string;
  /** When the reports were read (RFC 3339). */
  readonly readAt: string;
  /** The clusters read; a cluster of the picture not listed here is shown as not read. */
  readonly clusters: readonly StatusCluster[];
}

/** The element of fleet.html that holds the status snapshot (`null` when none). */
const STATUS_ELEMENT = /<script type="application\/json" id="fleet-status">[^<]*<\/script>/;

/** The element of fleet.html holding `status` (or `null`), as JSON safe inside a script element. */
export function statusElement(status: FleetStatusSnapshot | undefined): string {
  const data = status === undefined ? null : {
    revision: status.revision,
    readAt: status.readAt,
    // name: [state, revision, since, description]
    clusters: Object.fromEntries(status.clusters.map((c) => [c.name, [c.state, c.revision ?? null, c.since ?? null, c.description ?? null]])),
  };
  return `<script type="application/json" id="fleet-status">${scriptSafeJson(data)}</script>`;
}

/**
 * fleet.html as synth wrote it, with a status snapshot in place of the one it holds (none, as synthesized): the page
 * then shows each cluster's state and reported revision, by wave and region. Fails on a page without the snapshot's
 * element (not a fleet.html of this version of flux-fleet).
 */
export function fleetHtmlWithStatus(html: string, status: FleetStatusSnapshot): string {
  if (!STATUS_ELEMENT.test(html)) {
    throw new TreeSnapshotError('the page has no status element: it is not a fleet.html written by this version of flux-fleet; synthesize the fleet again');
  }
  const element = statusElement(status);
  return html.replace(STATUS_ELEMENT, () => element);
}

/** JSON that cannot end its script element or break a line of JavaScript. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
