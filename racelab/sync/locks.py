"""Controlled stand-ins for ``threading``'s locks, conditions, semaphores, events and barriers.

Each class works in two modes, decided at every call:

* on a controlled task (while exploring) it is a model: every operation is one scheduling
  point, blocking parks the task with ``Execution.block`` and a ``ready()`` predicate, and
  happens-before edges go to the observers;
* anywhere else it forwards to a real primitive, so an object created while exploring
  (a module-level lock, say) keeps working afterwards.

Model state belongs to one execution: an object used again by a later execution (it lives
in a module) starts from its initial state there.
"""

from __future__ import annotations

import _thread
import functools
import itertools
import sys
import threading as _threading
from typing import Any, Callable

from racelab._core import control
from racelab._core.control import Execution, Task

_RealCondition = _threading.Condition
_RealSemaphore = _threading.Semaphore
_RealBoundedSemaphore = _threading.BoundedSemaphore
_RealEvent = _threading.Event
_RealBarrier = _threading.Barrier
_RealRLock = getattr(_threading, "_CRLock", None) or _threading._PyRLock  # type: ignore[attr-defined]
#: Bound here: ``_thread.allocate_lock`` itself is controlled while exploring (racelab.sync.rawthread).
_real_allocate_lock = _thread.allocate_lock
BrokenBarrierError = _threading.BrokenBarrierError


def _ctx() -> tuple[Execution | None, Task | None]:
    ex = control._active
    if ex is None:
        return None, None
    task = getattr(control._tls, "task", None)
    if task is not None and task.lost:
        return ex, control.current_task()  # given up by the watchdog: an ordinary thread now
    return ex, task


_ENGINE_DIRS = control._ENGINE_DIRS


def _creation_site() -> tuple[str, int]:
    """Where the primitive was made: the first frame outside racelab (kept raw; formatted on demand)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_ENGINE_DIRS):
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0)
    return (frame.f_code.co_filename, frame.f_lineno)


def _site_text(where: tuple[str, int]) -> str:
    return f"{control._relpath(where[0])}:{where[1]}"


def _timeout(blocking: bool, timeout: float | None) -> float | None:
    if not blocking:
        if timeout is not None and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if timeout is None or timeout == -1:
        return None
    if timeout < 0:
        raise ValueError("timeout value must be a non-negative number")
    return timeout


def _point(ex: Execution, task: Task, what: str, obj: Any, write: bool = True) -> None:
    if ex.watcher is not None:
        ex.watch(obj)
    ex.schedule(task, id(obj), write)
    if ex.verbose:
        ex.record_point(task, what, None, None)
    if ex.observers:
        ex.keepalive.append(obj)


def _wait_point(ex: Execution, task: Task, what: str, obj: Any, ready: Callable[[], bool], waiting: str,
                timeout: float | None, write: bool = True, opens: Callable[[Any], bool] = bool) -> bool:
    """A blocking operation on ``obj``: the task cannot run it until ``ready()`` (False: timed out)."""
    if ex.watcher is not None:
        ex.watch(obj)
    got = ex.wait_point(task, id(obj), write, ready, waiting, timeout, opens)
    if ex.verbose:
        ex.record_point(task, what if got else f"{what}: timed out", None, None)
    if ex.observers:
        ex.keepalive.append(obj)
    return got


def _guarded(ex: Execution, obj: Any, state: Callable[[], Any]) -> None:
    """Tell DPOR how to read ``obj``'s state before each access (see ``Execution.guards``)."""
    if ex.watcher is not None:
        ex.guards[id(obj)] = state
        ex.keepalive.append(obj)


class _Outside:
    """The holder of a lock taken outside any execution (at import time, say)."""

    name = "a thread outside the scenario"
    tid = -1


OUTSIDE: Any = _Outside()
_creation_order = itertools.count()


class _Sited:
    """Gives ``_site``, the creation site as ``file:line``."""

    __slots__ = ()
    _where: tuple[str, int]

    @property
    def _site(self) -> str:
        return _site_text(self._where)


class Lock(_Sited):
    """``threading.Lock`` under control."""

    __slots__ = ("_real", "_ex", "_owner", "_where", "__weakref__")

    def __init__(self) -> None:
        self._real = _real_allocate_lock()
        self._ex: Execution | None = None
        self._owner: Task | None = None
        self._where = _creation_site()

    def _sync(self, ex: Execution) -> None:
        # Each execution starts from the state the lock had outside exploration (import time).
        if self._ex is not ex:
            self._ex = ex
            self._owner = OUTSIDE if self._real.locked() else None
            _guarded(ex, self, self._is_free)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.acquire(blocking, timeout)
        wait = _timeout(blocking, timeout)
        self._sync(ex)
        return self._acquire(ex, task, wait)

    def _acquire(self, ex: Execution, task: Task, wait: float | None) -> bool:
        if wait == 0:  # a try: always runs, and races with the holder's release
            _point(ex, task, f"try to acquire {self._describe()}", self)
            if self._owner is not None:
                return False
        # (taken again by its holder, a plain Lock waits as any other thread would: until another
        # thread releases it, as a binary semaphore does; a deadlock if none can, as in CPython)
        elif not _wait_point(ex, task, f"acquire {self._describe()}", self, self._is_free, self._waiting, wait):
            return False
        self._take(ex, task)
        return True

    def _waiting(self) -> str:
        owner = self._owner
        return f"{self._describe()} (held by {owner.name})" if owner is not None else self._describe()

    def _take(self, ex: Execution, task: Task) -> None:
        """``task`` holds the lock now (it was free)."""
        self._owner = task
        if ex.observers:
            ex.hb_acquire(task, id(self))
            frame = control.user_frame(sys._getframe(1))
            for obs in ex.observers:
                obs.lock_acquired(task.tid, id(self), self._site, frame)

    def _take_back(self, ex: Execution, task: Task) -> None:
        """A Condition's wait takes its lock back, at a guarded acquire step of its own even when
        the lock is free: taken silently, the lock would carry no access for DPOR, the release the
        waiter waited for would seem to race with its later steps, and the waiter's steps would
        differ in number between two executions of one trace."""
        self._sync(ex)
        _wait_point(ex, task, f"acquire {self._describe()}", self, self._is_free, self._waiting, None)
        self._take(ex, task)

    def _is_free(self) -> bool:
        return self._owner is None

    def release(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.release()
            return
        self._sync(ex)
        if self._owner is None:
            raise RuntimeError("release unlocked lock")
        # a scheduling point: a try-acquire or ``locked()`` of another thread may come before it
        _point(ex, task, f"release {self._describe()}", self)
        self._give(ex, task)

    def _give(self, ex: Execution, task: Task) -> None:
        if ex.observers:
            ex.hb_release(task, id(self))
            for obs in ex.observers:
                obs.lock_released(task.tid, id(self))
        ex.note_sync(task, id(self))
        self._owner = None

    def locked(self) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.locked()
        self._sync(ex)
        _point(ex, task, f"locked {self._describe()}", self, False)
        return self._owner is not None

    def _at_fork_reinit(self) -> None:
        self._real = _real_allocate_lock()
        self._owner = None

    # Condition support
    def _ctl_release_all(self, ex: Execution, task: Task) -> int:
        self._sync(ex)
        self._give(ex, task)
        return 1

    def _ctl_restore(self, ex: Execution, task: Task, count: int) -> None:
        self._take_back(ex, task)

    def _ctl_owned(self, ex: Execution, task: Task) -> bool:
        self._sync(ex)
        return self._owner is not None

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _describe(self) -> str:
        return f"Lock({self._site})"

    def __repr__(self) -> str:
        ex, task = _ctx()
        if task is None or ex is None:
            held = self._real.locked()
        else:
            self._sync(ex)
            held = self._owner is not None
        return f"<racelab {'locked' if held else 'unlocked'} Lock from {self._site}>"


class RLock(Lock):
    """``threading.RLock`` under control."""

    __slots__ = ("_count",)

    def __init__(self) -> None:
        self._real = _RealRLock()
        self._ex = None
        self._owner = None
        self._count = 0
        self._where = _creation_site()

    def _sync(self, ex: Execution) -> None:
        if self._ex is not ex:
            self._ex = ex
            self._owner = None
            self._count = 0
            _guarded(ex, self, self._is_free)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.acquire(blocking, timeout)
        wait = _timeout(blocking, timeout)
        self._sync(ex)
        if self._owner is task:
            self._count += 1
            return True
        if not self._acquire(ex, task, wait):
            return False
        self._count = 1
        return True

    def release(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.release()
            return
        self._sync(ex)
        if self._owner is not task:
            raise RuntimeError("cannot release un-acquired lock")
        if self._count == 1:
            _point(ex, task, f"release {self._describe()}", self)
        self._count -= 1
        if self._count == 0:
            self._give(ex, task)

    def locked(self) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return bool(getattr(self._real, "_is_owned", lambda: False)())
        self._sync(ex)
        _point(ex, task, f"locked {self._describe()}", self, False)
        return self._owner is not None

    def _ctl_release_all(self, ex: Execution, task: Task) -> int:
        self._sync(ex)
        count = self._count
        self._count = 0
        self._give(ex, task)
        return count

    def _ctl_restore(self, ex: Execution, task: Task, count: int) -> None:
        self._take_back(ex, task)
        self._count = count

    def _ctl_owned(self, ex: Execution, task: Task) -> bool:
        self._sync(ex)
        return self._owner is task

    def _recursion_count(self) -> int:
        """How many times the calling thread holds this lock (``_thread.RLock._recursion_count``)."""
        ex, task = _ctx()
        if task is None or ex is None:
            return int(self._real._recursion_count())
        self._sync(ex)
        return self._count if self._owner is task else 0

    # real-mode protocol used by a real Condition wrapping this lock
    def _is_owned(self) -> bool:
        return self._real._is_owned()

    def _release_save(self) -> Any:
        return self._real._release_save()

    def _acquire_restore(self, state: Any) -> None:
        self._real._acquire_restore(state)

    __enter__ = acquire

    def _describe(self) -> str:
        return f"RLock({self._site})"

    def __repr__(self) -> str:
        return f"<racelab RLock from {self._site}>"


class _Waiter:
    __slots__ = ("task", "notified")

    def __init__(self, task: Task) -> None:
        self.task = task
        self.notified = False

    def ready(self) -> bool:
        return self.notified


def _contains(tid: int, notified: frozenset[int]) -> bool:
    return tid in notified


class Condition(_Sited):
    """``threading.Condition`` under control (FIFO wake-ups, as CPython's)."""


    @property
    def _real(self) -> Any:
        real = self.__dict__.get("_rl_real")
        if real is None:
            real = self.__dict__["_rl_real"] = _RealCondition(self._lock)
        return real

    def __init__(self, lock: Any = None) -> None:
        if lock is None:
            lock = RLock()
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release
        self._ex: Execution | None = None
        self._waiters: list[_Waiter] = []
        self._where = _creation_site()
        self._order = next(_creation_order)

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *args: object) -> None:
        self._lock.__exit__(*args)

    def __repr__(self) -> str:
        return f"<racelab Condition({self._lock!r}) from {self._site}>"

    def _sync(self, ex: Execution) -> None:
        if self._ex is not ex:
            self._ex = ex
            self._waiters = []
            self._woken: set[int] = set()
            _guarded(ex, self, self._notified)

    def _notified(self) -> frozenset[int]:
        """The threads notified and not yet woken (DPOR: a wait's wake-up never goes before its notify)."""
        return frozenset(self._woken)

    def _owned(self, ex: Execution, task: Task) -> bool:
        owned = getattr(self._lock, "_ctl_owned", None)
        return True if owned is None else owned(ex, task)

    def wait(self, timeout: float | None = None) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.wait(timeout)
        self._sync(ex)
        if not self._owned(ex, task):
            raise RuntimeError("cannot wait on un-acquired lock")
        _point(ex, task, f"wait on Condition({self._site})", self)
        waiter = _Waiter(task)
        self._waiters.append(waiter)
        count = self._lock._ctl_release_all(ex, task)
        try:
            got = ex.block(task, waiter.ready, f"a notify of Condition({self._site})", timeout, id(self),
                           functools.partial(_contains, task.tid))
        finally:
            self._woken.discard(task.tid)
            if not waiter.notified and waiter in self._waiters:
                self._waiters.remove(waiter)
            if not ex.stopping:
                self._lock._ctl_restore(ex, task, count)
        if got:
            ex.hb_acquire(task, ("notify", id(waiter)))
        return got

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.wait_for(predicate, timeout)
        end = None if timeout is None else ex.clock + timeout
        result = predicate()
        while not result:
            wait = None
            if end is not None:
                wait = end - ex.clock
                if wait <= 0:
                    break
            self.wait(wait)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.notify(n)
            return
        self._sync(ex)
        if not self._owned(ex, task):
            raise RuntimeError("cannot notify on un-acquired lock")
        woken = self._waiters[:n]
        del self._waiters[:n]
        ex.note_sync(task, id(self))
        for waiter in woken:
            ex.hb_release(task, ("notify", id(waiter)))
            waiter.notified = True
            self._woken.add(waiter.task.tid)

    def notify_all(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.notify_all()
            return
        self._sync(ex)
        self.notify(len(self._waiters))

    notifyAll = notify_all


class Semaphore(_Sited):
    """``threading.Semaphore`` under control."""

    _real_class: Any = _RealSemaphore


    @property
    def _real(self) -> Any:
        real = self.__dict__.get("_rl_real")
        if real is None:
            real = self.__dict__["_rl_real"] = self._real_class(self._initial)
        return real

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._initial = value
        self._ex: Execution | None = None
        self._value = value
        self._where = _creation_site()

    def _sync(self, ex: Execution) -> None:
        if self._ex is not ex:
            self._ex = ex
            real = self.__dict__.get("_rl_real")
            self._value = self._initial if real is None else real._value
            _guarded(ex, self, self._value_now)

    def _available(self) -> bool:
        return self._value > 0

    def _value_now(self) -> int:
        return self._value

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.acquire(blocking, timeout)
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        wait = 0.0 if not blocking else timeout
        self._sync(ex)
        what = f"{type(self).__name__}({self._site})"
        if wait == 0:
            _point(ex, task, f"try to acquire {what}", self)
            if not self._available():
                return False
        elif not _wait_point(ex, task, f"acquire {what}", self, self._available, what, wait, True, _positive):
            return False
        self._value -= 1
        ex.hb_acquire(task, id(self))
        return True

    __enter__ = acquire

    def release(self, n: int = 1) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.release(n)
            return
        if n < 1:
            raise ValueError("n must be one or more")
        self._sync(ex)
        self._check_bound(n)
        _point(ex, task, f"release {type(self).__name__}({self._site})", self)
        ex.hb_release(task, id(self))
        ex.note_sync(task, id(self))
        self._value += n

    def _check_bound(self, n: int) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<racelab {type(self).__name__} from {self._site}>"


def _positive(value: int) -> bool:
    return value > 0


class BoundedSemaphore(Semaphore):
    """``threading.BoundedSemaphore`` under control."""

    _real_class = _RealBoundedSemaphore

    def _check_bound(self, n: int) -> None:
        if self._value + n > self._initial:
            raise ValueError("Semaphore released too many times")


class Event(_Sited):
    """``threading.Event`` under control."""


    @property
    def _real(self) -> Any:
        real = self.__dict__.get("_rl_real")
        if real is None:
            real = self.__dict__["_rl_real"] = _RealEvent()
        return real

    def __init__(self) -> None:
        self._ex: Execution | None = None
        self._flag = False
        self._where = _creation_site()

    def _sync(self, ex: Execution) -> None:
        if self._ex is not ex:
            self._ex = ex
            real = self.__dict__.get("_rl_real")
            self._flag = False if real is None else real.is_set()
            _guarded(ex, self, self._is_set)

    def _is_set(self) -> bool:
        return self._flag

    def is_set(self) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.is_set()
        self._sync(ex)
        _point(ex, task, f"is_set Event({self._site})", self, False)
        if self._flag:
            ex.hb_acquire(task, id(self))
        return self._flag

    isSet = is_set

    def set(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.set()
            return
        self._sync(ex)
        _point(ex, task, f"set Event({self._site})", self)
        ex.hb_release(task, id(self))
        self._flag = True

    def clear(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.clear()
            return
        self._sync(ex)
        _point(ex, task, f"clear Event({self._site})", self)
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.wait(timeout)
        self._sync(ex)
        if timeout is not None and timeout <= 0:
            _point(ex, task, f"wait Event({self._site})", self, False)
            got = self._flag
        else:
            got = _wait_point(ex, task, f"wait Event({self._site})", self, self._is_set,
                              f"Event({self._site}) to be set", timeout, False)
        if got:
            ex.hb_acquire(task, id(self))
            return True
        return False

    def __repr__(self) -> str:
        return f"<racelab Event from {self._site}>"


class Barrier(_Sited):
    """``threading.Barrier`` under control, including broken barriers."""


    @property
    def _real(self) -> Any:
        real = self.__dict__.get("_rl_real")
        if real is None:
            real = self.__dict__["_rl_real"] = _RealBarrier(self._parties, self._action, self._timeout)
        return real

    def __init__(self, parties: int, action: Callable[[], Any] | None = None, timeout: float | None = None) -> None:
        if parties < 1:
            raise ValueError("parties must be >= 1")
        self._parties = parties
        self._action = action
        self._timeout = timeout
        self._ex: Execution | None = None
        self._count = 0
        self._generation = 0
        self._broken = False
        self._broken_generations: set[int] = set()
        self._where = _creation_site()

    def _sync(self, ex: Execution) -> None:
        if self._ex is not ex:
            self._ex = ex
            self._count = 0
            self._generation = 0
            self._broken = False
            self._broken_generations = set()

    def wait(self, timeout: float | None = None) -> int:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.wait(timeout)
        self._sync(ex)
        if timeout is None:
            timeout = self._timeout
        _point(ex, task, f"wait Barrier({self._site})", self)
        if self._broken:
            raise BrokenBarrierError
        index = self._count
        self._count += 1
        generation = self._generation
        ex.hb_release(task, (id(self), generation))
        if self._count == self._parties:
            if self._action is not None:
                try:
                    self._action()
                except BaseException:
                    self._break()
                    raise
            self._count = 0
            self._generation += 1
        else:
            def passed() -> bool:
                return self._generation != generation or self._broken

            if not ex.block(task, passed, f"Barrier({self._site}) ({self._count}/{self._parties} arrived)", timeout):
                self._break()
                raise BrokenBarrierError
            if self._generation == generation or generation in self._broken_generations:
                raise BrokenBarrierError
        ex.hb_acquire(task, (id(self), generation))
        return index

    def _break(self) -> None:
        self._broken = True
        self._count = 0

    def reset(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.reset()
            return
        self._sync(ex)
        _point(ex, task, f"reset Barrier({self._site})", self)
        if self._count:
            self._broken_generations.add(self._generation)
        self._generation += 1
        self._count = 0
        self._broken = False

    def abort(self) -> None:
        ex, task = _ctx()
        if task is None or ex is None:
            self._real.abort()
            return
        self._sync(ex)
        _point(ex, task, f"abort Barrier({self._site})", self)
        self._break()

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.n_waiting
        self._sync(ex)
        return self._count

    @property
    def broken(self) -> bool:
        ex, task = _ctx()
        if task is None or ex is None:
            return self._real.broken
        self._sync(ex)
        return self._broken
