"""The strategy interface: how racelab decides which thread runs next.

A strategy is a *policy*; the mechanism of switching threads lives in
``racelab._core.control``. The whole interface is two methods:

``new_execution() -> bool``
    Called before each execution. Return False when the strategy has nothing left to try
    (set ``exhausted`` to True when that means the whole space within its bound was covered:
    a certificate that no schedule of that space fails).

``next_task(runnable, current) -> int``
    Called only at decisions, that is at scheduling points where two or more threads could
    run. ``runnable`` lists the eligible thread ids in increasing order; ``current`` is the id
    of the thread at the point when it could go on (None when it blocked, finished or must
    yield for fairness). Switching away from a ``current`` that is not None is a preemption.
    Return one id from ``runnable``.

A new strategy (DPOR, Hypothesis-driven, ...) is one module implementing these two methods.
Strategies must be deterministic functions of their seed and of what they were shown.
"""

from __future__ import annotations

from typing import Protocol, Sequence


class Strategy(Protocol):
    exhausted: bool

    def new_execution(self) -> bool: ...

    def next_task(self, runnable: Sequence[int], current: int | None) -> int: ...


def keep_going(runnable: Sequence[int], current: int | None) -> int:
    """The non-preemptive default: stay on the current thread, else the lowest id."""
    if current is not None:
        return current
    return runnable[0]
