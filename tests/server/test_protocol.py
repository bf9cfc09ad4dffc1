"""HTTP behaviour of the real server over loopback sockets, for the event-loop models."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from racelab.server import Model
from racelab.server.loadgen import fetch_stats

from server_helpers import connect, options, read_response, running, wait_eof

LOOP_MODELS = [Model.INLINE, Model.POOL]
GET = b"GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: %d\r\n\r\n"


@pytest.mark.parametrize("model", LOOP_MODELS + [Model.THREAD], ids=lambda m: m.value)
def test_keep_alive_and_pipelining(model: Model) -> None:
    with running(options(model)) as (_, _, port), connect(port) as sock:
        buf = bytearray()
        sock.sendall(GET % 1)
        assert read_response(sock, buf)[2] == b"hello rid=1\n"
        sock.sendall(b"".join(GET % i for i in range(2, 12)))  # ten pipelined requests in one send
        bodies = [read_response(sock, buf)[2] for _ in range(10)]
        assert bodies == [b"hello rid=%d\n" % i for i in range(2, 12)]


@pytest.mark.parametrize("model", LOOP_MODELS + [Model.THREAD], ids=lambda m: m.value)
@pytest.mark.parametrize("raw, status", [(b"NONSENSE\r\n\r\n", 400),
                                         (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n", 431)])
def test_bad_requests_get_an_answer_then_a_close(model: Model, raw: bytes, status: int) -> None:
    with running(options(model)) as (_, _, port), connect(port) as sock:
        sock.sendall(GET % 1 + raw)
        buf = bytearray()
        assert read_response(sock, buf)[0] == 200
        got, headers, _ = read_response(sock, buf)
        assert got == status and headers["connection"] == "close"
        assert wait_eof(sock)


@pytest.mark.parametrize("model", LOOP_MODELS + [Model.THREAD], ids=lambda m: m.value)
def test_idle_and_slow_clients_are_closed(model: Model) -> None:
    opts = options(model, idle_timeout=0.3, header_timeout=0.3)
    with running(opts) as (_, _, port), connect(port) as idle, connect(port) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost")  # headers never finish
        assert wait_eof(idle) and wait_eof(slow)


@pytest.mark.parametrize("model", LOOP_MODELS, ids=lambda m: m.value)
def test_a_reset_in_the_middle_of_a_write_is_survived(model: Model) -> None:
    with running(options(model)) as (server, _, port):
        for _ in range(3):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"".join(GET % i for i in range(3000)))  # ~300 KB of answers, unread
            time.sleep(0.05)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()  # RST while the server is still writing
        with connect(port) as sock:
            sock.sendall(GET % 7)
            assert read_response(sock, bytearray())[2] == b"hello rid=7\n"
        stats = fetch_stats("127.0.0.1", port, check_log=False)
        assert stats["events"].get("resets", 0) >= 1


def test_a_full_pool_answers_503_with_connection_close() -> None:
    with running(options(Model.POOL, max_workers=1)) as (_, _, port), connect(port) as busy:
        busy.sendall(b"GET /work?wait_ms=1500 HTTP/1.1\r\nX-Request-Id: slow\r\n\r\n")
        time.sleep(0.2)
        with connect(port) as other:
            other.sendall(GET % 2)
            status, headers, body = read_response(other, bytearray())
            assert (status, headers["connection"], body) == (503, "close", b"worker pool is full\n")
            assert wait_eof(other)
        assert read_response(busy, bytearray())[0] == 200


@pytest.mark.parametrize("model", LOOP_MODELS + [Model.THREAD], ids=lambda m: m.value)
def test_graceful_shutdown_finishes_accepted_requests(model: Model) -> None:
    server_ctx = running(options(model))
    server, _, port = server_ctx.__enter__()
    busy, idle = connect(port), connect(port)
    try:
        idle.sendall(GET % 1)
        assert read_response(idle, bytearray())[0] == 200
        busy.sendall(b"GET /work?wait_ms=400 HTTP/1.1\r\nX-Request-Id: slow\r\n\r\n")
        time.sleep(0.1)
        server.shutdown()
        status, headers, _ = read_response(busy, bytearray())
        assert status == 200 and headers["x-request-id"] == "slow"
        assert wait_eof(busy) and wait_eof(idle)
        assert server.wait_stopped(10)
        with pytest.raises(OSError):
            connect(port, timeout=1).close()
    finally:
        busy.close()
        idle.close()
        server_ctx.__exit__(None, None, None)
