"""``queue.Queue``, ``LifoQueue``, ``PriorityQueue`` and ``SimpleQueue`` under control.

The controlled classes subclass the real ones, reuse their storage hooks (``_init``,
``_qsize``, ``_put``, ``_get``, so user subclasses that override those keep working) and
make each ``put``/``get``/``task_done``/``join`` one scheduling point. A ``put``
happens before the ``get`` that receives its item.
"""

from __future__ import annotations

import collections
import queue as _queue
from typing import Any

from racelab._core.control import Execution, Task
from racelab.sync.locks import _ctx, _guarded, _point, _wait_point

Empty = _queue.Empty
Full = _queue.Full
_RealQueue = _queue.Queue
_RealLifoQueue = _queue.LifoQueue
_RealPriorityQueue = _queue.PriorityQueue
_RealSimpleQueue = _queue.SimpleQueue


def _queue_point(ex: Execution, task: Task, what: str, queue: Any, ready: Any, waiting: str,
                 wait: float | None, opens: Any) -> bool:
    if wait == 0:  # non-blocking: always runs (it may find the queue empty or full)
        _point(ex, task, what, queue)
        return bool(ready())
    return _wait_point(ex, task, what, queue, ready, waiting, wait, True, opens)


def _items(state: tuple[int, int, int]) -> bool:
    return state[0] > 0


def _room(state: tuple[int, int, int]) -> bool:
    return not (0 < state[1] <= state[0])


def _all_done(state: tuple[int, int, int]) -> bool:
    return state[2] == 0


def _wait(blocking: bool, timeout: float | None) -> float | None:
    if not blocking:
        return 0.0
    if timeout is not None and timeout < 0:
        raise ValueError("'timeout' must be a non-negative number")
    return timeout


class _ControlledQueue:
    """Mixin: model semantics on controlled threads, the real implementation elsewhere."""

    maxsize: int
    _rl_ex: Execution | None = None
    _rl_unfinished = 0

    def _rl_sync(self, ex: Execution) -> None:
        # Each execution starts from the contents the queue had outside exploration.
        if self._rl_ex is not ex:
            if self._rl_ex is None:
                self._rl_initial = list(self.queue)  # type: ignore[attr-defined]
                self._rl_initial_unfinished = self.unfinished_tasks  # type: ignore[attr-defined]
            self._rl_ex = ex
            self._init(self.maxsize)  # type: ignore[attr-defined]
            for item in self._rl_initial:
                self._put(item)  # type: ignore[attr-defined]
            self._rl_unfinished = self._rl_initial_unfinished
            _guarded(ex, self, self._rl_state)

    def _rl_state(self) -> tuple[int, int, int]:
        return (self._qsize(), self.maxsize, self._rl_unfinished)  # type: ignore[attr-defined]

    def _rl_not_full(self) -> bool:
        return not (0 < self.maxsize <= self._qsize())  # type: ignore[attr-defined]

    def _rl_not_empty(self) -> bool:
        return self._qsize() > 0  # type: ignore[attr-defined]

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            return super().put(item, block, timeout)  # type: ignore[misc]
        self._rl_sync(ex)
        if not _queue_point(ex, task, f"put {type(self).__name__}", self, self._rl_not_full,
                            f"room in {type(self).__name__}", _wait(block, timeout), _room):
            raise Full
        ex.hb_release(task, id(self))
        self._put(item)  # type: ignore[attr-defined]
        self._rl_unfinished += 1

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        ex, task = _ctx()
        if task is None or ex is None:
            return super().get(block, timeout)  # type: ignore[misc]
        self._rl_sync(ex)
        if not _queue_point(ex, task, f"get {type(self).__name__}", self, self._rl_not_empty,
                            f"an item in {type(self).__name__}", _wait(block, timeout), _items):
            raise Empty
        ex.hb_acquire(task, id(self))
        return self._get()  # type: ignore[attr-defined]

    def put_nowait(self, item: Any) -> None:
        self.put(item, block=False)

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def task_done(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            return super().task_done()  # type: ignore[misc]
        self._rl_sync(ex)
        _point(ex, task, f"task_done {type(self).__name__}", self)
        if self._rl_unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._rl_unfinished -= 1
        if self._rl_unfinished == 0:
            ex.hb_release(task, ("queue-join", id(self)))

    def join(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            return super().join()  # type: ignore[misc]
        self._rl_sync(ex)
        _wait_point(ex, task, f"join {type(self).__name__}", self, lambda: self._rl_unfinished == 0,
                    f"all tasks of {type(self).__name__} done", None, False, _all_done)
        ex.hb_acquire(task, ("queue-join", id(self)))

    def qsize(self) -> int:
        ex, task = _ctx()
        if task is None or ex is None:
            return super().qsize()  # type: ignore[misc]
        self._rl_sync(ex)
        _point(ex, task, f"qsize {type(self).__name__}", self, False)
        return self._qsize()  # type: ignore[attr-defined]

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return 0 < self.maxsize <= self.qsize()


class Queue(_ControlledQueue, _RealQueue):
    pass


class LifoQueue(_ControlledQueue, _RealLifoQueue):
    pass


class PriorityQueue(_ControlledQueue, _RealPriorityQueue):
    pass


class SimpleQueue:
    """``queue.SimpleQueue`` under control (the real one is written in C)."""

    def __init__(self) -> None:
        self._real = _RealSimpleQueue()
        self._ex: Execution | None = None
        self._items: collections.deque[Any] = collections.deque()

    def _sync(self, ex: Execution) -> None:
        if self._ex is not ex:
            if self._ex is None:
                initial = []
                while True:
                    try:
                        initial.append(self._real.get_nowait())
                    except Empty:
                        break
                for item in initial:
                    self._real.put(item)
                self._initial = initial
            self._ex = ex
            self._items = collections.deque(self._initial)
            _guarded(ex, self, self._state)

    def _state(self) -> tuple[int, int, int]:
        return (len(self._items), 0, 0)

    def _ctx(self) -> tuple[Execution | None, Task | None]:
        ex, task = _ctx()
        if task is not None and ex is not None:
            self._sync(ex)
        return ex, task

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        ex, task = self._ctx()
        if task is None or ex is None:
            return self._real.put(item, block, timeout)
        _point(ex, task, "put SimpleQueue", self)
        ex.hb_release(task, id(self))
        self._items.append(item)

    put_nowait = put

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        ex, task = self._ctx()
        if task is None or ex is None:
            return self._real.get(block, timeout)
        if not _queue_point(ex, task, "get SimpleQueue", self, lambda: bool(self._items), "an item in SimpleQueue",
                            _wait(block, timeout), _items):
            raise Empty
        ex.hb_acquire(task, id(self))
        return self._items.popleft()

    def get_nowait(self) -> Any:
        return self.get(False)

    def qsize(self) -> int:
        ex, task = self._ctx()
        if task is None or ex is None:
            return self._real.qsize()
        return len(self._items)

    def empty(self) -> bool:
        return self.qsize() == 0
