# What the benchmark scripts share: starting services and timing load runs against them.
# Source it after setting $bin (the executables to start), $run_dir (logs, port files) and
# $results (where reports go); it keeps the started processes in $pids and stops them on exit.
# Load runs always use $load_bin (default: $bin), so comparisons of two builds share one client.

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
# start NAME EXECUTABLE ARGS...: starts it on a free port (log and port file named NAME in the run
# dir), waits until it is SERVING, and sets $port.
start() {
  local name=$1 executable=$2
  shift 2
  rm -f "$run_dir/$name.port"
  "$bin/$executable" --port 0 --port-file "$run_dir/$name.port" --log-level warning "$@" >"$run_dir/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 100); do [ -s "$run_dir/$name.port" ] && break; sleep 0.1; done
  if [ ! -s "$run_dir/$name.port" ]; then
    cat "$run_dir/$name.log" >&2
    echo "bench.sh: $name did not start (log: $run_dir/$name.log)" >&2
    exit 1
  fi
  port=$(cat "$run_dir/$name.port")
  pid=${pids[-1]}
  "$bin/switchyard" status --wait 20 "127.0.0.1:$port" >/dev/null
}
# cpu_ticks PID...: clock ticks (user + system, all threads) the processes have used so far.
cpu_ticks() {
  local total=0 p ticks
  # utime + stime, and cutime + cstime: a worker that exits moves its ticks into its parent's,
  # so the sum never falls; a PID already gone is skipped. The fields are counted after the
  # command name, which may hold spaces (a Python worker's process title).
  for p in "$@"; do
    ticks=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}')
    total=$((total + ${ticks:-0}))
  done
  echo "$total"
}
# load NAME ARGS...: one switchyard-load run, its JSON report saved as NAME.json.
load() {
  local name=$1
  shift
  echo "  $name: switchyard-load $*" >&2
  "${load_bin:-$bin}/switchyard-load" "$@" --json 2>/dev/null >"$results/$name.json"
}
# load_cpu NAME "PID..." ARGS...: a load run, and the clock ticks those processes used during it
# (warm-up included) in NAME.ticks, for CPU time per request.
load_cpu() {
  local name=$1 watched=$2
  shift 2
  local before
  before=$(cpu_ticks $watched)
  load "$name" "$@"
  echo "$(($(cpu_ticks $watched) - before)) $(getconf CLK_TCK)" >"$results/$name.ticks"
}
# free_port: a TCP port nothing listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_port PORT: until something accepts connections there.
wait_port() {
  for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "bench: nothing listens on port $1" >&2
  exit 1
}
# nginx_run DIR: nginx in the foreground with DIR/nginx.conf, once it accepts on $port; sets
# $started_pids to the master and its workers.
nginx_run() {
  nginx -p "$1" -c "$1/nginx.conf" -g 'daemon off;' &
  local master=$!
  pids+=("$master")
  wait_port "$port"
  sleep 0.5  # the workers
  started_pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
}
# chat_upstream_start: nginx answering every chat completion at once with a fixed one (the
# upstream of the front-door rows: what "calling the upstream directly" costs); sets $port and
# $upstream_pids.
chat_upstream_start() {
  port=$(free_port)
  mkdir -p "$run_dir/upstream"
  cat >"$run_dir/upstream/nginx.conf" <<CONF
worker_processes 2;
pid $run_dir/upstream/nginx.pid;
error_log $run_dir/upstream/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port;
    location /v1/chat/completions {
      default_type application/json;
      return 200 '{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"42"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":13}}';
    }
  }
}
CONF
  nginx_run "$run_dir/upstream"; upstream_pids=$started_pids
}
# wrk_cpu NAME "PID..." URL MODEL [CONNECTIONS]: wrk posting one chat completion for MODEL over
# 2 threads x 64 connections (or CONNECTIONS on one thread) for the recorded seconds, its report
# in NAME.wrk and the CPU ticks of those processes in NAME.ticks.
wrk_cpu() {
  local name=$1 watched=$2 url=$3 model=$4 connections=${5:-}
  cat >"$run_dir/$name.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-key"
wrk.body = '{"model":"$model","messages":[{"role":"user","content":"What is 2+2?"}]}'
LUA
  wrk_script_cpu "$name" "$watched" "$url" "$run_dir/$name.lua" $connections
}
# wrk_script_cpu NAME "PID..." URL SCRIPT [CONNECTIONS]: wrk running the Lua SCRIPT, as wrk_cpu.
wrk_script_cpu() {
  local name=$1 watched=$2 url=$3 script=$4 connections=${5:-} before
  local shape="-t2 -c64"
  [ -n "$connections" ] && shape="-t1 -c$connections"
  echo "  $name: wrk $url ($(basename "$script"))" >&2
  wrk $shape -d1s -s "$script" "$url" >/dev/null  # warm-up
  before=$(cpu_ticks $watched)
  wrk $shape -d"${seconds}s" --latency -s "$script" "$url" >"$results/$name.wrk"
  echo "$(($(cpu_ticks $watched) - before)) $(getconf CLK_TCK)" >"$results/$name.ticks"
}
