"""Tracked file handles: seek and write are scheduling points on the shared offset."""

from __future__ import annotations

from .helpers import assert_fails, assert_passes_exhaustively, explore_one


FILE = "files.py"


def test_locked_appends_pass_exhaustively() -> None:
    assert_passes_exhaustively(explore_one(FILE, "scenario_ok_locked_appends"))


def test_seek_then_write_overwrites_a_record() -> None:
    failure = assert_fails(explore_one(FILE, "scenario_bug_unlocked_seek_then_write"), "assertion",
                           message="a record was overwritten")
    ops = [step.op for step in failure.trace]
    assert any(op.startswith("seek file ") for op in ops) and any(op.startswith("write file ") for op in ops), ops
    assert any((step.location or "").startswith("file ") for step in failure.trace)
