#!/usr/bin/env bash
# Runs every test of flux-fleet on a fresh Debian machine, in one command: what the machine lacks
# (scripts/setup-test-machine.sh: docker-registry, skopeo, htpasswd, openssl, chromium, kubectl), the locked
# dependencies (npm ci), then the build the CI runs (npm run build: projen synth, compile, API.md, the examples'
# type-check, every jest test, eslint). Prints how long each step took. `.ci/run` calls this script.
#
# Usage: bash scripts/test.sh
set -euo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
source "$repo/scripts/node-version.sh"
require_recent_node

usec() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$t"; }
times=()
timed() {
  local name=$1 start
  shift
  start=$(usec)
  echo "==> $name"
  "$@"
  local d=$(( $(usec) - start ))
  times+=("$(printf '  %-8s %d.%ds' "$name" $((d / 1000000)) $((d % 1000000 / 100000)))")
}

timed system bash scripts/setup-test-machine.sh
timed 'npm ci' npm ci --no-audit --no-fund
timed build npm run build
printf 'Test steps:\n%s\n' "$(printf '%s\n' "${times[@]}")"
