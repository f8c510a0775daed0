import { App, Chart } from 'cdk8s';
import { HelmComponent, KustomizeComponent } from '../../fleet/component.js';
import type { Component } from '../../fleet/component.js';
import type { Fleet } from '../../fleet/fleet.js';
import type { Notification } from '../../fleet/notification.js';
import type { Signing } from '../../fleet/signing.js';
import { matchesTargets } from '../../fleet/targets.js';
import { FLEET_HTML_FILE, FLEET_MARKDOWN_FILE, renderFleetHtml, renderFleetMarkdown } from '../../output/review/index.js';
import type { FleetPicture, PictureComponent } from '../../output/review/index.js';
import type { ConfigTree } from '../../output/writer/config-tree.js';

/**
 * Adds the picture of a fleet to its tree: FLEET.md (tables and Mermaid graphs that GitHub renders) and fleet.html
 * (a searchable view for large fleets), both in the fleet's root folder.
 * @param prefix the fleet's folder in the tree, `''` or ending with `/`
 */
export function addFleetPicture(tree: ConfigTree, prefix: string, fleet: Fleet<any>): void {
  const picture = fleetPictureOf(fleet);
  tree.addFile(`${prefix}${FLEET_MARKDOWN_FILE}`, renderFleetMarkdown(picture, { htmlFile: FLEET_HTML_FILE }));
  tree.addFile(`${prefix}${FLEET_HTML_FILE}`, renderFleetHtml(picture));
}

/** The plain facts of a fleet that its picture shows. */
export function fleetPictureOf(fleet: Fleet<any>): FleetPicture {
  const registry = fleet.props.registry;
  return {
    name: fleet.node.id,
    environments: fleet.environments.map((env) => ({
      name: env.name,
      channel: env.channel.kind === 'tag' ? env.channel.value : `semver ${env.channel.value}`,
      production: env.production,
    })),
    clusters: fleet.clusters.map((cluster) => ({
      name: cluster.name,
      environment: cluster.environment,
      region: cluster.region,
      wave: cluster.wave,
      channel: cluster.tag ?? `semver ${cluster.env.channel.value}`,
      registry: registry.hostFor(cluster.region),
      labels: cluster.labels,
      components: fleet.components.filter((c) => c.appliesTo(cluster)).map((c) => c.name),
      flux: { version: fleet.bootstrapFacts(cluster).flux.version, bootstrap: fleet.bootstrapOf(cluster).kind },
      signer: (cluster.env.verify ?? true) ? signerLabel(fleet.signingOf(cluster.env)) : 'none (verify: false)',
    })),
    components: fleet.components.map((c) => componentOf(fleet, c)),
    notifications: fleet.notifications.map(({ notification, routing }) => ({
      name: notification.id,
      destination: destinationOf(notification),
      clusters: fleet.clusters.filter((c) => matchesTargets(routing.targets, c)).map((c) => c.name).sort(),
      ...(routing.tenants === true ? { tenants: fleet.tenants.map((t) => t.name) }
        : Array.isArray(routing.tenants) ? { tenants: routing.tenants.map((t) => t.name) } : {}),
    })),
  };
}

/** Who signs, in a few words: the CI job and its ref, the key's Secret, or the keyless identity. */
function signerLabel(signing: Signing | undefined): string {
  const id = signing?.identity();
  if (!id) return 'none';
  if (!id.keyless) return `${id.tool} key (Secret ${id.secretName})`;
  if (id.ci?.system === 'github-actions') return `GitHub Actions ${id.ci.repository} ${id.ci.workflow} on ${id.ci.ref}`;
  if (id.ci?.system === 'gitlab-ci') return `GitLab CI ${id.ci.project} on ${id.ci.ref}`;
  return `keyless ${id.subject}`;
}

/** Where a notification posts: its Provider's type, and its channel when it names one. */
function destinationOf(notification: Notification): string {
  const objects = notification.build(new Chart(new App(), 'picture'), { clusterName: 'picture', environment: 'picture', region: 'picture', ownNamespaceOnly: false });
  const spec = (objects.provider.toJson() as { spec?: { type?: string; channel?: string } }).spec ?? {};
  return `${spec.type ?? 'unknown'}${spec.channel ? ` #${spec.channel.replace(/^#/, '')}` : ''}`;
}

function componentOf(fleet: Fleet<any>, component: Component<any>): PictureComponent {
  const common = { name: component.name, dependsOn: component.dependencies.map((d) => d.name), tenant: component.tenant?.name };
  if (component instanceof HelmComponent) {
    const chart = component.props.chart;
    const region = fleet.clusters.find((c) => component.appliesTo(c))?.region ?? fleet.clusters[0]?.region ?? '';
    const url = chart.urlFor(fleet.props.registry, region);
    const where = chart.mirrored ? `${url.replace(/^oci:\/\/[^/]+\//, '')} (mirrored in each region's registry)` : url;
    const version = typeof chart.options.version === 'function' ? 'per cluster' : chart.options.version;
    const chartVersions = fleet.environments.map((env) => ({
      environment: env.name,
      versions: [...new Set(env.clusters.filter((c) => component.appliesTo(c)).map((c) => chart.versionFor(c)))].sort(),
    })).filter((e) => e.versions.length > 0);
    return { ...common, kind: 'helm', source: `chart ${where}, version ${version}`, chartVersions };
  }
  if (component instanceof KustomizeComponent) {
    const p = component.props;
    const path = typeof p.path === 'function' ? 'path per cluster' : p.path ? `path ${p.path}` : undefined;
    const from = p.source.kind === 'folder' ? `folder ${p.source.location}` : `artifact ${p.source.location}`;
    return { ...common, kind: 'kustomize', source: `${from}${path ? `, ${path}` : ''}` };
  }
  return { ...common, kind: 'kustomize', source: '' };
}
