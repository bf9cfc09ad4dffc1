"""Attribute, item, slice and delete accesses are scheduling points; built-in container methods are atomic."""

from __future__ import annotations

import pytest

from .helpers import assert_fails, assert_passes_exhaustively, explore_one, scenario_names

FILE = "shared_access.py"
KINDS = {"scenario_bug_del_item": "exception", "scenario_bug_delattr": "exception"}


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_atomic_container_methods_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_bug_"))
def test_racy_accesses_are_found(name: str) -> None:
    assert_fails(explore_one(FILE, name), KINDS.get(name, "assertion"))
