#!/usr/bin/env bash
# The main job on the built-in defaults: installs what is missing, builds release, evaluates the
# cluster router on the bundled GSM8K data against every baseline, trains a router on the bundled
# RouteLLM sets and routes a prompt with it, then starts the embedding service on a free port,
# calls it over the wire protocol, and stops it.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages
log "building (release)"
swift build -c release
bin=$(swift build -c release --show-bin-path)

run_dir="$SWITCHYARD_ROOT/run/demo"
mkdir -p "$run_dir"

log "evaluating the cluster router on GSM8K (70/30 split) against single models, random, oracle, kNN"
"$bin/switchyard" eval --data data/routellm/gsm8k.jsonl.gz --plot "$run_dir/gsm8k.svg"

log "training a router on MMLU + GSM8K and routing a prompt"
"$bin/switchyard" train --data data/routellm/mmlu.jsonl.gz --data data/routellm/gsm8k.jsonl.gz --out "$run_dir/router.bin"
"$bin/switchyard" route --router "$run_dir/router.bin" --alpha 0.7 \
  "A bakery sells 3 loaves for \$7. How much do 12 loaves cost, and how much is saved against \$2.50 each?"

log "starting switchyard-embed (log: run/demo/switchyard-embed.log)"
start_service "$run_dir" "$bin" switchyard-embed
pid=$service_pid
trap 'kill "$pid" 2>/dev/null || true' EXIT

log "calling it"
"$bin/switchyard" status "127.0.0.1:$service_port"

log "stopping it (SIGTERM, graceful)"
kill -TERM "$pid" && wait "$pid"
trap - EXIT
log "demo done"
