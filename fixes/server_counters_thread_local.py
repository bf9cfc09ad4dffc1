"""Fixed with the thread_local remedy. Request counters in the real epoll server (pool model): ``v = self.requests; ...;
self.requests = v + 1`` on two workers at once loses a count, like gunicorn's old gthread
counters. Two concurrent requests, the server must have counted two."""

from racelab.server.scenario_kit import run_clients, server_modules
from racelab.server.state import Remedies, Remedy

__racelab_instrument__ = ["racelab.server.state"]
REMEDY = Remedy.THREAD_LOCAL

MODULES = server_modules()


def scenario_server_counters() -> int:
    stats, responses = run_clients(MODULES, Remedies.everywhere(Remedy.MUTEX, counters=REMEDY))
    assert [r[0] for r in responses] == [200, 200], responses
    counted = stats["counters"]["requests"]
    assert counted == 2, f"the server counted {counted} of 2 requests"
    return counted
