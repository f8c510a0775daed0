import { Chart, Duration } from 'cdk8s';
import { ConfigMap } from 'cdk8s-plus-34';
import {
  Alert, EventSource, FluxApp, FluxInstance, HELM_CHART_LAYER_SELECTOR, HelmRelease, Kustomization, OciRepository, Provider,
} from 'flux-fleet';

/** The identity CI signs the cluster's artifacts with; clusters accept nothing else. */
const signedByRelease = {
  provider: 'cosign' as const,
  matchOIDCIdentity: [{
    issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
    subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
  }],
};

/**
 * One production cluster's Flux objects: the Flux Operator's FluxInstance syncing from the cluster's own signed OCI
 * artifact; infrastructure controllers, then their configs; an app from a signed Helm chart; Slack alerts.
 */
export function buildApp(outdir: string): FluxApp {
  const app = new FluxApp({ outdir });

  const bootstrap = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  new FluxInstance(bootstrap, 'flux', {
    distribution: { version: '2.9.x', registry: 'ghcr.io/fluxcd' },
    cluster: { type: 'aws', size: 'medium', networkPolicy: true },
    sync: {
      kind: 'OCIRepository',
      url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/prod-eu-1',
      ref: 'stable',
      path: './',
      provider: 'aws',
    },
  });
  const runtimeInfo = new ConfigMap(bootstrap, 'runtime-info', {
    metadata: { name: 'flux-runtime-info' },
    data: { CLUSTER_NAME: 'prod-eu-1', CLUSTER_DOMAIN: 'eu.acme.io', ENVIRONMENT: 'production' },
  });

  const infra = new Chart(app, 'infra', { namespace: 'flux-system' });
  const manifests = new OciRepository(infra, 'infra', {
    url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/infra',
    ref: { tag: 'stable' },
    provider: 'aws',
    verify: signedByRelease,
  });
  const controllers = new Kustomization(infra, 'infra-controllers', {
    sourceRef: manifests,
    path: './controllers',
    wait: true,
    timeout: Duration.minutes(5),
  });
  new Kustomization(infra, 'infra-configs', {
    sourceRef: manifests,
    path: './configs',
    dependsOn: [controllers],
    postBuild: { substituteFrom: [runtimeInfo] },
  });

  const apps = new Chart(app, 'apps', { namespace: 'flux-system' });
  const chart = new OciRepository(apps, 'podinfo-chart', {
    url: 'oci://ghcr.io/stefanprodan/charts/podinfo',
    ref: { semver: '6.x' },
    layerSelector: HELM_CHART_LAYER_SELECTOR,
    verify: { provider: 'cosign', matchOIDCIdentity: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/stefanprodan/podinfo.*$' }] },
  });
  const podinfo = new HelmRelease(apps, 'podinfo', {
    chartRef: chart,
    targetNamespace: 'podinfo',
    install: { createNamespace: true },
    values: { replicaCount: 2, ingress: { enabled: true, hosts: [{ host: 'podinfo.eu.acme.io' }] } },
  });

  const alerts = new Chart(app, 'alerts', { namespace: 'flux-system' });
  const slack = new Provider(alerts, 'slack', { type: 'slack', channel: 'fleet-prod', secretRef: { name: 'slack-bot-token' } });
  new Alert(alerts, 'fleet', {
    providerRef: slack,
    eventSeverity: 'error',
    eventSources: [EventSource.all('Kustomization'), podinfo],
  });
  return app;
}
