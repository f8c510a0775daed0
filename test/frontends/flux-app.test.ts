import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { FluxApp, Kustomization, OciRepository, SynthError } from '../../src/index.js';

describe('FluxApp', () => {
  test('writes the objects of each chart', () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'flux-app-')), 'dist');
    const app = new FluxApp({ outdir });
    const chart = new Chart(app, 'cluster');
    const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra' });
    new Kustomization(chart, 'apps', { sourceRef: repo, path: './apps' });
    // WHEN
    app.synth();
    // THEN
    expect(readdirSync(outdir)).toStrictEqual(['cluster.k8s.yaml']);
    const docs = parseAllDocuments(readFileSync(join(outdir, 'cluster.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toStrictEqual(['OCIRepository/infra', 'Kustomization/apps']);
  });

  test('fails when an object is invalid, and writes nothing', () => {
    // GIVEN
    const outdir = join(mkdtempSync(join(tmpdir(), 'flux-app-')), 'dist');
    const app = new FluxApp({ outdir });
    const chart = new Chart(app, 'cluster');
    const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra:v1' });
    new Kustomization(chart, 'apps', { sourceRef: repo, interval: '5 minutes' });
    // WHEN
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    // THEN
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).message).toBe([
      'Synth failed with 2 errors; nothing was written:',
      '  [cluster/infra] spec.url "oci://ghcr.io/acme/infra:v1" carries a tag; drop ":v1" from the URL and set spec.ref.tag to "v1" instead',
      '  [cluster/apps] spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5)',
    ].join('\n'));
    expect(existsSync(outdir)).toBe(false);
  });
});
