#!/usr/bin/env bash
# What the dashboard costs the request path: gateway CPU per routed request under a fixed load
# from switchyard-load, the dashboard open (headless Chromium polling it) and closed in alternating
# rounds, medians and their ratio measured side by side (writes run/dashboard-bench/summary.json).
#
#   scripts/dashboard-bench.sh [--rate N] [--seconds S] [--rounds R] [--port-base P] [--bin DIR]
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
ensure_apt_packages
ensure_apt_packages chromium
bin=""
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -z "$bin" ]; then
  swift build -c release >&2
  bin=$(swift build -c release --show-bin-path)
fi
exec python3 scripts/lib/dashboard_bench.py --bin "$bin" "${args[@]}"
