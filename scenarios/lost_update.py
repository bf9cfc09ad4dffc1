"""Lost update: a global counter in the data region, incremented by two threads.

Globals live in the process's data region, which every thread shares. ``counter += 1``
is a read, an add and a write: two threads that read the same old value both write
old + 1, and one increment is lost.
"""

import threading

EXPECTED_FAILURE = "assertion"

counter = 0


def _work(times: int) -> None:
    global counter
    for _ in range(times):
        counter += 1


def scenario_lost_update() -> int:
    global counter
    counter = 0
    threads = [threading.Thread(target=_work, args=(2,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == 4, f"lost update: counter is {counter}, expected 4"
    return counter
