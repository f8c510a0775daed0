import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { buildApp } from '../../../examples/fleet/app.js';
import {
  GENERATED_HEADER, githubReleaseWorkflow, gitlabReleasePipeline, releaseWorkflowSpecFromFleet, releaseWorkflowSpecFromTree, type ReleaseWorkflowSpec,
} from '../../../src/delivery/index.js';
import { ComponentSource, Fleet, Registry, Signing } from '../../../src/fleet/index.js';
import { sealTree } from '../release-tree.js';

/**
 * Strings an attacker would put where a fleet name or a pipeline option goes: line breaks that would start a new key,
 * GitHub expressions, quotes, YAML indicators, Unicode line separators, shell substitutions.
 */
const HOSTILE = [
  'prod\nenv: {NODE_OPTIONS: "--require /tmp/x.js"}\n#',
  '${{ secrets.COSIGN_PRIVATE_KEY }}',
  '${{ github.token }}-${{ toJSON(secrets) }}',
  "it's \"quoted\" `and` $(id)",
  '- [a, b]: {c: d} # & *anchor !tag | > % @',
  'line\u2028separator\u2029paragraph\u0085next',
  '\r\njobs:\r\n  evil: {runs-on: x}',
  ': ',
  '"',
  '$CI_JOB_TOKEN $$CI_JOB_TOKEN',
];

let dir: string;
let tree: string;
let spec: ReleaseWorkflowSpec;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-ci-fuzz-'));
  tree = join(dir, 'dist');
  buildApp(tree).synth();
  spec = await releaseWorkflowSpecFromTree(tree);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The structure of a parsed pipeline: its keys, its jobs' keys, each job's steps (name and keys), its variables' names. */
function structure(doc: unknown): unknown {
  const d = doc as Record<string, any>;
  const jobs = (d.jobs ?? Object.fromEntries(Object.entries(d).filter(([, v]) => v && typeof v === 'object' && ('script' in v || 'stage' in v)))) as Record<string, any>;
  return {
    keys: Object.keys(d),
    variables: Object.keys(d.variables ?? {}),
    on: d.on === undefined ? undefined : Object.keys(d.on),
    jobs: Object.fromEntries(Object.entries(jobs).map(([id, j]) => [id, {
      keys: Object.keys(j),
      env: Object.keys(j.env ?? j.variables ?? {}),
      steps: (j.steps ?? []).map((s: Record<string, unknown>) => [s.name, Object.keys(s), Object.keys((s.env ?? {}) as object)]),
      script: (j.script ?? []).length,
      rules: j.rules,
      if: j.if,
      environment: j.environment,
    }])),
  };
}

/** A value as GitHub sees it once it has evaluated the `${{ '${{' }}` escapes the generator writes. */
function githubValue(value: string): string {
  return value.replace(/\$\{\{ '\$\{\{' \}\}/g, '${{');
}

/** A value as GitLab sees it once it has read the `$$` escapes of `variables:`. */
function gitlabValue(value: string): string {
  return value.replace(/\$\$/g, '$');
}

describe('generated CI is data: hostile strings change no key, job or step', () => {
  const baselineGithub = () => githubReleaseWorkflow(spec, { outdir: 'dist', pushArguments: '--concurrency 8', nodeVersion: '24', synthCommand: 'npm run synth' });

  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('the workflow keeps its structure, and the value arrives as given: %s', (_, hostile) => {
    // WHEN
    const generated = githubReleaseWorkflow(spec, { outdir: hostile, pushArguments: hostile, nodeVersion: hostile, synthCommand: `npm run synth ${hostile}` });
    // THEN
    const doc = parse(generated.content) as { jobs: Record<string, { env: Record<string, string>; steps: Array<{ run?: string }> }> };
    expect(structure(doc)).toStrictEqual(structure(parse(baselineGithub().content)));
    expect(generated.content.startsWith(`#${GENERATED_HEADER.split('\n').join('\n#')}\n`)).toBe(true);
    for (const job of Object.values(doc.jobs)) {
      const values = [job.env.FLUX_FLEET_DIR, job.env.FLUX_FLEET_PUSH_ARGS, job.env.FLUX_FLEET_NODE_VERSION];
      expect(values.map(githubValue)).toStrictEqual([hostile, hostile, hostile]);
      // no `${{` of the hostile string is left for GitHub to evaluate
      expect(job.env.FLUX_FLEET_DIR.replace(/\$\{\{ '\$\{\{' \}\}/g, '')).not.toContain('${{');
    }
    // every script is the baseline's: they name variables only; the synth command is the user's own, escaped the same way
    const runs = (d: unknown) => Object.values((d as typeof doc).jobs)
      .flatMap((j) => j.steps.map((s) => s.run).filter((r): r is string => r !== undefined));
    const synth = (r: string) => r.startsWith('npm run synth');
    expect(runs(doc).filter((r) => !synth(r))).toStrictEqual(runs(parse(baselineGithub().content)).filter((r) => !synth(r)));
    expect(runs(doc).filter(synth).map(githubValue)).toStrictEqual(runs(doc).filter(synth).map(() => `npm run synth ${hostile}`));
  });

  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('the GitLab pipeline keeps its structure, and the value arrives as given: %s', (_, hostile) => {
    // GIVEN the GitLab copy of the example fleet
    const gitlabSpec = releaseWorkflowSpecFromFleet(gitlabFleet());
    const baseline = gitlabReleasePipeline(gitlabSpec, { outdir: 'dist', pushArguments: '--concurrency 8' });
    // WHEN
    const generated = gitlabReleasePipeline(gitlabSpec, { outdir: hostile, pushArguments: hostile });
    // THEN
    const doc = parse(generated.content) as { variables: Record<string, string> } & Record<string, { script?: string[] }>;
    expect(structure(doc)).toStrictEqual(structure(parse(baseline.content)));
    expect([gitlabValue(doc.variables.FLUX_FLEET_DIR), gitlabValue(doc.variables.FLUX_FLEET_PUSH_ARGS)]).toStrictEqual([hostile, hostile]);
    // GitLab expands no variable inside them: every `$` is doubled
    expect(doc.variables.FLUX_FLEET_DIR.replace(/\$\$/g, '')).not.toContain('$');
    const scripts = (d: unknown) => Object.values(d as typeof doc).flatMap((j) => (Array.isArray(j?.script) ? j.script : []));
    expect(scripts(doc)).toStrictEqual(scripts(parse(baseline.content)));
  });

  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('synth refuses the name for an environment, a region, a cluster, a tenant and a component, all in one report: %s', (_, hostile) => {
    // GIVEN
    const app = new App();
    const fleet = new Fleet(app, 'fleet', { registry: Registry.generic({ host: 'registry.acme.io', repository: 'fleet' }), signing: Signing.cosignKey({ secretName: 'fleet-cosign' }) });
    const id = (s: string) => s.replace(/\//g, '_');
    const env = fleet.addEnvironment(id(hostile), { channel: 'latest' });
    env.addCluster('ok-1', { region: hostile });
    env.addCluster(id(hostile), { region: 'eu' });
    fleet.addTenant(id(hostile), {});
    fleet.addComponent(id(hostile), { source: ComponentSource.artifact('oci://ghcr.io/acme/app', { ref: { tag: 'main' } }) });
    // WHEN
    let errors: string[] = [];
    try {
      fleet.build();
      errors = app.node.findAll().flatMap((c) => c.node.validate());
    } catch (e) {
      errors = [(e as Error).message];
    }
    // THEN every one of them is reported, each with the bad value quoted and the fix
    const text = errors.join('\n');
    const quoted = JSON.stringify(id(hostile));
    expect(text).toContain(`environment name ${quoted} is not a DNS-1123 label`);
    expect(text).toContain(`region of cluster ok-1 ${JSON.stringify(hostile)} is not a DNS-1123 label`);
    expect(text).toContain(`cluster name ${quoted} is not a DNS-1123 label`);
    expect(text).toContain(`tenant name ${quoted} is not a DNS-1123 label`);
    expect(text).toContain(`component name ${quoted} is not a DNS-1123 label`);
  });

  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('the generator refuses the name in a tree synth did not write, and in a spec: %s', async (_, hostile) => {
    // GIVEN a tree whose release.json names a hostile environment (refused as it is read), and one whose cluster folder has a hostile name
    const edited = join(dir, 'edited');
    rmSync(edited, { recursive: true, force: true });
    buildApp(edited).synth();
    const releaseFile = join(edited, 'release.json');
    writeFileSync(releaseFile, readFileSync(releaseFile, 'utf8').replace(/: "production"/g, () => `: ${JSON.stringify(hostile)}`));
    // with the writer's marker forged to match, so that the names themselves are what is refused
    sealTree(edited);
    const renamed = join(dir, 'renamed');
    rmSync(renamed, { recursive: true, force: true });
    buildApp(renamed).synth();
    const folder = hostile.replace(/\//g, '_').replace(/\0/g, '');
    renameSync(join(renamed, 'clusters', 'stg-eu-1'), join(renamed, 'clusters', folder));
    // WHEN / THEN
    await expect(releaseWorkflowSpecFromTree(edited)).rejects.toThrow(`environments[0].name must be a DNS-1123 label as synth writes it (lowercase letters, digits and '-', at most 63), not ${JSON.stringify(hostile)}`);
    await expect(releaseWorkflowSpecFromTree(renamed)).rejects.toThrow('a cluster folder whose name is not a DNS label (synth writes none); remove it');
    const bad: ReleaseWorkflowSpec = { ...spec, promotions: [{ environment: hostile, wave: 1 }], registries: [{ host: hostile, kind: 'generic' }] };
    expect(() => githubReleaseWorkflow(bad)).toThrow(`environment ${JSON.stringify(hostile)} is not a DNS label`);
    expect(() => gitlabReleasePipeline(bad)).toThrow(`registry host ${JSON.stringify(hostile)} is not a host name`);
  });
});

/** The example fleet with production signed by its GitLab pipeline. */
function gitlabFleet(): Fleet {
  return buildApp(join(dir, 'unused'), undefined, { releaseCi: 'gitlab' }).fleets()[0];
}
