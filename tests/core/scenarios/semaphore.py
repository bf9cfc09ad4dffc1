"""Semaphore and BoundedSemaphore: bounds on concurrent holders, over-release."""

import threading
import time


def _holders(value, threads, limit):
    """Threads enter a semaphore-guarded region; list methods are atomic, so only the semaphore orders them."""
    sem = threading.Semaphore(value)
    inside = []
    peaks = []

    def work():
        with sem:
            inside.append(None)
            peaks.append(len(inside))
            assert len(inside) <= limit, f"{len(inside)} threads inside, limit {limit}"
            inside.pop()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return max(peaks)


def scenario_ok_semaphore_bounds_holders():
    """Semaphore(1) admits one thread at a time."""
    assert _holders(1, 3, 1) == 1


def scenario_ok_semaphore_of_two():
    """Semaphore(2) admits two at a time, never three."""
    most = _holders(2, 3, 2)
    return most


def scenario_bug_semaphore_of_two_is_not_a_mutex():
    _holders(2, 2, 1)


def scenario_ok_bounded_over_release_raises():
    sem = threading.BoundedSemaphore(1)
    sem.acquire()
    sem.release()
    try:
        sem.release()
    except ValueError:
        pass
    else:
        raise AssertionError("BoundedSemaphore released above its initial value")


def scenario_ok_plain_semaphore_may_grow():
    sem = threading.Semaphore(0)
    t = threading.Thread(target=lambda: sem.release(2))
    t.start()
    assert sem.acquire()
    assert sem.acquire()
    assert not sem.acquire(blocking=False)
    t.join()


def scenario_ok_acquire_timeout():
    sem = threading.Semaphore(0)
    assert sem.acquire(blocking=False) is False
    before = time.monotonic()
    assert sem.acquire(timeout=2) is False
    assert 2 <= time.monotonic() - before < 2.01
