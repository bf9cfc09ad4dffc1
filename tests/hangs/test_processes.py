"""Child processes in a scenario: ``subprocess`` runs uncontrolled and the verdict says so;
``multiprocessing`` and ``os.fork`` are refused with one line (exit status 2). Nothing hangs."""

from __future__ import annotations

import pytest

from .helpers import racelab, where


def test_subprocess_runs_uncontrolled_and_says_so() -> None:
    run = racelab("explore", "processes.py::scenario_subprocess_run", "--max-schedules", "30", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    [result] = run.json()["scenarios"]
    assert result["verdict"] == "inconclusive" and result["schedules"] > 1, result
    [text] = result["unseen"]
    assert text.startswith(f"a child process was started at {where('processes.py', 'done = subprocess.run(')}"), text
    assert "does not control it" in text, text


@pytest.mark.parametrize("name, what", [
    ("scenario_multiprocessing_pool", where("processes.py", "with multiprocessing.Pool(2) as pool:")),
    ("scenario_spawned_process", where("processes.py", "p.start()")),
    ("scenario_process_pool_executor", where("processes.py", "assert list(pool.map(_square, [1, 2]))")),
    ("scenario_fork", where("processes.py", "pid = os.fork()") + "`: the scenario calls os.fork()"),
])
def test_multiprocessing_and_fork_are_refused_in_one_line(name: str, what: str) -> None:
    run = racelab("explore", f"processes.py::{name}", timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("racelab: error: ") and what in line, line
    assert "multiprocessing" in line or "os.fork" in line
    assert run.elapsed < 20


def test_everything_patched_for_processes_and_selectors_is_put_back() -> None:
    import _posixsubprocess
    import os
    import selectors
    import subprocess

    import racelab

    from .helpers import SCENARIOS

    def snapshot() -> dict[str, object]:
        return {"fork": os.fork, "system": os.system, "posix_spawn": os.posix_spawn, "fork_exec": _posixsubprocess.fork_exec,
                "Popen": dict(vars(subprocess.Popen)), "epoll select": vars(selectors.EpollSelector)["select"],
                "poll select": vars(selectors._PollLikeSelector)["select"],  # type: ignore[attr-defined]
                "select select": vars(selectors.SelectSelector)["select"]}

    before = snapshot()
    [result] = racelab.explore(str(SCENARIOS / "aio.py::scenario_sleep_is_virtual"), racelab.Settings(max_schedules=3))
    assert result.verdict == "pass"
    assert snapshot() == before
