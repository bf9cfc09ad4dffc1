"""Linearizability checking: Hypothesis writes the programs, racelab runs their interleavings.

How it works
------------
``check_linearizable(factory, spec, operations)`` asks Hypothesis for a *program*: one
short list of operations per thread, each an operation name with its arguments. For each
program, racelab explores interleavings; every execution makes a fresh object with
``factory()``, runs the threads (each records the invocation and response of every call,
with its result or exception) and then checks the *history* against the sequential
``spec``: is there an order of all calls that keeps every call that returned before
another started ahead of it, and under which a fresh ``spec()`` gives the same results?
That search is Wing & Gong's: depth first over the calls that may come next, with
memoisation on (calls done per thread, spec state). Histories here have at most a dozen
calls, so it is instant.

A non-linearizable history fails the execution, racelab shrinks the schedule to the
fewest preemptions, and Hypothesis shrinks the program. The report is a table with one
column per thread (each call with its result and its [invocation-response] times) and
the reason: the longest order that explains a prefix, and what each call that could come
next would have had to return.

Operations
----------
``operations`` is a mapping or a list of pairs ``name -> arguments``: ``None`` for a call
without arguments, a strategy for one argument, or a tuple of strategies for several::

    check_linearizable(Queue, QueueSpec, {"put": st.integers(0, 9), "get": None})

The name is looked up on the object and on the spec alike (``"__len__"`` works). Results
are compared with ``==``; a call that raises matches a spec call that raises an exception
of the same type.

Instrumentation
---------------
Calls are only interleaved where the object reaches scheduling points. Controlled
``threading`` primitives always are; plain attribute and item accesses only in
instrumented modules. Name the module that defines the class under test in
``instrument=("pkg.module",)`` (a third-party package, or the test module itself); a
``factory`` that is a plain function (a lambda in a test) is instrumented like a test
body. If no call ever reaches a scheduling point, the check refuses to pass vacuously.
"""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings as hypothesis_settings
from hypothesis import strategies as st

from racelab._core import control
from racelab._core import explorer as _explorer
from racelab._core.explorer import ScenarioResult, ScenarioSpec, Settings
from racelab._core.report import render_trace
from racelab.errors import UsageError

Operations = Mapping[str, Any] | Iterable[tuple[str, Any]]


@dataclass(frozen=True)
class Call:
    """One operation of a program: a method name and its arguments."""

    name: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        shown = self.name[2:-2] if self.name in ("__len__", "__contains__") else self.name
        return f"{shown}({', '.join(repr(a) for a in self.args)})"


@dataclass(frozen=True)
class Outcome:
    """What a call gave back: a value, or an exception (kept by type and text)."""

    value: Any = None
    error: type[BaseException] | None = None
    text: str = ""

    def matches(self, other: "Outcome") -> bool:
        if self.error is not None or other.error is not None:
            return self.error is other.error
        return bool(self.value == other.value)

    def __str__(self) -> str:
        return f"raises {self.error.__name__}" if self.error is not None else repr(self.value)


@dataclass(frozen=True)
class Event:
    """A completed call in a history: who, what, when (logical times), what it returned."""

    thread: int
    index: int
    call: Call
    outcome: Outcome
    invoked: int
    returned: int


@dataclass
class _Recorder:
    clock: Any = field(default_factory=itertools.count)
    events: list[Event] = field(default_factory=list)
    points: int = 0


def _perform(obj: Any, call: Call) -> Outcome:
    try:
        return Outcome(getattr(obj, call.name)(*call.args))
    except Exception as exc:  # noqa: BLE001 - an operation's exception is its result
        return Outcome(None, type(exc), str(exc))


def _steps() -> int:
    ex = control.active()
    return ex.step if ex is not None else 0


def _worker(obj: Any, thread: int, calls: Sequence[Call], rec: _Recorder) -> None:
    for index, call in enumerate(calls):
        invoked = next(rec.clock)
        before = _steps()
        outcome = _perform(obj, call)
        if _steps() > before:
            rec.points += 1
        rec.events.append(Event(thread, index, call, outcome, invoked, next(rec.clock)))


# ---------------------------------------------------------------------------------------
# the sequential check (Wing & Gong with memoisation)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    order: tuple[Event, ...]
    explained: tuple[Event, ...] = ()
    blocked: tuple[tuple[Event, Outcome], ...] = ()


def _state_key(model: Any) -> str:
    key = getattr(model, "state_key", None)
    if callable(key):
        return repr(key())
    return repr(getattr(model, "__dict__", model))


def check_history(events: Sequence[Event], spec: Callable[[], Any]) -> Verdict:
    """Is there a linearization of ``events`` under the sequential ``spec``?"""
    by_thread: dict[int, list[Event]] = {}
    for e in sorted(events, key=lambda e: (e.thread, e.index)):
        by_thread.setdefault(e.thread, []).append(e)
    threads = sorted(by_thread)
    seen: set[tuple[tuple[int, ...], str]] = set()
    best: list[Any] = [(), ()]  # longest explained prefix and what blocked it

    def candidates(progress: tuple[int, ...]) -> list[Event]:
        pending = [by_thread[t][i] for t, i in zip(threads, progress) if i < len(by_thread[t])]
        earliest_return = min(e.returned for e in pending)
        return [e for e in pending if e.invoked < earliest_return]

    def search(progress: tuple[int, ...], model: Any, order: tuple[Event, ...]) -> tuple[Event, ...] | None:
        if len(order) == len(events):
            return order
        key = (progress, _state_key(model))
        if key in seen:
            return None
        seen.add(key)
        blocked = []
        for e in candidates(progress):
            trial = copy.deepcopy(model)
            expected = _perform(trial, e.call)
            if not e.outcome.matches(expected):
                blocked.append((e, expected))
                continue
            nxt = tuple(i + 1 if t == e.thread else i for t, i in zip(threads, progress))
            found = search(nxt, trial, order + (e,))
            if found is not None:
                return found
        if len(order) >= len(best[0]) and blocked:
            best[0], best[1] = order, tuple(blocked)
        return None

    found = search(tuple(0 for _ in threads), spec(), ())
    if found is not None:
        return Verdict(True, found)
    return Verdict(False, (), best[0], best[1])


# ---------------------------------------------------------------------------------------
# reporting


def render_history(events: Sequence[Event], verdict: Verdict) -> str:
    """The history as a table (a column per thread, time runs down) and why it fails."""
    threads = sorted({e.thread for e in events})
    cells = {e: f"{e.call} -> {e.outcome}  [{e.invoked}-{e.returned}]" for e in events}
    width = max([len(c) for c in cells.values()] + [10])
    header = " | ".join(f"{'thread ' + str(t):<{width}}" for t in threads)
    lines = ["history (time runs down; [a-b] = invoked at a, returned at b):", f"    {header}",
             "    " + "-+-".join("-" * width for _ in threads)]
    for e in sorted(events, key=lambda e: e.invoked):
        row = [cells[e] if t == e.thread else "" for t in threads]
        lines.append("    " + " | ".join(f"{c:<{width}}" for c in row).rstrip())
    if verdict.ok:
        return "\n".join(lines)
    lines.append("no order of these calls that respects real time explains every result:")
    prefix = " ; ".join(f"T{e.thread}.{e.call}" for e in verdict.explained) or "(nothing)"
    lines.append(f"    the longest consistent order explains {len(verdict.explained)} of {len(events)} calls: {prefix}")
    lines.append("    after it, every call that could come next disagrees with the specification:")
    for e, expected in verdict.blocked:
        lines.append(f"      T{e.thread}.{e.call} returned {e.outcome}, the specification gives {expected}")
    return "\n".join(lines)


class NotLinearizable(AssertionError):
    """A history of the object under test has no linearization under the specification."""


# ---------------------------------------------------------------------------------------
# programs and the check


def _normalise(operations: Operations) -> list[tuple[str, st.SearchStrategy[tuple[Any, ...]]]]:
    pairs = list(operations.items()) if isinstance(operations, Mapping) else list(operations)
    if not pairs:
        raise UsageError("check_linearizable needs at least one operation")
    out = []
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise UsageError(f"an operation is a (name, arguments) pair, not {pair!r}")
        name, args = pair
        if args is None:
            strategy: st.SearchStrategy[tuple[Any, ...]] = st.just(())
        elif isinstance(args, tuple):
            strategy = st.tuples(*args)
        elif isinstance(args, st.SearchStrategy):
            strategy = st.tuples(args)
        else:
            raise UsageError(f"arguments of {name!r} must be None, a strategy or a tuple of strategies")
        out.append((name, strategy))
    return out


def programs(operations: Operations, threads: int, ops_per_thread: int) -> st.SearchStrategy[list[list[Call]]]:
    """Per-thread call sequences (1 to ``ops_per_thread`` calls each) for ``threads`` threads."""
    calls = st.one_of([args.map(lambda a, n=name: Call(n, a)) for name, args in _normalise(operations)])
    # the length first, uniformly: plain lists favour one or two calls, which rarely race
    per_thread = st.integers(1, ops_per_thread).flatmap(lambda n: st.lists(calls, min_size=n, max_size=n))
    return st.lists(per_thread, min_size=threads, max_size=threads)


@dataclass
class _Probe:
    """Runs one program under racelab and remembers the last history and verdict."""

    factory: Callable[[], Any]
    spec: Callable[[], Any]
    settings: Settings
    program: list[list[Call]] = field(default_factory=list)
    last: tuple[list[Event], Verdict] | None = None
    points: int = 0

    def scenario(self) -> None:
        obj = self.factory()
        rec = _Recorder()
        workers = [threading.Thread(target=_worker, args=(obj, t, calls, rec), name=f"T{t}")
                   for t, calls in enumerate(self.program)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.points += rec.points
        verdict = check_history(rec.events, self.spec)
        self.last = (list(rec.events), verdict)
        if not verdict.ok:
            raise NotLinearizable(render_history(rec.events, verdict))

    def explore(self, program: list[list[Call]], *, shrink: bool) -> ScenarioResult:
        """Explore ``program`` (inside the caller's exploration world)."""
        self.program = program
        spec = ScenarioSpec("lincheck", __file__, "lincheck", self.scenario, "", Settings(), {})
        return _explorer._Search(spec, Settings(shrink=shrink, detect=False).over(self.settings)).run()


def _program_text(program: list[list[Call]]) -> str:
    return "; ".join(f"T{t}: " + ", ".join(str(c) for c in calls) for t, calls in enumerate(program))


def _report(probe: _Probe, program: list[list[Call]], result: ScenarioResult) -> str:
    failure = result.failure
    assert failure is not None
    lines = [f"not linearizable: program {_program_text(program)}"]
    if probe.last is not None and not probe.last[1].ok:
        lines.append(render_history(*probe.last))
    else:
        lines.append(f"{failure.kind} in thread {failure.thread}: {failure.message}")
        if failure.traceback:
            lines.append(failure.traceback.rstrip())
    plural = "" if failure.preemptions == 1 else "s"
    lines += ["", f"interleaving ({failure.preemptions} preemption{plural}, schedule {failure.schedule}):",
              *render_trace(failure.trace)]
    return "\n".join(lines)


def check_linearizable(factory: Callable[[], Any], spec: Callable[[], Any], operations: Operations, *,
                       threads: int = 2, ops_per_thread: int = 3, max_examples: int = 50,
                       schedules_per_program: int = 100, strategy: str | None = None, seed: int = 0,
                       instrument: Sequence[str] = ()) -> None:
    """Raise ``NotLinearizable`` (an AssertionError) with a table if some history is not linearizable.

    ``factory()`` makes the object under test, ``spec()`` a fresh sequential model with
    the same method names; ``operations`` maps each operation name to its arguments (see
    the module documentation). Hypothesis generates ``max_examples`` programs of
    ``threads`` threads with up to ``ops_per_thread`` calls each; racelab explores up to
    ``schedules_per_program`` interleavings of each. Same arguments, same result.
    """
    if threads < 1 or ops_per_thread < 1:
        raise UsageError("threads and ops_per_thread must be at least 1")
    settings = Settings(strategy=strategy, seed=seed, max_schedules=schedules_per_program,
                        instrument=tuple(instrument))
    with _explorer._World(settings.instrument):
        from racelab.instrumented import resolve

        probe = _Probe(resolve(factory, settings.instrument), spec, settings)
        program = _search(probe, programs(operations, threads, ops_per_thread), max_examples, seed)
        if program is None:
            if probe.points == 0:
                raise UsageError("no operation reached a scheduling point, so nothing was interleaved: "
                                 "instrument the module of the class under test (instrument=(\"its.module\",))")
            return
        result = probe.explore(program, shrink=True)
    if result.failure is None:  # pragma: no cover - the explorer is deterministic
        raise NotLinearizable(f"not linearizable: program {_program_text(program)} (the failure did not recur)")
    raise NotLinearizable(_report(probe, program, result))


def _search(probe: _Probe, strategy: st.SearchStrategy[list[list[Call]]], max_examples: int,
            seed: int) -> list[list[Call]] | None:
    """Let Hypothesis find and shrink a program with a failing interleaving; None if none fails."""
    failing: list[list[list[Call]]] = []

    @hypothesis_seed(seed)
    @hypothesis_settings(max_examples=max_examples, database=None, deadline=None,
                         phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
                         report_multiple_bugs=False)
    @given(strategy)
    def search(program: list[list[Call]]) -> None:
        result = probe.explore(program, shrink=False)
        if result.failure is not None:
            failing.append(program)
            raise NotLinearizable(result.failure.message)

    try:
        search()
    except NotLinearizable:
        pass
    return failing[-1] if failing else None


__all__ = ["check_linearizable", "check_history", "render_history", "programs", "Call", "Outcome", "Event",
           "Verdict", "NotLinearizable"]
