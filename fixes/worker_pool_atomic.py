"""worker_pool, remedy atomic: reserve a worker slot with a compare-and-set loop.

The check and the increment become one step: ``compare_and_set(n, n + 1)`` succeeds only
if nobody changed the count since we read ``n``; otherwise read again and retry.
"""

import threading

from racelab.atomic import AtomicInt

MAX_WORKERS = 1


class WorkerPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.workers_count = AtomicInt(0)
        self.started: list[str] = []

    def _reserve(self) -> bool:
        while True:
            n = self.workers_count.get()
            if n >= self.max_workers:
                return False
            if self.workers_count.compare_and_set(n, n + 1):
                return True

    def serve(self, conn: str) -> bool:
        if not self._reserve():
            return False
        self.started.append(conn)
        return True


def scenario_worker_pool() -> int:
    pool = WorkerPool(MAX_WORKERS)
    threads = [threading.Thread(target=pool.serve, args=(c,)) for c in ("c1", "c2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pool.started) <= MAX_WORKERS, f"{len(pool.started)} workers started, MaxWorkersCount is {MAX_WORKERS}"
    return len(pool.started)
