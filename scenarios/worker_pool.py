"""fasthttp's worker pool: ``workersCount`` checked and incremented without the lock.

fasthttp's ``workerPool.getCh`` takes ``wp.lock`` around "if workersCount <
MaxWorkersCount { workersCount++ }". Drop the lock and two connections arriving
together both see room for one more worker: the pool runs more workers than
``MaxWorkersCount``.
"""

import threading

EXPECTED_FAILURE = "assertion"

MAX_WORKERS = 1


class WorkerPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.workers_count = 0
        self.started: list[str] = []

    def serve(self, conn: str) -> bool:
        """Starts a worker for ``conn``; False when the pool is full (the request is refused)."""
        if self.workers_count < self.max_workers:
            self.workers_count += 1
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
