#!/usr/bin/env bash
# Installs dependencies, builds, and runs the end-to-end community-budget demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
dir=${1:-demo-ledger}
rm -rf "$dir"
./build/cli/fundtrail demo "$dir"
./build/verifier/fundtrail-verify "$dir"
