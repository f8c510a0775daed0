// Checks the config-repo tree that fleet.ts synthesized: one folder per declared cluster, each with a
// kustomization.yaml listing the flux-system folder and every component file (each present), a FluxInstance syncing
// from the cluster's own OCI artifact at its environment's channel tag, and the Helm component's per-cluster values
// and chart ref (production's pinned to the digest of flux-fleet.lock in the current folder).
// Usage: node verify-fleet.mjs <dir>   (run in the consumer project, whose node_modules has `yaml`)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const dir = process.argv[2] ?? 'dist';

// What fleet.ts declares.
const REGISTRY = (region) => `oci://123456789012.dkr.ecr.${region}.amazonaws.com/fleet`;
const CLUSTERS = {
  'stg-eu-1': { region: 'eu-west-1', ref: 'latest', replicas: 1, domain: 'stg.acme.io' },
  'prod-eu-1': { region: 'eu-west-1', ref: 'stable', replicas: 3, domain: 'eu.acme.io' },
  'prod-us-1': { region: 'us-east-1', ref: 'stable', replicas: 2, domain: 'us.acme.io' },
};
const LOCKED = JSON.parse(readFileSync('flux-fleet.lock', 'utf8')).entries
  .find((e) => e.upstream === 'oci://ghcr.io/stefanprodan/charts/podinfo')?.digest;
const RESOURCES = ['flux-system', 'infra-controllers.yaml', 'infra-configs.yaml', 'podinfo.yaml'];

const problems = [];
const expect = (ok, message) => { if (!ok) problems.push(message); };
const read = (file) => readFileSync(join(dir, file), 'utf8');
const objects = (file) => parseAllDocuments(read(file)).map((d) => d.toJS()).filter((o) => o !== null);

let found = [];
try {
  found = readdirSync(join(dir, 'clusters')).sort();
} catch (err) {
  problems.push(`cannot read ${dir}/clusters/: ${err.message}`);
}
expect(found.length === 0 || found.join() === Object.keys(CLUSTERS).sort().join(),
  `${dir}/clusters/ holds ${found.join(', ')}; expected ${Object.keys(CLUSTERS).sort().join(', ')}`);

const lines = [];
for (const [name, want] of Object.entries(CLUSTERS)) {
  const root = `clusters/${name}`;
  if (!existsSync(join(dir, root, 'kustomization.yaml'))) {
    problems.push(`${root}/kustomization.yaml was not written`);
    continue;
  }
  try {
    const resources = parse(read(`${root}/kustomization.yaml`))?.resources ?? [];
    for (const r of RESOURCES) expect(resources.includes(r), `${root}/kustomization.yaml does not list ${r} (it lists ${resources.join(', ')})`);
    for (const r of resources) expect(existsSync(join(dir, root, r)), `${root}/kustomization.yaml lists ${r}, which does not exist`);

    const instances = objects(`${root}/flux-system/flux-system.yaml`).filter((o) => o.kind === 'FluxInstance');
    expect(instances.length === 1, `${root}/flux-system/flux-system.yaml holds ${instances.length} FluxInstances, expected 1`);
    const sync = instances[0]?.spec?.sync ?? {};
    const url = `${REGISTRY(want.region)}/clusters/${name}`;
    expect(sync.kind === 'OCIRepository', `${root}: FluxInstance spec.sync.kind is ${JSON.stringify(sync.kind)}, expected OCIRepository`);
    expect(sync.url === url, `${root}: FluxInstance spec.sync.url is ${JSON.stringify(sync.url)}, expected ${url}`);
    expect(sync.ref === want.ref, `${root}: FluxInstance spec.sync.ref is ${JSON.stringify(sync.ref)}, expected ${want.ref}`);

    const configs = objects(`${root}/infra-configs.yaml`).find((o) => o.kind === 'Kustomization');
    const deps = (configs?.spec?.dependsOn ?? []).map((d) => d.name);
    expect(deps.includes('infra-controllers'), `${root}: Kustomization infra-configs depends on [${deps.join(', ')}], expected infra-controllers`);

    const release = objects(`${root}/components/podinfo/podinfo.yaml`).find((o) => o.kind === 'HelmRelease');
    const values = release?.spec?.values ?? {};
    expect(values.replicaCount === want.replicas, `${root}: HelmRelease podinfo values.replicaCount is ${values.replicaCount}, expected ${want.replicas}`);
    const host = values.ingress?.hosts?.[0]?.host;
    expect(host === `podinfo.${want.domain}`, `${root}: HelmRelease podinfo ingress host is ${JSON.stringify(host)}, expected podinfo.${want.domain}`);

    const chart = objects(`${root}/components/podinfo/podinfo.yaml`).find((o) => o.kind === 'OCIRepository');
    const pin = want.ref === 'stable' ? { digest: LOCKED } : { semver: '6.x' };
    expect(JSON.stringify(chart?.spec?.ref) === JSON.stringify(pin),
      `${root}: OCIRepository podinfo ref is ${JSON.stringify(chart?.spec?.ref)}, expected ${JSON.stringify(pin)}`);

    lines.push(`  ${root}: ${resources.length} resources, sync ${sync.url}:${sync.ref}, podinfo ${JSON.stringify(chart?.spec?.ref)} replicas ${values.replicaCount}`);
  } catch (err) {
    problems.push(`${root}: ${err.message}`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(lines.join('\n'));
