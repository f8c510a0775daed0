// The fleet program of .ci/consumer-check.sh: `main.ts` of the cdk8s consumer (run by `cdk8s synth`, which sets
// CDK8S_OUTDIR) and a second program of the ES module consumer (run with tsx and CDK8S_OUTDIR). FluxApp gets no
// outdir, so the output folder is whatever CDK8S_OUTDIR says (default dist). verify-fleet.mjs checks what it writes:
// keep the two in step.
import { ChartSource, ComponentSource, Fleet, FluxApp, Registry, Signing } from 'flux-fleet';

/** The variables every cluster carries. */
interface ShopVars {
  readonly domain: string;
  readonly replicas: number;
}

const app = new FluxApp();
const fleet = new Fleet<ShopVars>(app, 'shop', {
  registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
  signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
});

const staging = fleet.addEnvironment('staging', { channel: 'latest' });
const production = fleet.addEnvironment('production', { channel: 'stable' });
staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io', replicas: 1 } });
production.addCluster('prod-eu-1', { region: 'eu-west-1', vars: { domain: 'eu.acme.io', replicas: 3 } });
production.addCluster('prod-us-1', { region: 'us-east-1', vars: { domain: 'us.acme.io', replicas: 2 } });

// The infrastructure team's pipeline publishes this artifact; production runs a reviewed digest of it.
const infra = ComponentSource.mirroredArtifact('oci://ghcr.io/acme/infra', {
  ref: (cluster) => (cluster.production ? { digest: `sha256:${'0'.repeat(64)}` } : { tag: 'main' }),
});
const controllers = fleet.addComponent('infra-controllers', { source: infra, path: './controllers', wait: true });
const configs = fleet.addComponent('infra-configs', { source: infra, path: './configs', dependsOn: [controllers] });

// Production pulls podinfo 6.7.0 at the digest that flux-fleet.lock beside this program records (a fixture standing
// for what `flux-fleet lock` resolved); staging follows 6.x.
fleet.addHelmComponent('podinfo', {
  chart: ChartSource.oci('oci://ghcr.io/stefanprodan/charts/podinfo', {
    version: (cluster) => (cluster.production ? '6.7.0' : '6.x'),
    signing: Signing.oidc({
      issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
      subject: '^https://github\\.com/stefanprodan/podinfo/\\.github/workflows/release\\.yml@refs/tags/.+$',
      regex: true,
    }),
  }),
  dependsOn: [configs],
  values: (cluster) => ({ replicaCount: cluster.vars.replicas, ingress: { enabled: true, hosts: [{ host: `podinfo.${cluster.vars.domain}` }] } }),
});

app.synth();
