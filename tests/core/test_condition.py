"""Condition under control: every correct use passes exhaustively, every misuse is found."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, outcome_values, scenario_names

FILE = "condition.py"
#: three threads on two conditions: bound 1 keeps the exhaustive space under a thousand schedules
BOUND_1 = {"scenario_ok_notify_wakes_one_fifo", "scenario_ok_notify_all_wakes_every_waiter"}


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    if name in BOUND_1:
        assert_passes_exhaustively(explore_one(FILE, name, preemption_bound=1, max_schedules=3000))
    else:
        assert_passes_exhaustively(explore_one(FILE, name))


def test_both_orders_explored_including_waiter_first() -> None:
    result = explore_one(FILE, "scenario_ok_waiter_first")
    assert outcome_values(result) == {True, False}


def test_wait_timeout_true_when_notified_while_waiting_false_otherwise() -> None:
    result = explore_one(FILE, "scenario_ok_wait_timeout_race")
    assert_passes_exhaustively(result)
    assert outcome_values(result) == {True, False}


def test_wait_without_predicate_deadlocks() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_bug_wait_without_predicate"), "deadlock")
    assert any("waits for a notify of Condition" in line for line in failure.details), failure.details


def test_notify_is_not_notify_all() -> None:
    assert_fails(explore_one(FILE, "scenario_bug_notify_one_expecting_all"), "assertion")
