#!/usr/bin/env bash
# Installs fundtrail's build and test dependencies from Debian's packages,
# skipping what is already there. Uses sudo only when not root.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsodium-dev liblmdb-dev libcapnp-dev capnproto
      libcli11-dev libboost-graph-dev doctest-dev nlohmann-json3-dev libcsv-dev libcurl4-openssl-dev libssl-dev
      libcpp-httplib-dev ccache node-d3)
# node-d3: the HTML report inlines d3 (its map's force layout, zoom and pan)
# from the installed package at build time.
# What only the tests and the map's pictures use (graphviz draws `map export
# --format svg`, and brings ~100 MB of fonts and libraries); the demo
# (DEPS_FOR=demo) goes without, to be quick on a fresh machine.
[ "${DEPS_FOR:-}" = demo ] || pkgs+=(graphviz python3 python3-networkx lmdb-utils ledger chromium chromium-driver)
# chromium, chromium-driver: the report's tests open it in a real browser.
# ledger: the bench times ledger-cli's `bal` over the same transactions as the
# verifier (docs/performance.md); without it the ledger_cli_* figures are left out.
# python3-networkx: the map export tests read GraphML and JSON with NetworkX.
# They need NetworkX 3.6 or later (node_link_graph reads "edges" by default
# from 3.6 on); Debian 12 and 13 ship older ones, so they use the first
# python3 on PATH that has 3.6 (or $FUNDTRAIL_TEST_PYTHON) and fail without one.
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
