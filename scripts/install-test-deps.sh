#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the tests need beyond the build (Debian 12, as root): redis-server for
# the multi-node tests, Chromium for the browser tests, Node.js with npm, the npm
# packages of tests/web (playwright-core drives Debian's Chromium; it downloads no browser),
# clang for the fuzz targets, openssl to make test certificates, PyJWT to sign test
# tokens with a library other than ours, dpkg-dev and file for CPack's Debian packages
# (dpkg-shlibdeps finds their dependencies), doxygen for the API reference,
# and gdb to show where a packaged consumer hangs, should it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-server chromium fonts-dejavu-core clang openssl python3-jwt python3-cryptography
          dpkg-dev file doxygen gdb)
command -v npm >/dev/null || packages+=(nodejs npm)

scripts/apt-install.sh "${packages[@]}"

(cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
