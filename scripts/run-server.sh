#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds presence-server and runs it with its defaults (in-memory engine, page at /).
# Extra arguments go to the server, e.g. --port 9000.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build --target presence-server presence-cli -j "$(nproc)"
exec ./build/src/tools/presence-server --host 127.0.0.1 --port 8080 "$@"
