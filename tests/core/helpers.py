"""Explore the scenario fixtures of ``tests/core/scenarios`` with small, exhaustive budgets."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import racelab
from racelab import ScenarioResult

SCENARIOS = Path(__file__).parent / "scenarios"
REPO = Path(__file__).resolve().parents[2]
#: dfs with preemption bound 2 and a few hundred schedules: every correct fixture is
#: small enough to be exhausted within it.
EXHAUSTIVE = dict(strategy="dfs", preemption_bound=2, max_schedules=3000, time_limit=30.0, detect=False)


def target(file: str, name: str | None = None) -> str:
    path = str(SCENARIOS / file)
    return path if name is None else f"{path}::{name}"


def explore_one(file: str, name: str, **settings: Any) -> ScenarioResult:
    """Explore ``file::name`` (dfs, bound 2, unless overridden) and return its one result."""
    options = {**EXHAUSTIVE, **settings}
    results = racelab.explore(target(file, name), racelab.Settings(**options))
    assert len(results) == 1, results
    return results[0]


def assert_passes_exhaustively(result: ScenarioResult) -> None:
    failure = result.failure
    assert failure is None, f"{result.id}: {failure.kind}: {failure.message}\n{failure.traceback}"
    assert result.verdict == "pass"
    assert result.exhausted, f"{result.id}: not exhausted after {result.schedules} schedules"
    assert result.schedules >= 1


def assert_fails(result: ScenarioResult, kind: str, *, message: str = "") -> racelab.Failure:
    assert result.verdict == "fail", f"{result.id}: expected a {kind} failure, passed {result.schedules} schedules"
    failure = result.failure
    assert failure is not None
    assert failure.kind == kind, f"{failure.kind}: {failure.message}"
    assert message in failure.message, failure.message
    assert not result.exhausted
    return failure


def outcome_values(result: ScenarioResult) -> set[Any]:
    """The values the scenario returned, over every passing schedule (repr parsed back)."""
    return {_freeze(ast.literal_eval(text)) for text in result.outcomes}


def _freeze(value: Any) -> Any:
    """Lists become tuples (recursively) so that outcomes can be compared as a set."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def scenario_names(file: str, prefix: str) -> list[str]:
    """Top-level function names of a fixture file that start with ``prefix`` (read, not imported)."""
    tree = ast.parse((SCENARIOS / file).read_text())
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith(prefix)]


def run_cli(*args: str, cwd: str | os.PathLike[str] | None = None,
            python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    """``racelab ARGS`` in a fresh interpreter: the installed console script, or ``python``'s entry point."""
    script = Path(sys.executable).with_name("racelab")
    if python == sys.executable and script.exists():
        command = [str(script), *args]
    else:
        command = [python, "-c", "import sys, racelab.cli; sys.exit(racelab.cli.main())", *args]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
