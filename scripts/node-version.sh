# Sourced by the scripts that need Node.js (scripts/test.sh, scripts/example.sh, .ci/run): whether a node executable
# is one flux-fleet runs on, 22.22.2+ or 24.15+ (package.json's engines, what the sigstore packages ask for; 22.12 is
# the first 22.x that require()s an ES module without a flag, which CommonJS consumers need).
node_is_recent() {
  "$1" -e 'const [a, b, c] = process.versions.node.split(".").map(Number);
    const ok = a > 24 || (a === 24 && b >= 15) || (a === 22 && (b > 22 || (b === 22 && c >= 2)));
    process.exit(ok ? 0 : 1)' >/dev/null 2>&1
}

# Stops with a clear message when the node on PATH is not one flux-fleet runs on.
require_recent_node() {
  if ! node_is_recent node; then
    echo "error: flux-fleet needs Node.js 22.22.2 or newer 22.x, or 24.15 or newer; this is $(node --version 2>/dev/null || echo 'no Node.js') (bash .ci/run installs one by itself)" >&2
    exit 1
  fi
}
