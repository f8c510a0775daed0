#!/usr/bin/env bash
# Installs Debian's chromium for the test that loads fleet.html in headless Chromium
# (test/output/review/fleet-html-chromium.test.ts). Idempotent: does nothing when a Chromium is already on PATH
# (or CHROMIUM_BIN names one). Needs root, or sudo without a password.
set -euo pipefail
exec </dev/null

for bin in "${CHROMIUM_BIN:-}" chromium chromium-browser; do
  if [[ -n $bin ]] && command -v "$bin" >/dev/null 2>&1; then
    echo "chromium: $(command -v "$bin") ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: no Chromium on PATH and no apt-get to install it; install Chromium and set CHROMIUM_BIN to its path" >&2
  exit 1
fi
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "error: installing chromium needs root (or sudo without a password); run: apt-get install -y chromium" >&2
  exit 1
fi

echo "installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium >/dev/null
echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
