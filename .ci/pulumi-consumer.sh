#!/usr/bin/env bash
# Pulumi consumer check: proves that a packed flux-fleet tarball works from a fresh Pulumi TypeScript project:
# `flux-fleet/pulumi` type-checks and runs the FluxBootstrap component under Pulumi's mocks, next to the package root
# (one fleet module for the cdk8s app and the Pulumi program). Three projects, sharing one npm install:
#   esm       "type": "module", TypeScript module NodeNext;
#   cjs       no "type" (CommonJS), TypeScript module NodeNext emitting require(): flux-fleet is loaded by require(esm);
#   template  the tsconfig `pulumi new typescript` writes: module commonjs, moduleResolution node (which knows no
#             package "exports": the subpath's types must be found another way), strict, no skipLibCheck.
# Each declares a small fleet (a GitHub registry, so a pull secret), sets the mocks, constructs the component, awaits
# its outputs and checks them, the resources registered, the pull secret's secrecy and that the objects applied are
# bootstrapObjects() (from flux-fleet/output: three entry points in one program): `tsc --noEmit`, then emitted without a second check (`tsc --noCheck`) and run with node.
# Each prints PASS or FAIL; any failure exits non-zero. The projects live under mktemp and are removed when every
# check passed (kept for a look otherwise).
#
# Usage: .ci/pulumi-consumer.sh <path/to/flux-fleet-X.Y.Z.tgz>
set -euo pipefail

if [[ $# -ne 1 || ! -f $1 ]]; then
  echo "usage: $0 <path/to/flux-fleet-X.Y.Z.tgz>" >&2
  exit 2
fi
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/flux-fleet-pulumi-consumer.XXXXXX")

# Versions a Pulumi consumer would pick today.
DEPS=(
  '@pulumi/pulumi@^3.150.0'
  '@pulumi/kubernetes@^4.20.0'
  'cdk8s@^2.70.0'
  'constructs@^10.4.0'
  'typescript@5.9.x'
  '@types/node@^22'
)

check_label='pulumi consumer'
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The consumer's program, the same for both projects.
write_program() {
  cat >index.ts <<'EOF'
import * as assert from 'node:assert/strict';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { Fleet, Registry, Signing } from 'flux-fleet';
import { bootstrapObjects } from 'flux-fleet/output';
import type { FluxBootstrapArgs } from 'flux-fleet/pulumi';

interface Registration { readonly type: string; readonly name: string; readonly inputs: Record<string, any> }

const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

async function main(): Promise<void> {
  const registered: Registration[] = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  }, 'consumer', 'ci', false);
  // Imported once the mocks are set.
  const { FluxBootstrap } = await import('flux-fleet/pulumi');

  const fleet = new Fleet(new App(), 'acme', {
    registry: Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: { name: 'ghcr-pull' } }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
  });
  fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-1', { region: 'eu-west-1' });

  const dockerConfig = JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('bot:token').toString('base64') } } });
  const provider = new k8s.Provider('cluster', { kubeconfig: 'apiVersion: v1\nkind: Config\n' });
  const args: FluxBootstrapArgs = { fleet, cluster: 'stg-1', pullSecret: pulumi.secret(dockerConfig) };
  const flux = new FluxBootstrap('flux', args, { provider });
  const outputs = { clusterName: await value(flux.clusterName), syncUrl: await value(flux.syncUrl), syncTag: await value(flux.syncTag) };
  await pulumi.runtime.disconnect();

  assert.deepEqual(outputs, { clusterName: 'stg-1', syncUrl: 'oci://ghcr.io/acme/fleet/clusters/stg-1', syncTag: 'latest' });
  assert.deepEqual(registered.map((r) => `${r.type} ${r.name}`), [
    'pulumi:providers:kubernetes cluster',
    'flux-fleet:index:FluxBootstrap flux',
    'kubernetes:core/v1:Namespace flux-namespace',
    'kubernetes:core/v1:Secret flux-pull-secret',
    'kubernetes:helm.sh/v3:Release flux-flux-operator',
    'kubernetes:core/v1:ConfigMap flux-configmap-flux-runtime-info',
    'kubernetes:fluxcd.controlplane.io/v1:FluxInstance flux-fluxinstance-flux',
  ]);
  const input = (name: string) => registered.find((r) => r.name === name)!.inputs;
  const secret = input('flux-pull-secret').stringData;
  assert.equal(secret[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig, 'the pull secret is a Pulumi secret');
  assert.deepEqual(secret.value, { '.dockerconfigjson': dockerConfig });
  const objects = bootstrapObjects(fleet.bootstrap, fleet.bootstrapFacts(fleet.clusters[0]));
  assert.deepEqual([input('flux-configmap-flux-runtime-info'), input('flux-fluxinstance-flux')], objects.slice(0, 2));
  assert.ok(!JSON.stringify(objects).includes(Buffer.from('bot:token').toString('base64')), 'the config repo objects hold no credential');
  console.log(`  FluxBootstrap under mocks: ${registered.length} resources, outputs ${JSON.stringify(outputs)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
EOF
}

# A project's tsconfig: module NodeNext, strict, emitting to out/.
write_tsconfig() {
  cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "target": "ES2022",
    "lib": ["ES2022"],
    "types": ["node"],
    "strict": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "outDir": "out"
  },
  "files": ["index.ts"]
}
EOF
}

install_deps() {
  cd "$work"
  echo '{ "name": "pulumi-consumer-deps", "version": "0.0.0", "private": true }' >package.json
  if ! npm install --no-audit --no-fund --loglevel=error "$tarball" "${DEPS[@]}" >npm-install.log 2>&1; then
    echo "  npm install failed:" >&2
    sed 's/^/    /' npm-install.log >&2
    return 1
  fi
  node -p "'  installed flux-fleet@' + require('./node_modules/flux-fleet/package.json').version + ' from the tarball, @pulumi/pulumi@' + require('./node_modules/@pulumi/pulumi/package.json').version + ', @pulumi/kubernetes@' + require('./node_modules/@pulumi/kubernetes/package.json').version"
}

check_esm() {
  local dir="$work/esm"
  mkdir -p "$dir" && cd "$dir"
  echo '{ "name": "consumer-esm", "version": "0.0.0", "private": true, "type": "module" }' >package.json
  write_program
  write_tsconfig
  "$work/node_modules/.bin/tsc" --noEmit -p tsconfig.json
  echo "  tsc --noEmit (module NodeNext, ES module): no errors"
  "$work/node_modules/.bin/tsc" --noCheck -p tsconfig.json
  node out/index.js
}

check_cjs() {
  local dir="$work/cjs"
  mkdir -p "$dir" && cd "$dir"
  echo '{ "name": "consumer-cjs", "version": "0.0.0", "private": true }' >package.json
  write_program
  write_tsconfig
  # Plain require() first: the package's "require" condition, an ES module loaded by require().
  node -e "const p = require('flux-fleet/pulumi'); if (typeof p.FluxBootstrap !== 'function') throw new Error('require(\"flux-fleet/pulumi\").FluxBootstrap is ' + typeof p.FluxBootstrap); console.log('  require(\"flux-fleet/pulumi\"): ' + Object.keys(p).join(', '))"
  "$work/node_modules/.bin/tsc" --noEmit -p tsconfig.json
  echo "  tsc --noEmit (module NodeNext, CommonJS): no errors"
  "$work/node_modules/.bin/tsc" --noCheck -p tsconfig.json
  grep -q 'require("@pulumi/pulumi")' out/index.js || { echo "  out/index.js is not CommonJS" >&2; return 1; }
  node out/index.js
}

check_template() {
  local dir="$work/template"
  mkdir -p "$dir" && cd "$dir"
  echo '{ "name": "consumer-template", "main": "index.ts", "version": "0.0.0", "private": true }' >package.json
  write_program
  cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "strict": true,
    "outDir": "bin",
    "target": "es2020",
    "module": "commonjs",
    "moduleResolution": "node",
    "sourceMap": true,
    "experimentalDecorators": true,
    "pretty": true,
    "noFallthroughCasesInSwitch": true,
    "noImplicitReturns": true,
    "forceConsistentCasingInFileNames": true
  },
  "files": ["index.ts"]
}
EOF
  "$work/node_modules/.bin/tsc" --noEmit -p tsconfig.json
  echo "  tsc --noEmit (module commonjs, moduleResolution node): no errors"
  "$work/node_modules/.bin/tsc" --noCheck -p tsconfig.json
  node bin/index.js
}


echo "pulumi consumer check of $(basename "$tarball") with node $(node --version), npm $(npm --version 2>/dev/null)"
start=$(usec)
if ! (set -e; install_deps); then
  echo "FAIL pulumi consumer install ($(since "$start")s; kept in $work)"
  exit 1
fi
echo "  npm install: $(since "$start")s"
run_check esm 'ES module project (tsc --noEmit, then node)'
run_check cjs 'CommonJS project, require of the ES module package (tsc --noEmit, then node)'
run_check template 'CommonJS project as pulumi new typescript makes it (tsc --noEmit, then node)'

if ((failed == 0)); then
  rm -rf "$work"
fi
echo "pulumi-consumer: $passed passed, $failed failed"
((failed == 0))
