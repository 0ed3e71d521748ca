#!/usr/bin/env bash
# Runs every test: installs what the tests need, checks the generated protobuf-c code is current,
# builds, runs `swift test`, then the Python client against the Swift server.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages
ensure_python_env

log "checking the generated protobuf-c code"
scripts/gen-proto.sh --check

log "building"
swift build

log "swift test"
swift test

log "Python client tests"
clients/python/generate.sh
"$SWITCHYARD_PYTHON_ENV/bin/python" -m pytest -q clients/python/tests

log "all tests passed"
