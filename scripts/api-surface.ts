/**
 * Measures the public API, per entry point of the package (each subpath of package.json's `exports`, read from its
 * `types` file mapped back to src/): how many names it exports, values (classes, functions, constants) and types
 * (interfaces, type aliases) apart, and, over the interfaces it exports whose names end in `Props`, `Options` or `Args`,
 * how many fields they declare, how many are optional and how many optional ones have no `@default` tag; and the same
 * count over every interface it exports (result records included), `@internal` fields left out. A name that is both a
 * value and a type (a class) counts as a value. Figures only: test/api-lint.test.ts is what enforces the rules.
 *
 * Usage:
 *   npx tsx scripts/api-surface.ts             a table of the figures
 *   npx tsx scripts/api-surface.ts --names     and the names each entry point exports (values, then types)
 *   npx tsx scripts/api-surface.ts --json      the figures and names as JSON
 */
import ts from 'typescript';
import { docTags, hasFlag, interfaceProperties, isOptional, loadPublicApi } from '../test/support/public-api.js';

interface EntrySurface {
  readonly module: string;
  readonly file: string;
  readonly values: string[];
  readonly types: string[];
  /** Exported interfaces named `*Props`, `*Options` or `*Args`: how many, their fields, optional fields, and those without `@default`. */
  readonly optionsInterfaces: number;
  readonly fields: number;
  readonly optional: number;
  readonly optionalWithoutDefault: string[];
  /** Over every exported interface: optional fields, and those without `@default`. */
  readonly allOptional: number;
  readonly allOptionalWithoutDefault: string[];
}

function measure(): EntrySurface[] {
  const { checker, entries } = loadPublicApi();
  return entries.map(({ module, file, exports }) => {
    const surface = {
      module,
      file,
      values: [] as string[],
      types: [] as string[],
      optionsInterfaces: 0,
      fields: 0,
      optional: 0,
      optionalWithoutDefault: [] as string[],
      allOptional: 0,
      allOptionalWithoutDefault: [] as string[],
    };
    const counted = new Set<ts.Node>();
    const countedAll = new Set<ts.Node>();
    for (const { name, symbol, isValue } of exports) {
      (isValue ? surface.values : surface.types).push(name);
      if (!hasFlag(symbol.flags, ts.SymbolFlags.Interface)) continue;
      const isOptions = /(Props|Options|Args)$/.test(name);
      if (isOptions) surface.optionsInterfaces++;
      for (const { property, declaration } of interfaceProperties(checker, symbol)) {
        // `@internal` fields are left out of the shipped declarations: not part of the API.
        if (docTags(declaration).some((t) => t.tagName.text === 'internal')) continue;
        const optional = isOptional(property);
        const lacksDefault = optional && !docTags(declaration).some((t) => t.tagName.text === 'default');
        if (!countedAll.has(declaration)) {
          countedAll.add(declaration);
          if (optional) surface.allOptional++;
          if (lacksDefault) surface.allOptionalWithoutDefault.push(`${name}.${property.name}`);
        }
        if (!isOptions || counted.has(declaration)) continue;
        counted.add(declaration);
        surface.fields++;
        if (optional) surface.optional++;
        if (lacksDefault) surface.optionalWithoutDefault.push(`${name}.${property.name}`);
      }
    }
    return surface;
  });
}

const args = process.argv.slice(2);
const surfaces = measure();
if (args.includes('--json')) {
  console.log(JSON.stringify(surfaces, null, 2));
} else {
  const rows = [['entry point', 'names', 'values', 'types', 'Props/Options', 'fields', 'optional', 'no @default', 'all optional', 'no @default']];
  for (const s of surfaces) {
    rows.push([s.module, s.values.length + s.types.length, s.values.length, s.types.length, s.optionsInterfaces, s.fields, s.optional,
      s.optionalWithoutDefault.length, s.allOptional, s.allOptionalWithoutDefault.length].map(String));
  }
  const total = (k: 'values' | 'types') => surfaces.reduce((n, s) => n + s[k].length, 0);
  rows.push(['(all entry points)', String(total('values') + total('types')), String(total('values')), String(total('types')), '', '', '', '', '', '']);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  if (args.includes('--names')) {
    for (const s of surfaces) {
      console.log(`\n${s.module} (${s.file})\n  values: ${s.values.join(', ')}\n  types: ${s.types.join(', ')}`);
      if (s.optionalWithoutDefault.length > 0) console.log(`  Props/Options fields optional without @default: ${s.optionalWithoutDefault.join(', ')}`);
      if (s.allOptionalWithoutDefault.length > 0) console.log(`  interface fields optional without @default: ${s.allOptionalWithoutDefault.join(', ')}`);
    }
  }
}
