import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * On a fresh machine the README takes one command to run the example and one to pass the tests, and the CI runs that
 * same test command.
 */

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The shell commands of the first ```sh block after a README heading. */
function commandsUnder(heading: string): string[] {
  const section = README.slice(README.indexOf(`## ${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

describe('the README\'s first commands', () => {
  test('one command runs the example, and one passes the tests', () => {
    expect(commandsUnder('Install and run the example')).toStrictEqual(['bash scripts/example.sh']);
    expect(commandsUnder('Run the tests')).toStrictEqual(['bash scripts/test.sh']);
  });

  test('the test command sets up the machine, installs the locked dependencies and builds as CI does, and .ci/run runs it', () => {
    // GIVEN
    const script = readFileSync(join(ROOT, 'scripts', 'test.sh'), 'utf8');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    // THEN
    expect(script.split('\n').filter((l) => l.startsWith('timed '))).toStrictEqual([
      'timed system bash scripts/setup-test-machine.sh',
      'timed \'npm ci\' npm ci --no-audit --no-fund',
      'timed build npm run build',
    ]);
    expect(ci).toContain('\nstep test\nbash "$repo/scripts/test.sh"\n');
    expect(readFileSync(join(ROOT, 'scripts', 'example.sh'), 'utf8')).toMatch(/\nnpm ci --no-audit --no-fund\nnpm run example\n$/);
    for (const file of ['scripts/test.sh', 'scripts/example.sh', '.ci/run']) expect(spawnSync('bash', ['-n', join(ROOT, file)]).status).toBe(0);
  });

  test('every push and promote line of the README says where: the registries (--registry) or a layout (--layout)', () => {
    // GIVEN
    const lines = README.split('\n').filter((l) => /^npx flux-fleet (push|promote) /.test(l));
    // THEN
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => !/ --(registry|layout)\b/.test(l))).toStrictEqual([]);
  });

  test('the scripts refuse a Node.js flux-fleet does not run on, saying which it needs', () => {
    // WHEN: node_is_recent against the node running this test, and the message of require_recent_node
    const check = spawnSync('bash', ['-c', `source ${join(ROOT, 'scripts', 'node-version.sh')}; node_is_recent "$0" && echo recent`, process.execPath], { encoding: 'utf8' });
    const old = spawnSync('bash', ['-c', `source ${join(ROOT, 'scripts', 'node-version.sh')}; node() { echo v20.20.2; return 0; }; node_is_recent() { return 1; }; require_recent_node`], { encoding: 'utf8' });
    // THEN
    expect(check.stdout).toBe('recent\n');
    expect([old.status, old.stderr]).toStrictEqual([1, 'error: flux-fleet needs Node.js 22.22.2 or newer 22.x, or 24.15 or newer; this is v20.20.2 (bash .ci/run installs one by itself)\n']);
  });
});
