#!/usr/bin/env bash
# The verifier's independence (DESIGN.md "Modules", firm): nothing in verifier/
# includes or links ledger/, interop/, server/ or accountability/, and the
# built fundtrail-verify holds no symbol of the writer's namespace. Also: the
# library layers point one way (interop/ and ledger/ never include cli/).
#
#   scripts/check-boundaries.sh [BUILD_DIR]   (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
fail=0
say() { echo "check-boundaries: $*" >&2; fail=1; }

# Includes, in the verifier's sources and its tests.
if hits=$(grep -rnE '#include *"(\.\./)*(ledger|interop|server|accountability)/' verifier tests/verifier); then
  say "the verifier includes the writer's code:"; echo "$hits" >&2
fi
# Links, as its CMake files state them.
if hits=$(grep -nE 'fundtrail_(ledger|interop|server|accountability|cli)\b' verifier/CMakeLists.txt verifier/*/CMakeLists.txt 2>/dev/null); then
  say "the verifier's CMake links the writer's libraries:"; echo "$hits" >&2
fi
# Layers: ledger/ and interop/ never reach up into cli/, server/ or accountability/.
if hits=$(grep -rnE '#include *"(cli|server|accountability)/' ledger interop 2>/dev/null); then
  say "a lower layer includes a higher one:"; echo "$hits" >&2
fi
# The built binary: the writer's code lives in namespace fundtrail (the schema's
# generated code, fundtrail::schema, is shared on purpose).
for bin in "$BUILD/verifier/fundtrail-verify" "$BUILD/verifier/witness/fundtrail-witness"; do
  [ -x "$bin" ] || { say "$bin is not built"; continue; }
  if hits=$(nm -C "$bin" | grep -E ' fundtrail::' | grep -vE ' fundtrail::schema::' | head -5) && [ -n "$hits" ]; then
    say "$bin holds symbols of the writer's namespace:"; echo "$hits" >&2
  fi
done
[ $fail -eq 0 ] && echo "check-boundaries: the verifier shares no code with the writer; layers point one way"
exit $fail
