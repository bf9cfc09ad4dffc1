"""The default: several strategies take turns, each with its own share of the budget.

Random walks and PCT find shallow bugs within a handful of executions; DPOR covers the
small spaces completely, one schedule per class of equivalent interleavings. When the
DPOR member has exhausted its space the portfolio stops and reports ``exhausted``: a
certificate for every schedule of the scenario.
"""

from __future__ import annotations

from typing import Hashable, Sequence

from racelab.strategies.base import Strategy
from racelab.strategies.dpor import DPORStrategy
from racelab.strategies.pct import PCTStrategy
from racelab.strategies.random import RandomStrategy


class PortfolioStrategy:
    name = "portfolio"

    def __init__(self, seed: int = 0, depth: int = 3) -> None:
        self._systematic = DPORStrategy()
        self.members: list[Strategy] = [
            RandomStrategy(seed),
            PCTStrategy(seed + 1, depth=2),
            self._systematic,
            PCTStrategy(seed + 2, depth=depth),
        ]
        self._turn = -1
        self._current: Strategy = self.members[0]
        self.exhausted = False

    # DPOR sees the operations of its own executions only
    def observe_step(self, tid: int, pending: tuple[Hashable, bool], at_decision: bool) -> None:
        if self._current is self._systematic:
            self._systematic.observe_step(tid, pending, at_decision)

    def observe_op(self, tid: int, key: Hashable, write: bool) -> None:
        if self._current is self._systematic:
            self._systematic.observe_op(tid, key, write)

    def observe_sync(self, tid: int, key: Hashable) -> None:
        if self._current is self._systematic:
            self._systematic.observe_sync(tid, key)

    def observe_spawn(self, parent: int, child: int) -> None:
        if self._current is self._systematic:
            self._systematic.observe_spawn(parent, child)

    def observe_pending(self, tid: int, key: Hashable, write: bool) -> None:
        if self._current is self._systematic:
            self._systematic.observe_pending(tid, key, write)

    def observe_end(self, pending: list[tuple[int, tuple[Hashable, bool]]]) -> None:
        if self._current is self._systematic:
            self._systematic.observe_end(pending)

    def new_execution(self) -> bool:
        for _ in range(len(self.members)):
            self._turn = (self._turn + 1) % len(self.members)
            member = self.members[self._turn]
            if member is self._systematic:
                if self._systematic.exhausted:
                    continue
                if not member.new_execution():
                    self.exhausted = True
                    return False
            elif not member.new_execution():
                continue
            self._current = member
            return True
        return False

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        return self._current.next_task(runnable, current)
