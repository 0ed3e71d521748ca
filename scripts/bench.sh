#!/usr/bin/env bash
# Benchmarks (not tests): builds release, starts the services it measures as processes on this
# machine, runs each figure beside its yardstick in the same run, prints them and writes the table
# into BENCHMARKS.md (between its bench markers). The machine is shared and noisy: compare ratios
# within one run, not across runs.
#
#   SWITCHYARD_BENCH_SECONDS  seconds recorded per load run (default 4; 1 s of warm-up is added)
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

seconds=${SWITCHYARD_BENCH_SECONDS:-4}
ensure_apt_packages
# The peers a user would put in front of routers instead of the coordinator, and wrk (an HTTP
# load generator) for the gateway's peer, LiteLLM's proxy.
ensure_apt_packages nginx libnginx-mod-stream haproxy wrk
ensure_litellm
litellm_env="$SWITCHYARD_LITELLM_ENV"
log "building (release)"
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
run_dir="$SWITCHYARD_ROOT/run/bench"
results="$run_dir/results"
rm -rf "$results"
mkdir -p "$run_dir" "$results"
cc -O2 -o "$run_dir/pingpong" tools/pingpong.c -lpthread
source scripts/lib/bench_services.sh

# nginx_start ROUTER_PORT...: nginx's stream module as a round-robin TCP proxy over the routers,
# 2 workers (one per core, as the coordinator's event loops); sets $port and $nginx_pids.
nginx_start() {
  port=$(free_port)
  local upstreams="" r
  for r in "$@"; do upstreams+="server 127.0.0.1:$r;"; done
  mkdir -p "$run_dir/nginx"
  cat >"$run_dir/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
pid $run_dir/nginx/nginx.pid;
error_log $run_dir/nginx/error.log warn;
events { worker_connections 1024; }
stream { upstream routers { $upstreams } server { listen 127.0.0.1:$port; proxy_pass routers; } }
CONF
  nginx_run "$run_dir/nginx"; nginx_pids=$started_pids
}
# haproxy_start ROUTER_PORT...: HAProxy in mode tcp, round robin over the routers, 2 threads;
# sets $port and $haproxy_pids.
haproxy_start() {
  port=$(free_port)
  local r i=0
  {
    printf 'global\n  nbthread 2\n  maxconn 4096\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
    printf 'frontend routers\n  bind 127.0.0.1:%s\n  default_backend replicas\nbackend replicas\n  balance roundrobin\n' "$port"
    for r in "$@"; do i=$((i + 1)); printf '  server r%s 127.0.0.1:%s\n' "$i" "$r"; done
  } >"$run_dir/haproxy.cfg"
  haproxy -f "$run_dir/haproxy.cfg" -db >"$run_dir/haproxy.log" 2>&1 &
  pids+=("$!")
  haproxy_pids=$!
  wait_port "$port"
}
# litellm_start: LiteLLM's proxy answering the gateway row's model with a mock response (no
# upstream call), 2 worker processes (one per core); sets $port and $litellm_pids.
litellm_start() {
  port=$(free_port)
  mkdir -p "$run_dir/litellm"
  cat >"$run_dir/litellm/config.yaml" <<CONF
model_list:
  - model_name: gpt-4-1106-preview
    litellm_params: {model: openai/gpt-4-1106-preview, api_key: sk-unused, mock_response: "42"}
CONF
  (cd "$run_dir/litellm" && LITELLM_MASTER_KEY=sk-bench-key LITELLM_LOG=ERROR LITELLM_LOCAL_MODEL_COST_MAP=True exec "$litellm_env/bin/litellm" \
    --config config.yaml --host 127.0.0.1 --port "$port" --num_workers 2 >log.txt 2>&1) &
  local parent=$!
  pids+=("$parent")
  local up=""
  for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/health/liveliness" && up=1 && break; sleep 0.5; done
  [ -n "$up" ] || { cat "$run_dir/litellm/log.txt" >&2; echo "bench.sh: LiteLLM's proxy did not start" >&2; exit 1; }
  # The proxy and its worker processes, two levels down.
  litellm_pids="$parent"
  local child grandchild
  for child in $(pgrep -P "$parent" || true); do
    litellm_pids+=" $child"
    for grandchild in $(pgrep -P "$child" || true); do litellm_pids+=" $grandchild"; done
  done
}
closed="--connections 2 --depth 32 --duration $seconds"

log "router model for the benchmarks (GSM8K, k = 64)"
"$bin/switchyard" train --data data/routellm/gsm8k.jsonl.gz --knob cluster.k=64 --out "$run_dir/router.bin" >/dev/null 2>&1

log "in-process: codec and route decision"
"$bin/switchyard-bench" codec | tee "$results/codec.txt"
"$bin/switchyard-bench" route | tee "$results/route.txt"
"$bin/switchyard-bench" hash | tee "$results/hash.txt"

log "services"
start embed switchyard-embed; embed=$port
start router-1 switchyard-router --router-file "$run_dir/router.bin"; r1=$port; r1_pid=$pid
start router-2 switchyard-router --router-file "$run_dir/router.bin"; r2=$port; r2_pid=$pid
start router-3 switchyard-router --router-file "$run_dir/router.bin"; r3=$port
start router-embed switchyard-router --router-file "$run_dir/router.bin" --embed-address "127.0.0.1:$embed"; re=$port
start coordinator-1 switchyard-coordinator --replica "127.0.0.1:$r1"; c1=$port
start coordinator-2 switchyard-coordinator --replica "127.0.0.1:$r1" --replica "127.0.0.1:$r2"; c2=$port; c2_pid=$pid
start coordinator-3 switchyard-coordinator --replica "127.0.0.1:$r1" --replica "127.0.0.1:$r2" --replica "127.0.0.1:$r3"; c3=$port
sed 's/"latency_ms": [0-9.]*/"latency_ms": 0/' deploy/config/gateway-replay.json >"$run_dir/gateway-replay-0ms.json"
start gateway switchyard-gateway --config "$run_dir/gateway-replay-0ms.json" --router "127.0.0.1:$c2"; gw=$port; gw_pid=$pid
rm -f "$run_dir/echo.port"
"$bin/switchyard-bench" echo-server --port-file "$run_dir/echo.port" >"$run_dir/echo.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do [ -s "$run_dir/echo.port" ] && break; sleep 0.1; done
echo_port=$(cat "$run_dir/echo.port")
nginx_start "$r1" "$r2"; nginx=$port
haproxy_start "$r1" "$r2"; haproxy=$port

log "sequential round trips: raw C ping-pong vs the router"
"$run_dir/pingpong" 20000 | tee "$results/pingpong.txt"
load router-sequential "127.0.0.1:$r1" --vectors --connections 1 --depth 1 --duration "$seconds"
load echo-sequential "127.0.0.1:$echo_port" --vectors --connections 1 --depth 1 --duration "$seconds"
load health-sequential "127.0.0.1:$r1" --method health --connections 1 --depth 1 --duration "$seconds"
load coordinator-sequential "127.0.0.1:$c1" --vectors --connections 1 --depth 1 --duration "$seconds"
load nginx-sequential "127.0.0.1:$nginx" --vectors --connections 1 --depth 1 --duration "$seconds"
load haproxy-sequential "127.0.0.1:$haproxy" --vectors --connections 1 --depth 1 --duration "$seconds"

log "router throughput, pipelined"
load_cpu router-vectors "$r1_pid" "127.0.0.1:$r1" --vectors $closed
load echo-pipelined "127.0.0.1:$echo_port" --vectors $closed
# 14,037 distinct MMLU prompts in turn: more than the embedding service's LRU cache holds (10,000),
# so every prompt is embedded, not served from the cache.
mmlu="--prompts data/routellm/mmlu.jsonl.gz --max-prompts 20000"
load_cpu router-hash-in-process "$r1_pid" "127.0.0.1:$r1" $mmlu $closed
load router-hash-sequential "127.0.0.1:$r1" $mmlu --connections 1 --depth 1 --duration "$seconds"
load router-embed-service "127.0.0.1:$re" $mmlu $closed

log "coordinator with 1, 2 and 3 replicas"
load coordinator-1 "127.0.0.1:$c1" --vectors $closed
load_cpu coordinator-2 "$c2_pid" "127.0.0.1:$c2" --vectors $closed
load coordinator-3 "127.0.0.1:$c3" --vectors $closed

log "the peers over the same 2 replicas: nginx (stream) and HAProxy (mode tcp), round robin"
load_cpu nginx-2 "$nginx_pids" "127.0.0.1:$nginx" --vectors $closed
load_cpu haproxy-2 "$haproxy_pids" "127.0.0.1:$haproxy" --vectors $closed

log "latency at a fixed rate (open loop, 20,000/s): router direct vs through the coordinator"
load open-direct "127.0.0.1:$r1" --vectors --rate 20000 --duration "$seconds"
load open-coordinator "127.0.0.1:$c2" --vectors --rate 20000 --duration "$seconds"

log "gateway with the replay backend (0 ms latency), and LiteLLM's proxy (mock response) doing the same job"
load_cpu gateway-named "$gw_pid" "127.0.0.1:$gw" --method complete --model gpt-4-1106-preview $closed
load gateway-auto "127.0.0.1:$gw" --method complete --model auto $closed

log "the OpenAI front door over HTTP: an upstream answering at once, called directly and through the gateway; LiteLLM's proxy (mock response)"
chat_upstream_start; upstream=$port
printf '{"upstreams": [{"name": "bench-model", "kind": "openai", "base_url": "http://127.0.0.1:%s/v1", "input_per_million": 1, "output_per_million": 2}]}\n' "$upstream" >"$run_dir/gateway-http.json"
start gateway-http switchyard-gateway --config "$run_dir/gateway-http.json" --openai-port 0 --openai-port-file "$run_dir/gateway-http.openai-port"
gw_http_pid=$pid; front_door=$(cat "$run_dir/gateway-http.openai-port")
wrk_cpu upstream-direct "$upstream_pids" "http://127.0.0.1:$upstream/v1/chat/completions" bench-model
wrk_cpu front-door "$gw_http_pid" "http://127.0.0.1:$front_door/v1/chat/completions" bench-model
# One request at a time: what the gateway adds to a call, without queueing.
wrk_cpu upstream-direct-sequential "$upstream_pids" "http://127.0.0.1:$upstream/v1/chat/completions" bench-model 1
wrk_cpu front-door-sequential "$gw_http_pid" "http://127.0.0.1:$front_door/v1/chat/completions" bench-model 1
litellm_start
wrk_cpu litellm "$litellm_pids" "http://127.0.0.1:$port/v1/chat/completions" gpt-4-1106-preview

log "writing BENCHMARKS.md"
python3 scripts/lib/bench_report.py "$results" BENCHMARKS.md
