import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { planAdoption, readRepositoryState, readSynthesizedState } from '../../src/output/adopt/index.js';
import { synthesizeKustomizeHelm } from '../fixtures/adopt/kustomize-helm/fleet.js';

/*
 * Adopting a cluster driven by a repository in the shape of Flux's kustomize-helm example (test/fixtures/adopt/
 * kustomize-helm: flux bootstrap, an ArtifactGenerator cutting the repository into artifacts, Helm releases in their
 * own namespaces), read from the repository folder itself, into a flux-fleet program on plain Flux.
 */

const REPO = join(import.meta.dirname, '..', 'fixtures', 'adopt', 'kustomize-helm');
const work = mkdtempSync(join(tmpdir(), 'adopt-kh-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function synthesize(keep: boolean): string {
  return synthesizeKustomizeHelm(join(work, keep ? 'kept' : 'default', 'dist'), keep);
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } }, cwd: work });
  return { code, stdout, stderr };
}

describe('adopting a cluster of a kustomize-helm style repository, read from the repository', () => {
  test('with podinfo kept in its namespace, nothing is pruned: Git, the ArtifactGenerator and the apps Kustomization retire', async () => {
    // GIVEN
    const dist = synthesize(true);
    // WHEN
    const adoption = planAdoption(await readRepositoryState(REPO, 'clusters/production'), await readSynthesizedState(dist, 'production'));
    // THEN
    const outcome = (key: string) => adoption.entries.find((e) => e.key === key)?.outcome;
    expect(adoption.prunes).toBe(false);
    expect({
      gitSource: outcome('source.toolkit.fluxcd.io/GitRepository/flux-system/flux-system'),
      generator: outcome('source.extensions.fluxcd.io/ArtifactGenerator/flux-system/flux-system'),
      apps: outcome('kustomize.toolkit.fluxcd.io/Kustomization/flux-system/apps'),
      sync: outcome('kustomize.toolkit.fluxcd.io/Kustomization/flux-system/flux-system'),
      controllers: outcome('kustomize.toolkit.fluxcd.io/Kustomization/flux-system/infra-controllers'),
      certManager: outcome('helm.toolkit.fluxcd.io/HelmRelease/cert-manager/cert-manager'),
      podinfo: outcome('helm.toolkit.fluxcd.io/HelmRelease/podinfo/podinfo'),
      fluxController: outcome('apps/Deployment/flux-system/kustomize-controller'),
    }).toStrictEqual({
      gitSource: 'retired',
      generator: 'retired',
      apps: 'retired',
      sync: 'changed',
      controllers: 'changed',
      certManager: 'kept',
      podinfo: 'changed',
      fluxController: 'handed-over',
    });
    expect(adoption.handOver).toStrictEqual(['', 'flux-system']);
    expect(adoption.orphan).toStrictEqual(['kustomize.toolkit.fluxcd.io/Kustomization/flux-system/apps']);
  });

  test('fails when podinfo\'s HelmRelease moves to flux-system: the report names the release uninstalled with it', async () => {
    // GIVEN
    const dist = synthesize(false);
    // WHEN
    const result = await cli('adopt', dist, '--cluster', 'production', '--from', REPO);
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(result.stdout).toContain('  > HelmRelease podinfo/podinfo -> HelmRelease flux-system/podinfo: pruned and recreated, as its place is taken by HelmRelease flux-system/podinfo\n'
      + '      and with it: the Helm release podinfo/podinfo of HelmRelease podinfo/podinfo, and its workloads\n');
    expect(result.stdout).toContain('kubectl -n flux-system annotate deployments,services,serviceaccounts,networkpolicies,resourcequotas -l app.kubernetes.io/part-of=flux kustomize.toolkit.fluxcd.io/prune=disabled --overwrite');
  });
});
