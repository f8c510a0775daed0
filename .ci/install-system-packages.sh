#!/usr/bin/env bash
# Installs the Debian packages the tests run for real, skipping those already installed:
#   docker-registry  the OCI registry the delivery tests push to (started on loopback ports by the tests)
#   skopeo           reads the pushed artifacts back, independently of flux-fleet's client
#   apache2-utils    htpasswd, for the registry's basic-auth test
#   openssl          the token service's signing certificate in the bearer-token test
# Runs `apt-get update` once, only when something is missing. Needs root (or sudo) and Debian's archive.
set -euo pipefail

packages=(docker-registry skopeo apache2-utils openssl)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "system packages: all installed (${packages[*]})"
  exit 0
fi

sudo=''
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: installing ${missing[*]} needs root or sudo" >&2; exit 1; }
  sudo='sudo'
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package starts no registry here (no systemd); if an init system started one on port 5000, it is not ours to stop,
# and the tests use ports of their own.
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || { echo "error: $p did not install" >&2; exit 1; }
done
echo "system packages: installed ${missing[*]}"
