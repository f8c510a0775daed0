import { join } from 'node:path';
import { loadESLint } from 'eslint';

/*
 * The rules the build's lint enforces on the house, run by ESLint with the project's configuration on code placed in
 * each layer: an import that runs up a layer (or sideways, beyond delivery's reading of the release manifest and the
 * config tree) fails, and so does a plain Error made in src/.
 */

const ROOT = join(import.meta.dirname, '..');
const RULES = new Set(['import/no-restricted-paths', 'no-restricted-syntax']);

/** The messages of the house's rules for `code` as the file `file` (one of each layer, so that the zones apply). */
async function houseRules(file: string, code: string): Promise<string[]> {
  const ESLint = await loadESLint({ useFlatConfig: false });
  const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId !== null && RULES.has(m.ruleId)).map((m) => `${m.ruleId}: ${m.message}`);
}

const importing = (path: string) => `import * as m from '${path}';\n\nexport const used = m;\n`;

describe('the lint of the house', () => {
  test.each([
    ['src/flux/core/duration.ts', '../../fleet/fleet.js', 'layer 1 (flux) imports nothing above it'],
    ['src/fleet/channel.ts', '../delivery/mirror.js', 'layer 2 (fleet) imports only layer 1'],
    ['src/output/writer/render.ts', '../../delivery/mirror.js', 'output (layer 3) imports only layers 1 and 2'],
    ['src/delivery/concurrency.ts', '../frontends/cli/main.js', 'delivery (layer 3) imports no front end'],
    ['src/delivery/concurrency.ts', '../output/validate/validate-tree.js', 'delivery reads only output\'s release manifest and config-tree rendering'],
  ])('fails when %s imports %s', async (file, path, message) => {
    // WHEN
    const messages = await houseRules(file, importing(path));
    // THEN
    expect(messages).toStrictEqual([`import/no-restricted-paths: Unexpected path "${path}" imported in restricted zone. ${message}`]);
  }, 120_000);

  test('lets delivery read the release manifest and render a config tree, and a front end import any layer', async () => {
    // WHEN
    const delivery = await houseRules('src/delivery/concurrency.ts', `${importing('../output/release-manifest.js')}export * from '../output/writer/render.js';\n`);
    const frontend = await houseRules('src/frontends/cli/options.ts', `${importing('../../delivery/mirror.js')}export * from '../../output/validate/index.js';\n`);
    // THEN
    expect([delivery, frontend]).toStrictEqual([[], []]);
  }, 120_000);

  test('fails when src/ makes a plain Error, and lets a FluxFleetError through', async () => {
    // WHEN
    const plain = await houseRules('src/fleet/channel.ts', 'export function f(): never {\n  throw new Error(\'no\');\n}\n');
    const house = await houseRules('src/fleet/channel.ts', 'import { ValidationError } from \'../flux/core/errors.js\';\n\nexport function f(): never {\n  throw new ValidationError(\'no\');\n}\n');
    // THEN
    expect(plain).toStrictEqual([
      'no-restricted-syntax: Throw a FluxFleetError subclass (src/flux/core/errors.ts), e.g. ValidationError, so that the error has a code and the command line an exit status',
    ]);
    expect(house).toStrictEqual([]);
  }, 120_000);
});
