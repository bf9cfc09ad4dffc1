"""A generator shared between threads.

A generator is not thread-safe: while one thread is inside ``next(gen)`` another thread
that calls ``next`` on it gets ``ValueError: generator already executing``. (A
hand-written iterator fares no better: two threads can read the same position and
hand out one item twice.)
"""

import threading

EXPECTED_FAILURE = "exception"


def records(rows: list[str]):
    for i in range(len(rows)):
        yield rows[i]


def scenario_shared_iterator() -> int:
    rows = ["r0", "r1", "r2"]
    gen = records(rows)
    done: list[str] = []

    def drain() -> None:
        for row in gen:
            done.append(row)

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == rows, f"rows lost or duplicated: {done}"
    return len(done)
