"""A thread stuck where racelab cannot see (a real blocking call, a loop in uninstrumented code, a
real lock made before exploring) is reported once, with where it is stuck; ``--time-limit`` is a
hard bound; a main thread that cannot be interrupted ends the process with the results so far."""

from __future__ import annotations

import pytest

from .helpers import racelab, where


STUCK = {
    "scenario_main_reads_a_pipe_nobody_writes": ("MainThread", where("stuck.py", "os.read(r, 1)")),
    "scenario_worker_selects_forever": ("Thread-1 (wait)", where("stuck.py", "select.select([r], [], [])")),
    "scenario_worker_blocks_in_a_builtin": ("Thread-1 (read)", "threading.py:"),
    "scenario_main_spins": ("MainThread", "<uninstrumented>:1"),
    "scenario_worker_spins": ("Thread-1 (exec)", "<uninstrumented>:1"),
    "scenario_real_lock_made_before_exploring": ("Thread-", where("stuck.py", "with _made_before.REAL_LOCK:")),
    "scenario_logger_class_under_logging_lock": ("Thread-", "logging/__init__.py:"),
}


@pytest.mark.parametrize("name", sorted(STUCK))
def test_a_stuck_thread_is_reported_once_with_where_it_is(name: str) -> None:
    thread, site = STUCK[name]
    run = racelab("explore", f"stuck.py::{name}", "--stall-timeout", "0.5", "--time-limit", "30", "--json",
                  "--no-instrument", "_made_before", imports=("_made_before", "logging"))
    assert run.returncode == 0, run.stdout + run.stderr
    [result] = run.json()["scenarios"]
    assert result["verdict"] == "inconclusive" and not result["exhausted"], result
    [text] = result["unseen"]
    assert text.startswith(f"thread {thread}") and "made no progress for" in text, text
    assert site in text, text
    if name in ("scenario_real_lock_made_before_exploring", "scenario_logger_class_under_logging_lock"):
        assert "a real lock made before exploring that racelab does not control" in text, text
    assert run.elapsed < 20, run.elapsed


def test_the_report_is_readable() -> None:
    run = racelab("explore", "stuck.py::scenario_main_reads_a_pipe_nobody_writes", "--stall-timeout", "0.5")
    assert run.returncode == 0
    assert run.stdout.startswith("INCONCLUSIVE  stuck.py::scenario_main_reads_a_pipe_nobody_writes"), run.stdout
    assert run.stdout.count("not seen: ") == 1
    assert "in code racelab does not control" in run.stdout and "1 inconclusive" in run.stdout


@pytest.mark.parametrize("name", ["scenario_main_reads_a_pipe_nobody_writes", "scenario_worker_spins",
                                  "scenario_real_lock_made_before_exploring"])
def test_the_time_limit_is_a_hard_bound(name: str) -> None:
    run = racelab("explore", f"stuck.py::{name}", "--time-limit", "1", "--stall-timeout", "60", "--json",
                  "--no-instrument", "_made_before", imports=("_made_before",))
    assert run.returncode == 0, run.stdout + run.stderr
    [result] = run.json()["scenarios"]
    assert result["verdict"] in ("inconclusive", "pass"), result
    assert run.elapsed < 8, run.elapsed
    if name != "scenario_real_lock_made_before_exploring":  # the others never finish a schedule
        assert any("within the time limit of 1 s" in text for text in result["unseen"]), result


def test_a_main_thread_that_cannot_be_interrupted_ends_the_process() -> None:
    run = racelab("explore", "uninterruptible.py", "--time-limit", "1")
    assert run.returncode == 2, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert where("uninterruptible.py", "select.select([], [], [], 60)") in line and line.endswith("giving up"), line
    assert run.elapsed < 12, run.elapsed
