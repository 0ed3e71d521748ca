"""The official OpenAI Python SDK, unmodified, against the gateway's OpenAI-compatible front door:
a router and a gateway with replay upstreams (the recorded GSM8K results) started as processes."""
import gzip
import json
import pathlib
import subprocess
import tempfile
import time

import httpx
import openai
import pytest

from conftest import REPO, _binary, stop_cleanly

STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"


def _wait_for(path: pathlib.Path, process: subprocess.Popen, what: str) -> int:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.read_text().strip()):
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not write {path.name} within 60 s")
        time.sleep(0.05)
    return int(path.read_text())


# The RPC ports of the front door's router and gateway, set by the fixture.
rpc_ports: dict[str, int] = {}


@pytest.fixture(scope="module")
def front_door():
    """The front door's base URL (…/v1) and the gateway's store (--store); the router and the
    gateway are stopped afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        router_file = tmp / "router.bin"
        subprocess.run([_binary("switchyard"), "train", "--data", REPO / "data/routellm/gsm8k.jsonl.gz", "--out", router_file],
                       check=True, capture_output=True)
        router = subprocess.Popen([_binary("switchyard-router"), "--port", "0", "--port-file", tmp / "router.port",
                                   "--router-file", router_file, "--log-level", "warning"])
        gateway = None
        try:
            router_port = _wait_for(tmp / "router.port", router, "switchyard-router")
            gateway = subprocess.Popen([
                _binary("switchyard-gateway"), "--port", "0", "--port-file", tmp / "gateway.port", "--log-level", "warning",
                "--config", REPO / "deploy/config/gateway-replay.json", "--router", f"127.0.0.1:{router_port}",
                "--openai-port", "0", "--openai-port-file", tmp / "openai.port", "--store", f"sqlite:{tmp / 'outcomes.sqlite'}"])
            port = _wait_for(tmp / "openai.port", gateway, "switchyard-gateway")
            rpc_ports["router"], rpc_ports["gateway"] = router_port, _wait_for(tmp / "gateway.port", gateway, "switchyard-gateway")
            yield f"http://127.0.0.1:{port}/v1", f"sqlite:{tmp / 'outcomes.sqlite'}"
        finally:
            for process, name in ((gateway, "switchyard-gateway"), (router, "switchyard-router")):
                if process:
                    stop_cleanly(process, name)


@pytest.fixture(scope="module")
def client(front_door):
    return openai.OpenAI(base_url=front_door[0], api_key="unused-by-the-gateway", max_retries=0)


def recorded_prompt() -> str:
    with gzip.open(REPO / "data/routellm/gsm8k.jsonl.gz", "rt") as f:
        return json.loads(f.readline())["prompt"]


def test_routed_chat_completion_through_the_sdk(client):
    raw = client.chat.completions.with_raw_response.create(
        model="switchyard:alpha=0", temperature=0.2,
        messages=[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": recorded_prompt()}])
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content.startswith("[replay] ")
    assert completion.usage.prompt_tokens > 0
    # alpha 0 is the cheapest model; the headers say what happened.
    assert raw.headers["x-switchyard-model"] == WEAK
    assert raw.headers["x-switchyard-router-version"]
    assert float(raw.headers["x-switchyard-cost-usd"]) > 0


def test_a_named_model_and_the_model_list(client):
    completion = client.chat.completions.create(model=STRONG, messages=[{"role": "user", "content": recorded_prompt()}])
    assert completion.model == STRONG
    ids = [model.id for model in client.models.list()]
    assert STRONG in ids and WEAK in ids and "auto" in ids


def test_errors_arrive_as_the_sdk_expects_them(client):
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as knob:
        client.chat.completions.create(model="switchyard:speed=1", messages=[{"role": "user", "content": "hi"}])
    assert "unknown knob" in knob.value.message
    # A prompt no upstream has a record of: every model in the ranking fails, 502.
    with pytest.raises(openai.APIStatusError) as upstreams:
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "never recorded"}])
    assert upstreams.value.status_code == 502
    # And the gateway goes on serving.
    assert client.chat.completions.create(model=WEAK, messages=[{"role": "user", "content": recorded_prompt()}]).choices


def test_a_routed_stream_through_the_sdk(client):
    """Replay upstreams do not stream: the gateway streams their answer as OpenAI streams one."""
    chunks = list(client.chat.completions.create(
        model="switchyard:alpha=0", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": recorded_prompt()}]))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text.startswith("[replay] ")
    assert chunks[-1].usage.prompt_tokens > 0 and not chunks[-1].choices
    assert all(chunk.model == WEAK for chunk in chunks)



def test_the_loop_send_rate_and_see_it_in_the_outcomes(client, front_door):
    """The README's loop from an application's side: send with the SDK, rate the answer by its
    id, and find the score in `switchyard outcomes`."""
    base, store = front_door
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": recorded_prompt()}])
    answer = raw.parse()
    assert answer.id == raw.headers["x-switchyard-request-id"] and answer.id.startswith("chatcmpl-sy")
    rated = httpx.post(f"{base}/feedback", json={"id": answer.id, "score": 0.75, "comment": "right"})
    assert rated.status_code == 200 and rated.json() == {"object": "feedback", "id": answer.id, "score": 0.75, "replaced": False}
    again = httpx.post(f"{base}/feedback", json={"id": answer.id, "score": 1.0})
    assert again.status_code == 200 and again.json()["replaced"] is True
    unknown = httpx.post(f"{base}/feedback", json={"id": "chatcmpl-syAAAAAAAAAAAAAAAAAAAAAA", "score": 1})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert httpx.post(f"{base}/feedback", json={"id": answer.id, "score": 2}).status_code == 400
    # Streamed chunks carry the request id too.
    chunks = list(client.chat.completions.create(model="auto", stream=True, messages=[{"role": "user", "content": recorded_prompt()}]))
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-sy")

    summary = json.loads(subprocess.run([_binary("switchyard"), "outcomes", "summary", "--store", store, "--json"],
                                        check=True, capture_output=True, text=True).stdout)
    assert summary["total"]["rated"] == 1 and summary["total"]["mean_score"] == 1.0
    exported = subprocess.run([_binary("switchyard"), "outcomes", "export", "--store", store, "--rated"],
                              check=True, capture_output=True, text=True).stdout.splitlines()
    line = json.loads(exported[0])
    assert line["id"] == answer.id and list(line["scores"].values()) == [1.0]
    # The second score replaced the first, comment and all.
    assert [(f["source"], f["score"], "comment" in f) for f in line["feedback"]] == [("user", 1.0, False)]


def test_the_python_client_routes_completes_and_rates(front_door):
    """The protobuf client's helpers against the same router and gateway: route, complete, feedback."""
    from switchyard_client import Client, RpcError
    prompt = recorded_prompt()
    with Client("127.0.0.1", rpc_ports["router"]) as router:
        ranked = router.route(prompt, alpha=0)
        assert ranked.model == WEAK and [s.model for s in ranked.scores] == [WEAK, STRONG]
        assert router.route(prompt, alpha=1).model == STRONG
        with pytest.raises(ValueError):
            router.route(prompt, alpha=1, max_cost_usd=0.01)
    with Client("127.0.0.1", rpc_ports["gateway"]) as gateway:
        answer = gateway.complete(prompt, alpha=1)
        assert answer.model == STRONG and answer.request_id.startswith("chatcmpl-sy")
        assert gateway.complete(prompt, model=WEAK).model == WEAK
        assert not gateway.feedback(answer.request_id, 0.5).replaced
        assert gateway.feedback(answer.request_id, 1.0).replaced
        with pytest.raises(RpcError):
            gateway.feedback(answer.request_id, 2.0)
