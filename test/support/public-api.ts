import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/*
 * The package's public API as the TypeScript compiler sees it: each entry point of package.json's `exports` (its
 * `types` file mapped back to src/) and the symbols it exports. Shared by the API lint (test/api-lint.test.ts) and the
 * measurement script (scripts/api-surface.ts).
 */

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** An entry point: `flux-fleet` or `flux-fleet/<subpath>`, and the source file of its types. */
export interface EntryPoint {
  readonly module: string;
  /** The subpath of `exports`: `.` or `./<subpath>`. */
  readonly subpath: string;
  /** Relative to the repository root, e.g. `src/index.ts`. */
  readonly file: string;
}

/** A name an entry point exports, and what it stands for. */
export interface ExportedName {
  readonly name: string;
  /** The declaration it stands for, aliases resolved. */
  readonly symbol: ts.Symbol;
  /** Whether it is a value (a class, function or constant), not a type alone. */
  readonly isValue: boolean;
}

/** An entry point with what it exports, sorted by name. */
export interface EntryPointApi extends EntryPoint {
  readonly exports: readonly ExportedName[];
}

/** The public API: the compiler's view of every entry point. */
export interface PublicApi {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  readonly entries: readonly EntryPointApi[];
}

/** The `exports` of package.json, with the `typesVersions` subpaths (for node10 resolution). */
export function packageManifest(): { exports: Record<string, unknown>; typesVersions?: Record<string, Record<string, string[]>> } {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as ReturnType<typeof packageManifest>;
}

/** The entry points of package.json's `exports` that have types. */
export function entryPoints(): EntryPoint[] {
  return Object.entries(packageManifest().exports).flatMap(([subpath, target]) => {
    const types = typeof target === 'object' && target !== null ? (target as { types?: string }).types : undefined;
    if (types === undefined) return [];
    const file = types.replace(/^\.\/lib\//, 'src/').replace(/\.d\.ts$/, '.ts');
    return [{ module: subpath === '.' ? 'flux-fleet' : `flux-fleet/${subpath.slice(2)}`, subpath, file }];
  });
}

/** Whether `flags` holds `flag`. */
export function hasFlag(flags: number, flag: number): boolean {
  return (flags & flag) !== 0; // eslint-disable-line no-bitwise
}

/** Compiles the sources of every entry point (with the project's tsconfig.json) and lists what each exports. */
export function loadPublicApi(): PublicApi {
  const entries = entryPoints();
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('cannot read tsconfig.json');
  const program = ts.createProgram({ rootNames: entries.map((e) => join(ROOT, e.file)), options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  return {
    program,
    checker,
    entries: entries.map((entry) => {
      const source = program.getSourceFile(join(ROOT, entry.file));
      const moduleSymbol = source && checker.getSymbolAtLocation(source);
      if (!moduleSymbol) throw new Error(`${entry.file} is not a module`);
      const exported = checker.getExportsOfModule(moduleSymbol).map((s) => {
        const symbol = hasFlag(s.flags, ts.SymbolFlags.Alias) ? checker.getAliasedSymbol(s) : s;
        return { name: s.name, symbol, isValue: hasFlag(symbol.flags, ts.SymbolFlags.Value) };
      });
      return { ...entry, exports: exported.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
    }),
  };
}

/** The doc comment tags of a declaration, by name (`default`, `internal`...). */
export function docTags(node: ts.Node): ts.JSDocTag[] {
  return [...ts.getJSDocTags(node)];
}

/** Whether a property is optional (`?`). */
export function isOptional(property: ts.Symbol): boolean {
  return hasFlag(property.flags, ts.SymbolFlags.Optional);
}

/** The properties of an exported interface, each with its declaration (inherited ones included). */
export function interfaceProperties(checker: ts.TypeChecker, symbol: ts.Symbol): Array<{ property: ts.Symbol; declaration: ts.Declaration }> {
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).flatMap((property) => {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    return declaration ? [{ property, declaration }] : [];
  });
}
