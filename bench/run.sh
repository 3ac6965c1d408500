#!/usr/bin/env bash
# Runs the benchmarks. --quick: a 20,000-record ledger (CI smoke, < 1 minute);
# default: at least 1,000,000 records and 1,000,000 payments among 10,000
# parties (the verifier's targets are stated in records, the map's in
# payments: about 1.07M records; ~2 minutes on 2 cores).
# The last line printed is one JSON object of figures (DESIGN.md).
set -euo pipefail
cd "$(dirname "$0")/.."
records=1000000; payments=1000000; pays=15
case "${1:-}" in
  "") ;;
  --quick) records=20000; payments=0; pays=7 ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench/run.sh: unknown argument '$1' (use --quick, or nothing for the full run)" >&2; exit 2 ;;
esac
bash scripts/build.sh >&2
work=$(mktemp -d /tmp/fundtrail-bench.XXXXXX)
trap 'rm -rf "$work" "$work-lmdb"' EXIT
./build/bench/fundtrail-bench --records "$records" --min-payments "$payments" --parties 10000 --pays "$pays" --work "$work" \
  --fundtrail ./build/cli/fundtrail --verify ./build/verifier/fundtrail-verify --serve ./build/cli/fundtrail-serve
