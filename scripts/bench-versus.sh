#!/usr/bin/env bash
# Side by side with an older build (a benchmark, not a test): the request path's figures for this
# tree's release build and for another build's executables, taken in alternating order over
# several rounds in one run (this machine is shared and noisy: only ratios within a run mean
# anything), with the same load client for both. Prints the medians and [min, max] per build and
# the ratio new / old.
#
#   scripts/bench-versus.sh OLD_BIN_DIR [ROUNDS]      (default 5 rounds)
#   SWITCHYARD_BENCH_SECONDS  seconds recorded per load run (default 4)
#
# Rows: the router answering precomputed vectors, pipelined (requests/s and CPU us per request);
# the router routing MMLU prompts embedded in process, pipelined; the coordinator forwarding
# vectors to 2 routers, pipelined (requests/s and the coordinator's CPU us per forwarded request).
# An older build is made with e.g. `git worktree add /tmp/old REV && (cd /tmp/old && swift build -c release)`.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
[ $# -ge 1 ] || { echo "usage: scripts/bench-versus.sh OLD_BIN_DIR [ROUNDS]" >&2; exit 2; }
old_bin=$(cd "$1" && pwd)
rounds=${2:-5}
seconds=${SWITCHYARD_BENCH_SECONDS:-4}
ensure_apt_packages
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

for round in $(seq "$rounds"); do
  log "round $round of $rounds"
  order=(old new)
  [ $((round % 2)) -eq 0 ] && order=(new old)
  for label in "${order[@]}"; do
    if [ "$label" = old ]; then bin=$old_bin; else bin=$new_bin; fi
    measure "$label" "$round"
  done
done

python3 - "$results" "$rounds" <<'PY'
import json, statistics, sys
results, rounds = sys.argv[1], int(sys.argv[2])
def figures(label, row):
    rates, cpus = [], []
    for r in range(1, rounds + 1):
        report = json.load(open(f"{results}/{label}-{row}-{r}.json"))
        ticks, hz = map(int, open(f"{results}/{label}-{row}-{r}.ticks").read().split())
        rates.append(report["throughputPerSecond"])
        # The ticks cover the 1 s warm-up too, at about the recorded rate.
        cpus.append(ticks / hz * 1e6 / (report["throughputPerSecond"] * (report["seconds"] + 1)))
    return rates, cpus
def cell(values, digits=0):
    return f"{statistics.median(values):,.{digits}f} [{min(values):,.{digits}f}, {max(values):,.{digits}f}]"
print(f"| row | old | new | new / old (medians) |\n|---|---|---|---|")
for row, title in [("router-vectors", "router, vectors pipelined"), ("router-prompts", "router, MMLU prompts (hash in process) pipelined"),
                   ("coordinator", "coordinator over 2 routers, vectors pipelined")]:
    (old_rate, old_cpu), (new_rate, new_cpu) = figures("old", row), figures("new", row)
    print(f"| {title}: requests/s | {cell(old_rate)} | {cell(new_rate)} | {statistics.median(new_rate) / statistics.median(old_rate):.3f} |")
    who = "coordinator" if row == "coordinator" else "router"
    print(f"| {title}: {who} CPU us/request | {cell(old_cpu, 2)} | {cell(new_cpu, 2)} | {statistics.median(new_cpu) / statistics.median(old_cpu):.3f} |")
PY
