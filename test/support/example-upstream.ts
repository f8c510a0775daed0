import { join } from 'node:path';
import type { FakeSigstore } from './sigstore.js';
import { keylessSigner, keySigner, parseRegistryReference, signArtifacts, type Destinations, type SigningKey } from '../../src/delivery/index.js';
import { packFolder } from '../../src/fleet/folder-artifact.js';
import { blobOf, gzipDeterministic, MEDIA_TYPES, packArtifact, REPRODUCIBLE_CREATED, writeTar } from '../../src/flux/artifact/index.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
const GITHUB = 'https://token.actions.githubusercontent.com';

/** Where the example fleet's publishers publish. */
export const UPSTREAM = {
  chart: 'oci://ghcr.io/stefanprodan/charts/podinfo',
  webShop: 'oci://ghcr.io/acme/web-shop-manifests',
  smoke: 'oci://ghcr.io/acme/smoke-tests',
  fluxOperator: 'oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator',
  fluxManifests: 'oci://ghcr.io/fluxcd/flux-manifests',
} as const;

/**
 * A Helm chart as `helm push` stores it: the chart's config, and its packaged .tgz as the one layer. The same version
 * gives the same digest every time: examples/fleet/flux-fleet.lock pins podinfo 6.7.0 as published here.
 */
export async function publishChart(destinations: Destinations, url: string, version: string): Promise<string> {
  const name = url.split('/').pop()!;
  const tgz = gzipDeterministic(writeTar([
    { path: `${name}/Chart.yaml`, content: Buffer.from(`apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: ${version}\n`) },
    { path: `${name}/values.yaml`, content: Buffer.from('replicaCount: 1\n') },
    { path: `${name}/templates/configmap.yaml`, content: Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  replicas: "{{ .Values.replicaCount }}"\n`) },
  ]));
  const config = blobOf('application/vnd.cncf.helm.config.v1+json', Buffer.from(JSON.stringify({ apiVersion: 'v2', name, version, appVersion: version })));
  const layer = blobOf('application/vnd.cncf.helm.chart.content.v1.tar+gzip', tgz);
  const repo = destinations.repository(url);
  await repo.pushBlob(config);
  await repo.pushBlob(layer);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: config.descriptor, layers: [layer.descriptor],
  }));
  return repo.pushManifest(version, manifest, MEDIA_TYPES.ociManifest);
}

/** A Flux artifact of files, pushed under a tag as `flux push artifact --reproducible` would. */
export async function publishArtifact(
  destinations: Destinations, url: string, tag: string, files: Array<{ path: string; content: Buffer }>,
): Promise<string> {
  const packed = packArtifact(files, { created: REPRODUCIBLE_CREATED });
  const repo = destinations.repository(url);
  await repo.pushBlob(packed.config);
  await repo.pushBlob(packed.layer);
  return repo.pushManifest(tag, packed.manifestBytes, MEDIA_TYPES.ociManifest);
}

/**
 * Publishes what the example fleet pulls from others, each signed as the identity the fleet declares for its
 * publisher: podinfo 6.7.0, 6.8.1 and 7.0.0 (keyless, its release workflow on the version's tag), the web team's
 * manifests (its key), the QA team's smoke tests (keyless, their workflow on main), the Flux Operator chart and Flux's
 * release manifests (keyless, their release workflows), through the test's Sigstore instance. Returns the digests.
 */
export async function publishExampleUpstream(
  destinations: Destinations, sigstore: FakeSigstore, teamWeb: SigningKey,
): Promise<Record<string, string>> {
  const published: Record<string, string> = {};
  for (const version of ['6.7.0', '6.8.1', '7.0.0']) published[`podinfo:${version}`] = await publishChart(destinations, UPSTREAM.chart, version);
  published['flux-operator'] = await publishChart(destinations, UPSTREAM.fluxOperator, '0.58.1');
  const webShop = packFolder('web-shop-manifests', join(EXAMPLE, 'upstream', 'web-shop-manifests'), 'web-shop-manifests').artifact!;
  published['web-shop'] = await publishArtifact(destinations, UPSTREAM.webShop, '1.4.2', [...webShop.files]);
  published.smoke = await publishArtifact(destinations, UPSTREAM.smoke, 'main', [
    { path: 'kustomization.yaml', content: Buffer.from('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - job.yaml\n') },
    { path: 'job.yaml', content: Buffer.from('apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: smoke\n') },
  ]);
  const fluxRelease = (version: string) => [
    { path: 'kustomization.yaml', content: Buffer.from('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n') },
    { path: 'namespace.yaml', content: Buffer.from(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n    app.kubernetes.io/version: ${version}\n`) },
  ];
  published['flux-manifests'] = await publishArtifact(destinations, UPSTREAM.fluxManifests, 'v2.10.1', fluxRelease('v2.10.1'));
  const target = (url: string, reference: string) => ({
    repository: destinations.repository(url), host: parseRegistryReference(url).host, reference,
  });
  const keyless = (subject: string) => ({
    signer: keylessSigner({ identityToken: async () => sigstore.token(subject, GITHUB), fulcioUrl: sigstore.url, rekorUrl: sigstore.url }),
  });
  for (const v of ['6.7.0', '6.8.1', '7.0.0']) {
    await signArtifacts([target(UPSTREAM.chart, v)], keyless(`https://github.com/stefanprodan/podinfo/.github/workflows/release.yml@refs/tags/${v}`));
  }
  await signArtifacts([target(UPSTREAM.webShop, published['web-shop'])], { signer: keySigner(teamWeb) });
  await signArtifacts([target(UPSTREAM.smoke, 'main')], keyless('https://github.com/acme/smoke-tests/.github/workflows/release.yaml@refs/heads/main'));
  const operator = 'https://github.com/controlplaneio-fluxcd/charts/.github/workflows/release.yml@refs/tags/v0.58.1';
  await signArtifacts([target(UPSTREAM.fluxOperator, '0.58.1')], keyless(operator));
  await signArtifacts([target(UPSTREAM.fluxManifests, 'v2.10.1')], keyless('https://github.com/fluxcd/flux2/.github/workflows/release.yaml@refs/tags/v2.10.1'));
  return published;
}
