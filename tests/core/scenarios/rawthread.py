"""Primitives made below ``threading``: ``_thread``, ``_queue``, and names modules bound from them.

Each factory has a correct use (``scenario_ok_*``, passes with the space exhausted) and a
misuse (``scenario_bug_*``, found)."""

import _queue
import _thread
import functools
import queue
import threading

import _rawthread_helper as helper


def _locked_counter(make_lock, *, misuse=False):
    box = {"n": 0}
    lock = make_lock()

    def work():
        if misuse:  # the lock guards the write only: the read-modify-write is still split
            value = box["n"]
            with lock:
                box["n"] = value + 1
        else:
            with lock:
                box["n"] += 1

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 2, box["n"]


def scenario_ok_allocate_lock():
    _locked_counter(_thread.allocate_lock)


def scenario_bug_allocate_lock():
    _locked_counter(_thread.allocate_lock, misuse=True)


def scenario_ok_allocate():
    _locked_counter(_thread.allocate)


def scenario_bug_allocate():
    _locked_counter(_thread.allocate, misuse=True)


def scenario_ok_rlock():
    _locked_counter(_thread.RLock)


def scenario_bug_rlock():
    _locked_counter(_thread.RLock, misuse=True)


def scenario_ok_threading_allocate_lock():
    _locked_counter(threading._allocate_lock)


def scenario_bug_threading_allocate_lock():
    _locked_counter(threading._allocate_lock, misuse=True)


def scenario_ok_crlock():
    _locked_counter(threading._CRLock)


def scenario_bug_crlock():
    _locked_counter(threading._CRLock, misuse=True)


def scenario_ok_bound_allocate_lock():
    _locked_counter(helper.allocate_lock)


def scenario_bug_bound_allocate_lock():
    _locked_counter(helper.allocate_lock, misuse=True)


def scenario_ok_bound_rlock():
    _locked_counter(helper.RLock)


def scenario_bug_bound_rlock():
    _locked_counter(helper.RLock, misuse=True)


def scenario_ok_bound_crlock():
    _locked_counter(helper.crlock)


def scenario_ok_bound_threading_allocate_lock():
    _locked_counter(helper.threading_allocate_lock)


def scenario_ok_bound_threading_names():
    _locked_counter(helper.Lock)
    done = helper.Event()
    cond = helper.Condition()
    slots = helper.Semaphore(1)
    box = {"ready": False}

    def producer():
        with slots:
            with cond:
                box["ready"] = True
                cond.notify()
        done.set()

    t = threading.Thread(target=producer)
    t.start()
    with cond:
        cond.wait_for(lambda: box["ready"])
    assert done.wait(5)
    t.join()


def scenario_ok_rlock_is_reentrant():
    lock = _thread.RLock()

    def work():
        with lock:
            with lock:
                pass

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def scenario_bug_rlock_released_by_another_thread():
    lock = _thread.RLock()
    lock.acquire()

    def work():
        lock.release()  # RuntimeError: it is not the owner

    t = threading.Thread(target=work)
    t.start()
    t.join()
    lock.release()


def scenario_ok_lock_type():
    assert isinstance(_thread.allocate_lock(), _thread.LockType)
    assert isinstance(threading.Lock(), _thread.LockType)
    assert isinstance(helper.allocate_lock(), helper.LockType)
    assert not isinstance(_thread.RLock(), _thread.LockType)
    assert not isinstance(object(), _thread.LockType)
    made = _thread.LockType() if hasattr(_thread, "lock") else _thread.allocate_lock()
    assert isinstance(made, _thread.LockType)
    with made:
        assert made.locked()


def _started_with(start, *, lock=True):
    box = {"n": 0, "names": []}
    guard = threading.Lock()
    finished = threading.Semaphore(0)

    def work(step):
        box["names"].append(threading.current_thread().name)
        if lock:
            with guard:
                box["n"] += step
        else:
            box["n"] += step
        finished.release()

    start(work, (1,))
    start(work, (), {"step": 1})
    finished.acquire()
    finished.acquire()
    assert box["n"] == 2, box["n"]
    assert all(name.startswith("Dummy-") for name in box["names"]), box["names"]


def scenario_ok_start_new_thread():
    _started_with(_thread.start_new_thread)


def scenario_bug_start_new_thread():
    _started_with(_thread.start_new_thread, lock=False)


def scenario_ok_start_new():
    _started_with(_thread.start_new)


def scenario_bug_start_new():
    _started_with(_thread.start_new, lock=False)


def scenario_ok_bound_start_new_thread():
    _started_with(helper.start_new_thread)


def scenario_bug_bound_start_new_thread():
    _started_with(helper.start_new_thread, lock=False)


def scenario_bug_start_new_thread_raises():
    finished = threading.Event()

    def work():
        try:
            raise ValueError("boom in a _thread thread")
        finally:
            finished.set()

    _thread.start_new_thread(work, ())
    finished.wait()


def _joinable(lock=True):
    start = getattr(_thread, "start_joinable_thread", None)
    if start is None:  # before 3.13: the same program with start_new_thread and a semaphore
        _started_with(_thread.start_new_thread, lock=lock)
        return
    box = {"n": 0}
    guard = threading.Lock()

    def work():
        if lock:
            with guard:
                box["n"] += 1
        else:
            box["n"] += 1

    handles = [start(work, daemon=False) for _ in range(2)]
    for handle in handles:
        handle.join()
        assert handle.is_done()
    assert box["n"] == 2, box["n"]


def scenario_ok_start_joinable_thread():
    _joinable()


def scenario_bug_start_joinable_thread():
    _joinable(lock=False)


def _handed_over(make_queue, *, wait=True):
    q = make_queue()
    got = []

    def consumer():
        for _ in range(2):
            got.append(q.get() if wait else q.get_nowait())  # get_nowait: Empty when it runs first

    t = threading.Thread(target=consumer)
    t.start()
    q.put(1)
    q.put(2)
    t.join()
    assert got == [1, 2], got


def scenario_ok_simple_queue():
    _handed_over(_queue.SimpleQueue)


def scenario_bug_simple_queue():
    _handed_over(_queue.SimpleQueue, wait=False)


def scenario_ok_queue_simple_queue():
    _handed_over(queue.SimpleQueue)


def scenario_bug_queue_simple_queue():
    _handed_over(queue.SimpleQueue, wait=False)


def scenario_ok_bound_simple_queue():
    _handed_over(helper.SimpleQueue)


def scenario_bug_bound_simple_queue():
    _handed_over(helper.SimpleQueue, wait=False)


class _Config:
    loads = 0

    @functools.cached_property
    def value(self):  # on 3.11 cached_property holds an RLock (functools binds _thread.RLock) around this
        _Config.loads += 1
        return _Config.loads


def scenario_ok_cached_property():
    _Config.loads = 0
    config = _Config()
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(config.value)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if hasattr(vars(_Config)["value"], "lock"):  # 3.11; from 3.12 on two threads may both compute it
        assert seen == [1, 1], seen


def scenario_ok_import_system_locks_stay_real():
    import importlib._bootstrap as bootstrap

    module_lock = bootstrap._ModuleLock("racelab_example")
    assert type(module_lock.lock).__module__ == "_thread"
    assert type(module_lock.wakeup).__module__ == "_thread"
