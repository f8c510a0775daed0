import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject } from 'cdk8s';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { planAdoption, readExportedState, readSynthesizedState } from '../../src/output/adopt/index.js';
import {
  Bootstrap, ComponentSource, Fleet, FluxApp, PullCredentials, Registry, Signing, TenantPullSecret,
} from '../../src/index.js';

/*
 * Adopting a d2-style workload cluster (the Flux Operator's reference fleet: a FluxInstance, a ResourceSet keeping the
 * operator up to date, and a "tenants" Kustomization whose ResourceSets create each team's namespace, account, source
 * and Kustomizations), exported as test/fixtures/adopt/d2-staging/current.yaml, into a flux-fleet program.
 */

const CURRENT = join(import.meta.dirname, '..', 'fixtures', 'adopt', 'd2-staging', 'current.yaml');
const INFRA = ['cert-manager', 'monitoring'];
const APPS = ['frontend', 'backend'];

const work = mkdtempSync(join(tmpdir(), 'adopt-d2-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The d2 staging cluster as a flux-fleet program; with `keep`, under the names the cluster knows its objects by. */
function synthesize(keep: boolean): string {
  const outdir = join(work, keep ? 'kept' : 'default', 'dist');
  const app = new FluxApp({ outdir });
  const fleet = new Fleet<{ ENVIRONMENT: string; CLUSTER_DOMAIN: string }>(app, 'd2', {
    registry: Registry.ghcr({ owner: 'acme', repository: 'd2-fleet', pullSecret: { name: 'ghcr-auth' } }),
    signing: Signing.githubActions({ repository: 'acme/d2-fleet', workflow: 'push-artifact.yaml' }),
    flux: {
      version: '2.9.x',
      components: ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'],
      bootstrap: Bootstrap.operator({
        instance: { distributionArtifact: 'oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests', tenantDefaultServiceAccount: 'flux', domain: 'cluster.local' },
      }),
    },
  });
  fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('staging', { region: 'eu', vars: { ENVIRONMENT: 'staging', CLUSTER_DOMAIN: 'preview.acme.io' } });
  // The team pull secret, copied from flux-system by the Flux Operator, as d2's ResourceSets do.
  const pullSecret = TenantPullSecret.objects((chart, namespace, secretName) => {
    new ApiObject(chart, `${namespace}-pull-secret`, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: secretName, namespace, annotations: { 'fluxcd.controlplane.io/copyFrom': `flux-system/${secretName}` } },
    });
  });
  const signing = (repository: string) => (c: { production: boolean }) => Signing.githubActions({
    repository, workflow: 'push-artifact.yaml', ...(c.production ? { ref: 'refs/tags/v*' } : {}),
  });
  const reconcile = { interval: '30m', retryInterval: '5m', timeout: '5m', wait: true } as const;
  for (const team of INFRA) {
    const tenant = fleet.addTenant(team, {
      serviceAccountName: 'flux', imagePullSecrets: ['ghcr-auth'], pullSecret, pullCredentials: PullCredentials.serviceAccount('flux'),
      clusterRoleBindings: [{ clusterRole: 'cluster-admin', ...(keep ? { name: `flux-infra-${team}` } : {}) }],
      signing: signing('acme/d2-infra'),
    });
    const source = ComponentSource.artifact(`oci://ghcr.io/acme/d2-infra/${team}`, { ref: { tag: 'latest' }, ...(keep ? { sourceName: 'infra' } : {}) });
    const controllers = fleet.addComponent(`${team}-infra-controllers`, {
      ...reconcile, tenant, source, path: (c) => `./controllers/${c.environment}`, ...(keep ? { objectName: 'infra-controllers' } : {}),
    });
    fleet.addComponent(`${team}-infra-configs`, {
      ...reconcile, tenant, source, path: (c) => `./configs/${c.environment}`, dependsOn: [controllers], ...(keep ? { objectName: 'infra-configs' } : {}),
    });
  }
  for (const team of APPS) {
    const tenant = fleet.addTenant(team, {
      serviceAccountName: 'flux', imagePullSecrets: ['ghcr-auth'], pullSecret, pullCredentials: PullCredentials.serviceAccount('flux'),
      clusterRole: 'admin', namespaceLabels: { 'toolkit.fluxcd.io/role': 'tenant' }, ...(keep ? { roleBindingName: 'flux' } : {}),
      signing: signing('acme/d2-apps'),
    });
    fleet.addComponent(`${team}-apps`, {
      ...reconcile, tenant, path: (c) => `./${c.environment}`, ...(keep ? { objectName: 'apps' } : {}),
      source: ComponentSource.artifact(`oci://ghcr.io/acme/d2-apps/${team}`, { ref: { tag: 'latest' }, ...(keep ? { sourceName: 'apps' } : {}) }),
    });
  }
  // d2's policies ResourceSet, as the objects it creates.
  fleet.addObjects('policies', (chart) => {
    new ApiObject(chart, 'allowlist', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flux-allowlist', namespace: 'flux-system', labels: { 'fluxcd.controlplane.io/role': 'policy' } },
      data: { sources: 'oci://ghcr.io/acme/ oci://ghcr.io/controlplaneio-fluxcd/' },
    });
    new ApiObject(chart, 'policy', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'source.policy.fluxcd.controlplane.io' },
      spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: [{ apiGroups: ['source.toolkit.fluxcd.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['ocirepositories'] }] }, validations: [{ expression: 'true' }] },
    });
    new ApiObject(chart, 'binding', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'flux-tenant-sources' },
      spec: { policyName: 'source.policy.fluxcd.controlplane.io', validationActions: ['Deny'] },
    });
  });
  app.synth();
  return outdir;
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } }, cwd: work });
  return { code, stdout, stderr };
}

describe('adopting a d2-style workload cluster', () => {
  test('with kept names, nothing is pruned: the tenants\' objects move from the ResourceSets to the tree, which retire', async () => {
    // GIVEN
    const dist = synthesize(true);
    // WHEN
    const adoption = planAdoption(readExportedState([CURRENT]), await readSynthesizedState(dist, 'staging'));
    // THEN
    const by = (outcome: string) => adoption.entries.filter((e) => e.outcome === outcome).map((e) => e.key);
    expect(adoption.prunes).toBe(false);
    expect([...by('renamed'), ...by('removed')]).toStrictEqual([]);
    expect(by('retired')).toStrictEqual([
      'fluxcd.controlplane.io/ResourceSet/flux-system/apps',
      'fluxcd.controlplane.io/ResourceSet/flux-system/flux-operator',
      'fluxcd.controlplane.io/ResourceSet/flux-system/infra',
      'fluxcd.controlplane.io/ResourceSet/flux-system/policies',
      'kustomize.toolkit.fluxcd.io/Kustomization/flux-system/tenants',
    ]);
    const kustomizations = adoption.entries.filter((e) => e.key.includes('/Kustomization/') && !e.key.includes('flux-system')).map((e) => `${e.outcome} ${e.key.split('/').slice(-2).join('/')}`);
    expect(kustomizations).toStrictEqual([
      'kept backend/apps', 'kept cert-manager/infra-configs', 'kept cert-manager/infra-controllers', 'kept frontend/apps',
      'kept monitoring/infra-configs', 'kept monitoring/infra-controllers',
    ]);
    expect(adoption.orphan).toStrictEqual([
      'fluxcd.controlplane.io/ResourceSet/flux-system/flux-operator',
      'kustomize.toolkit.fluxcd.io/Kustomization/flux-system/tenants',
      'fluxcd.controlplane.io/ResourceSet/flux-system/apps',
      'fluxcd.controlplane.io/ResourceSet/flux-system/infra',
      'fluxcd.controlplane.io/ResourceSet/flux-system/policies',
    ]);
  });

  test('the command line says so, with the commands to run before and after the cut-over, and exits 0', async () => {
    // GIVEN
    const dist = synthesize(true);
    // WHEN
    const result = await cli('adopt', dist, '--cluster', 'staging', '--from', CURRENT);
    // THEN
    expect([result.code, result.stderr]).toStrictEqual([EXIT.ok, '']);
    const text = result.stdout;
    expect(text).toContain('No object is pruned: the cut-over keeps every object it does not retire.');
    expect(text).toContain([
      'Before the cut-over, let the retiring owners go of what the new tree keeps (parents first):',
      '  kubectl -n flux-system annotate resourceset.fluxcd.controlplane.io flux-operator fluxcd.controlplane.io/reconcile=disabled --overwrite',
      '  kubectl -n flux-system patch kustomization.kustomize.toolkit.fluxcd.io tenants --type=merge -p \'{"spec":{"suspend":true}}\'',
      '  kubectl -n flux-system annotate resourceset.fluxcd.controlplane.io apps fluxcd.controlplane.io/reconcile=disabled --overwrite',
    ].join('\n'));
    expect(text).toContain('  kubectl -n flux-system delete resourceset.fluxcd.controlplane.io apps\n');
    expect(text).toMatch(/ {2}~ OCIRepository flux-system\/flux-system: changed\n {6}spec\.url: "oci:\/\/ghcr\.io\/acme\/d2-fleet" → "oci:\/\/ghcr\.io\/acme\/d2-fleet\/clusters\/staging"/);
  });

  test('fails when names are not kept: the report names each rename, and what goes with it', async () => {
    // GIVEN
    const dist = synthesize(false);
    // WHEN
    const result = await cli('adopt', dist, '--cluster', 'staging', '--from', CURRENT, '--format', 'json');
    // THEN
    expect(result.code).toBe(EXIT.errors);
    const report = JSON.parse(result.stdout) as { prunes: boolean; entries: Array<{ outcome: string; key: string; to?: string; loses?: string[] }> };
    expect(report.prunes).toBe(true);
    const renames = report.entries.filter((e) => e.outcome === 'renamed').map((e) => `${e.key.split('/').slice(1).join('/')} -> ${e.to!.split('/').slice(2).join('/')}`);
    expect(renames).toStrictEqual([
      'Kustomization/backend/apps -> backend/backend-apps',
      'Kustomization/cert-manager/infra-configs -> cert-manager/cert-manager-infra-configs',
      'Kustomization/cert-manager/infra-controllers -> cert-manager/cert-manager-infra-controllers',
      'Kustomization/frontend/apps -> frontend/frontend-apps',
      'Kustomization/monitoring/infra-configs -> monitoring/monitoring-infra-configs',
      'Kustomization/monitoring/infra-controllers -> monitoring/monitoring-infra-controllers',
      'OCIRepository/backend/apps -> backend/backend-apps',
      'OCIRepository/cert-manager/infra -> cert-manager/cert-manager-infra-controllers',
      'OCIRepository/frontend/apps -> frontend/frontend-apps',
      'OCIRepository/monitoring/infra -> monitoring/monitoring-infra-controllers',
    ]);
    expect(report.entries.find((e) => e.key === 'kustomize.toolkit.fluxcd.io/Kustomization/frontend/apps')!.loses).toStrictEqual(['Deployment frontend/workload']);
    // The tenants' bindings under other names are pruned, and so, with what it creates, is the ResourceSet that made them.
    expect(report.entries.filter((e) => e.outcome === 'removed').map((e) => e.key.split('/').slice(1).join('/'))).toStrictEqual([
      'ResourceSet/flux-system/apps', 'ResourceSet/flux-system/infra', 'Kustomization/flux-system/tenants',
      'ClusterRoleBinding/-/flux-infra-cert-manager', 'ClusterRoleBinding/-/flux-infra-monitoring', 'RoleBinding/backend/flux', 'RoleBinding/frontend/flux',
    ]);
  });
});
