#!/usr/bin/env bash
# Builds everything and runs every test: once optimised, once under AddressSanitizer and
# UndefinedBehaviorSanitizer (which also run the independent-client tests against the
# sanitized server).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-test-deps.sh

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
echo "screenshots of the demo page, taken by the browser tests:"
ls -1 "$PWD"/build/artifacts/*.png

cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRESENCE_SANITIZE=address,undefined
cmake --build build-sanitize -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j "$jobs"
