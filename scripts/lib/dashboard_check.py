#!/usr/bin/env python3
"""The dashboard in a real browser (scripts/dashboard-check.sh).

Starts the cluster as processes (a cluster router on hash embeddings, replay upstreams, the outcome
store, API keys and an admin token, the learner publishing router versions), puts it under load
from switchyard-load (protobuf Complete) while requests of two API keys go through the OpenAI front
door with W3C traceparent and are rated, opens GET /dashboard in headless Chromium (Debian's
`chromium`, driven over the DevTools protocol), waits for live data, saves a screenshot, opens one
request's explanation, and once the load has ended checks the figures in the page's DOM against the
gateway's /metrics and the SQLite store. A JavaScript exception or console error fails the check,
and so does a trace id missing from the gateway's log lines of a failed upstream call.
"""
import argparse
import base64
import gzip
import json
import os
import random
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ADMIN = "dashboard-admin-token-0123456789"
KEYS = {"team-a": ("sk-sy-team-a-0123456789abcdef", 5.0), "team-b": ("sk-sy-team-b-0123456789abcdef", None)}
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def log(message):
    print(f"dashboard-check: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# A DevTools-protocol client over a WebSocket (RFC 6455), standard library only.

class DevTools:
    def __init__(self, ws_url):
        match = re.match(r"ws://([^/:]+):(\d+)(/.*)", ws_url)
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        self.sock = socket.create_connection((host, port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise Failure(f"DevTools refused the WebSocket: {head[:200]!r}")
        self.next_id = 0
        self.events = []

    def _send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        n = len(payload)
        header += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _exactly(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise Failure("DevTools closed the WebSocket")
            out += chunk
        return out

    def _receive(self):
        message = b""
        while True:
            first, second = self._exactly(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exactly(8))[0]
            data = self._exactly(n)
            opcode = first & 0x0F
            if opcode in (0x1, 0x0):
                message += data
                if first & 0x80:
                    return json.loads(message)
            elif opcode == 0x8:
                raise Failure("DevTools closed the WebSocket")

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise Failure(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise Failure(f"evaluating {expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self):
        """JavaScript exceptions and console errors seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails", {}))[:400])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append("console.error: " + json.dumps(params.get("args", []))[:400])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append("log: " + params["entry"].get("text", "")[:400])
        return found


def start_chromium(profile):
    args = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--window-size=1440,1900", "about:blank"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile, "chromium.log"), "w"))
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            port = int(open(port_file).read().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            return process, DevTools(pages[0]["webSocketDebuggerUrl"])
        if process.poll() is not None:
            raise Failure(f"chromium exited ({process.returncode}); see {profile}/chromium.log")
        time.sleep(0.1)
    raise Failure("chromium did not open its DevTools port within 30 s")


def open_dashboard(page, url):
    """Listens for the page's errors, sizes the window as the README's picture, and opens url."""
    for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
        page.call(domain)
    page.call("Emulation.setDeviceMetricsOverride", width=1440, height=1900, deviceScaleFactor=1, mobile=False)
    page.call("Page.navigate", url=url)


def screenshot(page, path):
    """The whole page saved at path (PNG, or JPEG for a .jpg name); returns its bytes."""
    shot = {"format": "jpeg", "quality": 85} if path.lower().endswith((".jpg", ".jpeg")) else {"format": "png"}
    image = base64.b64decode(page.call("Page.captureScreenshot", captureBeyondViewport=True, **shot)["data"])
    with open(path, "wb") as f:
        f.write(image)
    return len(image)


# ----------------------------------------------------------------------------------------------
# The cluster's side.

def http(url, body=None, headers=None, timeout=30):
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def metrics(url):
    """Prometheus text as {(name, labels): value}."""
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if match:
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', match.group(2) or "")))
            out[(match.group(1), labels)] = float(match.group(3))
    return out


def metric_sum(found, name, **labels):
    return sum(v for (n, l), v in found.items() if n == name and all((k, str(val)) in l for k, val in labels.items()))


def front_door_traffic(base, prompts, count, rng):
    """Requests of both keys through the front door (some with a traceparent), each rated with the
    replay answer's recorded score. Returns the request ids."""
    ids = []
    for i in range(count):
        name = "team-a" if i % 2 == 0 else "team-b"
        headers = {"Authorization": f"Bearer {KEYS[name][0]}"}
        if i % 3 == 0:
            headers["traceparent"] = f"00-{TRACE}-{os.urandom(8).hex()}-01"
        model = "auto" if i % 4 else "switchyard:alpha=0.9"
        stream = i % 5 == 1
        status, response_headers, body = http(f"{base}/v1/chat/completions",
                                              {"model": model, "stream": stream, "messages": [{"role": "user", "content": rng.choice(prompts)}]},
                                              headers)
        if status != 200:
            continue
        request_id = {k.lower(): v for k, v in response_headers.items()}["x-switchyard-request-id"]
        if stream:
            events = [json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: {")]
            text = "".join(c["delta"].get("content") or "" for e in events for c in e.get("choices", []))
        else:
            text = json.loads(body)["choices"][0]["message"]["content"]
        score = float(re.search(r"recorded score ([0-9.eE+-]+)", text).group(1))
        status, _, body = http(f"{base}/v1/feedback", {"id": request_id, "score": min(1.0, max(0.0, score))}, headers)
        if status != 200:
            raise Failure(f"feedback for {request_id}: {status} {body[:200]!r}")
        ids.append(request_id)
    return ids


def store_quality(path):
    """The latest 20,000 scores of the last 24 h per model, from the store, as the dashboard counts them."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    since = int((time.time() - 86_400) * 1000)
    rows = db.execute("SELECT o.model, f.source, count(*), avg(f.score) FROM (SELECT id, source, score FROM feedback "
                      "WHERE created_ms >= ? ORDER BY created_ms DESC LIMIT 20000) f JOIN outcomes o ON o.id = f.id "
                      "WHERE o.model IS NOT NULL GROUP BY o.model, f.source", (since,)).fetchall()
    db.close()
    return {(model, source): (n, mean) for model, source, n, mean in rows}


def close(a, b, relative=1e-6, absolute=1e-9):
    return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--port-base", type=int, default=24000)
    parser.add_argument("--out-dir", default="run/dashboard-check")
    parser.add_argument("--rate", type=int, default=150, help="switchyard-load's requests per second")
    parser.add_argument("--seconds", type=int, default=25, help="how long the load runs")
    parser.add_argument("--screenshot", default=None, help="where the screenshot goes (default: OUT_DIR/dashboard.png)")
    args = parser.parse_args()
    out = os.path.abspath(args.out_dir)
    os.makedirs(out, exist_ok=True)
    shot = args.screenshot or os.path.join(out, "dashboard.png")
    base_port = args.port_base
    front_door = f"http://127.0.0.1:{base_port + 480}"
    switchyard = os.path.join(args.bin, "switchyard")

    keys_file, admin_file = os.path.join(out, "keys.json"), os.path.join(out, "admin-token")
    with open(keys_file, "w") as f:
        json.dump({"keys": [{"name": n, "key": k, **({"daily_budget_usd": b} if b else {})} for n, (k, b) in KEYS.items()]}, f)
    with open(admin_file, "w") as f:
        f.write(ADMIN + "\n")
    router = os.path.join(out, "router.bin")
    data = ["data/routellm/gsm8k.jsonl.gz", "data/routellm/mmlu.jsonl.gz"]
    subprocess.run([switchyard, "train", "--router", "cluster", "--embedder", "hash", "--out", router]
                   + [a for d in data for a in ("--data", d)], check=True, stdout=subprocess.DEVNULL)
    prompts = [json.loads(line)["prompt"] for line in gzip.open(data[0], "rt")][:400]
    run_dir = os.path.join(out, "cluster")
    store = os.path.join(run_dir, "outcomes.sqlite")
    if os.path.exists(store):
        os.remove(store)
    cluster = ["scripts/cluster.sh"]
    common = ["--run-dir", run_dir, "--port-base", str(base_port), "--bin", args.bin]
    subprocess.run(cluster + ["up", "--router-file", router, "--embedder", "hash", "--gateway-config", "deploy/config/gateway-replay.json",
                              "--openai-keys", keys_file, "--admin-token-file", admin_file, "--learn", "--publish-interval", "2",
                              "--store", f"sqlite:{store}"] + common, check=True)
    chromium = None
    try:
        log(f"load: switchyard-load --method complete at {args.rate}/s for {args.seconds} s, and front-door requests of two keys, rated")
        load = subprocess.Popen([os.path.join(args.bin, "switchyard-load"), f"127.0.0.1:{base_port + 400}", "--method", "complete",
                                 "--rate", str(args.rate), "--duration", str(args.seconds), "--warmup", "0",
                                 "--prompts", data[0], "--max-prompts", "400", "--json"],
                                stdout=open(os.path.join(out, "load.json"), "w"), stderr=open(os.path.join(out, "load.log"), "w"))
        rng = random.Random(42)
        ids = front_door_traffic(front_door, prompts, 40, rng)
        if len(ids) < 30:
            raise Failure(f"only {len(ids)} of 40 front-door requests were answered")

        profile = tempfile.mkdtemp(prefix="switchyard-chromium-")
        chromium, page = start_chromium(profile)
        open_dashboard(page, f"{front_door}/dashboard#key={ADMIN}")
        live = None
        for _ in range(120):
            time.sleep(0.5)
            state = page.evaluate("({updates: Number(document.body.dataset.updates || 0), "
                                  "rate: Number((document.querySelector('[data-figure=answers_per_second]') || {dataset: {}}).dataset.value || 0)})")
            if state and state["updates"] >= 3 and state["rate"] > 0:
                live = state
                break
        if not live:
            raise Failure(f"the page showed no live traffic within 60 s (last: {state}); errors: {page.errors()}")
        log(f"live: {live['rate']:.0f} answers/s shown after {live['updates']} updates")
        # Let the page show a learned version and some quality before the picture.
        time.sleep(6)
        page.evaluate("document.querySelector('[data-explain]') && document.querySelector('[data-explain]').click()")
        time.sleep(1.5)
        explained = page.evaluate("document.querySelector('#explainbody').textContent")
        if "candidate" not in (explained or "") or "exploration" not in explained:
            raise Failure(f"a recent request's explanation did not open in the page: {explained!r}")
        log(f"screenshot: {shot} ({screenshot(page, shot)} bytes)")

        load.wait(timeout=args.seconds + 60)
        if load.returncode != 0:
            raise Failure(f"switchyard-load failed: {open(os.path.join(out, 'load.log')).read()[-500:]}")
        report = json.load(open(os.path.join(out, "load.json")))
        log(f"load done: {json.dumps({k: v for k, v in report.items() if not isinstance(v, (dict, list))})[:300]}")
        # Quiet now: the page's next updates must equal /metrics and the store.
        time.sleep(7)
        before = page.evaluate("Number(document.body.dataset.updates)")
        for _ in range(40):
            time.sleep(0.5)
            if page.evaluate("Number(document.body.dataset.updates)") >= before + 2:
                break
        shown = page.evaluate("Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(e => [e.dataset.figure, e.dataset.value]))")
        found = metrics(f"http://127.0.0.1:{base_port + 1400}/metrics")
        quality = store_quality(store)
        checks = []

        def check(what, page_value, truth, ok):
            checks.append((what, page_value, truth, ok))

        answers = metric_sum(found, "switchyard_gateway_requests_total")
        check("answers", float(shown["answers_total"]), answers, float(shown["answers_total"]) == answers)
        spent = metric_sum(found, "switchyard_gateway_cost_usd_total")
        check("dollars spent", float(shown["spent_usd"]), spent, close(float(shown["spent_usd"]), spent))
        failures = metric_sum(found, "switchyard_gateway_upstream_failures_total")
        check("upstream failures", float(shown["upstream_failures_total"]), failures, float(shown["upstream_failures_total"]) == failures)
        explored = metric_sum(found, "switchyard_gateway_exploration_spend_usd_total")
        check("exploration spend", float(shown["exploration_spent_usd"]), explored, close(float(shown["exploration_spent_usd"]), explored))
        for name in KEYS:
            gauge = metric_sum(found, "switchyard_gateway_key_spent_today_usd", key=name)
            value = float(shown[f"key_spent_usd:{name}"])
            check(f"{name} spent today", value, gauge, close(value, gauge))
        for (model, source), (n, mean) in sorted(quality.items()):
            if source != "user":
                continue
            count = float(shown.get(f"quality_user_count:{model}", "nan"))
            shown_mean = float(shown.get(f"quality_user_mean:{model}", "nan"))
            check(f"feedback count of {model}", count, n, count == n)
            check(f"mean feedback of {model}", shown_mean, mean, close(shown_mean, mean))
        for figure, value in shown.items():
            if figure.startswith("model_answers:"):
                model = figure.split(":", 1)[1]
                truth = metric_sum(found, "switchyard_gateway_requests_total", model=model)
                check(f"answers of {model}", float(value), truth, float(value) == truth)
        replica_versions = {k: v for k, v in shown.items() if k.startswith("replica_version:")}
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        published = {row[0] for row in db.execute("SELECT version FROM router_versions")}
        db.close()
        check("replicas shown", len(replica_versions), 2, len(replica_versions) == 2)
        check("replicas serve a version the learner published", sorted(replica_versions.values()), sorted(published)[:3],
              bool(published) and all(v in published for v in replica_versions.values()))
        for what, page_value, truth, ok in checks:
            print(f"  {'ok  ' if ok else 'FAIL'} {what}: page {page_value}, truth {truth}")
        errors = page.errors()
        if errors:
            raise Failure("the page reported errors: " + "; ".join(errors))
        bad = [c for c in checks if not c[3]]
        if bad:
            raise Failure(f"{len(bad)} of {len(checks)} figures differ from /metrics or the store")

        # The trace: a request with a traceparent whose first upstream fails logs the trace id.
        status, headers, _ = http(f"{front_door}/v1/chat/completions",
                                  {"model": "auto", "messages": [{"role": "user", "content": "no recorded answer for this prompt"}]},
                                  {"Authorization": f"Bearer {KEYS['team-b'][0]}", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
        request_id = {k.lower(): v for k, v in headers.items()}.get("x-switchyard-request-id", "")
        time.sleep(0.5)
        lines = [l for l in open(os.path.join(run_dir, "gateway.log")) if request_id and request_id in l]
        if not lines or not all(f"trace_id={TRACE}" in l for l in lines):
            raise Failure(f"the gateway's log lines of request {request_id} (status {status}) lack its trace id: {lines[:3]}")
        log(f"{len(checks)} figures agree with /metrics and the store; {len(lines)} log lines carry the trace; no page errors")
    finally:
        if chromium:
            chromium.terminate()
            chromium.wait(timeout=20)
        subprocess.run(cluster + ["down"] + common, check=False)


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"dashboard-check: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
