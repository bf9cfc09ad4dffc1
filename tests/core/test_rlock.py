"""RLock under control: re-entry, ownership."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, scenario_names

FILE = "rlock.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_reentering_a_plain_lock_is_a_deadlock() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_bug_reentry_with_plain_lock"), "deadlock")
    assert any(line.startswith("Thread-1 (work) waits for Lock(") and "held by Thread-1 (work)" in line for line in failure.details), \
        failure.details
