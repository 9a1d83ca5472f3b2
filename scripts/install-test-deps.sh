#!/usr/bin/env bash
# Installs what the tests need beyond the build (Debian 12, as root): redis-server for
# the multi-node tests, Chromium for the browser tests, Node.js with npm, and the npm
# packages of tests/web (playwright-core drives Debian's Chromium; it downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-server chromium fonts-dejavu-core)
command -v npm >/dev/null || packages+=(nodejs npm)

scripts/apt-install.sh "${packages[@]}"

(cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
