"""Threads under control: ``Thread.start/join/is_alive``, identity functions, ``local``.

``threading.Thread`` itself is not replaced: its methods are patched while exploring, so
subclasses defined anywhere, before or after patching, are controlled, and
``isinstance(t, threading.Thread)`` keeps its meaning. A started thread becomes a task of
the current execution and runs on a reused worker OS thread.
"""

from __future__ import annotations

import _thread
import threading as _threading
from typing import Any, Callable

from racelab._core import control
from racelab._core.control import DONE, FAIR_QUANTUM, NO_OP, Execution, Task
from racelab.sync.locks import _ctx

Thread = _threading.Thread
_orig_start = Thread.start
_orig_join = Thread.join
_orig_is_alive = Thread.is_alive
_orig_newname = _threading._newname  # type: ignore[attr-defined]
_orig_current_thread = _threading.current_thread
_orig_get_ident = _threading.get_ident
_orig_get_native_id = _threading.get_native_id
_orig_enumerate = _threading.enumerate
_orig_active_count = _threading.active_count


def start(self: Any) -> None:
    ex, task = _ctx()
    if task is None or ex is None:
        return _orig_start(self)
    if not getattr(self, "_initialized", False):
        raise RuntimeError("thread.__init__() not called")
    if getattr(self, "_rl_ex", None) is ex:
        raise RuntimeError("threads can only be started once")

    def body() -> None:
        ex.task_started(child)
        from racelab.instrument.runtime import foreign_entry

        run = type(self).run
        foreign_entry(getattr(self, "_target", None) if run is _threading.Thread.run else run)
        try:
            self.run()
        finally:
            self._is_stopped = True

    child = ex.spawn(task, self, self.name, bool(self.daemon), body)
    self._rl_ex = ex
    self._rl_task = child
    self._ident = child.ident
    if hasattr(self, "_native_id"):
        self._native_id = child.ident
    self._started._flag = True
    ex.schedule(task, NO_OP, False)
    if ex.verbose:
        ex.record_point(task, f"start {self.name}", None, None)


def launch(ex: Execution, task: Task, thread: Any, run: Callable[[], None], daemon: bool) -> Task:
    """Start ``run`` as a new task of ``ex`` whose ``current_thread()`` is ``thread``; a scheduling point.

    (``start`` above does the same for a ``threading.Thread``, inline: it is on every schedule's path.)"""

    def body() -> None:
        ex.task_started(child)
        run()

    child = ex.spawn(task, thread, thread.name, daemon, body)
    thread._rl_ex = ex
    thread._rl_task = child
    thread._ident = child.ident
    if hasattr(thread, "_native_id"):
        thread._native_id = child.ident
    thread._started._flag = True
    ex.schedule(task, NO_OP, False)
    if ex.verbose:
        ex.record_point(task, f"start {thread.name}", None, None)
    return child


def join(self: Any, timeout: float | None = None) -> None:
    ex, task = _ctx()
    target = getattr(self, "_rl_task", None)
    if task is None or ex is None:
        if target is not None:
            return None  # a thread of a finished execution
        return _orig_join(self, timeout)
    if getattr(self, "_rl_ex", None) is not ex:
        if not self._started.is_set():
            raise RuntimeError("cannot join thread before it is started")
        return None
    if target is task:
        raise RuntimeError("cannot join current thread")
    got = ex.wait_point(task, ("end", target.tid), False, target.is_done, f"thread {self.name} to finish", timeout,
                        bool)
    if ex.verbose:
        ex.record_point(task, f"join {self.name}", None, None)
    if got:
        ex.hb_acquire(task, ("end", target.tid))
    return None


def is_alive(self: Any) -> bool:
    ex, task = _ctx()
    target = getattr(self, "_rl_task", None)
    if target is None:
        if task is None:
            return _orig_is_alive(self)
        return False if self is not _threading.main_thread() else True
    if ex is None or getattr(self, "_rl_ex", None) is not ex:
        return False
    return target.state is not DONE


def _newname(template: str = "Thread-%d") -> str:
    ex, task = _ctx()
    if task is None or ex is None:
        return _orig_newname(template)
    ex.thread_counter += 1
    return template % ex.thread_counter


def current_thread() -> Any:
    ex, task = _ctx()
    if task is None:
        return _orig_current_thread()
    return task.thread


def get_ident() -> int:
    ex, task = _ctx()
    if task is None:
        return _orig_get_ident()
    return task.ident


def get_native_id() -> int:
    ex, task = _ctx()
    if task is None:
        return _orig_get_native_id()
    return task.ident


def enumerate() -> list[Any]:  # noqa: A001 - mirrors threading.enumerate
    ex, task = _ctx()
    if task is None or ex is None:
        return _orig_enumerate()
    return [t.thread for t in ex.tasks if t.state is not DONE]


def active_count() -> int:
    ex, task = _ctx()
    if task is None or ex is None:
        return _orig_active_count()
    return sum(1 for t in ex.tasks if t.state is not DONE)


_local_lock = _thread.allocate_lock()


def _local_key() -> tuple[Any, int]:
    ex, task = _ctx()
    if task is None or ex is None:
        return ("os", _orig_get_ident())
    return (ex.serial, task.tid)


class local:  # noqa: N801 - mirrors threading.local
    """``threading.local`` keyed by controlled thread (and by OS thread elsewhere)."""

    __slots__ = ("_rl_args", "_rl_dicts", "_rl_ex", "__dict__", "__weakref__")

    def __new__(cls, *args: Any, **kwargs: Any) -> "local":
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        object.__setattr__(self, "_rl_args", (args, kwargs))
        first: dict[str, Any] = {}
        object.__setattr__(self, "_rl_dicts", {_local_key(): first})
        object.__setattr__(self, "__dict__", first)
        return self

    def __getattribute__(self, name: str) -> Any:
        if name in ("_rl_args", "_rl_dicts", "__class__"):
            return object.__getattribute__(self, name)
        with _Swap(self):
            return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError("'local' object attribute '__dict__' is read-only")
        with _Swap(self):
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError("'local' object attribute '__dict__' is read-only")
        with _Swap(self):
            object.__delattr__(self, name)


class _Swap:
    """Puts the calling thread's dict in place (under a real lock outside exploration)."""

    __slots__ = ("obj", "locked")

    def __init__(self, obj: local) -> None:
        self.obj = obj
        self.locked = False

    def __enter__(self) -> None:
        ex, task = _ctx()
        if task is None:
            _local_lock.acquire()
            self.locked = True
        key = _local_key()
        dicts = object.__getattribute__(self.obj, "_rl_dicts")
        d = dicts.get(key)
        if d is None:
            if ex is not None and len(dicts) > 64:
                for stale in [k for k in dicts if k[0] != key[0]]:
                    del dicts[stale]
            d = dicts[key] = {}
            object.__setattr__(self.obj, "__dict__", d)
            init = type(self.obj).__init__
            if init is not object.__init__:
                args, kwargs = object.__getattribute__(self.obj, "_rl_args")
                if self.locked:
                    _local_lock.release()
                    self.locked = False
                init(self.obj, *args, **kwargs)
                if task is None:
                    _local_lock.acquire()
                    self.locked = True
        object.__setattr__(self.obj, "__dict__", d)

    def __exit__(self, *exc: object) -> None:
        if self.locked:
            _local_lock.release()


def yield_now() -> None:
    """``time.sleep(0)`` under control: let another thread run if one can."""
    ex, task = _ctx()
    if task is None or ex is None:
        return
    task.run_len = FAIR_QUANTUM
    ex.schedule(task, NO_OP, False)
    if ex.verbose:
        ex.record_point(task, "sleep(0)", None, None)


__all__ = ["start", "join", "is_alive", "current_thread", "get_ident", "enumerate", "active_count", "local"]
