"""What a hostile or broken client can cost a Switchyard service, measured from outside with plain
sockets (stdlib only). Each subcommand prints one JSON line; RSS comes from /proc/PID/status.

  abuse.py idle PORT PID N                 N idle connections
  abuse.py half-sent PORT PID N            N connections each sending a 4 MiB frame but its last byte
  abuse.py pipeline PORT PID N             one connection pipelining N Status requests, never reading
  abuse.py health-during-embed PORT BYTES  Health latency while two BYTES-long texts are embedded
"""
import json
import socket
import struct
import sys
import threading
import time

sys.path[:0] = ["clients/python", "clients/python/generated"]
from switchyard.v1 import switchyard_pb2 as pb  # noqa: E402

HEADER = struct.Struct(">BI")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def frame(envelope):
    payload = envelope.SerializeToString()
    return HEADER.pack(0, len(payload)) + payload


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def still_open(sockets):
    """How many of `sockets` the server has not closed: reads what is there (an error frame, say)
    and counts the ones that have not reached end of stream or an error."""
    count = 0
    for s in sockets:
        s.setblocking(False)
        try:
            while s.recv(65536):
                pass
        except BlockingIOError:
            count += 1
        except OSError:
            pass
    return count


def idle(port, pid, n):
    before = rss_mb(pid)
    sockets = [connect(port) for _ in range(n)]
    time.sleep(2)
    during = rss_mb(pid)
    open_after = still_open(sockets)
    for s in sockets:
        s.close()
    time.sleep(1)
    return {"case": "idle connections", "connections": n, "rss_before_mb": before, "rss_with_them_mb": during,
            "still_open_after_2s": open_after, "rss_after_close_mb": rss_mb(pid)}


def half_sent(port, pid, n, frame_bytes=4 << 20):
    before = rss_mb(pid)
    body = b"\x0a" * (frame_bytes - 1)
    sockets, refused, peak = [], 0, before
    for i in range(n):
        s = connect(port)
        s.settimeout(2)
        try:
            s.sendall(HEADER.pack(0, frame_bytes) + body)
        except OSError:
            refused += 1
        sockets.append(s)
        if i % 50 == 0:
            peak = max(peak, rss_mb(pid))
    time.sleep(1)
    peak = max(peak, rss_mb(pid))
    held = still_open(sockets)
    time.sleep(11)  # past the 10 s frame-read timeout
    result = {"case": "half-sent 4 MiB frames", "connections": n, "refused_while_sending": refused,
              "rss_before_mb": before, "rss_peak_mb": peak, "held_open_after_1s": held,
              "still_open_after_12s": still_open(sockets), "rss_after_12s_mb": rss_mb(pid)}
    for s in sockets:
        s.close()
    return result


def pipeline(port, pid, n):
    before = rss_mb(pid)
    s = connect(port)
    data = b"".join(frame(pb.Envelope(id=i + 1, method="Status", body=b"")) for i in range(n))
    s.setblocking(False)
    sent, stalled_since, peak = 0, None, before
    while sent < len(data):
        try:
            sent += s.send(data[sent:sent + (1 << 20)])
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 3:
                break
            time.sleep(0.01)
        peak = max(peak, rss_mb(pid))
    time.sleep(1)
    peak = max(peak, rss_mb(pid))
    s.close()
    time.sleep(2)
    return {"case": "pipelining without reading", "requests": n, "requests_sent_before_stall": sent // (len(data) // n),
            "rss_before_mb": before, "rss_peak_mb": peak, "rss_after_close_mb": rss_mb(pid)}


def health_during_embed(port, text_bytes):
    text = "routing " * (text_bytes // 8)
    results = {}

    def embed(i):
        s = connect(port)
        started = time.monotonic()
        s.sendall(frame(pb.Envelope(id=1, method="Embed", body=pb.EmbedRequest(texts=[text]).SerializeToString())))
        header = s.recv(5, socket.MSG_WAITALL)
        flags, length = HEADER.unpack(header)
        payload = b""
        while len(payload) < length:
            payload += s.recv(length - len(payload))
        envelope = pb.Envelope()
        envelope.ParseFromString(payload)
        results[i] = (time.monotonic() - started, pb.StatusCode.Name(envelope.status), envelope.error_message[:80])
        s.close()

    probe = connect(port)
    latencies = []
    threads = [threading.Thread(target=embed, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) or not latencies:
        started = time.monotonic()
        probe.sendall(frame(pb.Envelope(id=len(latencies) + 1, method="Health")))
        probe.recv(65536)
        latencies.append((time.monotonic() - started) * 1000)
        time.sleep(0.005)
    for t in threads:
        t.join()
    latencies.sort()
    return {"case": "Health while embedding two texts", "text_bytes": text_bytes,
            "embed_seconds_status": [results[i] for i in range(2)], "health_calls": len(latencies),
            "health_p50_ms": latencies[len(latencies) // 2], "health_max_ms": latencies[-1]}


def main():
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "idle":
        result = idle(port, int(sys.argv[3]), int(sys.argv[4]))
    elif command == "half-sent":
        result = half_sent(port, int(sys.argv[3]), int(sys.argv[4]))
    elif command == "pipeline":
        result = pipeline(port, int(sys.argv[3]), int(sys.argv[4]))
    elif command == "health-during-embed":
        result = health_during_embed(port, int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
