#!/usr/bin/env bash
# Consumer check: proves that a packed flux-fleet tarball installs from npm's point of view, synthesizes a
# Kustomization reconciling an OCIRepository, and synthesizes a fleet's config repo that its own command line
# accepts, in three throwaway projects:
#   esm    "type": "module", TypeScript with module NodeNext: `tsc --noEmit`, then run with tsx, with entry-points.ts
#          (every entry point but flux-fleet/pulumi, whose check is pulumi-consumer.sh) and `import()` of each subpath
#          by plain node; then the fleet
#          program (fleet.ts) into fleet/, which `npx flux-fleet validate fleet` must accept (exit 0), and a copy
#          with an interval of "5 minutes" that it must reject (exit 1, naming the file and the value);
#   cjs    a project shaped like `cdk8s init typescript-app`: no "type", module commonjs, moduleResolution node,
#          strict; run with plain require() (of each entry point), with ts-node (type-checking on), so `import`
#          compiles to require() of the ES module package, and with tsx, which resolves with "require" conditions
#          (main.ts and entry-points.ts: the subpaths' types found through "typesVersions"); then a fleet program with
#          two mistakes under tsx and ts-node: exit 1 and exactly the report of broken-fleet.expected on stderr;
#   cdk8s  a `cdk8s init typescript-app` project (cdk8s.yaml, cdk8s-cli from the npm registry) whose main.ts is the
#          fleet program: `npx cdk8s synth` into dist/, the tree checked, `npx flux-fleet validate dist`, then
#          `tsc --noEmit` as the project's `npm run compile` would check it (lib es2016, no skipLibCheck); then
#          `cdk8s synth` of the fleet with two mistakes: non-zero, the report's lines, no trace into flux-fleet.
# Each prints PASS or FAIL; any failure exits non-zero. The projects live under mktemp and are removed when every
# check passed (kept for a look otherwise). `flux-fleet validate` builds every kustomization.yaml folder with
# `kubectl kustomize`, so kubectl must be on PATH.
#
# Usage: .ci/consumer-check.sh <path/to/flux-fleet-X.Y.Z.tgz>
set -euo pipefail

if [[ $# -ne 1 || ! -f $1 ]]; then
  echo "usage: $0 <path/to/flux-fleet-X.Y.Z.tgz>" >&2
  exit 2
fi
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
files="$here/consumer"
work=$(mktemp -d "${TMPDIR:-/tmp}/flux-fleet-consumer.XXXXXX")

# Versions a consumer would pick today; typescript as `cdk8s init typescript-app` pins it.
CDK8S='cdk8s@^2.70.0'
CONSTRUCTS='constructs@^10.4.0'
TYPESCRIPT='typescript@5.9.x'
TYPES_NODE='@types/node@^22'
# cdk8s-cli as `cdk8s init` puts it in devDependencies (`npm view cdk8s-cli version` said 2.207.60 when this was set).
CDK8S_CLI='cdk8s-cli@^2.207.0'

check_label='consumer'
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# npm install, quiet: its output goes to a log that is shown only when it fails.
quiet_install() {
  local log=$1; shift
  if ! npm install --no-audit --no-fund --loglevel=error "$@" >"$log" 2>&1; then
    echo "  npm install $* failed:" >&2
    sed 's/^/    /' "$log" >&2
    return 1
  fi
}

# Says which of flux-fleet's peer dependencies npm installed because they are not marked optional.
note_peers() {
  local found=()
  for p in @pulumi/pulumi @pulumi/kubernetes; do
    [[ -d node_modules/$p ]] && found+=("$p")
  done
  if ((${#found[@]})); then
    echo "  note: npm installed the peer dependencies ${found[*]} into a cdk8s-only project (no peerDependenciesMeta optional)"
  fi
  return 0
}

# `flux-fleet validate <dir>` with the command line the tarball installed (npx --no: never one from the registry);
# prints its report, and fails unless it exits 0.
validate_ok() {
  local out rc=0
  out=$(npx --no flux-fleet validate "$1" 2>&1) || rc=$?
  echo "  npx flux-fleet validate $1 (exit $rc):"
  sed 's/^/    /' <<<"$out"
  if ((rc != 0)); then
    echo "  expected exit 0" >&2
    return 1
  fi
}

# Copies the tree $1 to $2, sets the first interval in $2/$3 to "5 minutes", and requires `flux-fleet validate $2`
# to exit 1 with a report line that names the file and the bad value.
validate_broken() {
  local good=$1 bad=$2 file=$3 out rc=0
  rm -rf "$bad" && cp -R "$good" "$bad"
  node -e '
    const fs = require("fs");
    const file = process.argv[1];
    const text = fs.readFileSync(file, "utf8");
    const broken = text.replace(/^(\s+interval:) \S+$/m, "$1 5 minutes");
    if (broken === text) { console.error(`  no interval to break in ${file}`); process.exit(1); }
    fs.writeFileSync(file, broken);
  ' "$bad/$file"
  out=$(npx --no flux-fleet validate "$bad" 2>&1) || rc=$?
  echo "  npx flux-fleet validate $bad, a copy with interval \"5 minutes\" in $file (exit $rc):"
  sed 's/^/    /' <<<"$out"
  if ((rc != 1)); then
    echo "  expected exit 1" >&2
    return 1
  fi
  if ! grep -F "$file" <<<"$out" | grep -qF '"5 minutes"'; then
    echo "  expected a line naming $file and the value \"5 minutes\"" >&2
    return 1
  fi
}

# report_ok <label> <command...>: runs a program whose synth fails, and requires exit 1 and, on stderr, exactly the
# report of broken-fleet.expected (one line per mistake, no stack trace), with nothing on stdout.
report_ok() {
  local label=$1 rc=0; shift
  "$@" >report.out 2>report.err || rc=$?
  if ((rc != 1)) || ! diff -u "$files/broken-fleet.expected" report.err >report.diff || [[ -s report.out ]]; then
    echo "  $label of broken-fleet.ts: expected exit 1 and the report alone on stderr, got exit $rc:" >&2
    sed 's/^/    /' report.diff report.out >&2
    return 1
  fi
  echo "  $label of broken-fleet.ts: exit 1, the $(($(wc -l <report.err) - 1))-line report alone"
}

check_esm() {
  local dir="$work/esm"
  mkdir -p "$dir" && cd "$dir"
  cat >package.json <<'EOF'
{ "name": "consumer-esm", "version": "0.0.0", "private": true, "type": "module" }
EOF
  cp "$files/main.ts" main.ts
  cp "$files/entry-points.ts" entry-points.ts
  cp "$files/tsconfig.esm.json" tsconfig.json
  cp "$files/verify-synth.mjs" verify-synth.mjs
  cp "$files/fleet.ts" fleet.ts
  cp "$files/flux-fleet.lock" flux-fleet.lock
  cp "$files/verify-fleet.mjs" verify-fleet.mjs
  quiet_install npm-install.log "$tarball" "$CDK8S" "$CONSTRUCTS" yaml@^2 "$TYPESCRIPT" tsx@^4 "$TYPES_NODE"
  node -p "'  installed flux-fleet@' + require('./node_modules/flux-fleet/package.json').version + ' from the tarball'"
  note_peers
  ./node_modules/.bin/tsc --noEmit -p tsconfig.json
  echo "  tsc --noEmit (module NodeNext): no errors"
  ./node_modules/.bin/tsx main.ts
  node verify-synth.mjs dist
  ./node_modules/.bin/tsx entry-points.ts
  # Plain node: import() of each entry point but pulumi, the package's "import" condition.
  node --input-type=module -e "
    for (const m of ['flux-fleet', 'flux-fleet/delivery', 'flux-fleet/output', 'flux-fleet/artifact', 'flux-fleet/cli']) {
      const names = Object.keys(await import(m));
      if (names.length === 0) throw new Error('import(' + m + ') exports nothing');
      console.log('  import(\"' + m + '\"): ' + names.length + ' exports');
    }"
  # The fleet program (its outdir from CDK8S_OUTDIR), then the package's command line on the tree it wrote.
  CDK8S_OUTDIR=fleet ./node_modules/.bin/tsx fleet.ts
  node verify-fleet.mjs fleet
  validate_ok fleet
  validate_broken fleet fleet-broken clusters/stg-eu-1/infra-configs.yaml
  local version
  # Through the installed bin (npx would take --version as its own option).
  version=$(./node_modules/.bin/flux-fleet --version)
  [[ $version == "flux-fleet $(node -p "require('./node_modules/flux-fleet/package.json').version")" ]] || { echo "  flux-fleet --version said: $version" >&2; return 1; }
  echo "  flux-fleet --version: $version"
}

check_cjs() {
  local dir="$work/cjs"
  mkdir -p "$dir" && cd "$dir"
  cat >package.json <<'EOF'
{ "name": "consumer-cjs", "version": "1.0.0", "private": true, "main": "main.js", "types": "main.ts" }
EOF
  cp "$files/main.ts" main.ts
  cp "$files/entry-points.ts" entry-points.ts
  cp "$files/tsconfig.cjs.json" tsconfig.json
  cp "$files/verify-synth.mjs" verify-synth.mjs
  cp "$files/broken-fleet.ts" broken-fleet.ts
  quiet_install npm-install.log "$tarball" "$CDK8S" "$CONSTRUCTS" yaml@^2 "$TYPESCRIPT" ts-node@^10 tsx@^4 "$TYPES_NODE"
  node -p "'  installed flux-fleet@' + require('./node_modules/flux-fleet/package.json').version + ' from the tarball'"
  note_peers
  # Plain require() first: the package's "require" condition, an ES module loaded by require().
  node -e "const f = require('flux-fleet'); if (typeof f.FluxApp !== 'function') throw new Error('require(\"flux-fleet\").FluxApp is ' + typeof f.FluxApp); console.log('  require(\"flux-fleet\"): ' + Object.keys(f).length + ' exports')"
  node -e "
    for (const m of ['flux-fleet/delivery', 'flux-fleet/output', 'flux-fleet/artifact', 'flux-fleet/cli']) {
      const names = Object.keys(require(m));
      if (names.length === 0) throw new Error('require(' + m + ') exports nothing');
      console.log('  require(\"' + m + '\"): ' + names.length + ' exports');
    }"
  # The same as `npx ts-node main.ts`, without npx's lookups: ts-node type-checks, then runs the CommonJS output.
  ./node_modules/.bin/ts-node main.ts
  node verify-synth.mjs dist
  # tsx in a CommonJS project resolves flux-fleet's imports with "require" conditions.
  rm -rf dist
  ./node_modules/.bin/tsx main.ts
  node verify-synth.mjs dist
  echo "  tsx main.ts in the CommonJS project: synthesized"
  # Every entry point through ts-node (type-checked, moduleResolution node: the subpaths' types by "typesVersions")
  # and tsx.
  ./node_modules/.bin/ts-node entry-points.ts
  ./node_modules/.bin/tsx entry-points.ts
  report_ok 'tsx' ./node_modules/.bin/tsx broken-fleet.ts
  report_ok 'ts-node' ./node_modules/.bin/ts-node broken-fleet.ts
}

check_cdk8s() {
  local dir="$work/cdk8s" rc=0
  mkdir -p "$dir" && cd "$dir"
  # The files `cdk8s init typescript-app` writes, with no imports: flux-fleet brings its own constructs.
  cat >cdk8s.yaml <<'EOF'
language: typescript
app: npx ts-node main.ts
imports: []
EOF
  cat >package.json <<EOF
{
  "name": "consumer-cdk8s",
  "version": "1.0.0",
  "main": "main.js",
  "types": "main.ts",
  "license": "Apache-2.0",
  "private": true,
  "scripts": {
    "synth": "cdk8s synth",
    "compile": "tsc --build"
  },
  "dependencies": {
    "cdk8s": "${CDK8S#cdk8s@}",
    "constructs": "${CONSTRUCTS#constructs@}",
    "flux-fleet": "file:$tarball"
  },
  "devDependencies": {
    "cdk8s-cli": "${CDK8S_CLI#cdk8s-cli@}",
    "@types/node": "${TYPES_NODE#@types/node@}",
    "typescript": "${TYPESCRIPT#typescript@}",
    "ts-node": "^10",
    "yaml": "^2"
  }
}
EOF
  cp "$files/fleet.ts" main.ts
  cp "$files/flux-fleet.lock" flux-fleet.lock
  cp "$files/tsconfig.cjs.json" tsconfig.json
  cp "$files/verify-fleet.mjs" verify-fleet.mjs
  # cdk8s-cli brings some 150 packages: take their metadata from npm's cache when it has them (what the two
  # consumers above installed was just looked up afresh), which saves several seconds of registry round trips.
  quiet_install npm-install.log --prefer-offline
  node -p "'  installed flux-fleet@' + require('./node_modules/flux-fleet/package.json').version + ' from the tarball, cdk8s-cli@' + require('./node_modules/cdk8s-cli/package.json').version"
  note_peers
  # Before every command cdk8s-cli asks http://registry.npmjs.org for a newer version of itself; its option
  # --check-upgrade, here through the CDK8S_ environment prefix, turns that off. Synth then makes no network request
  # (imports: [], no validations): it runs the app of cdk8s.yaml with CDK8S_OUTDIR=dist.
  CDK8S_CHECK_UPGRADE=false npx --no cdk8s synth >synth.log 2>&1 || rc=$?
  if ((rc != 0)); then
    echo "  npx cdk8s synth failed (exit $rc):" >&2
    sed 's/^/    /' synth.log >&2
    return 1
  fi
  echo "  npx cdk8s synth (app: npx ts-node main.ts): $(grep -c '^  - ' synth.log) manifests under dist/"
  node verify-fleet.mjs dist
  validate_ok dist
  # Last, what the project's `npm run compile` (tsc --build, lib es2016, no skipLibCheck) checks, flux-fleet's
  # declarations included, without writing .js files next to the sources. (ts-node, which synth ran, reports
  # errors in main.ts only.)
  ./node_modules/.bin/tsc --noEmit -p tsconfig.json
  echo "  tsc --noEmit (module commonjs, as npm run compile): no errors"
  # A fleet with mistakes: cdk8s synth fails, showing the report and no stack trace.
  cp "$files/broken-fleet.ts" main.ts
  rc=0
  CDK8S_CHECK_UPGRADE=false npx --no cdk8s synth >synth-broken.log 2>&1 || rc=$?
  if ((rc == 0)) || ! grep -qxF '  [shop/<cluster>] wave 0 is not a wave number; use a whole number from 1 to 999 (on cluster prod-eu-1)' synth-broken.log \
    || grep -qE 'flux-fleet/(src|lib)/|errors: \[' synth-broken.log; then
    # cdk8s-cli may print a trace of its own when the app fails; none may point into flux-fleet or dump its errors.
    echo "  npx cdk8s synth of broken-fleet.ts: expected a non-zero exit, the report and no trace into flux-fleet (exit $rc):" >&2
    sed 's/^/    /' synth-broken.log >&2
    return 1
  fi
  echo "  npx cdk8s synth of broken-fleet.ts: exit $rc, the report and no trace into flux-fleet"
}


echo "consumer check of $(basename "$tarball") with node $(node --version), npm $(npm --version 2>/dev/null)"
run_check esm 'ES module project, TypeScript NodeNext (tsc --noEmit, tsx, flux-fleet validate)'
run_check cjs 'CommonJS project as cdk8s init typescript-app makes it (require, ts-node and tsx; the report of a failed synth)'
run_check cdk8s 'cdk8s init typescript-app project with cdk8s-cli (cdk8s synth of a fleet, flux-fleet validate)'

if ((failed == 0)); then
  rm -rf "$work"
fi
echo "consumer-check: $passed passed, $failed failed"
((failed == 0))
