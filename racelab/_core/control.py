"""The controlled runtime: one thread at a time, switching only at scheduling points.

Why this shape
--------------
Every controlled thread is a real OS thread, so unmodified code (C extensions, ``sys``
hooks, blocking calls we do not know about) behaves as it does in production. Exactly one
of them holds the *baton* at any time; all others are parked on their own
``_thread.lock``. A scheduling point asks the strategy which task runs next; when the
answer is another task, the current one releases the other's lock and parks on its own.
That hand-off is the only cost of a switch (~7 us here), and it is paid only when the
strategy actually changes thread.

OS threads are reused across executions (``_Worker``): creating one costs more than a
whole two-thread schedule. Task 0 (the scenario's main thread) runs on the thread that
called ``explore``, so the common case of a main thread that mostly waits costs nothing.

Invariants
----------
* Only the baton holder mutates an ``Execution`` (there is no lock around it).
* A task parks only inside ``Execution._hand_off``; it wakes either holding the baton or
  with ``task.abort`` set, in which case it raises ``Abort`` and unwinds.
* Blocked tasks carry a ``ready()`` predicate and an optional deadline on the virtual
  clock. A blocked task is eligible to run when ``ready()`` is true or its deadline has
  passed. When no task is eligible and no deadline is pending, every live thread waits
  for another: a deadlock.
* The hot path records only the strategy's choices (the schedule). Traces with source
  lines and values are produced by replaying a schedule in verbose mode.
"""

from __future__ import annotations

import _thread
import enum
import functools
import gc
import itertools
import linecache
import os
import sys
import time as _time
import weakref
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Hashable, NoReturn, Sequence

from racelab._core.events import Observer, Op
from racelab.errors import RacelabError, ScenarioError

if TYPE_CHECKING:
    from racelab.strategies.base import Strategy

_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident
_start_new_thread = _thread.start_new_thread
_real_monotonic = _time.monotonic

#: Consecutive read-only steps a task may take while others are runnable before it must
#: let one of them run (fairness for spin loops such as Peterson's lock).
FAIR_QUANTUM = 64
#: Steps without the virtual clock moving, while timed waiters exist, before the clock
#: jumps to the earliest deadline (a spin loop that waits for a sleeper makes progress).
SPIN_STEPS_BEFORE_TIMEOUT = 512
#: Virtual time one scheduling step takes.
STEP_TIME = 1e-6
#: The virtual wall clock starts here (2025-01-01T00:00:00Z).
EPOCH = 1735689600.0
#: Strongly held objects (see ``Execution.track``) before the first sweep.
_SWEEP_MIN = 1024

_RACELAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ENGINE_DIRS = tuple(
    os.path.join(_RACELAB_DIR, d) + os.sep for d in ("_core", "sync", "strategies", "instrument", "detect")
) + tuple(os.path.join(_RACELAB_DIR, f) for f in (
    "atomic.py", "pytest_api.py", "instrumented.py", "hypothesis.py", "lincheck.py"))


#: Operation keys for partial-order reduction: ``ANY`` conflicts with every operation,
#: ``NO_OP`` with none (a pure yield, or a new thread's first step).
ANY = "*"
NO_OP = None


class Abort(BaseException):
    """Raised inside a controlled task to unwind it when its execution is torn down."""


class TaskState(enum.Enum):
    RUNNABLE = "runnable"
    BLOCKED = "blocked"
    DONE = "done"


RUNNABLE = TaskState.RUNNABLE
BLOCKED = TaskState.BLOCKED
DONE = TaskState.DONE


class FailureKind(enum.Enum):
    ASSERTION = "assertion"
    EXCEPTION = "exception"
    DEADLOCK = "deadlock"
    LIVELOCK = "livelock"
    RACE = "race"

    def __str__(self) -> str:
        return self.value


@dataclass
class RawFailure:
    """What went wrong in one execution, before it is rendered for people."""

    kind: FailureKind
    message: str
    thread: str
    exc: BaseException | None = None
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TraceStep:
    step: int
    thread: str
    file: str
    line: int
    source: str
    op: str
    location: str | None

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "thread": self.thread, "file": self.file, "line": self.line,
                "op": self.op, "location": self.location}


class Task:
    """One controlled thread of one execution."""

    __slots__ = ("tid", "name", "thread", "state", "ready", "deadline", "timed_out", "wake",
                 "abort", "run_len", "waiting_for", "daemon", "worker", "body", "ident", "pending")

    def __init__(self, tid: int, name: str, thread: Any, daemon: bool, wake: Any) -> None:
        self.tid = tid
        self.name = name
        self.thread = thread
        self.daemon = daemon
        self.state = RUNNABLE
        self.ready: Callable[[], bool] | None = None
        self.deadline: float | None = None
        self.timed_out = False
        self.wake = wake
        self.abort = False
        self.run_len = 0
        self.waiting_for: str = ""
        self.worker: _Worker | None = None
        self.body: Callable[[], None] | None = None
        self.ident = 0x7E0000 + tid
        self.pending: tuple[Hashable, bool] = (NO_OP, False)

    def eligible(self, clock: float) -> bool:
        if self.state is RUNNABLE:
            return True
        if self.state is BLOCKED:
            if self.deadline is not None and clock >= self.deadline:
                return True
            return self.ready is not None and self.ready()
        return False

    def __repr__(self) -> str:
        return f"<Task {self.tid} {self.name!r} {self.state.value}>"


# --------------------------------------------------------------------------------------
# Worker OS threads, reused across executions


class _Worker:
    """A parked OS thread that runs one task body at a time, for any number of executions."""

    __slots__ = ("wake", "task")

    def __init__(self) -> None:
        self.wake = _allocate_lock()
        self.wake.acquire()
        self.task: Task | None = None
        _start_new_thread(self._loop, ())

    def _loop(self) -> None:
        while True:
            self.wake.acquire()
            task = self.task
            if task is None:  # retired
                return
            _run_task(task)


_idle_workers: list[_Worker] = []


def _get_worker() -> _Worker:
    if _idle_workers:
        return _idle_workers.pop()
    return _Worker()


def _run_task(task: Task) -> None:
    ex = _active
    assert ex is not None
    _tls.task = task
    try:
        if task.abort:
            raise Abort
        assert task.body is not None
        task.body()
    except Abort:
        pass
    except BaseException as exc:  # noqa: BLE001 - any exception in a thread is a finding
        ex.task_crashed(task, exc)
    finally:
        _tls.task = None
        ex.task_finished(task)


# --------------------------------------------------------------------------------------
# The active execution


_tls = _thread._local()
_serials = itertools.count(1)
_active: "Execution | None" = None
#: Set while ``racelab run`` drives a real program: an Observer, see racelab.detect.live.
live: Observer | None = None


def active() -> "Execution | None":
    return _active


def current_task() -> Task | None:
    """The controlled task running on this OS thread, or None when not exploring."""
    if _active is None:
        return None
    return getattr(_tls, "task", None)


class Execution:
    """One run of a scenario under one schedule."""

    def __init__(
        self,
        strategy: "Strategy",
        *,
        max_steps: int,
        observers: Sequence[Observer] = (),
        verbose: bool = False,
        hang_timeout: float = 10.0,
        max_threads: int = 64,
    ) -> None:
        self.max_threads = max_threads
        self.step_hook: Callable[[int, tuple[Hashable, bool], bool], None] | None = getattr(
            strategy, "observe_step", None)
        self.error: RacelabError | None = None
        self.strategy = strategy
        self.max_steps = max_steps
        self.observers = tuple(observers)
        self.verbose = verbose
        self.hang_timeout = hang_timeout
        self.tasks: list[Task] = []
        self.names: dict[int, str] = {}
        self.current: Task | None = None
        self.step = 0
        self.clock = 0.0
        self.last_advance = 0
        self.choices: list[int] = []
        self.preemptions = 0
        self.trace: list[TraceStep] = []
        self.failure: RawFailure | None = None
        self.stopping = False
        self.thread_counter = 0
        self.blocked = 0
        self.keepalive: list[Any] = []
        #: True until the first thread is started: nothing can race with a lone main thread,
        #: so shared accesses are then only counted (see ``solo_step``).
        self.solo = True
        #: True while the baton holder is inside racelab's own bookkeeping: an access made
        #: meanwhile (a finalizer the collector runs there) is not a scheduling point.
        self.in_engine = False
        #: id(an instance's ``__dict__``) -> id(the instance), for ``o.__dict__[k]`` and ``vars(o)``
        self.aliases: dict[int, int] = {}
        # Objects whose ids name shadow memory: weak references where possible (the
        # observers forget an object as it dies), else the object itself (swept when only
        # this table still refers to it). See ``track``.
        self._tracked: dict[int, Any] = {}
        self._strong = 0
        self._sweep_at = _SWEEP_MIN
        self._dead: list[int] = []
        self._later: tuple[int, Callable[[], str]] | None = None
        self.result: Any = None
        self._teardown_lock: Any = None
        self.serial = next(_serials)
        #: What this execution did that racelab could not see (key -> one line saying what and
        #: how to make it visible). Any entry makes the verdict ``inconclusive``.
        self.unseen: dict[str, str] = {}

    # ---- lifecycle -------------------------------------------------------------------

    def run(self, fn: Callable[[], Any], main_thread: Any) -> None:
        """Run ``fn`` as task 0 on this OS thread until the execution ends."""
        global _active
        main = Task(0, "MainThread", main_thread, False, _allocate_lock())
        main.wake.acquire()
        self.main_ident = _get_ident()
        self._add(main)
        self.current = main
        for obs in self.observers:
            obs.begin(self.names)
        _active = self
        _tls.task = main
        if self.observers:
            gc.callbacks.append(self._collecting)
        try:
            try:
                self.result = fn()
                self._wait_for_non_daemon(main)
            except Abort:
                pass
            except KeyboardInterrupt:
                # Ctrl-C reaches the main thread, maybe while another task holds the baton:
                # let that task stop at its next scheduling point, then unwind everything.
                self.stopping = True
                if self.current is not main:
                    main.wake.acquire(True, self.hang_timeout)
                self._tear_down(main)
                raise
            except BaseException as exc:  # noqa: BLE001
                self._record_crash(main, exc)
            if self.step_hook is not None:
                self.strategy.observe_end(  # type: ignore[attr-defined]
                    [(t.tid, t.pending) for t in self.tasks if t.state is BLOCKED])
            self._tear_down(main)
        finally:
            _tls.task = None
            _active = None
            main.state = DONE
            if self.observers:
                gc.callbacks.remove(self._collecting)
            self._resolve_later()
            self._tracked.clear()

    def _add(self, task: Task) -> None:
        self.tasks.append(task)
        self.names[task.tid] = task.name

    def _wait_for_non_daemon(self, main: Task) -> None:
        def done() -> bool:
            return all(t.state is DONE or t.daemon for t in self.tasks if t.tid)

        self.block(main, done, "the end of non-daemon threads")

    @property
    def _teardown(self) -> Any:
        """Released by each torn-down task as it finishes unwinding (made on first use)."""
        if self._teardown_lock is None:
            lock = _allocate_lock()
            lock.acquire()
            self._teardown_lock = lock
        return self._teardown_lock

    def _tear_down(self, main: Task) -> None:
        self.stopping = True
        for task in self.tasks:
            if task is main or task.state is DONE:
                continue
            task.abort = True
            task.wake.release()
            if not self._teardown.acquire(True, self.hang_timeout):
                self._hung(task)
        self.keepalive.clear()

    def _hung(self, task: Task) -> None:
        if self.failure is None:
            self.failure = RawFailure(
                FailureKind.LIVELOCK,
                f"thread {task.name} ran for {self.hang_timeout:g} s without reaching a scheduling point "
                "(an infinite loop in uninstrumented code, or a real blocking call racelab does not control)",
                task.name)
        task.state = DONE
        if task.worker is not None:
            task.worker = None  # the OS thread is lost; it unwinds on its own if it ever returns

    # ---- task management -------------------------------------------------------------

    def spawn(self, parent: Task, thread: Any, name: str, daemon: bool, body: Callable[[], None]) -> Task:
        if len(self.tasks) >= self.max_threads:
            self.fail_with_error(ScenarioError(
                f"the scenario starts more than {self.max_threads} threads (the limit; raise --max-threads)"))
        worker = _get_worker()
        task = Task(len(self.tasks), name, thread, daemon, worker.wake)
        task.worker = worker
        task.body = body
        worker.task = task
        self._add(task)
        self.solo = False
        self.hb_release(parent, ("start", task.tid))
        if self.step_hook is not None:
            self.strategy.observe_spawn(parent.tid, task.tid)  # type: ignore[attr-defined]
        return task

    def task_started(self, task: Task) -> None:
        self.hb_acquire(task, ("start", task.tid))

    def task_crashed(self, task: Task, exc: BaseException) -> None:
        self._record_crash(task, exc)

    def _record_crash(self, task: Task, exc: BaseException) -> None:
        if isinstance(exc, RacelabError):
            if self.error is None:
                self.error = exc
            self.stopping = True
            return
        if self.failure is not None:
            return
        kind = FailureKind.ASSERTION if isinstance(exc, AssertionError) else FailureKind.EXCEPTION
        text = str(exc)
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        self.failure = RawFailure(kind, message.splitlines()[0] if message else message, task.name, exc)
        self.stopping = True

    def task_finished(self, task: Task) -> None:
        """Called on the task's own OS thread as its body ends (normally or not)."""
        worker = task.worker
        task.state = DONE
        if self.stopping and self.current is not task:
            # Torn down from outside: report back to the main task and go idle.
            self._release_worker(worker)
            self._teardown.release()
            return
        self.hb_release(task, ("end", task.tid))
        self.note_sync(task, ("end", task.tid))
        if self.stopping:
            self._release_worker(worker)
            self._wake_main_for_stop()
            return
        self.record_point(task, "finish", None, None)
        try:
            nxt = self._choose(task)
        except Abort:  # the strategy failed (a nondeterministic scenario) at this point
            self._release_worker(worker)
            self._wake_main_for_stop()
            return
        self._release_worker(worker)
        if nxt is None:
            self._record_deadlock(task)
            self._wake_main_for_stop()
            return
        self._activate(nxt)
        nxt.wake.release()

    def _release_worker(self, worker: "_Worker | None") -> None:
        if worker is not None:
            worker.task = None
            _idle_workers.append(worker)

    def _wake_main_for_stop(self) -> None:
        main = self.tasks[0]
        self.stopping = True
        if main.state is not DONE:
            main.abort = True
            self.current = main
            main.wake.release()

    # ---- scheduling ------------------------------------------------------------------

    def schedule(self, task: Task, key: Hashable = ANY, write: bool = True, progress: bool = False) -> None:
        """A scheduling point in ``task``, which holds the baton and is about to do ``key``.

        ``key`` names what the next operation touches (``write``: whether it changes it);
        only strategies that reduce by independence (DPOR) look at it. ``progress``: the
        operation changes shared data, so the thread is not merely spinning.
        """
        if self.stopping:
            raise Abort
        if self.in_engine:  # inside racelab's own bookkeeping (a finalizer, a repr for the trace)
            return
        self.in_engine = True
        if self.step_hook is not None:
            task.pending = (key, write)
            self.strategy.observe_pending(task.tid, key, write)  # type: ignore[attr-defined]
        self.step += 1
        if self.step > self.max_steps:
            self._livelock(task)
        # A thread that only reads or polls while others could run may be spinning: after
        # FAIR_QUANTUM such steps it lets another thread run. A data write is progress.
        task.run_len = 0 if progress else task.run_len + 1
        nxt = self._choose(task)
        if nxt is not task:
            assert nxt is not None
            self._hand_off(task, nxt)
        self.in_engine = False

    def solo_step(self, task: Task, progress: bool) -> None:
        """A shared access while the main thread is alone: no decision, no event, but the
        step counts (livelock, fairness) and the virtual clock moves, exactly as at a
        scheduling point with nobody else to run (a verbose replay takes that path)."""
        if self.stopping:
            raise Abort
        self.step += 1
        self.clock += STEP_TIME
        if self.step > self.max_steps:
            self._livelock(task)
        task.run_len = 0 if progress else task.run_len + 1

    # ---- objects named by id ---------------------------------------------------------

    def track(self, obj: Any) -> None:
        """``obj``'s id names shadow memory from now on: make the observers forget it when
        ``obj`` dies, before another object can take its id. Never keeps ``obj`` alive
        where a weak reference can do (instances, classes, functions, modules); the built-in
        containers that take none are held until a sweep finds no other reference."""
        oid = id(obj)
        if oid in self._tracked:
            return
        try:
            self._tracked[oid] = weakref.KeyedRef(obj, self._died, oid)
        except TypeError:
            self._tracked[oid] = obj
            self._strong += 1
            if self._strong >= self._sweep_at:
                self.sweep()

    def _died(self, ref: Any) -> None:
        # (a weak-reference callback may run anywhere, even inside an observer: only note it)
        if self._tracked.get(ref.key) is ref:
            del self._tracked[ref.key]
            self._dead.append(ref.key)

    def sweep(self) -> None:
        """Drop the strongly held objects that nothing else refers to any more."""
        tracked = self._tracked
        dead = []
        for oid in list(tracked):
            # (references: the table, ``tracked[oid]`` passed here, and nothing else)
            if type(tracked[oid]) is not weakref.KeyedRef and sys.getrefcount(tracked[oid]) <= 2:
                dead.append(oid)
        for oid in dead:
            del tracked[oid]
        self._strong -= len(dead)
        self._dead.extend(dead)
        self._sweep_at = max(_SWEEP_MIN, 2 * self._strong)

    def _collecting(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start" and self._strong and not self.in_engine:
            self.sweep()

    def forget_dead(self) -> None:
        """Tell the observers which objects died since the last access event."""
        dead, self._dead = set(self._dead), []
        for oid in dead:
            self.aliases.pop(oid, None)
        for obs in self.observers:
            forget = getattr(obs, "forget", None)
            if forget is not None:
                forget(dead)
    def note_op(self, task: Task, key: Hashable, write: bool = True) -> None:
        """``task`` did ``key`` in the middle of its step, without a scheduling point (for DPOR)."""
        if self.step_hook is not None:
            self.strategy.observe_op(task.tid, key, write)  # type: ignore[attr-defined]

    def note_sync(self, task: Task, key: Hashable) -> None:
        """``task`` just released ``key`` (a lock release, a notify, its own end), for DPOR."""
        if self.step_hook is not None:
            self.strategy.observe_sync(task.tid, key)  # type: ignore[attr-defined]

    def block(self, task: Task, ready: Callable[[], bool], what: str, timeout: float | None = None,
              key: Hashable = None) -> bool:
        """Park ``task`` until ``ready()``; False when the virtual-clock timeout elapsed first.

        ``key``, when given, is what the task does once woken (for DPOR); by default it is
        the operation announced at its last scheduling point.
        """
        if self.stopping:
            raise Abort
        if key is not None and self.step_hook is not None:
            task.pending = (key, True)
            self.strategy.observe_pending(task.tid, key, True)  # type: ignore[attr-defined]
        if ready():
            return True
        if timeout is not None and timeout <= 0:
            return False
        self.in_engine = True
        task.state = BLOCKED
        task.ready = ready
        task.deadline = None if timeout is None else self.clock + timeout
        task.timed_out = False
        task.waiting_for = what
        self.blocked += 1
        self.step += 1
        if self.step > self.max_steps:
            self._livelock(task)
        nxt = self._choose(task)
        if nxt is None:
            self._deadlock(task)
        if nxt is task:
            self._activate(task)  # woken at once: its own deadline was the next thing to happen
        else:
            self._hand_off(task, nxt)
        self.in_engine = False
        return not task.timed_out

    def _activate(self, task: Task) -> None:
        self.in_engine = False
        if task.state is BLOCKED:
            self.blocked -= 1
            task.state = RUNNABLE
            task.timed_out = not (task.ready is not None and task.ready())
            task.ready = None
            task.deadline = None
        self.current = task

    def _hand_off(self, task: Task, nxt: Task) -> None:
        self._activate(nxt)
        task.run_len = 0
        nxt.wake.release()
        if task.tid == 0:
            while not task.wake.acquire(True, self.hang_timeout):
                self._hung(self.current or task)
                self.stopping = True
                raise Abort
        else:
            task.wake.acquire()
        if task.abort:
            raise Abort

    def _eligible(self) -> list[int]:
        clock = self.clock
        return [t.tid for t in self.tasks if t.eligible(clock)]

    def _choose(self, task: Task) -> Task | None:
        """Pick the next task; ``task`` is the one at the point (maybe blocked or done)."""
        self.clock += STEP_TIME
        tasks = self.tasks
        if self.blocked == 0:
            ids = [t.tid for t in tasks if t.state is RUNNABLE]
        else:
            ids = self._eligible()
            if ids and self.step - self.last_advance > SPIN_STEPS_BEFORE_TIMEOUT and self._advance_clock():
                ids = self._eligible()
        if not ids:
            if not self._advance_clock():
                return None
            ids = self._eligible()
        if len(ids) == 1:
            nxt = tasks[ids[0]]
            if nxt is not task:
                task.run_len = 0
            if self.step_hook is not None:
                self.step_hook(nxt.tid, nxt.pending, False)
            return nxt
        current = task.tid if task.state is RUNNABLE else None
        if current is not None and task.run_len >= FAIR_QUANTUM:
            ids.remove(current)
            current = None
            if len(ids) == 1:
                nxt = tasks[ids[0]]
                if self.step_hook is not None:
                    self.step_hook(nxt.tid, nxt.pending, False)
                return nxt
        try:
            tid = self.strategy.next_task(ids, current)
        except RacelabError as exc:
            self.fail_with_error(exc)
        self.choices.append(tid)
        if current is not None and tid != current:
            self.preemptions += 1
        nxt = tasks[tid]
        if self.step_hook is not None:
            self.step_hook(tid, nxt.pending, True)
        return nxt

    def _advance_clock(self) -> bool:
        deadlines = [t.deadline for t in self.tasks if t.state is BLOCKED and t.deadline is not None]
        if not deadlines:
            return False
        self.clock = max(self.clock, min(deadlines))
        self.last_advance = self.step
        return True

    # ---- failures --------------------------------------------------------------------

    def _deadlock(self, task: Task) -> None:
        self._record_deadlock(task)
        self.stopping = True
        if task.tid == 0:
            raise Abort
        self._wake_main_for_stop()
        task.state = RUNNABLE
        task.abort = True
        task.wake.acquire()
        raise Abort

    def _record_deadlock(self, task: Task) -> None:
        if self.failure is None:
            waiting = [t for t in self.tasks if t.state is BLOCKED]
            if len(waiting) == 1 and waiting[0].tid == 0 and waiting[0].waiting_for.startswith("the end"):
                message = "deadlock: the main thread waits for threads that can never run"
            else:
                message = "deadlock: every live thread is blocked"
            self.failure = RawFailure(FailureKind.DEADLOCK, message, task.name,
                                      details=[self._describe_blocked(t) for t in waiting])

    def fail_with_error(self, error: RacelabError) -> "NoReturn":
        """A problem with the scenario or racelab itself, not a finding: stop and raise it from explore."""
        if self.error is None:
            self.error = error
        self.stop_quietly()

    def stop_quietly(self) -> "NoReturn":
        """End this execution now from the task holding the baton (torn down like a failure)."""
        self.stopping = True
        task = getattr(_tls, "task", None)
        if task is None or task.tid == 0:
            raise Abort
        self._wake_main_for_stop()
        task.abort = True
        task.wake.acquire()
        raise Abort

    def _livelock(self, task: Task) -> None:
        if self.failure is None:
            self.failure = RawFailure(
                FailureKind.LIVELOCK,
                f"livelock: no thread finished within {self.max_steps} scheduling steps "
                "(raise --max-steps if the scenario is just long)", task.name)
        self.stopping = True
        if task.tid == 0:
            raise Abort
        self._wake_main_for_stop()
        task.abort = True
        task.wake.acquire()
        raise Abort

    def _describe_blocked(self, task: Task) -> str:
        where = ""
        worker = task.worker
        frames = current_frames()
        frame = None
        if task.tid == 0:
            frame = frames.get(self.main_ident)
        elif worker is not None:
            for ident, fr in frames.items():
                if _frame_runs_worker(fr, worker):
                    frame = fr
                    break
        user = user_frame(frame)
        if user is not None:
            where = f" at {_site(user)}"
        return f"{task.name} waits for {task.waiting_for}{where}"

    # ---- events ----------------------------------------------------------------------

    def hb_release(self, task: Task, sync: Hashable) -> None:
        for obs in self.observers:
            obs.release(task.tid, sync)

    def hb_acquire(self, task: Task, sync: Hashable) -> None:
        for obs in self.observers:
            obs.acquire(task.tid, sync)

    def record_point(self, task: Task, op: str, location: str | None, frame: FrameType | None) -> None:
        """Verbose mode only: append a trace step for the point about to happen."""
        if not self.verbose:
            return
        if self._later is not None:
            self._resolve_later()
        if frame is None:
            frame = user_frame(sys._getframe(1))
        if frame is not None:
            file, line = frame.f_code.co_filename, frame.f_lineno
            source = linecache.getline(file, line).strip()
        else:
            file, line, source = "<racelab>", 0, ""
        self.trace.append(TraceStep(len(self.trace) + 1, task.name, file, line, source, op, location))

    def note_unseen(self, key: str, text: str) -> None:
        """Record something this execution did that racelab cannot observe (see ``unseen``)."""
        if key not in self.unseen:
            self.unseen[key] = text

    def note_value_later(self, value: Callable[[], str]) -> None:
        """Verbose mode: the last step's value is known only once the access is done (a store
        made by the program's own frame): ``value()`` tells it at the next step."""
        if self.verbose and self.trace:
            self._later = (len(self.trace) - 1, value)

    def _resolve_later(self) -> None:
        later, self._later = self._later, None
        if later is None:
            return
        index, value = later
        try:
            text = value()
        except Exception:  # noqa: BLE001 - the trace is best effort; the program is not
            return
        last = self.trace[index]
        self.trace[index] = TraceStep(last.step, last.thread, last.file, last.line, last.source,
                                      f"{last.op} {text}", last.location)

    def note_value(self, text: str) -> None:
        if self.verbose and self.trace:
            last = self.trace[-1]
            self.trace[-1] = TraceStep(last.step, last.thread, last.file, last.line, last.source,
                                       f"{last.op} {text}", last.location)


def current_frames() -> dict[int, FrameType]:
    """``sys._current_frames()`` with the garbage collector held off: CPython collects inside it
    while holding its list of thread states locked, and a ``threading.local`` freed by that
    collection takes the same lock again, which hangs the whole process (GIL included)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return sys._current_frames()
    finally:
        if enabled:
            gc.enable()


def _frame_runs_worker(frame: FrameType | None, worker: "_Worker") -> bool:
    while frame is not None:
        if frame.f_code is _Worker._loop.__code__:
            return frame.f_locals.get("self") is worker
        frame = frame.f_back
    return False


def is_engine_file(filename: str) -> bool:
    return filename.startswith(_ENGINE_DIRS) or filename.startswith("<frozen") or filename.endswith(
        ("/threading.py", "/queue.py", "/concurrent/futures/_base.py", "/concurrent/futures/thread.py"))


def user_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame that belongs to the program, not to racelab or the stdlib it models."""
    while frame is not None and is_engine_file(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def _site(frame: FrameType) -> str:
    file = frame.f_code.co_filename
    line = frame.f_lineno
    source = linecache.getline(file, line).strip()
    rel = _relpath(file)
    return f"{rel}:{line}" + (f"  `{source}`" if source else "")


@functools.lru_cache(maxsize=512)
def _relpath(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# --------------------------------------------------------------------------------------
# The extension API (used by racelab.atomic, racelab.sync.net, ...)


def schedule_point(what: str) -> None:
    """A plain scheduling point (no-op when not exploring)."""
    ex = _active
    if ex is None:
        return
    task = getattr(_tls, "task", None)
    if task is None:
        return
    ex.schedule(task)
    if ex.verbose:
        ex.record_point(task, what, None, None)


def atomic_op(obj: Any, what: str) -> None:
    """Call right before an operation that is atomic on ``obj``."""
    ex = _active
    if ex is None:
        if live is not None:
            live.atomic(-1, id(obj))
        return
    task = getattr(_tls, "task", None)
    if task is None:
        return
    ex.schedule(task, id(obj), True)
    if ex.verbose:
        ex.record_point(task, what, None, None)
    ex.keepalive.append(obj)
    for obs in ex.observers:
        obs.atomic(task.tid, id(obj))


def note_unseen(key: str, text: str) -> None:
    """The running scenario did something racelab cannot observe: its verdict becomes
    ``inconclusive`` (``text``: one line saying what was not seen and how to fix that).
    No-op when not exploring."""
    ex = _active
    if ex is not None and key not in ex.unseen:
        ex.unseen[key] = text


def wait_until(ready: Callable[[], bool], what: str, timeout: float | None = None) -> bool:
    """Block the current controlled task until ``ready()`` (polled at every decision)."""
    ex = _active
    task = None if ex is None else getattr(_tls, "task", None)
    if task is None or ex is None:
        deadline = None if timeout is None else _real_monotonic() + timeout
        while not ready():
            if deadline is not None and _real_monotonic() >= deadline:
                return False
            _time.sleep(0.0005)
        return True
    ex.schedule(task)
    if ex.verbose:
        ex.record_point(task, f"wait for {what}", None, None)
    return ex.block(task, ready, what, timeout)


def release(sync: Hashable) -> None:
    """Everything the calling thread did so far happens before a later ``acquire(sync)``.

    For code that hands work over through channels racelab does not model itself (an
    epoll registration, bytes sent on a socket): ``release`` at the hand-over,
    ``acquire`` where it is received.
    """
    ex = _active
    if ex is None:
        if live is not None:
            live.release(-1, sync)
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        ex.hb_release(task, sync)


def acquire(sync: Hashable) -> None:
    """The calling thread now sees everything done before the matching ``release(sync)``."""
    ex = _active
    if ex is None:
        if live is not None:
            live.acquire(-1, sync)
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        ex.hb_acquire(task, sync)
