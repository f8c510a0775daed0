/**
 * The benchmark fleet, shared by scripts/bench.ts (synth) and scripts/bench-push.ts (push): built through the public
 * API only.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChartSource, Component, ComponentSource, Fleet, FleetLock, FluxApp, Notification, Registry, Signing } from '../src/index.js';

/** The regions of the benchmark fleet; clusters are spread over them in turn. */
export const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'];

/** A change to the benchmark fleet: one component's values on the clusters of one region. */
export interface BenchChange {
  /** The Helm component whose values change, e.g. `chart-3`. */
  readonly component: string;
  /** The region whose clusters get the new values. */
  readonly region: string;
}

/** The variables every cluster of the benchmark fleet carries. */
export interface BenchVars {
  readonly domain: string;
  readonly replicas: number;
}

/**
 * A fleet of `clusters` clusters: staging (a fifth of them) and production in three waves, over five regions;
 * 30 components (22 kustomize trees, 8 Helm charts) in dependency layers, some limited to an environment, a region
 * or a label; the first two layers from one folder packed at synth (`infra/` beside the output folder), the others
 * from artifacts of other pipelines, pinned by digest in production; the charts production pulls pinned through a
 * lock (digests made up: nothing is pulled); a tenant team in production; Slack notifications.
 * With `change`, one Helm component's values gain a pod annotation on the clusters of one region.
 */
export function buildFleetApp(clusters: number, outdir: string, change?: BenchChange): { app: FluxApp; fleet: Fleet<BenchVars> } {
  const app = new FluxApp({ outdir });
  const infraFolder = path.join(path.dirname(outdir), 'infra');
  for (let i = 0; i < 12; i++) {
    fs.mkdirSync(path.join(infraFolder, `app-${i}`), { recursive: true });
    fs.writeFileSync(path.join(infraFolder, `app-${i}`, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: app-${i}\nresources: []\n`);
  }
  const infra = ComponentSource.folder(infraFolder);
  const appDigest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  const chartVersion = (i: number) => (i % 8 === 3 ? '1.4.0' : `${i}.2.0`);
  const lock = FleetLock.of(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 4 === 3).map((i) => ({
    upstream: `oci://ghcr.io/acme/charts/chart-${i}`,
    ref: { tag: chartVersion(i) },
    tag: chartVersion(i),
    digest: `sha256:${createHash('sha256').update(`chart-${i}`).digest('hex')}`,
    usedBy: [],
  })));
  const fleet = new Fleet<BenchVars>(app, 'bench', {
    lock,
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    flux: { version: '2.9.x' },
    notifications: [Notification.slack({ channel: 'fleet-alerts', secretName: 'slack-bot-token' })],
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  const production = fleet.addEnvironment('production', { channel: 'stable' });

  for (let i = 0; i < clusters; i++) {
    const region = REGIONS[i % REGIONS.length];
    const name = `c${String(i).padStart(4, '0')}-${region}`;
    const labels = i % 3 === 0 ? { tier: 'edge' } : undefined;
    if (i % 5 === 0) {
      staging.addCluster(name, { region, labels, vars: { domain: `${name}.stg.acme.io`, replicas: 1 } });
    } else {
      production.addCluster(name, { region, labels, wave: 1 + (i % 3), vars: { domain: `${name}.acme.io`, replicas: 3 } });
    }
  }

  const team = fleet.addTenant('team-web', { targets: { environments: [production] } });
  // Each component depends on one of the previous layer's components that every cluster gets.
  const layers: Component<BenchVars>[][] = [];
  const signing = Signing.oidc({
    issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
    subject: '^https://github\\.com/acme/charts/\\.github/workflows/release\\.yml@refs/tags/.+$',
    regex: true,
  });
  for (let i = 0; i < 30; i++) {
    const layer = Math.floor(i / 6);
    const dependsOn = layer === 0 ? [] : [layers[layer - 1][i % layers[layer - 1].length]];
    const targets = i === 26 || i % 10 === 7 ? { environments: [production] }
      : i % 10 === 8 ? { regions: REGIONS.slice(0, 3) }
        : i % 10 === 9 ? { labels: { tier: 'edge' } } : undefined;
    let component: Component<BenchVars>;
    if (i % 4 === 3) {
      component = fleet.addHelmComponent(`chart-${i}`, {
        chart: i % 8 === 3
          ? ChartSource.mirrored(`oci://ghcr.io/acme/charts/chart-${i}`, { version: (cluster) => (cluster.production ? chartVersion(i) : '1.x') })
          : ChartSource.oci(`oci://ghcr.io/acme/charts/chart-${i}`, { version: chartVersion(i), signing }),
        dependsOn,
        targets,
        values: (cluster) => ({
          replicaCount: cluster.vars.replicas,
          ingress: { enabled: true, hosts: [{ host: `chart-${i}.${cluster.vars.domain}`, paths: [{ path: '/', pathType: 'Prefix' }] }] },
          ...(change?.component === `chart-${i}` && change.region === cluster.region ? { podAnnotations: { 'acme.io/revision': '2' } } : {}),
        }),
      });
    } else {
      component = fleet.addComponent(`app-${i}`, {
        source: layer < 2 ? infra : ComponentSource.mirroredArtifact(`oci://ghcr.io/acme/app-${i}`, {
          repository: `apps/app-${i}`,
          ref: (cluster) => (cluster.production ? { digest: appDigest } : { tag: 'main' }),
        }),
        path: `./app-${i}`,
        wait: layer < 2,
        dependsOn,
        targets,
        tenant: i === 26 ? team : undefined,
        substitutions: i % 2 === 0 ? (cluster) => ({ APP_HOST: `app-${i}.${cluster.vars.domain}` }) : undefined,
      });
    }
    if (!targets) (layers[layer] ??= []).push(component);
  }
  return { app, fleet };
}
