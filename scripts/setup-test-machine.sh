#!/usr/bin/env bash
# Sets up a Debian machine to run flux-fleet's tests (`npm run build`), installing only what is missing:
#   docker-registry  the OCI registry the delivery tests start on loopback ports
#   skopeo           reads pushed artifacts back, independently of flux-fleet's registry client
#   apache2-utils    htpasswd, for the registry's basic-auth test
#   openssl          the token service's certificate in the bearer-token test
#   chromium         the test that loads fleet.html in headless Chromium (skipped when CHROMIUM_BIN or a chromium
#                    is on PATH already)
#   kubectl          `kubectl kustomize` builds every synthesized folder (checked; installed from the apt archives
#                    configured on the machine when they carry a `kubectl` package)
# Runs `apt-get update` once, only when something is missing. Needs root, or sudo without a password.
# Idempotent: a second run installs nothing. scripts/test.sh (the README's test command, which .ci/run runs) calls it.
#
# Usage: bash scripts/setup-test-machine.sh
set -euo pipefail
exec </dev/null

packages=(docker-registry skopeo apache2-utils openssl)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
have_chromium=''
for bin in "${CHROMIUM_BIN:-}" chromium chromium-browser; do
  if [[ -n $bin ]] && command -v "$bin" >/dev/null 2>&1; then
    have_chromium=$(command -v "$bin")
    break
  fi
done
[[ -n $have_chromium ]] || missing+=(chromium)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)

if ((${#missing[@]} > 0)); then
  command -v apt-get >/dev/null 2>&1 || { echo "error: ${missing[*]} missing, and no apt-get to install them with; install them by hand" >&2; exit 1; }
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "error: installing ${missing[*]} needs root (or sudo without a password); run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "test machine: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq >/dev/null
  if ! "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "error: apt-get install ${missing[*]} failed" >&2
    if [[ " ${missing[*]} " == *' kubectl '* ]]; then
      echo "  kubectl is not in Debian's own archive: add Kubernetes' apt repository (or put a kubectl with kustomize v5 on PATH) and run this again" >&2
    fi
    exit 1
  fi
  # docker-registry starts no registry here (no systemd); if an init system started one on port 5000, the tests use
  # ports of their own.
fi

for p in "${packages[@]}"; do
  installed "$p" || { echo "error: $p did not install" >&2; exit 1; }
done
for bin in "${CHROMIUM_BIN:-}" chromium chromium-browser; do
  if [[ -n $bin ]] && command -v "$bin" >/dev/null 2>&1; then have_chromium=$(command -v "$bin"); break; fi
done
[[ -n $have_chromium ]] || { echo "error: no chromium on PATH after installing it" >&2; exit 1; }
command -v kubectl >/dev/null 2>&1 || { echo "error: no kubectl on PATH" >&2; exit 1; }

echo "test machine: ready"
echo "  ${packages[*]}: installed"
echo "  chromium: $have_chromium ($("$have_chromium" --version 2>/dev/null || echo 'version unknown'))"
echo "  kubectl: $(command -v kubectl) ($(kubectl version --client 2>/dev/null | tr '\n' ' ' || echo 'version unknown'))"
