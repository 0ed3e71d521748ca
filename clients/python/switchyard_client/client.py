"""Blocking TCP client for Switchyard services."""
from __future__ import annotations

import itertools
import socket
import struct
import zlib

from switchyard.v1 import switchyard_pb2 as pb

from .methods import METHODS

FLAG_ZLIB = 0x01
HEADER = struct.Struct(">BI")
DEFAULT_MAX_FRAME = 4 << 20
DEFAULT_COMPRESS_ABOVE = 32 << 10


class FrameError(Exception):
    """The peer sent bytes that are not a valid frame, or closed mid-frame."""


class RpcError(Exception):
    """The server answered with a status other than OK."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{pb.StatusCode.Name(status)}: {message}")
        self.status = status
        self.message = message


def encode_frame(payload: bytes, compress: bool = False) -> bytes:
    """One frame around `payload`, zlib-compressed when `compress`."""
    flags = 0
    if compress:
        payload = zlib.compress(payload, 1)
        flags |= FLAG_ZLIB
    return HEADER.pack(flags, len(payload)) + payload


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    chunks, remaining = [], count
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise FrameError(f"connection closed with {remaining} of {count} bytes unread")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, max_frame: int = DEFAULT_MAX_FRAME) -> bytes:
    """Reads one frame and returns its (decompressed) payload."""
    flags, length = HEADER.unpack(_read_exactly(sock, HEADER.size))
    if flags & ~FLAG_ZLIB:
        raise FrameError(f"unknown flag bits in {flags:#x}")
    if length > max_frame:
        raise FrameError(f"frame of {length} bytes exceeds {max_frame}")
    payload = _read_exactly(sock, length)
    if flags & FLAG_ZLIB:
        payload = zlib.decompress(payload)
    return payload


class Client:
    """One connection to a Switchyard service. Not thread-safe; open one per thread."""

    def __init__(self, host: str, port: int, timeout: float = 10.0,
                 compress_above: int | None = DEFAULT_COMPRESS_ABOVE, auth_token: str | None = None,
                 auth_token_file: str | None = None):
        """`auth_token` (or the file `auth_token_file` holding it, as the services read theirs:
        without the line break a file ends with): sent with every request, for services started
        with --auth-token-file (the admin token for Register and Reload)."""
        if auth_token_file is not None:
            with open(auth_token_file) as file:
                auth_token = file.read()
        auth_token = (auth_token or "").strip()
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout_ms = int(timeout * 1000)
        self.compress_above = compress_above
        self.auth_token = auth_token
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, method: str, request, compress: bool | None = None) -> int:
        """Sends one request without waiting; returns its id (for pipelining)."""
        envelope = pb.Envelope(id=next(self._ids), method=method, timeout_ms=self.timeout_ms,
                               body=request.SerializeToString(), auth_token=self.auth_token)
        payload = envelope.SerializeToString()
        if compress is None:
            compress = self.compress_above is not None and len(payload) >= self.compress_above
        self.sock.sendall(encode_frame(payload, compress))
        return envelope.id

    def receive(self) -> pb.Envelope:
        """Reads the next response envelope, whichever request it answers."""
        envelope = pb.Envelope()
        envelope.ParseFromString(read_frame(self.sock))
        return envelope

    def call(self, method: str, request, compress: bool | None = None):
        """Sends `request` and returns the decoded response; raises RpcError on a non-OK status."""
        request_id = self.send(method, request, compress)
        envelope = self.receive()
        if envelope.id != request_id:
            raise FrameError(f"response id {envelope.id} does not match request {request_id}")
        return self.decode(method, envelope)

    @staticmethod
    def decode(method: str, envelope: pb.Envelope):
        """The response message in `envelope`, or RpcError for a non-OK status."""
        if envelope.status != pb.OK:
            raise RpcError(envelope.status, envelope.error_message)
        response = METHODS[method][1]()
        response.ParseFromString(envelope.body)
        return response

    def health(self) -> pb.HealthResponse:
        return self.call("Health", pb.HealthRequest())

    def status(self) -> pb.StatusResponse:
        return self.call("Status", pb.StatusRequest())

    def route(self, prompt: str, *, alpha: float | None = None, max_cost_usd: float | None = None,
              strong_share: float | None = None, threshold: float | None = None, router: str = "",
              allowed_models: list[str] | None = None) -> pb.RouteResponse:
        """Ranks the models for `prompt` (a router or a coordinator) under at most one objective
        (none: the router's default)."""
        request = pb.RouteRequest(prompt=prompt, router=router, allowed_models=allowed_models or [])
        _set_objective(request, alpha=alpha, max_cost_usd=max_cost_usd, strong_share=strong_share, threshold=threshold)
        return self.call("Route", request)

    def complete(self, prompt: str, model: str = "auto", *, max_tokens: int = 0, alpha: float | None = None,
                 max_cost_usd: float | None = None, strong_share: float | None = None,
                 threshold: float | None = None) -> pb.CompleteResponse:
        """Answers `prompt` through a gateway: with `model`, or routed ("auto") under at most one
        objective."""
        request = pb.CompleteRequest(prompt=prompt, model=model, max_tokens=max_tokens)
        _set_objective(request, alpha=alpha, max_cost_usd=max_cost_usd, strong_share=strong_share, threshold=threshold)
        return self.call("Complete", request)

    def feedback(self, request_id: str, score: float, comment: str = "") -> pb.FeedbackResponse:
        """Rates an answer a gateway gave (its CompleteResponse.request_id) from 0 to 1."""
        return self.call("Feedback", pb.FeedbackRequest(id=request_id, score=score, comment=comment))


def _set_objective(request, **objectives) -> None:
    chosen = {name: value for name, value in objectives.items() if value is not None}
    if len(chosen) > 1:
        raise ValueError(f"at most one objective, got {sorted(chosen)}")
    for name, value in chosen.items():
        setattr(request, name, value)
