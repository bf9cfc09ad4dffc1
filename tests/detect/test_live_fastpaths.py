"""Live mode's inlined fast paths agree with the detectors they stand in for.

``LiveObserver`` decides the common cases of a data access and of a lock hand-off itself, on
the detectors' tables, and hands everything else to ``RaceDetector``/``LockOrderDetector``.
These tests drive the cases at the border: locks released out of order or by another thread,
re-entered ``RLock``s, accesses that switch a cell between its fast and slow shapes.
"""

from __future__ import annotations

import operator
import threading
import time

import pytest

from racelab._core import control
from racelab._core.events import Op
from racelab.detect import Detector
from racelab.detect.live import LiveObserver
from racelab.instrument import runtime


def observer() -> LiveObserver:
    live = control.live
    assert isinstance(live, LiveObserver)
    return live


def finish(detector: Detector) -> None:
    """End the live "execution" early, so that ``detector.races`` holds its findings."""
    observer().finish()


def run(*bodies: object) -> None:
    threads = [threading.Thread(target=body) for body in bodies]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def held_everywhere(detector: Detector) -> list[object]:
    return [entry for entries in detector.lock_order._held.values() for entry in entries]


class Box:
    def __init__(self) -> None:
        self.value = 0


def bump(box: Box) -> None:
    """``box.value += 1`` as the instrumentation runs it: a read, then a write."""
    runtime.wa(box, "value").value = operator.iadd(runtime.ra(box, "value").value, 1)


def test_hand_over_hand_release_keeps_the_held_lists_exact(detector: Detector) -> None:
    a = threading.Lock()  # three lock classes: one creation line each
    b = threading.Lock()
    c = threading.Lock()
    a.acquire()
    b.acquire()
    a.release()  # out of order: b stays held
    with c:
        pass
    b.release()
    assert held_everywhere(detector) == [] and detector.lock_order._owner == {}
    classes = {(edge.from_, edge.to) for edge in detector.lock_order._edges.values()}
    assert len(classes) == 2  # a -> b and b -> c, nothing from a to c
    assert detector.lock_cycles() == []


def test_lock_released_by_another_thread_leaves_its_taker_holding_nothing(detector: Detector) -> None:
    handed = threading.Lock()
    later = threading.Lock()
    taken = threading.Event()
    released = threading.Event()

    def taker() -> None:
        handed.acquire()
        taken.set()
        assert released.wait(10)
        with later:  # must not look nested in ``handed``
            pass

    def releaser() -> None:
        assert taken.wait(10)
        handed.release()
        released.set()

    run(taker, releaser)
    assert held_everywhere(detector) == []
    assert detector.lock_order._edges == {}


def test_rlock_reentry_and_release_in_the_fast_path(detector: Detector) -> None:
    rlock = threading.RLock()
    other = threading.Lock()
    with rlock:
        with rlock:
            with other:
                pass
        with other:
            pass
    assert held_everywhere(detector) == []
    assert len(detector.lock_order._edges) == 1


def test_locked_increments_do_not_race_and_unlocked_ones_do(detector: Detector) -> None:
    lock = threading.Lock()
    safe, racy = Box(), Box()
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait(10)
        for _ in range(200):
            with lock:
                bump(safe)
        bump(racy)

    run(worker, worker)
    finish(detector)
    assert safe.value == 400 and racy.value == 2
    (race,) = detector.races
    assert race.location == "Box.value" and race.first.file == __file__


def test_a_read_between_writes_of_others_is_still_checked(detector: Detector) -> None:
    """Concurrent reads switch the cell to its shared shape; a later write sees them all."""
    box = Box()
    gate = threading.Barrier(3)

    def reader() -> None:
        gate.wait(10)
        runtime.ra(box, "value")

    def writer() -> None:
        gate.wait(10)
        for thread in readers:
            thread.join()
        runtime.wa(box, "value").value = 1  # joined the readers: ordered after both reads

    readers = [threading.Thread(target=reader) for _ in range(2)]
    last = threading.Thread(target=writer)
    for thread in [*readers, last]:
        thread.start()
    while last.is_alive():  # wait without a happens-before edge (no join)
        time.sleep(0.001)
    runtime.ra(box, "value")  # not ordered after the writer: races with its write
    last.join()
    finish(detector)
    assert [str(race.kind) for race in detector.races] == ["read-write"]
    assert detector.races[0].second.op is Op.READ


def test_a_thread_not_started_by_threading_gets_its_own_record(detector: Detector) -> None:
    import _thread

    live = observer()
    main = live.tid()
    seen: list[int] = []
    done = threading.Event()

    def raw() -> None:
        seen.append(live.tid())
        seen.append(live.tid())
        done.set()

    _thread.start_new_thread(raw, ())
    assert done.wait(10)
    assert seen[0] == seen[1] != main and live.tid() == main


def test_contended_acquire_keeps_the_real_lock_semantics(detector: Detector) -> None:
    lock = threading.Lock()
    rlock = threading.RLock()
    holding = threading.Event()
    done = threading.Event()

    def holder() -> None:
        with lock, rlock:
            holding.set()
            assert done.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(10)
    for busy in (lock, rlock):
        assert busy.acquire(False) is False
        started = time.monotonic()
        assert busy.acquire(True, 0.05) is False
        assert time.monotonic() - started >= 0.05
        with pytest.raises(ValueError):
            busy.acquire(False, 1)
        with pytest.raises(ValueError):
            busy.acquire(True, -2)
    done.set()
    assert lock.acquire(True, 10) and rlock.acquire(True, 10)
    lock.release()
    rlock.release()
    thread.join()


def test_contended_locks_still_exclude_each_other(detector: Detector) -> None:
    lock = threading.Lock()
    inside: list[int] = []
    overlaps: list[int] = []

    def worker() -> None:
        for turn in range(300):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                if turn % 7 == 0:
                    time.sleep(0)  # give the GIL away while holding the lock: others contend
                inside.pop()

    run(*[worker] * 4)
    assert overlaps == [] and inside == []
