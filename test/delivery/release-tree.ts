import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { referrersFallbackTag, type RegistryRepository } from '../../src/delivery/index.js';
import { blobOf, type Descriptor } from '../../src/flux/artifact/digest.js';
import { packArtifact, sha256Digest } from '../../src/flux/artifact/index.js';
import { MEDIA_TYPES } from '../../src/flux/artifact/media-types.js';
import { ConfigTree, writeTree, type ReleaseManifest } from '../../src/output/index.js';

/** The registry host of each region, as the tree names them (reached through host aliases in tests). */
export const HOSTS = {
  'eu-west-1': 'registry.eu-west-1.acme.example',
  'us-east-1': 'registry.us-east-1.acme.example',
  'ap-southeast-1': 'registry.ap-southeast-1.acme.example',
} as const;
export type Region = keyof typeof HOSTS;

const IDENTITY = [
  '    matchOIDCIdentity:',
  '      - issuer: ^https://token\\.actions\\.githubusercontent\\.com$',
  '        subject: ^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
  '    provider: cosign',
];

/** A cluster of a test tree. */
export interface TreeCluster {
  readonly name: string;
  readonly environment: 'staging' | 'production';
  readonly region: Region;
  readonly wave?: number;
  /** The component artifacts it uses. */
  readonly uses: readonly string[];
}

/** The content of the component artifacts, by name: the files of `artifacts/<name>/`. */
export type ArtifactContent = Record<string, Record<string, string>>;

export const DEFAULT_CONTENT: ArtifactContent = {
  'infra': {
    'controllers/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ingress-nginx.yaml\n',
    'controllers/ingress-nginx.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ingress-nginx\n',
    'configs/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - issuer.yaml\n',
    'configs/issuer.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-issuer\n  namespace: cert-manager\ndata:\n  email: ops@acme.io\n',
  },
  'web-shop': {
    'deploy/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n',
    'deploy/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-shop\nspec:\n  replicas: ${replicas}\n',
  },
};

/** Staging in two regions, production in three regions and two waves. */
export const DEFAULT_CLUSTERS: readonly TreeCluster[] = [
  { name: 'prod-ap-1', environment: 'production', region: 'ap-southeast-1', wave: 2, uses: ['infra'] },
  { name: 'prod-eu-1', environment: 'production', region: 'eu-west-1', wave: 1, uses: ['infra', 'web-shop'] },
  { name: 'prod-us-1', environment: 'production', region: 'us-east-1', wave: 2, uses: ['infra', 'web-shop'] },
  { name: 'stg-eu-1', environment: 'staging', region: 'eu-west-1', uses: ['infra', 'web-shop'] },
  { name: 'stg-us-1', environment: 'staging', region: 'us-east-1', uses: ['infra'] },
];

/**
 * Writes files as synth's writer does: the whole folder replaced, its marker listing them and recording the digest of
 * release.json, which delivery checks.
 */
function writeAsSynth(root: string, files: ReadonlyMap<string, Buffer>): void {
  const tree = new ConfigTree();
  for (const [path, content] of files) tree.addBytes(path, content);
  writeTree(tree, root, { generateKustomizations: false, foreignFiles: 'remove', recordDigests: files.has('release.json') ? ['release.json'] : [] });
}

/**
 * Writes a tree again through synth's writer, with every file it now holds (a test's changes included), so that its
 * marker records release.json's digest as after a synth.
 */
export function sealTree(root: string): void {
  const files = new Map<string, Buffer>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (path !== '.flux-fleet') files.set(path, readFileSync(join(root, path)));
    }
  };
  walk('');
  writeAsSynth(root, files);
}

/** The tag a cluster follows, as synth names it. */
export function followedTag(c: TreeCluster): string {
  const channel = c.environment === 'production' ? 'stable' : 'latest';
  return c.wave !== undefined ? `${channel}-wave-${c.wave}` : channel;
}

export function clusterUrl(c: TreeCluster, prefix = 'fleet'): string {
  return `oci://${HOSTS[c.region]}/${prefix}/clusters/${c.name}`;
}

export function artifactUrl(region: Region, name: string, prefix = 'fleet'): string {
  return `oci://${HOSTS[region]}/${prefix}/${name}`;
}

/**
 * Writes a synthesized tree as synth does: `artifacts/<name>/`, `clusters/<name>/` (bootstrap through a FluxInstance
 * syncing the cluster's artifact with a verify patch, and per component an OCIRepository pinned by digest and a
 * Kustomization), the kustomization.yaml files, and release.json. Returns the manifest written.
 */
export function writeReleaseTree(
  root: string, options: { clusters?: readonly TreeCluster[]; content?: ArtifactContent; prefix?: string; publicKey?: string } = {},
): ReleaseManifest {
  const clusters = options.clusters ?? DEFAULT_CLUSTERS;
  // With a public key, every source verifies it, from the Secret cosign-pub in flux-system; else the keyless identity.
  const verify = options.publicKey !== undefined ? ['    provider: cosign', '    secretRef:', '      name: cosign-pub'] : IDENTITY;
  const syncVerify = options.publicKey !== undefined
    ? ['              provider: cosign', '              secretRef:', '                name: cosign-pub']
    : [
      '              provider: cosign',
      '              matchOIDCIdentity:',
      '                - issuer: ^https://token\\.actions\\.githubusercontent\\.com$',
      '                  subject: ^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
    ];
  const keySecret = options.publicKey !== undefined ? [
    '---',
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: cosign-pub',
    '  namespace: flux-system',
    'stringData:',
    '  cosign.pub: |',
    ...options.publicKey.trim().split('\n').map((l) => `    ${l}`),
  ] : [];
  const content = options.content ?? DEFAULT_CONTENT;
  const prefix = options.prefix ?? 'fleet';
  // Synth rewrites the whole tree: nothing of a previous synth stays.
  const out = new Map<string, Buffer>();
  const write = (_: string, path: string, text: string) => out.set(path, Buffer.from(text));
  const digests: Record<string, string> = {};
  for (const [name, files] of Object.entries(content)) {
    for (const [path, text] of Object.entries(files)) write(root, `artifacts/${name}/${path}`, text);
    const packed = packArtifact(Object.entries(files).map(([path, text]) => ({ path, content: Buffer.from(text), mode: 0o644 })));
    digests[name] = packed.digest;
  }
  for (const c of clusters) {
    const dir = `clusters/${c.name}`;
    const tag = followedTag(c);
    write(root, `${dir}/flux-system/flux-system.yaml`, [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: flux-runtime-info',
      '  namespace: flux-system',
      '  annotations:',
      `    flux-fleet.io/production: "${c.environment === 'production'}"`,
      `    flux-fleet.io/deploy-on-push: "${c.environment !== 'production'}"`,
      'data:',
      `  ARTIFACT_TAG: ${tag}`,
      `  CLUSTER_ENVIRONMENT: ${c.environment}`,
      `  CLUSTER_NAME: ${c.name}`,
      `  CLUSTER_REGION: ${c.region}`,
      ...(c.wave !== undefined ? [`  CLUSTER_WAVE: "${c.wave}"`] : []),
      '---',
      'apiVersion: fluxcd.controlplane.io/v1',
      'kind: FluxInstance',
      'metadata:',
      '  name: flux',
      '  namespace: flux-system',
      'spec:',
      '  distribution:',
      '    registry: ghcr.io/fluxcd',
      '    version: 2.9.x',
      '  kustomize:',
      '    patches:',
      '      - patch: |',
      '          - op: add',
      '            path: /spec/verify',
      '            value:',
      ...syncVerify,
      '        target:',
      '          kind: OCIRepository',
      '          name: flux-system',
      '  sync:',
      '    kind: OCIRepository',
      '    path: ./',
      `    ref: ${tag}`,
      `    url: ${clusterUrl(c, prefix)}`,
      ...keySecret,
      '',
    ].join('\n'));
    write(root, `${dir}/flux-system/kustomization.yaml`, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - flux-system.yaml\n');
    for (const name of c.uses) {
      write(root, `${dir}/${name}.yaml`, [
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: OCIRepository',
        'metadata:',
        `  name: ${name}`,
        '  namespace: flux-system',
        'spec:',
        '  interval: 5m',
        '  ref:',
        `    digest: ${digests[name]}`,
        `  url: ${artifactUrl(c.region, name, prefix)}`,
        '  verify:',
        ...verify,
        '---',
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata:',
        `  name: ${name}`,
        '  namespace: flux-system',
        'spec:',
        '  interval: 10m',
        '  path: ./',
        '  prune: true',
        '  sourceRef:',
        '    kind: OCIRepository',
        `    name: ${name}`,
        '',
      ].join('\n'));
    }
    write(root, `${dir}/kustomization.yaml`, `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - flux-system\n${c.uses.map((u) => `  - ${u}.yaml\n`).join('')}`);
  }
  const release: ReleaseManifest = {
    version: 1,
    environments: [
      { name: 'production', channel: { kind: 'tag', value: 'stable' }, production: true, deployOnPush: false },
      { name: 'staging', channel: { kind: 'tag', value: 'latest' }, production: false, deployOnPush: true },
    ],
    clusters: [...clusters].sort((a, b) => (a.name < b.name ? -1 : 1)).map((c) => ({
      name: c.name,
      environment: c.environment,
      region: c.region,
      ...(c.wave !== undefined ? { wave: c.wave } : {}),
      url: clusterUrl(c, prefix),
      tag: followedTag(c),
    })),
    artifacts: Object.keys(content).sort().map((name) => {
      const regions = [...new Set(clusters.filter((c) => c.uses.includes(name)).map((c) => c.region))].sort();
      return { name, folder: `artifacts/${name}`, digest: digests[name], targets: regions.map((region) => ({ region, url: artifactUrl(region, name, prefix) })) };
    }).filter((a) => a.targets.length > 0),
    external: [],
  };
  write(root, 'release.json', `${JSON.stringify(release, null, 2)}\n`);
  writeAsSynth(root, out);
  return release;
}

export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', content: Buffer.from('{}') };

/**
 * Attaches a referrer to a digest as cosign v3 does on a registry without the Referrers API: a manifest with
 * `artifactType` and `subject`, listed in the `sha256-<hex>` fallback index tag. Its bundle is a placeholder: these
 * tests check that signatures travel and are found, not their cryptography. Returns the referrer's digest.
 */
export async function attachReferrer(repo: RegistryRepository, subject: Descriptor, artifactType = BUNDLE_TYPE): Promise<string> {
  const bundle = blobOf(artifactType, Buffer.from(JSON.stringify({ mediaType: artifactType, subject: subject.digest })));
  const config = blobOf(EMPTY.mediaType, EMPTY.content);
  await repo.pushBlob(config);
  await repo.pushBlob(bundle);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType,
    config: config.descriptor,
    layers: [bundle.descriptor],
    subject,
  }));
  const digest = await repo.pushManifestByDigest(manifest, MEDIA_TYPES.ociManifest);
  const tag = referrersFallbackTag(subject.digest);
  const existing = await repo.fetchManifest(tag);
  const listed = existing ? (JSON.parse(existing.bytes.toString('utf8')) as { manifests: unknown[] }).manifests : [];
  const entry = { mediaType: MEDIA_TYPES.ociManifest, digest, size: manifest.length, artifactType };
  const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [...listed, entry] };
  await repo.pushManifest(tag, Buffer.from(JSON.stringify(index)), MEDIA_TYPES.ociIndex);
  return digest;
}

/** The descriptor of a manifest's bytes. */
export function manifestDescriptor(bytes: Buffer): Descriptor {
  return { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest(bytes), size: bytes.length };
}
