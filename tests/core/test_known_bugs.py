"""Known-buggy programs are found; their correct counterparts pass."""

from __future__ import annotations

import pytest

from .helpers import REPO, assert_fails, assert_passes_exhaustively, explore_one, run_cli

FILE = "known_bugs.py"


@pytest.mark.parametrize(("name", "location"), [
    ("scenario_lost_update_attribute", "Account.balance"),
    ("scenario_lost_update_item", "box['n']"),
    ("scenario_lost_update_global", "global counter"),
    ("scenario_lost_update_nonlocal", "nonlocal n"),
])
def test_lost_update_is_found(name: str, location: str) -> None:
    failure = assert_fails(explore_one(FILE, name), "assertion", message="1")
    assert failure.preemptions == 1, "the shrunk schedule needs exactly one preemption"
    locations = [step.location for step in failure.trace if step.location]
    assert any(location in loc for loc in locations), locations
    # the interleaving shows both workers reading the same old value (the trace says what was read)
    stale = {step.thread for step in failure.trace
             if step.thread != "MainThread" and location in (step.location or "") and step.op.startswith("read")
             and step.op.endswith("-> 0")}
    assert len(stale) == 2, [(s.thread, s.op) for s in failure.trace]


def test_check_then_act_is_found() -> None:
    assert_fails(explore_one(FILE, "scenario_check_then_act"), "assertion", message="created 2 times")


def test_check_then_act_under_a_lock_passes() -> None:
    assert_passes_exhaustively(explore_one(FILE, "scenario_check_then_act_locked"))


def test_lock_order_deadlock_report_names_each_thread_and_what_it_waits_for() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_lock_order_deadlock"), "deadlock")
    details = "\n".join(failure.details)
    ab = next(line for line in failure.details if line.startswith("ab waits for Lock("))
    ba = next(line for line in failure.details if line.startswith("ba waits for Lock("))
    assert "(held by ba)" in ab and "known_bugs.py:" in ab and "with b:" in ab, details
    assert "(held by ab)" in ba and "known_bugs.py:" in ba and "with a:" in ba, details
    assert any(line.startswith("MainThread waits for thread ") for line in failure.details), details


def test_cli_deadlock_report_lists_every_thread() -> None:
    proc = run_cli("explore", "tests/core/scenarios/known_bugs.py::scenario_lock_order_deadlock", cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    assert "(deadlock)" in proc.stdout
    for who, holder in (("ab", "ba"), ("ba", "ab")):
        assert any(line.strip().startswith(f"{who} waits for Lock(") and f"(held by {holder})" in line
                   for line in proc.stdout.splitlines()), proc.stdout
    assert "Replay: racelab replay tests/core/scenarios/known_bugs.py::scenario_lock_order_deadlock rl1" in proc.stdout


def test_livelock_hits_the_step_bound() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_livelock", max_steps=2000, max_schedules=20), "livelock",
                           message="2000 scheduling steps")
    assert failure.thread.startswith("Thread-"), failure.thread


def test_peterson_lock_passes_under_a_fair_scheduler() -> None:
    result = explore_one(FILE, "scenario_peterson", preemption_bound=1)
    assert_passes_exhaustively(result)


def test_peterson_lock_passes_random_schedules() -> None:
    result = explore_one(FILE, "scenario_peterson", strategy="random", seed=7, max_schedules=300)
    assert result.verdict == "pass" and result.schedules == 300


def test_broken_peterson_lock_is_found() -> None:
    assert_fails(explore_one(FILE, "scenario_peterson_broken"), "assertion", message="two threads")
