"""Lock under control."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, scenario_names

FILE = "lock.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_unlocked_counter_loses_an_update() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_bug_unlocked_counter"), "assertion", message="1")
    assert failure.preemptions >= 1
