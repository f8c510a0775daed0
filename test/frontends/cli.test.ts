import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EXIT, run } from '../../src/frontends/cli/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TREES = join(ROOT, 'test', 'fixtures', 'trees');

/** Runs the command line with captured output, from the fixture trees' folder. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => { stdout += text; } },
    stderr: { write: (text: string) => { stderr += text; } },
    cwd: TREES,
  });
  return { code, stdout, stderr };
}

describe('flux-fleet command line', () => {
  test('validate exits 0 on a good tree and says so', async () => {
    // WHEN
    const result = await cli('validate', 'good');
    // THEN
    expect(result).toStrictEqual({ code: EXIT.ok, stdout: 'OK: 2 clusters, 12 files, 21 objects, no errors\n', stderr: '' });
  }, 120_000);

  test('validate exits 1 and prints every error of a broken tree', async () => {
    // WHEN
    const result = await cli('validate', 'dependency-cycle');
    // THEN
    expect(result).toStrictEqual({
      code: EXIT.errors,
      stdout: 'clusters/demo/reconcilers.yaml: Kustomization/flux-system/controllers: dependsOn cycle: Kustomization/flux-system/controllers -> Kustomization/flux-system/apps -> Kustomization/flux-system/configs -> Kustomization/flux-system/controllers (each waits for the next); Flux would wait forever, so remove one of these dependencies\n'
        + '1 error in 1 cluster, 3 files, 4 objects\n',
      stderr: '',
    });
  }, 120_000);

  test('validate --format json prints the report as JSON', async () => {
    // WHEN
    const result = await cli('validate', '--format', 'json', 'bad-interval');
    // THEN
    expect(result.code).toBe(EXIT.errors);
    expect(JSON.parse(result.stdout)).toStrictEqual({
      errors: [{
        file: 'clusters/demo/sources.yaml',
        object: 'OCIRepository/flux-system/apps',
        message: 'spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s"',
      }],
      clusters: 1,
      files: 3,
      objects: 2,
    });
  }, 120_000);

  test('validate exits 1 on a misspelled field, naming the field it meant', async () => {
    // WHEN
    const result = await cli('validate', 'healthcheck-typo');
    // THEN
    expect(result).toStrictEqual({
      code: EXIT.errors,
      stdout: 'clusters/demo/apps.yaml: Kustomization/flux-system/apps: does not match the Flux schema: spec.healthcheks is not a field of '
        + 'Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux 2.9); did you mean healthChecks?\n'
        + '1 error in 1 cluster, 3 files, 2 objects\n',
      stderr: '',
    });
  }, 120_000);

  test('validate exits 1 on a HelmRelease with both chart and chartRef, with the CRD rule\'s message', async () => {
    // WHEN
    const result = await cli('validate', 'chart-and-chartref');
    // THEN
    expect(result).toStrictEqual({
      code: EXIT.errors,
      stdout: 'clusters/demo/podinfo.yaml: HelmRelease/flux-system/podinfo: does not match the Flux schema: spec.chart, spec.chartRef: '
        + 'either chart or chartRef must be set\n'
        + '1 error in 1 cluster, 3 files, 3 objects\n',
      stderr: '',
    });
  }, 120_000);

  test('validate --no-build skips kubectl', async () => {
    // WHEN
    const withBuild = await cli('validate', 'missing-resource', '--format=json');
    const withoutBuild = await cli('validate', 'missing-resource', '--no-build', '--format=text');
    // THEN
    expect(withBuild.code).toBe(EXIT.errors);
    expect(JSON.parse(withBuild.stdout).errors).toHaveLength(1);
    expect(withoutBuild).toStrictEqual({ code: EXIT.ok, stdout: 'OK: 1 cluster, 3 files, 2 objects, no errors\n', stderr: '' });
  }, 120_000);

  test('validate takes an absolute folder too', async () => {
    // WHEN
    const result = await cli('validate', join(TREES, 'good'), '--no-build');
    // THEN
    expect(result.code).toBe(EXIT.ok);
  });

  test('--help prints the usage and exits 0', async () => {
    // WHEN
    const top = await cli('--help');
    const validate = await cli('validate', '-h');
    // THEN
    expect(top.code).toBe(EXIT.ok);
    expect(top.stdout).toMatch(/^Usage: flux-fleet <command> \[options\]\n/);
    expect(top.stdout).toMatch(/\n {2}validate <dir> {4}Check a config-repo tree/);
    expect(validate.code).toBe(EXIT.ok);
    expect(validate.stdout).toMatch(/^Usage: flux-fleet validate <dir> \[--no-build\] \[--allow-remote\] \[--format text\|json\]\n/);
    expect(validate.stdout).toMatch(/Exit codes: 0 no errors, 1 errors found, 2 usage error\.\n$/);
  });

  test('--version prints the version of package.json and exits 0', async () => {
    // GIVEN
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    // WHEN
    const results = await Promise.all([cli('--version'), cli('-v')]);
    // THEN
    expect(results).toStrictEqual([0, 1].map(() => ({ code: EXIT.ok, stdout: `flux-fleet ${version}\n`, stderr: '' })));
  });

  test.each([
    [[], 'no command given'],
    [['lint', 'good'], 'unknown command "lint"'],
    [['validate'], 'validate needs the folder to check: flux-fleet validate <dir>'],
    [['validate', 'good', 'bad-interval'], 'validate takes one folder, got 2: "good" "bad-interval"'],
    [['validate', 'good', '--strict'], 'unknown option "--strict"'],
    [['validate', 'good', '-x'], 'unknown option "-x"'],
    [['validate', 'good', '--format'], 'option --format needs a value'],
    [['validate', 'good', '--format', 'yaml'], '--format "yaml" is not a format; use text or json'],
    [['validate', 'good', '--no-build=yes'], 'option --no-build takes no value'],
  ])('exits 2 on a usage error: %j', async (argv, message) => {
    // WHEN
    const result = await cli(...argv);
    // THEN
    expect(result).toStrictEqual({ code: EXIT.usage, stdout: '', stderr: `flux-fleet: ${message}\nRun "flux-fleet --help" for usage.\n` });
  });

  test('exits 2 when the folder to validate does not exist (a tree that cannot be read)', async () => {
    // WHEN
    const result = await cli('validate', 'no-such-tree');
    // THEN
    expect(result).toStrictEqual({
      code: EXIT.usage, stdout: '', stderr: `flux-fleet: ${JSON.stringify(join(TREES, 'no-such-tree'))} is not a directory; give the folder that holds clusters/\n`,
    });
  });

  test('-- ends the options', async () => {
    // WHEN
    const result = await cli('validate', '--no-build', '--', 'good');
    // THEN
    expect(result.code).toBe(EXIT.ok);
  });

  test('the bin wrapper runs the command line and sets the exit code', async () => {
    // GIVEN
    const bin = join(ROOT, 'src', 'frontends', 'cli', 'bin.ts');
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const cwd = mkdtempSync(join(tmpdir(), 'flux-fleet-cli-'));
    // WHEN
    const clean = await promisify(execFile)(tsx, [bin, 'validate', '--no-build', join(TREES, 'good')], { cwd });
    const broken = await promisify(execFile)(tsx, [bin, 'validate', '--no-build', join(TREES, 'path-traversal')], { cwd }).catch((e: { code: number; stdout: string }) => e);
    // THEN
    expect(clean.stdout).toBe('OK: 2 clusters, 12 files, 21 objects, no errors\n');
    expect(broken).toMatchObject({ code: EXIT.errors, stdout: expect.stringMatching(/^clusters\/demo\/apps\.yaml: Kustomization\/flux-system\/apps: spec\.path "\.\.\/other-team\/apps" climbs out/) });
  }, 120_000);
});
