// A fleet program with two mistakes, one of them on every cluster, for .ci/consumer-check.sh: a failed synth must
// print one line per mistake (its clusters grouped on it), no stack trace, and exit 1, under tsx, ts-node and
// cdk8s synth alike. check_report in consumer-check.sh compares the output with broken-fleet.expected.
import { ComponentSource, Fleet, FluxApp, Registry, Signing } from 'flux-fleet';

const app = new FluxApp();
const fleet = new Fleet(app, 'shop', {
  registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
  signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
});
const staging = fleet.addEnvironment('staging', { channel: 'latest' });
const production = fleet.addEnvironment('production', { channel: 'stable' });
staging.addCluster('stg-eu-1', { region: 'eu-west-1' });
production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 0 });
production.addCluster('prod-us-1', { region: 'us-east-1', wave: 2 });
fleet.addComponent('infra', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/infra', { repository: 'infra', ref: { digest: `sha256:${'1'.repeat(64)}` } }), path: './infra', interval: '5 minutes' });

app.synth();
