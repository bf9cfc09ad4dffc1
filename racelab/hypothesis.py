"""``schedules()``: a Hypothesis strategy whose examples are thread schedules.

Why this shape
--------------
A drawn ``Schedule`` runs a zero-argument function once under racelab's control, and
every decision between two or more runnable threads is a Hypothesis draw. Hypothesis
then owns the schedule the way it owns any other input: it searches, shrinks, stores the
failing case in its database and replays it under ``@reproduce_failure`` or a seed.

The draws come from ``st.randoms()`` (a Random whose every call is a Hypothesis choice,
drawn lazily while the function runs). At each decision the schedule first draws whether
to move away from the non-preemptive choice (stay on the current thread, or the lowest
runnable thread when the current one cannot go on), and only then, if there are several
others, which one. The simplest value of every draw is "do not switch", so shrinking a
failing schedule removes switches until only the ones the bug needs are left: a lost
update shrinks to one preemption.

A decision past ``max_decisions`` is non-preemptive without a draw, which bounds the
choice sequence Hypothesis has to keep for long programs.

The function runs instrumented (``racelab.instrumented``): its own reads and writes of
shared containers, attributes, globals and ``nonlocal`` variables are scheduling points,
and so are those of the functions it captures from the same file. Modules named in
``instrument`` are imported instrumented as well.
"""

from __future__ import annotations

import inspect
import random
from typing import Any, Callable, Sequence

from hypothesis import strategies as st

from racelab._core import schedule as _schedule
from racelab._core.explorer import Settings, _World, run_once
from racelab._core.report import render_trace
from racelab.strategies.base import keep_going
from racelab.strategies.replay import ReplayStrategy

_RESOLUTION = 1000


class ScheduleFailed(AssertionError):
    """The function failed without an exception of its own (a deadlock or a livelock)."""


class _DrawnStrategy:
    """A racelab strategy whose every decision is drawn from a Hypothesis-backed Random."""

    name = "hypothesis"

    def __init__(self, rnd: random.Random, switch_threshold: int, max_decisions: int) -> None:
        self.rnd = rnd
        self.switch_threshold = switch_threshold
        self.max_decisions = max_decisions
        self.exhausted = False
        self.decisions = 0
        self._used = False

    def new_execution(self) -> bool:
        if self._used:
            return False
        self._used = True
        return True

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        keep = keep_going(runnable, current)
        self.decisions += 1
        if self.decisions > self.max_decisions:
            return keep
        if self.rnd.randrange(_RESOLUTION) < self.switch_threshold:
            return keep
        others = [tid for tid in runnable if tid != keep]
        return others[self.rnd.randrange(len(others))] if len(others) > 1 else others[0]


class Schedule:
    """One drawn schedule; ``run(fn)`` runs ``fn`` under it. Its repr shows the replay token."""

    def __init__(self, rnd: random.Random, *, switch_chance: float, max_decisions: int,
                 instrument: tuple[str, ...], max_steps: int | None) -> None:
        self._rnd = rnd
        self._threshold = round(_RESOLUTION * (1.0 - switch_chance))
        self._max_decisions = max_decisions
        self._instrument = instrument
        self._settings = Settings(max_steps=max_steps, instrument=instrument)
        self.token: str | None = None
        self.preemptions: int | None = None
        self.choices: list[int] | None = None
        self.trace_text = ""

    def __repr__(self) -> str:
        if self.token is None:
            return "schedules()  # not run yet"
        return f"schedule({self.token!r})  # {self.preemptions} preemption{'' if self.preemptions == 1 else 's'}"

    def run(self, fn: Callable[[], Any], *, instrument_fn: bool = True) -> Any:
        """Run ``fn`` once under this schedule; return its result or raise its failure.

        ``instrument_fn=False`` runs ``fn`` as imported (only the ``threading`` primitives
        and modules named in ``instrument`` are then controlled).
        """
        if self.token is not None:
            raise RuntimeError("a drawn schedule runs once; draw another schedule for another run")
        strategy = _DrawnStrategy(self._rnd, self._threshold, self._max_decisions)
        strategy.new_execution()
        with _World(self._instrument):
            target = _target(fn, self._instrument) if instrument_fn else fn
            ex = run_once(target, strategy, self._settings)
            self.choices = list(ex.choices)
            self.token = _schedule.encode(self.choices)
            self.preemptions = ex.preemptions
            if ex.failure is not None:
                verbose = run_once(target, ReplayStrategy(self.choices, strict=False), self._settings, verbose=True)
                self.trace_text = "\n".join(render_trace(verbose.trace))
        if ex.failure is None:
            return ex.result
        self._raise(ex.failure)

    def _raise(self, failure: Any) -> None:
        exc = failure.exc
        if exc is None:
            exc = ScheduleFailed("\n".join([failure.message, *failure.details]))
        exc.add_note(f"racelab schedule {self.token} ({self.preemptions} preemptions), "
                     f"failing in thread {failure.thread}:\n{self.trace_text}")
        raise exc


def _target(fn: Callable[[], Any], instrument: tuple[str, ...]) -> Callable[[], Any]:
    from racelab.instrumented import instrumented

    return instrumented(fn, instrument) if inspect.isfunction(fn) else fn


def schedules(*, switch_chance: float = 0.5, max_decisions: int = 400, instrument: Sequence[str] = (),
              max_steps: int | None = None) -> st.SearchStrategy[Schedule]:
    """A strategy for thread schedules: ``@given(schedule=schedules())``, then ``schedule.run(fn)``.

    ``switch_chance`` is the chance, at each decision, of moving away from the
    non-preemptive choice while generating; ``max_decisions`` bounds how many decisions
    are drawn; ``instrument`` names modules to import instrumented.
    """
    if not 0.0 < switch_chance <= 1.0:
        raise ValueError(f"switch_chance must be in (0, 1], not {switch_chance!r}")
    if max_decisions < 1:
        raise ValueError(f"max_decisions must be positive, not {max_decisions!r}")
    names = tuple(instrument)
    return st.randoms(use_true_random=False).map(
        lambda rnd: Schedule(rnd, switch_chance=switch_chance, max_decisions=max_decisions, instrument=names,
                             max_steps=max_steps))


__all__ = ["schedules", "Schedule", "ScheduleFailed"]
