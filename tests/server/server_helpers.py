"""Helpers that start the real server on loopback, in this process, for one test."""

from __future__ import annotations

import contextlib
import socket
import sys
from typing import Iterator

from racelab.server import Model, Remedies, Remedy, Server, ServerOptions, start_in_thread


@contextlib.contextmanager
def running(options: ServerOptions) -> Iterator[tuple[Server, str, int]]:
    server, thread = start_in_thread(options)
    assert server.address is not None
    host, port = server.address
    try:
        yield server, host, port
    finally:
        server.shutdown()
        thread.join(15)
        assert not thread.is_alive(), "the server did not stop"


@contextlib.contextmanager
def short_switch_interval(seconds: float = 1e-6) -> Iterator[None]:
    """Lower the GIL switch interval so a read-modify-write window is preempted under load."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def options(model: Model = Model.INLINE, remedy: Remedy = Remedy.MUTEX, **kw: object) -> ServerOptions:
    overrides = {k: v for k, v in kw.items() if k in ("counters", "table", "log", "buffers", "config")}
    rest = {k: v for k, v in kw.items() if k not in overrides}
    return ServerOptions(model=model, remedies=Remedies.everywhere(remedy, **overrides), **rest)  # type: ignore[arg-type]


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_response(sock: socket.socket, buf: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One response from ``sock`` (bytes beyond it stay in ``buf``)."""
    from racelab.server.loadgen import _parse_response

    while True:
        parsed = _parse_response(buf)
        if parsed is not None:
            return parsed
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a whole response")
        buf += chunk


def wait_eof(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True when the server closes ``sock`` (EOF or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True
