"""Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010).

Each thread gets a random priority when first seen; the highest-priority eligible thread
runs. ``depth - 1`` change points are drawn uniformly over the expected number of
decisions ``k``; at the i-th change point the running thread drops to priority i, below
every initial priority. A bug of depth d is then found with probability at least
1/(n * k^(d-1)) per execution. ``k`` is learnt: it is the largest number of decisions seen
in an earlier execution.
"""

from __future__ import annotations

import random
from typing import Sequence


class PCTStrategy:
    name = "pct"

    def __init__(self, seed: int = 0, depth: int = 3) -> None:
        if depth < 1:
            raise ValueError("PCT depth must be at least 1")
        self._rng = random.Random(seed)
        self.depth = depth
        self.exhausted = False
        self._k = 8
        self._priorities: dict[int, float] = {}
        self._change_points: dict[int, int] = {}
        self._decision = 0

    def new_execution(self) -> bool:
        self._k = max(self._k, self._decision)
        self._decision = 0
        self._priorities = {}
        points = sorted(self._rng.randint(1, self._k) for _ in range(self.depth - 1))
        self._change_points = {p: i for i, p in enumerate(points, start=1)}
        return True

    def _priority(self, tid: int) -> float:
        prio = self._priorities.get(tid)
        if prio is None:
            prio = self._priorities[tid] = self.depth + self._rng.random()
        return prio

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        self._decision += 1
        level = self._change_points.get(self._decision)
        if level is not None and current is not None:
            self._priority(current)
            self._priorities[current] = self.depth - level - self._rng.random() * 1e-3
        return max(runnable, key=self._priority)
