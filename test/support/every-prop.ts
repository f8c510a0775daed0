import { Chart, Duration } from 'cdk8s';
import type { StructuralSchema } from '../../src/flux/schemas/schema-model.js';
import {
  Alert, ArtifactGenerator, Bucket, EventSource, ExternalArtifact, FluxApp, FluxInstance, FluxObject, GitRepository, HELM_CHART_LAYER_SELECTOR,
  HelmChart, HelmRelease, HelmRepository, ImagePolicy, ImagePolicyChoice, ImageRepository, ImageUpdateAutomation, InputsFrom, Kustomization,
  OciRepository, Provider, Receiver, ReceiverResource, ResourceSet, ResourceSetInputProvider,
} from '../../src/index.js';

/*
 * Every spec field of every kind the vendored upstream schemas hold must be reachable from a typed prop: the objects
 * below set every prop of every kind (several objects where fields exclude one another), and each field path of each
 * minor's schema must appear in what they render. A field a new Flux minor adds fails this test until a prop renders it.
 *
 * Exceptions, each for a reason:
 * - FluxReport: the Flux Operator writes it (its spec is the operator's report of the cluster); nobody declares one.
 * - The deprecated versions older minors still serve (v1beta2 and the like in Flux 2.7 and 2.8): flux-fleet writes
 *   each kind's storage version, whose fields are checked here.
 * - Fields upstream deprecates (`deprecated` in the vendored schema, from "Deprecated" in the CRD's description:
 *   Alert `summary`, Provider `interval` and `proxy`, HelmRelease `install.skipCRDs`): each has a replacement the
 *   typed props offer, or does nothing any more.
 * - `apiVersion` of a reference to another object (`sourceRef`, `chartRef`, `dependsOn`, `eventSources`...): the
 *   reference is the object itself, and Flux resolves the version it serves, so flux-fleet writes kind and name.
 */
export const NOT_DECLARED = new Set(['FluxReport']);
export const REFERENCE_API_VERSION = /(Ref|sourceRef|dependsOn\[\]|eventSources\[\]|resources\[\]|inputsFrom\[\]|sources\[\])\.apiVersion$/;

/** The field paths of a schema's spec (`spec.ref.tag`, `spec.patches[].target.kind`), deprecated ones left out. */
export function schemaPaths(schema: StructuralSchema, prefix: string, out: Set<string>): Set<string> {
  if (schema.items) return schemaPaths(schema.items, `${prefix}[]`, out);
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (sub.deprecated) continue;
    out.add(`${prefix}.${name}`);
    schemaPaths(sub, `${prefix}.${name}`, out);
  }
  return out;
}

/** The field paths a rendered value holds. */
export function renderedPaths(value: unknown, prefix: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) renderedPaths(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [name, sub] of Object.entries(value)) {
      if (sub === undefined) continue;
      out.add(`${prefix}.${name}`);
      renderedPaths(sub, `${prefix}.${name}`, out);
    }
  }
  return out;
}

/** Objects setting every prop of every kind. */
export function everyProp(): FluxObject[] {
  const app = new FluxApp();
  const chart = new Chart(app, 'all', { namespace: 'apps' });
  const infra = new Chart(app, 'infra', { namespace: 'infra' });
  const target = { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'apps', labelSelector: 'a=b', annotationSelector: 'c=d' };
  const secretRef = { name: 'creds' };
  const labels = { 'app.kubernetes.io/part-of': 'fleet' };
  const selector = { matchLabels: { team: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['a'] }] };

  const oci = new OciRepository(chart, 'oci', {
    url: 'oci://ghcr.io/acme/apps',
    ref: { semver: '1.x', semverFilter: '^1\\.', tag: 'latest', digest: `sha256:${'a'.repeat(64)}` },
    interval: '5m',
    layerSelector: { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', operation: 'extract' },
    provider: 'generic',
    secretRef,
    serviceAccountName: 'puller',
    certSecretRef: secretRef,
    proxySecretRef: secretRef,
    verify: {
      provider: 'cosign',
      matchOIDCIdentity: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/acme/fleet/.+$' }],
      trustedRootSecretRef: secretRef,
    },
    insecure: false,
    timeout: '60s',
    ignore: '*.md',
    suspend: false,
  });
  new OciRepository(chart, 'oci-keyed', { url: 'oci://ghcr.io/acme/keyed', verify: { provider: 'cosign', secretRef } });
  const chartOci = new OciRepository(chart, 'oci-chart', { url: 'oci://ghcr.io/acme/charts/web', layerSelector: HELM_CHART_LAYER_SELECTOR });
  const git = new GitRepository(chart, 'git', {
    url: 'https://github.com/acme/fleet',
    ref: { branch: 'main', commit: 'a'.repeat(40) },
    interval: '5m',
    secretRef,
    provider: 'generic',
    timeout: '60s',
    ignore: '*.md',
    suspend: false,
    recurseSubmodules: true,
    include: [{ repository: GitRepository.fromName(chart, 'included', 'shared'), fromPath: 'deploy', toPath: 'shared' }],
    verify: { mode: 'HEAD', secretRef },
    proxySecretRef: secretRef,
    sparseCheckout: ['deploy'],
  });
  for (const ref of [{ tag: 'v1.0.0' }, { semver: '1.x' }, { name: 'refs/heads/main' }]) {
    new GitRepository(chart, `git-${Object.keys(ref)[0]}`, { url: 'https://github.com/acme/fleet', ref });
  }
  new GitRepository(chart, 'git-aws', { url: 'https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/fleet', provider: 'aws', serviceAccountName: 'git-reader' });
  new Bucket(chart, 'bucket', {
    bucketName: 'fleet',
    endpoint: 'minio.example.com',
    provider: 'generic',
    region: 'eu-west-1',
    prefix: 'apps/',
    secretRef,
    certSecretRef: secretRef,
    proxySecretRef: secretRef,
    sts: { provider: 'ldap', endpoint: 'https://sts.example.com', secretRef, certSecretRef: secretRef },
    insecure: false,
    interval: '5m',
    timeout: '60s',
    ignore: '*.md',
    suspend: false,
  });
  new Bucket(chart, 'bucket-aws', { bucketName: 'fleet', endpoint: 's3.amazonaws.com', provider: 'aws', serviceAccountName: 'reader' });
  const helmRepo = new HelmRepository(chart, 'helm-repo', {
    url: 'https://charts.example.com',
    type: 'default',
    secretRef,
    certSecretRef: secretRef,
    passCredentials: false,
    insecure: false,
    interval: '1h',
    timeout: '60s',
    suspend: false,
    accessFrom: { namespaceSelectors: [{ matchLabels: { team: 'web' } }] },
  });
  new HelmRepository(chart, 'helm-oci', { url: 'oci://ghcr.io/acme/charts', type: 'oci', provider: 'aws' });
  new HelmChart(chart, 'helm-chart', {
    chart: 'web',
    sourceRef: helmRepo,
    version: '1.x',
    interval: '10m',
    reconcileStrategy: 'ChartVersion',
    valuesFiles: ['values.yaml'],
    ignoreMissingValuesFiles: true,
    suspend: false,
  });
  new HelmChart(chart, 'helm-chart-verified', {
    chart: 'web',
    sourceRef: HelmRepository.fromName(chart, 'oci-charts', 'oci-charts'),
    verify: { provider: 'cosign', matchOIDCIdentity: [{ issuer: '^https://example\\.com$', subject: '^acme$' }] },
  });
  new HelmChart(chart, 'helm-chart-keyed', { chart: 'web', sourceRef: HelmRepository.fromName(chart, 'oci-charts-keyed', 'oci-charts'), verify: { provider: 'cosign', secretRef } });
  const external = new ExternalArtifact(chart, 'external', {
    sourceRef: { apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', name: 'generator', namespace: 'infra' },
  });
  new ArtifactGenerator(chart, 'generator', {
    sources: { apps: oci, shared: OciRepository.fromName(chart, 'infra-shared', 'shared', { namespace: 'infra' }) },
    artifacts: [{
      name: 'web',
      revision: '@apps',
      originRevision: '@apps',
      copy: [{ from: '@apps/deploy/**', to: '@artifact/', exclude: ['*.md'], strategy: 'Overwrite' }],
    }],
  });

  new ArtifactGenerator(chart, 'generator-per-app', {
    sources: { apps: oci },
    pathPattern: '@apps/apps/{app}',
    artifacts: [{ name: '{app}-manifests', copy: [{ from: '@apps/apps/{app}/**', to: '@artifact/' }] }],
    commonMetadata: { labels, annotations: labels },
  });
  const upstream = new Kustomization(infra, 'upstream', { sourceRef: oci });
  const k = new Kustomization(chart, 'kustomization', {
    sourceRef: oci,
    path: './apps',
    interval: '10m',
    retryInterval: '2m',
    timeout: '5m',
    prune: true,
    wait: false,
    force: false,
    healthChecks: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' }],
    healthCheckExprs: [{
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      current: 'status.conditions.filter(c, c.type == \'Ready\').all(c, c.status == \'True\')',
      inProgress: 'status.conditions.exists(c, c.type == \'Issuing\')',
      failed: 'status.conditions.filter(c, c.type == \'Ready\').all(c, c.status == \'False\')',
    }],
    ignore: [{ paths: ['/spec/replicas'], target }],
    ignoreMissingComponents: true,
    buildMetadata: ['originAnnotations'],
    dependsOn: [upstream],
    postBuild: { substitute: { cluster: 'a' }, substituteFrom: [{ kind: 'ConfigMap', name: 'vars', optional: true }], substituteStrategy: 'Always' },
    targetNamespace: 'apps',
    serviceAccountName: 'deployer',
    decryption: { provider: 'sops', secretRef, serviceAccountName: 'sops' },
    kubeConfig: { secretRef: { name: 'kubeconfig', key: 'value' } },
    components: ['./components/ha'],
    patches: [{ patch: 'kind: Deployment', target }],
    images: [{ name: 'web', newName: 'ghcr.io/acme/web', newTag: '1.0.0', digest: `sha256:${'b'.repeat(64)}` }],
    commonMetadata: { labels, annotations: labels },
    namePrefix: 'a-',
    nameSuffix: '-b',
    deletionPolicy: 'MirrorPrune',
    suspend: false,
  });
  k.addDependency(Kustomization.fromName(chart, 'crds', 'crds'), { readyExpr: 'status.observedGeneration == metadata.generation' });
  new Kustomization(chart, 'kustomization-remote', { sourceRef: external, kubeConfig: { configMapRef: { name: 'remote' } } });

  const dependency = new HelmRelease(infra, 'dependency', { chartRef: OciRepository.fromName(infra, 'infra-chart', 'web-chart', { namespace: 'apps' }) });
  new HelmRelease(chart, 'release', {
    chart: {
      chart: 'web',
      version: '1.x',
      sourceRef: HelmRepository.fromName(chart, 'infra-oci-charts', 'charts', { namespace: 'infra' }),
      interval: '10m',
      reconcileStrategy: 'ChartVersion',
      valuesFiles: ['values.yaml'],
      ignoreMissingValuesFiles: true,
      verify: { provider: 'cosign', secretRef },
      metadata: { labels, annotations: labels },
    },
    interval: '10m',
    timeout: '5m',
    values: { replicas: 2 },
    valuesFrom: [{ kind: 'ConfigMap', name: 'values', valuesKey: 'values.yaml', targetPath: 'a.b', optional: true, literal: true }],
    install: {
      timeout: '5m',
      remediation: { retries: 3, ignoreTestFailures: true, remediateLastFailure: true },
      disableWait: false,
      disableWaitForJobs: false,
      disableHooks: false,
      disableOpenAPIValidation: false,
      disableSchemaValidation: false,
      disableTakeOwnership: false,
      replace: false,
      crds: 'Create',
      createNamespace: true,
      serverSideApply: true,
    },
    upgrade: {
      timeout: '5m',
      remediation: { retries: 3, ignoreTestFailures: true, remediateLastFailure: true, strategy: 'rollback' },
      disableWait: false,
      disableWaitForJobs: false,
      disableHooks: false,
      disableOpenAPIValidation: false,
      disableSchemaValidation: false,
      disableTakeOwnership: false,
      force: false,
      preserveValues: false,
      cleanupOnFail: true,
      crds: 'Skip',
      serverSideApply: 'auto',
      chartNameChangeStrategy: 'Reinstall',
    },
    test: { enable: true, timeout: '5m', ignoreFailures: false, filters: [{ name: 'smoke', exclude: false }] },
    rollback: { timeout: '5m', disableWait: false, disableWaitForJobs: false, disableHooks: false, force: false, cleanupOnFail: true, serverSideApply: 'auto', recreate: false },
    uninstall: { timeout: '5m', disableHooks: false, keepHistory: false, disableWait: false, deletionPropagation: 'background' },
    driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'], target }] },
    targetNamespace: 'apps',
    storageNamespace: 'apps',
    releaseName: 'web',
    serviceAccountName: 'deployer',
    kubeConfig: { secretRef: { name: 'kubeconfig', key: 'value' } },
    maxHistory: 5,
    postRenderers: [{ kustomize: { patches: [{ patch: 'kind: Deployment', target }], images: [{ name: 'web', newName: 'ghcr.io/acme/web', newTag: '1.0.0', digest: `sha256:${'c'.repeat(64)}` }] } }],
    postRenderStrategy: 'combined',
    waitStrategy: 'poller',
    healthCheckExprs: [{ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', current: 'status.ready', inProgress: '!status.ready', failed: 'false' }],
    commonMetadata: { labels, annotations: labels },
    persistentClient: true,
    suspend: false,
  }).addDependency(dependency, { readyExpr: 'status.observedGeneration == metadata.generation' });
  new HelmRelease(chart, 'release-retry', {
    chartRef: chartOci,
    install: { strategy: { name: 'RetryOnFailure', retryInterval: '5m' } },
    upgrade: { strategy: { name: 'RetryOnFailure', retryInterval: '5m' } },
    kubeConfig: { configMapRef: { name: 'remote' } },
  });

  const provider = new Provider(chart, 'provider', {
    type: 'github',
    address: 'https://github.com/acme/fleet',
    channel: 'general',
    username: 'flux',
    secretRef,
    certSecretRef: secretRef,
    proxySecretRef: secretRef,
    timeout: '15s',
    commitStatusExpr: '\'flux/\' + event.metadata.cluster',
    suspend: false,
  });
  new Provider(chart, 'provider-identity', { type: 'azureeventhub', address: 'fleet-events', serviceAccountName: 'events' });
  new Alert(chart, 'alert', {
    providerRef: provider,
    eventSources: [upstream, EventSource.all('Kustomization', { namespace: 'infra', matchLabels: { team: 'web' } })],
    eventSeverity: 'info',
    inclusionList: ['.*'],
    exclusionList: ['skip'],
    eventMetadata: { cluster: 'a' },
    suspend: false,
  });
  new Receiver(chart, 'receiver', {
    type: 'github',
    secretRef,
    resources: [git, ReceiverResource.all('Kustomization', { namespace: 'infra', matchLabels: { team: 'web' }, filter: 'true' }), ReceiverResource.object(upstream, { filter: 'true' })],
    events: ['push'],
    resourceFilter: 'true',
    interval: '10m',
    suspend: false,
  });
  new Receiver(chart, 'receiver-oidc', {
    type: 'generic-oidc',
    oidcProviders: [{
      issuerURL: 'https://token.actions.githubusercontent.com',
      audience: 'flux',
      validations: [{ expression: 'claims.repository_owner == vars.owner', message: 'only acme' }],
      variables: [{ name: 'owner', expression: '\'acme\'' }],
    }],
    resources: [git],
  });

  const images = new ImageRepository(chart, 'images', {
    image: 'ghcr.io/acme/web',
    interval: '5m',
    timeout: '60s',
    secretRef,
    serviceAccountName: 'puller',
    certSecretRef: secretRef,
    proxySecretRef: secretRef,
    provider: 'generic',
    exclusionList: ['^.*\\.sig$'],
    insecure: false,
    suspend: false,
    accessFrom: { namespaceSelectors: [{ matchLabels: { team: 'web' } }] },
  });
  new ImagePolicy(chart, 'policy', {
    imageRepositoryRef: ImageRepository.fromName(chart, 'infra-images', 'web', { namespace: 'infra' }),
    policy: ImagePolicyChoice.semver('1.x'),
    filterTags: { pattern: '^v(?P<v>.*)$', extract: '$v' },
    digestReflectionPolicy: 'Always',
    interval: '5m',
    suspend: false,
  });
  new ImagePolicy(chart, 'policy-alpha', { imageRepositoryRef: images, policy: ImagePolicyChoice.alphabetical('asc') });
  new ImagePolicy(chart, 'policy-num', { imageRepositoryRef: images, policy: ImagePolicyChoice.numerical('desc') });
  new ImageUpdateAutomation(chart, 'automation', {
    sourceRef: git,
    git: {
      checkout: { ref: { branch: 'main' } },
      commit: { author: { email: 'flux@example.com', name: 'flux' }, signingKey: { secretRef, type: 'ssh' }, messageTemplate: 'update', messageTemplateValues: { a: 'b' } },
      push: { branch: 'main', refspec: 'refs/heads/main:refs/heads/auto', options: { a: 'b' } },
    },
    update: { path: './', strategy: 'Setters' },
    policySelector: selector,
    interval: '5m',
    suspend: false,
  });
  for (const ref of [{ tag: 'v1.0.0' }, { semver: '1.x' }, { name: 'refs/heads/main' }, { commit: 'a'.repeat(40) }]) {
    new ImageUpdateAutomation(chart, `automation-${Object.keys(ref)[0]}`, {
      sourceRef: GitRepository.fromName(chart, `infra-git-${Object.keys(ref)[0]}`, 'fleet', { namespace: 'infra' }),
      git: { checkout: { ref }, commit: { author: { email: 'flux@example.com' } }, push: { branch: 'auto' } },
    });
  }

  // The instance locks namespaces down (multitenant): in an app of its own, beside the cross-namespace references above.
  const operatorApp = new FluxApp();
  const cluster = new Chart(operatorApp, 'flux-system', { namespace: 'flux-system' });
  new FluxInstance(cluster, 'flux', {
    distribution: {
      version: '2.9.x',
      registry: 'ghcr.io/fluxcd',
      variant: 'upstream-alpine',
      imagePullSecret: secretRef,
      artifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests',
      artifactPullSecret: secretRef,
    },
    components: ['source-controller', 'kustomize-controller'],
    cluster: {
      type: 'kubernetes',
      size: 'small',
      multitenant: true,
      multitenantWorkloadIdentity: true,
      objectLevelWorkloadIdentity: true,
      networkPolicy: true,
      domain: 'cluster.local',
      tenantDefaultServiceAccount: 'default',
      tenantDefaultDecryptionServiceAccount: 'sops',
      tenantDefaultKubeConfigServiceAccount: 'remote',
    },
    sharding: { key: 'sharding.fluxcd.io/key', shards: ['a'], storage: 'persistent' },
    storage: { class: 'standard', size: '10Gi' },
    kustomize: { patches: [{ patch: 'kind: Deployment', target }] },
    sync: { kind: 'OCIRepository', url: 'oci://ghcr.io/acme/fleet', ref: 'latest', path: './', pullSecret: secretRef, provider: 'generic', interval: '5m', name: 'fleet' },
    commonMetadata: { labels, annotations: labels },
    wait: true,
    migrateResources: true,
  });
  new ResourceSet(chart, 'resources', {
    inputs: [{ name: 'a' }],
    inputsFrom: [InputsFrom.provider(ResourceSet.inputProviderFromName(chart, 'provider-ref', 'inputs')), InputsFrom.selector(selector)],
    inputStrategy: 'Permute',
    includeEmptyProviders: true,
    resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }],
    resourcesTemplate: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    dependsOn: [{ target: { apiVersion: 'v1', kind: 'ConfigMap', name: 'apps', namespace: 'infra' }, ready: true, readyExpr: 'true' }],
    serviceAccountName: 'deployer',
    wait: true,
    commonMetadata: { labels, annotations: labels },
  });
  new ResourceSet(chart, 'steps', {
    steps: [{ name: 'first', resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }], resourcesTemplate: 'x: y\n', timeout: Duration.minutes(5) }],
  });
  new ResourceSetInputProvider(chart, 'inputs', {
    type: 'GitHubPullRequest',
    url: 'https://github.com/acme/app',
    secretRef,
    certSecretRef: secretRef,
    defaultValues: { env: 'preview' },
    filter: {
      includeBranch: '^feat-',
      excludeBranch: '^wip-',
      includeTag: '^v',
      excludeTag: '-rc',
      includeEnvironment: '^prod',
      excludeEnvironment: '^dev',
      labels: ['deploy'],
      limit: 10,
      semver: '1.x',
    },
    skipLabels: ['!ready'],
    schedule: [{ cron: '0 8 * * 1-5', timeZone: 'Europe/Paris', window: '1h' }],
  });
  new ResourceSetInputProvider(chart, 'inputs-ecr', { type: 'ECRArtifactTag', url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/app', serviceAccountName: 'reader' });
  new ResourceSetInputProvider(chart, 'inputs-service', { type: 'ExternalService', url: 'http://inputs.example.com', insecure: true });
  new ResourceSetInputProvider(chart, 'inputs-artifacts', {
    type: 'ExternalArtifact',
    selectors: [{ name: 'web', namespace: 'apps' }, { matchLabels: { team: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }],
  });
  app.validate();
  operatorApp.validate();
  return [...app.node.findAll(), ...operatorApp.node.findAll()].filter((c): c is FluxObject => FluxObject.isFluxObject(c));
}

