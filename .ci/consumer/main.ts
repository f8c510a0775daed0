// The consumer program of .ci/consumer-check.sh: the same source is run as an ES module (tsx) and, compiled to
// require() calls, as CommonJS (ts-node), each in a throwaway project that installed the packed flux-fleet.
import { Chart } from 'cdk8s';
import { FluxApp, Kustomization, OciRepository } from 'flux-fleet';

const app = new FluxApp({ outdir: 'dist' });
const chart = new Chart(app, 'cluster');
const repo = new OciRepository(chart, 'infra', { url: 'oci://ghcr.io/acme/infra', ref: { tag: 'latest' } });
new Kustomization(chart, 'apps', { sourceRef: repo, path: './apps' });
app.synth();
