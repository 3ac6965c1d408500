#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (FUNDTRAIL_SANITIZE=ON) in build-asan (docs/reliability.md "Sanitizers").
#
#   scripts/sanitize.sh [unit]   (unit: only the unit tests, as .ci/run does)
#
# The CLI tests run the sanitized fundtrail and fundtrail-verify binaries, so
# a fault in either fails the test that ran it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${FUNDTRAIL_ASAN_BUILD:-$ROOT/build-asan}
JOBS=${JOBS:-$(nproc)}
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUNDTRAIL_SANITIZE=ON >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "${1:-}" = unit ]; then
  nice -n 5 cmake --build "$BUILD" -j "$JOBS" --target fundtrail_unit_tests
  # One process for the whole unit suite: faster than a process per test case.
  (cd "$BUILD/tests" && ./fundtrail_unit_tests --no-intro)
else
  nice -n 5 cmake --build "$BUILD" -j "$JOBS"
  ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure --timeout 900
fi
