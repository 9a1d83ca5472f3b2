#!/usr/bin/env bash
# Installs what the tests need beyond the build (Debian 12, as root): redis-server for
# the multi-node tests, Chromium for the browser tests, Node.js with npm, and the npm
# packages of tests/web (playwright-core drives Debian's Chromium; it downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-server chromium fonts-dejavu-core)
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

(cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
