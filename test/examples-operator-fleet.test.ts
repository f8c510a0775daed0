import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../examples/operator-fleet/app.js';
import { validateTree } from '../src/output/index.js';

const example = join(import.meta.dirname, '..', 'examples', 'operator-fleet');
const committed = join(example, 'dist');

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir);
  return out;
}

function objectsOf(file: string): Array<Record<string, any>> {
  return parseAllDocuments(readFileSync(join(committed, file), 'utf8')).map((d) => d.toJS());
}

describe('the operator-style example fleet', () => {
  test('its committed output is what it synthesizes', () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'operator-fleet-')), 'dist');
    // WHEN
    buildApp(outdir).synth();
    // THEN
    expect(readTree(outdir)).toStrictEqual(readTree(committed));
  });

  test('validate passes on it: Flux schemas, references, cycles, and kubectl kustomize of every folder', async () => {
    const report = await validateTree(committed);
    expect(report).toStrictEqual({ errors: [], clusters: 3, files: 53, objects: 92 });
  }, 180_000);

  test('is declared through the public API only: no JSON patch, no construct tree access', () => {
    const source = readFileSync(join(example, 'app.ts'), 'utf8');
    expect(source.match(/JsonPatch|addJsonPatch|\.node\.|findChild|tryFindChild|\._[a-zA-Z]/g)).toBeNull();
  });

  test('tenants, policies, per-cluster objects and the HTTPS chart reach the clusters they target', () => {
    // GIVEN / WHEN
    const files = Object.keys(readTree(committed)).filter((f) => f.startsWith('clusters/'));
    // THEN
    expect(files.filter((f) => f.endsWith('capacity.yaml'))).toStrictEqual(['clusters/prod-us-1/capacity.yaml']);
    expect(files.filter((f) => f.endsWith('policies.yaml')).sort()).toStrictEqual([
      'clusters/prod-eu-1/policies.yaml', 'clusters/prod-us-1/policies.yaml', 'clusters/staging-1/policies.yaml',
    ]);
    expect(objectsOf('clusters/staging-1/policies.yaml')[0].spec.inputs).toStrictEqual([{ cluster: 'staging-1', enforcement: 'Warn' }]);
    expect(objectsOf('clusters/prod-eu-1/tenants.yaml').filter((o) => o.kind === 'Namespace').map((o) => o.metadata.labels)).toStrictEqual([
      { 'toolkit.fluxcd.io/role': 'tenant', 'toolkit.fluxcd.io/tenant': 'team-web' },
      { 'toolkit.fluxcd.io/role': 'tenant', 'toolkit.fluxcd.io/tenant': 'team-data' },
    ]);
    expect(objectsOf('clusters/prod-eu-1/components/cert-manager/cert-manager.yaml').map((o) => `${o.kind}/${o.metadata.name}`))
      .toStrictEqual(['HelmRepository/cert-manager', 'HelmRelease/cert-manager']);
  });

  test('staging verifies main, production release tags, and each tenant its own signer', () => {
    // GIVEN
    const verifyOf = (cluster: string) => Object.fromEntries(objectsOf(`clusters/${cluster}/sources.yaml`)
      .map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec.verify.secretRef?.name ?? o.spec.verify.matchOIDCIdentity[0].subject]));
    // WHEN / THEN
    expect(verifyOf('staging-1')).toStrictEqual({
      'flux-system/infra': '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
      'web/apps-web': '^https://github\\.com/acme/web/\\.github/workflows/release\\.yaml@refs/heads/main$',
    });
    expect(verifyOf('prod-eu-1')).toStrictEqual({
      'flux-system/infra': '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[^@]+$',
      'web/apps-web': '^https://github\\.com/acme/web/\\.github/workflows/release\\.yaml@refs/heads/main$',
      'data/apps-pipelines': 'team-data-cosign',
    });
    expect(objectsOf('clusters/prod-eu-1/signing-keys.yaml').map((o) => [o.kind, o.metadata.namespace, o.metadata.name, Object.keys(o.stringData)]))
      .toStrictEqual([['Secret', 'data', 'team-data-cosign', ['cosign.pub']]]);
  });

  test('production alerts come from flux-system and from an Alert in each tenant namespace', () => {
    // GIVEN / WHEN
    const alerts = objectsOf('clusters/prod-eu-1/notifications.yaml').filter((o) => o.kind === 'Alert')
      .map((o) => [o.metadata.namespace, o.spec.eventSeverity, o.spec.eventMetadata.tenant ?? null]);
    // THEN
    expect(alerts).toStrictEqual([['flux-system', 'error', null], ['web', 'error', 'team-web'], ['data', 'error', 'team-data']]);
    expect(objectsOf('clusters/staging-1/notifications.yaml').map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`))
      .toStrictEqual(['Provider/flux-system/msteams', 'Alert/flux-system/msteams']);
  });
});
