#!/usr/bin/env bash
# Runs the benchmarks. --quick: a 20,000-record ledger (CI smoke, < 1 minute);
# default: at least 1,000,000 records and 1,000,000 payments among 10,000
# parties (the verifier's targets are stated in records, the map's in
# payments: about 1.07M records; ~2 minutes on 2 cores).
# The last line printed is one JSON object of figures (DESIGN.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >&2
records=1000000; payments=1000000; pays=15
if [ "${1:-}" = "--quick" ]; then records=20000; payments=0; pays=7; fi
work=$(mktemp -d /tmp/fundtrail-bench.XXXXXX)
trap 'rm -rf "$work" "$work-lmdb"' EXIT
./build/bench/fundtrail-bench --records "$records" --min-payments "$payments" --parties 10000 --pays "$pays" --work "$work" \
  --fundtrail ./build/cli/fundtrail --verify ./build/verifier/fundtrail-verify
