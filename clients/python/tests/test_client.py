"""The Python client, built only from proto/, talks to the Swift server."""
import socket
import struct

import pytest

from switchyard.v1 import switchyard_pb2 as pb
from switchyard_client import Client, FrameError, RpcError, encode_frame, read_frame


def test_health_and_status(server):
    with Client(*server) as client:
        health = client.health()
        assert health.status == pb.SERVING
        assert health.service == "embed"
        assert health.version
        status = client.status()
        assert status.service == "embed"
        assert status.requests_total >= 1
        assert status.open_connections >= 1


def test_pipelined_requests_are_all_answered(server):
    with Client(*server) as client:
        ids = [client.send("Health", pb.HealthRequest()) for _ in range(50)]
        answers = {client.receive().id for _ in ids}
        assert answers == set(ids)


def test_compressed_request_frames_are_accepted(server):
    with Client(*server) as client:
        assert client.call("Health", pb.HealthRequest(), compress=True).status == pb.SERVING
        # A large request goes out compressed by the client's threshold; the server must inflate it.
        # (Health ignores the padding in unknown field 1000; proto3 keeps unknown fields safe.)
        big = pb.Envelope(id=7, method="Health", body=b"")
        payload = big.SerializeToString() + _unknown_field(1000, b"x" * (64 << 10))
        client.sock.sendall(encode_frame(payload, compress=True))
        assert Client.decode("Health", client.receive()).status == pb.SERVING


def _unknown_field(number: int, data: bytes) -> bytes:
    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(data)) + data


def test_unknown_method_is_unimplemented_and_connection_stays_open(server):
    with Client(*server) as client:
        with pytest.raises(RpcError) as error:
            client.call("NoSuchMethod", pb.HealthRequest())
        assert error.value.status == pb.UNIMPLEMENTED
        assert client.health().status == pb.SERVING


def test_undecodable_body_is_invalid_argument(server):
    with Client(*server) as client:
        envelope = pb.Envelope(id=3, method="Status", body=b"\xff\xff\xff")
        client.sock.sendall(encode_frame(envelope.SerializeToString()))
        answer = client.receive()
        assert answer.id == 3
        assert answer.status == pb.INVALID_ARGUMENT
        assert answer.error_message


@pytest.mark.parametrize("garbage", [
    pytest.param(b"\xff" + struct.pack(">I", 4) + b"abcd", id="unknown-flags"),
    pytest.param(struct.pack(">BI", 0, 0x7FFFFFFF), id="oversize-length"),
    pytest.param(struct.pack(">BI", 0, 5) + b"\xff\xff\xff\xff\xff", id="garbage-payload"),
    pytest.param(struct.pack(">BI", 1, 5) + b"hello", id="bad-zlib"),
])
def test_bad_frames_get_a_status_then_close_and_others_are_served(server, garbage):
    bystander = Client(*server)
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(garbage)
        answer = pb.Envelope()
        answer.ParseFromString(read_frame(sock))
        assert answer.id == 0
        assert answer.status in (pb.INVALID_ARGUMENT, pb.RESOURCE_EXHAUSTED, pb.DATA_LOSS)
        assert answer.error_message
        assert sock.recv(1) == b"", "the server must close the connection after a bad frame"
    assert bystander.health().status == pb.SERVING
    with Client(*server) as second:
        assert second.health().status == pb.SERVING
    bystander.close()


def test_truncated_frame_is_closed_without_harm(server):
    """A client that closes its side inside a frame is told (INVALID_ARGUMENT on id 0: the frame can
    never be completed), then the connection closes, and the server serves the next client."""
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(struct.pack(">BI", 0, 100) + b"only a part")
        sock.shutdown(socket.SHUT_WR)
        answer = pb.Envelope()
        answer.ParseFromString(read_frame(sock))
        assert answer.id == 0 and answer.status == pb.INVALID_ARGUMENT
        assert "inside a frame" in answer.error_message
        with pytest.raises(FrameError):
            read_frame(sock)
    with Client(*server) as client:
        assert client.health().status == pb.SERVING


def test_embed_batch_with_a_compressed_response(server):
    """100 vectors of 384 floats exceed the 32 KiB threshold: the server answers zlib-compressed."""
    texts = [f"prompt number {i}: how do I sort a list in Python?" for i in range(100)]
    with Client(*server) as client:
        request_id = client.send("Embed", pb.EmbedRequest(texts=texts))
        flags = client.sock.recv(1, socket.MSG_PEEK)[0]
        assert flags & 0x01, "a large response should arrive compressed"
        envelope = client.receive()
        assert envelope.id == request_id
        response = Client.decode("Embed", envelope)
    assert len(response.vectors) == 100
    assert response.dimension == 384
    norms = [sum(v * v for v in vector.values) for vector in response.vectors]
    assert all(abs(n - 1) < 1e-4 for n in norms)


def test_empty_embed_is_invalid_argument(server):
    with Client(*server) as client:
        with pytest.raises(RpcError) as error:
            client.call("Embed", pb.EmbedRequest())
        assert error.value.status == pb.INVALID_ARGUMENT


def test_a_service_with_a_token_refuses_callers_without_it(token_server):
    host, port, token = token_server
    with Client(host, port) as anonymous:
        assert anonymous.health().status == pb.SERVING  # Health stays open to probes
        with pytest.raises(RpcError) as refused:
            anonymous.call("Embed", pb.EmbedRequest(texts=["hi"]))
        assert refused.value.status == pb.UNAUTHENTICATED
    with Client(host, port, auth_token="guess") as wrong:
        with pytest.raises(RpcError) as refused:
            wrong.status()
        assert refused.value.status == pb.UNAUTHENTICATED
    with Client(host, port, auth_token=token) as caller:
        assert len(caller.call("Embed", pb.EmbedRequest(texts=["hi"])).vectors) == 1
        assert caller.status().service == "embed"


def test_a_token_read_from_a_file_keeps_no_line_break(token_server, tmp_path):
    host, port, token = token_server
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    with Client(host, port, auth_token_file=str(token_file)) as client:
        assert client.status().service == "embed"
