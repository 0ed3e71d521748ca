#!/usr/bin/env python3
"""What the dashboard costs the request path (scripts/dashboard-bench.sh): the cluster as processes
(release build, outcome store, API keys, admin token) under switchyard-load's routed Complete at a
fixed rate, in rounds that alternate the dashboard closed and open in headless Chromium (polling
every 2 s, as an operator's tab does). Per run: the gateway's CPU time per request (user + system
ticks of its process over the requests answered); per open run also how long /dashboard/data takes
to answer under that load. Prints the medians and the open/closed ratio, measured side by side.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from dashboard_check import ADMIN, KEYS, open_dashboard, start_chromium  # noqa: E402


def log(message):
    print(f"dashboard-bench: {message}", file=sys.stderr, flush=True)


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return sum(int(x) for x in fields[11:15])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--port-base", type=int, default=25000)
    parser.add_argument("--rate", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out-dir", default="run/dashboard-bench")
    args = parser.parse_args()
    out = os.path.abspath(args.out_dir)
    os.makedirs(out, exist_ok=True)
    keys_file, admin_file = os.path.join(out, "keys.json"), os.path.join(out, "admin-token")
    with open(keys_file, "w") as f:
        json.dump({"keys": [{"name": n, "key": k} for n, (k, _) in KEYS.items()]}, f)
    with open(admin_file, "w") as f:
        f.write(ADMIN + "\n")
    router = os.path.join(out, "router.bin")
    data = "data/routellm/gsm8k.jsonl.gz"
    subprocess.run([os.path.join(args.bin, "switchyard"), "train", "--router", "cluster", "--embedder", "hash", "--data", data,
                    "--out", router], check=True, stdout=subprocess.DEVNULL)
    run_dir = os.path.join(out, "cluster")
    store = os.path.join(run_dir, "outcomes.sqlite")
    if os.path.exists(store):
        os.remove(store)
    common = ["--run-dir", run_dir, "--port-base", str(args.port_base), "--bin", args.bin]
    subprocess.run(["scripts/cluster.sh", "up", "--router-file", router, "--embedder", "hash", "--gateway-config",
                    "deploy/config/gateway-replay.json", "--openai-keys", keys_file, "--admin-token-file", admin_file,
                    "--store", f"sqlite:{store}"] + common, check=True)
    gateway_pid = int(open(os.path.join(run_dir, "gateway.pid")).read())
    front_door = f"http://127.0.0.1:{args.port_base + 480}"
    results = {"closed": [], "open": []}
    data_ms = []
    chromium = None
    try:
        for round_number in range(args.rounds):
            order = ["closed", "open"] if round_number % 2 == 0 else ["open", "closed"]
            for state in order:
                profile = None
                if state == "open":
                    profile = tempfile.mkdtemp(prefix="switchyard-chromium-")
                    chromium, page = start_chromium(profile)
                    open_dashboard(page, f"{front_door}/dashboard#key={ADMIN}")
                    time.sleep(1)
                before = ticks(gateway_pid)
                load = subprocess.Popen([os.path.join(args.bin, "switchyard-load"), f"127.0.0.1:{args.port_base + 400}", "--method",
                                         "complete", "--model", "auto", "--rate", str(args.rate), "--duration", str(args.seconds),
                                         "--warmup", "0", "--prompts", data, "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                if state == "open":
                    for _ in range(args.seconds // 2):
                        started = time.perf_counter()
                        request = urllib.request.Request(f"{front_door}/dashboard/data", headers={"Authorization": f"Bearer {ADMIN}"})
                        urllib.request.urlopen(request, timeout=10).read()
                        data_ms.append((time.perf_counter() - started) * 1000)
                        time.sleep(1.7)
                report = json.loads(load.communicate()[0])
                used = ticks(gateway_pid) - before
                if state == "open":
                    updates = page.evaluate("Number(document.body.dataset.updates || 0)")
                    errors = page.errors()
                    chromium.terminate()
                    chromium.wait(timeout=20)
                    chromium = None
                    if errors or updates < args.seconds // 3:
                        raise SystemExit(f"dashboard-bench: the page did not stay live ({updates} updates, errors {errors})")
                us = used / os.sysconf("SC_CLK_TCK") / max(1, report["ok"]) * 1e6
                results[state].append(us)
                log(f"round {round_number + 1} {state}: {report['ok']} of {report['requests']} answered, gateway {us:.1f} us CPU/request")
    finally:
        if chromium:
            chromium.terminate()
        subprocess.run(["scripts/cluster.sh", "down"] + common, check=False)
    closed, opened = statistics.median(results["closed"]), statistics.median(results["open"])
    cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t")
    summary = {
        "cpu": cpu, "rate": args.rate, "seconds": args.seconds, "rounds": args.rounds,
        "closed_us_per_request": results["closed"], "open_us_per_request": results["open"],
        "closed_median_us": closed, "open_median_us": opened, "open_over_closed": opened / closed,
        "dashboard_data_ms_p50": statistics.median(data_ms), "dashboard_data_ms_max": max(data_ms),
    }
    json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
    print(f"gateway CPU per routed Complete at {args.rate}/s, {args.rounds} rounds of {args.seconds} s ({cpu}):")
    print(f"  dashboard closed: median {closed:.1f} us  ({', '.join(f'{x:.1f}' for x in results['closed'])})")
    print(f"  dashboard open:   median {opened:.1f} us  ({', '.join(f'{x:.1f}' for x in results['open'])})")
    print(f"  open / closed: {opened / closed:.3f}")
    print(f"  GET /dashboard/data under that load: p50 {statistics.median(data_ms):.1f} ms, max {max(data_ms):.1f} ms ({len(data_ms)} fetches)")


if __name__ == "__main__":
    main()
