import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../examples/fleet/app.js';
import { Fleet, FluxApp, HelmRelease, Kustomization, OciRepository } from '../../src/index.js';

function freshDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'flux-app-render-')), 'dist');
}

function fleetOf(app: FluxApp): Fleet<any> {
  return app.fleets()[0];
}

function writtenObjects(outdir: string, path: string): unknown[] {
  return parseAllDocuments(readFileSync(join(outdir, path), 'utf8')).map((d) => d.toJS());
}

describe('FluxApp synth of a fleet', () => {
  test('writes each chart\'s objects as Chart.toJson() renders them', () => {
    // GIVEN
    const outdir = freshDir();
    const app = buildApp(outdir);
    const reference = buildApp(freshDir());
    reference.validate();
    const expected = fleetOf(reference).files().map((f) => ({ path: f.path, objects: f.chart.toJson() }));
    // WHEN
    app.synth();
    // THEN
    expect(expected.length).toBeGreaterThan(30);
    expect(expected.map((f) => ({ path: f.path, objects: writtenObjects(outdir, f.path) }))).toStrictEqual(expected);
  });

  test('orders a chart\'s objects by their construct dependencies, as Chart.toJson() does', () => {
    // GIVEN
    const outdir = freshDir();
    const app = buildApp(outdir);
    const fleet = fleetOf(app);
    fleet.build();
    const file = fleet.files().find((f) => f.path === 'clusters/stg-eu-1/components/podinfo/podinfo.yaml')!;
    const [source] = file.chart.node.findAll().filter((c): c is OciRepository => c instanceof OciRepository);
    const [release] = file.chart.node.findAll().filter((c): c is HelmRelease => c instanceof HelmRelease);
    source.apiObject.node.addDependency(release.apiObject);
    // WHEN
    app.synth();
    // THEN
    const written = writtenObjects(outdir, file.path) as Array<{ kind: string }>;
    expect(written.map((o) => o.kind)).toStrictEqual(['HelmRelease', 'OCIRepository']);
    expect(written).toStrictEqual(file.chart.toJson());
  });

  test('renders each Flux object once: the object validated is the object written', () => {
    // GIVEN
    const outdir = freshDir();
    const app = buildApp(outdir);
    const fleet = fleetOf(app);
    fleet.build();
    const kustomization = app.node.findAll().find((c) => c instanceof Kustomization) as unknown as { renderSpec: () => object };
    const renderSpec = kustomization.renderSpec.bind(kustomization);
    let calls = 0;
    kustomization.renderSpec = () => {
      calls++;
      return renderSpec();
    };
    // WHEN
    app.synth();
    // THEN
    expect(calls).toBe(1);
  });
});
