"""The fasthttp-style worker pool of the real epoll server, full: one worker, two concurrent
clients. Each fd has exactly one owner at a time (EPOLLONESHOT + re-arm), so whatever the
interleaving, every client gets one complete answer: 200, or a whole 503 with
``Connection: close`` when the only worker is busy. Never a lost, doubled or crossed response."""

import racelab
from racelab.server.scenario_kit import run_clients, server_modules
from racelab.server.state import Remedies, Remedy

__racelab_instrument__ = ["racelab.server.workerpool"]

EXPECTED_FAILURE = None
MODULES = server_modules()


@racelab.scenario(outcomes={"(200, 200)": "acceptable", "(200, 503)": "interesting", "(503, 200)": "interesting"})
def scenario_server_worker_pool() -> tuple[int, ...]:
    stats, responses = run_clients(MODULES, Remedies.everywhere(Remedy.MUTEX), max_workers=1)
    statuses = tuple(status for status, _, _ in responses)
    for i, (status, headers, body) in enumerate(responses):
        if status == 200:
            assert body == b"hello rid=%d\n" % i, body
        else:
            assert (status, headers.get("connection"), body) == (503, "close", b"worker pool is full\n")
    counted = stats["counters"]
    assert counted["requests"] == 2 and counted.get("status_503", 0) == statuses.count(503), counted
    return statuses
