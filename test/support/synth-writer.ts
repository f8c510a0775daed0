// Synthesizes a fleet of 20 clusters into a folder, starting at a given time so that several processes overlap:
// `node --import tsx test/support/synth-writer.ts <outdir> <start time, ms since the epoch>`. Prints "written" or the
// error's name and message.
import { ComponentSource, Fleet, FluxApp, Registry, Signing } from '../../src/index.js';

/** The fleet every writer synthesizes. */
export function concurrentFleetApp(outdir: string): FluxApp {
  const app = new FluxApp({ outdir });
  const fleet = new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
  });
  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  for (let i = 0; i < 20; i++) staging.addCluster(`stg-${i}`, { region: 'eu-west-1', vars: { domain: `${i}.acme.io` } });
  for (let i = 0; i < 10; i++) fleet.addComponent(`app-${i}`, { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/apps', { repository: 'apps', ref: { tag: '1.0.0' } }), path: `./app-${i}` });
  return app;
}

if (process.argv[1]?.endsWith('synth-writer.ts')) {
  const [outdir, startAt] = process.argv.slice(2);
  const app = concurrentFleetApp(outdir);
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
  try {
    app.synth();
    console.log('written');
  } catch (e) {
    console.log(`${(e as Error).name}: ${(e as Error).message}`);
  }
}
