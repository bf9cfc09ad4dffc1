"""racelab.atomic under real threads (no timing assertions) and its single-threaded contract."""

from __future__ import annotations

import sys
import threading

from racelab.atomic import AtomicInt, AtomicRef

THREADS = 4
PER_THREAD = 20_000


def _hammer(work) -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch as often as the interpreter allows
    try:
        start = threading.Barrier(THREADS)

        def body() -> None:
            start.wait()
            work()

        threads = [threading.Thread(target=body) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)


def test_atomic_int_loses_no_update_under_real_threads() -> None:
    counter = AtomicInt()

    def work() -> None:
        for _ in range(PER_THREAD):
            counter.increment_and_get()

    _hammer(work)
    assert counter.get() == THREADS * PER_THREAD


def test_compare_and_set_loop_under_real_threads() -> None:
    counter = AtomicInt()

    def work() -> None:
        for _ in range(PER_THREAD // 4):
            while True:
                n = counter.get()
                if counter.compare_and_set(n, n + 1):
                    break

    _hammer(work)
    assert counter.get() == THREADS * (PER_THREAD // 4)


def test_get_and_add_hands_out_distinct_tickets() -> None:
    counter = AtomicInt()
    tickets: list[int] = []

    def work() -> None:
        mine = [counter.get_and_increment() for _ in range(1000)]
        tickets.extend(mine)

    _hammer(work)
    assert sorted(tickets) == list(range(THREADS * 1000))


def test_atomic_int_operations() -> None:
    n = AtomicInt(5)
    assert n.add_and_get(3) == 8
    assert n.get_and_add(2) == 8
    assert n.get() == 10
    assert n.compare_and_set(9, 0) is False
    assert n.compare_and_set(10, 1) is True
    assert n.get() == 1
    assert n.decrement_and_get() == 0
    assert n.get_and_decrement() == 0
    assert n.get() == -1
    n.set(7)
    assert repr(n) == "AtomicInt(7)"


def test_atomic_ref_compares_by_identity() -> None:
    first = [1]
    ref = AtomicRef(first)
    assert ref.compare_and_set([1], [2]) is False  # equal but not the same object
    second = [2]
    assert ref.compare_and_set(first, second) is True
    assert ref.get() is second
    assert ref.get_and_set(first) is second
    ref.set(None)
    assert ref.get() is None
