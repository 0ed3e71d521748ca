#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds, checks the generated protobuf-c code is
# current, checks deploy/, runs `swift test` (the end-to-end tests start the built executables),
# builds the container image, runs the cluster across network-namespace hosts under network
# faults, then the Python clients against the Swift services (the OpenAI SDK against the
# gateway's front door, with LiteLLM's proxy and an https server as its upstreams).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages
# The Python environments (pip downloads and unpacks, mostly waiting on the network) are made
# while Swift builds; their output is shown if they fail.
python_setup_log=$(mktemp)
(ensure_python_env && ensure_litellm) >"$python_setup_log" 2>&1 &
python_setup=$!

log "building"
swift build

if ! wait "$python_setup"; then
  cat "$python_setup_log" >&2
  echo "test.sh: setting up the Python environments failed" >&2
  exit 1
fi
cat "$python_setup_log" >&2

log "checking the generated protobuf-c code (protoc with the Python environment's protobuf)"
scripts/gen-proto.sh --check

log "checking deploy/"
scripts/check-deploy.sh "$(swift build --show-bin-path)"

log "swift test (unit tests, then the cluster end to end as processes)"
swift test

log "container image (scripts/image.sh --debug: every executable and a router answering Health from the image)"
scripts/image.sh --debug

log "network faults across hosts (scripts/netlab.sh faults --debug: namespaces, loss, cut links, the coordinator flapping, the embedding service gone)"
scripts/netlab.sh faults --debug

log "Python client tests"
clients/python/generate.sh
SWITCHYARD_LITELLM="$SWITCHYARD_LITELLM_ENV/bin/litellm" "$SWITCHYARD_PYTHON_ENV/bin/python" -m pytest -q clients/python/tests

log "all tests passed"
