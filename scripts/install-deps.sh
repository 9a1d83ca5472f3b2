#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages of the build, GoogleTest and the Python tests (Debian 12,
# as root). scripts/install-test-deps.sh adds what the multi-node and browser tests need.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libtomlplusplus-dev libedit-dev
  python3 python3-websockets
)

"$(dirname "$0")/apt-install.sh" "${packages[@]}"
