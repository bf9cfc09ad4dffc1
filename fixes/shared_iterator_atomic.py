"""shared_iterator, remedy atomic: claim row indices from an ``itertools.count``.

``next()`` on an ``itertools.count`` is one call into C, atomic in CPython: every
thread gets a distinct index, with no generator frame to re-enter.
"""

import itertools
import threading


class Claims:
    def __init__(self, rows: list[str]) -> None:
        self.rows = rows
        self.tickets = itertools.count()


def make_source(rows: list[str]) -> Claims:
    return Claims(rows)


def drain(source: Claims, done: list[str]) -> None:
    while True:
        i = next(source.tickets)
        if i >= len(source.rows):
            return
        done.append(source.rows[i])


def scenario_shared_iterator() -> int:
    rows = ["r0", "r1", "r2"]
    source = make_source(rows)
    done: list[str] = []
    threads = [threading.Thread(target=drain, args=(source, done)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == rows, f"rows lost or duplicated: {done}"
    return len(done)
