"""Turns the result files of scripts/bench.sh into the table of BENCHMARKS.md.

Usage: bench_report.py RESULTS_DIR BENCHMARKS.md  (rewrites the part between the bench markers,
and prints it).
"""
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone

results, target = sys.argv[1], sys.argv[2]


def load(name):
    with open(os.path.join(results, name + ".json")) as f:
        return json.load(f)


def text(name):
    with open(os.path.join(results, name)) as f:
        return f.read()


def number(pattern, source):
    match = re.search(pattern, source)
    if not match:
        sys.exit(f"bench_report: '{pattern}' not found in the results")
    return float(match.group(1))


def us(x):
    if x >= 10_000:
        return f"{x / 1000:.0f} ms"
    return f"{x:.0f} µs" if x >= 100 else f"{x:.1f} µs"


def per_s(report):
    return f"{report['throughputPerSecond']:,.0f}/s"


def errors(*reports):
    return sum(sum(r["errors"].values()) for r in reports)


route = text("route.txt")
decision = number(r"route decision .*?p50 (\d+) ns", route)
nearest = number(r"nearest clusters only: p50 (\d+) ns", route)
hash_bench = text("hash.txt")
hash_mmlu = number(r"mmlu: \d+ prompts of \d+ bytes on average: ([\d.]+) µs per prompt", hash_bench)
hash_mmlu_bytes = number(r"mmlu: \d+ prompts of (\d+) bytes", hash_bench)
hash_long = number(r"chat 2-8 KB: \d+ prompts of \d+ bytes on average: [\d.]+ µs per prompt, ([\d.]+) µs per KB", hash_bench)
codec = text("codec.txt")
codec_route = number(r"RouteRequest \(prompt\)\s+\d+\s+([\d.]+)", codec)
raw = number(r"p50 ([\d.]+) us", text("pingpong.txt"))

sequential, health, via = load("router-sequential"), load("health-sequential"), load("coordinator-sequential")
vectors, hashed, service = load("router-vectors"), load("router-hash-in-process"), load("router-embed-service")
hashed_sequential = load("router-hash-sequential")
coordinators = [load(f"coordinator-{n}") for n in (1, 2, 3)]
open_direct, open_coordinator = load("open-direct"), load("open-coordinator")
named, auto = load("gateway-named"), load("gateway-auto")
via_nginx, via_haproxy = load("nginx-sequential"), load("haproxy-sequential")
echo_sequential, echo_pipelined = load("echo-sequential"), load("echo-pipelined")
nginx, haproxy = load("nginx-2"), load("haproxy-2")


def wrk(name):
    """A wrk report as the numbers the table uses: requests/s, p50 and p99 latency in µs."""
    report = text(name + ".wrk")
    units = {"us": 1, "ms": 1e3, "s": 1e6}

    def latency(percentile):
        value, unit = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", report, re.M).groups()
        return float(value) * units[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    return {
        "throughputPerSecond": number(r"Requests/sec:\s+([\d.]+)", report),
        "seconds": number(r"requests in ([\d.]+)s", report),
        "latencyMicroseconds": {"p50": latency(50), "p99": latency(99)},
        "failed": (int(errors.group(1)) if errors else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    }


litellm, front_door, upstream_direct = wrk("litellm"), wrk("front-door"), wrk("upstream-direct")
front_door_sequential, upstream_sequential = wrk("front-door-sequential"), wrk("upstream-direct-sequential")
added_p50 = front_door_sequential["latencyMicroseconds"]["p50"] - upstream_sequential["latencyMicroseconds"]["p50"]


def cpu_per_request(name, report, warmup=1):
    """µs of CPU the watched processes spent per request during the run (and `warmup` seconds
    of warm-up before it, when the ticks include them)."""
    with open(os.path.join(results, name + ".ticks")) as f:
        ticks, per_second = (int(x) for x in f.read().split())
    requests = report["throughputPerSecond"] * (report["seconds"] + warmup)
    return ticks / per_second * 1e6 / requests
direct = vectors["throughputPerSecond"]

cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "?"


def status(ok):
    return "met" if ok else "**not met**"


rows = [
    ("In-process route decision (64 centroids × 384 dims, 12 models, top-3)", f"p50 {decision:.0f} ns (nearest clusters {nearest:.0f} ns)", "≤ 2 µs p50", status(decision <= 2000)),
    ("Sequential Route round trip (vector) vs raw C blocking ping-pong", f"{us(sequential['latencyMicroseconds']['p50'])} vs {us(raw)} = **{sequential['latencyMicroseconds']['p50'] / raw:.2f}×**", "≤ 1.5×", status(sequential["latencyMicroseconds"]["p50"] / raw <= 1.5)),
    ("Floor: SwiftNIO echo of the same frames (switchyard-bench echo-server), sequential; pipelined 2 × 32", f"{us(echo_sequential['latencyMicroseconds']['p50'])} = {echo_sequential['latencyMicroseconds']['p50'] / raw:.2f}× ping-pong; {per_s(echo_pipelined)}", "", ""),
    ("Sequential Route round trip through the coordinator (1 replica)", f"{us(via['latencyMicroseconds']['p50'])} (+{via['latencyMicroseconds']['p50'] - sequential['latencyMicroseconds']['p50']:.0f} µs over direct)", "", ""),
    ("Sequential Route round trip through nginx / HAProxy (2 replicas)", f"{us(via_nginx['latencyMicroseconds']['p50'])} / {us(via_haproxy['latencyMicroseconds']['p50'])} (+{via_nginx['latencyMicroseconds']['p50'] - sequential['latencyMicroseconds']['p50']:.0f} / +{via_haproxy['latencyMicroseconds']['p50'] - sequential['latencyMicroseconds']['p50']:.0f} µs over direct)", "", ""),
    ("Sequential Health round trip vs raw ping-pong", f"{us(health['latencyMicroseconds']['p50'])} vs {us(raw)} = {health['latencyMicroseconds']['p50'] / raw:.2f}×", "", ""),
    ("Router, pipelined, precomputed vectors (2 connections × 32)", f"{per_s(vectors)}; router CPU {cpu_per_request('router-vectors', vectors):.1f} µs per request", "≥ 100,000/s", status(direct >= 100_000)),
    ("Router, pipelined, MMLU prompts, hash embedder in-process", f"{per_s(hashed)} ({hashed['throughputPerSecond'] / direct:.0%} of vectors); router CPU {cpu_per_request('router-hash-in-process', hashed):.0f} µs per prompt", "≥ 40,000/s", status(hashed["throughputPerSecond"] >= 40_000)),
    ("Sequential Route round trip with an MMLU prompt, hash embedder in-process: p50", f"{us(hashed_sequential['latencyMicroseconds']['p50'])}", "", ""),
    ("Router, pipelined, MMLU prompts through the embedding service (cache misses)", f"{per_s(service)} ({service['throughputPerSecond'] / direct:.0%} of vectors)", "", ""),
]
for n, report in zip((1, 2, 3), coordinators):
    cost = 1 - report["throughputPerSecond"] / direct
    rows.append((f"Coordinator, {n} replica{'s' if n > 1 else ''}, vectors, vs router direct", f"{per_s(report)} = costs **{cost:.0%}** of direct", "", ""))
coordinator_cpu = cpu_per_request("coordinator-2", coordinators[1])
rows += [
    ("Pipelined via the coordinator, 2 replicas: % of direct; coordinator CPU per request", f"**{coordinators[1]['throughputPerSecond'] / direct:.0%}**; {coordinator_cpu:.1f} µs", "≥ 90%; ≤ 3 µs", status(coordinators[1]["throughputPerSecond"] / direct >= 0.9 and coordinator_cpu <= 3)),
    ("Pipelined via nginx (stream, 2 workers), same 2 replicas: % of direct; nginx CPU per request", f"{nginx['throughputPerSecond'] / direct:.0%}; {cpu_per_request('nginx-2', nginx):.1f} µs", "peer", ""),
    ("Pipelined via HAProxy (mode tcp, 2 threads), same 2 replicas: % of direct; HAProxy CPU per request", f"{haproxy['throughputPerSecond'] / direct:.0%}; {cpu_per_request('haproxy-2', haproxy):.1f} µs", "peer", ""),
]
rows += [
    ("Open loop 20,000/s: router direct, p50 / p99 / p99.9", f"{us(open_direct['latencyMicroseconds']['p50'])} / {us(open_direct['latencyMicroseconds']['p99'])} / {us(open_direct['latencyMicroseconds']['p999'])}", "", ""),
    ("Open loop 20,000/s: through the coordinator (2 replicas)", f"{us(open_coordinator['latencyMicroseconds']['p50'])} / {us(open_coordinator['latencyMicroseconds']['p99'])} / {us(open_coordinator['latencyMicroseconds']['p999'])} (+{open_coordinator['latencyMicroseconds']['p50'] - open_direct['latencyMicroseconds']['p50']:.0f} µs at p50)", "", ""),
    ("Gateway, replay backend (0 ms), named model; gateway CPU per request", f"{per_s(named)}, p50 {us(named['latencyMicroseconds']['p50'])}; {cpu_per_request('gateway-named', named):.0f} µs", "", ""),
    ("OpenAI front door (HTTP, wrk 2 × 64 connections), named model → an upstream answering at once (nginx); gateway CPU per request",
     f"{front_door['throughputPerSecond']:,.0f}/s, p50 {us(front_door['latencyMicroseconds']['p50'])}, p99 {us(front_door['latencyMicroseconds']['p99'])}; "
     f"{cpu_per_request('front-door', front_door, warmup=0):,.0f} µs", "", ""),
    ("The same upstream called directly (wrk, same connections)",
     f"{upstream_direct['throughputPerSecond']:,.0f}/s, p50 {us(upstream_direct['latencyMicroseconds']['p50'])}", "", ""),
    ("One request at a time (wrk, 1 connection): upstream directly vs through the front door; added at p50",
     f"p50 {us(upstream_sequential['latencyMicroseconds']['p50'])} vs {us(front_door_sequential['latencyMicroseconds']['p50'])}: **+{us(added_p50)}**",
     "< 1 ms", status(added_p50 < 1000)),
    ("LiteLLM proxy (PyPI, 2 workers, mock response), the same request over HTTP (wrk, 2 × 64 connections); LiteLLM CPU per request",
     f"{litellm['throughputPerSecond']:,.0f}/s, p50 {us(litellm['latencyMicroseconds']['p50'])}, p99 {us(litellm['latencyMicroseconds']['p99'])}; "
     f"{cpu_per_request('litellm', litellm, warmup=0):,.0f} µs; the front door answers **{front_door['throughputPerSecond'] / litellm['throughputPerSecond']:,.0f}×** as many, "
     f"the protobuf gateway {named['throughputPerSecond'] / litellm['throughputPerSecond']:,.0f}×", "≥ 50×", status(front_door['throughputPerSecond'] / litellm['throughputPerSecond'] >= 50)),
    ("Gateway, replay backend, \"auto\" (coordinator → router → embed in-process)", f"{per_s(auto)}, p50 {us(auto['latencyMicroseconds']['p50'])}", "", ""),
    ("Codec: RouteRequest (prompt, 154 B) encode + decode through protobuf-c", f"p50 {codec_route:.0f} ns", "", ""),
    (f"Hash embedder, one core, all MMLU prompts ({hash_mmlu_bytes:.0f} bytes on average); chat prompts of 2-8 KB", f"{hash_mmlu:.1f} µs per prompt; {hash_long:.0f} µs per KB", "≤ 20 µs per MMLU prompt", status(hash_mmlu <= 20)),
]
failures = {name: report["failed"] for name, report in {
    "LiteLLM": litellm, "front door": front_door, "upstream direct": upstream_direct,
    "front door sequential": front_door_sequential, "upstream sequential": upstream_sequential}.items()}
failures |= {name: errors(report) for name, report in {
    "router sequential": sequential, "prompt sequential": hashed_sequential, "health": health, "coordinator sequential": via,
    "echo sequential": echo_sequential, "echo pipelined": echo_pipelined, "nginx sequential": via_nginx,
    "HAProxy sequential": via_haproxy, "nginx": nginx, "HAProxy": haproxy, "router vectors": vectors, "router prompts": hashed,
    "router via embedding service": service, "coordinator 1": coordinators[0], "coordinator 2": coordinators[1],
    "coordinator 3": coordinators[2], "open loop direct": open_direct, "open loop coordinator": open_coordinator,
    "gateway named": named, "gateway auto": auto}.items()}
total_errors = sum(failures.values())
failed_rows = ", ".join(f"{name} {count}" for name, count in failures.items() if count)

lines = [
    f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} at commit `{commit}` on {os.cpu_count()} cores ({cpu}), "
    f"{platform.system()} {platform.release()}; every process (load client, services) on this one machine. "
    f"Load runs: {vectors['seconds']:.0f} s recorded after 1 s of warm-up; {total_errors} failed requests in all runs"
    + (f" ({failed_rows})." if failed_rows else "."),
    "",
    "| figure | measured | target | |",
    "|---|---|---|---|",
]
lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
table = "\n".join(lines)

with open(target) as f:
    document = f.read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
if begin not in document or end not in document:
    sys.exit(f"bench_report: {target} has no {begin} ... {end} markers")
head, rest = document.split(begin, 1)
_, tail = rest.split(end, 1)
with open(target, "w") as f:
    f.write(head + begin + "\n" + table + "\n" + end + tail)
print(table)
