import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { planAdoption, readExportedState, readSynthesizedState } from '../../src/output/adopt/index.js';
import { synthesizeD2Staging } from '../fixtures/adopt/d2-staging/fleet.js';

/*
 * Adopting a d2-style workload cluster (the Flux Operator's reference fleet: a FluxInstance, a ResourceSet keeping the
 * operator up to date, and a "tenants" Kustomization whose ResourceSets create each team's namespace, account, source
 * and Kustomizations), exported as test/fixtures/adopt/d2-staging/current.yaml, into a flux-fleet program.
 */

const CURRENT = join(import.meta.dirname, '..', 'fixtures', 'adopt', 'd2-staging', 'current.yaml');

const work = mkdtempSync(join(tmpdir(), 'adopt-d2-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function synthesize(keep: boolean): string {
  return synthesizeD2Staging(join(work, keep ? 'kept' : 'default', 'dist'), keep);
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
