#!/usr/bin/env bash
# What hostile or broken clients cost a service (issue: connections that cannot be abused),
# measured from outside with plain sockets (scripts/lib/abuse.py): a router's RSS under 2,000 idle
# connections, under 2,000 connections each sending a 4 MiB frame but its last byte, and under a
# client pipelining 300,000 Status requests without reading; the embedding service's Health
# latency while it embeds two 3 MB texts (refused at the default --max-text-bytes, and embedded
# when allowed). Prints one JSON line per case.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
ensure_apt_packages
ensure_python_env
swift build -c release
bin=$(swift build -c release --show-bin-path)
work=run/abuse
mkdir -p "$work"
python=$SWITCHYARD_PYTHON_ENV/bin/python
ulimit -n 20000

"$bin/switchyard" train --data data/routellm/gsm8k.jsonl.gz --out "$work/router.bin" >/dev/null 2>&1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

start() { # name port executable args...
  local name=$1 port=$2
  shift 2
  "$bin/$1" --port "$port" "${@:2}" --log-level error >"$work/$name.log" 2>&1 &
  pids+=($!)
  "$bin/switchyard" status --wait 20 "127.0.0.1:$port" >/dev/null
  echo $! >"$work/$name.pid"
}

start router 7601 switchyard-router --router-file "$work/router.bin"
router_pid=$(cat "$work/router.pid")
log "router: 2,000 idle connections"
"$python" scripts/lib/abuse.py idle 7601 "$router_pid" 2000
log "router: 2,000 half-sent 4 MiB frames"
"$python" scripts/lib/abuse.py half-sent 7601 "$router_pid" 2000
log "router: 300,000 pipelined Status requests, never read"
"$python" scripts/lib/abuse.py pipeline 7601 "$router_pid" 300000

start embed 7602 switchyard-embed
log "embedding service: Health while two 3 MB texts are sent (default limits: refused)"
"$python" scripts/lib/abuse.py health-during-embed 7602 3000000
start embed-large 7603 switchyard-embed --max-text-bytes 4000000
log "embedding service with --max-text-bytes 4000000: Health while two 3 MB texts are embedded"
"$python" scripts/lib/abuse.py health-during-embed 7603 3000000
