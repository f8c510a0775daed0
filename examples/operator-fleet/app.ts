import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiObject } from 'cdk8s';
import {
  Bootstrap, ChartSource, ComponentSource, EventSource, Fleet, FluxApp, Notification, Registry, ResourceSet, Signing,
  TenantNotificationSecret, TenantPullSecret,
} from 'flux-fleet';

/** The variables every cluster carries. */
interface Vars {
  /** The cluster's ingress DNS zone. */
  readonly domain: string;
}

/** The app that synthesizes the operator-style fleet (below) into `outdir`. */
export function buildApp(outdir: string): FluxApp {
  const app = new FluxApp({ outdir });
  buildFleet(app);
  return app;
}

/**
 * An operator-style fleet, as the Flux Operator's reference fleets lay it out, declared through the public API only:
 * the Flux Operator upgrading itself by chart range and pulling the Flux manifests from their OCI artifact, platform
 * components with per-environment overlays, a cert-manager chart from its HTTPS Helm repository, tenants whose
 * namespaces admission policies select by label, a policy ResourceSet on every cluster, extra objects on one cluster,
 * staging signed from main and production from release tags, tenants signing with their own repository's workflow or
 * their own key, and alerts routed per environment and to the tenants' own namespaces.
 */
export function buildFleet(app: FluxApp): Fleet<Vars> {
  const fleet = new Fleet<Vars>(app, 'ops', {
    registry: Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-pull' } }),
    // Staging (and every environment without its own identity) verifies the release workflow run on main.
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    // ComponentSource.folder() paths start here: the folder of this file.
    baseDir: fileURLToPath(new URL('.', import.meta.url)),
    flux: {
      version: '2.9.x',
      bootstrap: Bootstrap.operator({
        version: '0.58.x',
        releaseInterval: '1h',
        retryInterval: '5m',
        instance: (facts) => ({
          distributionArtifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests',
          tenantDefaultServiceAccount: 'flux',
          // Production reconciles more objects at once.
          patches: facts.environment === 'production' ? [{
            patch: [{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--concurrency=20' }],
            target: { kind: 'Deployment', name: '(kustomize-controller|helm-controller)' },
          }] : undefined,
        }),
      }),
    },
  });

  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  // Production verifies only what the release workflow signed on a release tag: a build from main never reaches it.
  const production = fleet.addEnvironment('production', {
    channel: 'stable',
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*' }),
  });
  staging.addCluster('staging-1', { region: 'eu-west-1', vars: { domain: 'staging.acme.io' } });
  production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 1, vars: { domain: 'eu.acme.io' } });
  const prodUs = production.addCluster('prod-us-1', { region: 'us-east-1', wave: 2, vars: { domain: 'us.acme.io' } });

  // Platform components: one artifact packed from ./infra, an overlay per environment, per-cluster patches.
  const infra = ComponentSource.folder('./infra');
  const controllers = fleet.addComponent('infra-controllers', {
    source: infra,
    path: (cluster) => `./controllers/${cluster.environment}`,
    wait: true,
    interval: (cluster) => (cluster.production ? '1h' : '10m'),
    retryInterval: '2m',
    timeout: '5m',
  });
  const certManager = fleet.addHelmComponent('cert-manager', {
    chart: ChartSource.helmRepository('https://charts.jetstack.io', 'cert-manager', { version: (cluster) => (cluster.production ? '1.16.2' : '1.x'), signing: Signing.none() }),
    dependsOn: [controllers],
    namespaceLabels: { 'toolkit.fluxcd.io/role': 'platform' },
    install: { crds: 'Create', strategy: { name: 'RetryOnFailure', retryInterval: '2m' } },
    upgrade: { crds: 'CreateReplace', strategy: { name: 'RetryOnFailure', retryInterval: '2m' } },
    driftDetection: { mode: 'enabled' },
    values: { crds: { enabled: true } },
  });
  fleet.addComponent('infra-configs', {
    source: infra,
    path: './configs',
    dependsOn: [certManager],
    patches: (cluster) => [{
      patch: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt' }, spec: { acme: { email: `ops+${cluster.name}@acme.io` } } },
      target: { kind: 'ClusterIssuer', name: 'letsencrypt' },
    }],
    commonMetadata: { labels: { 'acme.io/owner': 'platform' } },
  });

  // Tenants: their namespaces carry the labels the policies below select on.
  const web = fleet.addTenant('team-web', {
    namespace: 'web',
    serviceAccountName: 'flux',
    namespaceLabels: { 'toolkit.fluxcd.io/role': 'tenant' },
    roleBindings: [{ clusterRole: 'view', groups: ['acme:web-developers'] }],
    pullSecret: TenantPullSecret.external(),
    // The team keeps its Slack token in its namespace itself.
    notificationSecret: TenantNotificationSecret.external(),
    // The web team's artifacts are signed by its own repository's release workflow, in every environment.
    signing: Signing.githubActions({ repository: 'acme/web', workflow: 'release.yaml' }),
  });
  const data = fleet.addTenant('team-data', {
    namespace: 'data',
    serviceAccountName: 'flux',
    targets: { environments: [production] },
    namespaceLabels: { 'toolkit.fluxcd.io/role': 'tenant' },
    pullSecret: TenantPullSecret.objects((chart, namespace, secretName) => {
      // Synced from the platform's secret store by the External Secrets Operator; no value enters the repo.
      new ApiObject(chart, `${namespace}-pull-secret`, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: secretName, namespace },
        spec: {
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform' },
          target: { name: secretName, template: { type: 'kubernetes.io/dockerconfigjson' } },
          data: [{ secretKey: '.dockerconfigjson', remoteRef: { key: 'fleet/ghcr-pull' } }],
        },
      });
    }),
    // The notifications' tokens, synced the same way, one ExternalSecret per Secret.
    notificationSecret: TenantNotificationSecret.objects((scope, namespace, secretName) => {
      new ApiObject(scope, 'external-secret', {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: secretName, namespace },
        spec: {
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform' },
          target: { name: secretName },
          data: [{ secretKey: 'token', remoteRef: { key: `fleet/${secretName}` } }],
        },
      });
    }),
    // The data team's pipelines sign with the team's own key; the public key is written beside its sources.
    signing: Signing.cosignKey({
      secretName: 'team-data-cosign',
      publicKey: readFileSync(new URL('./team-data-cosign.pub', import.meta.url), 'utf8'),
    }),
  });
  // Tenant apps come from the teams' own pipelines, mirrored into each region; production runs reviewed digests.
  fleet.addComponent('web', {
    source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/web-manifests', {
      repository: 'apps/web',
      ref: (cluster) => (cluster.production ? { digest: 'sha256:9b2e4c6a8d0f1e3a5c7b9d1f3e5a7c9b0d2f4e6a8c0b2d4f6e8a0c2b4d6f8e0a' } : { tag: 'main' }),
    }),
    tenant: web,
    dependsOn: [controllers],
    images: (cluster) => [{ name: 'ghcr.io/acme/web', newTag: cluster.production ? '2.4.1' : '2.5.0-rc.1' }],
  });
  fleet.addComponent('pipelines', {
    source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/data-pipelines', {
      repository: 'apps/pipelines',
      ref: { digest: 'sha256:3c5e7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c3a5b7d9f1e3c5a7b9d1f3e5c' },
    }),
    tenant: data,
    targets: { environments: [production] },
  });

  // Policies on every cluster: a ResourceSet that keeps tenant reconcilers under their own service account.
  fleet.addObjects('policies', (chart, cluster) => {
    new ResourceSet(chart, 'policies', {
      metadata: { name: 'policies' },
      inputs: [{ cluster: cluster.name, enforcement: cluster.production ? 'Deny' : 'Warn' }],
      resources: [
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicy',
          metadata: { name: 'flux-tenant-service-account' },
          spec: {
            failurePolicy: 'Fail',
            matchConstraints: {
              resourceRules: [{
                apiGroups: ['kustomize.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io'],
                apiVersions: ['*'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['kustomizations', 'helmreleases'],
              }],
            },
            validations: [{ expression: 'has(object.spec.serviceAccountName)', message: 'tenant reconcilers must name their service account' }],
          },
        },
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicyBinding',
          metadata: { name: 'flux-tenant-service-account' },
          spec: {
            policyName: 'flux-tenant-service-account',
            validationActions: ['<< inputs.enforcement >>'],
            matchResources: { namespaceSelector: { matchLabels: { 'toolkit.fluxcd.io/role': 'tenant' } } },
          },
        },
      ],
    });
  });

  // One cluster's own objects: a larger quota for the Flux controllers of the busiest region.
  prodUs.addObjects('capacity', (chart) => {
    new ApiObject(chart, 'flux-quota', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'flux-controllers', namespace: 'flux-system' },
      spec: { hard: { 'requests.cpu': '8', 'requests.memory': '16Gi' } },
    });
  });

  // Alerts: production's errors to Slack, from flux-system and from each tenant's namespace (an Alert of its own
  // there, under the multi-tenancy lockdown); staging's every event of flux-system to Teams.
  fleet.addNotification(Notification.slack({ channel: 'prod-alerts', secretName: 'slack-bot-token' }), {
    targets: { environments: [production] },
    severity: 'error',
    tenants: true,
  });
  fleet.addNotification(Notification.msteams({ secretName: 'teams-webhook' }), {
    targets: { environments: [staging] },
    eventSources: [EventSource.all('Kustomization'), EventSource.all('HelmRelease'), EventSource.all('OCIRepository')],
  });
  return fleet;
}
