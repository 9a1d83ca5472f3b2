#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds everything and runs every test: once optimised (then installs and packages that
# build, and checks its API reference builds without warnings), once under AddressSanitizer and
# UndefinedBehaviorSanitizer (which also run the independent-client tests against the
# sanitized server). Both runs replay the fuzz corpus and regressions (fuzz_replay_*).
# Then the multi-threaded tests (server_tests, client_tests) under ThreadSanitizer, and a
# minute of fuzzing per fuzz target (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-test-deps.sh

jobs=$(nproc)
# Every test must run: a missing test dependency fails the configuration.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESENCE_REQUIRE_WEB_TESTS=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
echo "screenshots of the demo page, taken by the browser tests:"
ls -1 "$PWD"/build/artifacts/*.png
./scripts/test-package.sh build
# The API reference: any Doxygen warning fails it.
cmake --build build --target api-docs

cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRESENCE_SANITIZE=address,undefined \
  -DPRESENCE_REQUIRE_WEB_TESTS=ON
cmake --build build-sanitize -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j "$jobs"

# Only server_tests and client_tests are built here, and only the tests of a built GoogleTest
# executable are named Suite.Test: `-R '\.'` selects exactly theirs. Debug compiles in half
# the time of an optimised build. GCC warns (-Wtsan) in every Boost.Asio handler that
# ThreadSanitizer does not model std::atomic_thread_fence; Asio's handler queues are ordered
# by mutexes, which it does model.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRESENCE_SANITIZE=thread \
  -DCMAKE_CXX_FLAGS=-Wno-tsan
cmake --build build-tsan -j "$jobs" --target server_tests client_tests
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure -j "$jobs" -R '\.'

./scripts/fuzz.sh 60
