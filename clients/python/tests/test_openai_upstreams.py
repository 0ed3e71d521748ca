"""The gateway in front of real OpenAI-compatible servers, called through the official OpenAI SDK
with an API key: LiteLLM's proxy from PyPI (mock responses) over http, and an https server whose
certificate is signed by a CA this test makes (trusted through the upstream's ca_file)."""
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import openai
import pytest

from conftest import REPO, _binary, stop_cleanly
from fake_openai import FIRST_EVENT_PAUSE_S, FakeOpenAI, make_certificates
from test_openai_front_door import _wait_for

KEY = "sk-switchyard-test-0123456789"
LITELLM_ANSWER = "Hello from LiteLLM's mock"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_litellm(folder: pathlib.Path) -> tuple[subprocess.Popen, int]:
    binary = str(pathlib.Path(os.environ.get("SWITCHYARD_LITELLM", REPO / ".build/litellm/bin/litellm")).resolve())
    if not pathlib.Path(binary).exists():
        pytest.fail(f"LiteLLM's proxy is not installed at {binary}: scripts/test.sh installs it (ensure_litellm)")
    (folder / "litellm.yaml").write_text(
        "model_list:\n  - model_name: mock-gpt\n"
        f"    litellm_params: {{model: openai/gpt-4o-mini, api_key: sk-unused, mock_response: \"{LITELLM_ANSWER}\"}}\n")
    port = _free_port()
    log = open(folder / "litellm.log", "w")
    process = subprocess.Popen(
        [binary, "--config", "litellm.yaml", "--host", "127.0.0.1", "--port", str(port)], cwd=folder, stdout=log,
        stderr=subprocess.STDOUT, env={**os.environ, "LITELLM_MASTER_KEY": "sk-litellm-master", "LITELLM_LOG": "ERROR",
             # Its price map from its own package, not fetched from the internet.
             "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("LiteLLM's proxy did not start:\n" + (folder / "litellm.log").read_text()[-3000:])
            time.sleep(0.25)


@pytest.fixture(scope="module")
def cluster():
    """(SDK client, the https fake) for a gateway whose upstreams are LiteLLM, the https fake with
    and without its CA, and a port nobody listens on."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        ca, certificate, key = make_certificates(tmp)
        fake = FakeOpenAI(certificate, key)
        litellm, litellm_port = _start_litellm(tmp)
        https = f"https://localhost:{fake.port}/v1"
        upstreams = [
            {"name": "private", "kind": "openai", "base_url": https, "ca_file": str(ca), "model": "served-private",
             "input_per_million": 1, "output_per_million": 2, "timeout_seconds": 10},
            {"name": "untrusted", "kind": "openai", "base_url": https, "input_per_million": 1, "output_per_million": 2},
            {"name": "litellm", "kind": "openai", "base_url": f"http://127.0.0.1:{litellm_port}", "model": "mock-gpt",
             "api_key_env": "LITELLM_KEY", "input_per_million": 0.15, "output_per_million": 0.6, "timeout_seconds": 30},
            {"name": "gone", "kind": "openai", "base_url": f"http://127.0.0.1:{_free_port()}/v1",
             "input_per_million": 1, "output_per_million": 1},
        ]
        (tmp / "gateway.json").write_text(json.dumps({"upstreams": upstreams}))
        (tmp / "keys.json").write_text(json.dumps({"keys": [{"name": "tests", "key": KEY, "daily_budget_usd": 10}]}))
        gateway = subprocess.Popen([
            _binary("switchyard-gateway"), "--port", "0", "--port-file", tmp / "gateway.port", "--log-level", "warning",
            "--config", tmp / "gateway.json", "--openai-port", "0", "--openai-port-file", tmp / "openai.port",
            "--openai-keys", tmp / "keys.json"], env={**os.environ, "LITELLM_KEY": "sk-litellm-master"})
        try:
            port = _wait_for(tmp / "openai.port", gateway, "switchyard-gateway")
            client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0, timeout=60)
            yield client, fake
        finally:
            try:
                stop_cleanly(gateway, "switchyard-gateway")
            finally:
                litellm.terminate()
                try:
                    litellm.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    litellm.kill()
                fake.close()


def test_an_https_upstream_signed_by_a_private_ca(cluster):
    client, fake = cluster
    raw = client.chat.completions.with_raw_response.create(
        model="private", messages=[{"role": "user", "content": "one two three"}], temperature=0.5, seed=7)
    completion = raw.parse()
    assert completion.choices[0].message.content == "three two one"
    assert completion.usage.completion_tokens == 3
    assert raw.headers["x-switchyard-model"] == "private"
    assert raw.headers["x-switchyard-key"] == "tests"
    # The upstream got the request with only the model replaced.
    sent = fake.requests[-1]
    assert sent["model"] == "served-private" and sent["temperature"] == 0.5 and sent["seed"] == 7


def test_the_same_upstream_without_its_ca_is_refused_as_untrusted(cluster):
    client, _ = cluster
    with pytest.raises(openai.APIStatusError) as refused:
        client.chat.completions.create(model="untrusted", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 502
    assert "untrusted" in refused.value.message


def test_a_stream_is_relayed_as_it_arrives(cluster):
    client, _ = cluster
    started = time.monotonic()
    arrivals, texts, usage = [], [], None
    stream = client.chat.completions.create(
        model="private", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "alpha beta gamma delta"}])
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)
            texts.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    assert "".join(texts) == "delta gamma beta alpha"
    assert usage.prompt_tokens == 4 and usage.completion_tokens == 4
    # The upstream pauses after its first event: the first word reached the SDK before the pause
    # ended (a gateway that buffered the stream would deliver every word at once).
    assert arrivals[-1] - arrivals[0] >= FIRST_EVENT_PAUSE_S * 0.8


def test_a_stream_that_breaks_halfway_is_an_error_for_the_sdk_and_the_gateway_goes_on(cluster):
    client, _ = cluster
    received = []
    with pytest.raises(openai.APIError) as broken:
        for chunk in client.chat.completions.create(model="private", stream=True, messages=[{"role": "user", "content": "break"}]):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received == ["break"]
    assert "stream broke" in str(broken.value)
    assert client.chat.completions.create(model="private", messages=[{"role": "user", "content": "a b"}]).choices[0].message.content == "b a"


def test_litellm_proxy_as_an_upstream_whole_and_streamed(cluster):
    client, _ = cluster
    raw = client.chat.completions.with_raw_response.create(model="litellm", messages=[{"role": "user", "content": "hi"}])
    assert raw.parse().choices[0].message.content == LITELLM_ANSWER
    assert raw.headers["x-switchyard-model"] == "litellm" and float(raw.headers["x-switchyard-cost-usd"]) > 0
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
        model="litellm", stream=True, messages=[{"role": "user", "content": "hi"}]) if chunk.choices)
    assert streamed == LITELLM_ANSWER


def test_bad_keys_unreachable_upstreams_and_malformed_bodies(cluster):
    client, _ = cluster
    wrong = openai.OpenAI(base_url=client.base_url, api_key="sk-not-a-key-0123456789", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        wrong.chat.completions.create(model="private", messages=[{"role": "user", "content": "hi"}])
    assert unauthenticated.value.code == "invalid_api_key"
    with pytest.raises(openai.APIStatusError) as gone:
        client.chat.completions.create(model="gone", messages=[{"role": "user", "content": "hi"}])
    assert gone.value.status_code == 502 and "gone" in gone.value.message
    request = urllib.request.Request(f"{client.base_url}chat/completions", data=b"{not json", method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    with pytest.raises(urllib.error.HTTPError) as malformed:
        urllib.request.urlopen(request, timeout=10)
    assert malformed.value.code == 400
    assert json.loads(malformed.value.read())["error"]["message"] == "the request body is not a JSON object"
