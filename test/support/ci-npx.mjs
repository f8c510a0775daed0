// `npx` as the CI runner of the tests sees it (test/support/ci-runner.ts): `npx flux-fleet <command> ...` runs this
// checkout's command line, told where the test registries and Sigstore instance are; nothing else is available.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const [tool, command, ...args] = process.argv.slice(2);
if (tool !== 'flux-fleet') {
  process.stderr.write(`npx ${tool}: not available in the test runner\n`);
  process.exit(127);
}
const env = process.env;
appendFileSync(env.FLUX_FLEET_TEST_LOG, `${[command, ...args].join(' ')}\n`);
const extra = [];
if (['push', 'promote', 'rollout', 'verify-release', 'mirror', 'sign', 'verify'].includes(command)) extra.push('--host-alias', env.FLUX_FLEET_TEST_ALIASES);
if (['push', 'promote', 'rollout', 'verify-release'].includes(command)) extra.push('--trusted-root', env.FLUX_FLEET_TEST_ROOT);
if (['push', 'promote', 'rollout'].includes(command)) extra.push('--lease-settle', '500');
// Time, shortened for the test: a rollout's soak and polling (FLUX_FLEET_TEST_ROLLOUT_ARGS, e.g. "--soak 1s --poll 200ms").
if (command === 'rollout' && env.FLUX_FLEET_TEST_ROLLOUT_ARGS) extra.push(...env.FLUX_FLEET_TEST_ROLLOUT_ARGS.split(' '));
// Keyless signing: the job's OIDC token (GitHub's, or GitLab's SIGSTORE_ID_TOKEN), from the test's Sigstore instance.
if (command === 'push' && args.includes('--sign') && !args.includes('--key')) {
  if (env.FLUX_FLEET_TEST_OIDC_TOKEN) extra.push('--identity-token', env.FLUX_FLEET_TEST_OIDC_TOKEN);
  if (!args.includes('--fulcio-url')) extra.push('--fulcio-url', env.FLUX_FLEET_TEST_SIGSTORE, '--rekor-url', env.FLUX_FLEET_TEST_SIGSTORE);
}
const repo = join(import.meta.dirname, '..', '..');
const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(repo, 'src', 'frontends', 'cli', 'bin.ts'), command, ...args, ...extra], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
