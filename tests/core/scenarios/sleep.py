"""time.sleep and the clocks run on a virtual clock while exploring."""

import threading
import time


def scenario_ok_sleep_100_virtual_seconds():
    mono, wall, perf = time.monotonic(), time.time(), time.perf_counter()
    time.sleep(100)
    slept = (time.monotonic() - mono, time.time() - wall, time.perf_counter() - perf)
    for value in slept:
        assert 100 <= value < 100.01, slept
    return [round(v) for v in slept]


def scenario_ok_sleepers_wake_in_deadline_order():
    order = []

    def sleeper(name, secs):
        time.sleep(secs)
        order.append((name, round(time.monotonic())))

    start = round(time.monotonic())
    ts = [threading.Thread(target=sleeper, args=("slow", 20)), threading.Thread(target=sleeper, args=("fast", 10))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert [name for name, _ in order] == ["fast", "slow"], order
    return [(name, at - start) for name, at in order]


def scenario_ok_time_ns_follows():
    before = time.monotonic_ns()
    time.sleep(2)
    assert 2_000_000_000 <= time.monotonic_ns() - before < 2_010_000_000


def scenario_ok_sleep_zero_yields():
    """sleep(0) lets the other thread run: a flag spin with sleep(0) terminates."""
    flag = {"set": False}

    def setter():
        flag["set"] = True

    t = threading.Thread(target=setter)
    t.start()
    while not flag["set"]:
        time.sleep(0)
    t.join()


def scenario_bug_sleep_is_not_synchronisation():
    """Sleeping 'long enough' orders threads on the virtual clock as it does for real -- unless one sleeps less."""
    box = {"n": 0}

    def bump(delay):
        time.sleep(delay)
        box["n"] += 1

    ts = [threading.Thread(target=bump, args=(1,)), threading.Thread(target=bump, args=(1,))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert box["n"] == 2, box["n"]
