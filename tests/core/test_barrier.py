"""Barrier under control: parties meet, broken barriers, reset."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, scenario_names

FILE = "barrier.py"
#: three threads meeting twice: bound 1 keeps the exhaustive space to a few hundred schedules
BOUND_1 = {"scenario_ok_barrier_of_3", "scenario_ok_action_runs_once_per_generation"}


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    bound = 1 if name in BOUND_1 else 2
    assert_passes_exhaustively(explore_one(FILE, name, preemption_bound=bound))


def test_barrier_of_two_for_three_threads_is_found() -> None:
    result = explore_one(FILE, "scenario_bug_barrier_too_small")
    assert result.verdict == "fail"
    assert result.failure is not None and result.failure.kind in ("assertion", "deadlock")
