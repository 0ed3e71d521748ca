"""A small OpenAI-compatible chat-completions server for the tests, over https with a certificate
signed by a CA the test makes. It answers every request with the reversed last user turn; streamed
answers come as server-sent events in HTTP/1.1 chunks, one word per event, with a pause after the
first. A user turn of "break" streams one event and then drops the connection mid-body."""
import json
import pathlib
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIRST_EVENT_PAUSE_S = 1.0


def make_certificates(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    """A CA, and a certificate for localhost and 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], cwd=folder, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Switchyard test CA",
            "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    (folder / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "server.ext", "-out", "server.pem")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        turn = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
        answer = " ".join(reversed(turn.split()))
        usage = {"prompt_tokens": len(turn.split()), "completion_tokens": len(answer.split()),
                 "total_tokens": len(turn.split()) + len(answer.split())}
        if not body.get("stream"):
            payload = json.dumps({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": usage}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(data):
            text = f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()
            self.wfile.write(f"{len(text):x}\r\n".encode() + text + b"\r\n")
            self.wfile.flush()

        def chunk(delta, finish=None):
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": body["model"], "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        words = answer.split()
        event(chunk({"role": "assistant", "content": words[0]}))
        if turn == "break":
            self.connection.shutdown(2)
            self.close_connection = True
            return
        time.sleep(FIRST_EVENT_PAUSE_S)
        for word in words[1:]:
            event(chunk({"content": " " + word}))
        event(chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                   "model": body["model"], "choices": [], "usage": usage})
        event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class FakeOpenAI:
    """The server on an ephemeral port of 127.0.0.1, serving https with `certificate` and `key`."""

    def __init__(self, certificate: pathlib.Path, key: pathlib.Path):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"requests": []}))
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self) -> list:
        return self.server.RequestHandlerClass.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()
