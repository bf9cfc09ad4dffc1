"""shared_iterator, WRONG fix: replace the generator by a hand-written iterator class.

It no longer raises "generator already executing", which looks like a fix, but reading
the position and advancing it are two steps: two threads can read the same position
and hand out the same row twice.
"""

import threading

EXPECTED_FAILURE = "assertion"


class RowIterator:
    def __init__(self, rows: list[str]) -> None:
        self.rows = rows
        self.pos = 0

    def __iter__(self) -> "RowIterator":
        return self

    def __next__(self) -> str:
        pos = self.pos
        if pos >= len(self.rows):
            raise StopIteration
        self.pos = pos + 1
        return self.rows[pos]


def make_source(rows: list[str]) -> RowIterator:
    return RowIterator(rows)


def drain(source: RowIterator, done: list[str]) -> None:
    for row in source:
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
