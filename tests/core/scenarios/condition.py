"""Condition: wait with and without timeout, wait_for, notify versus notify_all."""

import threading
import time


def scenario_ok_waiter_first():
    """A waiter that checks its predicate in a loop never misses the notify, whoever runs first."""
    cv = threading.Condition()
    state = {"ready": False, "waits": 0}

    def waiter():
        with cv:
            while not state["ready"]:
                state["waits"] += 1
                cv.wait()

    def notifier():
        with cv:
            state["ready"] = True
            cv.notify()

    w = threading.Thread(target=waiter)
    n = threading.Thread(target=notifier)
    w.start()
    n.start()
    w.join()
    n.join()
    assert state["ready"]
    return state["waits"] > 0  # True: the waiter waited first and was woken by the notify


def scenario_bug_wait_without_predicate():
    """A bare ``wait()`` misses a notify that came first: the waiter sleeps forever."""
    cv = threading.Condition()
    done = []

    def waiter():
        with cv:
            cv.wait()
            done.append(True)

    def notifier():
        with cv:
            cv.notify()

    w = threading.Thread(target=waiter)
    n = threading.Thread(target=notifier)
    w.start()
    n.start()
    w.join()
    n.join()
    assert done


def scenario_ok_wait_timeout_unnotified():
    """Nobody notifies: ``wait(5)`` returns False after 5 virtual seconds."""
    cv = threading.Condition()
    with cv:
        before = time.monotonic()
        got = cv.wait(timeout=5)
        waited = time.monotonic() - before
    assert got is False
    assert 5 <= waited < 5.01, waited
    return got


def scenario_ok_wait_timeout_race():
    """``wait(5)`` is True when the notify comes while waiting, False when it came before."""
    cv = threading.Condition()
    results = []

    def waiter():
        with cv:
            results.append(cv.wait(timeout=5))

    def notifier():
        with cv:
            cv.notify()

    w = threading.Thread(target=waiter)
    n = threading.Thread(target=notifier)
    w.start()
    n.start()
    w.join()
    n.join()
    return results[0]


def scenario_ok_wait_for():
    """``wait_for`` returns the predicate's (truthy) value once a consumer can go on."""
    cv = threading.Condition()
    items = []
    got = []

    def consumer():
        with cv:
            got.append(cv.wait_for(lambda: len(items)))
            got.append(items.pop())

    def producer():
        with cv:
            items.append("x")
            cv.notify_all()

    c = threading.Thread(target=consumer)
    p = threading.Thread(target=producer)
    c.start()
    p.start()
    c.join()
    p.join()
    assert got == [1, "x"], got


def scenario_ok_wait_for_timeout():
    """``wait_for`` with a timeout and a predicate that stays false returns False on time."""
    cv = threading.Condition()
    with cv:
        before = time.monotonic()
        result = cv.wait_for(lambda: False, timeout=2)
        waited = time.monotonic() - before
    assert result is False
    assert 2 <= waited < 2.01, waited


def _two_waiters(wake_all):
    lock = threading.Lock()
    cv = threading.Condition(lock)
    arrived = threading.Condition(lock)
    order = []
    woken = {}

    def waiter(name):
        with lock:
            order.append(name)
            arrived.notify()
            woken[name] = cv.wait(timeout=10)

    def notifier():
        with lock:
            arrived.wait_for(lambda: len(order) == 2)
            if wake_all:
                cv.notify_all()
            else:
                cv.notify()

    threads = [threading.Thread(target=waiter, args=(n,)) for n in ("a", "b")]
    threads.append(threading.Thread(target=notifier))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return order, woken


def scenario_ok_notify_wakes_one_fifo():
    """``notify()`` wakes exactly one waiter, the one that waited first; the other times out."""
    order, woken = _two_waiters(wake_all=False)
    assert woken[order[0]] is True, (order, woken)
    assert woken[order[1]] is False, (order, woken)


def scenario_ok_notify_all_wakes_every_waiter():
    order, woken = _two_waiters(wake_all=True)
    assert woken == {"a": True, "b": True}, woken


def scenario_bug_notify_one_expecting_all():
    """Believing ``notify()`` wakes every waiter is found wrong."""
    order, woken = _two_waiters(wake_all=False)
    assert all(woken.values()), woken


def scenario_ok_wait_requires_lock():
    cv = threading.Condition()
    try:
        cv.wait()
    except RuntimeError:
        pass
    else:
        raise AssertionError("wait() on an un-acquired condition must raise RuntimeError")


def scenario_ok_notify_skips_a_timed_out_waiter():
    """A waiter whose timeout expired is no longer waiting: notify() wakes the next one."""
    cv = threading.Condition()
    woken = {}

    def waiter(name, timeout):
        with cv:
            woken[name] = cv.wait(timeout)

    ts = [threading.Thread(target=waiter, args=("short", 1)), threading.Thread(target=waiter, args=("long", 100))]
    for t in ts:
        t.start()
    time.sleep(2)
    with cv:
        cv.notify()
    for t in ts:
        t.join()
    assert woken == {"short": False, "long": True}, woken
