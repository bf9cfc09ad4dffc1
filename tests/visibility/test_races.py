"""The race detector sees each construct: a data race between the construct's line and the
other thread's plain access, on a location named after the shared container or object.
(The locked twins report no race: ``test_matrix.test_locked_twin_passes``.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .constructs import CONSTRUCTS, Construct, marked_lines
from .helpers import describe, explore

RACY = [c for c in CONSTRUCTS if c.race]  # not where the writer is an atomic built-in method call


def names(c: Construct) -> set[str]:
    """What a location of this construct may be called: the container's or object's variable
    (or a view of it made in the setup), or for attributes the class."""
    assigned = {part.split("=")[0].strip() for part in c.setup.split("; ") if "=" in part}
    found = {c.target.split(".")[-1]} | {n for n in assigned if n.isidentifier()}
    return found | ({"Box", "Point"} if c.attr else set())


def between(race: Any, these: set[int], those: set[int]) -> bool:
    """Whether one access of ``race`` is on one of ``these`` lines and the other on ``those``."""
    first, second = race.first.line, race.second.line
    return (first in these and second in those) or (first in those and second in these)


@pytest.mark.parametrize("construct", [pytest.param(c, id=c.name) for c in RACY])
def test_race_is_reported_at_the_construct(programs: dict[str, Path], construct: Construct) -> None:
    path = programs[construct.name]
    source = path.read_text()
    mine, theirs = (marked_lines(source, mark, within="scenario_bug") for mark in ("construct", "counterpart"))
    result = explore(path, "scenario_bug", "dfs")
    pairs = [race for race in result.races if between(race, mine, theirs)]
    assert pairs, (f"{construct.name}: no data race between the construct (lines {sorted(mine)}) and the "
                   f"other thread (lines {sorted(theirs)}); races reported: {describe(result.races)}\n"
                   f"    racelab explore {path}::scenario_bug --strategy dfs")
    assert all(str(r.kind) == "read-write" for r in pairs), describe(pairs)
    wanted = names(construct)
    assert any(re.search(rf"\b{re.escape(n)}\b", r.location) for r in pairs for n in wanted), (
        f"{construct.name}: the race's location names none of {sorted(wanted)}: {describe(pairs)}")
