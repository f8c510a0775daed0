import { javascript, typescript, TextFile } from 'projen';

// The package's entry points: the fleet model and the Flux kinds at the root, the rest under named subpaths (see
// ARCHITECTURE.md). Each maps to its index module under src/ (lib/ once compiled); exports, typesVersions and the
// paths the tests and examples resolve the package by all follow from this list.
const ENTRY_POINTS: Record<string, string> = {
  '.': 'index',
  './delivery': 'delivery/index',
  './output': 'output/index',
  './artifact': 'flux/artifact/index',
  './pulumi': 'frontends/pulumi/index',
  './cli': 'frontends/cli/index',
};
const moduleName = (subpath: string) => (subpath === '.' ? 'flux-fleet' : `flux-fleet/${subpath.slice(2)}`);

const project = new typescript.TypeScriptProject({
  name: 'flux-fleet',
  description: 'Declare a fleet of Kubernetes clusters in TypeScript and synthesize its Flux GitOps config repo.',
  defaultReleaseBranch: 'main',
  license: 'Apache-2.0',
  copyrightOwner: 'The flux-fleet authors',
  projenrcTs: true,
  projenrcTsOptions: { runner: typescript.TypeScriptRunner.tsx() },
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '22.22.2',
  typescriptVersion: '~5.9.3',
  github: false,
  release: false,
  depsUpgrade: false,
  buildWorkflow: false,
  pullRequestTemplate: false,
  sampleCode: false,
  docgen: false,
  package: false,
  bin: { 'flux-fleet': 'lib/frontends/cli/bin.js' },
  keywords: ['flux', 'fluxcd', 'gitops', 'cdk8s', 'kubernetes', 'fleet', 'oci', 'pulumi'],
  deps: [
    'cdk8s@^2.70.0',
    'constructs@^10.4.0',
    'cdk8s-plus-34@^2.0.0',
    // CEL: the CRDs' validation rules, and the expressions Flux evaluates (the tests' cluster simulator uses it too).
    '@marcbachmann/cel-js@^8.0.0',
    'yaml@^2.8.0',
    '@sigstore/bundle@^5.0.1',
    '@sigstore/core@^4.0.1',
    '@sigstore/sign@^5.1.0',
    '@sigstore/verify@^4.1.3',
    '@sigstore/tuf@^4.0.2',
    '@sigstore/protobuf-specs@^0.5.2',
  ],
  peerDeps: [
    '@pulumi/pulumi@^3.150.0',
    '@pulumi/kubernetes@^4.20.0',
  ],
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    '@pulumi/pulumi@^3.270.0',
    '@pulumi/kubernetes@^4.34.0',
    'typedoc@^0.28.0',
    'typedoc-plugin-markdown@^4.8.0',
    'tsx@^4.20.0',
    '@sigstore/mock@^0.13.0',
    // The generated CI checked by GitHub's own workflow parser, and by GitLab's CI schema (JSON Schema).
    '@actions/workflow-parser@^0.3.61',
    'ajv@^8.17.0',
  ],
  jestOptions: {
    jestVersion: '^30',
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    configFilePath: 'jest.config.json',
    coverage: false,
    junitReporting: false,
    jestConfig: {
      preset: 'ts-jest/presets/default-esm',
      testEnvironment: 'node',
      collectCoverage: false,
      extensionsToTreatAsEsm: ['.ts'],
      moduleNameMapper: {
        '^(\\.{1,2}/.*)\\.js$': '$1',
        ...Object.fromEntries(Object.entries(ENTRY_POINTS).map(([subpath, file]) => [`^${moduleName(subpath)}$`, `<rootDir>/src/${file}.ts`])),
      },
      coverageProvider: 'v8' as any,
    },
  },
  tsJestOptions: {
    transformOptions: { useESM: true },
  },
  tsconfig: {
    compilerOptions: {
      module: 'NodeNext',
      moduleResolution: javascript.TypeScriptModuleResolution.NODE_NEXT,
      target: 'ES2023',
      lib: ['ES2023'],
      declaration: true,
      stripInternal: true,
      esModuleInterop: true,
      isolatedModules: true,
      skipLibCheck: true,
    },
  },
  tsconfigDev: {
    compilerOptions: {
      // Tests import the examples, which import the package by name.
      paths: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([subpath, file]) => [moduleName(subpath), [`../src/${file}.ts`]])),
      module: 'NodeNext',
      moduleResolution: javascript.TypeScriptModuleResolution.NODE_NEXT,
      target: 'ES2023',
      lib: ['ES2023'],
      esModuleInterop: true,
      isolatedModules: true,
      skipLibCheck: true,
    },
  },
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'examples', 'scripts'], prettier: false },
});

// ESM package that CommonJS consumers load through require(esm) (Node 22.12+; the sigstore packages need 22.22.2+ or 24.15+).
project.package.addField('type', 'module');
project.package.addField('exports', {
  ...Object.fromEntries(Object.entries(ENTRY_POINTS).map(([subpath, file]) => [subpath, {
    'types': `./lib/${file}.d.ts`,
    'module-sync': `./lib/${file}.js`,
    'import': `./lib/${file}.js`,
    'require': `./lib/${file}.js`,
    'default': `./lib/${file}.js`,
  }])),
  './package.json': './package.json',
});
project.package.addField('sideEffects', false);
// For consumers whose moduleResolution ignores "exports" (node10, as `pulumi new typescript` sets it).
project.package.addField('typesVersions', {
  '*': Object.fromEntries(Object.entries(ENTRY_POINTS).filter(([subpath]) => subpath !== '.').map(([subpath, file]) => [subpath.slice(2), [`lib/${file}.d.ts`]])),
});
project.package.addField('engines', { node: '^22.22.2 || >=24.15.0' });
project.package.addField('peerDependenciesMeta', {
  '@pulumi/pulumi': { optional: true },
  '@pulumi/kubernetes': { optional: true },
});

// Jest runs on Node's ESM loader: the package is an ES module.
project.testTask.reset();
project.testTask.exec('tsc --noEmit -p examples/tsconfig.json', { name: 'type-check the examples' });
project.testTask.exec('node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --ci', {
  receiveArgs: true,
});
// Lint findings fail the build rather than being fixed silently.
const lint = project.addTask('lint', {
  description: 'Run eslint without fixing anything (the eslint task fixes what it can); a warning fails it too',
  env: { ESLINT_USE_FLAT_CONFIG: 'false', NODE_NO_WARNINGS: '1' },
  exec: 'eslint --ext .ts,.tsx --no-error-on-unmatched-pattern --max-warnings 0 src test examples scripts projenrc .projenrc.ts',
});
project.testTask.spawn(lint);
project.tasks.tryFind('test:update')?.reset(
  'node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --updateSnapshot', { receiveArgs: true });
project.tasks.tryFind('test:watch')?.reset(
  'node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --watch');

// The layers import in one direction (see ARCHITECTURE.md): flux <- fleet <- output, delivery <- frontends. Delivery
// may read output's release manifest and render a cluster's config tree, the one sideways path decided; output never
// imports delivery.
const layer = (dir: string) => `./src/${dir}`;
project.eslint?.addRules({
  'import/no-restricted-paths': ['error', {
    zones: [
      { target: layer('flux'), from: [layer('fleet'), layer('output'), layer('delivery'), layer('frontends')], message: 'layer 1 (flux) imports nothing above it' },
      { target: layer('fleet'), from: [layer('output'), layer('delivery'), layer('frontends')], message: 'layer 2 (fleet) imports only layer 1' },
      { target: layer('output'), from: [layer('delivery'), layer('frontends')], message: 'output (layer 3) imports only layers 1 and 2' },
      { target: layer('delivery'), from: layer('frontends'), message: 'delivery (layer 3) imports no front end' },
      {
        target: layer('delivery'),
        from: layer('output'),
        except: ['./release-manifest.ts', './writer/config-tree.ts', './writer/render.ts'],
        message: 'delivery reads only output\'s release manifest and config-tree rendering',
      },
    ],
  }],
});

// Every error flux-fleet throws is a FluxFleetError (src/flux/core/errors.ts), whose code the command line maps to an
// exit status: no plain Error is made in src/. One that can only mean a bug in flux-fleet says so in a comment beside an
// eslint-disable-next-line.
const BUILT_IN_ERRORS = '/^(Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)$/';
project.eslint?.addOverride({
  files: ['src/**/*.ts'],
  rules: {
    'no-restricted-syntax': ['error',
      {
        selector: `NewExpression[callee.name=${BUILT_IN_ERRORS}]`,
        message: 'Throw a FluxFleetError subclass (src/flux/core/errors.ts), e.g. ValidationError, so that the error has a code and the command line an exit status',
      },
      {
        selector: `CallExpression[callee.name=${BUILT_IN_ERRORS}]`,
        message: 'Throw a FluxFleetError subclass (src/flux/core/errors.ts), e.g. ValidationError, so that the error has a code and the command line an exit status',
      }],
  },
});

// The examples import 'flux-fleet', which examples/tsconfig.json maps to src/ (tsc above checks the imports).
project.eslint?.addOverride({ files: ['examples/**/*.ts'], rules: { 'import/no-unresolved': 'off' } });

// The API reference (API.md for the root, docs/api/ for the other entry points) is generated from the doc comments;
// with CI set, a stale one fails the build.
const docgen = project.addTask('docgen', {
  description: 'Generate the API reference (API.md, docs/api/*.md) from the doc comments (with CI set: fail when it is stale)',
  exec: 'tsx scripts/docgen.ts',
});
project.postCompileTask.spawn(docgen);

project.addTask('bench', {
  description: 'Synth benchmark: fleets of 10, 100 and 1,000 clusters against the yaml and plain cdk8s baselines',
  exec: 'tsx scripts/bench.ts',
  receiveArgs: true,
});

const example = project.addTask('example', {
  description: 'Synthesize the examples: examples/fleet into examples/fleet/dist, examples/operator-fleet and examples/single-cluster likewise',
  exec: 'tsx --tsconfig examples/tsconfig.json examples/fleet/main.ts',
});
example.exec('tsx --tsconfig examples/tsconfig.json examples/operator-fleet/main.ts');
example.exec('tsx --tsconfig examples/tsconfig.json examples/single-cluster/main.ts');


project.gitignore.exclude('/dist/', '/examples/single-cluster/dist/', '/.tmp/', '*.tgz', '/examples/*/cdk8s.out/', '/test-reports/');
// Synth's cache beside each output folder (FluxAppProps.synthCache).
project.gitignore.exclude('.*.flux-fleet-cache');
// The package ships what the README links to: API.md, the examples' programs and the picture in docs/.
project.npmignore?.exclude('/scripts/', '/.ci/', '/test-reports/', '/examples/*/cdk8s.out/', '/examples/*/node_modules/');
project.gitattributes.addAttributes('/API.md', 'linguist-generated');
project.gitattributes.addAttributes('/docs/api/*.md', 'linguist-generated');

// jest's resolver (unrs-resolver) has a native binding per platform, all of which `npm ci` wants in the lock file;
// 1.12.2 is the newest release whose bindings the npm registry holds for every platform.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

new TextFile(project, '.nvmrc', { lines: ['24'] });

project.synth();
