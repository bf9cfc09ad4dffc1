"""Explore one scenario of a generated program, and say what went wrong in a readable way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import racelab
from racelab import ScenarioResult

from .constructs import Construct

STRATEGIES = ["dfs", "dpor", "portfolio"]
#: Small programs explore in milliseconds; the budget only bounds a runaway.
BUDGET = dict(max_schedules=2000, time_limit=20.0)
#: Finding the bug is the point, not its shortest schedule: no shrinking.
SEARCH = dict(BUDGET, shrink=False)


def explore(path: Path, name: str, strategy: str, **settings: object) -> ScenarioResult:
    """``path::name`` under ``strategy`` (detectors on, as by default) and ``BUDGET``."""
    options = {**BUDGET, "strategy": strategy, **settings}
    (result,) = racelab.explore(f"{path}::{name}", racelab.Settings(**options))  # type: ignore[arg-type]
    return result


def summary(c: Construct, path: Path, name: str, strategy: str, result: ScenarioResult) -> str:
    """What happened, the construct, and the command that shows it."""
    failure = result.failure
    outcome = (f"{failure.kind}: {failure.message}" if failure is not None
               else f"{result.verdict}, {result.schedules} schedule(s), exhausted={result.exhausted}")
    return (f"{c.name} ({c.side} side: {c.check if c.side == 'check' else c.write.splitlines()[-1]!r})\n"
            f"    {name}: {outcome}\n"
            f"    racelab explore {path}::{name} --strategy {strategy}")


def describe(races: list[Any]) -> str:
    """Races in one line each: kind, location, the two lines."""
    return "; ".join(f"{r.kind} on {r.location} at lines {r.first.line} and {r.second.line}" for r in races) or "none"


def cases(constructs: list[Construct], strategies: list[str] = STRATEGIES) -> list[object]:
    """``construct x strategy`` parameters with ids ``<construct>-<strategy>``."""
    return [pytest.param(c, s, id=f"{c.name}-{s}") for c in constructs for s in strategies]
