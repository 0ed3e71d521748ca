#!/usr/bin/env python3
"""Issue 26's learning bench: real data replayed through a running Switchyard cluster as an
application would send it, beside LiteLLM's adaptive router on the same stream.

For each scenario and seed: 30% of a shuffle of the data set is labelled data (the warm start's
training set, and the full-information offline router's), the rest is the stream (AlpacaEval: 4
reshuffled passes over it). A cluster is started with `scripts/cluster.sh up --learn` on a router
trained on the labelled part (warm) or fitted on its prompts alone (cold, `train --prompts-only`),
replay upstreams for the pool's models, and the learner publishing every --publish-interval.
Every stream prompt goes through the front door with the OpenAI SDK (model
"switchyard:alpha=A"); the bench then posts, as feedback, the recorded score of the model that
answered (x-switchyard-model) and of no other, as POST /v1/feedback with the request id.

LiteLLM's adaptive router (PyPI litellm, router_strategy/adaptive_router) runs on the same stream
in the same process through its own functions: classify_prompt for the request type,
initial_cell with a neutral prior (quality tier 2), pick_best with quality weight A and cost
weight 1 - A over each model's mean cost per prompt, and apply_delta(score, 1 - score) with the
same feedback, its sample cap as shipped.

Utility is what the router optimises: u = A x score + (1 - A) x (1 - (cost - lo) / (hi - lo)),
cost clipped to [lo, hi], lo and hi the cheapest and dearest pool model's mean cost per prompt.
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

import httpx
from openai import OpenAI

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
from litellm.router_strategy.adaptive_router.bandit import apply_delta, initial_cell, pick_best  # noqa: E402
from litellm.router_strategy.adaptive_router.classifier import classify_prompt  # noqa: E402
from litellm.types.router import AdaptiveRouterPreferences  # noqa: E402

ALPACA_POOL = ["gpt4_1106_preview", "claude-2", "gpt-3.5-turbo-1106", "claude-instant-1.2",
               "FuseChat-Llama-3.1-8B-Instruct", "FuseChat-Llama-3.2-3B-Instruct"]
MMLU_POOL = ["gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"]
NEW_MODEL = "FuseChat-Llama-3.1-8B-Instruct"

# name: data file, pool, alpha, start (warm/cold), passes, drift pair, model missing from the labels
SCENARIOS = {
    "mmlu-a0.9-warm": ("data/routellm/mmlu.jsonl.gz", MMLU_POOL, 0.9, "warm", 1, None, None),
    "mmlu-a0.9-cold": ("data/routellm/mmlu.jsonl.gz", MMLU_POOL, 0.9, "cold", 1, None, None),
    "mmlu-a0.7-warm": ("data/routellm/mmlu.jsonl.gz", MMLU_POOL, 0.7, "warm", 1, None, None),
    "mmlu-a0.7-cold": ("data/routellm/mmlu.jsonl.gz", MMLU_POOL, 0.7, "cold", 1, None, None),
    "gsm8k-a0.8-warm": ("data/routellm/gsm8k.jsonl.gz", MMLU_POOL, 0.8, "warm", 1, None, None),
    "gsm8k-a0.8-cold": ("data/routellm/gsm8k.jsonl.gz", MMLU_POOL, 0.8, "cold", 1, None, None),
    "alpaca6-a0.7-warm": ("data/alpaca_eval2.jsonl.gz", ALPACA_POOL, 0.7, "warm", 4, None, None),
    "alpaca6-a0.7-cold": ("data/alpaca_eval2.jsonl.gz", ALPACA_POOL, 0.7, "cold", 4, None, None),
    "alpaca6-a0.7-new-model": ("data/alpaca_eval2.jsonl.gz", ALPACA_POOL, 0.7, "warm", 4, None, NEW_MODEL),
    "alpaca6-a0.7-drift": ("data/alpaca_eval2.jsonl.gz", ALPACA_POOL, 0.7, "warm", 4, (NEW_MODEL, "gpt-3.5-turbo-1106"), None),
    "mmlu-a0.9-drift": ("data/routellm/mmlu.jsonl.gz", MMLU_POOL, 0.9, "warm", 1, tuple(MMLU_POOL), None),
}


def log(message):
    print(f"learning-bench: {message}", file=sys.stderr, flush=True)


class Data:
    """A data set restricted to a pool: scores on [0, 1] and cost per prompt and model."""

    def __init__(self, path, pool, prices):
        self.lines = []
        for raw in gzip.open(path, "rt"):
            line = json.loads(raw)
            if all(m in line["scores"] and m in line.get("tokens", {}) for m in pool):
                self.lines.append(line)
        self.pool = pool
        self.path = path
        lo_hi = [line.get("score_range") for line in self.lines[:1]][0] or [0, 1]
        self.score = [{m: (line["scores"][m] - lo_hi[0]) / (lo_hi[1] - lo_hi[0]) for m in pool} for line in self.lines]
        self.cost = [{m: (line["tokens"][m]["input"] * prices[m]["input_per_million"]
                          + line["tokens"][m]["output"] * prices[m]["output_per_million"]) / 1e6 for m in pool}
                     for line in self.lines]
        self.mean_cost = {m: sum(c[m] for c in self.cost) / len(self.cost) for m in pool}
        self.lo, self.hi = min(self.mean_cost.values()), max(self.mean_cost.values())

    def utility(self, i, model, alpha, scores=None):
        score = (scores or self.score[i])[model]
        normalized = min(max((self.cost[i][model] - self.lo) / (self.hi - self.lo), 0), 1) if self.hi > self.lo else 0
        return alpha * score + (1 - alpha) * (1 - normalized)

    def write(self, indices, path, models=None, swap=None):
        """The lines at `indices` as a data file (only `models`; `swap` exchanges two models' scores)."""
        with open(path, "w") as out:
            for i in indices:
                line = dict(self.lines[i])
                scores = {m: line["scores"][m] for m in (models or self.pool)}
                if swap:
                    a, b = swap
                    if a in scores and b in scores:
                        scores[a], scores[b] = scores[b], scores[a]
                line["scores"] = scores
                line["tokens"] = {m: line["tokens"][m] for m in scores}
                out.write(json.dumps(line) + "\n")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def route_all(args, router, prompts_file, alpha):
    """The frozen router's choice for every prompt of the file, by id."""
    out = run([f"{args.bin}/switchyard", "route", "--router", router, "--alpha", str(alpha), "--prompts", prompts_file])
    return {row["id"]: row["model"] for row in map(json.loads, out.splitlines())}


def litellm_stream(data, stream, alpha, feedback_scores, seed):
    """LiteLLM's adaptive router on the stream, through its own functions, with the same feedback."""
    prefs = AdaptiveRouterPreferences(quality_tier=2)
    rng = random.Random(seed)
    cells = {}
    costs = {m: data.mean_cost[m] for m in data.pool}
    choices = []
    for t, i in enumerate(stream):
        kind = classify_prompt(data.lines[i]["prompt"])
        row = cells.setdefault(kind, {m: initial_cell(prefs, kind) for m in data.pool})
        model = pick_best(row, costs, quality_weight=alpha, cost_weight=1 - alpha, rng=rng)
        score = feedback_scores(t, i)[model]
        row[model] = apply_delta(row[model], score, 1 - score)
        choices.append(model)
    return choices


def cluster_stream(args, data, stream, alpha, feedback_scores, url):
    """The stream through the front door with the OpenAI SDK, feedback posted for each answer."""
    client = OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=60)
    http = httpx.Client(base_url=url, timeout=60)
    results = [None] * len(stream)
    next_index = iter(range(len(stream)))
    lock = threading.Lock()
    failures = []
    started = time.monotonic()

    def worker():
        while True:
            with lock:
                t = next(next_index, None)
            if t is None:
                return
            if args.rate:
                delay = started + t / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            i = stream[t]
            try:
                raw = client.chat.completions.with_raw_response.create(
                    model=f"switchyard:alpha={alpha}", messages=[{"role": "user", "content": data.lines[i]["prompt"]}])
                model = raw.headers["x-switchyard-model"]
                request_id = raw.headers["x-switchyard-request-id"]
                results[t] = (model, raw.headers.get("x-switchyard-explored") == "true",
                              raw.headers.get("x-switchyard-router-version", ""))
                answer = http.post("/feedback", json={"id": request_id, "score": feedback_scores(t, i)[model]})
                if answer.status_code >= 300:
                    failures.append(f"feedback {answer.status_code}: {answer.text[:200]}")
            except Exception as error:  # counted and reported: the run is then not comparable
                failures.append(repr(error)[:300])

    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        for future in [pool.submit(worker) for _ in range(args.clients)]:
            future.result()
    seconds = time.monotonic() - started
    http.close()
    return results, failures, seconds


def windowed(values, window):
    out, total = [], 0.0
    for t, v in enumerate(values):
        total += v
        if t >= window:
            total -= values[t - window]
        out.append(total / min(t + 1, window))
    return out


def first_match(mine, theirs, window, start=0):
    """Prompts until my windowed utility reaches theirs (and the window is full); None: never."""
    a, b = windowed(mine, window), windowed(theirs, window)
    for t in range(max(start, window - 1), len(a)):
        if a[t] >= b[t]:
            return t + 1
    return None


def one_run(args, name, seed, prices):
    path, pool, alpha, start, passes, drift, missing = SCENARIOS[name]
    data = Data(path, pool, prices)
    rng = random.Random(seed)
    order = list(range(len(data.lines)))
    rng.shuffle(order)
    cut = int(len(order) * 0.3)
    labelled, stream_set = order[:cut], order[cut:]
    if args.quick:
        stream_set = stream_set[: args.quick]
    stream = []
    for _ in range(passes):
        shuffled = list(stream_set)
        rng.shuffle(shuffled)
        stream += shuffled
    half = len(stream) // 2

    def swapped(scores):
        a, b = drift
        scores = dict(scores)
        scores[a], scores[b] = scores[b], scores[a]
        return scores

    def feedback_scores(t, i):
        return swapped(data.score[i]) if drift and t >= half else data.score[i]

    work = os.path.join(args.out_dir, f"{name}-s{seed}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    labelled_file, stream_file = f"{work}/labelled.jsonl", f"{work}/stream.jsonl"
    data.write(labelled, labelled_file, models=[m for m in pool if m != missing])
    data.write(stream_set, stream_file)
    switchyard = f"{args.bin}/switchyard"
    router = f"{work}/router.bin"
    # Pool normalization: the routers rank by the very utility the bench scores (and the learner
    # publishes), u = A x score + (1 - A) x (1 - normalized cost).
    common = ["--router", "cluster", "--knob", "cluster.pool=1", "--embedder", "hash", "--seed", str(seed)]
    if start == "warm":
        run([switchyard, "train", "--data", labelled_file, "--out", router] + common)
    else:
        run([switchyard, "train", "--prompts-only", "--data", labelled_file, "--models", ",".join(pool), "--out", router] + common)
    # The full-information offline router: every pool model's scores on the labelled part (after
    # a drift, the drifted ones for the stream's second half).
    full = f"{work}/offline.bin"
    full_labels = f"{work}/labelled-full.jsonl"
    data.write(labelled, full_labels)
    run([switchyard, "train", "--data", full_labels, "--out", full] + common)
    offline_choice = route_all(args, full, stream_file, alpha)
    offline_after = offline_choice
    if drift:
        drifted_labels, drifted = f"{work}/labelled-drifted.jsonl", f"{work}/offline-drifted.bin"
        data.write(labelled, drifted_labels, swap=drift)
        run([switchyard, "train", "--data", drifted_labels, "--out", drifted] + common)
        offline_after = route_all(args, drifted, stream_file, alpha)
    config = {"upstreams": [{
        "name": m, "kind": "replay", "datasets": [os.path.abspath(path)], "latency_ms": 0,
        "input_per_million": prices[m]["input_per_million"], "output_per_million": prices[m]["output_per_million"],
        "timeout_seconds": 30} for m in pool]}
    with open(f"{work}/gateway.json", "w") as out:
        json.dump(config, out)
    run_dir = f"{work}/cluster"
    env = dict(os.environ, SWITCHYARD_RUN_DIR=run_dir, SWITCHYARD_PORT_BASE=str(args.port_base), SWITCHYARD_BIN=args.bin)
    cluster = ["scripts/cluster.sh"]
    run(cluster + ["up", "--router-file", router, "--gateway-config", f"{work}/gateway.json", "--embedder", "hash",
                   "--learn", "--publish-interval", str(args.publish_interval), "--routers", "2"]
        + [flag for value in args.learner_flag for flag in ("--learner-flag", value)]
        + [flag for value in args.gateway_flag for flag in ("--gateway-flag", value)], env=env)
    try:
        results, failures, seconds = cluster_stream(
            args, data, stream, alpha, feedback_scores, f"http://127.0.0.1:{args.port_base + 480}/v1")
        time.sleep(args.publish_interval * 2)
        summary = json.loads(run([switchyard, "outcomes", "summary", "--json", "--store", f"sqlite:{run_dir}/outcomes.sqlite"]))
        versions = run([switchyard, "router", "versions", "--limit", "1", "--store", f"sqlite:{run_dir}/outcomes.sqlite"])
    finally:
        run(cluster + ["down"], env=env)
    litellm = litellm_stream(data, stream, alpha, feedback_scores, seed)

    def scores_at(t):
        return feedback_scores(t, stream[t])

    def u(t, model):
        return data.utility(stream[t], model, alpha, scores_at(t))

    policies = {
        "switchyard": [r[0] if r else None for r in results],
        "litellm": litellm,
        "offline": [(offline_after if drift and t >= half else offline_choice)[data.lines[i]["id"]] for t, i in enumerate(stream)],
    }
    policies["oracle"] = [max(pool, key=lambda m: u(t, m)) for t in range(len(stream))]
    best_single = max(pool, key=lambda m: sum(u(t, m) for t in range(len(stream))))
    policies["best-single"] = [best_single] * len(stream)
    utilities = {p: [u(t, m) if m else 0.0 for t, m in enumerate(c)] for p, c in policies.items()}
    n = len(stream)
    third = n - n // 3
    figures = {}
    for p, c in policies.items():
        figures[p] = {
            "utility": sum(utilities[p]) / n, "utility_last_third": sum(utilities[p][third:]) / (n - third),
            "quality": sum(scores_at(t)[m] for t, m in enumerate(c) if m) / n,
            "cost_usd": sum(data.cost[stream[t]][m] for t, m in enumerate(c) if m),
            "regret_vs_offline": sum(a - b for a, b in zip(utilities["offline"], utilities[p])),
        }
    run_result = {
        "scenario": name, "seed": seed, "alpha": alpha, "stream": n, "labelled": len(labelled), "seconds": seconds,
        "requests_per_second": n / seconds, "failures": len(failures), "failure_examples": failures[:3],
        "figures": figures, "best_single": best_single,
        "explored": sum(1 for r in results if r and r[1]), "explored_cost_usd": summary["total"].get("explored_cost_usd", 0),
        "versions_seen": len({r[2] for r in results if r}), "last_version": versions.split("  ")[0] if versions else "",
        "match_litellm": first_match(utilities["switchyard"], utilities["litellm"], 500),
        "match_offline": first_match(utilities["switchyard"], utilities["offline"], 500),
    }
    if drift:
        sy = utilities["switchyard"]
        before = sum(sy[half - 500:half]) / 500
        after = windowed(sy, 100)
        run_result["pre_drift_utility"] = before
        run_result["recovery_prompts"] = next((t - half + 1 for t in range(half + 99, n) if after[t] >= 0.9 * before), None)
        for p in ("switchyard", "litellm"):
            run_result[f"post_drift_regret_{p}"] = sum(a - b for a, b in zip(utilities["offline"][half:], utilities[p][half:]))
    if missing:
        # Where the new model is best (by utility), the share of prompts that went to it: prompts
        # (of the stream) until its share over the last 50 such prompts reaches 80%.
        best_prompts = [t for t in range(n) if policies["oracle"][t] == missing]
        hits = [1.0 if policies["switchyard"][t] == missing else 0.0 for t in best_prompts]
        share = windowed(hits, 50)
        reached = next((best_prompts[k] + 1 for k in range(49, len(share)) if share[k] >= 0.8), None)
        run_result["new_model_80pct_after"] = reached
        run_result["new_model_share_where_best"] = sum(hits) / max(len(hits), 1)
        lite = [1.0 if policies["litellm"][t] == missing else 0.0 for t in best_prompts]
        lshare = windowed(lite, 50)
        run_result["litellm_new_model_80pct_after"] = next((best_prompts[k] + 1 for k in range(49, len(lshare)) if lshare[k] >= 0.8), None)
    if name.startswith("mmlu-a0.7"):
        # Two models: an answer that explored went to the model the means did not pick.
        run_result["exploration_regret"] = sum(
            max(0.0, u(t, next(m for m in pool if m != r[0])) - u(t, r[0])) for t, r in enumerate(results) if r and r[1])
    with open(f"{work}/result.json", "w") as out:
        json.dump(run_result, out, indent=1)
    shutil.rmtree(run_dir, ignore_errors=True)
    return run_result


def table(results):
    def agg(values):
        values = [v for v in values if v is not None]
        if not values:
            return "-"
        mean = sum(values) / len(values)
        return f"{mean:.3f} [{min(values):.3f}, {max(values):.3f}]" if len(values) > 1 else f"{mean:.3f}"

    def agg_int(values):
        shown = ["never" if v is None else str(round(v)) for v in values]
        return "/".join(shown)

    lines = ["| scenario | Switchyard | LiteLLM | offline (full info) | best single | oracle | regret vs offline: Switchyard / LiteLLM | prompts to match LiteLLM / offline | explored (cost) | req/s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    names = list(dict.fromkeys(r["scenario"] for r in results))
    for name in names:
        rs = [r for r in results if r["scenario"] == name]

        def fig(p, key="utility_last_third"):
            return agg([r["figures"][p][key] for r in rs])
        regret = f"{agg([r['figures']['switchyard']['regret_vs_offline'] for r in rs])} / {agg([r['figures']['litellm']['regret_vs_offline'] for r in rs])}"
        explored = f"{sum(r['explored'] for r in rs) / len(rs):.0f} (${sum(r['explored_cost_usd'] for r in rs) / len(rs):.3f})"
        lines.append(f"| {name} | {fig('switchyard')} | {fig('litellm')} | {fig('offline')} | {fig('best-single')} | {fig('oracle')} | "
                     f"{regret} | {agg_int([r['match_litellm'] for r in rs])} / {agg_int([r['match_offline'] for r in rs])} | "
                     f"{explored} | {sum(r['requests_per_second'] for r in rs) / len(rs):.0f} |")
    extra = []
    for r in results:
        if "recovery_prompts" in r:
            extra.append(f"- {r['scenario']} seed {r['seed']}: back to 90% of the pre-drift utility ({r['pre_drift_utility']:.3f}) "
                         f"{r['recovery_prompts']} prompts after the drift; post-drift regret vs offline: Switchyard "
                         f"{r['post_drift_regret_switchyard']:.1f}, LiteLLM {r['post_drift_regret_litellm']:.1f}")
        if "new_model_80pct_after" in r:
            extra.append(f"- {r['scenario']} seed {r['seed']}: the new model had 80% of the prompts where it is best after "
                         f"{r['new_model_80pct_after']} prompts (LiteLLM: {r['litellm_new_model_80pct_after']}); its share "
                         f"there over the stream {r['new_model_share_where_best']:.2f}")
        if "exploration_regret" in r:
            extra.append(f"- {r['scenario']} seed {r['seed']}: exploration regret {r['exploration_regret']:.1f} over "
                         f"{r['stream']} prompts ({r['explored']} explored)")
        if r["failures"]:
            extra.append(f"- {r['scenario']} seed {r['seed']}: {r['failures']} requests failed, e.g. {r['failure_examples'][:1]}")
    return "\n".join(lines + [""] + extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--out-dir", default="run/learning-bench")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seeds", default="42,7,99")
    parser.add_argument("--quick", type=int, default=0, help="only this many stream prompts per pass (a short check)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=0, help="requests per second to pace the stream at (0: as fast as answered)")
    parser.add_argument("--publish-interval", type=float, default=0.25)
    parser.add_argument("--port-base", type=int, default=27000)
    parser.add_argument("--prices", default="data/prices.json")
    parser.add_argument("--learner-flag", action="append", default=[], help="one more flag for the learner, e.g. --half-life=1000")
    parser.add_argument("--gateway-flag", action="append", default=[], help="one more flag for the gateway, e.g. --explore-share=0.05")
    parser.add_argument("--check", type=float, default=None, metavar="MARGIN",
                        help="exit 1 unless, in every run, no request failed and Switchyard's last-third utility is at "
                             "least LiteLLM's minus MARGIN (the test command's short scenario)")
    args = parser.parse_args()
    prices = json.load(open(args.prices))
    os.makedirs(args.out_dir, exist_ok=True)
    results = []
    for name in args.scenarios.split(","):
        for seed in map(int, args.seeds.split(",")):
            log(f"{name} seed {seed}")
            result = one_run(args, name, seed, prices)
            f = result["figures"]
            log(f"  last third: Switchyard {f['switchyard']['utility_last_third']:.3f}, LiteLLM {f['litellm']['utility_last_third']:.3f}, "
                f"offline {f['offline']['utility_last_third']:.3f}; {result['stream']} prompts at {result['requests_per_second']:.0f}/s, "
                f"{result['failures']} failed")
            results.append(result)
    with open(os.path.join(args.out_dir, "results.json"), "w") as out:
        json.dump(results, out, indent=1)
    print(table(results))
    failed = [f"{r['scenario']} seed {r['seed']}: {r['failures']} requests failed" for r in results if r["failures"]]
    if args.check is not None:
        for r in results:
            mine, theirs = (r["figures"][p]["utility_last_third"] for p in ("switchyard", "litellm"))
            if mine < theirs - args.check:
                failed.append(f"{r['scenario']} seed {r['seed']}: Switchyard {mine:.3f} < LiteLLM {theirs:.3f} - {args.check}")
            if r["versions_seen"] < 2:
                failed.append(f"{r['scenario']} seed {r['seed']}: answers came from {r['versions_seen']} router version(s); the learner published none")
    for failure in failed:
        log(f"FAILED {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
