/**
 * Generates the API reference from the doc comments of the public API, one file per entry point of the package (each
 * subpath of package.json's `exports`): API.md at the repository root for `flux-fleet` (the fleet model and the Flux
 * kinds), with an index of every entry point, and docs/api/<subpath>.md for each other one (`flux-fleet/delivery`,
 * `flux-fleet/output`, `flux-fleet/artifact`, `flux-fleet/pulumi`, `flux-fleet/cli`).
 *
 * TypeDoc converts the sources of each entry point and typedoc-plugin-markdown renders them, as one page, into a
 * temporary folder; each page is then written, under our own title, to its file. The output is deterministic: no
 * dates, no source links, no absolute paths, so the same source gives byte-identical files.
 *
 * Usage:
 *   tsx scripts/docgen.ts            write the files (only those that changed)
 *   tsx scripts/docgen.ts --check    compare only: exit 1 when a file is missing or stale
 *
 * With the environment variable CI set (non-empty and not "false"), it always runs as with `--check`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, CommentTag, Converter, LogLevel, ProjectReflection, TSConfigReader, TypeDocOptions } from 'typedoc';

// TypeDoc and the markdown plugin sort names with String#localeCompare and make anchors with #toLocaleLowerCase, in
// the default locale, which Node takes from LANG and LC_ALL: with tr_TR, say, `I` lowercases to `ı` and sorts
// elsewhere. Pin the locale of both, so that the reference is the same on every machine.
const LOCALE = 'en';
const { localeCompare, toLocaleLowerCase, toLocaleUpperCase } = String.prototype;
String.prototype.localeCompare = function (this: string, that: string, locales?: Intl.LocalesArgument, options?: Intl.CollatorOptions) {
  return localeCompare.call(this, that, locales ?? LOCALE, options);
};
String.prototype.toLocaleLowerCase = function (this: string, locales?: Intl.LocalesArgument) {
  return toLocaleLowerCase.call(this, locales ?? LOCALE);
};
String.prototype.toLocaleUpperCase = function (this: string, locales?: Intl.LocalesArgument) {
  return toLocaleUpperCase.call(this, locales ?? LOCALE);
};

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Entry {
  /** The `exports` subpath: `.` or `./<name>`. */
  readonly subpath: string;
  readonly module: string;
  /** The source of its types. */
  readonly file: string;
  /** The generated reference, relative to the repository root. */
  readonly output: string;
  readonly intro: string;
}

/** The package's entry points (its `exports`), each documented in a file of its own. */
const ENTRIES: readonly Entry[] = [
  {
    subpath: '.',
    module: 'flux-fleet',
    file: 'src/index.ts',
    output: 'API.md',
    intro: 'The user\'s model: the typed Flux kinds and their props, the fleet model (Fleet, Environment, Cluster, components and their sources, registries, signing, bootstrap, tenants, notifications, rollout, the lock), `FluxApp` and the errors: `import { ... } from \'flux-fleet\'`.',
  },
  {
    subpath: './delivery',
    module: 'flux-fleet/delivery',
    file: 'src/delivery/index.ts',
    output: 'docs/api/delivery.md',
    intro: 'How the desired state travels: the registry client, Flux artifacts pushed and read back, signing and verification, the release (push, promote, rollback, verify-release, the lease), the rollout on the clusters\' health, mirror and the lock\'s resolution, the CI pipeline as data, and the health the clusters report: `import { ... } from \'flux-fleet/delivery\'`.',
  },
  {
    subpath: './output',
    module: 'flux-fleet/output',
    file: 'src/output/index.ts',
    output: 'docs/api/output.md',
    intro: 'What synth writes and checks, read back: the config-repo writer, the tree validator, review (diff, the fleet picture, adoption of a running cluster), the release manifest and each cluster\'s bootstrap plan: `import { ... } from \'flux-fleet/output\'`.',
  },
  {
    subpath: './artifact',
    module: 'flux-fleet/artifact',
    file: 'src/flux/artifact/index.ts',
    output: 'docs/api/artifact.md',
    intro: 'Flux\'s OCI artifact format, reproducible: media types, digests, the deterministic tarball, packing and unpacking within limits: `import { ... } from \'flux-fleet/artifact\'`.',
  },
  {
    subpath: './pulumi',
    module: 'flux-fleet/pulumi',
    file: 'src/frontends/pulumi/index.ts',
    output: 'docs/api/pulumi.md',
    intro: 'The Pulumi component that bootstraps a cluster from the fleet, and its plan as plain data: `import { FluxBootstrap } from \'flux-fleet/pulumi\'` (needs the optional peer dependencies `@pulumi/pulumi` and `@pulumi/kubernetes`).',
  },
  {
    subpath: './cli',
    module: 'flux-fleet/cli',
    file: 'src/frontends/cli/index.ts',
    output: 'docs/api/cli.md',
    intro: 'The `flux-fleet` command line as a function, for a program that runs its commands in-process: `import { run } from \'flux-fleet/cli\'`.',
  },
];

const GENERATED = (entry: Entry) => [
  `<!-- Generated by scripts/docgen.ts from the doc comments of ${entry.file} and what it exports. Do not edit:`,
  '     change the doc comments, then run `npx projen docgen` (or `npx projen build`) and commit the result. -->',
].join('\n');

/** The title, the note and the index of the entry points, each linked from this file: the head of each generated file. */
function header(entry: Entry): string {
  const index = ENTRIES.map((e) => (e === entry ? `- \`${e.module}\` (this page)` : `- [\`${e.module}\`](${relative(dirname(entry.output), e.output)})`));
  return [`# API Reference: \`${entry.module}\``, '', GENERATED(entry), '', entry.intro, '', 'The entry points of the package:', '', ...index, ''].join('\n');
}

/** The entry points package.json's `exports` declares with types: ENTRIES must document exactly these. */
function declaredEntryPoints(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  return Object.entries(manifest.exports).filter(([, target]) => typeof target === 'object' && target !== null && 'types' in target).map(([subpath]) => subpath);
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci.toLowerCase() !== 'false';
}

/**
 * `@default - description` (the cdk and jsii convention) names no literal value: show the description as text.
 * TypeDoc wraps `@default` contents with no code in a code block; literal defaults (`10m`, `"sops"`) stay code.
 */
function tidyDefaultTag(tag: CommentTag): void {
  const [first] = tag.content;
  if (!first) return;
  if (tag.content.length === 1 && first.kind === 'code') {
    const match = /^```\w*\n- ([\s\S]*?)\n```$/.exec(first.text);
    if (match) tag.content = [{ kind: 'text', text: match[1] }];
  } else if (first.kind === 'text' && first.text.startsWith('- ')) {
    tag.content = [{ ...first, text: first.text.slice(2) }, ...tag.content.slice(1)];
  }
}

async function render(outDir: string, entry: string, primary: boolean): Promise<string> {
  // TypeDoc's own options are typed; typedoc-plugin-markdown's (below the router) are not exported as a type.
  const options: TypeDocOptions & Record<string, unknown> = {
    entryPoints: [join(ROOT, entry)],
    tsconfig: join(ROOT, 'tsconfig.json'),
    plugin: ['typedoc-plugin-markdown'],
    name: 'flux-fleet',
    readme: 'none',
    logLevel: LogLevel.Warn,
    // tsc has already type-checked the sources (docgen runs after compile); converting only is much faster.
    skipErrorChecking: true,
    // The public API only: no @internal (stripped from the .d.ts too), no private members, nothing inherited from
    // dependencies (Construct, App, Error).
    excludeInternal: true,
    excludePrivate: true,
    excludeExternals: true,
    // Determinism: no source links (they hold a git revision and paths), no git lookups.
    disableSources: true,
    disableGit: true,
    // A secondary entry point refers to types of the root (Fleet, Cluster), documented in API.md.
    validation: { notExported: primary, invalidLink: primary, rewrittenLink: true, notDocumented: false },
    // typedoc-plugin-markdown: one page for the one module, tables for members.
    router: 'module',
    entryFileName: 'index',
    hidePageHeader: true,
    hideBreadcrumbs: true,
    useCodeBlocks: true,
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    typeAliasPropertiesFormat: 'table',
    enumMembersFormat: 'table',
    propertyMembersFormat: 'table',
    typeDeclarationFormat: 'table',
    // The "Default value" column would show class field initializers only; `@default` tags go in the description.
    tableColumnSettings: { hideDefaults: true, hideSources: true },
  };
  const app = await Application.bootstrapWithPlugins(options, [new TSConfigReader()]);

  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of Object.values(context.project.reflections)) {
      for (const tag of reflection.comment?.blockTags ?? []) {
        if (tag.tag === '@default') tidyDefaultTag(tag);
      }
    }
  });

  const project: ProjectReflection | undefined = await app.convert();
  if (!project || app.logger.hasErrors()) {
    throw new Error(`TypeDoc could not convert ${entry}; see the errors above.`);
  }
  app.validate(project);
  await app.outputs.writeOutput({ name: 'markdown', path: outDir }, project);
  if (app.logger.hasErrors()) throw new Error('TypeDoc could not render the markdown; see the errors above.');

  const pages = readdirSync(outDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.md'));
  if (pages.length !== 1) {
    const names = pages.map((e) => relative(outDir, join(e.parentPath, e.name))).sort();
    throw new Error(`expected typedoc-plugin-markdown to render one page, got ${pages.length}: ${names.join(', ')}`);
  }
  return readFileSync(join(pages[0].parentPath, pages[0].name), 'utf8');
}

/** Our own head in place of the page title; LF line ends, no trailing spaces, one final newline. */
function finish(entry: Entry, page: string): string {
  const body = page.replace(/\r\n?/g, '\n').replace(/^# .*\n+/, '');
  return `${header(entry)}\n${body}`.replace(/[ \t]+$/gm, '').replace(/\n*$/, '\n');
}

/** The first line where two texts differ, 1-based, for the stale message. */
function firstDifference(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return i + 1;
  }
  return 0;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`docgen: unknown argument(s): ${unknown.join(' ')}\nusage: tsx scripts/docgen.ts [--check]`);
    return 2;
  }
  const check = args.includes('--check') || isCi();

  const declared = declaredEntryPoints();
  const documented = ENTRIES.map((e) => e.subpath);
  if (declared.join() !== documented.join()) {
    console.error(`docgen: package.json's exports declare ${declared.join(', ')}; scripts/docgen.ts documents ${documented.join(', ')}: make them the same.`);
    return 1;
  }

  const started = Date.now();
  let failed = false;
  let wrote = 0;
  for (const [i, entry] of ENTRIES.entries()) {
    const outDir = mkdtempSync(join(tmpdir(), 'flux-fleet-docgen-'));
    let generated: string;
    try {
      generated = finish(entry, await render(outDir, entry.file, i === 0));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
    const target = join(ROOT, entry.output);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (current === generated) continue;
    if (check) {
      const why = current === undefined
        ? `${entry.output} is missing`
        : `${entry.output} is stale: the doc comments of the source make a different one (first difference at line ${firstDifference(current, generated)})`;
      console.error(`docgen: ${why}.`);
      failed = true;
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, generated);
    console.log(`docgen: wrote ${entry.output}`);
    wrote++;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed) {
    console.error('docgen: run `npx projen build` (or `npx projen docgen`) without CI set, and commit the API reference.');
    return 1;
  }
  console.log(`docgen: ${wrote > 0 ? `wrote ${wrote} of ${ENTRIES.length} files of` : 'checked'} the API reference (${seconds}s)`);
  return 0;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  console.error(`docgen: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
