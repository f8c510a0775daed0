// Checks the YAML a consumer program synthesized: parses every document of every .yaml file under the folder given
// and looks for the OCIRepository `infra` and the Kustomization `apps` that reconciles it.
// Usage: node verify-synth.mjs <dir>   (run in the consumer project, whose node_modules has `yaml`)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const dir = process.argv[2] ?? 'dist';
const URL = 'oci://ghcr.io/acme/infra';
const problems = [];
const docs = [];

let files = [];
try {
  files = readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.ya?ml$/.test(f)).sort();
} catch (err) {
  problems.push(`cannot read ${dir}/: ${err.message}`);
}
if (files.length === 0 && problems.length === 0) problems.push(`no .yaml file was written under ${dir}/`);
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
    if (doc.errors.length > 0) problems.push(`${file}: invalid YAML: ${doc.errors[0].message}`);
    else if (doc.contents !== null) docs.push({ file, object: doc.toJS() });
  }
}

const named = (kind, name) => docs.filter((d) => d.object?.kind === kind && d.object?.metadata?.name === name);
const expect = (ok, message) => { if (!ok) problems.push(message); };

const repos = named('OCIRepository', 'infra');
const kss = named('Kustomization', 'apps');
expect(repos.length === 1, `expected one OCIRepository named infra, found ${repos.length}`);
expect(kss.length === 1, `expected one Kustomization named apps, found ${kss.length}`);

const repo = repos[0]?.object;
const ks = kss[0]?.object;
if (repo) {
  expect(String(repo.apiVersion).startsWith('source.toolkit.fluxcd.io/'), `OCIRepository apiVersion is ${repo.apiVersion}`);
  expect(repo.spec?.url === URL, `OCIRepository spec.url is ${JSON.stringify(repo.spec?.url)}, expected ${URL}`);
  expect(repo.spec?.ref?.tag === 'latest', `OCIRepository spec.ref is ${JSON.stringify(repo.spec?.ref)}, expected tag latest`);
}
if (ks) {
  const ref = ks.spec?.sourceRef ?? {};
  expect(String(ks.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/'), `Kustomization apiVersion is ${ks.apiVersion}`);
  expect(ref.kind === 'OCIRepository', `Kustomization spec.sourceRef.kind is ${JSON.stringify(ref.kind)}, expected OCIRepository`);
  expect(ref.name === 'infra', `Kustomization spec.sourceRef.name is ${JSON.stringify(ref.name)}, expected infra`);
  expect(ks.spec?.path === './apps', `Kustomization spec.path is ${JSON.stringify(ks.spec?.path)}, expected ./apps`);
  if (repo && ref.namespace !== undefined) {
    expect(ref.namespace === repo.metadata?.namespace,
      `Kustomization spec.sourceRef.namespace ${ref.namespace} is not the OCIRepository's (${repo.metadata?.namespace})`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
const where = (o) => `${o.metadata?.namespace ?? '(no namespace)'}/${o.metadata?.name}`;
console.log(`  ${[...new Set(docs.map((d) => d.file))].join(', ')}: ${docs.length} objects; OCIRepository ${where(repo)} (${repo.apiVersion}) ` +
  `url ${repo.spec.url}; Kustomization ${where(ks)} (${ks.apiVersion}) sourceRef ${ks.spec.sourceRef.kind}/${ks.spec.sourceRef.name}`);
