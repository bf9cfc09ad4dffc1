"""A fasthttp-style worker pool: a bounded set of threads, reused, idle ones kept on a LIFO stack.

The shape follows fasthttp's ``workerPool`` (``getCh`` / ``release`` / ``clean``):

* ``serve(item)`` pops the most recently idle worker (LIFO: its stack and caches are warm) or, if
  none is idle and fewer than ``max_workers`` exist, starts one; otherwise it returns False and
  the caller answers ``503``. The decision and the count change happen under one lock; the thread
  is started outside it.
* A worker handles one item, then ``release``-s itself back onto the stack, stamped with the time.
  If the pool is stopping, ``release`` says no and the worker exits.
* ``spare()`` says whether ``serve`` would find a worker right now; the reactor asks it before
  handing the waiting connections of a stalled batch to workers of their own, so that splitting
  a batch never turns a request into a ``503``.
* ``clean()`` reaps workers idle longer than ``max_idle``: the stack is ordered by last use, so
  they are a prefix at its bottom, found by bisection.

Each worker owns a one-slot channel (a lock used as a binary semaphore, the cheapest blocking
primitive in CPython), so handing over an item wakes exactly that worker.
"""

from __future__ import annotations

import bisect
import threading
import time
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class _WorkerChan(Generic[T]):
    __slots__ = ("_signal", "item", "last_use")

    def __init__(self) -> None:
        self._signal = threading.Lock()
        self._signal.acquire()
        self.item: T | None = None
        self.last_use = 0.0

    def put(self, item: T | None) -> None:
        self.item = item
        self._signal.release()

    def get(self) -> T | None:
        self._signal.acquire()
        item, self.item = self.item, None
        return item


class WorkerPool(Generic[T]):
    def __init__(
        self, work: Callable[[T], None], max_workers: int, max_idle: float = 10.0, name: str = "worker"
    ) -> None:
        self._work = work
        self.max_workers = max_workers
        self.max_idle = max_idle
        self._name = name
        self._lock = threading.Lock()
        self._ready: list[_WorkerChan[T]] = []
        self._count = 0
        self._stopped = False
        self.started = 0
        self.rejected = 0
        self.reaped = 0

    def serve(self, item: T) -> bool:
        ch = self._get_ch()
        if ch is None:
            return False
        ch.put(item)
        return True

    def _get_ch(self) -> _WorkerChan[T] | None:
        with self._lock:
            if self._ready:
                return self._ready.pop()
            if self._stopped or self._count >= self.max_workers:
                self.rejected += 1
                return None
            self._count += 1
            self.started += 1
            number = self.started
        ch: _WorkerChan[T] = _WorkerChan()
        thread = threading.Thread(target=self._worker, args=(ch,), name=f"{self._name}-{number}")
        thread.daemon = True
        thread.start()
        return ch

    def _worker(self, ch: _WorkerChan[T]) -> None:
        try:
            while True:
                item = ch.get()
                if item is None:
                    break
                self._work(item)
                if not self._release(ch):
                    break
        finally:
            with self._lock:
                self._count -= 1

    def _release(self, ch: _WorkerChan[T]) -> bool:
        ch.last_use = time.monotonic()
        with self._lock:
            if self._stopped:
                return False
            self._ready.append(ch)
            return True

    def spare(self) -> bool:
        """True when ``serve`` would find a worker now (an idle one, or room to start one)."""
        with self._lock:
            return bool(self._ready) or (not self._stopped and self._count < self.max_workers)

    def clean(self) -> int:
        """Stop workers idle for longer than ``max_idle``; returns how many were asked to stop."""
        limit = time.monotonic() - self.max_idle
        with self._lock:
            stale_count = bisect.bisect_left([ch.last_use for ch in self._ready], limit)
            stale = self._ready[:stale_count]
            del self._ready[:stale_count]
            self.reaped += stale_count
        for ch in stale:
            ch.put(None)
        return stale_count

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            idle = list(self._ready)
            self._ready.clear()
        for ch in idle:
            ch.put(None)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {
                "max_workers": self.max_workers,
                "workers": self._count,
                "idle": len(self._ready),
                "started": self.started,
                "rejected": self.rejected,
                "reaped": self.reaped,
            }
