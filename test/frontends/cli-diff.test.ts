import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../examples/fleet/app.js';
import { EXIT, run } from '../../src/frontends/cli/index.js';
import { HelmComponent, KustomizeComponent } from '../../src/index.js';
import type { ClusterInfo, FluxApp } from '../../src/index.js';

const COMMITTED = join(import.meta.dirname, '..', '..', 'examples', 'fleet', 'dist');

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'cli-diff-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Runs the command line with captured output, from the test's folder. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliIn(work, ...argv);
}

async function cliIn(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => { stdout += text; } },
    stderr: { write: (text: string) => { stderr += text; } },
    cwd,
  });
  return { code, stdout, stderr };
}

/** The example app with one of its components changed, as a one-line edit of examples/fleet/app.ts would. */
function exampleWith(outdir: string, change: (app: FluxApp) => void): FluxApp {
  const app = buildApp(outdir);
  change(app);
  return app;
}

function component<T>(app: FluxApp, name: string, type: abstract new (...args: any[]) => T): T {
  const found = app.fleets()[0].components.find((c) => c.name === name);
  if (!(found instanceof type)) throw new Error(`the example has no ${type.name} ${name}`);
  return found;
}

/** podinfo's Helm values get a memory limit on every cluster. */
function podinfoMemoryLimit(app: FluxApp): void {
  const podinfo = component(app, 'podinfo', HelmComponent);
  const values = podinfo.props.values as (cluster: ClusterInfo<any>) => Record<string, unknown>;
  Object.assign(podinfo, { props: { ...podinfo.props, values: (c: ClusterInfo<any>) => ({ ...values(c), resources: { limits: { memory: '256Mi' } } }) } });
}

/** The names of the clusters that get a component. */
function targetsOf(app: FluxApp, name: string): string[] {
  const fleet = app.fleets()[0];
  const c = fleet.components.find((x) => x.name === name)!;
  return fleet.clusters.filter((cluster) => c.appliesTo(cluster)).map((cluster) => cluster.name).sort();
}

/** The cluster names in the report's detail headers. */
function clustersInDetail(text: string): string[] {
  return text.split('\n').filter((l) => /^[a-z0-9-]+( \(|, |:)/.test(l)).flatMap((l) => l.replace(/ \(.*$/, '').replace(/:.*$/, '').split(', ')).sort();
}

describe('flux-fleet diff', () => {
  test('exits 0 and says so when the trees are the same', async () => {
    // GIVEN
    buildApp(join(work, 'new')).synth();
    // WHEN
    const result = await cli('diff', COMMITTED, 'new');
    // THEN
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout.split('\n')[0]).toBe(`Fleet diff ${COMMITTED} → new: no change in 6 clusters`);
    expect(result.stderr).toBe('');
  });

  test('a change to podinfo\'s values lists exactly the clusters podinfo targets, with the changed field', async () => {
    // GIVEN
    buildApp(join(work, 'old')).synth();
    const app = exampleWith(join(work, 'new'), podinfoMemoryLimit);
    app.synth();
    // WHEN
    const result = await cli('diff', 'old', 'new');
    // THEN
    expect(result.code).toBe(1);
    const targets = targetsOf(app, 'podinfo');
    expect(targets).toStrictEqual(['prod-ap-1', 'prod-eu-1', 'prod-us-1', 'stg-eu-1', 'stg-eu-2', 'stg-us-1']);
    expect(clustersInDetail(result.stdout)).toStrictEqual(targets);
    expect(result.stdout).toBe(`Fleet diff old → new: 6 of 6 clusters change
  production wave 1  1 of 1 change: prod-eu-1
  production wave 2  2 of 2 change: prod-ap-1, prod-us-1
  staging            3 of 3 change: stg-eu-1, stg-eu-2, stg-us-1

prod-eu-1, prod-ap-1, prod-us-1, stg-eu-1, stg-eu-2, stg-us-1 (production wave 1, production wave 2, staging): the same change on 6 clusters, 1 object changed
  ~ HelmRelease flux-system/podinfo  (components/podinfo/podinfo.yaml)
      + spec.values.resources: {"limits":{"memory":"256Mi"}}
`);
  });

  test('a change to a production-only component lists exactly the production clusters', async () => {
    // GIVEN
    buildApp(join(work, 'old')).synth();
    const app = exampleWith(join(work, 'new'), (a) => {
      const shop = component(a, 'web-shop', KustomizeComponent);
      Object.assign(shop, { props: { ...shop.props, substitutions: (c: ClusterInfo<any>) => ({ SHOP_HOST: `store.${String(c.vars.domain)}` }) } });
    });
    app.synth();
    // WHEN
    const result = await cli('diff', 'old', 'new');
    // THEN
    expect(result.code).toBe(1);
    expect(targetsOf(app, 'web-shop')).toStrictEqual(['prod-ap-1', 'prod-eu-1', 'prod-us-1']);
    expect(clustersInDetail(result.stdout)).toStrictEqual(targetsOf(app, 'web-shop'));
    expect(result.stdout).toContain('  staging            0 of 3 change\n');
    expect(result.stdout).toContain('\nprod-eu-1 (production, wave 1, eu-west-1): 1 object changed\n'
      + '  ~ Kustomization team-web/web-shop  (web-shop.yaml)\n'
      + '      spec.postBuild.substitute.SHOP_HOST: "shop.eu.acme.io" → "store.eu.acme.io"\n');
  });

  test('--format markdown prints a pull-request comment: summary table, then each cluster\'s detail collapsed', async () => {
    // GIVEN
    buildApp(join(work, 'old')).synth();
    exampleWith(join(work, 'new'), podinfoMemoryLimit).synth();
    // WHEN
    const result = await cli('diff', '--format', 'markdown', 'old', 'new');
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`### Fleet diff: 6 of 6 clusters change

\`old\` → \`new\`

| Environment | Wave | Change | Clusters that change |
| --- | ---: | ---: | --- |
| production | 1 | 1 of 1 | prod-eu-1 |
| production | 2 | 2 of 2 | prod-ap-1, prod-us-1 |
| staging | – | 3 of 3 | stg-eu-1, stg-eu-2, stg-us-1 |

<details>
<summary><b>prod-eu-1, prod-ap-1, prod-us-1, stg-eu-1, stg-eu-2, stg-us-1</b> · production wave 1, production wave 2, staging · the same change on 6 clusters · 1 object changed</summary>

\`\`\`diff
~ HelmRelease flux-system/podinfo  (components/podinfo/podinfo.yaml)
    + spec.values.resources: {"limits":{"memory":"256Mi"}}
\`\`\`

</details>
`);
  });

  test('compares the tree with a git ref of the repository holding it', async () => {
    // GIVEN: the example committed in a repository, then a change synthesized over it
    const repo = join(work, 'repo');
    mkdirSync(repo);
    cpSync(COMMITTED, join(repo, 'dist'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'fleet');
    exampleWith(join(repo, 'dist'), (app) => {
      podinfoMemoryLimit(app);
      app.fleets()[0].environments.find((e) => e.name === 'production')!.addCluster('prod-eu-2', {
        region: 'eu-west-1', wave: 2, vars: { domain: 'eu2.acme.io', replicas: 2 },
      });
    }).synth();
    // WHEN
    const result = await cli('diff', 'git:HEAD', 'repo/dist');
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').slice(0, 5)).toStrictEqual([
      'Fleet diff git:HEAD → repo/dist: 7 of 7 clusters change (1 new)',
      '  production wave 1  1 of 1 change: prod-eu-1',
      '  production wave 2  3 of 3 change: prod-ap-1, prod-eu-2, prod-us-1',
      '  staging            3 of 3 change: stg-eu-1, stg-eu-2, stg-us-1',
      'Outside clusters/: FLEET.md changed, fleet.html changed, release.json changed',
    ]);
    expect(result.stdout).toContain('\nprod-eu-2 (production, wave 2, eu-west-1): new cluster, 24 objects\n'); // with the web team's public-key Secret and its health report's Provider and Alert
    // Both sides at git refs, naming the folder.
    git('add', '-A');
    git('commit', '-q', '-m', 'change');
    const refs = await cliIn(repo, 'diff', 'git:HEAD~1:dist', 'git:HEAD:dist');
    expect({ ...refs, stdout: refs.stdout.replace(/^Fleet diff git:HEAD~1:dist → git:HEAD:dist/, 'Fleet diff git:HEAD → repo/dist') })
      .toStrictEqual({ ...result, stdout: result.stdout });
  }, 120_000);

  test('compares with an empty tree when the folder is not at the git ref, and says so at the top', async () => {
    // GIVEN
    const repo = join(work, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q'], { cwd: repo });
    cpSync(COMMITTED, join(repo, 'dist'), { recursive: true });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', 'empty'], { cwd: repo });
    // WHEN
    const result = await cli('diff', 'git:HEAD', 'repo/dist');
    // THEN
    expect(result.code).toBe(1);
    const warning = 'the old tree, git:HEAD, is EMPTY: dist/ holds no files at HEAD, so every cluster shows as new';
    expect(result.stderr).toBe(`flux-fleet diff: warning: ${warning}\n`);
    expect(result.stdout.split('\n').slice(0, 3)).toStrictEqual([
      `WARNING: ${warning}`,
      '',
      'Fleet diff git:HEAD → repo/dist: 6 of 6 clusters change (6 new)',
    ]);
  }, 60_000);

  test('says loudly when git ignores the folder, as a cdk8s project ignores dist/, and how to compare instead', async () => {
    // GIVEN
    const repo = join(work, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    writeFileSync(join(repo, '.gitignore'), 'dist/\n');
    execFileSync('git', ['add', '.gitignore'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'ignore dist'], { cwd: repo });
    cpSync(COMMITTED, join(repo, 'dist'), { recursive: true });
    // WHEN
    const result = await cliIn(repo, 'diff', '--format', 'markdown', 'git:main', 'dist');
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').slice(0, 3)).toStrictEqual([
      '> [!WARNING]',
      '> The old tree, git:main, is EMPTY: git ignores dist/ (.gitignore), so no commit holds it and every cluster shows as new. ' +
        'Compare with a tree synthesized from main instead, e.g. git worktree add ../main main, synthesize there, ' +
        'then flux-fleet diff ../main/dist dist; or commit dist/',
      '',
    ]);
  }, 60_000);

  test('says loudly when the new tree is an empty folder', async () => {
    // GIVEN
    mkdirSync(join(work, 'empty'));
    // WHEN
    const result = await cli('diff', COMMITTED, 'empty');
    // THEN
    expect(result.stdout.split('\n')[0]).toBe('WARNING: the new tree, empty, is EMPTY: the folder holds no files, so every cluster shows as removed; synthesize into it first');
    expect(result.code).toBe(1);
  });

  test.each([
    [['diff'], /^flux-fleet: diff needs two trees, the old and the new/],
    [['diff', 'a', 'b', 'c'], /^flux-fleet: diff needs two trees/],
    [['diff', '--format', 'html', 'a', 'b'], /^flux-fleet: --format "html" is not a format; use text or markdown/],
    [['diff', '--max-chars', '10', 'a', 'b'], /^flux-fleet: --max-chars "10" is not a size/],
    [['diff', 'missing', COMMITTED], /^flux-fleet: missing does not exist; give the folder that holds clusters\//],
    [['diff', 'git:main', 'git:HEAD'], /^flux-fleet: both trees are git refs, so say which folder to read: git:<ref>:<path>, e.g. git:main:dist/],
    [['diff', 'git:', COMMITTED], /^flux-fleet: "git:" names no git ref/],
    [['diff', 'git:no-such-ref-anywhere', COMMITTED], /^flux-fleet: git ref "no-such-ref-anywhere" is not a commit of the repository at /],
  ])('fails with exit 2 (the command line is wrong) for %j', async (argv, message) => {
    // WHEN
    const result = await cli(...argv);
    // THEN
    expect(result.code).toBe(EXIT.usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  test('--help prints the usage and exits 0', async () => {
    const result = await cli('diff', '--help');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^Usage: flux-fleet diff <old> <new> \[--format text\|markdown\] \[--max-chars <n>\]\n/);
    expect(result.stdout).toContain('Exit codes: 0 no change, 1 changes, 2 usage error.\n');
  });

  test('is listed in the overall help', async () => {
    const result = await cli('--help');
    expect(result.stdout).toContain('  diff <old> <new>  Show which clusters change between two trees');
  });
});

describe('flux-fleet diff of a packed folder', () => {
  test('lists the changed file under artifacts/ and shows its lines, beside the clusters whose pinned digest moves', async () => {
    // GIVEN: the example fleet, then the same with a limit raised in a file of its packed infra/ folder
    const base = join(work, 'repo');
    cpSync(join(import.meta.dirname, '..', '..', 'examples', 'fleet'), base, { recursive: true, filter: (src) => !src.includes(`${join('fleet', 'dist')}`) });
    buildApp(join(work, 'old'), base).synth();
    const limits = join(base, 'infra', 'configs', 'limits.yaml');
    writeFileSync(limits, readFileSync(limits, 'utf8').replace('memory: 256Mi', 'memory: 1Gi'));
    buildApp(join(work, 'new'), base).synth();
    // WHEN
    const result = await cli('diff', 'old', 'new');
    // THEN
    expect(result.code).toBe(1);
    const text = result.stdout;
    expect(text).toContain('Outside clusters/: artifacts/infra/configs/limits.yaml changed, release.json changed');
    expect(text).toContain([
      'Packed folders (artifacts/): the clusters pinning them show a new spec.ref.digest',
      '  ~ file artifacts/infra/configs/limits.yaml',
    ].join('\n'));
    expect(text).toMatch(/\n {6}@@ -\d+ \+\d+ @@\n(?: {6} .*\n)? {6}- +memory: 256Mi\n {6}\+ +memory: 1Gi\n/);
    expect(text).toMatch(/spec\.ref\.digest: "sha256:[0-9a-f]+…?"? → /);
  });
});
