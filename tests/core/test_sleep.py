"""time.sleep on the virtual clock: exploring never really sleeps."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, outcome_values, scenario_names

FILE = "sleep.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_a_100_second_sleep_is_virtual() -> None:
    # every schedule saw exactly 100 seconds pass on each clock; the budget is a few hundred
    # schedules, so none of them can have slept for real (the test timeout would fire first)
    result = explore_one(FILE, "scenario_ok_sleep_100_virtual_seconds")
    assert outcome_values(result) == {(100, 100, 100)}


def test_sleepers_wake_at_their_deadlines() -> None:
    result = explore_one(FILE, "scenario_ok_sleepers_wake_in_deadline_order")
    assert outcome_values(result) == {(("fast", 10), ("slow", 20))}


def test_equal_sleeps_do_not_serialise() -> None:
    assert_fails(explore_one(FILE, "scenario_bug_sleep_is_not_synchronisation"), "assertion")
