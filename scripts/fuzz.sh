#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzes each target of fuzz/ for SECONDS (default 20) with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, starting from a copy of its corpus and regressions (the
# repository is never written to), with its dictionary (fuzz/<target>.dict, else
# fuzz/protocol.dict). Prints executions, coverage and any crash; fails on a crash. Needs
# clang (scripts/install-test-deps.sh installs it).
#
#   scripts/fuzz.sh [SECONDS]
#
# The build tree is build-fuzz/ (clang, PRESENCE_FUZZ=ON: every library instrumented);
# FUZZ_BUILD_DIR names another. Each run leaves in the build tree run/<target>/ (the
# corpus it grew), run/<target>.log and artifacts/<target>/ (crash-*, leak-*, timeout-*).
#
# A longer run by hand, e.g. an hour for the service on both cores (`scripts/fuzz.sh 0`
# only builds; new inputs go to the first folder, the others are only read):
#   scripts/fuzz.sh 0 && mkdir -p build-fuzz/long/service
#   build-fuzz/fuzz/fuzz_service -dict=fuzz/protocol.dict -max_total_time=3600 -jobs=2 -workers=2 \
#     -artifact_prefix=build-fuzz/long/ build-fuzz/long/service fuzz/corpus/service fuzz/regressions/service
#
# A crash: reproduce with `build-fuzz/fuzz/fuzz_<target> FILE`, shrink it with
# `-minimize_crash=1 -runs=100000 FILE`, and keep it as fuzz/regressions/<target>/<what-broke>:
# the tests fuzz_replay_<target> replay every regression (and the corpus) in each build of
# scripts/test.sh, so it stays fixed once fixed.
#
# New corpus entries: scripted seeds come from fuzz/make_corpus.py (run it after changing the
# script format or the frame examples of docs/protocol.md). To keep what a run found, merge
# only the inputs that add coverage:
#   build-fuzz/fuzz/fuzz_<target> -merge=1 fuzz/corpus/<target> build-fuzz/run/<target>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(decode service token handshake)

# -O1 and line tables only, as fuzzing builds usually are: full debug information and -O2
# lengthen the build, and a crash's stack needs only the lines.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DPRESENCE_FUZZ=ON -DPRESENCE_SANITIZE=address,undefined -DPRESENCE_BUILD_TESTS=OFF
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
[ "$seconds" -gt 0 ] || exit 0

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=0
for target in "${targets[@]}"; do
  run="$build/run/$target"
  artifacts="$build/artifacts/$target/"
  log="$build/run/$target.log"
  rm -rf "$run" "$artifacts"
  mkdir -p "$run" "$artifacts"
  cp fuzz/corpus/"$target"/* "$run"/
  [ -d fuzz/regressions/"$target" ] && cp fuzz/regressions/"$target"/* "$run"/
  dict=fuzz/$target.dict
  [ -f "$dict" ] || dict=fuzz/protocol.dict
  status=0
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
    -dict="$dict" -artifact_prefix="$artifacts" "$run" >"$log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -n 1 || true)
  echo "fuzz_$target: ${executions:-?} executions (${per_second:-?}/s) in ${seconds} s; ${coverage:-no coverage line}"
  if [ "$status" -ne 0 ]; then
    failed=1
    echo "fuzz_$target FAILED (exit $status); its report, from $log:"
    grep -A 60 -m 1 -E '^==[0-9]+==|^broken:|runtime error|deadly signal|out-of-memory' "$log" || tail -n 60 "$log"
    ls -1 "$artifacts"
  fi
done
exit "$failed"
