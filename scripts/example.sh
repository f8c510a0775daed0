#!/usr/bin/env bash
# Runs the examples on a fresh machine, in one command: the locked dependencies (npm ci), then `npm run example`,
# which synthesizes examples/fleet, examples/operator-fleet and examples/single-cluster into their dist/ folders.
#
# Usage: bash scripts/example.sh
set -euo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
source "$repo/scripts/node-version.sh"
require_recent_node
npm ci --no-audit --no-fund
npm run example
