"""worker_pool, WRONG fix: an atomic counter guarding a check-then-act.

``workers_count`` is now an ``AtomicInt``, so no increment is lost, but the *check*
(``get() < max``) and the *act* (``increment_and_get()``) are still two steps. Both
connections can pass the check before either increments: two atomic operations in a
row are not one atomic operation.
"""

import threading

from racelab.atomic import AtomicInt

EXPECTED_FAILURE = "assertion"

MAX_WORKERS = 1


class WorkerPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.workers_count = AtomicInt(0)
        self.started: list[str] = []

    def serve(self, conn: str) -> bool:
        if self.workers_count.get() < self.max_workers:
            self.workers_count.increment_and_get()
            self.started.append(conn)
            return True
        return False


def scenario_worker_pool() -> int:
    pool = WorkerPool(MAX_WORKERS)
    threads = [threading.Thread(target=pool.serve, args=(c,)) for c in ("c1", "c2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pool.started) <= MAX_WORKERS, f"{len(pool.started)} workers started, MaxWorkersCount is {MAX_WORKERS}"
    return len(pool.started)
