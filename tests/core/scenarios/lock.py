"""Lock: mutual exclusion, non-blocking acquire, timeouts, misuse."""

import threading
import time


def _counter(locked):
    lock = threading.Lock()
    box = {"n": 0}

    def work():
        if locked:
            with lock:
                box["n"] += 1
        else:
            box["n"] += 1

    ts = [threading.Thread(target=work) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert box["n"] == 2, box["n"]


def scenario_ok_locked_counter():
    _counter(locked=True)


def scenario_bug_unlocked_counter():
    _counter(locked=False)


def scenario_ok_non_blocking_acquire():
    lock = threading.Lock()
    seen = []

    def other():
        seen.append(lock.acquire(blocking=False))

    lock.acquire()
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == [False]
    assert lock.locked()
    lock.release()
    assert lock.acquire(False) is True
    lock.release()


def scenario_ok_acquire_timeout():
    """A thread that waits 2 virtual seconds for a lock held throughout gives up with False."""
    lock = threading.Lock()
    seen = []

    def other():
        before = time.monotonic()
        seen.append(lock.acquire(timeout=2))
        seen.append(time.monotonic() - before)

    lock.acquire()
    t = threading.Thread(target=other)
    t.start()
    t.join()
    lock.release()
    assert seen[0] is False, seen
    assert 2 <= seen[1] < 2.01, seen


def scenario_ok_acquire_timeout_may_succeed():
    """The holder releases after 1 s: a 5 s timed acquire succeeds, a 0.5 s one may not."""
    lock = threading.Lock()
    seen = []

    def holder():
        with lock:
            time.sleep(1)

    def other(timeout):
        seen.append((timeout, lock.acquire(timeout=timeout)))

    h = threading.Thread(target=holder)
    h.start()
    h.join()  # released: both timed acquires below race only with each other
    lock.acquire()
    ts = [threading.Thread(target=other, args=(5,))]
    for t in ts:
        t.start()
    time.sleep(1)
    lock.release()
    for t in ts:
        t.join()
    assert seen == [(5, True)], seen


def scenario_ok_misuse_raises():
    lock = threading.Lock()
    try:
        lock.release()
    except RuntimeError:
        pass
    else:
        raise AssertionError("releasing an unlocked Lock did not raise RuntimeError")
    try:
        lock.acquire(False, 1)
    except ValueError:
        pass
    else:
        raise AssertionError("a timeout on a non-blocking acquire did not raise ValueError")
