"""The records the detectors report: data races and lock-order cycles (frozen, JSON-ready)."""

from __future__ import annotations

import enum
import linecache
from dataclasses import dataclass
from types import CodeType
from typing import Any

from racelab._core.events import Op


class RaceKind(enum.Enum):
    WRITE_WRITE = "write-write"
    READ_WRITE = "read-write"

    def __str__(self) -> str:
        return self.value


_places: dict[tuple[CodeType, str, int], tuple[str, int]] = {}


def place_of(code: CodeType | None, at: int) -> tuple[str, int]:
    """``(file, line)`` of instruction offset ``at`` of ``code``.

    The detectors record a frame's ``f_code`` and ``f_lasti`` (cheap) rather than its
    ``f_lineno`` (a scan of the line table on every read); the line is worked out only when
    it is reported.
    """
    if code is None:
        return ("<unknown>", 0)
    key = (code, code.co_filename, at)  # code objects compare equal across files
    place = _places.get(key)
    if place is None:
        line = code.co_firstlineno
        for start, end, number in code.co_lines():
            if start <= at < end and number is not None:
                line = number
                break
        place = _places[key] = (code.co_filename, line)
    return place


def source_line(file: str, line: int) -> str:
    """The stripped source text of ``file:line`` ("" when it cannot be read)."""
    return linecache.getline(file, line).strip() if line > 0 else ""


@dataclass(frozen=True)
class Access:
    """One side of a data race: who touched the location, where, and how."""

    thread: str
    file: str
    line: int
    op: Op
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"thread": self.thread, "file": self.file, "line": self.line, "op": str(self.op)}


@dataclass(frozen=True)
class Race:
    """Two accesses to one location, at least one a write, unordered by happens-before.

    ``first`` is the earlier access in the execution where the race was seen, ``second`` the
    access that revealed it; ``schedule`` is that execution's replay token (None in live mode).
    """

    kind: RaceKind
    location: str
    first: Access
    second: Access
    schedule: str | None

    @property
    def key(self) -> tuple[str, tuple[tuple[str, int], ...]]:
        """Deduplication key: the location and the (unordered) pair of source lines."""
        sites = sorted([(self.first.file, self.first.line), (self.second.file, self.second.line)])
        return (self.location, tuple(sites))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "location": self.location,
            "accesses": [self.first.to_json(), self.second.to_json()],
            "schedule": self.schedule,
        }


@dataclass(frozen=True)
class LockEdge:
    """Lock class ``to`` was acquired by ``thread`` at ``file:line`` while ``from_`` was held."""

    from_: str
    to: str
    thread: str
    file: str
    line: int
    source: str
    held_file: str
    held_line: int

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to, "thread": self.thread, "file": self.file, "line": self.line}


@dataclass(frozen=True)
class LockCycle:
    """A cycle in the lock-order graph: a potential deadlock, whether or not one happened.

    ``cycle`` lists lock classes (creation sites); ``edges[i]`` goes from ``cycle[i]`` to
    ``cycle[(i + 1) % len(cycle)]``.
    """

    cycle: tuple[str, ...]
    edges: tuple[LockEdge, ...]

    def to_json(self) -> dict[str, Any]:
        return {"cycle": list(self.cycle), "edges": [edge.to_json() for edge in self.edges]}
