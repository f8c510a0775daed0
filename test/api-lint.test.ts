import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { docTags, entryPoints, hasFlag, interfaceProperties, isOptional, loadPublicApi, packageManifest, ROOT, type EntryPointApi } from './support/public-api.js';

/*
 * The API lint: the design guidelines the public API follows, checked on what each entry point of package.json's
 * `exports` exports, as the compiler sees it. Each rule is named beside the guideline it enforces (see style.md, from
 * aws-cdk's awslint, cdk8s-plus and projen); a finding names the entry point, the declaration and the fix.
 *
 * Result records (what a function returns or a report holds) follow the same documentation rules as inputs: every
 * field of every exported interface has a doc comment, and every optional one says with @default what its absence
 * means (`@default - none: no report found`), so a reader of a report knows what a missing field says. Their names
 * need no suffix: only inputs are `*Props`, `*Options` or `*Args`. Fields marked `@internal` (left out of the
 * declarations the package ships) are not part of the API and are not checked.
 */

const api = loadPublicApi();
const { checker } = api;
const SRC = join(ROOT, 'src');

const isInSrc = (node: ts.Node) => !relative(SRC, node.getSourceFile().fileName).startsWith('..');
const where = (node: ts.Node) => `${relative(ROOT, node.getSourceFile().fileName)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
const resolved = (s: ts.Symbol) => (hasFlag(s.flags, ts.SymbolFlags.Alias) ? checker.getAliasedSymbol(s) : s);

/** Every exported declaration of an entry point that lives in src/ (not a re-export of a dependency's). */
function declarations(entry: EntryPointApi): Array<{ name: string; symbol: ts.Symbol; node: ts.Declaration }> {
  return entry.exports.flatMap(({ name, symbol }) => (symbol.declarations ?? []).filter(isInSrc).map((node) => ({ name, symbol, node })));
}

/** Whether a class member is part of the public API: not private, protected or `@internal`. */
function isPublicMember(member: ts.Node): boolean {
  const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
  if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return false;
  if (ts.isPropertyDeclaration(member) || ts.isMethodDeclaration(member) || ts.isGetAccessor(member)) {
    if (ts.isPrivateIdentifier(member.name)) return false;
  }
  return !docTags(member).some((t) => t.tagName.text === 'internal');
}

/** The type nodes a declaration shows users: signatures, fields and heritage, not bodies or initializers. */
function publicTypeNodes(node: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) found.push(n);
    if (ts.isClassDeclaration(n)) {
      n.heritageClauses?.forEach(visit);
      n.typeParameters?.forEach(visit);
      for (const m of n.members) if (isPublicMember(m)) visit(m);
      return;
    }
    if (ts.isFunctionLike(n)) {
      n.typeParameters?.forEach(visit);
      n.parameters.forEach((p) => p.type && visit(p.type));
      if (n.type) visit(n.type);
      return;
    }
    if (ts.isPropertyDeclaration(n) || ts.isVariableDeclaration(n) || ts.isPropertySignature(n)) {
      if (n.type) visit(n.type);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** The declaration (in src/) that a type reference names, when it names one of flux-fleet's own types. */
function referenced(node: ts.Node): ts.Symbol | undefined {
  const name = ts.isTypeReferenceNode(node) ? node.typeName : (node as ts.ExpressionWithTypeArguments).expression;
  const symbol = checker.getSymbolAtLocation(name);
  if (!symbol) return undefined;
  const target = resolved(symbol);
  if (hasFlag(target.flags, ts.SymbolFlags.TypeParameter)) return undefined;
  return target.declarations?.some(isInSrc) ? target : undefined;
}

const exportedBy = new Map(api.entries.map((e) => [e.module, new Set(e.exports.map((x) => x.symbol))]));
const everyExport = new Set(api.entries.flatMap((e) => e.exports.map((x) => x.symbol)));
const root = api.entries.find((e) => e.module === 'flux-fleet')!;
/** Interfaces, classes and type aliases of every entry point, each once. */
const exportedInterfaces = [...new Map(api.entries.flatMap((e) => declarations(e)
  .filter((d) => ts.isInterfaceDeclaration(d.node))
  .map((d) => [d.node, { ...d, module: e.module }]))).values()];

describe('the API lint', () => {
  test('entry-points: every subpath of "exports" has its source, and its types for node10 resolution in "typesVersions"', () => {
    // Guideline (projen): a flat core plus named secondary modules, reachable from every module resolution consumers use.
    const manifest = packageManifest();
    const findings: string[] = [];
    for (const entry of entryPoints()) {
      if (!existsSync(join(ROOT, entry.file))) findings.push(`${entry.module}: ${entry.file} does not exist`);
      if (entry.subpath === '.') continue;
      const types = (manifest.exports[entry.subpath] as { types: string }).types.replace(/^\.\//, '');
      const mapped = manifest.typesVersions?.['*']?.[entry.subpath.slice(2)];
      if (mapped?.[0] !== types) findings.push(`${entry.module}: typesVersions maps ${entry.subpath.slice(2)} to ${JSON.stringify(mapped)}, not ["${types}"]`);
    }
    expect(entryPoints().length).toBeGreaterThan(1);
    expect(findings).toStrictEqual([]);
  });

  test('root-is-the-model: the package root exports the fleet model and the Flux kinds, nothing of delivery, output or the artifact format', () => {
    // Guideline (projen): completion of `flux-fleet` shows the user's model first; the rest lives under named subpaths.
    // A type the model's own declarations name (FluxApp's `foreignFiles`) may come along, as a type only.
    const outside = ['src/delivery/', 'src/output/', 'src/flux/artifact/', 'src/frontends/cli/', 'src/frontends/pulumi/'];
    const isOutside = (node: ts.Node) => outside.some((dir) => relative(ROOT, node.getSourceFile().fileName).startsWith(dir));
    const named = new Set(declarations(root).filter((d) => !isOutside(d.node)).flatMap((d) => publicTypeNodes(d.node).map(referenced)));
    const findings = declarations(root)
      .filter((d) => isOutside(d.node) && !(named.has(d.symbol) && !hasFlag(d.symbol.flags, ts.SymbolFlags.Value)))
      .map((d) => `${d.name} (${where(d.node)}): export it from its layer's entry point, not the root`);
    expect(findings).toStrictEqual([]);
  });

  test('types-reachable: every type a public signature names is exported, by the root for the root\'s own', () => {
    // Guideline (awslint): a user can name every type the API hands them or asks for; the root's types need no subpath.
    const findings = new Set<string>();
    for (const entry of api.entries) {
      const visible = entry === root ? exportedBy.get('flux-fleet')! : everyExport;
      for (const d of declarations(entry)) {
        for (const n of publicTypeNodes(d.node)) {
          const target = referenced(n);
          if (target && !visible.has(target)) {
            findings.add(`${entry.module}: ${d.name} (${where(n)}) names ${target.name}, which ${entry === root ? 'the root does not export' : 'no entry point exports'}`);
          }
        }
      }
    }
    expect([...findings].sort()).toStrictEqual([]);
  });

  test('docs: every field of every exported interface has a doc comment', () => {
    // Guideline (cdk8s-plus): every prop documented; the reference interfaces' `kind` discriminator is named by the interface's own comment.
    const findings = new Set<string>();
    for (const { name, symbol, module } of exportedInterfaces) {
      for (const { property, declaration } of interfaceProperties(checker, symbol)) {
        if (!isInSrc(declaration) || (/^I[A-Z]/.test(name) && property.name === 'kind')) continue;
        const text = ts.getJSDocCommentsAndTags(declaration).map((c) => c.getText()).join('\n');
        if (!/\/\*\*\s*[^@\s]/.test(text)) findings.add(`${module}: ${name}.${property.name} (${where(declaration)}) has no doc comment`);
      }
    }
    expect([...findings].sort()).toStrictEqual([]);
  });

  test('optional-default: every optional field of every exported interface says with @default what happens without it', () => {
    // Guideline (aws-cdk): a prop is optional only with a sensible default, documented as behaviour (`@default - <behaviour>` where no value applies).
    const findings = new Set<string>();
    for (const { name, symbol, module } of exportedInterfaces) {
      for (const { property, declaration } of interfaceProperties(checker, symbol)) {
        if (!isInSrc(declaration) || !isOptional(property) || !isPublicMember(declaration)) continue;
        const tag = docTags(declaration).find((t) => t.tagName.text === 'default');
        const text = typeof tag?.comment === 'string' ? tag.comment.trim() : ts.getTextOfJSDocComment(tag?.comment)?.trim();
        if (!tag) findings.add(`${module}: ${name}.${property.name} (${where(declaration)}) is optional without @default`);
        else if (!text || text === '-') findings.add(`${module}: ${name}.${property.name} (${where(declaration)}) has an empty @default; give the value, or "- <what happens>"`);
      }
    }
    expect([...findings].sort()).toStrictEqual([]);
  });

  test('props-readonly: every field of an exported *Props, *Options or *Args interface is readonly', () => {
    // Guideline (style.md, cdk8s-plus): props are read-only; a construct never changes what it was given.
    const findings = new Set<string>();
    for (const { name, symbol, module } of exportedInterfaces.filter((i) => /(Props|Options|Args)$/.test(i.name))) {
      for (const { property, declaration } of interfaceProperties(checker, symbol)) {
        if (!isInSrc(declaration) || !ts.isPropertySignature(declaration)) continue;
        if (!declaration.modifiers?.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword)) findings.add(`${module}: ${name}.${property.name} (${where(declaration)}) is not readonly`);
      }
    }
    expect([...findings].sort()).toStrictEqual([]);
  });

  test('names: FooProps is what construct Foo (or a variant) is made of, FooOptions what a call takes, FooArgs a Pulumi component\'s', () => {
    // Guideline (awslint, cdk8s-plus): `FooProps` for the props of construct Foo, and of what a factory (`Registry.ecr`,
    // `fleet.addEnvironment`) makes; `FooOptions` for the options of a function or method; `FooArgs` for a Pulumi
    // component's arguments and the types of their fields (pulumi-eks).
    const findings = new Set<string>();
    const uses = new Map<ts.Symbol, Set<string>>();
    const use = (typeNode: ts.Node | undefined, how: string, seen = new Set<ts.Node>()): void => {
      if (!typeNode || seen.has(typeNode)) return;
      seen.add(typeNode);
      if (ts.isUnionTypeNode(typeNode) || ts.isIntersectionTypeNode(typeNode)) {
        typeNode.types.forEach((t) => use(t, how, seen));
        return;
      }
      if (!ts.isTypeReferenceNode(typeNode)) return;
      const target = referenced(typeNode);
      if (!target) return;
      (uses.get(target) ?? uses.set(target, new Set()).get(target)!).add(how);
      // A type alias stands for the types it joins (`ClusterProps = ClusterBaseProps & ...`).
      for (const decl of target.declarations ?? []) if (ts.isTypeAliasDeclaration(decl)) use(decl.type, how, seen);
    };
    const isA = (type: ts.Type, base: string): boolean => {
      const seen = new Set<ts.Type>();
      const walk = (t: ts.Type): boolean => {
        if (seen.has(t)) return false;
        seen.add(t);
        if (t.getSymbol()?.name === base) return true;
        return (t.isClassOrInterface() ? checker.getBaseTypes(t as ts.InterfaceType) : []).some(walk);
      };
      return walk(type);
    };
    /** Whether a signature returns an instance of one of the package's classes: a factory of a construct or a variant. */
    const makesAnInstance = (n: ts.SignatureDeclaration) => {
      const target = n.type && ts.isTypeReferenceNode(n.type) ? referenced(n.type) : undefined;
      return target !== undefined && hasFlag(target.flags, ts.SymbolFlags.Class);
    };
    for (const entry of api.entries) {
      for (const d of declarations(entry)) {
        if (ts.isClassDeclaration(d.node)) {
          const type = checker.getDeclaredTypeOfSymbol(d.symbol);
          const kind = isA(type, 'Construct') ? 'construct' : isA(type, 'ComponentResource') ? 'component' : 'class';
          for (const m of d.node.members) {
            if (!isPublicMember(m)) continue;
            if (ts.isConstructorDeclaration(m)) {
              const props = m.parameters.find((p) => p.name.getText() === 'props') ?? m.parameters[kind === 'component' ? 1 : 2];
              if (kind === 'construct' && props) use(props.type, `construct ${d.name}`);
              else if (kind === 'component' && props) use(props.type, `component ${d.name}`);
              else for (const p of m.parameters) use(p.type, `constructor ${d.name}`);
            } else if (ts.isMethodDeclaration(m)) {
              for (const p of m.parameters) use(p.type, `${makesAnInstance(m) ? 'factory' : 'method'} ${d.name}.${m.name.getText()}`);
            }
          }
        } else if (ts.isFunctionDeclaration(d.node)) {
          for (const p of d.node.parameters) use(p.type, `${makesAnInstance(d.node) ? 'factory' : 'function'} ${d.name}`);
        }
      }
    }
    // An interface's uses are those of the interfaces extending it, and, for the Args of a component, of its fields' types.
    const related = new Map<ts.Symbol, Array<{ from: ts.Symbol; field: boolean }>>();
    for (const { symbol, node } of exportedInterfaces) {
      const decl = node as ts.InterfaceDeclaration;
      for (const t of decl.heritageClauses?.flatMap((h) => [...h.types]) ?? []) {
        const base = referenced(t);
        if (base) (related.get(base) ?? related.set(base, []).get(base)!).push({ from: symbol, field: false });
      }
      for (const m of decl.members) {
        for (const t of ts.isPropertySignature(m) && m.type ? publicTypeNodes(m.type) : []) {
          const target = referenced(t);
          if (target) (related.get(target) ?? related.set(target, []).get(target)!).push({ from: symbol, field: true });
        }
      }
    }
    const usesOf = (s: ts.Symbol, seen = new Set<ts.Symbol>()): string[] => {
      if (seen.has(s)) return [];
      seen.add(s);
      return [
        ...(uses.get(s) ?? []),
        ...(related.get(s) ?? []).flatMap((r) => usesOf(r.from, seen).filter((h) => !r.field || h.startsWith('component ')).map((h) => (r.field ? `field of ${h}` : h))),
      ];
    };
    for (const { name, symbol, module, node } of exportedInterfaces) {
      const how = usesOf(symbol);
      const at = `${module}: ${name} (${where(node)})`;
      const made = how.filter((h) => /^(field of )?(construct|factory) /.test(h));
      if (name.endsWith('Props') && made.length === 0) findings.add(`${at} is what ${how.join(', ') || 'nothing'} takes, which makes no construct or variant; name it *Options`);
      if (!name.endsWith('Props') && how.some((h) => h.startsWith('construct '))) findings.add(`${at} is the props of a construct (${how.join(', ')}); name it *Props`);
      if (name.endsWith('Args') !== how.some((h) => /^(field of )?component /.test(h))) {
        findings.add(`${at}: *Args is for a Pulumi component's arguments and their fields' types (${how.join(', ') || 'unused'})`);
      }
    }
    expect([...findings].sort()).toStrictEqual([]);
  });

  test('reference interfaces: what props reference a construct by is IFoo, and every IFoo is implemented', () => {
    // Guideline (cdk8s-plus, aws-cdk): reference other constructs by object, through their IFoo interface.
    const findings = new Set<string>();
    const implemented = new Map<ts.Symbol, string[]>();
    for (const entry of api.entries) {
      for (const d of declarations(entry).filter((x) => ts.isClassDeclaration(x.node))) {
        const isConstruct = checker.getDeclaredTypeOfSymbol(d.symbol).getProperties().some((p) => p.name === 'node');
        for (const h of (d.node as ts.ClassDeclaration).heritageClauses?.filter((c) => c.token === ts.SyntaxKind.ImplementsKeyword) ?? []) {
          for (const t of h.types) {
            const target = referenced(t);
            if (target) implemented.set(target, [...(implemented.get(target) ?? []), ...(isConstruct ? [d.name] : [])]);
          }
        }
      }
    }
    const extended = (s: ts.Symbol): ts.Symbol[] => exportedInterfaces
      .filter((i) => (i.node as ts.InterfaceDeclaration).heritageClauses?.some((h) => h.types.some((t) => referenced(t) === s)))
      .flatMap((i) => [i.symbol, ...extended(i.symbol)]);
    // What a field holds, not what a function in it is given (`values: (cluster: ClusterInfo) => ...` references nothing).
    const held = (n: ts.Node): ts.Node[] => {
      if (ts.isFunctionTypeNode(n)) return [];
      return ts.isTypeReferenceNode(n) ? [n, ...(n.typeArguments ?? []).flatMap(held)] : n.getChildren().flatMap(held);
    };
    const referencedByProps = new Set(exportedInterfaces.filter((i) => /(Props|Options)$/.test(i.name))
      .flatMap((i) => (i.node as ts.InterfaceDeclaration).members.flatMap((m) => (ts.isPropertySignature(m) && m.type ? held(m.type) : [])))
      .map(referenced).filter((x) => x !== undefined));
    for (const { name, symbol, module, node } of exportedInterfaces) {
      const at = `${module}: ${name} (${where(node)})`;
      const constructs = [symbol, ...extended(symbol)].flatMap((s) => implemented.get(s) ?? []);
      if (/^I[A-Z]/.test(name) && ![symbol, ...extended(symbol)].some((s) => implemented.has(s))) findings.add(`${at} is named like a reference interface, but no class implements it`);
      if (!/^I[A-Z]/.test(name) && constructs.length > 0 && referencedByProps.has(symbol)) {
        findings.add(`${at}: props reference construct ${constructs.join(', ')} by it; name it I${name}`);
      }
    }
    expect([...findings].sort()).toStrictEqual([]);
  });
});
