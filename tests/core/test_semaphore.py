"""Semaphore and BoundedSemaphore under control."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, outcome_values, scenario_names

FILE = "semaphore.py"
#: three threads: bound 1 keeps the exhaustive space to a few hundred schedules
BOUND_1 = {"scenario_ok_semaphore_bounds_holders", "scenario_ok_semaphore_of_two"}


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name, preemption_bound=1 if name in BOUND_1 else 2))


def test_semaphore_of_two_admits_two_at_once() -> None:
    result = explore_one(FILE, "scenario_ok_semaphore_of_two", preemption_bound=1)
    assert_passes_exhaustively(result)
    assert outcome_values(result) == {1, 2}


def test_semaphore_of_two_as_a_mutex_is_found() -> None:
    assert_fails(explore_one(FILE, "scenario_bug_semaphore_of_two_is_not_a_mutex"), "assertion",
                 message="2 threads inside, limit 1")
