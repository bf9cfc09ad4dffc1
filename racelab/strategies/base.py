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

A strategy that wants to see what the threads do (DPOR) also has a ``watcher``: an object
with the methods of ``Watcher``, or None (the default) for "show me nothing". The
runtime reads it once per execution, after ``new_execution``.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Protocol, Sequence

#: One access of shared state: (key, write, state). ``key`` names what is accessed (an object
#: ``id``, ``(id, part)``, ``("end", tid)``, ``ANY``, ``NO_OP``); ``write``: whether it changes it;
#: ``state``: for a guarded object (a lock, a queue, a thread's end), its state just before
#: the access, else None.
Access = tuple[Hashable, bool, Any]
#: A guarded step (a blocking acquire, a join): (the guarded object's key, opens) where
#: ``opens(state)`` says whether the step could run in that state of the object.
Guard = tuple[Hashable, Callable[[Any], bool]]


class Strategy(Protocol):
    exhausted: bool

    def new_execution(self) -> bool: ...

    def next_task(self, runnable: Sequence[int], current: int | None) -> int: ...


class Watcher(Protocol):
    """What a strategy is shown about each execution, in the order things happen."""

    def observe_step(self, tid: int, access: Access, guard: Guard | None, at_decision: bool) -> None:
        """Thread ``tid`` runs its next step, whose first access is ``access``; ``guard`` when the
        step could only run once its guard held; ``at_decision``: chosen by ``next_task`` (else it
        was the only thread that could run)."""

    def observe_op(self, tid: int, access: Access) -> None:
        """A further access of the running thread's current step (a lock release, a quiet read)."""

    def observe_spawn(self, parent: int, child: int, handed: Sequence[int] = ()) -> None:
        """``parent`` started thread ``child``: everything before happens before the child's steps.
        ``handed``: the ids of the objects the child was given, in an order that does not depend
        on the schedule."""

    def forget(self, dead: Iterable[int]) -> None:
        """The objects with these ids died: an id seen from now on names a new object."""

    def observe_end(self, parked: Sequence[tuple[int, Access, Guard | None]]) -> None:
        """The execution ends (last call): ``parked`` lists, for each thread still at a scheduling
        point (after a failure or a deadlock, or a daemon left running), the step it would have
        run next, as (tid, access, guard). Those steps never ran."""


def keep_going(runnable: Sequence[int], current: int | None) -> int:
    """The non-preemptive default: stay on the current thread, else the lowest id."""
    if current is not None:
        return current
    return runnable[0]
