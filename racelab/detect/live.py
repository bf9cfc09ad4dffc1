"""Live mode: the happens-before detector on a real program, real threads, no scheduler.

Why this shape
--------------
Under ``racelab explore`` the controlled runtime knows which task runs and emits every
event. A live program has real OS threads that run whenever the OS likes, so three things
change:

* **Thread ids.** The instrumentation calls the observer with ``tid = -1``; ``LiveObserver``
  keeps a record per OS thread (its small int id, its vector clock, its held locks) in a
  real ``_thread._local``, found with one attribute load. A thread that starts through
  ``Thread.start`` gets a fresh id when it begins (never an id of a dead thread: that would
  hide the new thread's races behind the old one's program order).
* **Serialization.** The detector is plain Python over shared dicts. Events that touch
  state any thread may touch (shadow cells, the clocks of queues, threads, containers)
  take one real ``_thread`` lock; a wrapped lock's own hand-off is serialized by that lock
  itself (see ``LiveObserver``). Events happen in the order the program really ran; the
  detector then predicts the races that order did not make visible (that is what vector
  clocks buy over "two threads were there at once").
* **Cost.** Every shared access of the program calls into Python, so the hot paths (an
  access, ``with lock:``) are closures over the detectors' tables that decide the common
  cases inline (``_access_path``, ``_lock_paths``). For the run, ``install`` also puts its
  own attribute helpers in ``runtime.HELPERS`` (``_attribute_paths``), which the modules
  loaded meanwhile bind: a shared attribute read, write or ``obj.attr += n`` is then one
  Python call that does the access and the detector's common case. A ``LiveLock`` keeps
  its entry of the race detector's lock table (``_state``) for the run. And a contended
  wrapped lock yields the GIL before it blocks, so that the extra Python code inside
  critical sections does not start lock convoys (``_contended``).
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
import gc
import sys
import threading
import time
import types
import weakref
from types import CodeType, FrameType
from typing import Any, Callable, Hashable

from racelab._core import control
from racelab._core.events import Op
from racelab._core.patching import Patcher
from racelab.detect import vclock
from racelab.detect.detector import Detector
from racelab.instrument import runtime

_READ = Op.READ
_WRITE = Op.WRITE
_RealLock = _thread.allocate_lock
_sleep = time.sleep
_monotonic = time.monotonic
_RealRLock: Any = getattr(threading, "_CRLock", None) or threading._PyRLock  # type: ignore[attr-defined]
_REAL_CONDITION_INIT: CodeType = threading.Condition.__init__.__code__

_MISSING = object()
_NUMBERS = frozenset({int, float})
"""Types on which ``operator.iadd`` and its kin run no Python code."""

_getframe = sys._getframe
_join_into = vclock.join_into

_engine_files: dict[str, bool] = {}
"""``co_filename`` -> whether it is racelab's own code. (Keyed by file name, whose hash a
``str`` caches, not by code object: hashing a code object hashes its whole contents.)"""

SWEEP_MIN = 4096
"""Objects kept alive for their shadow memory before the first sweep (see ``LiveObserver``)."""


def _is_engine(code: CodeType) -> bool:
    known = _engine_files.get(code.co_filename)
    if known is None:
        known = _engine_files[code.co_filename] = control.is_engine_file(code.co_filename)
    return known


def _user_frame(frame: FrameType | None) -> FrameType | None:
    while frame is not None and _is_engine(frame.f_code):
        frame = frame.f_back
    return frame


class _ThreadRecord:
    """What the hot path needs about the calling thread, found with one thread-local load.

    ``clock`` is the race detector's vector clock of the thread and ``held`` the lock-order
    detector's list of locks it holds: the very objects those detectors keep (both are
    mutated in place, never replaced, once the live execution has begun).
    """

    __slots__ = ("tid", "clock", "held")

    def __init__(self, tid: int, clock: list[int], held: list[list[Any]]) -> None:
        self.tid = tid
        self.clock = clock
        self.held = held


class LiveObserver:
    """An ``Observer`` for a real program: maps OS threads to tids and serializes events.

    Which events take the observer's mutex, and why the others need not:

    * Data accesses, ``atomic``, ``release`` and ``acquire`` touch state that any thread may
      touch at any moment (shadow cells, the clocks of syncs and containers): under the mutex.
      An access in the same epoch as the one already recorded (same thread, nothing released
      since) changes nothing and returns before taking it.
    * A wrapped lock's hand-off (``taken``/``given``) touches the lock's own happens-before
      state, the calling thread's clock and its list of held locks. It is reported while the
      real lock is held (after taking it, before giving it back), so the real lock already
      serializes it with every other report about that lock; a thread's clock and held list
      are only ever changed by that thread. Only lock-order work that reads or adds graph
      edges (a lock taken while another is held, a lock released out of order) takes the mutex.
    """

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self.names: dict[int, str] = {}
        self._local = _thread._local()
        # Objects whose ids name shadow memory: weak references where the object takes one
        # (its shadow memory is forgotten as it dies), else the object, held until a sweep
        # finds nothing else refers to it. See ``_keep``.
        self._tracked: dict[int, Any] = {}
        self._strong = 0
        #: ids of tracked objects that died since the last event under the mutex
        self._dead: list[int] = []
        # id -> the live locks whose ``_state`` this run set (``uninstall`` clears them)
        self._attached: dict[int, weakref.ReferenceType[LiveLock]] = {}
        self._sweep_at = SWEEP_MIN
        # Reentrant: a finalizer may run while its thread is inside the detector (a sweep
        # dropping an object, a collection); its own accesses are then not recorded.
        self._mutex = _thread.RLock()
        self._owned = self._mutex._is_owned
        # Bound methods, looked up once, for the methods below and the rarer paths. (Explicit
        # acquire/release: ``with`` on a lock costs twice as much. The hot paths call
        # ``_mutex.acquire()`` itself, which costs less than a call of a stored bound method.)
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
        # The detectors' tables, valid from ``begin`` on (a live run is one execution).
        self._shadow = detector.race._shadow
        self._wholes = detector.race._wholes
        self._locks = detector.race._locks
        self._owner = detector.lock_order._owner
        self._fast_access = _access_path(self)
        self.access = self._fast_access  # type: ignore[method-assign]
        self._fast_taken, self._fast_given, self.lock_enter, self.lock_exit = _lock_paths(self)
        self.taken = self._fast_taken  # type: ignore[method-assign]
        self.given = self._fast_given  # type: ignore[method-assign]
        self.register(threading.current_thread().name)
        gc.callbacks.append(self._collecting)

    def register(self, name: str) -> int:
        """Give the calling OS thread a fresh tid (called as a thread starts)."""
        self._lock()
        try:
            tid = len(self.names)
            self.names[tid] = name
            clock = self._race._clocks.get(tid) or self._race._thread(tid)
            held = self._order._held.setdefault(tid, [])
            self._local.record = _ThreadRecord(tid, clock, held)
        finally:
            self._unlock()
        return tid

    def _adopt(self) -> _ThreadRecord:
        """The record of a thread not started through ``threading.Thread.start``.

        The record comes first and the name after: naming a thread that ``threading`` does
        not know makes a ``_DummyThread``, whose constructor takes locks, which asks for the
        calling thread's record again.
        """
        tid = self.register(f"thread {_thread.get_ident()}")
        self.names[tid] = threading.current_thread().name
        return self._local.record  # type: ignore[no-any-return]

    def tid(self) -> int:
        try:
            record: _ThreadRecord = self._local.record
        except AttributeError:
            record = self._adopt()
        return record.tid

    def finish(self) -> None:
        """The program is over: close the single live "execution"."""
        if self._collecting in gc.callbacks:
            gc.callbacks.remove(self._collecting)
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
        self, tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None, obj: object = None,
        atomic: bool = False,
    ) -> None:
        """A data access; ``obj``, when given, is the object whose ``id()`` is in ``loc``.

        The observer then keeps ``obj`` alive until nothing else refers to it and forgets
        its shadow memory at that moment, so that no later object can inherit its address
        and its history (see ``_sweep``). Replaced in ``__init__`` by the closure that
        ``_access_path`` makes (this method documents it and serves subclasses' ``super()``).
        """
        self._fast_access(tid, op, loc, name, frame, obj, atomic)

    def _keep(self, obj: object) -> None:
        """Track ``obj`` for its shadow memory (see ``access``); the mutex is held.

        A weak reference when ``obj`` takes one: its callback notes the death (it may run in
        any thread, inside the detector too), and the next event under the mutex forgets the
        object's shadow memory, before any new object can be accessed at the same address
        (the fast paths take the slow one while a death is pending). The built-in containers
        that take no weak reference are held until a sweep finds only this table refers to
        them; the sweep comes when their number has doubled, at amortized constant cost.
        """
        if self._dead:
            self.forget_dead()
        oid = id(obj)
        if oid in self._tracked:
            return
        try:
            self._tracked[oid] = weakref.KeyedRef(obj, self._died, oid)
        except TypeError:
            self._tracked[oid] = obj
            self._strong += 1
            if self._strong >= self._sweep_at:
                self._sweep()

    def _died(self, ref: Any) -> None:
        self._dead.append(ref.key)

    def _collecting(self, phase: str, info: dict[str, int]) -> None:
        """A full collection starts (``gc.collect()``, or the collector's own, seldom): let it
        free the held containers nothing else refers to."""
        if phase == "start" and info.get("generation") == 2 and self._strong and not self._owned() \
                and self._mutex.acquire(False):
            try:
                self._sweep()
            finally:
                self._mutex.release()

    def forget_dead(self) -> None:
        """Forget the shadow memory of the tracked objects that died (the mutex is held)."""
        pending = self._dead
        gone = set()
        while pending:
            oid = pending.pop()  # (one item at a time: a callback may append meanwhile)
            entry = self._tracked.get(oid)
            if type(entry) is weakref.KeyedRef and entry() is None:
                del self._tracked[oid]
                gone.add(oid)
        if gone:
            self._race.forget(gone)

    def _sweep(self) -> None:
        """Drop the held objects only this observer still refers to, and their shadow memory."""
        tracked = self._tracked
        dead = []
        for oid in list(tracked):
            # (references: the table and ``getrefcount``'s argument, nothing else)
            if type(tracked[oid]) is not weakref.KeyedRef and sys.getrefcount(tracked[oid]) <= 2:
                dead.append(oid)
        released = [tracked.pop(oid) for oid in dead]
        self._strong -= len(dead)
        if dead:
            self._race.forget(set(dead))
        self._sweep_at = max(SWEEP_MIN, 2 * self._strong)
        del released  # (their finalizers run here; their own accesses are not recorded)

    def atomic(self, tid: int, obj: Hashable) -> None:
        tid = self.tid()
        self._lock()
        try:
            self._race.atomic(tid, obj)
        finally:
            self._unlock()

    def release(self, tid: int, sync: Hashable) -> None:
        tid = self.tid()
        self._lock()
        try:
            self._race.release(tid, sync)
        finally:
            self._unlock()

    def acquire(self, tid: int, sync: Hashable) -> None:
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

    # -- the wrappers' fast paths (see the class docstring for why they skip the mutex) ----

    def taken(self, key: int, lock_class: str | None, frame: FrameType | None) -> None:
        """A wrapped lock was acquired: an HB acquire, and lock order when tracked.

        Replaced in ``__init__`` by the closure ``_lock_paths`` makes (as ``access`` is).
        """
        self._fast_taken(key, lock_class, frame)

    def given(self, key: int, tracked: bool) -> None:
        """A wrapped lock is about to be released (see ``taken``)."""
        self._fast_given(key, tracked)


runtime._OUR_CALLBACKS.add(LiveObserver._died)


def _holder(held: dict[int, list[list[Any]]], key: int, me: int) -> int:
    """The thread whose held list has lock ``key`` (``me`` first; ``me`` when none has it)."""
    for entry in held.get(me, ()):
        if entry[0] == key:
            return me
    for tid, entries in held.items():
        for entry in entries:
            if entry[0] == key:
                return tid
    return me


def _lock_paths(observer: LiveObserver) -> tuple[Callable[..., Any], ...]:
    """The wrapped locks' reports, as closures over the tables they touch.

    Returns ``taken(key, lock_class, frame)`` and ``given(key, tracked)``, and the
    ``LiveLock.__enter__``/``__exit__`` that ``install`` patches in for the run: those two
    carry the bodies of ``taken``/``given`` themselves (``with lock:`` is the hottest path of
    a lock-heavy program, and a call is a good part of its cost).

    The common cases of ``RaceDetector.lock_acquire``/``lock_release`` (the lock goes back
    and forth with the thread that took it: no join) and ``LockOrderDetector.lock_acquired``
    /``lock_released`` (no other lock held: no edge; the innermost lock released) are
    inlined on those detectors' tables; everything else goes to them. ``enter``/``exit`` find
    the lock's entry of ``RaceDetector._locks`` on the wrapper (``LiveLock._state``, set at
    its first use in the run and cleared by ``uninstall``): an entry, once made, is never
    replaced during a run.
    """
    local = observer._local
    adopt = observer._adopt
    locks = observer._locks
    owner = observer._owner
    lock = observer._lock
    unlock = observer._unlock
    lock_acquire = observer._lock_acquire
    lock_release = observer._lock_release
    lock_acquired = observer._lock_acquired
    lock_released = observer._lock_released
    join_into = vclock.join_into
    engine_files = _engine_files
    attached = observer._attached
    last_user_code: CodeType | None = None  # the last ``with`` site's code, when user code

    def _user_code(code: CodeType) -> bool:
        nonlocal last_user_code
        if engine_files.get(code.co_filename, True) and _is_engine(code):
            return False
        last_user_code = code
        return True

    def order_acquired(record: _ThreadRecord, key: int, lock_class: str, frame: FrameType | None) -> None:
        if frame is not None and engine_files.get(frame.f_code.co_filename, True):
            frame = _user_frame(frame)
        held = record.held
        if not held:  # no other lock held: no edge, nothing shared to read
            if frame is None:
                held.append([key, lock_class, None, 0, 1])
            else:
                held.append([key, lock_class, frame.f_code, frame.f_lasti, 1])
            return
        lock()
        try:
            lock_acquired(record.tid, key, lock_class, frame)
            owner.pop(key, None)  # see ``order_released``
        finally:
            unlock()

    def order_released(record: _ThreadRecord, key: int) -> None:
        held = record.held
        if held and held[-1][0] == key and held[-1][4] == 1:  # its innermost lock, once
            held.pop()
            return
        # ``LockOrderDetector`` finds the holder of a lock through its ``_owner`` table; the
        # fast paths above do not keep it (two dict operations per ``with``), so it is
        # filled here, for this one call, by looking through the held lists.
        lock()
        try:
            owner[key] = _holder(observer._order._held, key, record.tid)
            lock_released(record.tid, key)
            owner.pop(key, None)
        finally:
            unlock()

    def taken(key: int, lock_class: str | None, frame: FrameType | None) -> None:
        try:
            record: _ThreadRecord = local.record
        except AttributeError:
            record = adopt()
        me = record.tid
        state = locks.get(key)
        if state is None:
            lock_acquire(me, key)
        else:
            if state[1] != me:
                join_into(record.clock, state[0])
            state[2] = me
        if lock_class is not None:
            order_acquired(record, key, lock_class, frame)

    def given(key: int, tracked: bool) -> None:
        try:
            record: _ThreadRecord = local.record
        except AttributeError:
            record = adopt()
        me = record.tid
        if tracked:
            order_released(record, key)
        state = locks.get(key)
        if state is not None and state[2] == me:
            clock = record.clock
            state[0][:] = clock
            state[1] = me
            clock[me] += 1
        else:
            lock_release(me, key)

    def attach(wrapper: LiveLock) -> None:
        """Keep the lock's entry of the race detector's lock table on the wrapper."""
        key = wrapper._key
        wrapper._state = locks[key]
        # (the callback runs as the lock is freed, before another object can take its id)
        attached[key] = weakref.ref(wrapper, lambda _, key=key: attached.pop(key, None))  # type: ignore[misc]

    # ``enter``/``exit`` reach what they seldom need through ``observer`` and module globals,
    # not through free variables of their own: each one is copied into the frame of every call.
    def enter(wrapper: LiveLock) -> bool:  # ``taken`` after the real acquire, inlined
        real = wrapper._lock
        if real.locked():  # busy: see ``_contended``
            _contended(real.acquire, -1)
        else:  # (``locked()`` and ``acquire()`` cost less than ``acquire(False)``; should another
            real.acquire()  # thread take the lock in between, this waits as a plain ``with`` does)
        try:
            record: _ThreadRecord = local.record
        except AttributeError:
            record = observer._adopt()
        me = record.tid
        state = wrapper._state
        if state is None:
            observer._lock_acquire(me, wrapper._key)
            attach(wrapper)
        else:
            if state[1] != me:
                _join_into(record.clock, state[0])
            state[2] = me
        lock_class = wrapper._class
        if lock_class is not None:
            held = record.held
            frame = _getframe(1)
            code = frame.f_code
            if held or (code is not last_user_code and not _user_code(code)):
                order_acquired(record, wrapper._key, lock_class, frame)
            else:
                held.append([wrapper._key, lock_class, code, frame.f_lasti, 1])
        return True

    def exit(wrapper: LiveLock, kind: object, value: object, traceback: object) -> None:
        # ``given``, inlined, then the release
        try:
            record: _ThreadRecord = local.record
        except AttributeError:
            record = observer._adopt()
        me = record.tid
        if wrapper._class is not None:
            held = record.held
            # (an entry pushed by the fast path above holds the very ``_key`` object)
            if len(held) == 1 and (top := held[0])[0] is wrapper._key and top[4] == 1:
                # (``clear``, not ``pop``: on CPython 3.11 a list emptied by ``pop`` keeps a block
                # of the system allocator, which every later append and pop reallocates)
                held.clear()
            else:
                order_released(record, wrapper._key)
        state = wrapper._state
        if state is not None and state[2] == me:
            clock = record.clock
            state[0][:] = clock
            state[1] = me
            clock[me] += 1
        else:
            observer._lock_release(me, wrapper._key)
            if state is None:
                attach(wrapper)
        wrapper._lock.release()

    return taken, given, enter, exit


def _access_path(observer: LiveObserver) -> Callable[..., None]:
    """``LiveObserver.access`` as a closure over the tables it touches (no ``self.`` loads).

    The common cases of ``RaceDetector.access`` are decided here, without its extra call:
    an access in the same epoch as the recorded one, and an access that cannot race (every
    recorded epoch of another thread happens before it) and leaves the cell with at most
    one read epoch. Anything else (a new cell, a race to report, concurrent reads, slices,
    whole-container accesses) goes to the detector.
    """
    local = observer._local
    adopt = observer._adopt
    keep = observer._keep
    shadow = observer._shadow
    wholes = observer._wholes
    mutex = observer._mutex  # (``mutex.acquire()`` costs less than a call of the bound method)
    owned = observer._owned
    dead = observer._dead
    detector_access = observer._access
    write = _WRITE

    def access(
        tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None, obj: object = None,
        atomic: bool = False,
    ) -> None:
        try:
            record: _ThreadRecord = local.record
        except AttributeError:
            record = adopt()
        me = record.tid
        if atomic:  # (it orders as well: the detector's own path, under the mutex)
            if owned():  # a finalizer run inside the detector: not recorded
                return
            mutex.acquire()
            try:
                if obj is not None:
                    keep(obj)
                detector_access(me, op, loc, name, frame, None, True)
            finally:
                mutex.release()
            return
        clock = record.clock
        now = clock[me]
        cell = shadow.get(loc)
        if cell is not None and not dead and (not wholes or loc[0] not in wholes):
            # Same epoch: nothing to record. Safe without the mutex: a cell's epoch fields
            # only move forward, and a concurrent writer that replaced ours has checked
            # against it already.
            if op is write:
                if cell.writer == me and cell.wclock == now and not cell.watomic:
                    return
            elif cell.reader == me and cell.rclock == now and not cell.ratomic:
                return
        if owned():  # a finalizer run inside the detector: not recorded
            return
        mutex.acquire()
        try:
            if dead:
                observer.forget_dead()
                cell = shadow.get(loc)
            if cell is None or (wholes and loc[0] in wholes):
                # A location with a cell has its object kept alive already (a sweep forgets
                # an object and its cells at once), so only a new cell may need ``obj`` kept.
                if obj is not None:
                    keep(obj)
                detector_access(me, op, loc, name, frame)
                return
            writer = cell.writer
            if cell.shared is None and (
                writer == me or writer < 0 or cell.wclock <= (clock[writer] if writer < len(clock) else 0)
            ):
                reader = cell.reader
                if reader < 0 or reader == me or cell.rclock <= (clock[reader] if reader < len(clock) else 0):
                    if frame is None:
                        code, at = None, 0
                    else:
                        code, at = frame.f_code, frame.f_lasti
                    # (item stores: a slice assignment costs a tuple and a slice object)
                    if op is write:  # supersedes every recorded access: reset the cell
                        cell.writer = me
                        cell.wclock = now
                        cell.wcode = code
                        cell.wat = at
                        cell.watomic = False
                        cell.reader = -1  # (no read epoch: its fields are not read any more)
                    else:  # this read happens after the recorded one: it stands for both
                        cell.reader = me
                        cell.rclock = now
                        cell.rcode = code
                        cell.rat = at
                        cell.ratomic = False
                    return
            detector_access(me, op, loc, name, frame)
        finally:
            mutex.release()

    return access


_NO_TEXTS: dict[str, str] = {}


def _attribute_paths(observer: LiveObserver) -> tuple[Callable[..., Any], ...]:
    """``runtime.ra``/``wa``/``aa`` for a live run, with ``access`` inlined.

    ``install`` puts them in ``builtins`` as ``__rl_ra__``/``__rl_wa__``/``__rl_aa__`` for the
    run, so instrumented code calls them: a shared attribute read or write is then one Python
    call instead of two (the helper, then the observer's ``access``). Their decisions are
    those of the generic helpers (which attributes are data, from the same per-type kinds)
    and of ``access`` (same epoch, no race and at most one read epoch, else the detector);
    what depends on the object and not only on its type (a module's attribute, a method
    shadowed in an instance) goes to the generic helpers. When an exploration is active, or
    once this observer is no longer the live one, they hand over to the generic helpers.

    ``aa`` (``obj.name op= number``) reports a read, then a write, when the read and ``op``
    cannot run Python code (see ``runtime.aa``): no event of this thread can come between
    them, so it computes the value first and then decides both events in one section under
    the mutex.
    """
    local = observer._local
    shadow = observer._shadow
    wholes = observer._wholes
    mutex = observer._mutex
    owned = observer._owned
    dead = observer._dead
    generated = runtime.GENERATED
    reads: dict[type, dict[str, str]] = {}  # type -> name -> display name ("" when not data)
    aug_texts: dict[type, dict[str, str]] = {}  # the same for ``aa`` ("" when not plain)
    writes: dict[type, dict[str, str]] = {}

    def read_text(obj: Any, name: str) -> str | None:
        kind = runtime.load_kind(obj, name)
        if kind == runtime._DATA and not issubclass(type(obj), (type, types.ModuleType)):
            text = runtime._attr_name(obj, name)
        elif kind & 15 == runtime._SKIP:
            text = ""
        else:
            return None
        reads.setdefault(type(obj), {})[name] = text
        return text

    def write_text(obj: Any, name: str) -> str | None:
        if issubclass(type(obj), (type, types.ModuleType)):
            return None
        loc = runtime._store_loc(obj, name, runtime._stores, "__setattr__")
        text = "" if loc is None else runtime._attr_name(obj, name)
        writes.setdefault(type(obj), {})[name] = text
        return text

    def ra(obj: Any, name: str, _depth: int = 2) -> Any:
        if control._active is not None or control.live is not observer:
            return runtime.ra(obj, name, _depth + 1)
        text = reads.get(type(obj), _NO_TEXTS).get(name)
        if text is None:
            text = read_text(obj, name)
            if text is None:
                return runtime.ra(obj, name, _depth + 1)
        if text:
            try:
                record: _ThreadRecord = local.record
            except AttributeError:
                record = observer._adopt()
            me = record.tid
            clock = record.clock
            now = clock[me]
            loc = (id(obj), name)
            cell = shadow.get(loc)
            # (Conditions in this shape keep the jumps after the comparisons short: CPython
            # 3.11 does not specialize a comparison followed by a long jump.)
            if cell is not None and cell.reader == me and cell.rclock == now and not cell.ratomic and not dead and (
                    not wholes or loc[0] not in wholes):
                pass  # the same epoch as the recorded read: nothing to record
            elif owned():
                pass  # a finalizer run inside the detector: not recorded
            else:
                frame = _getframe(_depth - 1)
                if generated:
                    frame = runtime.program_frame(frame)
                mutex.acquire()
                try:
                    if dead:
                        observer.forget_dead()
                        cell = shadow.get(loc)
                    if cell is None or (wholes and loc[0] in wholes):
                        observer._keep(obj)
                        observer._access(me, _READ, loc, text, frame)
                    else:
                        writer = cell.writer
                        reader = cell.reader
                        if cell.shared is None and (
                            writer == me or writer < 0 or cell.wclock <= (clock[writer] if writer < len(clock) else 0)
                        ) and (
                            reader < 0 or reader == me or cell.rclock <= (clock[reader] if reader < len(clock) else 0)
                        ):  # it happens after the recorded read: it stands for both
                            cell.reader = me
                            cell.rclock = now
                            cell.rcode = frame.f_code
                            cell.rat = frame.f_lasti
                            cell.ratomic = False
                        else:
                            observer._access(me, _READ, loc, text, frame)
                finally:
                    mutex.release()
        return obj

    def wa(obj: Any, name: str, _depth: int = 2) -> Any:
        if control._active is not None or control.live is not observer:
            return runtime.wa(obj, name, _depth + 1)
        text = writes.get(type(obj), _NO_TEXTS).get(name)
        if text is None:
            text = write_text(obj, name)
            if text is None:
                return runtime.wa(obj, name, _depth + 1)
        if text:
            try:
                record: _ThreadRecord = local.record
            except AttributeError:
                record = observer._adopt()
            me = record.tid
            clock = record.clock
            now = clock[me]
            loc = (id(obj), name)
            cell = shadow.get(loc)
            if cell is not None and cell.writer == me and cell.wclock == now and not cell.watomic and not dead and (
                    not wholes or loc[0] not in wholes):
                pass  # the same epoch as the recorded write: nothing to record
            elif owned():
                pass  # a finalizer run inside the detector: not recorded
            else:
                frame = _getframe(_depth - 1)
                if generated:
                    frame = runtime.program_frame(frame)
                mutex.acquire()
                try:
                    if dead:
                        observer.forget_dead()
                        cell = shadow.get(loc)
                    if cell is None or (wholes and loc[0] in wholes):
                        observer._keep(obj)
                        observer._access(me, _WRITE, loc, text, frame)
                    else:
                        writer = cell.writer
                        reader = cell.reader
                        if cell.shared is None and (
                            writer == me or writer < 0 or cell.wclock <= (clock[writer] if writer < len(clock) else 0)
                        ) and (
                            reader < 0 or reader == me or cell.rclock <= (clock[reader] if reader < len(clock) else 0)
                        ):  # it supersedes every recorded access: reset the cell
                            cell.writer = me
                            cell.wclock = now
                            cell.wcode = frame.f_code
                            cell.wat = frame.f_lasti
                            cell.watomic = False
                            cell.reader = -1  # (no read epoch: its fields are not read any more)
                        else:
                            observer._access(me, _WRITE, loc, text, frame)
                finally:
                    mutex.release()
        return obj

    def aa(obj: Any, name: str, op: Any, operand: Any) -> bool:
        if control._active is not None or control.live is not observer:
            return runtime.aa(obj, name, op, operand)  # (its frames: see ``runtime.aa``)
        text = aug_texts.get(type(obj), _NO_TEXTS).get(name)
        if text is None:
            text = runtime._attr_name(obj, name) if runtime._aug_plain(obj, name) else ""
            aug_texts.setdefault(type(obj), {})[name] = text
        if not text or type(operand) not in _NUMBERS:
            return False
        # (no hook runs here: ``_aug_plain``)
        value = getattr(obj, name, _MISSING)
        if type(value) not in _NUMBERS:
            return False
        try:
            value = op(value, operand)
        except Exception:  # noqa: BLE001 - raised again by the general form
            return False
        try:
            record: _ThreadRecord = local.record
        except AttributeError:
            record = observer._adopt()
        me = record.tid
        clock = record.clock
        now = clock[me]
        loc = (id(obj), name)
        cell = shadow.get(loc)
        if (cell is not None and cell.writer == me and cell.wclock == now and cell.reader == me
                and cell.rclock == now and not cell.watomic and not cell.ratomic and not dead
                and (not wholes or loc[0] not in wholes)):
            pass  # the read and the write are both in the recorded epochs
        elif owned():
            pass  # a finalizer run inside the detector: not recorded
        else:
            frame = _getframe(1)
            mutex.acquire()
            try:
                if dead:
                    observer.forget_dead()
                    cell = shadow.get(loc)
                if cell is None or (wholes and loc[0] in wholes):
                    observer._keep(obj)
                    observer._access(me, _READ, loc, text, frame)
                    observer._access(me, _WRITE, loc, text, frame)
                else:
                    writer = cell.writer
                    reader = cell.reader
                    if cell.shared is None and (
                        writer == me or writer < 0
                        or cell.wclock <= (clock[writer] if writer < len(clock) else 0)
                    ) and (
                        reader < 0 or reader == me
                        or cell.rclock <= (clock[reader] if reader < len(clock) else 0)
                    ):  # the read cannot race, and then neither can the write
                        if writer == me and cell.wclock == now and not cell.watomic:  # only the read is new
                            if reader != me or cell.rclock != now:
                                cell.reader = me
                                cell.rclock = now
                                cell.rcode = frame.f_code
                                cell.rat = frame.f_lasti
                            cell.ratomic = False
                        else:  # the write supersedes the read and all before
                            cell.writer = me
                            cell.wclock = now
                            cell.wcode = frame.f_code
                            cell.wat = frame.f_lasti
                            cell.watomic = False
                            cell.reader = -1
                    else:
                        observer._access(me, _READ, loc, text, frame)
                        observer._access(me, _WRITE, loc, text, frame)
            finally:
                mutex.release()
        setattr(obj, name, value)
        return True

    return ra, wa, aa


_observer: LiveObserver | None = None
_saved_helpers: dict[str, Any] = {}
"""The helpers that ``install`` replaced in ``builtins``, for ``uninstall``."""


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


YIELDS = 20
"""How often a contended wrapped lock gives the GIL away and tries again before it blocks."""


def _contended(acquire: Callable[..., bool], timeout: float) -> bool:
    """Take a busy lock by yielding the GIL and retrying, and only then by blocking.

    Why: a thread blocked in a real lock's ``acquire`` is handed the lock by the OS at the
    holder's next ``release``, while it does not hold the GIL. The holder, looping back for
    the lock, then blocks in turn, and from there on every hand-off of the lock costs two
    context switches: a lock convoy. Plain code seldom starts one (the GIL changes hands
    at points that are mostly outside short critical sections); instrumented code calls
    Python functions inside them, so the GIL often moves while a lock is held. A waiter
    that gives the GIL back and retries lets the holder run its whole time slice instead.
    Mutual exclusion, ``timeout`` and the eventual blocking are those of the real lock.
    """
    if timeout < 0 and timeout != -1:
        return acquire(True, timeout)  # the real lock's error
    deadline = None if timeout < 0 else _monotonic() + timeout
    for _ in range(YIELDS):
        _sleep(0)
        if acquire(False):
            return True
        if deadline is not None and _monotonic() >= deadline:
            return False
    if deadline is None:
        return acquire()
    return acquire(True, max(0.0, deadline - _monotonic()))


class LiveLock:
    """``threading.Lock`` in live mode: a real lock that reports its hand-offs."""

    __slots__ = ("_lock", "_class", "_key", "_state", "__weakref__")

    def __init__(self) -> None:
        self._lock = _RealLock()
        self._class = _lock_class(1)
        self._key = id(self)
        self._state: list[Any] | None = None  # this lock's entry of the live run's lock table

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        real = self._lock.acquire
        if not blocking:
            if not real(blocking, timeout):  # (the real lock rejects a timeout here)
                return False
        elif not real(False) and not _contended(real, timeout):
            return False
        observer = _observer
        if observer is not None:
            observer.taken(self._key, self._class, sys._getframe(1))
        return True

    # While a live run is on, ``install`` replaces ``__enter__``/``__exit__`` by the observer's
    # ``lock_enter``/``lock_exit`` (the same reports, one call less per ``with``).
    def __enter__(self) -> bool:
        self._lock.acquire()
        observer = _observer
        if observer is not None:
            observer.taken(self._key, self._class, sys._getframe(1))
        return True

    def release(self) -> None:
        observer = _observer
        if observer is not None:
            observer.given(self._key, self._class is not None)
        self._lock.release()

    def __exit__(self, *exc: object) -> None:
        observer = _observer
        if observer is not None:
            observer.given(self._key, self._class is not None)
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
        real = self._lock.acquire
        if not blocking:
            if not real(blocking, timeout):  # (the real lock rejects a timeout here)
                return False
        elif not real(False) and not _contended(real, timeout):
            return False
        observer = _observer
        if observer is not None:
            observer.taken(id(self), self._class, sys._getframe(1))
        return True

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
        if observer is not None:  # before the release, like ``release`` (see ``given``)
            for _ in range(self._lock._recursion_count()):
                observer.given(id(self), self._class is not None)
        return self._lock._release_save()

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
    patcher.set(LiveLock, "__enter__", observer.lock_enter)
    patcher.set(LiveLock, "__exit__", observer.lock_exit)
    patcher.set(threading, "RLock", LiveRLock)
    patcher.set(queue, "SimpleQueue", LiveSimpleQueue)
    _patch_threads(patcher)
    patcher.set(control, "live", observer)
    # Instrumented code finds these in place of the generic helpers for the run.
    fused = dict(zip(("__rl_ra__", "__rl_wa__", "__rl_aa__"), _attribute_paths(observer)))
    runtime.install_helpers()
    for name in fused:
        _saved_helpers.setdefault(name, runtime.HELPERS[name])
    runtime.install_helpers(fused)
    _observer = observer
    return observer, patcher


def uninstall(patcher: Patcher) -> None:
    global _observer
    observer = _observer
    _observer = None
    runtime.install_helpers(_saved_helpers)
    _saved_helpers.clear()
    patcher.undo()
    if observer is not None:
        for ref in observer._attached.copy().values():  # (a copy: threads may still attach locks)
            wrapper = ref()
            if wrapper is not None:
                wrapper._state = None
        observer.finish()

