"""lost_update, WRONG fix: a lock created by each thread.

Every thread makes its own ``threading.Lock()`` and takes it around the increment. A
lock only excludes threads that take *the same* lock object; here nobody else ever
takes it, so it excludes nothing.
"""

import threading

EXPECTED_FAILURE = "assertion"

counter = 0


def _work(times: int) -> None:
    global counter
    lock = threading.Lock()  # one lock per thread: protects nothing
    for _ in range(times):
        with lock:
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
