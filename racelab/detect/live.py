"""Live mode: the happens-before detector on a real program, real threads, no scheduler.

Why this shape
--------------
Under ``racelab explore`` the controlled runtime knows which task runs and emits every
event. A live program has real OS threads that run whenever the OS likes, so three things
change:

* **Thread ids.** The instrumentation calls the observer with ``tid = -1``; ``LiveObserver``
  maps ``threading.get_ident()`` to a small int. A thread that starts through
  ``Thread.start`` gets a fresh id when it begins (OS idents are reused after a thread dies;
  reusing its id would hide the new thread's races behind the old one's program order).
* **Serialization.** The detector is plain Python over shared dicts, so every event takes
  one real ``_thread`` lock. Events happen in the order the program really ran; the
  detector then predicts the races that order did not make visible (that is what vector
  clocks buy over "two threads were there at once").
* **Happens-before edges** come from thin wrappers patched into ``threading``: ``Lock`` and
  ``RLock`` forward to a real lock and report ``acquire`` after taking it and ``release``
  before giving it back; ``Thread.start``/``join`` report the parent → child and child →
  joiner edges; ``queue.SimpleQueue`` reports put → get. ``Condition``, ``Semaphore``,
  ``BoundedSemaphore``, ``Event``, ``Barrier``, ``queue.Queue`` and ``Future`` are built on
  ``threading.Lock``/``RLock``/``Condition`` by the standard library itself, so creating
  them after the patch gives them edges through their internal lock — a little more order
  than the precise edges of ``explore`` (a queue ``get`` is ordered after every earlier
  ``put``, not just the one whose item it receives), which can hide a race but never
  invents one.

Only locks made by the program take part in lock-order validation: the internal locks of
``Event``, ``Queue``, ``Future``... are never held while user code runs, so they cannot
close a cycle.

Shadow memory is keyed by ``id()``, and a live program frees objects while it runs: a new
object could inherit the address, and the history, of a dead one, and two accesses to two
short-lived objects would look like a race on one. When the instrumentation passes the
accessed object along (``access(..., obj)``), the observer keeps it alive until it is the
only one referring to it, then forgets the object's shadow memory in the same step
(``_sweep``, amortized over the growth of the kept set). The price: such an object is freed
at the next sweep rather than at once.
"""

from __future__ import annotations

import _queue
import _thread
import sys
import threading
from types import CodeType, FrameType
from typing import Any, Hashable

from racelab._core import control
from racelab._core.events import Op
from racelab._core.patching import Patcher
from racelab.detect.detector import Detector

_get_ident = _thread.get_ident
_RealLock = _thread.allocate_lock
_RealRLock: Any = getattr(threading, "_CRLock", None) or threading._PyRLock  # type: ignore[attr-defined]
_REAL_CONDITION_INIT: CodeType = threading.Condition.__init__.__code__

_engine_code: dict[CodeType, bool] = {}

SWEEP_MIN = 4096
"""Objects kept alive for their shadow memory before the first sweep (see ``LiveObserver``)."""


def _is_engine(code: CodeType) -> bool:
    known = _engine_code.get(code)
    if known is None:
        known = _engine_code[code] = control.is_engine_file(code.co_filename)
    return known


def _user_frame(frame: FrameType | None) -> FrameType | None:
    while frame is not None and _is_engine(frame.f_code):
        frame = frame.f_back
    return frame


class LiveObserver:
    """An ``Observer`` for a real program: maps OS threads to tids and serializes events."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self.names: dict[int, str] = {}
        self._tids: dict[int, int] = {}
        self._alive: dict[int, object] = {}
        self._sweep_at = SWEEP_MIN
        self._mutex = _RealLock()
        # Bound methods, looked up once: every event goes through here. (Explicit
        # acquire/release: ``with`` on a lock costs twice as much.)
        self._lock = self._mutex.acquire
        self._unlock = self._mutex.release
        self._race = detector.race
        self._order = detector.lock_order
        self._access = detector.race.access
        self._lock_acquire = detector.race.lock_acquire
        self._lock_release = detector.race.lock_release
        self._lock_acquired = detector.lock_order.lock_acquired
        self._lock_released = detector.lock_order.lock_released
        detector.begin(self.names)
        self.register(threading.current_thread().name)

    def register(self, name: str) -> int:
        """Give the calling OS thread a fresh tid (called as a thread starts)."""
        self._lock()
        try:
            tid = len(self.names)
            self.names[tid] = name
            self._tids[_get_ident()] = tid
        finally:
            self._unlock()
        return tid

    def tid(self) -> int:
        tid = self._tids.get(_get_ident())
        if tid is None:  # a thread not started through threading.Thread.start
            tid = self.register(threading.current_thread().name)
        return tid

    def finish(self) -> None:
        """The program is over: close the single live "execution"."""
        self._lock()
        try:
            self.detector.end(None)
        finally:
            self._unlock()

    # -- the Observer protocol; ``tid`` is ignored (-1 from the instrumentation) -------------

    def begin(self, names: dict[int, str]) -> None:
        """The live run is one execution, begun in ``__init__``."""

    def end(self, schedule: str | None) -> None:
        """See ``finish``."""

    def access(
        self, tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None, obj: object = None
    ) -> None:
        """A data access; ``obj``, when given, is the object whose ``id()`` is in ``loc``.

        The observer then keeps ``obj`` alive until nothing else refers to it and forgets
        its shadow memory at that moment, so that no later object can inherit its address
        and its history (see ``_sweep``).
        """
        tid = self._tids.get(_get_ident())
        if tid is None:
            tid = self.tid()
        self._lock()
        try:
            if obj is not None and id(obj) not in self._alive:
                self._alive[id(obj)] = obj
                if len(self._alive) >= self._sweep_at:
                    self._sweep()
            self._access(tid, op, loc, name, frame)
        finally:
            self._unlock()

    def _sweep(self) -> None:
        """Drop the objects only this observer still refers to, and their shadow memory.

        An object's refcount seen here is 2 when only ``_alive`` holds it (the dict and
        ``getrefcount``'s argument; no loop variable or items tuple may hold it). The next
        sweep comes when ``_alive`` has doubled, so the cost is amortized constant per object.
        """
        alive = self._alive
        dead = {key for key in list(alive) if sys.getrefcount(alive[key]) <= 2}
        if dead:
            for key in dead:
                del self._alive[key]
            self._race.forget(dead)
        self._sweep_at = max(SWEEP_MIN, 2 * len(self._alive))

    def atomic(self, tid: int, obj: Hashable) -> None:
        tid = self._tids.get(_get_ident())
        if tid is None:
            tid = self.tid()
        self._lock()
        try:
            self._race.atomic(tid, obj)
        finally:
            self._unlock()

    def release(self, tid: int, sync: Hashable) -> None:
        tid = self._tids.get(_get_ident())
        if tid is None:
            tid = self.tid()
        self._lock()
        try:
            self._race.release(tid, sync)
        finally:
            self._unlock()

    def acquire(self, tid: int, sync: Hashable) -> None:
        tid = self._tids.get(_get_ident())
        if tid is None:
            tid = self.tid()
        self._lock()
        try:
            self._race.acquire(tid, sync)
        finally:
            self._unlock()

    def lock_acquired(self, tid: int, lock: Hashable, lock_class: str, frame: FrameType | None) -> None:
        tid = self.tid()
        self._lock()
        try:
            self._race.acquire(tid, lock)
            self._order.lock_acquired(tid, lock, lock_class, frame)
        finally:
            self._unlock()

    def lock_released(self, tid: int, lock: Hashable) -> None:
        tid = self.tid()
        self._lock()
        try:
            self._order.lock_released(tid, lock)
            self._race.release(tid, lock)
        finally:
            self._unlock()

    # -- the wrappers' fast paths --------------------------------------------------------

    def taken(self, key: int, lock_class: str | None, frame: FrameType | None) -> None:
        """A wrapped lock was acquired: an HB acquire, and lock order when tracked."""
        tid = self._tids.get(_get_ident())
        if tid is None:
            tid = self.tid()
        self._lock()
        try:
            self._lock_acquire(tid, key)
            if lock_class is not None:
                if frame is not None and _engine_code.get(frame.f_code, True):
                    frame = _user_frame(frame)
                self._lock_acquired(tid, key, lock_class, frame)
        finally:
            self._unlock()

    def given(self, key: int, tracked: bool) -> None:
        """A wrapped lock is about to be released."""
        tid = self._tids.get(_get_ident())
        if tid is None:
            tid = self.tid()
        self._lock()
        try:
            if tracked:
                self._lock_released(tid, key)
            self._lock_release(tid, key)
        finally:
            self._unlock()


_observer: LiveObserver | None = None


def _lock_class(depth: int) -> str | None:
    """The lock class (creation site) of a lock made by the program, None for internal ones.

    A lock is the program's when its creator is user code, or when it is the default lock of a
    ``Condition`` that user code creates.
    """
    frame: FrameType | None = sys._getframe(depth + 1)
    if frame is not None and _is_engine(frame.f_code):
        if frame.f_code is not _REAL_CONDITION_INIT:
            return None
        frame = frame.f_back
        if frame is None or _is_engine(frame.f_code):
            return None
    if frame is None:
        return None
    return f"{control._relpath(frame.f_code.co_filename)}:{frame.f_lineno}"


class LiveLock:
    """``threading.Lock`` in live mode: a real lock that reports its hand-offs."""

    __slots__ = ("_lock", "_class", "__weakref__")

    def __init__(self) -> None:
        self._lock = _RealLock()
        self._class = _lock_class(1)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(blocking, timeout):
            observer = _observer
            if observer is not None:
                observer.taken(id(self), self._class, sys._getframe(1))
            return True
        return False

    def __enter__(self) -> bool:
        self._lock.acquire()
        observer = _observer
        if observer is not None:
            observer.taken(id(self), self._class, sys._getframe(1))
        return True

    def release(self) -> None:
        observer = _observer
        if observer is not None:
            observer.given(id(self), self._class is not None)
        self._lock.release()

    def __exit__(self, *exc: object) -> None:
        observer = _observer
        if observer is not None:
            observer.given(id(self), self._class is not None)
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __repr__(self) -> str:
        return f"<racelab live {self._lock!r}>"


class LiveRLock:
    """``threading.RLock`` in live mode; also speaks ``Condition``'s private protocol."""

    __slots__ = ("_lock", "_class", "__weakref__")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = _RealRLock()
        self._class = _lock_class(1)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(blocking, timeout):
            observer = _observer
            if observer is not None:
                observer.taken(id(self), self._class, sys._getframe(1))
            return True
        return False

    def __enter__(self) -> bool:
        return self.acquire()

    def release(self) -> None:
        observer = _observer
        if observer is not None:
            observer.given(id(self), self._class is not None)
        self._lock.release()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _is_owned(self) -> bool:
        return bool(self._lock._is_owned())

    def _release_save(self) -> Any:
        observer = _observer
        state = self._lock._release_save()
        if observer is not None:
            for _ in range(state[0]):
                observer.given(id(self), self._class is not None)
        return state

    def _acquire_restore(self, state: Any) -> None:
        self._lock._acquire_restore(state)
        observer = _observer
        if observer is not None:
            frame = sys._getframe(1)
            for _ in range(state[0]):
                observer.taken(id(self), self._class, frame)

    def _recursion_count(self) -> int:
        return int(self._lock._recursion_count())

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()

    def __repr__(self) -> str:
        return f"<racelab live {self._lock!r}>"


class LiveSimpleQueue(_queue.SimpleQueue):  # type: ignore[misc]
    """``queue.SimpleQueue`` in live mode: ``put`` happens before the ``get`` after it."""

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        observer = _observer
        if observer is not None:
            observer.release(-1, ("queue", id(self)))
        super().put(item, block, timeout)

    def put_nowait(self, item: Any) -> None:
        self.put(item, False)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        item = super().get(block, timeout)
        observer = _observer
        if observer is not None:
            observer.acquire(-1, ("queue", id(self)))
        return item

    def get_nowait(self) -> Any:
        return self.get(False)


def _patch_threads(patcher: Patcher) -> None:
    real_start = threading.Thread.start
    real_join = threading.Thread.join
    real_bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

    def start(self: threading.Thread) -> None:
        observer = _observer
        if observer is not None:
            observer.release(-1, ("start", id(self)))
        real_start(self)

    def bootstrap(self: threading.Thread) -> None:
        observer = _observer
        if observer is None:
            real_bootstrap(self)
            return
        observer.register(self.name)
        observer.acquire(-1, ("start", id(self)))
        try:
            real_bootstrap(self)
        finally:
            observer.release(-1, ("end", id(self)))

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        real_join(self, timeout)
        observer = _observer
        if observer is not None and not self.is_alive():
            observer.acquire(-1, ("end", id(self)))

    patcher.set(threading.Thread, "start", start)
    patcher.set(threading.Thread, "_bootstrap_inner", bootstrap)
    patcher.set(threading.Thread, "join", join)


def install(detector: Detector) -> tuple[LiveObserver, Patcher]:
    """Patch ``threading``/``queue`` and route the instrumentation's events to ``detector``.

    Undo with ``uninstall(patcher)``. One live run at a time per process.
    """
    global _observer
    import queue

    observer = LiveObserver(detector)
    patcher = Patcher()
    patcher.set(threading, "Lock", LiveLock)
    patcher.set(threading, "RLock", LiveRLock)
    patcher.set(queue, "SimpleQueue", LiveSimpleQueue)
    _patch_threads(patcher)
    patcher.set(control, "live", observer)
    _observer = observer
    return observer, patcher


def uninstall(patcher: Patcher) -> None:
    global _observer
    observer = _observer
    _observer = None
    patcher.undo()
    if observer is not None:
        observer.finish()

