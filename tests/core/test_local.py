"""threading.local under control: one namespace per controlled thread."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, scenario_names

FILE = "local.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


def test_a_shared_object_is_not_thread_local() -> None:
    assert_fails(explore_one(FILE, "scenario_bug_shared_object_instead_of_local"), "assertion")
