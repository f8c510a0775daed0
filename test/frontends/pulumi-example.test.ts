import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const example = join(import.meta.dirname, '..', '..', 'examples', 'pulumi-bootstrap');

/**
 * Runs examples/pulumi-bootstrap as Pulumi would (Node with tsx, from the project's folder, so that its tsconfig maps
 * flux-fleet to the sources), under Pulumi's mocks, and returns its stack outputs and the resources it registered.
 */
function runExample(options: { config?: Record<string, string>; secrets?: string[]; env?: Record<string, string> }) {
  const harness = `
    import * as pulumi from '@pulumi/pulumi';
    const registered = [];
    let kubeconfig;
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        registered.push(args.type + ' ' + args.name);
        if (args.type === 'pulumi:providers:kubernetes') kubeconfig = args.inputs.kubeconfig;
        return { id: args.name + '-id', state: args.inputs };
      },
      call: () => ({}),
    }, 'flux-bootstrap', 'dev', false);
    pulumi.runtime.setAllConfig(${JSON.stringify(options.config ?? {})}, ${JSON.stringify(options.secrets ?? [])});
    const program = await import(${JSON.stringify(new URL('index.ts', `file://${example}/`).href)});
    const outputs = await new Promise((resolve) => pulumi.all([program.clusterName, program.syncUrl, program.syncTag]).apply(resolve));
    await pulumi.runtime.disconnect();
    const secret = kubeconfig?.[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
    console.log(JSON.stringify({ outputs, registered, kubeconfig: secret ? { secret: kubeconfig.value } : kubeconfig }));
  `;
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', harness], {
    cwd: example,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '', ...options.env },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { outputs: string[]; registered: string[]; kubeconfig: unknown };
}

const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters: []\n';

describe('examples/pulumi-bootstrap', () => {
  test('bootstraps the cluster set in its config, with a provider from the kubeconfig secret', () => {
    // WHEN
    const result = runExample({
      config: { 'flux-bootstrap:cluster': 'prod-eu-1', 'flux-bootstrap:kubeconfig': KUBECONFIG },
      secrets: ['flux-bootstrap:kubeconfig'],
    });

    // THEN
    expect(result.outputs).toStrictEqual(['prod-eu-1', 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/clusters/prod-eu-1', 'stable-wave-1']);
    expect(result.registered).toStrictEqual([
      'pulumi:providers:kubernetes cluster',
      'flux-fleet:index:FluxBootstrap flux',
      'kubernetes:core/v1:Namespace flux-namespace',
      'kubernetes:helm.sh/v3:Release flux-flux-operator',
      'kubernetes:core/v1:ConfigMap flux-configmap-flux-runtime-info',
      'kubernetes:fluxcd.controlplane.io/v1:FluxInstance flux-fluxinstance-flux',
    ]);
    expect(result.kubeconfig).toStrictEqual({ secret: KUBECONFIG });
  }, 120_000);

  test('bootstraps stg-eu-1 by default, with the kubeconfig file KUBECONFIG names', () => {
    // GIVEN
    const file = join(mkdtempSync(join(tmpdir(), 'pulumi-example-')), 'kubeconfig');
    writeFileSync(file, KUBECONFIG);

    // WHEN
    const result = runExample({ env: { KUBECONFIG: file } });

    // THEN
    expect(result.outputs).toStrictEqual(['stg-eu-1', 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/clusters/stg-eu-1', 'latest']);
    expect(result.kubeconfig).toStrictEqual({ secret: KUBECONFIG });
  }, 120_000);
});
