"""Uniform random walk: at each decision, every eligible thread is equally likely."""

from __future__ import annotations

import random
from typing import Sequence


class RandomStrategy:
    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self.exhausted = False

    def new_execution(self) -> bool:
        return True

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        return runnable[int(self._rng.random() * len(runnable))]
