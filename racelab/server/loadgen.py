"""A bounded HTTP/1.1 load client that checks every response, then reconciles with the server.

One thread, one epoll, ``connections`` keep-alive sockets, up to ``pipeline`` requests in flight on
each. Every request carries ``X-Request-Id: <conn>-<seq>``; every response must echo it in the
header *and* in the body (``hello rid=<id>``) and arrive in order, so a response built from a
buffer another request overwrote is caught as *corrupted*, and one seen twice as *duplicated*.
A ``X-Config: <version>:<tag>`` whose tag is not ``t<version>`` is a *torn configuration* read.

Bounded in every dimension: total requests, wall-clock duration, and a per-response timeout.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import collections
import ipaddress
import json
import select
import resource
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from racelab.errors import UsageError


def raise_fd_limit() -> int:
    """Raise this process's RLIMIT_NOFILE soft limit to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


@dataclass(frozen=True)
class LoadOptions:
    host: str
    port: int
    connections: int = 8
    requests: int = 1000
    duration: float = 10.0
    pipeline: int = 1
    path: str = "/"
    reload_every: int = 0
    response_timeout: float = 5.0
    close_each: bool = False  # one connection per request (``Connection: close``): connection churn


@dataclass(frozen=True)
class LoadReport:
    sent: int
    received: int
    by_status: dict[int, int]
    elapsed_s: float
    latency_ms: dict[str, float]
    corrupted: int
    duplicated: int
    config_torn: int
    unanswered: int
    connect_errors: int
    reconnects: int
    samples: tuple[str, ...] = ()

    @property
    def throughput(self) -> float:
        return self.received / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class Reconciliation:
    server_requests: int
    client_responses: int
    lost_counts: int
    status_mismatch: dict[str, tuple[int, int]]
    log_lines: int | None
    torn_log_lines: int | None
    table_drift: int
    table_open: int
    stats: dict[str, Any] = field(repr=False)

    @property
    def clean(self) -> bool:
        return (
            self.lost_counts == 0
            and not self.status_mismatch
            and not self.torn_log_lines
            and self.table_drift == 0
            and (self.log_lines is None or self.log_lines in (0, self.client_responses))
        )


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` or ``http://host:port[/]``; loopback only."""
    raw = text.removeprefix("http://").rstrip("/")
    host, sep, port_text = raw.rpartition(":")
    if not sep or not port_text.isdigit():
        raise UsageError(f"bad address {text!r}: expected HOST:PORT")
    host = host.strip("[]") or "127.0.0.1"
    try:
        resolved = socket.getaddrinfo(host, int(port_text), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"cannot resolve {host!r}: {exc.strerror}") from None
    for *_, sockaddr in resolved:
        if not ipaddress.ip_address(sockaddr[0]).is_loopback:
            raise UsageError(f"refusing non-loopback address {text!r}: the load client only targets this machine")
    return resolved[0][4][0], int(port_text)


class _Client:
    __slots__ = ("index", "sock", "seq", "inflight", "inbuf", "out", "closed")

    def __init__(self, index: int, sock: socket.socket) -> None:
        self.index = index
        self.sock = sock
        self.seq = 0
        self.inflight: collections.deque[tuple[bytes, bool, float]] = collections.deque()
        self.inbuf = bytearray()
        self.out = b""
        self.closed = False


class _Tally:
    def __init__(self) -> None:
        self.by_status: collections.Counter[int] = collections.Counter()
        self.latencies: list[float] = []
        self.seen: set[bytes] = set()
        self.corrupted = 0
        self.duplicated = 0
        self.config_torn = 0
        self.samples: list[str] = []

    def bad(self, kind: str, detail: str) -> None:
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {detail}")


class LoadClient:
    def __init__(self, options: LoadOptions) -> None:
        self.o = options
        self.tally = _Tally()
        self.ep = select.epoll()
        self.clients: dict[int, _Client] = {}
        self.issued = 0
        self.connect_errors = 0
        self.reconnects = 0
        self.abandoned = 0

    def run(self) -> LoadReport:
        start = time.perf_counter()
        stop_issuing = start + self.o.duration
        for i in range(self.o.connections):
            self._open(i)
        last_progress = time.perf_counter()
        while self.clients:
            now = time.perf_counter()
            issuing = now < stop_issuing and self.issued < self.o.requests
            if not issuing and not any(c.inflight for c in self.clients.values()):
                break
            if now - last_progress > self.o.response_timeout:
                break
            for client in list(self.clients.values()):
                if issuing:
                    self._fill(client)
            for fd, ev in self.ep.poll(0.05):
                client = self.clients.get(fd)
                if client is not None and self._on_event(client, ev):
                    last_progress = time.perf_counter()
        elapsed = time.perf_counter() - start
        unanswered = self.abandoned + sum(len(c.inflight) for c in self.clients.values())
        for client in list(self.clients.values()):
            self._drop(client)
        self.ep.close()
        return self._report(elapsed, unanswered)

    # ----------------------------------------------------------------------- connections

    def _open(self, index: int) -> None:
        try:
            sock = socket.create_connection((self.o.host, self.o.port), timeout=self.o.response_timeout)
        except OSError:
            self.connect_errors += 1
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        client = _Client(index, sock)
        self.clients[sock.fileno()] = client
        self.ep.register(sock.fileno(), select.EPOLLIN)

    def _drop(self, client: _Client) -> None:
        self.clients.pop(client.sock.fileno(), None)
        client.closed = True
        client.sock.close()

    def _reopen(self, client: _Client) -> None:
        index = client.index
        self.abandoned += len(client.inflight)
        self._drop(client)
        if self.issued < self.o.requests:
            self.reconnects += 1
            self._open(index)

    # ------------------------------------------------------------------------- requests

    def _fill(self, client: _Client) -> None:
        batch: list[bytes] = []
        now = time.perf_counter()
        depth = 1 if self.o.close_each else self.o.pipeline
        while len(client.inflight) + len(batch) < depth and self.issued < self.o.requests:
            rid = b"%d-%d" % (client.index, client.seq)
            client.seq += 1
            reload = self.o.reload_every > 0 and self.issued % self.o.reload_every == self.o.reload_every - 1
            self.issued += 1
            if reload:
                batch.append(b"POST /_reload HTTP/1.1\r\nHost: x\r\nX-Request-Id: %s\r\nContent-Length: 0\r\n\r\n" % rid)
            else:
                close = b"Connection: close\r\n" if self.o.close_each else b""
                batch.append(b"GET %s HTTP/1.1\r\nHost: x\r\nX-Request-Id: %s\r\n%s\r\n" % (self.o.path.encode(), rid, close))
            client.inflight.append((rid, reload, now))
        if batch:
            self._send(client, client.out + b"".join(batch))

    def _send(self, client: _Client, data: bytes) -> None:
        try:
            sent = client.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._reopen(client)
            return
        client.out = data[sent:]
        flags = select.EPOLLIN | (select.EPOLLOUT if client.out else 0)
        self.ep.modify(client.sock.fileno(), flags)

    def _on_event(self, client: _Client, ev: int) -> bool:
        if ev & select.EPOLLOUT and client.out:
            self._send(client, client.out)
            if client.closed:
                return False
        if not ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
            return False
        try:
            data = client.sock.recv(65536)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            self._reopen(client)
            return False
        client.inbuf += data
        return self._consume(client)

    # ------------------------------------------------------------------------ responses

    def _consume(self, client: _Client) -> bool:
        progressed = False
        while True:
            parsed = _parse_response(client.inbuf)
            if parsed is None:
                return progressed
            status, headers, body = parsed
            progressed = True
            if not client.inflight:
                self.tally.corrupted += 1
                self.tally.bad("unexpected", f"response with no request in flight: {headers.get('x-request-id')}")
                continue
            rid, reload, t0 = client.inflight.popleft()
            self.tally.latencies.append(time.perf_counter() - t0)
            self.tally.by_status[status] += 1
            self._check(rid, reload, status, headers, body)
            if headers.get("connection", "").lower() == "close":
                self._reopen(client)
                return progressed

    def _check(self, rid: bytes, reload: bool, status: int, headers: dict[str, str], body: bytes) -> None:
        tally = self.tally
        echo = headers.get("x-request-id", "").encode()
        if status == 503:
            return
        if self.o.path == "/plaintext" and not reload:  # a constant response: nothing to match
            if status == 200 and body != b"Hello, World!":
                tally.corrupted += 1
                tally.bad("corrupted", f"plaintext body {body!r}")
            return
        if echo in tally.seen:
            tally.duplicated += 1
            tally.bad("duplicated", echo.decode())
        tally.seen.add(echo)
        if echo != rid:
            tally.corrupted += 1
            tally.bad("corrupted", f"sent {rid.decode()}, header echoed {echo.decode()}")
            return
        if status == 200 and not reload and self.o.path not in ("/work",) and not self.o.path.startswith("/work?"):
            if body != b"hello rid=%s\n" % rid:
                tally.corrupted += 1
                tally.bad("corrupted", f"sent {rid.decode()}, body {body!r}")
            version, _, tag = headers.get("x-config", "").partition(":")
            if tag != f"t{version}":
                tally.config_torn += 1
                tally.bad("config_torn", headers.get("x-config", ""))

    def _report(self, elapsed: float, unanswered: int) -> LoadReport:
        tally = self.tally
        return LoadReport(
            sent=self.issued,
            received=sum(tally.by_status.values()),
            by_status=dict(sorted(tally.by_status.items())),
            elapsed_s=elapsed,
            latency_ms=percentiles(tally.latencies),
            corrupted=tally.corrupted,
            duplicated=tally.duplicated,
            config_torn=tally.config_torn,
            unanswered=unanswered,
            connect_errors=self.connect_errors,
            reconnects=self.reconnects,
            samples=tuple(tally.samples),
        )


def _parse_response(buf: bytearray) -> tuple[int, dict[str, str], bytes] | None:
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(buf) < end + 4 + length:
        return None
    body = bytes(buf[end + 4 : end + 4 + length])
    del buf[: end + 4 + length]
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, headers, body


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": ordered[-1] * 1000}


def run_load(options: LoadOptions) -> LoadReport:
    return LoadClient(options).run()


# ------------------------------------------------------------------------- reconciliation


def fetch_stats(host: str, port: int, check_log: bool = True, timeout: float = 5.0) -> dict[str, Any]:
    target = "/_stats?check_log=1" if check_log else "/_stats"
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        buf = bytearray()
        while True:
            parsed = _parse_response(buf)
            if parsed is not None:
                return json.loads(parsed[2])
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the stats connection early")
            buf += chunk


def reconcile(report: LoadReport, host: str, port: int, settle: float = 3.0) -> Reconciliation:
    """Wait until the server has seen every client close (only the stats connection is open),
    then compare its counters with the client's tally."""
    deadline = time.monotonic() + settle
    while True:
        stats = fetch_stats(host, port)
        conns = stats["connections"]
        if conns["records"] <= 1 or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    counters = stats["counters"]
    server_requests = counters["requests"]
    mismatch = {}
    for status, n in report.by_status.items():
        server_n = counters.get(f"status_{status}", 0)
        if server_n != n:
            mismatch[str(status)] = (n, server_n)
    log = stats.get("log") or {}
    has_log = stats["remedies"] and log.get("lines", 0) > 0
    return Reconciliation(
        server_requests=server_requests,
        client_responses=report.received,
        lost_counts=report.received - server_requests,
        status_mismatch=mismatch,
        log_lines=log.get("lines") if has_log else None,
        torn_log_lines=log.get("torn") if has_log else None,
        table_drift=conns["open"] - conns["records"],
        table_open=conns["records"],
        stats=stats,
    )
