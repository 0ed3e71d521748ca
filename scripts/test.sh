#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds, checks the generated protobuf-c code is
# current, checks deploy/, starts a PostgreSQL server for the store's tests, runs `swift test` (the
# end-to-end tests start the built executables),
# builds the container image, runs the cluster across network-namespace hosts under network
# faults and deploy/README's three-host example, then the Python clients against the Swift services
# (the OpenAI SDK against the gateway's front door, with LiteLLM's proxy and an https server as its
# upstreams), a short learning scenario through the cluster beside LiteLLM's adaptive router
# (scripts/learning-bench.sh --check), the dashboard in headless Chromium (scripts/dashboard-check.sh),
# then the documentation's examples as written (scripts/doctest.sh).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages
# The two Python environments (pip downloads and unpacks, mostly waiting on the network) are
# made side by side while Swift builds; their output is shown after the build.
setup_logs=$(mktemp -d)
ensure_python_env >"$setup_logs/python.txt" 2>&1 &
python_env=$!
ensure_litellm >"$setup_logs/litellm.txt" 2>&1 &
litellm_env=$!

log "building"
swift build
log "Swift build done; waiting for the Python environments"

for job in "python_env $python_env" "litellm $litellm_env"; do
  set -- $job
  if ! wait "$2"; then
    cat "$setup_logs"/*.txt >&2
    echo "test.sh: setting up the $1 environment failed" >&2
    exit 1
  fi
done
cat "$setup_logs"/*.txt >&2
log "build and Python environments ready"

log "checking the generated protobuf-c code (protoc with the Python environment's protobuf)"
scripts/gen-proto.sh --check

log "checking deploy/"
scripts/check-deploy.sh "$(swift build --show-bin-path)"

log "PostgreSQL for the store's tests (Debian's postgresql, a cluster in .build/postgres)"
start_postgres_server
trap stop_postgres_server EXIT
export SWITCHYARD_REQUIRE_POSTGRES=1

log "swift test (unit tests, then the cluster end to end as processes)"
swift test

log "container image (scripts/image.sh --debug: every executable and a router answering Health from the image)"
scripts/image.sh --debug

log "network faults across hosts (scripts/netlab.sh faults --debug: namespaces, loss, cut links, the coordinator flapping, the embedding service gone)"
SWITCHYARD_REQUIRE_NETLAB=1 scripts/netlab.sh faults --debug

log "deploy/README's three-host example (scripts/netlab.sh example --debug: the systemd units' command lines on three hosts, a streamed answer through the front door, a Reload through the coordinator)"
SWITCHYARD_REQUIRE_NETLAB=1 scripts/netlab.sh example --debug

log "Python client tests"
clients/python/generate.sh
SWITCHYARD_LITELLM="$SWITCHYARD_LITELLM_ENV/bin/litellm" "$SWITCHYARD_PYTHON_ENV/bin/python" -m pytest -q clients/python/tests

log "a short learning scenario (scripts/learning-bench.sh --check: GSM8K through the cluster with the learner, beside LiteLLM's adaptive router)"
SWITCHYARD_BIN="$(swift build --show-bin-path)" scripts/learning-bench.sh --scenarios gsm8k-a0.8-warm,alpaca6-a0.7-new-model \
  --seeds 42 --quick 400 --check 0.03 --out-dir run/learning-check --port-base 23000

log "the dashboard in headless Chromium (scripts/dashboard-check.sh: the cluster under switchyard-load, the page's figures against /metrics and the store, a screenshot in run/dashboard-check)"
scripts/dashboard-check.sh --bin "$(swift build --show-bin-path)" --port-base 24000

log "doc-tests: the examples of README.md and deploy/README.md marked doctest, run as written (scripts/doctest.sh)"
scripts/doctest.sh

log "all tests passed"
