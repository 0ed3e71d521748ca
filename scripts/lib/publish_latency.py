#!/usr/bin/env python3
"""How long a score takes to reach every replica, under load (issue 26: "a new version reaches
every replica within the publish interval under 20,000 routes/s").

Starts a cluster with the learner (scripts/cluster.sh up --learn), runs switchyard-load against
the coordinator at --rate routes/s (precomputed vectors, open loop), and meanwhile sends one chat
completion through the front door every second and rates it. For each acknowledged score it
records when every replica first served a version that had learned it: the learner's Status
says how many scores it has learned and which version carries them; each replica's Status says
what it serves. Prints the latencies (ms) beside the interval and what the load reached.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from switchyard_client import Client


def number(version):
    marker = "+learned."
    return int(version.split(marker, 1)[1]) if marker in version else 0


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--router-file", required=True)
    parser.add_argument("--prompts", default="data/routellm/gsm8k.jsonl.gz")
    parser.add_argument("--rate", type=int, default=20000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--publish-interval", type=float, default=10)
    parser.add_argument("--port-base", type=int, default=25000)
    parser.add_argument("--run-dir", default="run/publish-latency")
    args = parser.parse_args()
    base = args.port_base
    env = dict(os.environ, SWITCHYARD_RUN_DIR=args.run_dir, SWITCHYARD_PORT_BASE=str(base), SWITCHYARD_BIN=args.bin)
    subprocess.run(["scripts/cluster.sh", "up", "--router-file", args.router_file, "--learn",
                    "--publish-interval", str(args.publish_interval)], env=env, check=True, capture_output=True)
    try:
        prompts = [json.loads(line) for line in gzip.open(args.prompts, "rt")][:200]
        load = subprocess.Popen(
            [f"{args.bin}/switchyard-load", "--method", "route", "--vectors", "--prompts", args.prompts, "--rate", str(args.rate),
             "--connections", "8", "--warmup", "2", "--duration", str(args.seconds + 15), "--json", f"127.0.0.1:{base + 300}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        learner = Client("127.0.0.1", base + 500)
        replicas = [Client("127.0.0.1", base + 201 + i) for i in range(2)]
        acked = []          # (time acknowledged, scores acknowledged so far)
        learned_at = {}     # scores acknowledged -> the version that first carried them
        served = {}         # version number -> when every replica first served it (or a later one)
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                status = learner.status().learner
                now = time.monotonic()
                for k in range(1, len(acked) + 1):
                    if k not in learned_at and status.learned >= k + watch.start_learned:
                        learned_at[k] = number(status.serving_version)
                lowest = min(number(r.status().router.router_version) for r in replicas)
                for v in set(learned_at.values()):
                    if v <= lowest and v not in served:
                        served[v] = now
                time.sleep(0.02)

        watch.start_learned = learner.status().learner.learned
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        url = f"http://127.0.0.1:{base + 480}/v1"
        started = time.monotonic()
        i = 0
        while time.monotonic() - started < args.seconds:
            row = prompts[i % len(prompts)]
            i += 1
            _, headers, _ = post(f"{url}/chat/completions", {"model": "switchyard:alpha=0.8", "messages": [{"role": "user", "content": row["prompt"]}]})
            status, _, _ = post(f"{url}/feedback", {"id": headers["x-switchyard-request-id"], "score": row["scores"][headers["x-switchyard-model"]]})
            if status == 200:
                acked.append(time.monotonic())
            time.sleep(1)
        deadline = time.monotonic() + args.publish_interval * 2 + 5
        while time.monotonic() < deadline and len([k for k in range(1, len(acked) + 1) if learned_at.get(k) in served]) < len(acked):
            time.sleep(0.1)
        stop.set()
        watcher.join()
        report, errors = load.communicate(timeout=120)
        latencies = [(served[learned_at[k]] - acked[k - 1]) * 1000 for k in range(1, len(acked) + 1) if learned_at.get(k) in served]
        missing = len(acked) - len(latencies)
        load_report = json.loads(report) if report.strip().startswith("{") else {}
        print(json.dumps({
            "rate_asked": args.rate, "load": {k: load_report.get(k) for k in ("throughputPerSecond", "requests", "ok", "errors", "latencyMicroseconds")},
            "publish_interval_ms": args.publish_interval * 1000, "scores": len(acked), "never_served": missing,
            "score_to_every_replica_ms": {
                "median": statistics.median(latencies) if latencies else None, "max": max(latencies) if latencies else None,
                "min": min(latencies) if latencies else None,
                "within_interval": sum(1 for v in latencies if v <= args.publish_interval * 1000)},
        }, indent=1))
        return 0 if missing == 0 else 1
    finally:
        subprocess.run(["scripts/cluster.sh", "down"], env=env, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
