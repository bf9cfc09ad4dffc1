"""Controlled stand-ins for the standard library's threading world.

``install(patcher)`` puts them in place for the duration of an exploration; the caller
undoes the patcher afterwards and every module is as it was.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures._base
import concurrent.futures.thread
import queue
import threading
import time

from racelab._core.patching import Patcher
from racelab.sync import futures, locks, net, processes, queues, rawthread, threads, timing

_REPLACEMENTS = rawthread.replacements()


def install(p: Patcher) -> None:
    for name in ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier"):
        p.set(threading, name, getattr(locks, name))
    T = threading.Thread
    p.set(T, "start", threads.start)
    p.set(T, "join", threads.join)
    p.set(T, "is_alive", threads.is_alive)
    p.set(threading, "_newname", threads._newname)
    for name in ("current_thread", "get_ident", "get_native_id", "enumerate", "active_count", "local"):
        p.set(threading, name, getattr(threads, name))
    if hasattr(threading, "currentThread"):
        p.set(threading, "currentThread", threads.current_thread)
    if hasattr(threading, "activeCount"):
        p.set(threading, "activeCount", threads.active_count)
    for name in ("Queue", "LifoQueue", "PriorityQueue", "SimpleQueue"):
        p.set(queue, name, getattr(queues, name))
    p.set(concurrent.futures, "ThreadPoolExecutor", futures.ThreadPoolExecutor)
    p.set(concurrent.futures.thread, "ThreadPoolExecutor", futures.ThreadPoolExecutor)
    p.set(concurrent.futures._base, "_AcquireFutures", futures.AcquireFutures)
    # ``wait`` and ``as_completed`` iterate sets of futures: hashed in creation order, not by id
    p.set(concurrent.futures._base.Future, "__hash__", futures.future_hash)
    for name in ("sleep", "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"):
        p.set(time, name, getattr(timing, name))
    net.install(p)
    processes.install(p)
    rawthread.install(p)
    rawthread.rebind(p, _REPLACEMENTS)
