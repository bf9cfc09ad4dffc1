"""Primitives prepared at import time (outside any exploration): executions start from that state."""

import queue
import threading

READY = threading.Event()
READY.set()
JOBS = queue.Queue()
JOBS.put("job")
SLOTS = threading.Semaphore(2)
SLOTS.acquire()


def scenario_module_event_set_at_import():
    READY.wait()


def scenario_module_queue_filled_at_import():
    assert JOBS.get() == "job"


def scenario_module_semaphore_taken_at_import():
    assert SLOTS.acquire(blocking=False)
    assert not SLOTS.acquire(blocking=False), "the slot taken at import time is free again"
