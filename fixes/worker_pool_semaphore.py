"""worker_pool, remedy semaphore: a ``BoundedSemaphore`` holds the free worker slots.

``acquire(blocking=False)`` takes a slot or fails at once: the check and the take are
one operation of the semaphore.
"""

import threading

MAX_WORKERS = 1


class WorkerPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.slots = threading.BoundedSemaphore(max_workers)
        self.started: list[str] = []

    def serve(self, conn: str) -> bool:
        if not self.slots.acquire(blocking=False):
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
