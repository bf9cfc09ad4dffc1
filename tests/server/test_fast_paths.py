"""The benchmark route and the fast paths behind it: the same bytes as the asyncio yardstick, the
remembered static responses (inline loop and pool workers), counting, and the pool's batches."""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from racelab.server import Model, Remedy
from racelab.server.app import PLAINTEXT, PLAINTEXT_CLOSE
from racelab.server.loadgen import fetch_stats
from racelab.server.workerpool import WorkerPool

from server_helpers import connect, options, read_response, running, wait_eof

PEER = Path(__file__).resolve().parents[2] / "racelab" / "server" / "asyncio_peer.py"
PLAIN = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
LOOP_MODELS = [Model.INLINE, Model.POOL]


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_the_asyncio_yardstick_sends_the_same_bytes() -> None:
    spec = importlib.util.spec_from_file_location("asyncio_peer_under_test", PEER)
    assert spec is not None and spec.loader is not None
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    assert peer.RESPONSE == PLAINTEXT
    assert PLAINTEXT.endswith(b"\r\n\r\nHello, World!") and b"Connection: close" in PLAINTEXT_CLOSE


@pytest.mark.parametrize("model", LOOP_MODELS, ids=lambda m: m.value)
@pytest.mark.parametrize("counters", [Remedy.THREAD_LOCAL, Remedy.ATOMIC, Remedy.MUTEX], ids=lambda r: r.value)
def test_repeated_requests_get_identical_bytes_and_are_all_counted(model: Model, counters: Remedy) -> None:
    with running(options(model, counters=counters)) as (_, _, port), connect(port) as sock:
        for _ in range(40):  # the first is parsed and remembered, the rest take the fast path
            sock.sendall(PLAIN)
            assert _read_exactly(sock, len(PLAINTEXT)) == PLAINTEXT
        sock.sendall(PLAIN * 5)  # pipelined: the general path
        assert _read_exactly(sock, 5 * len(PLAINTEXT)) == PLAINTEXT * 5
        stats = fetch_stats("127.0.0.1", port, check_log=False)
    assert stats["counters"]["requests"] == 45 and stats["counters"]["status_200"] == 45
    assert stats["counters"]["bytes_out"] == 45 * len(PLAINTEXT)


@pytest.mark.parametrize("model", LOOP_MODELS, ids=lambda m: m.value)
def test_a_remembered_request_still_honours_connection_close_and_other_routes(model: Model) -> None:
    with running(options(model)) as (_, _, port):
        with connect(port) as sock:
            sock.sendall(PLAIN)
            assert _read_exactly(sock, len(PLAINTEXT)) == PLAINTEXT
            sock.sendall(b"GET / HTTP/1.1\r\nX-Request-Id: 9\r\n\r\n")
            assert read_response(sock, bytearray())[2] == b"hello rid=9\n"
        with connect(port) as sock:
            sock.sendall(b"GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n")
            assert _read_exactly(sock, len(PLAINTEXT_CLOSE)) == PLAINTEXT_CLOSE
            assert wait_eof(sock)


def test_a_logged_server_sends_every_request_to_the_handler(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with running(options(Model.INLINE, log_path=str(log))) as (_, _, port), connect(port) as sock:
        for _ in range(5):
            sock.sendall(PLAIN)
            assert _read_exactly(sock, len(PLAINTEXT)) == PLAINTEXT
        stats = fetch_stats("127.0.0.1", port, check_log=True)
    assert stats["log"] == {"lines": 5, "torn": 0}


def test_pool_requests_that_arrive_together_are_served_as_one_batch() -> None:
    with running(options(Model.POOL)) as (server, _, port):
        socks = [connect(port) for _ in range(8)]
        try:
            for _ in range(20):
                for sock in socks:
                    os.write(sock.fileno(), PLAIN)
                for sock in socks:
                    assert _read_exactly(sock, len(PLAINTEXT)) == PLAINTEXT
            pool = fetch_stats("127.0.0.1", port, check_log=False)["pool"]
        finally:
            for sock in socks:
                sock.close()
    assert pool["served"] == 8 * 20 + 1  # and /_stats
    assert pool["batches"] < pool["served"]  # at least once, two connections shared a wake-up
    assert server._pool is not None and server._pool.started <= 8


def test_a_handler_that_blocks_does_not_hold_up_the_rest_of_its_batch() -> None:
    """The slow request is sent first, so it is first in the batch when both arrive in one
    poll; the worker blocks in it, and the loop hands the fast requests to other workers: their
    answers come before the slow one's. (When they do not share a batch there is nothing to
    split; the trial is repeated until one did.)"""
    slow = b"GET /work?wait_ms=1000 HTTP/1.1\r\n\r\n"
    with running(options(Model.POOL)) as (server, _, port):
        for _ in range(10):
            blocker, *others = [connect(port) for _ in range(4)]
            try:
                os.write(blocker.fileno(), slow)
                for sock in others:
                    os.write(sock.fileno(), PLAIN)
                for sock in others:
                    assert _read_exactly(sock, len(PLAINTEXT)) == PLAINTEXT
                blocker.setblocking(False)
                with pytest.raises(BlockingIOError):  # still in its handler
                    blocker.recv(1)
                blocker.setblocking(True)
                status, _, body = read_response(blocker, bytearray())
                assert status == 200 and body.startswith(b"worked")
            finally:
                for sock in (blocker, *others):
                    sock.close()
            if server._events["batch_splits"]:
                break
        assert server._events["batch_splits"] >= 1


def test_spare_says_whether_serve_would_find_a_worker() -> None:
    gate = threading.Event()
    pool: WorkerPool[str] = WorkerPool(lambda item: gate.wait(5), max_workers=1, max_idle=60)
    try:
        assert pool.spare()  # room to start one
        assert pool.serve("block")
        assert not pool.spare()
        assert not pool.serve("refused")
    finally:
        gate.set()
        pool.stop()
