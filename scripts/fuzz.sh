#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, coverage in every
# library) in build-fuzz and runs each fuzz/fuzz_<name>.cpp for a bounded
# time from its seed corpus fuzz/corpus/<name>/ (docs/reliability.md "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, every target)
#
# New inputs go to build-fuzz/corpus/<name>/ (the committed seeds are read,
# never written); crashes to build-fuzz/artifacts/<name>/. Exit 1 if any target
# found a crash, leak, timeout or failed invariant: turn each artifact into a
# regression test (and a seed) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-60}
shift || true
BUILD=${FUNDTRAIL_FUZZ_BUILD:-$ROOT/build-fuzz}

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is missing; installing clang (libFuzzer comes with it)" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends clang
fi

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DFUNDTRAIL_FUZZ=ON -DFUNDTRAIL_SANITIZE=ON \
  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  for src in "$ROOT"/fuzz/fuzz_*.cpp; do TARGETS+=("$(basename "$src" .cpp)"); done
fi
nice -n 5 cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target "${TARGETS[@]}"

# LMDB, libsodium and Cap'n Proto are not instrumented; their allocations are
# not ours to judge, but a leak in our code is a finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${TARGETS[@]}"; do
  seeds="$ROOT/fuzz/corpus/$t"
  # fuzz/corpus/<target>/, or fuzz/corpus/<target without "fuzz_">/
  [ -d "$seeds" ] || [ ! -d "$ROOT/fuzz/corpus/${t#fuzz_}" ] || seeds="$ROOT/fuzz/corpus/${t#fuzz_}"
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  mkdir -p "$work" "$art" "$seeds"
  echo "== $t: ${SECONDS_EACH}s (seeds: $(ls "$seeds" | wc -l))"
  if ! "$BUILD/fuzz/$t" "$work" "$seeds" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
       -max_len=70000 -artifact_prefix="$art/" -print_final_stats=1 2>"$BUILD/$t.log"; then
    failed+=("$t")
    echo "   FAILED: see $BUILD/$t.log and $art/" >&2
    tail -n 30 "$BUILD/$t.log" >&2
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/$t.log" | sed 's/^/   /'
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#TARGETS[@]} targets ran ${SECONDS_EACH}s each without a finding"
