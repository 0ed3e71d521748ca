"""Starts the Swift `switchyard-embed` service on an ephemeral port for the client tests."""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "generated")]
REPO = HERE.parents[2]


def _binary(name: str) -> pathlib.Path:
    bin_dir = pathlib.Path(os.environ.get("SWITCHYARD_BIN_DIR", REPO / ".build" / "debug"))
    path = bin_dir / name
    if not path.exists():
        pytest.exit(f"{path} not found: run `swift build` first (or set SWITCHYARD_BIN_DIR)", 2)
    return path


def stop_cleanly(process: subprocess.Popen, name: str) -> None:
    """SIGTERM, and the graceful exit a Switchyard service owes it: a crash on shutdown (or a
    service that had died during the test) fails the test."""
    if process.poll() is None:
        process.terminate()
    try:
        status = process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"{name} did not stop within 15 s of SIGTERM")
    assert status == 0, f"{name} did not shut down cleanly on SIGTERM: exit status {status}"


def _start_embed(tmp: str, *arguments):
    port_file = pathlib.Path(tmp) / "port"
    process = subprocess.Popen(
        [_binary("switchyard-embed"), "--port", "0", "--port-file", port_file, "--log-level", "warning", *arguments])
    return process, port_file


@pytest.fixture(scope="session")
def server():
    """(host, port) of a running switchyard-embed; stopped with SIGTERM at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        process, port_file = _start_embed(tmp)
        yield from _serve(process, port_file)


@pytest.fixture(scope="session")
def token_server():
    """(host, port, token) of a switchyard-embed that asks callers for a token."""
    with tempfile.TemporaryDirectory() as tmp:
        token_file = pathlib.Path(tmp) / "token"
        token_file.write_text("py-s3cret\n")
        process, port_file = _start_embed(tmp, "--auth-token-file", str(token_file))
        for host, port in _serve(process, port_file):
            yield host, port, "py-s3cret"


def _serve(process, port_file):
    """Waits for the port file, yields (host, port) while the test runs, then stops the service."""
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()):
        if process.poll() is not None:
            pytest.fail(f"switchyard-embed exited with {process.returncode}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("switchyard-embed did not write its port file within 30 s")
        time.sleep(0.05)
    yield "127.0.0.1", int(port_file.read_text())
    stop_cleanly(process, "switchyard-embed")
