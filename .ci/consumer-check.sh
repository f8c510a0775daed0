#!/usr/bin/env bash
# Consumer check: proves that a packed flux-fleet tarball installs from npm's point of view and synthesizes a
# Kustomization reconciling an OCIRepository, in two throwaway projects:
#   esm  "type": "module", TypeScript with module NodeNext: `tsc --noEmit`, then run with tsx;
#   cjs  a project shaped like `cdk8s init typescript-app`: no "type", module commonjs, moduleResolution node,
#        strict; run with ts-node (type-checking on), so `import` compiles to require() of the ES module package.
# Each prints PASS or FAIL; any failure exits non-zero. The projects live under mktemp and are removed when every
# check passed (kept for a look otherwise).
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

usec() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$t"; }
since() { local d=$(( $(usec) - $1 )); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }

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

check_esm() {
  local dir="$work/esm"
  mkdir -p "$dir" && cd "$dir"
  cat >package.json <<'EOF'
{ "name": "consumer-esm", "version": "0.0.0", "private": true, "type": "module" }
EOF
  cp "$files/main.ts" main.ts
  cp "$files/tsconfig.esm.json" tsconfig.json
  cp "$files/verify-synth.mjs" verify-synth.mjs
  quiet_install npm-install.log "$tarball" "$CDK8S" "$CONSTRUCTS" yaml@^2 "$TYPESCRIPT" tsx@^4 "$TYPES_NODE"
  node -p "'  installed flux-fleet@' + require('./node_modules/flux-fleet/package.json').version + ' from the tarball'"
  note_peers
  ./node_modules/.bin/tsc --noEmit -p tsconfig.json
  echo "  tsc --noEmit (module NodeNext): no errors"
  ./node_modules/.bin/tsx main.ts
  node verify-synth.mjs dist
}

check_cjs() {
  local dir="$work/cjs"
  mkdir -p "$dir" && cd "$dir"
  cat >package.json <<'EOF'
{ "name": "consumer-cjs", "version": "1.0.0", "private": true, "main": "main.js", "types": "main.ts" }
EOF
  cp "$files/main.ts" main.ts
  cp "$files/tsconfig.cjs.json" tsconfig.json
  cp "$files/verify-synth.mjs" verify-synth.mjs
  quiet_install npm-install.log "$tarball" "$CDK8S" "$CONSTRUCTS" yaml@^2 "$TYPESCRIPT" ts-node@^10 "$TYPES_NODE"
  node -p "'  installed flux-fleet@' + require('./node_modules/flux-fleet/package.json').version + ' from the tarball'"
  note_peers
  # Plain require() first: the package's "require" condition, an ES module loaded by require().
  node -e "const f = require('flux-fleet'); if (typeof f.FluxApp !== 'function') throw new Error('require(\"flux-fleet\").FluxApp is ' + typeof f.FluxApp); console.log('  require(\"flux-fleet\"): ' + Object.keys(f).length + ' exports')"
  # The same as `npx ts-node main.ts`, without npx's lookups: ts-node type-checks, then runs the CommonJS output.
  ./node_modules/.bin/ts-node main.ts
  node verify-synth.mjs dist
}

passed=0
failed=0
run_check() {
  local name=$1 what=$2 start rc
  start=$(usec)
  echo "--- consumer $name: $what"
  set +e
  (set -e; "check_$name")
  rc=$?
  set -e
  if ((rc == 0)); then
    passed=$((passed + 1))
    echo "PASS consumer $name ($(since "$start")s)"
  else
    failed=$((failed + 1))
    echo "FAIL consumer $name (exit $rc, $(since "$start")s; project kept in $work/$name)"
  fi
}

echo "consumer check of $(basename "$tarball") with node $(node --version), npm $(npm --version 2>/dev/null)"
run_check esm 'ES module project, TypeScript NodeNext (tsc --noEmit, tsx)'
run_check cjs 'CommonJS project as cdk8s init typescript-app makes it (ts-node, require of the ES module)'

if ((failed == 0)); then
  rm -rf "$work"
fi
echo "consumer-check: $passed passed, $failed failed"
((failed == 0))
