"""Vector clocks as plain lists of ints, indexed by thread id.

Threads are few (a scenario rarely has more than a handful), so a list beats a dict: a join is
one ``map(max, ...)`` and a lookup one index. Lists of different lengths are equal to the
shorter one padded with zeros; a missing component is 0 ("nothing seen from that thread").
"""

from __future__ import annotations

VClock = list[int]


def get(clock: VClock, tid: int) -> int:
    return clock[tid] if tid < len(clock) else 0


def join_into(target: VClock, other: VClock) -> None:
    """``target := target ⊔ other`` in place."""
    n = len(other)
    if len(target) < n:
        target.extend([0] * (n - len(target)))
    if len(target) == n:
        target[:] = map(max, target, other)
    else:
        target[:n] = map(max, target[:n], other)


def fresh(tid: int) -> VClock:
    """The clock of a thread that has just appeared: its own component is 1, the rest 0."""
    clock = [0] * (tid + 1)
    clock[tid] = 1
    return clock
