#!/usr/bin/env bash
# Side by side with an older build (a benchmark, not a test): the request path's figures for this
# tree's release build and for another build's executables, taken in alternating order over
# several rounds in one run (this machine is shared and noisy: only ratios within a run mean
# anything), with the same load client for both. Prints the medians and [min, max] per build and
# the ratio new / old.
#
#   scripts/bench-versus.sh OLD_BIN_DIR [ROUNDS]      (default 5 rounds)
#   SWITCHYARD_BENCH_SECONDS  seconds recorded per load run (default 4)
#   SWITCHYARD_BENCH_ONLY=router  only the router and coordinator rows (no gateway, no store)
#   SWITCHYARD_BENCH_ONLY=gateway only the gateway rows, both builds without a store and both with
#                                 SQLite (what a change of the gateway's request path costs, store or not)
#
# Rows: the router answering precomputed vectors, pipelined (requests/s and CPU us per request);
# the router routing MMLU prompts embedded in process, pipelined; the coordinator forwarding
# vectors to 2 routers, pipelined (requests/s and the coordinator's CPU us per forwarded request);
# the gateway: Complete over protobuf to an upstream answering at once, and the OpenAI front door
# (wrk, 2 x 64 connections) to nginx answering at once, for the old build, this build without a
# store, with SQLite and with PostgreSQL (fsync on): requests/s, p50 and the gateway's CPU per
# request; feedback accepted per second on both stores; the store's bytes per answer with the
# routed embedding and without.
# An older build is made with e.g. `git worktree add /tmp/old REV && (cd /tmp/old && swift build -c release)`.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
[ $# -ge 1 ] || { echo "usage: scripts/bench-versus.sh OLD_BIN_DIR [ROUNDS]" >&2; exit 2; }
old_bin=$(cd "$1" && pwd)
rounds=${2:-5}
seconds=${SWITCHYARD_BENCH_SECONDS:-4}
only=${SWITCHYARD_BENCH_ONLY:-}
ensure_apt_packages
ensure_apt_packages nginx wrk
log "building (release)"
swift build -c release >/dev/null
new_bin=$(swift build -c release --show-bin-path)
load_bin=$new_bin
run_dir="$SWITCHYARD_ROOT/run/bench-versus"
results="$run_dir/results"
rm -rf "$run_dir"
mkdir -p "$results"
bin=$new_bin
source scripts/lib/bench_services.sh
"$new_bin/switchyard" train --data data/routellm/gsm8k.jsonl.gz --knob cluster.k=64 --out "$run_dir/router.bin" >/dev/null 2>&1
closed="--connections 2 --depth 32 --duration $seconds"
SWITCHYARD_POSTGRES_FSYNC=on start_postgres_server
trap 'cleanup; stop_postgres_server' EXIT
postgres=$SWITCHYARD_TEST_POSTGRES
mmlu="--prompts data/routellm/mmlu.jsonl.gz --max-prompts 20000"

# measure LABEL ROUND: the rows for the executables in $bin.
measure() {
  local label=$1 round=$2 r1 r2 c r1_pid c_pid
  start "$label-router-1" switchyard-router --router-file "$run_dir/router.bin"; r1=$port; r1_pid=$pid
  start "$label-router-2" switchyard-router --router-file "$run_dir/router.bin"; r2=$port
  start "$label-coordinator" switchyard-coordinator --replica "127.0.0.1:$r1" --replica "127.0.0.1:$r2"; c=$port; c_pid=$pid
  load_cpu "$label-router-vectors-$round" "$r1_pid" "127.0.0.1:$r1" --vectors $closed
  load_cpu "$label-router-prompts-$round" "$r1_pid" "127.0.0.1:$r1" $mmlu $closed
  load_cpu "$label-coordinator-$round" "$c_pid" "127.0.0.1:$c" --vectors $closed
  cleanup
  pids=()
}

# feedback_lua IDS: a wrk script posting a score for the answers listed in IDS, round robin.
feedback_lua() {
  cat >"$run_dir/feedback.lua" <<LUA
local ids = {}
for line in io.lines("$1") do ids[#ids + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"id": "%s", "score": %.2f}', ids[(n % #ids) + 1], (n % 101) / 100))
end
LUA
}

# measure_gateway LABEL ROUND [GATEWAY ARGS...]: the gateway rows for the executables in $bin;
# with a store, the feedback row too.
measure_gateway() {
  local label=$1 round=$2 gw_pid front_door
  shift 2
  chat_upstream_start; local upstream=$port
  printf '{"upstreams": [{"name": "bench-model", "kind": "openai", "base_url": "http://127.0.0.1:%s/v1", "input_per_million": 1, "output_per_million": 2}]}\n' \
    "$upstream" >"$run_dir/gateway-http.json"
  start "$label-gateway" switchyard-gateway --config "$run_dir/gateway-http.json" --openai-port 0 \
    --openai-port-file "$run_dir/$label-gateway.openai-port" "$@"
  gw_pid=$pid; front_door=$(cat "$run_dir/$label-gateway.openai-port")
  wrk_cpu "$label-front-door-$round" "$gw_pid" "http://127.0.0.1:$front_door/v1/chat/completions" bench-model
  load_cpu "$label-complete-$round" "$gw_pid" "127.0.0.1:$port" --method complete --model bench-model $closed
  if [ $# -gt 0 ]; then
    "$bin/switchyard" outcomes export --store "$2" --since 10m \
      | python3 -c 'import json, sys; [print(json.loads(l)["id"]) for l in sys.stdin.readlines()[:50000]]' >"$run_dir/ids.txt"
    feedback_lua "$run_dir/ids.txt"
    wrk_script_cpu "$label-feedback-$round" "$gw_pid" "http://127.0.0.1:$front_door/v1/feedback" "$run_dir/feedback.lua"
  fi
  cleanup
  pids=()
}

for round in $(seq "$rounds"); do
  log "round $round of $rounds"
  order=(old new)
  [ $((round % 2)) -eq 0 ] && order=(new old)
  [ "$only" = gateway ] && order=()
  for label in ${order[@]+"${order[@]}"}; do
    if [ "$label" = old ]; then bin=$old_bin; else bin=$new_bin; fi
    measure "$label" "$round"
  done
  gateways=(old new sqlite postgres)
  [ $((round % 2)) -eq 0 ] && gateways=(postgres sqlite new old)
  if [ "$only" = gateway ]; then
    gateways=(old new old-sqlite sqlite)
    [ $((round % 2)) -eq 0 ] && gateways=(sqlite old-sqlite new old)
  fi
  [ "$only" = router ] && gateways=()
  for label in ${gateways[@]+"${gateways[@]}"}; do
    bin=$new_bin
    case $label in
      old) bin=$old_bin; measure_gateway old "$round" ;;
      old-sqlite) bin=$old_bin; measure_gateway old-sqlite "$round" --store "sqlite:$run_dir/old-store-$round.sqlite" ;;
      new) measure_gateway new "$round" ;;
      sqlite) measure_gateway sqlite "$round" --store "sqlite:$run_dir/store-$round.sqlite" ;;
      postgres) measure_gateway postgres "$round" --store "$postgres" --store-spill none ;;
    esac
  done
done

if [ -z "$only" ]; then
# The store's growth per answer: "auto" answers (the router embeds, 384-dim MiniLM or the hash
# embedder's dimensions as the router file says) with their embedding recorded, and without.
bin=$new_bin
log "store bytes per answer"
start bytes-router switchyard-router --router-file "$run_dir/router.bin"; bytes_router=$port
chat_upstream_start; upstream=$port
python3 - "$upstream" >"$run_dir/gateway-auto.json" <<'PY'
import json, sys
url = f"http://127.0.0.1:{sys.argv[1]}/v1"
print(json.dumps({"upstreams": [{"name": m, "kind": "openai", "base_url": url, "input_per_million": 1, "output_per_million": 2}
                                for m in ("gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1")]}))
PY
for record in embedding none; do
  rm -f "$run_dir/bytes-$record.sqlite"*
  start "bytes-$record" switchyard-gateway --config "$run_dir/gateway-auto.json" --router "127.0.0.1:$bytes_router" --openai-port 0 \
    --openai-port-file "$run_dir/bytes-$record.openai-port" --store "sqlite:$run_dir/bytes-$record.sqlite" --record-prompts "$record"
  wrk_cpu "bytes-$record" "$pid" "http://127.0.0.1:$(cat "$run_dir/bytes-$record.openai-port")/v1/chat/completions" auto
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
python3 - "$run_dir" >"$results/bytes.txt" <<'PY'
import os, sqlite3, sys
for record in ("embedding", "none"):
    path = f"{sys.argv[1]}/bytes-{record}.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    count = db.execute("SELECT count(*) FROM outcomes").fetchone()[0]
    dims = db.execute("SELECT length(embedding) / 4 FROM outcomes WHERE embedding IS NOT NULL LIMIT 1").fetchone()
    db.close()
    print(f"{record} {count} {os.path.getsize(path)} {dims[0] if dims else 0}")
PY
cleanup
pids=()
fi

python3 - "$results" "$rounds" "$only" <<'PY'
import json, statistics, sys
results, rounds, only = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def figures(label, row, p50s=None):
    rates, cpus = [], []
    for r in range(1, rounds + 1):
        report = json.load(open(f"{results}/{label}-{row}-{r}.json"))
        ticks, hz = map(int, open(f"{results}/{label}-{row}-{r}.ticks").read().split())
        rates.append(report["throughputPerSecond"])
        if p50s is not None: p50s.append(report["latencyMicroseconds"]["p50"])
        # The ticks cover the 1 s warm-up too, at about the recorded rate.
        cpus.append(ticks / hz * 1e6 / (report["throughputPerSecond"] * (report["seconds"] + 1)))
    return rates, cpus
def cell(values, digits=0):
    return f"{statistics.median(values):,.{digits}f} [{min(values):,.{digits}f}, {max(values):,.{digits}f}]"
for row, title in [] if only == "gateway" else [("router-vectors", "router, vectors pipelined"), ("router-prompts", "router, MMLU prompts (hash in process) pipelined"),
                   ("coordinator", "coordinator over 2 routers, vectors pipelined")]:
    if row == "router-vectors": print(f"| row | old | new | new / old (medians) |\n|---|---|---|---|")
    old_p50, new_p50 = [], []
    (old_rate, old_cpu), (new_rate, new_cpu) = figures("old", row, old_p50), figures("new", row, new_p50)
    print(f"| {title}: requests/s | {cell(old_rate)} | {cell(new_rate)} | {statistics.median(new_rate) / statistics.median(old_rate):.3f} |")
    print(f"| {title}: p50 us (2 x 32 in flight) | {cell(old_p50)} | {cell(new_p50)} | {statistics.median(new_p50) / statistics.median(old_p50):.3f} |")
    who = "coordinator" if row == "coordinator" else "router"
    print(f"| {title}: {who} CPU us/request | {cell(old_cpu, 2)} | {cell(new_cpu, 2)} | {statistics.median(new_cpu) / statistics.median(old_cpu):.3f} |")

def wrk(name):
    """requests/s, p50 us and the watched processes' CPU us per request of a wrk run."""
    import re
    report = open(f"{results}/{name}.wrk").read()
    units = {"us": 1, "ms": 1e3, "s": 1e6}
    value, unit = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", report, re.M).groups()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))
    ticks, hz = map(int, open(f"{results}/{name}.ticks").read().split())
    seconds = float(re.search(r"requests in ([\d.]+)s", report).group(1))
    return rate, float(value) * units[unit], ticks / hz * 1e6 / (rate * seconds)

def gateway(label):
    rows = {"front-door": ([], [], []), "complete": ([], []), "feedback": ([], [], [])}
    for r in range(1, rounds + 1):
        for i, v in enumerate(wrk(f"{label}-front-door-{r}")): rows["front-door"][i].append(v)
        report = json.load(open(f"{results}/{label}-complete-{r}.json"))
        ticks, hz = map(int, open(f"{results}/{label}-complete-{r}.ticks").read().split())
        rows["complete"][0].append(report["throughputPerSecond"])
        rows["complete"][1].append(ticks / hz * 1e6 / (report["throughputPerSecond"] * (report["seconds"] + 1)))
        if label in ("sqlite", "postgres", "old-sqlite"):
            for i, v in enumerate(wrk(f"{label}-feedback-{r}")): rows["feedback"][i].append(v)
    return rows

if only == "gateway":
    rows = [("front-door", 0, "front door (HTTP, wrk 2 x 64) to nginx: requests/s", 0), ("front-door", 1, "front door: p50 us", 0),
            ("front-door", 2, "front door: gateway CPU us/request", 1), ("complete", 0, "Complete (protobuf, 2 x 32) to nginx: requests/s", 0),
            ("complete", 1, "Complete: gateway CPU us/request", 1)]
    g = {label: gateway(label) for label in ("old", "new", "old-sqlite", "sqlite")}
    print("| gateway row | old, no store | new, no store | old, SQLite | new, SQLite | new / old (medians): no store, SQLite |")
    print("|---|---|---|---|---|---|")
    for row, index, title, digits in rows:
        m = {label: statistics.median(g[label][row][index]) for label in g}
        print(f"| {title} | " + " | ".join(cell(g[label][row][index], digits) for label in ("old", "new", "old-sqlite", "sqlite"))
              + f" | {m['new'] / m['old']:.3f}, {m['sqlite'] / m['old-sqlite']:.3f} |")
    sys.exit(0)
if only == "router":
    sys.exit(0)
labels = ["old", "new", "sqlite", "postgres"]
g = {label: gateway(label) for label in labels}
print()
print("| gateway row | old | new, no store | new, SQLite | new, PostgreSQL | SQLite / old, PostgreSQL / old (medians) |")
print("|---|---|---|---|---|---|")
def gateway_row(title, row, index, digits=0):
    cells = [cell(g[label][row][index], digits) for label in labels]
    old = statistics.median(g["old"][row][index])
    ratios = ", ".join(f"{statistics.median(g[label][row][index]) / old:.3f}" for label in ("sqlite", "postgres"))
    print(f"| {title} | " + " | ".join(cells) + f" | {ratios} |")
gateway_row("front door (HTTP, wrk 2 x 64) to nginx: requests/s", "front-door", 0)
gateway_row("front door: p50 us", "front-door", 1)
gateway_row("front door: gateway CPU us/request", "front-door", 2, 1)
gateway_row("Complete (protobuf, 2 x 32) to nginx: requests/s", "complete", 0)
gateway_row("Complete: gateway CPU us/request", "complete", 1, 1)
print()
for label, store in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
    rate, p50, cpu = g[label]["feedback"]
    print(f"feedback (POST /v1/feedback, wrk 2 x 64), {store}: {cell(rate)} accepted/s, p50 {cell(p50)} us, gateway CPU {cell(cpu, 1)} us/score")
for line in open(f"{results}/bytes.txt"):
    record, count, size, dims = line.split()
    print(f"store bytes per answer, --record-prompts {record}: {int(size) / int(count):,.0f} ({count} answers, {size} bytes"
          + (f", {dims}-dimension embeddings)" if int(dims) else ")"))
PY
