#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI (.ci/run) builds with warnings as errors; scripts/build.sh alone only warns.
bash scripts/build.sh -DFUNDTRAIL_WERROR=ON
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
