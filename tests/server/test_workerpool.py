import threading
import time

from racelab.server.objpool import ObjectPool
from racelab.server.workerpool import WorkerPool


def test_reuses_the_most_recent_worker_and_rejects_when_full() -> None:
    gate = threading.Event()
    seen: list[str] = []
    done = threading.Semaphore(0)

    def work(item: str) -> None:
        if item == "block":
            gate.wait(5)
        seen.append(threading.current_thread().name)
        done.release()

    pool: WorkerPool[str] = WorkerPool(work, max_workers=1, max_idle=60)
    assert pool.serve("block")
    assert not pool.serve("second")  # the only worker is busy: the caller answers 503
    gate.set()
    assert done.acquire(timeout=5)
    deadline = time.monotonic() + 5
    while pool.statistics()["idle"] != 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert pool.serve("third")  # the idle worker is reused, not a new one
    assert done.acquire(timeout=5)
    stats = pool.statistics()
    assert stats["started"] == 1 and stats["rejected"] == 1 and seen[0] == seen[1]
    pool.stop()


def test_idle_workers_are_reaped() -> None:
    finished = threading.Semaphore(0)
    pool: WorkerPool[int] = WorkerPool(lambda _: finished.release(), max_workers=4, max_idle=0.01)
    for i in range(3):
        assert pool.serve(i + 1)
    for _ in range(3):
        assert finished.acquire(timeout=5)
    deadline = time.monotonic() + 5
    reaped = 0
    while reaped < pool.statistics()["started"] and time.monotonic() < deadline:
        time.sleep(0.02)
        reaped += pool.clean()
    assert reaped == pool.statistics()["started"]
    while pool.statistics()["workers"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.statistics()["workers"] == 0


def test_object_pool_is_lifo() -> None:
    pool: ObjectPool[list[int]] = ObjectPool(list)
    a, b = pool.get(), pool.get()
    pool.put(a)
    pool.put(b)
    assert pool.get() is b and pool.get() is a
    assert pool.statistics()["new"] == 2
