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
