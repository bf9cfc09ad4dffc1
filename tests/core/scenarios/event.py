"""Event: publication through set()/wait(), timeouts, clear()."""

import threading
import time


def scenario_ok_wait_sees_data_written_before_set():
    ready = threading.Event()
    box = {}

    def publisher():
        box["value"] = 42
        ready.set()

    def reader():
        ready.wait()
        assert box["value"] == 42

    ts = [threading.Thread(target=reader), threading.Thread(target=publisher)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def scenario_bug_read_without_waiting():
    ready = threading.Event()
    box = {"value": None}

    def publisher():
        box["value"] = 42
        ready.set()

    def reader():
        if not ready.is_set():
            pass  # forgot to wait
        assert box["value"] == 42, box["value"]

    ts = [threading.Thread(target=reader), threading.Thread(target=publisher)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def scenario_ok_wait_timeout_and_clear():
    ev = threading.Event()
    before = time.monotonic()
    assert ev.wait(timeout=4) is False
    assert 4 <= time.monotonic() - before < 4.01
    ev.set()
    assert ev.is_set() and ev.wait(timeout=4) is True
    ev.clear()
    assert not ev.is_set()


def scenario_ok_set_wakes_every_waiter():
    ev = threading.Event()
    woken = []
    ts = [threading.Thread(target=lambda: woken.append(ev.wait())) for _ in range(2)]
    for t in ts:
        t.start()
    ev.set()
    for t in ts:
        t.join()
    assert woken == [True, True]
