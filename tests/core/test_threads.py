"""Threads under control: nesting, daemons, Timer, identity functions."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, outcome_values, scenario_names

FILE = "threads.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_nested_threads_interleave_both_ways() -> None:
    result = explore_one(FILE, "scenario_ok_nested_threads")
    assert outcome_values(result) == {("leaf", "middle"), ("middle", "leaf")}


def test_an_unjoined_grandchild_is_found() -> None:
    assert_fails(explore_one(FILE, "scenario_bug_nested_thread_not_joined"), "assertion")


def test_a_forever_blocked_non_daemon_thread_is_a_deadlock() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_bug_non_daemon_waits_forever"), "deadlock")
    assert any(line.startswith("stuck waits for Event(") for line in failure.details), failure.details


def test_active_count_counts_a_running_thread() -> None:
    assert outcome_values(explore_one(FILE, "scenario_ok_active_count_changes")) == {1, 2}
