import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseYamlDocuments } from '../../src/flux/core/yaml-reader.js';
import { validateTree } from '../../src/output/validate/index.js';

/** Writes files under a new temporary folder and returns it. */
function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'flux-fleet-hostile-tree-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\ndata:\n  a: "1"\n';

/** A kubectl that records each folder it is asked to build, then runs the real one. */
function recordingKubectl(root: string): { kubectl: string; built: () => string[] } {
  const log = join(root, 'kubectl.log');
  const kubectl = join(root, 'kubectl-recording');
  writeFileSync(kubectl, `#!/bin/sh\necho "$2" >> ${JSON.stringify(log)}\nexec kubectl "$@"\n`);
  chmodSync(kubectl, 0o755);
  return { kubectl, built: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : []) };
}

describe('validate on hostile trees', () => {
  test('fails when a kustomization loads a base from outside the tree, without building it', async () => {
    // GIVEN a tree whose cluster folder names a base four folders up, outside the tree
    const root = folder({
      'outside/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'outside/cm.yaml': CM,
      'repo/tree/clusters/a/kustomization.yaml': 'resources:\n  - ../../../../outside\n',
    });
    const { kubectl, built } = recordingKubectl(root);
    // WHEN
    const report = await validateTree(join(root, 'repo/tree'), { kubectl });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/kustomization.yaml',
      message: 'resources entry "../../../../outside" is outside the tree; validate builds only what the tree holds, so copy it into the tree',
    }]);
    expect(built()).toStrictEqual([]);
  }, 60_000);

  test('fails when a kustomization names remote resources, fetching nothing unless allowed', async () => {
    // GIVEN
    const root = folder({
      'tree/clusters/a/kustomization.yaml': 'resources:\n  - https://github.com/acme/infra//base?ref=v1\n  - github.com/acme/apps/base\n  - cm.yaml\n',
      'tree/clusters/a/cm.yaml': CM,
    });
    const { kubectl, built } = recordingKubectl(root);
    // WHEN
    const report = await validateTree(join(root, 'tree'), { kubectl });
    // THEN
    const fix = 'which validate does not fetch; vendor it into the tree, or allow remote resources (--allow-remote, or the option allowRemoteResources: true)';
    expect(report.errors).toStrictEqual([
      { file: 'clusters/a/kustomization.yaml', message: `resources entry "https://github.com/acme/infra//base?ref=v1" is a remote resource, ${fix}` },
      { file: 'clusters/a/kustomization.yaml', message: `resources entry "github.com/acme/apps/base" is a remote resource, ${fix}` },
    ]);
    expect(built()).toStrictEqual([]);
  }, 60_000);

  test('fails when a kustomization expands aliases without end, without building it', async () => {
    // GIVEN a "billion laughs" configMapGenerator
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const root = folder({
      'tree/clusters/a/kustomization.yaml': `${levels.map((l) => `# ${l}`).join('\n')}\nlaughs:\n${levels.map((l) => `  ${l}`).join('\n')}\nresources:\n  - cm.yaml\n`,
      'tree/clusters/a/cm.yaml': CM,
    });
    const { kubectl, built } = recordingKubectl(root);
    // WHEN
    const begin = Date.now();
    const report = await validateTree(join(root, 'tree'), { kubectl });
    // THEN
    expect(report.errors.map((e) => e.file)).toStrictEqual(['clusters/a/kustomization.yaml']);
    expect(report.errors[0].message).toMatch(/^YAML does not parse: Excessive alias count/);
    expect(built()).toStrictEqual([]);
    expect(Date.now() - begin).toBeLessThan(30_000);
  }, 60_000);

  test('fails when a build passes its memory bound', async () => {
    // GIVEN a good tree, and a bound too small for kubectl to start
    const root = folder({ 'tree/clusters/a/kustomization.yaml': 'resources:\n  - cm.yaml\n', 'tree/clusters/a/cm.yaml': CM });
    // WHEN
    const report = await validateTree(join(root, 'tree'), { buildMemoryBytes: 256 * 1024 * 1024 });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/kustomization.yaml',
      message: 'kubectl kustomize clusters/a used more than 256 MiB of memory and was stopped; look for YAML aliases that expand without end in ' +
        'clusters/a/kustomization.yaml, or allow more memory (buildMemoryBytes)',
    }]);
  }, 60_000);

  test('fails when a YAML file is larger than the limit, without parsing it', async () => {
    // GIVEN
    const root = folder({ 'tree/clusters/a/big.yaml': `data:\n${'  k: v\n'.repeat(1000)}` });
    // WHEN
    const report = await validateTree(join(root, 'tree'), { build: false, maxFileBytes: 4096 });
    // THEN
    expect(report.errors).toStrictEqual([{
      file: 'clusters/a/big.yaml',
      message: 'the file is 6.8 KiB, more than the 4.0 KiB a YAML file may be, and was not read; split it',
    }]);
  }, 60_000);

  test('parses a map of 200,000 keys in time linear in its size, and still finds duplicate keys', () => {
    // GIVEN maps of 50,000 and 200,000 keys
    const map = (n: number) => `data:\n${Array.from({ length: n }, (_, i) => `  key${i}: value${i}`).join('\n')}\n`;
    const time = (text: string) => {
      const begin = process.hrtime.bigint();
      parseYamlDocuments(text, 'map.yaml')[0].toJS();
      return Number(process.hrtime.bigint() - begin) / 1e6;
    };
    const small = time(map(50_000));
    // WHEN
    const large = time(map(200_000));
    // THEN four times the keys take well under sixteen times as long (the pairwise check took that and more)
    expect(large / small).toBeLessThan(10);
    const dup = parseYamlDocuments('a: 1\nb: 2\na: 3\n', 'dup.yaml')[0].errors;
    expect(dup.map((e) => [e.code, e.linePos?.[0]])).toStrictEqual([['DUPLICATE_KEY', { line: 3, col: 1 }]]);
  }, 120_000);
});
