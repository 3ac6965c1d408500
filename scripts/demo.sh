#!/usr/bin/env bash
# Installs dependencies, builds, and runs the end-to-end community-budget demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the two programs the demo runs, optimised without debug information
# (a third of the compile time): the test suites, fuzz targets and debug
# symbols are the test command's (scripts/test.sh) to build.
DEPS_FOR=demo BUILD_TYPE=${BUILD_TYPE:-Release} BUILD_TARGETS="fundtrail fundtrail-verify" bash scripts/build.sh \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG"
dir=${1:-demo-ledger}
rm -rf "$dir"
export FUNDTRAIL_PASSPHRASE=${FUNDTRAIL_PASSPHRASE:-fundtrail-demo}  # seals the demo's keys
./build/cli/fundtrail demo "$dir"
# The records alone: consistent with themselves, tied to no trusted key
# (result: CONSISTENT, not anchored).
./build/verifier/fundtrail-verify "$dir"
# Anchored: the log key as its owner publishes it and a checkpoint it signed
# (result: PASS; --require-anchor makes anything less exit 1).
./build/cli/fundtrail --ledger "$dir" checkpoint > "$dir/checkpoint.txt"
./build/verifier/fundtrail-verify "$dir" --log-key "$(./build/cli/fundtrail --ledger "$dir" log-key)" \
    --checkpoint "$dir/checkpoint.txt" --require-anchor
