"""A ``sync.Pool``-like object pool: reuse small per-request objects instead of allocating them.

The pool itself is thread-safe (a LIFO free list under a lock, so the most recently released and
cache-warm object is reused first). What it cannot protect is its *use*: an object put back while
its owner still reads it may be handed to another thread at once, which then overwrites it. That
"released too early" bug is the broken buffer variant of the server.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class ObjectPool(Generic[T]):
    def __init__(self, new: Callable[[], T], max_idle: int = 1024) -> None:
        self._new = new
        self._free: list[T] = []
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self.gets = 0
        self.puts = 0
        self.news = 0

    def get(self) -> T:
        with self._lock:
            self.gets += 1
            if self._free:
                return self._free.pop()
            self.news += 1
        return self._new()

    def put(self, obj: T) -> None:
        with self._lock:
            self.puts += 1
            if len(self._free) < self._max_idle:
                self._free.append(obj)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {"gets": self.gets, "puts": self.puts, "new": self.news, "idle": len(self._free)}
