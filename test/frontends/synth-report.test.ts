import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart } from 'cdk8s';
import { formatSynthFailure } from '../../src/frontends/cdk8s/flux-app.js';
import { ClusterScope, FluxApp, OciRepository, SynthError } from '../../src/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** The report of the fleet in test/fixtures/programs/broken-fleet.ts: three mistakes across five clusters. */
const BROKEN_FLEET_REPORT = [
  'Synth failed with 3 errors; nothing was written:',
  '  [acme/components/infra] interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5) (on clusters stg-eu-1, stg-us-1, prod-eu-1, prod-eu-2, prod-us-1)',
  '  [acme/components/shop] depends on edge, which this cluster does not get; target edge at the cluster too, or narrow the targets of shop (on clusters stg-eu-1, stg-us-1)',
  '  [acme/<cluster>] wave 0 is not a wave number; use a whole number from 1 to 999 (on cluster prod-eu-2)',
  '',
].join('\n');

describe('the report of a failed synth', () => {
  test('fails when a plain script synthesizes a fleet with three mistakes across five clusters: one line per mistake, exit 1, no stack', () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'synth-report-')), 'dist');
    // WHEN
    const run = spawnSync(TSX, [join(ROOT, 'test', 'fixtures', 'programs', 'broken-fleet.ts'), outdir], {
      cwd: ROOT, encoding: 'utf8', timeout: 110_000,
    });
    // THEN
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toStrictEqual({ status: 1, stdout: '', stderr: BROKEN_FLEET_REPORT });
    expect(existsSync(outdir)).toBe(false);
  }, 120_000);

  test('fails with the program\'s mistakes first when the output folder is also refused (a folder of files synth did not write)', () => {
    // GIVEN a folder another tool wrote, without synth's marker
    const outdir = join(mkdtempSync(join(tmpdir(), 'synth-report-')), 'dist');
    mkdirSync(outdir);
    writeFileSync(join(outdir, 'cluster.k8s.yaml'), 'kind: ConfigMap\n');
    // WHEN
    const run = spawnSync(TSX, [join(ROOT, 'test', 'fixtures', 'programs', 'broken-fleet.ts'), outdir], {
      cwd: ROOT, encoding: 'utf8', timeout: 110_000,
    });
    // THEN the same report as into an empty folder, and the folder untouched
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toStrictEqual({ status: 1, stdout: '', stderr: BROKEN_FLEET_REPORT });
    expect(readdirSync(outdir)).toStrictEqual(['cluster.k8s.yaml']);
  }, 120_000);

  test('fails when the output folder holds a file synth did not write: the refusal alone, exit 1, no stack, the files untouched', () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'synth-report-')), 'dist');
    const program = () => spawnSync(TSX, [join(ROOT, 'test', 'fixtures', 'programs', 'foreign-file.ts'), outdir], {
      cwd: ROOT, encoding: 'utf8', timeout: 110_000,
    });
    expect(program().status).toBe(0);
    const written = readdirSync(outdir).sort();
    writeFileSync(join(outdir, 'notes.txt'), 'kept by hand\n');
    // WHEN
    const run = program();
    // THEN
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toStrictEqual({
      status: 1,
      stdout: '',
      stderr: [
        `Refusing to write "${outdir}": it holds a file that flux-fleet did not write, which a synth would delete:`,
        '  notes.txt',
        'Move it out of the output folder (the fleet program can write such files itself), or set foreignFiles to "keep" to carry them over or to "remove" to delete them.',
        '',
      ].join('\n'),
    });
    expect(readdirSync(outdir).sort()).toStrictEqual([...written, 'notes.txt'].sort());
  }, 120_000);

  test('fails when one mistake repeats on several ClusterScopes: one line naming them', () => {
    // GIVEN
    const app = new FluxApp({ outdir: join(mkdtempSync(join(tmpdir(), 'synth-report-')), 'dist') });
    for (const name of ['b', 'a']) {
      const chart = new Chart(new ClusterScope(app, name), 'flux-system');
      new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra:v1' });
    }
    // WHEN
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    // THEN
    expect(SynthError.isSynthError(error)).toBe(true);
    const e = error as SynthError;
    expect(e.lines).toStrictEqual([{
      where: '<cluster>/flux-system/infra',
      message: 'spec.url "oci://ghcr.io/acme/infra:v1" carries a tag; drop ":v1" from the URL and set spec.ref.tag to "v1" instead',
      clusters: ['a', 'b'],
    }]);
    expect(e.errors.map((x) => [x.path, x.cluster])).toStrictEqual([['b/flux-system/infra', 'b'], ['a/flux-system/infra', 'a']]);
    expect(e.stack).toBe(`SynthError: ${e.message}`);
    expect(formatSynthFailure(e)).toBe(e.message);
    expect(Object.keys(e)).toStrictEqual([]);
  });
});
