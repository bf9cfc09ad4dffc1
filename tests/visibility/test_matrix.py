"""Each construct x {dfs, dpor, portfolio}: the bug is found, and its locked twin passes.

The bug of every program is reachable only if the construct is a visible read or write
(``constructs.py``), so a checker that misses it passes the bug and, under ``dpor``, calls
it ``exhausted``. ``test_matrix_is_sound`` runs the same programs with the construct made
visible by hand, which pins the programs themselves: there, every bug is found today.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .constructs import CONSTRUCTS, Construct
from .helpers import SEARCH, cases, describe, explore, summary


def assert_found(c: Construct, path: Path, strategy: str) -> None:
    result = explore(path, "scenario_bug", strategy, **SEARCH)
    text = summary(c, path, "scenario_bug", strategy, result)
    assert result.verdict == "fail", "the bug was not found: " + text
    assert result.failure is not None and result.failure.kind == "assertion", text


def assert_twin_passes(c: Construct, path: Path, strategy: str) -> None:
    result = explore(path, "scenario_twin", strategy)
    text = summary(c, path, "scenario_twin", strategy, result)
    assert result.failure is None, "the locked twin failed: " + text
    assert result.verdict == "pass", text
    if strategy in ("dfs", "dpor"):
        assert result.exhausted, "no certificate for the locked twin: " + text
    assert result.races == [], f"a data race on the locked twin: {describe(result.races)}\n{text}"


@pytest.mark.parametrize("construct, strategy", cases(CONSTRUCTS))
def test_bug_is_found(programs: dict[str, Path], construct: Construct, strategy: str) -> None:
    assert_found(construct, programs[construct.name], strategy)


@pytest.mark.parametrize("construct, strategy", cases(CONSTRUCTS))
def test_locked_twin_passes(programs: dict[str, Path], construct: Construct, strategy: str) -> None:
    assert_twin_passes(construct, programs[construct.name], strategy)


@pytest.mark.parametrize("construct, strategy", cases(CONSTRUCTS, ["dpor"]))
def test_matrix_is_sound(probed_programs: dict[str, Path], construct: Construct, strategy: str) -> None:
    """With an already visible access of the construct's location just before it, ``dpor``
    (which explores only what conflicts) finds the bug and certifies the twin: all the
    matrix asks of the engine is to see the construct."""
    assert_found(construct, probed_programs[construct.name], strategy)
    assert_twin_passes(construct, probed_programs[construct.name], strategy)
