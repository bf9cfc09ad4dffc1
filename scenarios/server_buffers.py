"""Pooled response buffers in the real epoll server (pool model): a handler that puts its
buffer back into the ``sync.Pool``-like pool before copying the response out of it lets the
other worker take the same buffer and overwrite it, so a client reads someone else's answer."""

from racelab.server.scenario_kit import run_clients, server_modules
from racelab.server.state import Remedies, Remedy

__racelab_instrument__ = ["racelab.server.app", "racelab.server.objpool"]
EXPECTED_FAILURE = "assertion"
REMEDY = Remedy.BROKEN

MODULES = server_modules()


def scenario_server_buffers() -> tuple[bytes, ...]:
    _, responses = run_clients(MODULES, Remedies.everywhere(Remedy.MUTEX, buffers=REMEDY))
    bodies = tuple(body for _, _, body in responses)
    assert bodies == (b"hello rid=0\n", b"hello rid=1\n"), f"responses crossed: {bodies}"
    return bodies
