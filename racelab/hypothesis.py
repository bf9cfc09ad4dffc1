"""``schedules()``: a Hypothesis strategy whose examples are thread schedules.

Why this shape
--------------
A drawn ``Schedule`` is a *switch plan*: a short list of (gap, pick) pairs. Running a
function under it, racelab counts the decisions (points where two or more threads could
run); every decision follows the non-preemptive choice (stay on the current thread, or
the lowest runnable one when it cannot go on) except the ones the plan names: ``gap``
non-preemptive decisions after the previous switch, it switches to the ``pick``-th other
runnable thread. Hypothesis owns the plan like any other input: it searches it, shrinks
it, stores a failing one in its database and replays it under ``@reproduce_failure`` or
its seed.

Rejected: drawing every decision lazily while the function runs (``st.randoms()`` or
``st.data()``). Draws would happen on controlled worker threads, where Hypothesis's
end-of-data signal cannot unwind the test; and Hypothesis shrinks toward *shorter* choice
sequences, which for per-decision draws is not the same as fewer switches. With a plan,
each switch costs choices, so the shortest failing plan is the one with the fewest
switches: a lost update shrinks to exactly one preemption, and gaps shrink toward the
earliest place the switch still breaks the program.

The function runs instrumented (``racelab.instrumented``): its own reads and writes of
shared containers, attributes, globals and ``nonlocal`` variables are scheduling points,
and so are those of the functions it captures from the same file. Modules named in
``instrument`` are imported instrumented as well.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, NoReturn, Sequence

from hypothesis import strategies as st

from racelab._core import schedule as _schedule
from racelab._core.control import RawFailure
from racelab._core.explorer import Settings, _World, run_once
from racelab._core.report import render_trace
from racelab.strategies.base import keep_going

class ScheduleFailed(AssertionError):
    """The function failed without an exception of its own (a deadlock or a livelock)."""


class _PlannedStrategy:
    """A racelab strategy that follows a switch plan and is non-preemptive elsewhere."""

    name = "hypothesis"

    def __init__(self, plan: Sequence[tuple[int, int]]) -> None:
        self.exhausted = False
        self._at: dict[int, int] = {}
        position = -1
        for gap, pick in plan:
            position += gap + 1
            self._at[position] = pick
        self._decision = -1
        self._used = False

    def new_execution(self) -> bool:
        if self._used:
            return False
        self._used = True
        return True

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        keep = keep_going(runnable, current)
        self._decision += 1
        pick = self._at.get(self._decision)
        if pick is None:
            return keep
        others = [tid for tid in runnable if tid != keep]
        return others[pick % len(others)]


@dataclass(frozen=True)
class _Options:
    instrument: tuple[str, ...]
    max_steps: int | None


class Schedule:
    """One drawn switch plan; ``run(fn)`` runs ``fn`` under it. Its repr shows the replay token."""

    def __init__(self, plan: Sequence[tuple[int, int]], options: _Options) -> None:
        self.plan = tuple(plan)
        self._options = options
        self._settings = Settings(max_steps=options.max_steps, instrument=options.instrument)
        self.token: str | None = None
        self.preemptions: int | None = None
        self.choices: list[int] | None = None
        self.trace_text = ""

    def __repr__(self) -> str:
        switches = ", ".join(f"after {gap} then #{pick}" for gap, pick in self.plan) or "none"
        text = f"schedules()  # switches: {switches}"
        if self.token is not None:
            plural = "" if self.preemptions == 1 else "s"
            text += f"; ran as {self.token} with {self.preemptions} preemption{plural}"
        return text

    def run(self, fn: Callable[[], Any], *, instrument_fn: bool = True) -> Any:
        """Run ``fn`` once under this schedule; return its result or raise its failure.

        The failure is the exception the program raised (an ``AssertionError`` in a
        thread, say), with a note that shows the interleaving and the replay token; a
        deadlock or livelock raises ``ScheduleFailed``. ``instrument_fn=False`` runs ``fn``
        as imported (only the ``threading`` primitives and the modules named in
        ``instrument`` are then controlled).
        """
        with _World(self._options.instrument):
            target = _target(fn, self._options.instrument) if instrument_fn else fn
            ex = run_once(target, _PlannedStrategy(self.plan), self._settings, verbose=True)
        self.choices = list(ex.choices)
        self.token = _schedule.encode(self.choices)
        self.preemptions = ex.preemptions
        self.trace_text = "\n".join(render_trace(ex.trace))
        if ex.failure is None:
            return ex.result
        self._raise(ex.failure)

    def _raise(self, failure: RawFailure) -> NoReturn:
        exc = failure.exc
        if exc is None:
            exc = ScheduleFailed("\n".join([failure.message, *failure.details]))
        plural = "" if self.preemptions == 1 else "s"
        exc.add_note(f"racelab: failed in thread {failure.thread} under schedule {self.token} "
                     f"({self.preemptions} preemption{plural}):\n{self.trace_text}")
        raise exc


def _target(fn: Callable[[], Any], instrument: tuple[str, ...]) -> Callable[[], Any]:
    from racelab.instrumented import instrumented

    return instrumented(fn, instrument) if inspect.isfunction(fn) else fn


def schedules(*, max_switches: int = 6, max_gap: int = 24, instrument: Sequence[str] = (),
              max_steps: int | None = None) -> st.SearchStrategy[Schedule]:
    """A strategy for thread schedules: ``@given(schedule=schedules())``, then ``schedule.run(fn)``.

    A schedule makes at most ``max_switches`` switches away from the non-preemptive
    choice, each at most ``max_gap`` decisions after the previous one; ``instrument``
    names modules to import instrumented while the function runs.
    """
    if max_switches < 0 or max_gap < 0:
        raise ValueError("max_switches and max_gap must not be negative")
    options = _Options(tuple(instrument), max_steps)
    switch = st.tuples(st.integers(0, max_gap), st.integers(0, 3))
    return st.lists(switch, max_size=max_switches).map(lambda plan: Schedule(plan, options))


__all__ = ["schedules", "Schedule", "ScheduleFailed"]
