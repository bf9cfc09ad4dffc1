"""shared_iterator, remedy queue: fill a ``queue.Queue`` up front and let the threads take from it.

``get_nowait`` is one synchronized operation, so each row goes to exactly one thread.
"""

import queue
import threading


def make_source(rows: list[str]) -> queue.Queue[str]:
    q: queue.Queue[str] = queue.Queue()
    for row in rows:
        q.put(row)
    return q


def drain(source: queue.Queue[str], done: list[str]) -> None:
    while True:
        try:
            row = source.get_nowait()
        except queue.Empty:
            return
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
