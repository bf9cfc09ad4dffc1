"""concurrent.futures.ThreadPoolExecutor: submit, map, result, exceptions, shutdown."""

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait


def square(x):
    return x * x


def scenario_ok_submit_and_result():
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(square, i) for i in range(3)]
        results = [f.result() for f in futures]
    assert results == [0, 1, 4], results
    assert all(f.done() for f in futures)


def scenario_ok_map_keeps_order():
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(square, [3, 1, 2]))
    assert results == [9, 1, 4], results


def scenario_ok_exception_lands_in_its_future():
    """An exception in a task is not a failure of the program: its future carries it."""
    def boom():
        raise ValueError("task failed")

    with ThreadPoolExecutor(max_workers=2) as pool:
        bad = pool.submit(boom)
        good = pool.submit(square, 5)
        assert isinstance(bad.exception(), ValueError)
        try:
            bad.result()
        except ValueError as exc:
            assert str(exc) == "task failed"
        else:
            raise AssertionError("result() of a failed task returned")
        assert good.result() == 25


def scenario_ok_worker_threads_are_named_and_bounded():
    names = set()

    def record():
        names.add(threading.current_thread().name)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pool") as pool:
        for f in [pool.submit(record) for _ in range(3)]:
            f.result()
    assert names and names <= {"pool_0", "pool_1"}, names
    return len(names)


def scenario_ok_shutdown_cancel_futures():
    """shutdown(cancel_futures=True) cancels the tasks no worker has taken; submit afterwards raises."""
    started = threading.Event()
    gate = threading.Event()

    def first_task():
        started.set()
        return gate.wait()

    pool = ThreadPoolExecutor(max_workers=1)
    first = pool.submit(first_task)
    second = pool.submit(square, 2)
    started.wait()  # the only worker is busy with the first task
    pool.shutdown(wait=False, cancel_futures=True)
    gate.set()
    try:
        pool.submit(square, 3)
    except RuntimeError:
        pass
    else:
        raise AssertionError("submit() after shutdown() did not raise RuntimeError")
    pool.shutdown(wait=True)
    assert first.result() is True
    assert second.cancelled(), "a task queued behind a busy worker ran after shutdown(cancel_futures=True)"


def scenario_ok_cancel_futures_races_with_the_worker():
    """Without waiting for the worker, which tasks get cancelled depends on the schedule."""
    gate = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1)
    first = pool.submit(gate.wait)
    second = pool.submit(square, 2)
    pool.shutdown(wait=False, cancel_futures=True)
    gate.set()
    pool.shutdown(wait=True)
    for f in (first, second):
        assert f.done()
        assert f.cancelled() or f.result() in (True, 4)
    return first.cancelled(), second.cancelled()


def scenario_ok_futures_wait():
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(square, i) for i in range(2)]
        done, not_done = wait(futures)
    assert len(done) == 2 and not not_done


def scenario_ok_futures_wait_first_completed():
    gate = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(gate.wait)
        fast = pool.submit(square, 3)
        done, _ = wait([slow, fast], return_when=FIRST_COMPLETED)
        assert fast in done
        gate.set()


def scenario_ok_as_completed():
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(square, i) for i in range(2)]
        assert sorted(f.result() for f in as_completed(futures)) == [0, 1]


def scenario_bug_lost_update_in_tasks():
    box = {"n": 0}

    def bump():
        box["n"] += 1

    with ThreadPoolExecutor(max_workers=2) as pool:
        for f in [pool.submit(bump) for _ in range(2)]:
            f.result()
    assert box["n"] == 2, box["n"]
