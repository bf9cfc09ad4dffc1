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
* Every release of another task's wake lock happens under ``_guard`` (a token taken once
  per switch, never per step), so that the watchdog can take the baton from a task that is
  stuck without racing with that task coming back.

Nothing hangs
-------------
A controlled thread can leave racelab's sight: it blocks in a real call (a real lock made
before exploring and held by a task that racelab parked, a pipe, a child process) or
loops in code that is not instrumented. It holds the baton meanwhile, so nothing else
moves. The *watchdog*, one real thread per process that belongs to no execution, looks at
the active execution every 50 ms. When the step counter has not moved for
``stall_timeout`` seconds (shorter once the execution was asked to stop: a time limit or
Ctrl-C), it acts:

* a stuck worker task is *lost*: it is marked so and the main task is woken to tear the
  rest down. Whenever the lost thread comes back into racelab it sees ``lost``, forgets that
  it was controlled (``_tls.task = None``) and unwinds as an ordinary thread; its OS thread
  then ends instead of being reused. One that keeps using CPU (a loop that never reaches
  racelab) is stopped with an asynchronous ``Abort``; one blocked in a call is not (the
  exception could land between a lock's ``acquire`` and its ``try``);
* a stuck main task (it runs on the explorer's own thread, which must come back) is
  interrupted by a signal whose handler raises ``Abort`` (only in user code: inside
  racelab the task is about to see ``stopping`` anyway); where no signal can be used, by
  an asynchronous exception. If even that fails, ``Watchdog.give_up`` (set by the CLI)
  ends the process with the results so far.

Either way the execution is *cut* (``Execution.cut``): it is not graded, the explorer
stops, and the place where the thread was stuck is recorded as something racelab did not
see (the verdict is then ``inconclusive``), once.

Rejected: a timeout per torn-down task (each hang cost the timeout again, and a stuck main
task was never noticed); polling from the main task (it is the one that can be stuck).
"""

from __future__ import annotations

import _thread
import contextlib
import enum
import functools
import gc
import itertools
import linecache
import os
import signal
import sys
import time as _time
import types
import weakref
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Hashable, NoReturn, Sequence

from racelab._core.events import Observer, Op
from racelab.errors import REPORT_URL, RacelabError, ScenarioError

if TYPE_CHECKING:
    from racelab.strategies.base import Strategy, Watcher

_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident
_start_new_thread = _thread.start_new_thread
_real_monotonic = _time.monotonic
_real_sleep = _time.sleep
_get_native_id = _thread.get_native_id

#: Consecutive read-only steps a task may take while others are runnable before it must
#: let one of them run (fairness for spin loops such as Peterson's lock).
FAIR_QUANTUM = 64
#: Steps without the virtual clock moving and without any thread writing shared data, while
#: timed waiters exist, before the clock jumps to the earliest deadline (a spin loop that
#: waits for a sleeper makes progress; threads that are busy working do not see timeouts
#: expire under them).
SPIN_STEPS_BEFORE_TIMEOUT = 512
#: Virtual time one scheduling step takes.
STEP_TIME = 1e-6
#: The virtual wall clock starts here (2025-01-01T00:00:00Z).
EPOCH = 1735689600.0
#: Strongly held objects (see ``Execution.track``) before the first sweep.
_SWEEP_MIN = 1024
#: Real seconds without a scheduling step before the running thread counts as stuck.
STALL_TIMEOUT = 2.0
#: ... once its execution was asked to stop (a time limit ran out, Ctrl-C was pressed).
STOP_GRACE = 0.25

_RACELAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ENGINE_DIRS = tuple(
    os.path.join(_RACELAB_DIR, d) + os.sep for d in ("_core", "sync", "strategies", "instrument", "detect")
) + tuple(os.path.join(_RACELAB_DIR, f) for f in (
    "atomic.py", "pytest_api.py", "instrumented.py", "hypothesis.py", "lincheck.py"))


#: Values whose ids never name shared state.
_ATOMS = frozenset({int, float, complex, str, bytes, bool, type(None), range, slice})

#: Operation keys for partial-order reduction: ``ANY`` conflicts with every operation,
#: ``NO_OP`` with none (a pure yield, or a new thread's first step).
ANY = "*"
NO_OP = None


class Abort(BaseException):
    """Raised inside a controlled task to unwind it when its execution is torn down."""


class Cut(enum.Enum):
    """Why an execution ended before its scenario did; a cut execution is not graded."""

    INTERRUPT = "interrupted"
    TIME_LIMIT = "out of time"
    STUCK = "a thread was stuck"


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
                 "abort", "run_len", "waiting_for", "daemon", "worker", "body", "ident", "pending", "lost",
                 "guarded", "shown")

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
        #: What it waits for: a text, or a function giving it now (a lock's *current* holder).
        self.waiting_for: str | Callable[[], str] = ""
        self.worker: _Worker | None = None
        self.body: Callable[[], None] | None = None
        self.ident = 0x7E0000 + tid
        #: What the task does when it next runs, for DPOR: (key, write, guard) (see ``wait_point``),
        #: announced at its scheduling point.
        self.pending: tuple[Hashable, bool, Any] = (NO_OP, False, None)
        #: Parked at a guarded scheduling point (``wait_point``): it may go on as soon as ``ready()``.
        self.guarded = False
        #: Its ``pending`` step was shown to the watcher as running (a task blocked since shows
        #: it again when woken: the continuation of a ``block`` without a key of its own).
        self.shown = False
        #: Given up by the watchdog: stuck outside racelab's control (see "Nothing hangs").
        self.lost = False

    def eligible(self, clock: float) -> bool:
        if self.state is RUNNABLE:
            return True
        if self.state is BLOCKED:
            if self.deadline is not None and clock >= self.deadline:
                return True
            return self.ready is not None and self.ready()
        return False

    def waits_for(self) -> str:
        what = self.waiting_for
        return what if type(what) is str else what()  # type: ignore[operator]

    def is_done(self) -> bool:
        return self.state is DONE

    def __repr__(self) -> str:
        return f"<Task {self.tid} {self.name!r} {self.state.value}>"


# --------------------------------------------------------------------------------------
# Worker OS threads, reused across executions


class _Worker:
    """A parked OS thread that runs one task body at a time, for any number of executions."""

    __slots__ = ("wake", "task", "os_ident", "native_id")

    def __init__(self) -> None:
        self.wake = _allocate_lock()
        self.wake.acquire()
        self.task: Task | None = None
        self.native_id = 0
        self.os_ident: int = _start_new_thread(self._loop, ())

    def _loop(self) -> None:
        self.native_id = _get_native_id()
        while True:
            self.wake.acquire()
            task = self.task
            if task is None:  # retired
                return
            if not _run_task(task):
                return  # its task was lost: this thread is not reused


_idle_workers: list[_Worker] = []


def _get_worker() -> _Worker:
    if _idle_workers:
        return _idle_workers.pop()
    return _Worker()


def _run_task(task: Task) -> bool:
    """Run one task body on this worker thread; False when the task was lost on the way."""
    ex = _active
    assert ex is not None
    _tls.task = task
    try:
        try:
            if task.abort:
                raise Abort
            assert task.body is not None
            task.body()
        except Abort:
            pass
        except BaseException as exc:  # noqa: BLE001 - any exception in a thread is a finding
            if not task.lost:
                ex.task_crashed(task, exc)
        finally:
            _tls.task = None
            ex.task_finished(task)
    except BaseException:
        if not task.lost:
            raise
        # an asynchronous Abort that arrived late in a lost task: nobody waits for it
    return not task.lost


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
    task = getattr(_tls, "task", None)
    if task is not None and task.lost:
        _tls.task = None  # given up by the watchdog: from now on an ordinary thread
        return None
    return task


#: The right to release another task's wake lock, held by the watchdog while it takes the baton
#: from a stuck task (see the module docstring): one token in a list, taken with ``pop()`` and
#: given back with ``append()``. Both are atomic under the GIL and far cheaper than a lock's
#: ``acquire``, which parses its arguments, on the path of every switch.
_token: list[None] = [None]


def _wait_for_token() -> None:
    """The watchdog holds the token for a moment: wait for it. (Were it lost, to an exception
    raised between ``pop`` and ``try``, waiting a second makes it anew.)"""
    end = _real_monotonic() + 1.0
    while True:
        _real_sleep(0.0002)
        try:
            _token.pop()
            return
        except IndexError:
            if _real_monotonic() > end:
                return


class _Guard:
    """``with _guard:`` holds the token."""

    __slots__ = ()

    def __enter__(self) -> None:
        try:
            _token.pop()
        except IndexError:
            _wait_for_token()

    def __exit__(self, *exc: object) -> None:
        _token.append(None)


_guard = _Guard()


def _stop_here(task: Task) -> "NoReturn":
    """Unwind ``task``: its execution is ending. A lost task unwinds as an ordinary thread."""
    if task.lost and getattr(_tls, "task", None) is task:
        _tls.task = None
    raise Abort


class Execution:
    """One run of a scenario under one schedule."""

    def __init__(
        self,
        strategy: "Strategy",
        *,
        max_steps: int,
        observers: Sequence[Observer] = (),
        verbose: bool = False,
        stall_timeout: float = STALL_TIMEOUT,
        max_threads: int = 64,
    ) -> None:
        self.max_threads = max_threads
        #: What the strategy watches the execution with (see ``racelab.strategies.base.Watcher``).
        self.watcher: Watcher | None = getattr(strategy, "watcher", None)
        #: key -> the state of the guarded object it names (a lock: free?), for the watcher.
        self.guards: dict[Hashable, Callable[[], Any]] = {}
        self.error: RacelabError | None = None
        self.strategy = strategy
        self.max_steps = max_steps
        self.observers = tuple(observers)
        self.verbose = verbose
        #: Real seconds without a step before the running thread counts as stuck (the watchdog).
        self.stall_timeout = stall_timeout
        self.tasks: list[Task] = []
        self.names: dict[int, str] = {}
        self.current: Task | None = None
        self.step = 0
        self.clock = 0.0
        self.last_advance = 0
        self.last_progress = 0
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
        self.main_ident = 0

        #: Set when the execution was ended early (Ctrl-C, the time limit, a stuck thread).
        self.cut: Cut | None = None
        #: The scenario function returned and every non-daemon thread ended: its outcome counts.
        self.finished = False
        #: The scenario is over (strategy bookkeeping, teardown): the watchdog looks away.
        self.ending = False
        #: The watchdog asks the stuck main task to raise ``Abort`` (see ``_on_watchdog_signal``).
        self.interrupt_main = False
        #: Where the thread given up by the watchdog was ("thread T was at file:line ...").
        self.stuck_at = ""
        #: Every failure of this execution, in order (more than one only with ``keep_going``).
        self.failures: list[RawFailure] = []

    # (Slots: every ``self.x`` of the hot path stays fast however many fields there are;
    # CPython 3.11 keeps plain instance attributes inline only up to 30 names.)
    __slots__ = ("max_threads", "watcher", "guards", "error", "strategy", "max_steps", "observers", "verbose",
                 "stall_timeout", "tasks", "names", "current", "step", "clock", "last_advance", "last_progress",
                 "choices", "preemptions", "trace", "failure", "stopping", "thread_counter", "blocked",
                 "keepalive", "solo", "in_engine", "aliases", "_tracked", "_strong", "_sweep_at", "_dead",
                 "_later", "result", "_teardown_lock", "serial", "unseen", "main_ident", "cut", "finished",
                 "ending", "interrupt_main", "stuck_at", "failures", "__weakref__")

    #: A thread that fails ends alone, and the others run on to their end (as threads do outside
    #: racelab), instead of the execution stopping at the first failure. Off for exploring,
    #: where the first failure ends the search; on to see every behaviour of every execution
    #: (the differential test of dpor against exhaustive dfs).
    keep_going = False

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
        if not watchdog.running:
            watchdog.start()
        _active = self
        _tls.task = main
        try:
            try:
                self.result = fn()
                self._wait_for_non_daemon(main)
                self.finished = True
            except Abort:
                pass
            except KeyboardInterrupt:
                # Ctrl-C reaches the main thread, maybe while another task holds the baton:
                # let that task stop at its next scheduling point, then unwind everything.
                self.stopping = True
                if self.cut is None:
                    self.cut = Cut.INTERRUPT
                if self.current is not main:
                    main.wake.acquire(True, self.stall_timeout)
                self._tear_down(main)
                raise
            except BaseException as exc:  # noqa: BLE001
                self._record_crash(main, exc)
                if self.keep_going and not self.stopping:
                    with contextlib.suppress(Abort):  # (a deadlock among the others)
                        self._wait_for_non_daemon(main)
            self.ending = True
            self._tear_down(main)
        finally:
            _tls.task = None
            _active = None
            main.state = DONE
            if self._later is not None:
                self._resolve_later()
            if self._tracked:
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
        if self.watcher is not None:
            self._observe_end()
        self.stopping = True
        self.ending = True
        for task in self.tasks:
            if task is main or task.state is DONE or task.lost:
                continue
            task.abort = True
            task.wake.release()
            if not self._teardown.acquire(True, self.stall_timeout):
                with _guard:
                    if task.state is DONE:  # it finished just now
                        self._teardown.acquire()
                        continue
                    self.lose(task, f"did not finish unwinding within {self.stall_timeout:g} s")
        self.keepalive.clear()

    def lose(self, task: Task, how: str | None) -> None:
        """Give ``task`` up (the caller holds ``_guard``): it is stuck where racelab cannot reach it."""
        task.lost = True
        task.abort = True
        self.stopping = True
        if self.cut is None:
            self.cut = Cut.STUCK
        self.note_stuck(task, how)
        if task.worker is not None:
            watchdog.follow(task.worker)

    def note_stuck(self, task: Task, how: str | None) -> None:
        """Record where ``task`` is stuck (``stuck_at``) and, when ``how`` says how it was stuck,
        once per execution, as something racelab did not see: the verdict becomes inconclusive."""
        if self.stuck_at:
            return
        ident = self.main_ident if task.tid == 0 else (task.worker.os_ident if task.worker else 0)
        frame = current_frames().get(ident)
        where = stuck_site(frame)
        self.stuck_at = f"thread {task.name} was at {where}"
        if how is None:
            return
        lock = real_lock_waited_for(user_frame(frame))
        if lock:
            why = (f"waiting for {lock}, a real lock made before exploring that racelab does not control (a "
                   "thread racelab parked probably holds it)")
        else:
            why = ("in code racelab does not control (a real lock made before exploring and held by a thread "
                   "racelab parked, a real blocking call, or a loop in uninstrumented code)")
        self.note_unseen(f"stuck:{where}", f"thread {task.name} {how}; it is at {where}, {why}; "
                         "the schedule was abandoned")

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
        if self.watcher is not None:
            self.guards[("end", task.tid)] = task.is_done
            self.watcher.observe_spawn(parent.tid, task.tid, self._handed_over(thread))
        return task

    def _handed_over(self, thread: Any) -> list[int]:
        """The objects a new thread is given (its target's closure and arguments, and one level
        into containers among them), in a fixed order: DPOR names them at the start, so that an
        object first used later has the same name in every execution."""
        roots: list[Any] = [thread]
        target = getattr(thread, "_target", None)
        if target is not None:
            roots.append(target)
            func = getattr(target, "__func__", target)
            roots.append(getattr(target, "__self__", None))
            for cell in getattr(func, "__closure__", None) or ():
                try:
                    roots.append(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
        roots.extend(getattr(thread, "_args", None) or ())
        roots.extend((getattr(thread, "_kwargs", None) or {}).values())
        found: list[int] = []
        seen: set[int] = set()

        def add(obj: Any) -> None:
            if obj is None or type(obj) in _ATOMS or id(obj) in seen:
                return
            seen.add(id(obj))
            self.watch(obj)
            found.append(id(obj))

        for root in roots:
            add(root)
        for root in list(roots):
            tp = type(root)
            if tp is list or tp is tuple or tp is set or tp is frozenset:
                items: Any = root
            elif tp is dict:
                items = root.values()
            else:
                state = getattr(root, "__dict__", None)  # an instance's attributes (a Condition's lock)
                if type(state) is not dict or isinstance(root, (type, types.ModuleType, types.FunctionType)):
                    continue
                items = [v for v in state.values() if not callable(v)]
            for k, item in enumerate(items):
                if k >= 4096:
                    break
                add(item)
        return found

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
        if self.failure is not None and not self.keep_going:
            return
        kind = FailureKind.ASSERTION if isinstance(exc, AssertionError) else FailureKind.EXCEPTION
        text = str(exc)
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        failure = RawFailure(kind, message.splitlines()[0] if message else message, task.name, exc)
        self.failures.append(failure)
        if self.failure is None:
            self.failure = failure
        if not self.keep_going:
            self.stopping = True

    def task_finished(self, task: Task) -> None:
        """Called on the task's own OS thread as its body ends (normally or not)."""
        worker = task.worker
        if self.stopping or task.lost:
            with _guard:  # the main task's teardown, or the watchdog, may be deciding about it now
                task.state = DONE
                if task.lost:  # given up by the watchdog: nobody waits for this thread any more
                    return
                if self.current is not task:
                    # Torn down from outside: report back to the main task and go idle.
                    self._release_worker(worker)
                    self._teardown.release()
                    return
        self.note_sync(task, ("end", task.tid))
        task.state = DONE
        self.hb_release(task, ("end", task.tid))
        if self.stopping:
            self._finish_and_wake_main(task, worker)
            return
        self.record_point(task, "finish", None, None)
        try:
            nxt = self._choose(task)
        except Abort:  # the strategy failed (a nondeterministic scenario) at this point
            self._finish_and_wake_main(task, worker)
            return
        try:  # ``with _guard:``, inline: this is every thread's end
            _token.pop()
        except IndexError:
            _wait_for_token()
        try:
            if task.lost:
                return
            self._release_worker(worker)
            if nxt is None:
                self._record_deadlock(task)
                self._wake_main_locked()
                return
            self._activate(nxt)
            nxt.wake.release()
        finally:
            _token.append(None)

    def _finish_and_wake_main(self, task: Task, worker: "_Worker | None") -> None:
        with _guard:
            if task.lost:
                return
            self._release_worker(worker)
            self._wake_main_locked()

    def _release_worker(self, worker: "_Worker | None") -> None:
        if worker is not None:
            worker.task = None
            _idle_workers.append(worker)

    def _wake_main_locked(self) -> None:
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
        if self.stopping or task.abort:
            _stop_here(task)
        if self.in_engine:  # inside racelab's own bookkeeping (a finalizer, a repr for the trace)
            return
        self.in_engine = True
        if self.watcher is not None:
            task.pending = (key, write, None)
            task.shown = False
        self.step += 1
        if self.step > self.max_steps:
            self._livelock(task)
        # A thread that only reads or polls while others could run may be spinning: after
        # FAIR_QUANTUM such steps it lets another thread run. A data write is progress.
        if progress:
            task.run_len = 0
            self.last_progress = self.step
        else:
            task.run_len += 1
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
        if progress:
            task.run_len = 0
            self.last_progress = self.step
        else:
            task.run_len += 1

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
        if phase == "start" and info.get("generation") == 2 and self._strong and not self.in_engine:
            self.sweep()


    def watch(self, obj: Any) -> None:
        """``obj``'s id is about to name an object for the watcher (DPOR): make it forget the ids of
        objects that died first, so a new object with an old id gets a name of its own."""
        if self._dead:
            self.forget_dead()
        if id(obj) not in self._tracked:
            self.track(obj)

    def forget_dead(self) -> None:
        """Tell the observers which objects died since the last access event."""
        dead, self._dead = set(self._dead), []
        for oid in dead:
            self.aliases.pop(oid, None)
        if self.watcher is not None:
            self.watcher.forget(dead)
        for obs in self.observers:
            forget = getattr(obs, "forget", None)
            if forget is not None:
                forget(dead)

    def note_op(self, task: Task, key: Hashable, write: bool = True) -> None:
        """``task`` does ``key`` in the middle of its step, without a scheduling point (for DPOR);
        on a guarded object, call it before the object changes."""
        watcher = self.watcher
        if watcher is not None and not self.stopping:
            state = self.guards.get(key)
            watcher.observe_op(task.tid, (key, write, None if state is None else state()))

    def note_sync(self, task: Task, key: Hashable) -> None:
        """``task`` releases ``key`` (a lock release, a notify, its own end), for DPOR: a write of
        ``key`` that a step waiting for it never goes before (see ``wait_point``)."""
        self.note_op(task, key, True)

    def wait_point(self, task: Task, key: Hashable, write: bool, ready: Callable[[], bool], what: str | Callable[[], str],
                   timeout: float | None = None, opens: Callable[[Any], bool] | None = None) -> bool:
        """A guarded scheduling point: ``task`` is about to do ``key``, which it can only do once
        ``ready()`` (a blocking acquire: the lock is free). Until then the task is not runnable
        (a disabled step, not a decision). False when the virtual-clock ``timeout`` elapsed first.

        ``opens(state)``: whether the step could run in a state of the guarded object ``key``
        (registered in ``guards``), for DPOR to reverse a race only where the guard held.
        """
        if self.stopping or task.abort:
            _stop_here(task)
        if self.in_engine:
            return ready()
        self.in_engine = True
        if self.watcher is not None:
            task.pending = (key, write, None if opens is None else (key, opens))
            task.shown = False
        self.step += 1
        if self.step > self.max_steps:
            self._livelock(task)
        task.run_len += 1
        task.state = BLOCKED
        task.guarded = True
        task.ready = ready
        task.deadline = None if timeout is None else self.clock + timeout
        task.timed_out = False
        task.waiting_for = what
        self.blocked += 1
        nxt = self._choose(task)
        if nxt is None:
            self._deadlock(task)
        if nxt is task:
            self._activate(task)
        else:
            self._hand_off(task, nxt)
        self.in_engine = False
        return not task.timed_out

    def block(self, task: Task, ready: Callable[[], bool], what: str | Callable[[], str], timeout: float | None = None,
              key: Hashable = None, opens: Callable[[Any], bool] | None = None) -> bool:
        """Park ``task`` until ``ready()``; False when the virtual-clock timeout elapsed first.

        ``key``, when given, is what the task does once woken (for DPOR); by default it is
        the operation announced at its last scheduling point.
        """
        if self.stopping or task.abort:
            _stop_here(task)
        if key is not None and self.watcher is not None:
            task.pending = (key, True, None if opens is None else (key, opens))
            task.shown = False
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
            task.guarded = False
        self.current = task

    def _hand_off(self, task: Task, nxt: Task) -> None:
        try:  # ``with _guard:``, inline: this is every switch
            _token.pop()
        except IndexError:
            _wait_for_token()
        try:
            if task.lost:  # given up while it was on its way here: it must not wake anyone
                _stop_here(task)
            self._activate(nxt)
            task.run_len = 0
            nxt.wake.release()
        finally:
            _token.append(None)
        task.wake.acquire()
        if task.abort:
            _stop_here(task)

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
            if ids and self.step - self.last_advance > SPIN_STEPS_BEFORE_TIMEOUT \
                    and self.step - self.last_progress > SPIN_STEPS_BEFORE_TIMEOUT and self._advance_clock():
                ids = self._eligible()
        if not ids:
            if not self._advance_clock():
                return None
            ids = self._eligible()
        if len(ids) == 1:
            nxt = tasks[ids[0]]
            if nxt is not task:
                task.run_len = 0
            if self.watcher is not None:
                self._observe_step(nxt, False)
            return nxt
        if task.state is RUNNABLE or (task.guarded and task.state is BLOCKED and task.tid in ids):
            current: int | None = task.tid
        else:
            current = None
        if current is not None and task.run_len >= FAIR_QUANTUM:
            ids.remove(current)
            current = None
            if len(ids) == 1:
                nxt = tasks[ids[0]]
                if self.watcher is not None:
                    self._observe_step(nxt, False)
                return nxt
        try:
            tid = self.strategy.next_task(ids, current)
        except RacelabError as exc:
            self.fail_with_error(exc)
        self.choices.append(tid)
        if current is not None and tid != current:
            self.preemptions += 1
        nxt = tasks[tid]
        if self.watcher is not None:
            self._observe_step(nxt, True)
        return nxt

    def _observe_step(self, task: Task, at_decision: bool) -> None:
        key, write, guard = task.pending
        task.shown = True
        if guard is not None and task.state is BLOCKED and not (task.ready is not None and task.ready()):
            guard = None  # a timeout elapsed: the step runs whatever the guard says
        state = self.guards.get(key)
        self.watcher.observe_step(task.tid, (key, write, None if state is None else state()), guard,  # type: ignore[union-attr]
                                  at_decision)

    def _observe_end(self) -> None:
        """The execution ends: show the watcher the next step of every thread still parked at a
        scheduling point (after a failure, a deadlock, or a daemon left running). Those steps never
        ran here, but another schedule may run them before steps that did."""
        parked = []
        for task in self.tasks:
            if task.state is DONE or task.lost or (task.shown and task.state is not BLOCKED):
                continue  # (shown and not blocked since: that step ran, its next is unknown)
            key, write, guard = task.pending
            if task.deadline is not None:
                guard = None  # a timed wait runs at its timeout whatever the guard says
            state = self.guards.get(key)
            parked.append((task.tid, (key, write, None if state is None else state()), guard))
        self.watcher.observe_end(parked)  # type: ignore[union-attr]

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
        task.state = RUNNABLE
        self._stop_from(task)

    def _stop_from(self, task: Task) -> "NoReturn":
        """A worker task ends the execution: it wakes the main task to tear everything down and
        parks until its own turn to unwind comes."""
        with _guard:
            if not task.lost:
                self._wake_main_locked()
        if task.lost:
            _stop_here(task)
        task.abort = True
        task.wake.acquire()
        raise Abort

    def _record_deadlock(self, task: Task) -> None:
        if self.failure is None or self.keep_going:
            waiting = [t for t in self.tasks if t.state is BLOCKED]
            if len(waiting) == 1 and waiting[0].tid == 0 and waiting[0].waits_for().startswith("the end"):
                message = "deadlock: the main thread waits for threads that can never run"
            else:
                message = "deadlock: every live thread is blocked"
            failure = RawFailure(FailureKind.DEADLOCK, message, task.name,
                                 details=[self._describe_blocked(t) for t in waiting])
            self.failures.append(failure)
            if self.failure is None:
                self.failure = failure

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
        self._stop_from(task)

    def _livelock(self, task: Task) -> None:
        if self.failure is None:
            self.failure = RawFailure(
                FailureKind.LIVELOCK,
                f"livelock: no thread finished within {self.max_steps} scheduling steps "
                "(raise --max-steps if the scenario is just long)", task.name)
        self.stopping = True
        if task.tid == 0:
            raise Abort
        self._stop_from(task)

    def _describe_blocked(self, task: Task) -> str:
        where = ""
        worker = task.worker
        ident = self.main_ident if task.tid == 0 else (worker.os_ident if worker is not None else 0)
        user = user_frame(current_frames().get(ident))
        if user is not None:
            where = f" at {_site(user)}"
        return f"{task.name} waits for {task.waits_for()}{where}"

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



def _collecting(phase: str, info: dict[str, int]) -> None:
    """The collector's callback (installed by an exploration world): a full collection may
    free the containers the running execution holds for its shadow memory (``Execution.sweep``)."""
    ex = _active
    if ex is not None and ex._strong:
        ex._collecting(phase, info)

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


_STDLIB = os.path.dirname(os.__file__) + os.sep
_SITE_PACKAGES = os.path.join(_STDLIB, "site-packages") + os.sep


def _in_stdlib(filename: str) -> bool:
    return filename.startswith(_STDLIB) and not filename.startswith(_SITE_PACKAGES)


def stuck_site(frame: FrameType | None) -> str:
    """Where a stuck thread is: its innermost frame outside racelab and, when that one is in
    the standard library, the innermost frame of the program that called it."""
    user = user_frame(frame)
    if user is None:  # only racelab and threading.py: the innermost frame outside racelab
        while frame is not None and frame.f_code.co_filename.startswith(_ENGINE_DIRS):
            frame = frame.f_back
        return "an unknown place" if frame is None else _site(frame)
    text = _site(user)
    if _in_stdlib(user.f_code.co_filename):
        outer = program_frame(user)
        if outer is not None:
            text += f" (called from {_site(outer)})"
    return text


_REAL_LOCK_TYPES = (_thread.LockType, _thread.RLock)


def real_lock_waited_for(frame: FrameType | None) -> str:
    """```name``` when the line ``frame`` is at takes a real lock by that name (``with name:``,
    ``name.acquire(...)``), "" otherwise. Names are looked up without running any code."""
    if frame is None:
        return ""
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    if line.startswith("with "):
        line = line[5:].lstrip()
    end = 0
    while end < len(line) and (line[end].isalnum() or line[end] in "_."):
        end += 1
    word, rest = line[:end], line[end:]
    if word.endswith(".acquire"):
        name, takes = word[:-len(".acquire")], rest.startswith("(")
    else:
        name, takes = word, rest.startswith((":", " as ", ","))
    if not name or not takes:
        return ""
    import inspect

    first, *attributes = name.split(".")
    try:
        namespace = frame.f_locals
        obj = namespace[first] if first in namespace else frame.f_globals[first]
        for attribute in attributes:
            obj = inspect.getattr_static(obj, attribute)
    except (KeyError, AttributeError):
        return ""
    return f"`{name}`" if issubclass(type(obj), _REAL_LOCK_TYPES) else ""


def program_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame that is neither racelab's nor the standard library's."""
    while frame is not None and (is_engine_file(frame.f_code.co_filename) or _in_stdlib(frame.f_code.co_filename)):
        frame = frame.f_back
    return frame


def program_site(frame: FrameType | None) -> str:
    """``file:line  `source``` of ``program_frame(frame)`` (else of ``user_frame``)."""
    found = program_frame(frame) or user_frame(frame)
    return "an unknown place" if found is None else _site(found)


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
# The watchdog and interrupts (see "Nothing hangs" above)


#: Set by the first Ctrl-C while exploring (``interrupt``): the explorer stops at its next chance.
interrupted = False
#: Raised in the explorer's thread to interrupt a stuck main task (a real-time signal: programs
#: hardly ever use one).
_WATCHDOG_SIGNAL: int | None = (signal.SIGRTMAX - 3) if hasattr(signal, "SIGRTMAX") and hasattr(
    signal, "pthread_kill") else None


class Watchdog:
    """A real thread, outside every execution, that ends the executions that stopped moving."""

    PERIOD = 0.05
    #: Seconds between two attempts to interrupt a stuck main task; after GIVE_UP_AFTER of them, give up.
    RETRY = 0.5
    GIVE_UP_AFTER = 4

    def __init__(self) -> None:
        #: Real ``time.monotonic()`` by which the running search must end (set by the explorer).
        self.deadline: float | None = None
        #: Called (on the watchdog's thread) with a one-line reason when a stuck main task cannot be
        #: interrupted: the CLI prints what it has and ends the process. None: keep trying.
        self.give_up: Callable[[str], None] | None = None
        #: What is being explored, for ``give_up``'s message.
        self.label = "the scenario"
        #: The thread on which ``_on_watchdog_signal`` is installed, if any.
        self.signal_ident: int | None = None
        self.running = False
        self._wake = _allocate_lock()
        self._wake.acquire()
        #: The workers of lost tasks -> the CPU time (clock ticks) they had used when last looked at.
        self._lost: dict[_Worker, int] = {}

    def follow(self, worker: _Worker) -> None:
        """Watch the OS thread of a lost task: if it keeps using CPU, it loops in code racelab does
        not see and is stopped with an asynchronous ``Abort``. One that waits in a blocking call
        is left alone: raised the moment that call returns, the exception could land between a
        lock's ``acquire()`` and the ``try`` that releases it, and leave the lock held forever;
        such a thread unwinds cleanly at its first scheduling point instead."""
        self._lost[worker] = _cpu_ticks(worker.native_id)

    def _look_at_lost(self) -> None:
        for worker, before in list(self._lost.items()):
            used = _cpu_ticks(worker.native_id)
            if used < 0:  # it came back and ended (or nobody can tell: leave it alone)
                del self._lost[worker]
            elif used - before >= 2:  # busy for 20 ms of the last 50: a loop
                del self._lost[worker]
                frame = current_frames().get(worker.os_ident)
                if _frame_runs_worker(frame, worker):  # still that thread, not a new one with its ident
                    _async_raise(worker.os_ident)
            else:
                self._lost[worker] = used

    def start(self) -> None:
        if not self.running:
            self.running = True
            _start_new_thread(self._loop, ())

    def poke(self) -> None:
        """Look at the active execution now (safe in a signal handler)."""
        try:
            self._wake.release()
        except RuntimeError:
            pass  # already poked

    def _loop(self) -> None:
        while True:
            try:
                self._watch()
            except Exception:  # noqa: BLE001 - a watchdog that dies would let the next hang be forever
                import traceback

                print("racelab internal error in the watchdog (it goes on watching; please report it at "
                      f"{REPORT_URL}):", file=sys.__stderr__)
                traceback.print_exc(file=sys.__stderr__)

    def _watch(self) -> None:
        mark: tuple[int, int] | None = None
        since = acted = 0.0
        tries = 0
        while True:
            self._wake.acquire(True, self.PERIOD)
            if self._lost:
                self._look_at_lost()
            ex = _active
            if ex is None or ex.ending:
                mark = None
                continue
            now = _real_monotonic()
            if (ex.serial, ex.step) != mark:
                mark, since, acted, tries = (ex.serial, ex.step), now, 0.0, 0
            deadline = self.deadline
            if deadline is not None and now >= deadline and ex.cut is None and not ex.stopping:
                ex.cut = Cut.TIME_LIMIT
                ex.stopping = True  # the running task stops at its next scheduling point
            patience = STOP_GRACE if ex.cut is not None else ex.stall_timeout
            if now - since < patience or now - acted < self.RETRY:
                continue
            acted = now
            tries += 1
            self._unstick(ex, mark[1], now - since, tries)

    def _unstick(self, ex: Execution, step: int, idle: float, tries: int) -> None:
        # Stopped from outside (time limit, Ctrl-C) a thread may just be in a long step: it is
        # reported as stuck only when it also went the whole stall timeout without a step.
        how = f"made no progress for {idle:.1f} s" if idle >= ex.stall_timeout else None
        with _guard:
            task = ex.current
            if _active is not ex or ex.step != step or ex.ending or task is None or task.state is DONE:
                return  # it moved after all
            if task.tid != 0:
                ex.lose(task, how)
                main = ex.tasks[0]
                main.abort = True
                ex.current = main
                main.wake.release()
                return
            if tries == 1:
                ex.stopping = True
                if ex.cut is None:
                    ex.cut = Cut.STUCK
                ex.note_stuck(task, how)
            ex.interrupt_main = True
        if tries > self.GIVE_UP_AFTER and self.give_up is not None:
            self.give_up(f"{self.label}: the main thread is stuck at {stuck_site(current_frames().get(ex.main_ident))}"
                         " and does not respond to interruption")
            return
        self._interrupt_main(ex)

    def _interrupt_main(self, ex: Execution) -> None:
        if _WATCHDOG_SIGNAL is not None and ex.main_ident == self.signal_ident:
            try:
                signal.pthread_kill(ex.main_ident, _WATCHDOG_SIGNAL)
                return
            except (OSError, ValueError):
                pass
        frame = current_frames().get(ex.main_ident)
        if frame is not None and not frame.f_code.co_filename.startswith(_ENGINE_DIRS):
            _async_raise(ex.main_ident)


watchdog = Watchdog()


def _cpu_ticks(native_id: int) -> int:
    """Clock ticks of CPU the thread ``native_id`` of this process has used (Linux); -1 when it
    is gone or this cannot be known. (Read from /proc, by kernel thread id: asking for the CPU
    clock of a pthread that may have ended is undefined behaviour.)"""
    try:
        fd = os.open(f"/proc/self/task/{native_id}/stat", os.O_RDONLY)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
        fields = data.rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return -1


def _frame_runs_worker(frame: FrameType | None, worker: _Worker) -> bool:
    while frame is not None:
        if frame.f_code is _Worker._loop.__code__:
            return frame.f_locals.get("self") is worker
        frame = frame.f_back
    return False


def _async_raise(ident: int) -> None:
    """Raise ``Abort`` in the thread ``ident`` as soon as it runs Python code again."""
    try:
        import ctypes

        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(Abort))
    except Exception:  # noqa: BLE001 - no ctypes here: the thread unwinds when it comes back
        pass


def _on_watchdog_signal(signum: int, frame: FrameType | None) -> None:
    """Raise ``Abort`` in a stuck main task, only in the program's code: inside racelab the task
    is about to see ``stopping`` by itself."""
    ex = _active
    if ex is None or not ex.interrupt_main or _get_ident() != ex.main_ident:
        return
    if frame is not None and frame.f_code.co_filename.startswith(_ENGINE_DIRS):
        return
    ex.interrupt_main = False
    raise Abort


def interrupt() -> None:
    """Stop exploring soon: the active execution ends at its next scheduling point (or is given
    up by the watchdog) and the explorer reports what it found so far. Safe in a signal handler."""
    global interrupted
    interrupted = True
    ex = _active
    if ex is not None and not ex.ending:
        if ex.cut is None:
            ex.cut = Cut.INTERRUPT
        ex.stopping = True
    watchdog.poke()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    if interrupted:
        raise KeyboardInterrupt  # the second Ctrl-C: at once
    interrupt()


class Interrupts:
    """While exploring on the main thread: the first Ctrl-C stops gracefully (``interrupt``), and
    the watchdog can interrupt a stuck main task. Re-entrant; restores the handlers it replaced."""

    def __init__(self) -> None:
        self._depth = 0
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> "Interrupts":
        global interrupted
        self._depth += 1
        if self._depth == 1:
            interrupted = False
            try:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    self._saved[signal.SIGINT] = signal.signal(signal.SIGINT, _on_sigint)
                if _WATCHDOG_SIGNAL is not None:
                    self._saved[_WATCHDOG_SIGNAL] = signal.signal(_WATCHDOG_SIGNAL, _on_watchdog_signal)
                    watchdog.signal_ident = _get_ident()
            except ValueError:  # not the main thread: no signals here
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            for signum, handler in self._saved.items():
                signal.signal(signum, handler)
            self._saved.clear()
            watchdog.signal_ident = None


interrupts = Interrupts()


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
    if ex.watcher is not None:
        ex.watch(obj)
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


class outside_control:  # noqa: N801 - used like a function: ``with control.outside_control():``
    """Run a block on a controlled thread as if it were not controlled: no scheduling point in
    it, real primitives and real time. The thread keeps the baton meanwhile, so the block is one
    opaque step (for calls into what racelab cannot schedule anyway, such as a child process)."""

    __slots__ = ("task",)

    def __enter__(self) -> None:
        self.task = getattr(_tls, "task", None)
        _tls.task = None

    def __exit__(self, *exc: object) -> None:
        _tls.task = self.task


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
