"""asyncio with worker threads (``asyncio.to_thread``, ``loop.run_in_executor``): the event loop
waits in its selector without holding the scheduler, so the workers run and races in them are found."""

from __future__ import annotations

import pytest

from .helpers import racelab


def test_asyncio_to_thread_finds_the_lost_update_and_replays_it() -> None:
    run = racelab("explore", "aio.py::scenario_to_thread_lost_update", "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    [result] = run.json()["scenarios"]
    failure = result["failure"]
    assert failure["kind"] == "assertion" and failure["message"] == "AssertionError: 1", failure
    assert any(step["op"].startswith("read box['n']") and step["thread"].startswith("asyncio_")
               for step in failure["trace"]), failure["trace"]
    replayed = racelab("replay", "aio.py::scenario_to_thread_lost_update", failure["schedule"])
    assert replayed.returncode == 1 and "REPRODUCED" in replayed.stdout, replayed.stdout + replayed.stderr


def test_asyncio_run_in_executor_finds_the_lost_update() -> None:
    run = racelab("explore", "aio.py::scenario_run_in_executor_lost_update", "--no-races")
    assert run.returncode == 1 and "AssertionError: 1" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize("name", ["scenario_to_thread_locked", "scenario_sleep_is_virtual"])
def test_correct_asyncio_scenarios_pass(name: str) -> None:
    run = racelab("explore", f"aio.py::{name}", "--max-schedules", "200", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    [result] = run.json()["scenarios"]
    assert result["verdict"] == "pass" and not result["unseen"], result
    assert run.elapsed < 30
