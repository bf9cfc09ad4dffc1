"""Every catalogue file behaves as the lab claims, under exploration.

* a broken scenario fails, with the failure kind it declares, within a small budget;
* a correct fix passes *and* exhausts its schedule space under DFS with preemption
  bound 2: that is the certificate ``racelab compare`` prints;
* a wrong fix fails, with the kind it declares.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import racelab
from racelab.lab.catalogue import Role, catalogue, variants

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LAB_IDS = [e.id for e in catalogue(SCENARIOS) if not e.id.startswith("server_")]
ALL = [v for sid in LAB_IDS for v in variants(SCENARIOS / f"{sid}.py")]

FIND_BUDGET = racelab.Settings(strategy="dfs", seed=0, max_schedules=300, preemption_bound=2)
EXHAUST_BUDGET = racelab.Settings(strategy="dfs", seed=0, max_schedules=5000, preemption_bound=2)


def _ids(role: Role) -> list:
    return [pytest.param(v, id=v.label) for v in ALL if v.role is role]


def _explore(path: Path, settings: racelab.Settings) -> racelab.ScenarioResult:
    results = racelab.explore(str(path), settings)
    assert len(results) == 1, f"{path.name} should hold exactly one scenario"
    return results[0]


@pytest.mark.parametrize("variant", _ids(Role.BROKEN))
def test_broken_scenario_fails_with_its_kind(variant) -> None:
    result = _explore(variant.path, FIND_BUDGET)
    assert result.verdict == "fail", f"{variant.label} passed {result.schedules} schedules"
    assert str(result.failure.kind) == variant.expected.kind, result.failure.message


@pytest.mark.parametrize("variant", _ids(Role.WRONG_FIX))
def test_wrong_fix_still_fails(variant) -> None:
    result = _explore(variant.path, FIND_BUDGET)
    assert result.verdict == "fail", f"{variant.label} passed {result.schedules} schedules"
    assert str(result.failure.kind) == variant.expected.kind, result.failure.message


@pytest.mark.parametrize("variant", _ids(Role.FIX))
def test_fix_passes_and_exhausts_the_bounded_space(variant) -> None:
    result = _explore(variant.path, EXHAUST_BUDGET)
    message = result.failure.message if result.failure else ""
    assert result.verdict == "pass", message
    assert result.exhausted, f"{variant.label}: {result.schedules} schedules and not exhausted"
    assert sum(result.outcomes.values()) == result.schedules
