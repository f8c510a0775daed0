// Writes a small tree into a folder and kills itself (SIGKILL) just before its nth move of a file into the folder,
// as a machine that loses power mid-write would leave it: `node --import tsx test/support/killed-writer.ts <outdir>
// <n> <value>`. The tree: `clusters/prod-eu-1/` with a ConfigMap holding `value`, and `clusters/prod-us-1/`.
import * as path from 'node:path';
import { ConfigTree, writeTree } from '../../src/output/writer/index.js';

/** The tree the killed write writes, with `value` in each cluster's ConfigMap. */
export function killedWriterTree(value: string): ConfigTree {
  const tree = new ConfigTree();
  for (const cluster of ['prod-eu-1', 'prod-us-1']) {
    tree.addObjects(`clusters/${cluster}/podinfo.yaml`, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `podinfo-${cluster}`, namespace: 'apps' }, data: { value } }]);
    tree.addObjects(`clusters/${cluster}/flux-system/sync.yaml`, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `sync-${cluster}`, namespace: 'apps' }, data: { value } }]);
  }
  return tree;
}

if (process.argv[1]?.endsWith('killed-writer.ts')) {
  const [outdir, n, value] = process.argv.slice(2);
  let moves = 0;
  writeTree(killedWriterTree(value), outdir, {
    beforeOperation: (operation, target) => {
      if (operation === 'rename' && target.startsWith(`${path.resolve(outdir)}/`) && ++moves === Number(n)) process.kill(process.pid, 'SIGKILL');
    },
  });
}
