"""The default: several strategies take turns, each with its own share of the budget.

Random walks and PCT find shallow bugs within a handful of executions; bounded DFS
(preemption bound 2) covers the small spaces completely. When the DFS member has
exhausted its space the portfolio stops and reports ``exhausted``: a certificate for every
schedule with at most two preemptions.
"""

from __future__ import annotations

from typing import Sequence

from racelab.strategies.base import Strategy
from racelab.strategies.dfs import DFSStrategy
from racelab.strategies.pct import PCTStrategy
from racelab.strategies.random import RandomStrategy


class PortfolioStrategy:
    name = "portfolio"

    def __init__(self, seed: int = 0, preemption_bound: int = 2, depth: int = 3) -> None:
        self._dfs = DFSStrategy(preemption_bound)
        self.members: list[Strategy] = [
            RandomStrategy(seed),
            PCTStrategy(seed + 1, depth=2),
            self._dfs,
            PCTStrategy(seed + 2, depth=depth),
        ]
        self._turn = -1
        self._current: Strategy = self.members[0]
        self.exhausted = False

    def new_execution(self) -> bool:
        for _ in range(len(self.members)):
            self._turn = (self._turn + 1) % len(self.members)
            member = self.members[self._turn]
            if member is self._dfs and self._dfs.exhausted:
                continue
            if member.new_execution():
                self._current = member
                return True
            if member is self._dfs:
                self.exhausted = True
                return False
        return False

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        return self._current.next_task(runnable, current)
