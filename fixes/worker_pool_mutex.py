"""worker_pool, remedy mutex: what fasthttp does, ``wp.lock`` around the check and the increment."""

import threading

MAX_WORKERS = 1


class WorkerPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.workers_count = 0
        self.started: list[str] = []
        self.lock = threading.Lock()

    def serve(self, conn: str) -> bool:
        with self.lock:
            create_worker = self.workers_count < self.max_workers
            if create_worker:
                self.workers_count += 1
        if create_worker:  # the worker itself starts outside the lock, as in getCh
            self.started.append(conn)
        return create_worker


def scenario_worker_pool() -> int:
    pool = WorkerPool(MAX_WORKERS)
    threads = [threading.Thread(target=pool.serve, args=(c,)) for c in ("c1", "c2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pool.started) <= MAX_WORKERS, f"{len(pool.started)} workers started, MaxWorkersCount is {MAX_WORKERS}"
    return len(pool.started)
