"""Small drivers for the ``scenarios/server_*.py`` files: the real server (pool model) on
loopback, a few client threads with real sockets, then a clean shutdown.

Everything here runs inside a scenario, so under ``racelab explore`` every thread is
controlled and every socket/epoll call is a scheduling point (see ``racelab.sync.net``).
"""

from __future__ import annotations

import importlib
import socket
import threading
from typing import Any

from racelab.server.loadgen import _parse_response
from racelab.server.reactor import Model, Server, ServerOptions
from racelab.server.state import Remedies


def server_modules() -> dict[str, Any]:
    """The current ``state``, ``app`` and ``workerpool`` modules, looked up in ``sys.modules``
    (call it at the top level of a scenario file: while racelab loads the file, those are the
    instrumented copies; ``from racelab.server import state`` could return a stale attribute)."""
    return {name: importlib.import_module(f"racelab.server.{name}") for name in ("state", "app", "workerpool")}


def request(port: int, rid: int, path: str = "/") -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection (``Connection: close``); the parsed response."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nX-Request-Id: %d\r\nConnection: close\r\n\r\n" % (path.encode(), rid))
        buf = bytearray()
        while chunk := sock.recv(4096):
            buf += chunk
    parsed = _parse_response(buf)
    if parsed is None:
        return 0, {}, bytes(buf)
    return parsed


def run_clients(modules: dict[str, Any], remedies: Remedies, clients: int = 2, max_workers: int = 2,
                log_path: str | None = None, path: str = "/",
                max_batch: int = 1) -> tuple[dict[str, Any], list[tuple[int, dict[str, str], bytes]]]:
    """Serve ``clients`` concurrent requests; returns (server stats, responses in client order).

    ``modules`` maps "state", "app", "workerpool" to the module objects the scenario imported:
    when it asked for them to be instrumented, those are the instrumented copies, which the
    already-imported server would not otherwise use.

    ``max_batch=1``: each readable connection goes to a worker of its own, so two requests in
    flight are two workers at once, the concurrency these scenarios are about. The server's
    default hands requests that arrive in one ``poll`` to one worker, which serves them one
    after the other: under real load workers still overlap (batches follow each other, a
    stalled batch is split), but two requests sent together rarely do, and a short exploration
    would seldom see the race."""
    state = modules["state"].SharedState(remedies, log_path)
    server = Server(ServerOptions(model=Model.POOL, max_workers=max_workers, remedies=remedies,
                                  log_path=log_path, max_batch=max_batch), state=state, app_cls=modules["app"].App,
                    pool_cls=modules["workerpool"].WorkerPool)
    _, port = server.bind()
    loop = threading.Thread(target=server.serve_forever, name="loop")
    loop.start()
    responses: list[Any] = [None] * clients

    def client(i: int) -> None:
        responses[i] = request(port, i, path)

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = server.state.stats(check_log=log_path is not None)
    server.shutdown()
    loop.join()
    return stats, responses
