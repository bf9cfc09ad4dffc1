"""One observer that runs the race detector and the lock-order detector side by side."""

from __future__ import annotations

from typing import Callable

from racelab.detect.lockorder import LockOrderDetector
from racelab.detect.race import RaceDetector
from racelab.detect.records import LockCycle, Race


class Detector:
    """The ``Observer`` that ``explore`` and ``run`` feed: data races plus lock order.

    Create one per scenario (it lives across all its executions). Events go straight to the
    detector that cares (bound methods, no extra call on the hot path).
    """

    def __init__(self, on_race: Callable[[Race], None] | None = None) -> None:
        self.race = RaceDetector(on_race)
        self.lock_order = LockOrderDetector()
        self.access = self.race.access
        self.atomic = self.race.atomic
        self.release = self.race.release
        self.acquire = self.race.acquire
        self.lock_acquired = self.lock_order.lock_acquired
        self.lock_released = self.lock_order.lock_released

    def begin(self, names: dict[int, str]) -> None:
        self.race.begin(names)
        self.lock_order.begin(names)

    def end(self, schedule: str | None) -> None:
        self.race.end(schedule)
        self.lock_order.end(schedule)

    @property
    def races(self) -> list[Race]:
        """Every distinct race seen so far, in the order found."""
        return self.race.races

    @property
    def race_in_execution(self) -> str | None:
        """One line describing the first race of the current execution, or None."""
        return self.race.first_in_execution

    @property
    def cycles(self) -> list[LockCycle]:
        """Every lock-order cycle seen so far (see ``LockOrderDetector.cycles``)."""
        return self.lock_order.cycles()

    @property
    def races_in_execution(self) -> int:
        """How many races (duplicates included) the current execution has shown."""
        return self.race.races_in_execution

    def lock_cycles(self) -> list[LockCycle]:
        return self.lock_order.cycles()

    def races_json(self) -> list[dict[str, object]]:
        return [race.to_json() for race in self.races]

    def lock_order_json(self) -> list[dict[str, object]]:
        return [cycle.to_json() for cycle in self.lock_cycles()]


def make_detectors() -> list[Detector]:
    """The observers ``explore`` feeds, one set per scenario."""
    return [Detector()]
