"""Event under control."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, scenario_names

FILE = "event.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_reading_before_the_event_is_found() -> None:
    assert_fails(explore_one(FILE, "scenario_bug_read_without_waiting"), "assertion")
