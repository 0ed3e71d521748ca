#!/usr/bin/env bash
# What the dashboard costs the request path: gateway CPU per routed request under a fixed load
# from switchyard-load, the dashboard open (headless Chromium polling it) and closed in alternating
# rounds, medians and their ratio measured side by side (writes run/dashboard-bench/summary.json).
#
#   scripts/dashboard-bench.sh [--rate N] [--seconds S] [--rounds R] [--port-base P] [--bin DIR]
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
run_in_chromium scripts/lib/dashboard_bench.py "$@"
