"""Network faults over the lab of scripts/netlab.sh, with load from the client host.

Runs on the client host (scripts/netlab.sh faults starts it there, after `up`). For each fault it
runs switchyard-load (open loop, with a timeline) against the coordinator, injects the fault at a
known wall-clock time, watches the cluster from the client host with the Python client (the
coordinator's view of its replicas, or the routers' answers), and checks the outcome:

  loss         1% of packets dropped at random on every host (iptables statistic): no failed request
  router-cut   one router's link down for 10 s: no failed request (in-flight ones retried
               elsewhere); out of the coordinator's rotation within 2.5 s (its health checks:
               every 1 s, 0.5 s timeout, and 1 s of slack for a loaded machine), back within 3 s
               of repair
  coordinator-flap  the coordinator's link down for 5 s: clients get UNAVAILABLE within 3 s and no
               request waits longer than 4.5 s (no hang); answers again within 4 s of repair, and
               nothing fails from 4 s after it
  embed-cut    the embedding service's link down for 6 s: no failed request (routers fall back to
               in-process hash embeddings and say so in each answer, within 2.5 s); back on the
               service within 3 s of repair

Prints a table (requests, failed, p50/p99/max, detection and recovery times) and exits 1 when a
check fails. Links are restored and loss rules removed even when a check fails.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from switchyard.v1 import switchyard_pb2 as pb
from switchyard_client.client import Client

SWITCH = "swyd-switch"
ADDRESS = {"client": "10.77.0.10", "embed": "10.77.0.11", "router-1": "10.77.0.21", "router-2": "10.77.0.22",
           "router-3": "10.77.0.23", "coordinator": "10.77.0.30", "gateway": "10.77.0.40"}
COORDINATOR = (ADDRESS["coordinator"], 7300)
RATE = 300  # requests per second: light enough for a debug build on two cores


def set_link(host: str, up: bool) -> float:
    """Brings HOST's link to the switch up or down; returns the wall-clock time it happened."""
    subprocess.run(["ip", "-n", SWITCH, "link", "set", host, "up" if up else "down"], check=True)
    return time.time()


def set_loss(host: str, on: bool, probability: float = 0.01) -> None:
    rule = ["INPUT", "-m", "statistic", "--mode", "random", "--probability", str(probability), "-j", "DROP"]
    subprocess.run(["ip", "netns", "exec", f"swyd-{host}", "iptables", "-A" if on else "-D", *rule],
                   check=on, stderr=subprocess.DEVNULL if not on else None)


class Load:
    """switchyard-load against the coordinator in the background; `report()` waits for its JSON."""

    def __init__(self, bin_dir: str, token_file: str, seconds: float, vectors: bool = False):
        args = [f"{bin_dir}/switchyard-load", f"{COORDINATOR[0]}:{COORDINATOR[1]}", "--rate", str(RATE),
                "--connections", "4", "--duration", str(seconds), "--warmup", "1", "--timeout", "10",
                "--timeline", "100ms", "--json", "--auth-token-file", token_file,
                "--prompts", "data/routellm/gsm8k.jsonl.gz", "--max-prompts", "500"]
        if vectors:
            args.append("--vectors")
        self.seconds = seconds
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def report(self) -> dict:
        out, _ = self.process.communicate(timeout=self.seconds + 60)
        if self.process.returncode != 0:
            raise RuntimeError(f"switchyard-load exited {self.process.returncode}: {out[-500:]}")
        return json.loads(out)


class Watcher(threading.Thread):
    """Calls `probe(client)` every 100 ms on a connection of its own (reopened after failures) and
    keeps (wall-clock time, result) pairs; a failed probe records None."""

    def __init__(self, token: str, probe, timeout: float = 0.5):
        super().__init__(daemon=True)
        self.token, self.probe, self.timeout = token, probe, timeout
        self.samples: list[tuple[float, object]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        client = None
        while not self.stopping.is_set():
            try:
                client = client or Client(*COORDINATOR, timeout=self.timeout, auth_token=self.token)
                result = self.probe(client)
            except Exception:  # unreachable, timed out, an error status: all "no answer"
                if client:
                    client.close()
                client, result = None, None
            self.samples.append((time.time(), result))
            self.stopping.wait(0.1)

    def stop(self) -> list[tuple[float, object]]:
        self.stopping.set()
        self.join()
        return self.samples


def first_time(samples, after: float, predicate) -> float | None:
    """Seconds from `after` to the first sample at or after it whose result satisfies `predicate`."""
    for at, result in samples:
        if at >= after and predicate(result):
            return at - after
    return None


@dataclass
class Outcome:
    name: str
    report: dict
    facts: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)

    def row(self) -> str:
        r, latency = self.report, self.report["latencyMicroseconds"]
        errors = ", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items())) or "none"
        facts = "; ".join(f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}" for k, v in self.facts.items())
        return (f"| {self.name} | {r['requests']} | {r['requests'] - r['ok']} ({errors}) | {latency['p50'] / 1000:.1f} | "
                f"{latency['p99'] / 1000:.1f} | {latency['max'] / 1000:.0f} | {facts} | {'PASS' if not self.failures else 'FAIL'} |")


def seconds_into_recording(report: dict, at: float) -> float:
    return at - report["startedAtUnix"]


def loss(args) -> Outcome:
    hosts = list(ADDRESS)
    try:
        for host in hosts:
            set_loss(host, True)
        report = Load(args.bin, args.token_file, 12).report()
    finally:
        for host in hosts:
            set_loss(host, False)
    outcome = Outcome("1% packet loss on every host, 12 s", report)
    outcome.check(report["requests"] > 0 and report["ok"] == report["requests"], f"{report['requests'] - report['ok']} requests failed")
    return outcome


@dataclass
class Cut:
    """What happened around a link cut: the load's report, when the link went down and came
    back (wall clock), and what the watcher saw meanwhile."""
    report: dict
    cut: float
    repaired: float
    samples: list


def cut_link(args, host: str, down_seconds: float, load_seconds: float, before: float, probe=None,
             probe_timeout: float = 0.5) -> Cut:
    """Runs the load, cuts HOST's link `before` seconds after starting it (start-up and warm-up
    included) for `down_seconds`, restores it (also when interrupted), and waits for the report;
    with `probe`, a Watcher calls it throughout."""
    watcher = Watcher(args.token, probe, timeout=probe_timeout) if probe else None
    if watcher:
        watcher.start()
    load = Load(args.bin, args.token_file, load_seconds)
    time.sleep(before)
    cut = set_link(host, False)
    try:
        time.sleep(down_seconds)
    finally:
        repaired = set_link(host, True)
    report = load.report()
    return Cut(report, cut, repaired, watcher.stop() if watcher else [])


def replica_healthy(address: str):
    def probe(client: Client) -> bool:
        replicas = client.status().coordinator.replicas
        return any(r.address == address and r.healthy for r in replicas)
    return probe


def seen_and_repaired(name: str, run: Cut, seen, back, labels: tuple[str, str], bounds=(2.5, 3.0)) -> Outcome:
    """The outcome of a fault no request may fail on, which the watcher sees (`seen(result)`
    within bounds[0] of the cut) and then sees repaired (`back(result)` within bounds[1] of the
    repair)."""
    report = run.report
    outcome = Outcome(name, report)
    detected = first_time(run.samples, run.cut, seen)
    restored = first_time(run.samples, run.repaired, back)
    outcome.facts = {labels[0]: detected, labels[1]: restored}
    outcome.check(report["ok"] == report["requests"], f"{report['requests'] - report['ok']} requests failed")
    outcome.check(detected is not None and detected <= bounds[0], f"{labels[0]} {detected} s (bound {bounds[0]} s)")
    outcome.check(restored is not None and restored <= bounds[1], f"{labels[1]} {restored} s (bound {bounds[1]} s)")
    return outcome


def router_cut(args) -> Outcome:
    run = cut_link(args, "router-2", 10, load_seconds=18, before=4.5, probe=replica_healthy(f"{ADDRESS['router-2']}:7200"))
    return seen_and_repaired("router-2 link cut 10 s", run, lambda healthy: healthy is False, lambda healthy: healthy is True,
                             ("out of rotation after", "back after repair"))


def coordinator_flap(args) -> Outcome:
    run = cut_link(args, "coordinator", 5, load_seconds=14, before=4.5)
    report, cut, repaired = run.report, run.cut, run.repaired
    timeline = report["timeline"]
    cut_at, repaired_at = seconds_into_recording(report, cut), seconds_into_recording(report, repaired)
    slot = 0.1
    first_failure = next((s["start"] for s in timeline if s["failed"] and s["start"] + slot >= cut_at), None)
    # Answers again: the first slot after the repair with a request answered OK; from 4 s after
    # the repair on, nothing may fail.
    answered = next((s["start"] for s in timeline if s["ok"] and s["start"] + slot >= repaired_at), None)
    recovered = None if answered is None else max(0.0, answered - repaired_at)
    late_failures = sum(s["failed"] for s in timeline if s["start"] >= repaired_at + 4.0)
    outcome = Outcome("coordinator link down 5 s", report)
    failed_at = None if first_failure is None else max(0.0, first_failure + slot - cut_at)
    outcome.facts = {"first UNAVAILABLE after": failed_at, "answers again after repair": recovered}
    statuses = set(report["errors"])
    outcome.check(statuses <= {"UNAVAILABLE"}, f"failures other than UNAVAILABLE: {sorted(statuses)}")
    outcome.check(failed_at is not None and failed_at <= 3.0, f"first failure {failed_at} s after the cut (bound 3 s)")
    outcome.check(report["latencyMicroseconds"]["max"] <= 4.5e6, f"a request waited {report['latencyMicroseconds']['max'] / 1e6:.1f} s (bound 4.5 s)")
    outcome.check(recovered is not None and recovered <= 4.0, f"answers resumed {recovered} s after repair (bound 4 s)")
    outcome.check(late_failures == 0, f"{late_failures} requests failed more than 4 s after the repair")
    return outcome


def route_fallback(client: Client) -> bool:
    """Whether a Route just answered was embedded by the fallback."""
    response = client.call("Route", pb.RouteRequest(prompt="What is 12 times 7?"))
    return response.embedding_fallback != ""


def embed_cut(args) -> Outcome:
    run = cut_link(args, "embed", 6, load_seconds=12, before=3.5, probe=route_fallback, probe_timeout=3.0)
    return seen_and_repaired("embedding service link cut 6 s", run, lambda fallback: fallback is True,
                             lambda fallback: fallback is False, ("answers say fallback after", "service again after repair"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="directory of the switchyard executables")
    parser.add_argument("--run-dir", required=True, help="the lab's run directory (token files)")
    parser.add_argument("--only", nargs="*", help="run only these faults")
    args = parser.parse_args()
    args.token_file = str(Path(args.run_dir) / "auth-token")
    args.token = Path(args.token_file).read_text().strip()
    faults = {"loss": loss, "router-cut": router_cut, "coordinator-flap": coordinator_flap, "embed-cut": embed_cut}
    outcomes = []
    for name, run in faults.items():
        if args.only and name not in args.only:
            continue
        print(f"netlab faults: {name} ...", flush=True)
        outcomes.append(run(args))
        time.sleep(2)  # the cluster settles before the next fault
    print(f"\nload: open loop {RATE}/s of GSM8K prompts over 4 connections to the coordinator (switchyard-load)\n")
    print("| fault | requests | failed | p50 ms | p99 ms | max ms | detection and recovery | |")
    print("|---|---|---|---|---|---|---|---|")
    for outcome in outcomes:
        print(outcome.row())
    failed = [f"{o.name}: {message}" for o in outcomes for message in o.failures]
    for message in failed:
        print(f"FAIL {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
