"""ThreadPoolExecutor under control: futures, map, exceptions, shutdown."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, outcome_values, scenario_names

FILE = "executor.py"
#: futures synchronise through a Condition each (many scheduling points): bound 1 keeps every
#: space at a few hundred schedules
BOUND = 1


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name, preemption_bound=BOUND))


def test_a_second_worker_is_used_in_some_schedule() -> None:
    assert outcome_values(explore_one(FILE, "scenario_ok_worker_threads_are_named_and_bounded", preemption_bound=BOUND)) == {1, 2}


def test_cancel_futures_races_with_the_worker() -> None:
    # both cancelled (the worker had not started), only the queued one (the worker was busy), or only the
    # first one (the worker took the second between shutdown's cancellations, as CPython's can); never neither
    result = explore_one(FILE, "scenario_ok_cancel_futures_races_with_the_worker", preemption_bound=BOUND)
    assert outcome_values(result) == {(True, True), (False, True), (True, False)}


def test_lost_update_between_pool_tasks_is_found() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_bug_lost_update_in_tasks"), "assertion")
    assert {"ThreadPoolExecutor-0_0", "ThreadPoolExecutor-0_1"} <= {step.thread for step in failure.trace}
