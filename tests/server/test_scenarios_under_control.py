"""The server scenarios under ``racelab explore``: real sockets, controlled threads."""

from __future__ import annotations

import os

import pytest

import racelab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("path, verdict", [
    ("scenarios/server_counters.py", "fail"),
    ("fixes/server_counters_mutex.py", "pass"),
    ("scenarios/server_buffers.py", "fail"),
    ("fixes/server_buffers_fixed.py", "pass"),
])
def test_broken_fails_and_fix_passes(path: str, verdict: str) -> None:
    settings = racelab.Settings(strategy="portfolio", seed=0, max_schedules=300)
    [result] = racelab.explore(os.path.join(ROOT, path), settings)
    assert result.verdict == verdict, result.failure
    if verdict == "fail":
        replayed = racelab.replay(f"{os.path.join(ROOT, path)}::{result.id.split('::')[1]}",
                                  result.failure.schedule)
        assert replayed.verdict == "fail"
