"""Primitives created and used at import time keep that state in every execution."""

from __future__ import annotations

import pytest

from .helpers import assert_passes_exhaustively, explore_one, scenario_names

FILE = "module_state.py"


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_"))
def test_import_time_state_is_the_initial_state(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))
