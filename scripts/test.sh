#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds everything and runs every test, each where it tells most within CI's time:
#  - optimised (Release: debug information adds some 40% to the compile time of the largest files):
#    the browser and Node tests of the web client, the benchmarks' smoke runs, the examples
#    and the chaos soak (timing-heavy, so against the optimised server); then installs and
#    packages that build, and checks its API reference builds without warnings;
#  - under AddressSanitizer and UndefinedBehaviorSanitizer: the library tests (GoogleTest),
#    and every test of an independent client against the server (tests/interop, on one node
#    and on a pair), the multi-node tests over Redis and the tools' tests, so that whatever
#    a client we did not write makes the server do is checked for memory errors;
#  - the multi-threaded tests (server_tests, client_tests) under ThreadSanitizer;
#  - 20 seconds of fuzzing per fuzz target (scripts/fuzz.sh).
# Both test builds replay the fuzz corpus and regressions (fuzz_replay_*). Each stage's
# duration is printed as it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
stage() { echo "== test.sh: $1 done after $((SECONDS - started)) s"; }

./scripts/install-deps.sh
./scripts/install-test-deps.sh
stage "installs"

jobs=$(nproc)
# Labels of the tests that run against the sanitized server only, and of those that run
# against the optimised one only.
sanitized_only='^(interop|interop_pair|cluster|tools|auth)$'
optimised_only='^(web|bench|chaos|examples)$'

# Every test must run: a missing test dependency fails the configuration.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCE_REQUIRE_WEB_TESTS=ON \
  -DPRESENCE_BUILD_UNIT_TESTS=OFF
cmake --build build -j "$jobs"
stage "optimised build"
ctest --test-dir build --output-on-failure -j "$jobs" -LE "$sanitized_only"
echo "screenshots of the demo page, taken by the browser tests:"
ls -1 "$PWD"/build/artifacts/*.png
stage "optimised tests"
./scripts/test-package.sh build
# The API reference: any Doxygen warning fails it.
cmake --build build --target api-docs
stage "packages and API reference"

cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPRESENCE_SANITIZE=address,undefined \
  -DPRESENCE_BUILD_BENCHMARKS=OFF -DPRESENCE_BUILD_EXAMPLES=OFF
cmake --build build-sanitize -j "$jobs"
stage "sanitized build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j "$jobs" -LE "$optimised_only"
stage "sanitized tests"

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
stage "ThreadSanitizer"

./scripts/fuzz.sh 20
stage "fuzzing"
