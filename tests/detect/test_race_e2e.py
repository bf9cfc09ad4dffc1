"""The detector wired into ``explore``: twins per happens-before source, under exhaustive DFS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import racelab

HERE = Path(__file__).parent / "scenarios"
TWINS = HERE / "hb_twins.py"
EXTRAS = HERE / "extras.py"
SOURCES = ["start_join", "lock", "condition", "semaphore", "event", "barrier", "queue", "future", "atomic"]


def marked_lines(path: Path, tag: str) -> set[int]:
    """Lines carrying the comment ``# racy: <tag>``."""
    pattern = re.compile(rf"#\s*racy:\s*{re.escape(tag)}\b")
    return {n for n, text in enumerate(path.read_text().splitlines(), 1) if pattern.search(text)}


def explore(path: Path, name: str, **settings: object) -> racelab.ScenarioResult:
    options = {"strategy": "dfs", "preemption_bound": 3, "max_schedules": 5000, "time_limit": 60.0, **settings}
    (result,) = racelab.explore(f"{path}::{name}", racelab.Settings(**options))  # type: ignore[arg-type]
    return result


@pytest.mark.parametrize("source", SOURCES)
def test_race_free_twin_reports_nothing_in_any_schedule(source: str) -> None:
    result = explore(TWINS, f"scenario_{source}_ok")
    assert result.verdict == "pass" and result.exhausted
    assert result.races == []


@pytest.mark.parametrize("source", SOURCES)
def test_racy_twin_reports_the_marked_pair(source: str) -> None:
    result = explore(TWINS, f"scenario_{source}_racy")
    assert result.verdict == "pass"  # the race shows only as a report
    assert result.races, "no race reported"
    expected = marked_lines(TWINS, source)
    for race in result.races:
        entry = race.to_json()
        assert {access["line"] for access in entry["accesses"]} <= expected
        assert all(access["file"] == str(TWINS) for access in entry["accesses"])
        assert entry["schedule"]
    assert set().union(*({a["line"] for a in r.to_json()["accesses"]} for r in result.races)) == expected


def test_race_whose_assertion_always_passes_is_reported() -> None:
    result = explore(EXTRAS, "scenario_benign_looking_race")
    assert result.verdict == "pass" and result.exhausted
    (race,) = result.races
    line = min(marked_lines(EXTRAS, "benign"))
    assert race.to_json()["kind"] == "write-write" and race.to_json()["location"] == "Flag.done"
    assert [a["line"] for a in race.to_json()["accesses"]] == [line, line]
    assert {a["thread"] for a in race.to_json()["accesses"]} == {"Thread-1 (mark)", "Thread-2 (mark)"}


def test_slice_and_index_conflict_only_when_they_overlap() -> None:
    overlap = explore(EXTRAS, "scenario_slice_overlap")
    assert overlap.races and all(
        {a["line"] for a in r.to_json()["accesses"]} == marked_lines(EXTRAS, "slice") for r in overlap.races
    )
    assert explore(EXTRAS, "scenario_slice_disjoint").races == []


def test_fail_on_race_turns_the_first_race_into_a_failure() -> None:
    result = explore(TWINS, "scenario_lock_racy", fail_on_race=True)
    assert result.verdict == "fail" and result.failure is not None
    assert result.failure.kind == "race" and "Box.value" in result.failure.message


def test_replaying_the_reported_schedule_shows_the_race_again() -> None:
    (race,) = explore(TWINS, "scenario_lock_racy").races
    replayed = racelab.replay(f"{TWINS}::scenario_lock_racy", race.schedule)
    assert [r.key for r in replayed.races] == [race.key]


def test_lock_order_cycle_found_without_deadlocking() -> None:
    result = explore(EXTRAS, "scenario_lock_order_inversion", preemption_bound=0)
    assert result.verdict == "pass" and result.failure is None  # no explored schedule deadlocked
    (cycle,) = result.lock_order
    lines = EXTRAS.read_text().splitlines()
    site = {tag: next(n for n, t in enumerate(lines, 1) if f"# lock: {tag}" in t) for tag in "ab"}
    rel = str(EXTRAS.relative_to(Path.cwd())) if EXTRAS.is_relative_to(Path.cwd()) else str(EXTRAS)
    assert cycle.to_json()["cycle"] == [f"{rel}:{site['a']}", f"{rel}:{site['b']}"]
    edge_lines = [e["line"] for e in cycle.to_json()["edges"]]
    assert edge_lines == [next(n for n, t in enumerate(lines, 1) if f"# edge: {e}" in t) for e in ("a->b", "b->a")]


def test_consistent_lock_order_reports_no_cycle() -> None:
    result = explore(EXTRAS, "scenario_lock_order_consistent")
    assert result.verdict == "pass" and result.lock_order == []


def test_same_seed_same_reports() -> None:
    first = explore(TWINS, "scenario_barrier_racy", strategy="random", seed=3, max_schedules=50)
    second = explore(TWINS, "scenario_barrier_racy", strategy="random", seed=3, max_schedules=50)
    assert [r.to_json() for r in first.races] == [r.to_json() for r in second.races]
