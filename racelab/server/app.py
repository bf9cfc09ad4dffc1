"""The request handler every execution model runs, and the routes it serves.

* ``GET /`` (any other path): ``hello rid=<id>`` built through a pooled buffer, with the request
  id echoed in ``X-Request-Id`` and the configuration seen in ``X-Config: <version>:<tag>``;
* ``GET /work?wait_ms=W&compute_ms=C``: sleeps W ms (I/O wait) then spins for C ms of the
  thread's own CPU time (compute), for the pool-sizing experiment;
* ``POST /_reload``: reloads the configuration (version + 1);
* ``GET /plaintext``: the trivial handler of the benchmark (TechEmpower's "plaintext" test): a
  constant response, no request id echoed, no configuration read, no pooled buffer. It is
  counted and logged like every other route; its bytes are ``PLAINTEXT``, which the asyncio
  yardstick (``asyncio_peer.py``) sends too;
* ``GET /_stats[?check_log=1]``: the server's own view as JSON, for reconciliation. It is neither
  counted nor logged, so the client's tally and the server's must match exactly.

``STATIC_PATHS`` lists the routes whose response depends on nothing but the request bytes (and
whether the connection closes after it): the reactor may remember such a response by the exact
bytes of the request and answer a byte-identical request without parsing it again.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from racelab.server import http
from racelab.server.state import SharedState


PLAINTEXT_BODY = b"Hello, World!"
PLAINTEXT = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
    len(PLAINTEXT_BODY), PLAINTEXT_BODY)
PLAINTEXT_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (
    len(PLAINTEXT_BODY), PLAINTEXT_BODY)
STATIC_PATHS = frozenset((b"/plaintext",))


class App:
    def __init__(self, state: SharedState, extra_stats: Callable[[], dict[str, Any]]) -> None:
        self.state = state
        self._extra_stats = extra_stats
        self._broken_buffers = state.remedies.buffers.value == "broken"

    def __call__(self, req: http.Request, close: bool) -> bytes:
        path = req.path
        if path == b"/_stats":
            return self._stats(req, close)
        rid = req.request_id
        if path == b"/plaintext" and req.method == b"GET":
            data = PLAINTEXT_CLOSE if close else PLAINTEXT
            self.state.counters.record(200, len(data))
            self.state.log.log(req.method, path, 200, len(data), rid)
            return data
        if path == b"/_reload":
            version = self.state.config.reload()
            status, body, extra = 200, b"reloaded %d\n" % version, b""
        elif path == b"/work":
            status, body, extra = 200, self._work(req), b""
        else:
            status, (body, extra) = 200, self._hello(rid)
        data = http.response(status, body, rid, close, extra)
        self.state.counters.record(status, len(data))
        self.state.log.log(req.method, path, status, len(data), rid)
        return data

    @staticmethod
    def is_static(req: http.Request) -> bool:
        """True when the response to ``req`` depends on its bytes alone (see ``STATIC_PATHS``)."""
        return req.method == b"GET" and req.path in STATIC_PATHS and not req.body

    def _hello(self, rid: bytes) -> tuple[bytes | bytearray, bytes]:
        cfg = self.state.config.current()
        version = cfg.version  # configuration is consulted when handling begins ...
        pool = self.state.buffers
        buf = pool.get()
        buf[:] = b"hello rid=%s\n" % rid
        if self._broken_buffers:
            pool.put(buf)  # released too early: the buffer is still read below
        extra = cfg.header_for(version)  # ... and again when the header is written
        body = buf[:]  # a copy (a subscript, so a race detector sees this read of the buffer)
        if not self._broken_buffers:
            pool.put(buf)
        return body, extra

    @staticmethod
    def _work(req: http.Request) -> bytes:
        query = req.query()
        wait_ms = float(query.get("wait_ms", "0") or 0)
        compute_ms = float(query.get("compute_ms", "0") or 0)
        if wait_ms > 0:
            time.sleep(wait_ms / 1000)
        # CPU time of this thread, not wall time: compute that waits for the GIL must not count
        end = time.thread_time() + compute_ms / 1000
        spins = 0
        while time.thread_time() < end:
            spins += 1
        return b"worked spins=%d\n" % spins

    def _stats(self, req: http.Request, close: bool) -> bytes:
        check_log = req.query().get("check_log") == "1"
        payload = self.state.stats(check_log=check_log)
        payload.update(self._extra_stats())
        body = json.dumps(payload, sort_keys=True).encode() + b"\n"
        return http.response(200, body, req.request_id, close, content_type=b"application/json")
