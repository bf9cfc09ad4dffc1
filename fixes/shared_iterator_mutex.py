"""shared_iterator, remedy mutex: every ``next`` on the shared generator happens under one lock."""

import threading

_END = object()


def records(rows: list[str]):
    for i in range(len(rows)):
        yield rows[i]


class LockedIterator:
    def __init__(self, it) -> None:
        self.it = it
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return next(self.it, _END)


def make_source(rows: list[str]) -> LockedIterator:
    return LockedIterator(records(rows))


def drain(source: LockedIterator, done: list[str]) -> None:
    while (row := source.next()) is not _END:
        done.append(row)


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
