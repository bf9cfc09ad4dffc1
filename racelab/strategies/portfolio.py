"""The default: several strategies take turns, each with its own share of the budget.

Random walks and PCT find shallow bugs within a handful of executions; DPOR covers the
small spaces completely, one schedule per class of equivalent interleavings. When the
DPOR member has exhausted its space the portfolio stops and reports ``exhausted``: a
certificate for every schedule of the scenario.
"""

from __future__ import annotations

from typing import Sequence

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

    @property
    def watcher(self) -> DPORStrategy | None:
        """DPOR sees the operations of its own executions only."""
        return self._systematic if self._current is self._systematic else None

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
