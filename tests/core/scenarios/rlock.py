"""RLock: re-entry by its owner, release by a non-owner, counted releases."""

import threading


def scenario_ok_reentry():
    """The owner re-enters; two threads each re-enter and the count stays exact."""
    lock = threading.RLock()
    box = {"n": 0}

    def work():
        with lock:
            with lock:
                box["n"] += 1

    ts = [threading.Thread(target=work) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert box["n"] == 2


def scenario_bug_reentry_with_plain_lock():
    """Re-entering a plain Lock deadlocks the thread on itself."""
    lock = threading.Lock()

    def work():
        with lock:
            with lock:
                pass

    t = threading.Thread(target=work)
    t.start()
    t.join()


def scenario_ok_release_by_non_owner_raises():
    lock = threading.RLock()
    errors = []

    def intruder():
        try:
            lock.release()
        except RuntimeError:
            errors.append("RuntimeError")

    lock.acquire()
    t = threading.Thread(target=intruder)
    t.start()
    t.join()
    lock.release()
    assert errors == ["RuntimeError"], errors


def scenario_ok_owned_until_last_release():
    """Acquired twice, released once: still held, another thread cannot take it."""
    lock = threading.RLock()
    seen = []

    def other():
        seen.append(lock.acquire(blocking=False))

    lock.acquire()
    lock.acquire()
    lock.release()
    t = threading.Thread(target=other)
    t.start()
    t.join()
    lock.release()
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == [False, True], seen


def scenario_ok_condition_over_rlock_keeps_count():
    """Condition.wait() releases every level of an RLock and restores them afterwards."""
    lock = threading.RLock()
    cv = threading.Condition(lock)
    state = {"ready": False}

    def notifier():
        with cv:
            state["ready"] = True
            cv.notify()

    with lock:
        with cv:
            t = threading.Thread(target=notifier)
            t.start()
            while not state["ready"]:
                cv.wait()
        lock.release()
        try:
            lock.release()
        except RuntimeError:
            pass
        else:
            raise AssertionError("the RLock was held more times than acquired")
        lock.acquire()
    t.join()


def scenario_ok_timed_acquire_of_a_held_rlock():
    lock = threading.RLock()
    seen = []

    def other():
        seen.append(lock.acquire(timeout=1))

    with lock:
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [False], seen
