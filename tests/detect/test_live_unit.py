"""Live mode's happens-before wrappers on real threads, with accesses reported by hand.

The instrumentation would report each access; here the threads call ``touch`` instead, so the
wrappers patched into ``threading``/``queue`` are tested on their own.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from racelab._core import control
from racelab._core.events import Op
from racelab.detect import Detector
from racelab.detect.live import LiveLock, LiveObserver, LiveRLock, install, uninstall

LOC = ("shared", "x")
THIS = os.path.relpath(__file__)


def touch(op: Op = Op.WRITE) -> None:
    observer = control.live
    assert observer is not None
    observer.access(-1, op, LOC, "global x", sys._getframe(1))


def found(detector: Detector) -> list:
    """The races so far (a live run reports at its end; ``finish`` ends it early)."""
    assert isinstance(control.live, LiveObserver)
    control.live.finish()
    return detector.races


def run_threads(*bodies: Callable[[], None]) -> None:
    threads = [threading.Thread(target=body) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_patches_are_in_place_and_undone() -> None:
    det = Detector()
    _, patcher = install(det)
    assert threading.Lock is LiveLock and threading.RLock is LiveRLock and control.live is not None
    uninstall(patcher)
    assert threading.Lock is not LiveLock and control.live is None


def test_unsynchronized_writes_race(detector: Detector) -> None:
    run_threads(touch, touch)
    detector_races = found(detector)
    assert len(detector_races) == 1 and str(detector_races[0].kind) == "write-write"


def test_start_and_join_order_parent_and_children(detector: Detector) -> None:
    touch()
    run_threads(touch)
    touch()
    assert found(detector) == []


def test_lock_orders_writes(detector: Detector) -> None:
    lock = threading.Lock()

    def body() -> None:
        with lock:
            touch()

    run_threads(body, body)
    assert found(detector) == []


def test_rlock_reentry_and_condition_wait(detector: Detector) -> None:
    cond = threading.Condition()
    ready = []

    def producer() -> None:
        touch()
        with cond:
            with cond:  # re-entrant
                ready.append(1)
                cond.notify()

    def consumer() -> None:
        with cond:
            cond.wait_for(lambda: ready)
        touch(Op.READ)

    run_threads(consumer, producer)
    assert found(detector) == [] and detector.lock_cycles() == []


@pytest.mark.parametrize("primitive", ["event", "semaphore", "bounded", "queue", "simplequeue"])
def test_signal_primitives_order_producer_before_consumer(detector: Detector, primitive: str) -> None:
    event = threading.Event()
    sem = threading.Semaphore(0) if primitive == "semaphore" else threading.BoundedSemaphore(1)
    if primitive == "bounded":
        sem.acquire()
    q: queue.Queue[int] | queue.SimpleQueue[int] = queue.Queue() if primitive == "queue" else queue.SimpleQueue()

    def producer() -> None:
        touch()
        if primitive == "event":
            event.set()
        elif primitive in ("semaphore", "bounded"):
            sem.release()
        else:
            q.put(1)

    def consumer() -> None:
        if primitive == "event":
            assert event.wait(10)
        elif primitive in ("semaphore", "bounded"):
            assert sem.acquire(timeout=10)
        else:
            q.get(timeout=10)
        touch()

    run_threads(consumer, producer)
    assert found(detector) == []


def test_barrier_orders_before_and_after(detector: Detector) -> None:
    barrier = threading.Barrier(2)
    slots = [("slot", 0), ("slot", 1)]

    def party(i: int) -> None:
        control.live.access(-1, Op.WRITE, slots[i], f"slot[{i}]", sys._getframe())  # type: ignore[union-attr]
        barrier.wait(10)
        for j in (0, 1):
            control.live.access(-1, Op.READ, slots[j], f"slot[{j}]", sys._getframe())  # type: ignore[union-attr]

    run_threads(lambda: party(0), lambda: party(1))
    assert found(detector) == []


def test_executor_submit_and_future_result(detector: Detector) -> None:
    touch()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(touch), ]
        for future in futures:
            future.result(timeout=10)
        touch()
        pool.submit(touch).result(timeout=10)
    touch()
    assert found(detector) == []


def test_executor_tasks_race_with_each_other(detector: Detector) -> None:
    gate = threading.Barrier(2)  # both tasks run at once on two workers

    def task() -> None:
        gate.wait(10)

    def racy() -> None:
        task()
        touch()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(racy), pool.submit(racy)]:
            future.result(timeout=10)
    # the barrier orders the arrivals, not the writes after it
    assert len(found(detector)) == 1


def test_lock_order_inversion_live(detector: Detector) -> None:
    a = threading.Lock()
    b = threading.Lock()

    def ab() -> None:
        with a:
            with b:
                pass

    def ba() -> None:
        with b:
            with a:
                pass

    run_threads(ab)  # one after the other: no deadlock, the order alone is the bug
    run_threads(ba)
    (cycle,) = detector.lock_cycles()
    line_a = ab.__code__.co_firstlineno - 3
    assert cycle.cycle == (f"{THIS}:{line_a}", f"{THIS}:{line_a + 1}")
    assert [edge.line for edge in cycle.edges] == [line_a + 5, line_a + 10]


def test_internal_locks_stay_out_of_lock_order(detector: Detector) -> None:
    lock = threading.Lock()
    q: queue.Queue[int] = queue.Queue()
    event = threading.Event()

    def body() -> None:
        with lock:
            q.put(1)
            event.set()
        q.get()

    run_threads(body)
    assert detector.lock_cycles() == [] and detector.lock_order._edges == {}


class Box:
    value = 0


def test_dead_objects_are_forgotten_before_their_address_is_reused(detector: Detector) -> None:
    observer = control.live
    assert isinstance(observer, LiveObserver)
    box = Box()
    address = id(box)
    keeper = Box()

    def first_owner() -> None:
        observer.access(-1, Op.WRITE, (address, "value"), "Box.value", sys._getframe(), box)
        observer.access(-1, Op.WRITE, (id(keeper), "value"), "Box.value", sys._getframe(), keeper)

    first = threading.Thread(target=first_owner)
    first.start()
    while first.is_alive():  # wait without a happens-before edge (no join)
        time.sleep(0.001)
    assert address in observer._tracked
    del box  # (its weak reference's callback notes the death; the next event forgets it)
    assert observer._dead == [address]

    def second_owner() -> None:  # a new object at the old address: no history, no race
        observer.access(-1, Op.WRITE, (address, "value"), "Box.value", sys._getframe(), Box())
        observer.access(-1, Op.WRITE, (id(keeper), "value"), "Box.value", sys._getframe(), keeper)

    second = threading.Thread(target=second_owner)
    second.start()  # unordered with first_owner's thread: keeper's writes race
    second.join()
    first.join()
    assert [race.location for race in found(detector)] == ["Box.value"]
    assert found(detector)[0].second.thread == second.name
    assert address not in observer._tracked or observer._tracked[address]() is not None


def test_the_detector_keeps_no_object_alive(detector: Detector) -> None:
    import gc
    import weakref

    observer = control.live
    assert isinstance(observer, LiveObserver)
    box = Box()
    ref = weakref.ref(box)
    observer.access(-1, Op.WRITE, (id(box), "value"), "Box.value", sys._getframe(), box)
    items = [box]
    observer.access(-1, Op.READ, (id(items), 0), "items[0]", sys._getframe(), items)
    del box, items
    gc.collect()
    assert ref() is None  # the list held it; the list itself is swept with its shadow memory


def test_a_finalizer_inside_the_detector_does_not_deadlock(detector: Detector) -> None:
    observer = control.live
    assert isinstance(observer, LiveObserver)
    seen = []

    class Noisy:
        def __del__(self) -> None:  # an access while the detector holds its lock
            observer.access(-1, Op.WRITE, (id(self), "x"), "Noisy.x", sys._getframe(), None)
            seen.append(1)

    noisy = Noisy()
    observer._mutex.acquire()
    try:
        del noisy
    finally:
        observer._mutex.release()
    assert seen == [1]
