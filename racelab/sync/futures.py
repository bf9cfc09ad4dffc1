"""``concurrent.futures.ThreadPoolExecutor`` under control.

CPython's executor takes a module-level real lock around ``submit`` and blocks inside it,
so it cannot run under a scheduler that parks threads at scheduling points. This model
keeps its observable behaviour: up to ``max_workers`` worker threads named
``<prefix>_<n>``, created on demand when no worker is idle, FIFO work queue, real
``concurrent.futures.Future`` objects (whose internal Condition is the controlled one),
``map``, ``shutdown(wait, cancel_futures)`` and the context manager. Outside controlled
threads the real executor is used.
"""

from __future__ import annotations

import collections
import concurrent.futures as _cf
import concurrent.futures.thread as _cft
import itertools
import os
import threading
from typing import Any, Callable

from racelab.sync.locks import _ctx, _point

_RealExecutor = _cft.ThreadPoolExecutor
_counter = itertools.count()


class ThreadPoolExecutor(_cf.Executor):
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        ex, task = _ctx()
        if task is None and cls is ThreadPoolExecutor:
            return _RealExecutor(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, max_workers: int | None = None, thread_name_prefix: str = "",
                 initializer: Callable[..., Any] | None = None, initargs: tuple[Any, ...] = ()) -> None:
        ex, task = _ctx()
        if max_workers is None:
            max_workers = min(32, (os.cpu_count() or 1) + 4)
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._max_workers = max_workers
        if not thread_name_prefix:
            number = ex.thread_counter if ex is not None else next(_counter)
            if ex is not None:
                ex.thread_counter += 1
            thread_name_prefix = f"ThreadPoolExecutor-{number}"
        self._thread_name_prefix = thread_name_prefix
        self._initializer = initializer
        self._initargs = initargs
        self._work: collections.deque[tuple[_cf.Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
        self._work = collections.deque()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._shutdown = False
        self._broken: str | bool = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> _cf.Future[Any]:
        ex, task = _ctx()
        if task is None or ex is None:
            raise RuntimeError("a controlled ThreadPoolExecutor used outside its exploration")
        _point(ex, task, f"submit to {self._thread_name_prefix}", self)
        if self._broken:
            raise _cft.BrokenThreadPool(self._broken)
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: _cf.Future[Any] = _cf.Future()
        ex.hb_release(task, ("submit", id(future)))
        ex.keepalive.append(future)
        self._work.append((future, fn, args, kwargs))
        if self._idle == 0 and len(self._threads) < self._max_workers:
            name = f"{self._thread_name_prefix}_{len(self._threads)}"
            worker = threading.Thread(name=name, target=self._worker, daemon=True)
            self._threads.append(worker)
            worker.start()
        return future

    def _has_work(self) -> bool:
        return bool(self._work) or self._shutdown

    def _worker(self) -> None:
        ex, task = _ctx()
        assert ex is not None and task is not None
        if self._initializer is not None:
            try:
                self._initializer(*self._initargs)
            except BaseException:
                self._broken = "A thread initializer failed, the thread pool is not usable anymore"
                for future, *_ in self._work:
                    future.set_exception(_cft.BrokenThreadPool(self._broken))
                self._work.clear()
                return
        while True:
            self._idle += 1
            ex.block(task, self._has_work, f"work in {self._thread_name_prefix}", None, id(self))
            self._idle -= 1
            if not self._work:
                return  # shut down and nothing left
            future, fn, args, kwargs = self._work.popleft()
            ex.hb_acquire(task, ("submit", id(future)))
            if not future.set_running_or_notify_cancel():
                continue
            from racelab.instrument.runtime import foreign_entry

            foreign_entry(fn)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - the future carries it
                future.set_exception(exc)
            else:
                future.set_result(result)
            del future, fn, args, kwargs

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            return
        _point(ex, task, f"shutdown {self._thread_name_prefix}", self)
        self._shutdown = True
        if cancel_futures:
            while self._work:
                future, *_ = self._work.popleft()
                future.cancel()
        if wait:
            for thread in list(self._threads):
                thread.join()


def _lock_order(future: Any) -> Any:
    return getattr(future._condition, "_order", id(future))


def future_hash(future: Any) -> int:
    """A future's hash while exploring: one for all (an id differs between executions, and
    ``concurrent.futures.wait`` walks a set of futures, taking each one's lock: with equal
    hashes a set keeps the order its futures were added in)."""
    return 0


class AcquireFutures:
    """``concurrent.futures``' helper that locks several futures, in creation order.

    The standard one sorts by ``id()``, which differs from one execution to the next and
    would make ``wait`` and ``as_completed`` nondeterministic under exploration.
    """

    def __init__(self, futures: Any) -> None:
        self.futures = sorted(futures, key=_lock_order)

    def __enter__(self) -> None:
        for future in self.futures:
            future._condition.acquire()

    def __exit__(self, *args: object) -> None:
        for future in self.futures:
            future._condition.release()
