#!/usr/bin/env bash
# A lab of hosts on one machine: network namespaces, each with its own address on a private
# bridge (in a namespace of its own: nothing is added to this machine's network, nothing outside
# it is reachable), running the cluster with the flags a multi-host deployment uses (--host,
# --advertise, registration with the coordinator, token files). Needs root.
#
#   scripts/netlab.sh up [--debug]      create the hosts and start the cluster (release build;
#                                       --debug: the debug build the test command made)
#   scripts/netlab.sh status            each service's Health, asked from the client host
#   scripts/netlab.sh down              stop the services and remove every namespace
#   scripts/netlab.sh exec HOST COMMAND...   run a command on a host (e.g. client switchyard-load ...)
#   scripts/netlab.sh example-up [--debug]   deploy/README's three-host example, from the systemd
#                                       units' command lines (example-exec HOST COMMAND..., example-down)
#   scripts/netlab.sh example [--debug] example-up, a streamed answer through the front door and a
#                                       Reload through the coordinator from a client host, then down
#   scripts/netlab.sh faults [--debug]  up, the network-fault tests (scripts/lib/netlab_faults.py),
#                                       down (also when they fail); where network namespaces
#                                       cannot be made: skipped, saying why, or a failure when
#                                       CI=true or SWITCHYARD_REQUIRE_NETLAB=1 (the test command
#                                       sets it: its run must not pass without the lab)
#
# SWITCHYARD_BIN names the executables to run instead of this tree's build.
#
# Hosts (10.77.0.0/24): client .10, embed .11, router-1..3 .21-.23, coordinator .30, gateway .40.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

run_dir="$SWITCHYARD_ROOT/run/netlab"
prefix=swyd
switch="$prefix-switch"
declare -A address=([client]=10.77.0.10 [embed]=10.77.0.11 [router-1]=10.77.0.21 [router-2]=10.77.0.22
  [router-3]=10.77.0.23 [coordinator]=10.77.0.30 [gateway]=10.77.0.40)
hosts=(client embed router-1 router-2 router-3 coordinator gateway)
embed_port=7100 router_port=7200 coordinator_port=7300 gateway_port=7400
bin=""
configuration=release

on() { local host=$1; shift; ip netns exec "$prefix-$host" "$@"; }

# The executables: SWITCHYARD_BIN's when set, else this tree's build (release, or --debug), made
# if needed.
use_build() {
  if [ -n "${SWITCHYARD_BIN:-}" ]; then bin=$(cd "$SWITCHYARD_BIN" && pwd); return; fi
  swift build -c "$configuration" >/dev/null
  bin=$(swift build -c "$configuration" --show-bin-path)
}

make_hosts() {
  ip netns add "$switch"
  ip -n "$switch" link set lo up
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  local host
  for host in "${hosts[@]}"; do
    ip netns add "$prefix-$host"
    ip -n "$switch" link add "$host" type veth peer name eth0 netns "$prefix-$host"
    ip -n "$switch" link set "$host" master br0 up
    ip -n "$prefix-$host" link set lo up
    ip -n "$prefix-$host" addr add "${address[$host]}/24" dev eth0
    ip -n "$prefix-$host" link set eth0 up
  done
}

# launch HOST EXECUTABLE ARGS...: starts the service on HOST, bound to the host's address.
launch() {
  local host=$1 executable=$2
  shift 2
  # `ip netns exec` execs the service, so $! is the service's pid.
  ip netns exec "$prefix-$host" "$bin/$executable" --host "${address[$host]}" --auth-token-file "$run_dir/auth-token" \
    --admin-token-file "$run_dir/admin-token" --log-level info "$@" >"$run_dir/$host.log" 2>&1 &
  echo $! >"$run_dir/$host.pid"
}

health() { on client "$bin/switchyard" status --auth-token-file "$run_dir/auth-token" "$@"; }

up() {
  [ "$(id -u)" -eq 0 ] || { echo "netlab.sh: needs root (network namespaces)" >&2; exit 1; }
  if ip netns list | grep -q "^$switch"; then echo "netlab.sh: the lab is up already; run down first" >&2; exit 1; fi
  ensure_apt_packages iproute2 iptables
  use_build
  mkdir -p "$run_dir"
  echo "$bin" >"$run_dir/bin"
  (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run_dir/auth-token"
   python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run_dir/admin-token")
  [ -f "$run_dir/router.bin" ] || "$bin/switchyard" train --data data/routellm/gsm8k.jsonl.gz --out "$run_dir/router.bin" >/dev/null
  trap 'echo "netlab.sh: start failed; tearing the lab down" >&2; down' ERR
  make_hosts
  launch embed switchyard-embed --port "$embed_port"
  health --wait 30 "${address[embed]}:$embed_port" >/dev/null
  launch coordinator switchyard-coordinator --port "$coordinator_port"
  local i
  for i in 1 2 3; do
    launch "router-$i" switchyard-router --port "$router_port" --router-file "$run_dir/router.bin" \
      --embed-address "${address[embed]}:$embed_port" --embed-timeout 500ms --embed-fallback hash \
      --coordinator "${address[coordinator]}:$coordinator_port" \
      --advertise "${address[router-$i]}:$router_port" --replica-id "router-$i"
  done
  for i in 1 2 3; do health --wait 30 "${address[router-$i]}:$router_port" >/dev/null; done
  health --wait 30 "${address[coordinator]}:$coordinator_port" >/dev/null
  launch gateway switchyard-gateway --port "$gateway_port" --config deploy/config/gateway-replay.json \
    --router "${address[coordinator]}:$coordinator_port"
  health --wait 30 "${address[gateway]}:$gateway_port" >/dev/null
  trap - ERR
  log "lab up: gateway ${address[gateway]}:$gateway_port, coordinator ${address[coordinator]}:$coordinator_port (3 routers registered), embed ${address[embed]}:$embed_port; client host: scripts/netlab.sh exec client ...; logs in run/netlab"
}

# The executables the running lab was started from.
lab_bin() { cat "$run_dir/bin" 2>/dev/null || swift build -c release --show-bin-path; }

status() {
  bin=$(lab_bin)
  local target
  for target in "${address[embed]}:$embed_port" "${address[router-1]}:$router_port" "${address[router-2]}:$router_port" \
    "${address[router-3]}:$router_port" "${address[coordinator]}:$coordinator_port" "${address[gateway]}:$gateway_port"; do
    health "$target" || true
  done
}

down() {
  local file pid host
  for file in "$run_dir"/*.pid; do
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    rm -f "$file"
    kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for host in "${hosts[@]}"; do
    # Whatever still runs on a host (a command started with exec) goes with it.
    ip netns pids "$prefix-$host" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$prefix-$host" 2>/dev/null || true
  done
  ip netns del "$switch" 2>/dev/null || true
  log "lab down"
}

# Whether this machine lets us make network namespaces (root, and a kernel that allows it).
can_make_namespaces() {
  [ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
  local probe="$prefix-probe-$$" error
  if ! error=$(ip netns add "$probe" 2>&1); then echo "ip netns add failed: $error"; return 1; fi
  ip netns del "$probe"
}

# Succeeds when the lab can run; otherwise says why and fails when this run requires the lab
# (CI=true or SWITCHYARD_REQUIRE_NETLAB=1), or returns 2 (skip).
lab_possible() {
  local why
  ensure_apt_packages iproute2 iptables
  why=$(can_make_namespaces) && return 0
  if [ "${CI:-}" = true ] || [ "${SWITCHYARD_REQUIRE_NETLAB:-}" = 1 ]; then
    echo "netlab.sh $command: FAILED, network namespaces cannot be made here ($why), and this run requires the lab (CI=true or SWITCHYARD_REQUIRE_NETLAB=1)" >&2
    return 1
  fi
  echo "netlab.sh $command: SKIPPED, network namespaces cannot be made here ($why)" >&2
  return 2
}

# in_fresh_lab STEP...: runs the steps when the lab can run here (lab_possible: skipped, or
# failed under CI), on a lab of its own, torn down afterwards (also when a step fails).
in_fresh_lab() {
  local possible=0
  lab_possible || possible=$?
  [ "$possible" -eq 2 ] && return 0
  [ "$possible" -eq 0 ] || return 1
  if ip netns list | grep -q "^$switch"; then down; fi
  trap down EXIT
  local step
  for step in "$@"; do "$step"; done
}

faults() { in_fresh_lab up run_faults; }

run_faults() {
  ensure_python_env
  clients/python/generate.sh
  on client env PYTHONPATH="$SWITCHYARD_ROOT/clients/python:$SWITCHYARD_ROOT/clients/python/generated" \
    timeout 600 "$SWITCHYARD_PYTHON_ENV/bin/python" scripts/lib/netlab_faults.py --bin "$bin" --run-dir "$run_dir"
}

# The worked three-host example of deploy/README (deploy/examples/three-hosts), set up as an
# operator would: host-a (10.0.0.1: embedding service, coordinator, gateway), host-b and host-c
# (10.0.0.2 and .3: a router each), and a client (10.0.0.10). Each host gets its own root folder
# standing for / (run/netlab-example/HOST: etc/switchyard with the example's env file, the
# tokens, the router file, the gateway's configuration and front-door keys; var/lib/switchyard),
# and each service is started with the command line its systemd unit runs there
# (scripts/lib/unit_command.py). The front door's key is in run/netlab-example/key.
example_lab() {
  prefix=swyx switch=swyx-switch run_dir="$SWITCHYARD_ROOT/run/netlab-example"
  unset address
  declare -gA address=([client]=10.0.0.10 [host-a]=10.0.0.1 [host-b]=10.0.0.2 [host-c]=10.0.0.3)
  hosts=(client host-a host-b host-c)
}

example_up() {
  [ "$(id -u)" -eq 0 ] || { echo "netlab.sh: needs root (network namespaces)" >&2; exit 1; }
  if ip netns list | grep -q "^$switch"; then echo "netlab.sh: the example is up already; run example-down first" >&2; exit 1; fi
  ensure_apt_packages iproute2 curl
  use_build
  rm -rf "$run_dir" && mkdir -p "$run_dir"
  echo "$bin" >"$run_dir/bin"
  local host etc
  (umask 077; echo "sk-sy-$(python3 -c 'import secrets; print(secrets.token_hex(16))')" >"$run_dir/key")
  "$bin/switchyard" train --data data/routellm/gsm8k.jsonl.gz --out "$run_dir/router.bin" >/dev/null
  (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run_dir/auth-token"
   python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run_dir/admin-token")
  for host in host-a host-b host-c; do
    etc="$run_dir/$host/etc/switchyard"
    mkdir -p "$etc" "$run_dir/$host/var/lib/switchyard"
    install -m 600 "deploy/examples/three-hosts/$host.env" "$etc/switchyard.env"
    install -m 600 "$run_dir/auth-token" "$run_dir/admin-token" "$etc/"
  done
  for host in host-b host-c; do cp "$run_dir/router.bin" "$run_dir/$host/etc/switchyard/router.bin"; done
  # host-a: the replay upstreams (the datasets at absolute paths) and one front-door key.
  sed "s#\.\./\.\./data/#$SWITCHYARD_ROOT/data/#g" deploy/config/gateway-replay.json >"$run_dir/host-a/etc/switchyard/gateway.json"
  (umask 077; printf '{"keys": [{"name": "example", "key": "%s", "daily_budget_usd": 5}]}\n' "$(cat "$run_dir/key")" \
    >"$run_dir/host-a/etc/switchyard/front-door-keys.json")
  trap 'echo "netlab.sh: start failed; tearing the example down" >&2; down' ERR
  make_hosts
  start_unit host-a switchyard-embed.service
  start_unit host-a switchyard-coordinator.service
  start_unit host-b switchyard-router@.service 7201
  start_unit host-c switchyard-router@.service 7201
  health --wait 30 10.0.0.1:7100 >/dev/null
  for host in host-b host-c; do health --wait 30 "${address[$host]}:7201" >/dev/null; done
  health --wait 30 10.0.0.1:7300 >/dev/null
  start_unit host-a switchyard-gateway.service
  health --wait 30 10.0.0.1:7400 >/dev/null
  trap - ERR
  log "example up: host-a 10.0.0.1 (embed 7100, coordinator 7300, gateway 7400, front door http://10.0.0.1:8080/v1), host-b 10.0.0.2 and host-c 10.0.0.3 (routers on 7201); the front door's key is in run/netlab-example/key; logs in run/netlab-example"
}

# From the client host: a routed answer streamed through the front door, and a Reload through the
# coordinator that reaches both routers.
example_check() {
  bin=$(lab_bin)
  local prompt="James decides to run 3 sprints 3 times a week.  He runs 60 meters each sprint.  How many total meters does he run a week?"
  on client curl -sS -N --fail-with-body -D "$run_dir/headers" http://10.0.0.1:8080/v1/chat/completions \
    -H "Authorization: Bearer $(cat "$run_dir/key")" -H 'Content-Type: application/json' \
    -d "{\"model\": \"auto\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"$prompt\"}]}" >"$run_dir/stream"
  grep -i '^x-switchyard-model:' "$run_dir/headers" >&2
  local chunks
  chunks=$(grep -c '^data: {' "$run_dir/stream" || true)
  if [ "$chunks" -lt 1 ] || ! grep -q '^data: \[DONE\]' "$run_dir/stream"; then
    echo "netlab.sh example: FAILED, the front door did not stream a routed answer:" >&2
    cat "$run_dir/headers" "$run_dir/stream" >&2
    return 1
  fi
  log "a routed answer streamed through the front door on host-a: $chunks chunks, $(grep -o 'switchyard-cost-usd=[0-9.]*' "$run_dir/stream")"
  on client "$bin/switchyard" reload 10.0.0.1:7300 --admin-token-file "$run_dir/admin-token" --expect "$run_dir/router.bin" >&2
  log "example passed"
}

# up, check, down (also when the check fails): what the test command runs.
example() { in_fresh_lab example_up example_check; }

# start_unit HOST UNIT [INSTANCE]: starts on HOST what the systemd unit runs there.
start_unit() {
  local host=$1 unit=$2 instance=${3:-} root="$run_dir/$1" argv=()
  mapfile -t argv < <(python3 scripts/lib/unit_command.py "deploy/systemd/$unit" --instance "$instance" \
    --env-file "$root/etc/switchyard/switchyard.env" --hostname "$host" --root "$root" --bin "$bin")
  local name="$host-${unit%%.service}${instance}"
  ip netns exec "$prefix-$host" "${argv[@]}" >"$run_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
}

command=${1:-}
[ $# -gt 0 ] && shift
if [ "${1:-}" = "--debug" ]; then configuration=debug; shift; fi
case "$command" in
  up) up ;;
  status) status ;;
  down) down ;;
  faults) faults ;;
  example) example_lab; example ;;
  example-up) example_lab; example_up ;;
  example-check) example_lab; example_check ;;
  example-down) example_lab; down ;;
  example-exec) example_lab; host=$1; shift; bin=$(lab_bin); PATH="$bin:$PATH" on "$host" "$@" ;;
  exec) host=$1; shift; bin=$(lab_bin); PATH="$bin:$PATH" on "$host" "$@" ;;
  *) echo "usage: scripts/netlab.sh up [--debug]|status|down|exec HOST COMMAND...|faults [--debug]|example[-up|-check|-down] [--debug]|example-exec HOST COMMAND..." >&2; exit 2 ;;
esac
