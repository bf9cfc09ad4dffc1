"""Replays a recorded schedule exactly, and says where a scenario stops following it."""

from __future__ import annotations

from typing import Sequence

from racelab.errors import NondeterminismError
from racelab.strategies.base import keep_going


class ReplayStrategy:
    name = "replay"

    def __init__(self, choices: Sequence[int], *, strict: bool = True) -> None:
        self.choices = list(choices)
        self.strict = strict
        self.exhausted = False
        self._pos = 0
        self._used = False

    def new_execution(self) -> bool:
        if self._used:
            return False
        self._used = True
        self._pos = 0
        return True

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        pos = self._pos
        self._pos += 1
        if pos < len(self.choices):
            tid = self.choices[pos]
            if tid in runnable:
                return tid
            if self.strict:
                raise NondeterminismError(
                    f"the scenario is not deterministic: at decision {pos + 1} the recorded thread {tid} "
                    f"cannot run (runnable: {list(runnable)}). Does it depend on time, randomness, "
                    "ids or state left over from an earlier run?")
        return keep_going(runnable, current)

    @property
    def consumed_all(self) -> bool:
        return self._pos >= len(self.choices)
