#!/usr/bin/env bash
# Benchmarks (not tests): builds release and prints the figures, each beside its yardstick measured
# in the same run. The machine is shared and noisy: compare ratios within one run.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages
log "building (release)"
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
run_dir="$SWITCHYARD_ROOT/run/bench"
mkdir -p "$run_dir"
cc -O2 -o "$run_dir/pingpong" tools/pingpong.c

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

log "message codec (protobuf-c through Swift)"
"$bin/switchyard-bench" codec

log "sequential round trip on loopback vs the raw ping-pong"
start_service "$run_dir" "$bin" switchyard-embed --log-level warning
pids+=("$service_pid")
"$run_dir/pingpong" 20000
"$bin/switchyard-bench" ping "127.0.0.1:$service_port" --count 20000

log "in-process route decision and hash embedder"
"$bin/switchyard-bench" route
