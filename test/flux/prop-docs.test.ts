import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/*
 * Every prop of the typed kinds (every member of an interface exported from src/flux) has a doc comment, and every
 * optional one says with `@default` what happens without it. Left out: src/flux/artifact (the OCI artifact format's
 * descriptors, no Flux kind), the vendored schemas, and the `kind` discriminator of the `IXxx` reference interfaces,
 * which the interface's own comment names.
 */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return path.endsWith('artifact') || path.endsWith('schemas') ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function undocumented(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node, owner: string | undefined): void => {
    let current = owner;
    if (ts.isInterfaceDeclaration(node)) {
      current = node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ? node.name.text : undefined;
    }
    if (current && ts.isPropertySignature(node)) {
      const name = node.name.getText(source);
      const docs = ts.getJSDocCommentsAndTags(node).map((d) => d.getText(source)).join('\n');
      const discriminator = /^I[A-Z]/.test(current) && name === 'kind';
      if (!discriminator && !/\/\*\*\s*[^@\s]/.test(docs)) found.push(`${file} ${current}.${name}: no doc comment`);
      else if (node.questionToken && !docs.includes('@default')) found.push(`${file} ${current}.${name}: optional without @default`);
    }
    ts.forEachChild(node, (child) => visit(child, current));
  };
  visit(source, undefined);
  return found;
}

describe('the typed kinds\' props', () => {
  test('each has a doc comment, and each optional one a @default', () => {
    expect(sources('src/flux').flatMap(undocumented)).toStrictEqual([]);
  });
});
