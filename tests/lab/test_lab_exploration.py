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


def _signature(comparison) -> list[tuple]:
    return [
        (r.label, r.verdict, r.failure_kind, r.found_after, r.replay, r.schedules, r.exhausted, r.outcomes, r.races)
        for r in comparison.rows
    ]


@pytest.mark.parametrize("strategy", ["dfs", "random"])
def test_comparison_is_deterministic(strategy: str) -> None:
    from racelab.lab import CostOptions, compare

    settings = racelab.Settings(strategy=strategy, seed=3, max_schedules=200, preemption_bound=2)
    runs = [_signature(compare(SCENARIOS / "worker_pool.py", None, settings, CostOptions(runs=0))) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][0][1] == "fail"


ATOMIC_SCENARIOS = '''
import threading

from racelab.atomic import AtomicInt


def _run(work):
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def scenario_get_then_set():
    n = AtomicInt()
    _run(lambda: n.set(n.get() + 1))  # two atomic steps are not one
    assert n.get() == 2, n.get()
    return n.get()


def scenario_increment():
    n = AtomicInt()
    _run(n.increment_and_get)
    assert n.get() == 2, n.get()
    return n.get()
'''


def test_atomic_int_is_one_step_under_exploration(tmp_path: Path) -> None:
    path = tmp_path / "atomics.py"
    path.write_text(ATOMIC_SCENARIOS)
    results = {r.id.rsplit("::", 1)[-1]: r for r in racelab.explore(str(path), EXHAUST_BUDGET)}
    split = results["scenario_get_then_set"]
    assert split.verdict == "fail" and str(split.failure.kind) == "assertion"
    whole = results["scenario_increment"]
    assert whole.verdict == "pass" and whole.exhausted and whole.outcomes == {"2": whole.schedules}
    assert whole.races == []  # atomic operations order, they never race
