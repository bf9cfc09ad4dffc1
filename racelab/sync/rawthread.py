"""``_thread`` and ``_queue`` under control: the factories that libraries call directly.

Why this shape
--------------
Patching ``threading.Lock`` is not enough: libraries reach below it, to
``_thread.allocate_lock()``, ``_thread.RLock()``, ``threading._allocate_lock()``,
``_thread.start_new_thread`` or ``_queue.SimpleQueue``, and a real lock in a controlled thread
is a hang in waiting (its holder is parked at a scheduling point; the next thread to want it
blocks for real, holding the baton). So, while exploring:

* each factory is replaced by one that makes the controlled object (``racelab.sync.locks``,
  ``queues``), on ``_thread``, ``_queue`` and ``queue`` themselves;
* ``rebind`` then walks ``sys.modules`` once per exploration and points every module global
  that *is* one of the real factories (``from _thread import RLock`` in ``functools`` on 3.11,
  whose ``cached_property`` makes an RLock per instance; ``from threading import Lock`` in a
  library) at its controlled twin. The patcher records each binding, so all of them are put
  back afterwards. The walk only compares identities (``isdisjoint`` over ``map(id, ...)``
  in C for the common module without a hit): about 2 ms for 450 modules (18,000 names);
* the import system's own module locks stay real (``importlib._bootstrap`` calls
  ``_thread.allocate_lock`` and ``_thread.RLock`` through the module): importing must never
  become a scheduling point, so the factories look at their caller's file. racelab's own
  real locks stay real the same way (``racelab.atomic`` binds ``_thread.allocate_lock``
  when it is imported, maybe while exploring);
* ``_thread.LockType`` is a type that code checks with ``isinstance``. Its stand-in
  ``LockType`` accepts real and controlled plain locks (not RLocks, as in CPython), and
  calling it makes a lock, as calling ``_thread.lock`` does on 3.13;
* ``_thread.start_new_thread`` (and ``start_joinable_thread``, 3.13) in a controlled thread
  starts a controlled task: a daemon (the interpreter does not wait for such threads) named
  ``Dummy-N`` as CPython names it. Its exceptions are findings like any thread's; a
  ``SystemExit`` ends it quietly, as ``_thread.exit()`` does.

Instances made before exploring (``logging._lock``) stay real: nothing can replace an object
others hold. When one blocks a controlled thread the watchdog of ``racelab._core.control``
gives that schedule up and says where (the verdict is then ``inconclusive``).
"""

from __future__ import annotations

import _queue
import _thread
import sys
import threading as _threading
from types import ModuleType
from typing import Any, Callable, Iterable

from racelab._core import control
from racelab._core.control import DONE, Task
from racelab._core.patching import Patcher
from racelab.errors import ScenarioError
from racelab.sync import futures, locks, queues, threads
from racelab.sync.locks import _ctx

_real_allocate_lock = _thread.allocate_lock
_real_rlock = _thread.RLock
_real_start_new_thread = _thread.start_new_thread
_real_start_joinable_thread = getattr(_thread, "start_joinable_thread", None)
_RealLockType = _thread.LockType
#: Callers that keep real locks: the import system, and racelab itself (``racelab.atomic``
#: makes a real lock per atomic, guarding no scheduling point, even when imported while exploring).
_KEEP_REAL = ("<frozen importlib",) + control._ENGINE_DIRS
#: Modules ``rebind`` leaves alone: racelab's own (it keeps real primitives on purpose) and
#: ``_thread`` itself, whose ``get_ident`` the import system's module locks must see real.
_SKIP = ("racelab", "racelab_pytest", "_thread", "_queue")


def allocate_lock() -> Any:
    """``_thread.allocate_lock()`` while exploring."""
    if sys._getframe(1).f_code.co_filename.startswith(_KEEP_REAL):
        return _real_allocate_lock()
    return locks.Lock()


def RLock(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - mirrors _thread.RLock
    """``_thread.RLock()`` while exploring."""
    if sys._getframe(1).f_code.co_filename.startswith(_KEEP_REAL):
        return _real_rlock()
    return locks.RLock()


def _is_plain_lock(cls: type) -> bool:
    return issubclass(cls, _RealLockType) or (issubclass(cls, locks.Lock) and not issubclass(cls, locks.RLock))


class _LockTypeMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return _is_plain_lock(type(obj))

    def __subclasscheck__(cls, sub: type) -> bool:
        return _is_plain_lock(sub)

    def __call__(cls) -> Any:  # type: ignore[override]
        return locks.Lock()


class LockType(metaclass=_LockTypeMeta):
    """``_thread.LockType`` while exploring: real and controlled plain locks are its instances."""


def start_new_thread(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> int:
    """``_thread.start_new_thread`` while exploring: a controlled daemon task."""
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_start_new_thread(function, args, *(() if kwargs is None else (kwargs,)))
    if not callable(function):
        raise TypeError("first arg must be callable")
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dictionary")
    return _launch(ex, task, function, args, kwargs or {}, True).ident


def _launch(ex: control.Execution, task: Task, function: Callable[..., Any], args: tuple[Any, ...],
            kwargs: dict[str, Any], daemon: bool) -> Task:
    thread = _threading.Thread(name=threads._newname("Dummy-%d"), daemon=daemon)  # its current_thread()

    def run() -> None:
        try:
            function(*args, **kwargs)
        except SystemExit:
            pass

    return threads.launch(ex, task, thread, run, daemon)


def start_joinable_thread(function: Callable[[], Any], handle: Any = None, daemon: bool = True) -> Any:
    """``_thread.start_joinable_thread`` (3.13) while exploring: a controlled task and its handle."""
    ex, task = _ctx()
    if task is None or ex is None:
        assert _real_start_joinable_thread is not None
        return _real_start_joinable_thread(function, handle=handle, daemon=daemon)
    if handle is not None:
        site = control.stuck_site(sys._getframe(1))
        ex.fail_with_error(ScenarioError(
            f"{site}: _thread.start_joinable_thread(handle=...) cannot run under racelab "
            "(start the thread with threading.Thread instead)"))
    if not callable(function):
        raise TypeError("thread function must be callable")
    return _Handle(_launch(ex, task, function, (), {}, bool(daemon)))


class _Handle:
    """What ``start_joinable_thread`` returns for a controlled task."""

    def __init__(self, task: Task) -> None:
        self._task = task

    @property
    def ident(self) -> int:
        return self._task.ident

    def is_done(self) -> bool:
        return self._task.state is DONE

    def join(self, timeout: float | None = None) -> None:
        ex, me = _ctx()
        target = self._task
        if me is None or ex is None or target not in ex.tasks:
            return  # a task of an execution that is over
        if target is me:
            raise RuntimeError("Cannot join current thread")
        wait = None if timeout is None or timeout < 0 else timeout
        got = ex.wait_point(me, ("end", target.tid), False, target.is_done, f"thread {target.name} to finish", wait,
                            bool)
        if ex.verbose:
            ex.record_point(me, f"join {target.name}", None, None)
        if got:
            ex.hb_acquire(me, ("end", target.tid))


def replacements() -> list[tuple[Any, Any]]:
    """(real object, controlled stand-in): what ``rebind`` looks for in modules loaded earlier."""
    pairs: list[tuple[Any, Any]] = [
        (_thread.allocate_lock, allocate_lock), (_thread.RLock, RLock), (_thread.LockType, LockType),
        (_thread.start_new_thread, start_new_thread), (_queue.SimpleQueue, queues.SimpleQueue),
        (threads._orig_current_thread, threads.current_thread), (threads._orig_get_ident, threads.get_ident),
        (threads._orig_get_native_id, threads.get_native_id), (threads._orig_enumerate, threads.enumerate),
        (threads._orig_active_count, threads.active_count), (_thread._local, threads.local),
        (queues._RealQueue, queues.Queue), (queues._RealLifoQueue, queues.LifoQueue),
        (queues._RealPriorityQueue, queues.PriorityQueue), (futures._RealExecutor, futures.ThreadPoolExecutor),
        (_REAL_THREADING["RLock"], locks.RLock),
    ]
    for name in ("allocate", "start_new"):
        if hasattr(_thread, name):
            pairs.append((getattr(_thread, name), allocate_lock if name == "allocate" else start_new_thread))
    if _real_start_joinable_thread is not None:
        pairs.append((_real_start_joinable_thread, start_joinable_thread))
    for name in ("Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier"):
        pairs.append((_REAL_THREADING[name], getattr(locks, name)))
    return pairs


_REAL_THREADING = {name: getattr(_threading, name) for name in
                   ("RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier")}


def install(p: Patcher) -> None:
    """Patch the factories on ``_thread`` and ``_queue`` until ``p.undo()``."""
    for name, new in (("allocate_lock", allocate_lock), ("allocate", allocate_lock), ("RLock", RLock),
                      ("start_new_thread", start_new_thread), ("start_new", start_new_thread),
                      ("start_joinable_thread", start_joinable_thread), ("LockType", LockType), ("lock", LockType)):
        if hasattr(_thread, name):
            p.set(_thread, name, new)
    p.set(_queue, "SimpleQueue", queues.SimpleQueue)


def rebind(p: Patcher, pairs: Iterable[tuple[Any, Any]]) -> int:
    """Point every module global that is one of the real objects at its stand-in (until
    ``p.undo()``); racelab's own modules keep theirs. Returns how many names it rebound."""
    wanted = {id(real): (real, new) for real, new in pairs}
    ids = set(wanted)
    count = 0
    for name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or name.partition(".")[0] in _SKIP:
            continue
        namespace = module.__dict__
        try:
            if ids.isdisjoint(map(id, namespace.values())):
                continue
            hits = [(key, wanted[id(value)]) for key, value in list(namespace.items()) if id(value) in wanted]
        except RuntimeError:  # another thread changed the module while we looked
            continue
        for key, (real, new) in hits:
            if namespace.get(key) is real:
                p.set(module, key, new)
                count += 1
    return count


__all__ = ["allocate_lock", "RLock", "LockType", "start_new_thread", "start_joinable_thread", "install", "rebind",
           "replacements"]
