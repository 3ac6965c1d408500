#!/usr/bin/env bash
# Installs dependencies, builds, and runs the end-to-end community-budget demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the two programs the demo runs: the test suites and fuzz targets are
# the test command's (scripts/test.sh) to build.
BUILD_TARGETS="fundtrail fundtrail-verify" bash scripts/build.sh
dir=${1:-demo-ledger}
rm -rf "$dir"
./build/cli/fundtrail demo "$dir"
./build/verifier/fundtrail-verify "$dir"
