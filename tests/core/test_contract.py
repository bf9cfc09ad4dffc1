"""The scenario contract and failure kinds, through the public API."""

from __future__ import annotations

import pytest

import racelab

from .helpers import REPO, SCENARIOS, assert_fails, explore_one, run_cli, target

FILE = "contract.py"


def test_discovery_marked_and_prefixed_functions_only() -> None:
    names = [spec.name for spec in racelab.load_scenarios(target(FILE))]
    assert names == ["marked_without_prefix", "scenario_exception_in_a_thread", "scenario_nondeterministic"]


def test_decorator_settings_apply_and_explicit_settings_win() -> None:
    [own] = racelab.explore(target(FILE, "marked_without_prefix"), racelab.Settings(detect=False))
    assert own.strategy == "dfs" and own.exhausted and own.verdict == "pass"  # no preemption, no lost update
    found = explore_one(FILE, "marked_without_prefix", preemption_bound=1)
    assert_fails(found, "assertion")


def test_an_exception_in_a_thread_is_a_failure_naming_the_thread() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_exception_in_a_thread"), "exception", message="KeyError")
    assert failure.thread == "crasher"
    assert "{}[\"missing\"]" in failure.traceback


def test_nondeterminism_is_a_clear_error_naming_the_step() -> None:
    with pytest.raises(racelab.RacelabError, match=r"not deterministic: at decision \d+"):
        explore_one(FILE, "scenario_nondeterministic")
    proc = run_cli("explore", f"{target(FILE, 'scenario_nondeterministic')}", "--strategy", "dfs", cwd=REPO)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "not deterministic" in proc.stderr


def test_a_directory_explores_every_file() -> None:
    results = racelab.explore(str(SCENARIOS / "instrumented"), racelab.Settings(strategy="dfs", detect=False))
    assert [r.id.rsplit("/", 1)[-1] for r in results] == ["uses_helper.py::scenario_counter_in_helper"]


def test_dir_colon_name_picks_the_scenario_in_any_file() -> None:
    results = racelab.explore(f"{SCENARIOS}::scenario_ok_lifo_order", racelab.Settings(strategy="dfs", detect=False))
    assert [r.id.rsplit("/", 1)[-1] for r in results] == ["queues.py::scenario_ok_lifo_order"]
    with pytest.raises(racelab.UsageError, match="scenario_nowhere"):
        racelab.explore(f"{SCENARIOS}::scenario_nowhere", racelab.Settings(strategy="dfs", detect=False))
