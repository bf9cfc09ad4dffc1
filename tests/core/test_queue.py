"""queue.* under control: blocking get/put, orders, timeouts, join/task_done."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, outcome_values, scenario_names

FILE = "queues.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_lifo_consumer_sees_both_orders() -> None:
    result = explore_one(FILE, "scenario_ok_lifo_concurrent")
    assert outcome_values(result) == {(1, 2), (2, 1)}


@pytest.mark.parametrize("name", ["scenario_bug_maxsize_not_a_limit", "scenario_bug_task_done_too_early"])
def test_misuses_are_found(name: str) -> None:
    assert_fails(explore_one(FILE, name), "assertion")
