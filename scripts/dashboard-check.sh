#!/usr/bin/env bash
# The dashboard in a real browser: the cluster as processes under load from switchyard-load, the
# OpenAI front door's requests of two API keys rated, GET /dashboard opened in headless Chromium
# (Debian's `chromium`, installed when missing) until it shows live data; the page's figures are
# checked against the gateway's /metrics and the outcome store, a JavaScript error fails it, and a
# screenshot is saved (run/dashboard-check/dashboard.png unless --screenshot says where).
#
#   scripts/dashboard-check.sh [--bin DIR] [--port-base P] [--rate N] [--seconds S] [--screenshot FILE]
#
# --bin defaults to the release build (built when missing); the test command passes the debug one.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
run_in_chromium scripts/lib/dashboard_check.py "$@"
