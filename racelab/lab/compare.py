"""``racelab compare``: the broken scenario and its fixes, explored side by side.

Every variant is explored with the same settings (strategy, seed, budget), so the
columns are comparable: which variant fails, after how many schedules, with which kind
of failure; whether a passing variant exhausted its (bounded) schedule space, which is
the certificate that it passes; the outcome histogram; the data races and lock-order
cycles (potential deadlocks) the detectors saw; and what the fix costs when the code runs for real (``cost.py``), relative to the
broken variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import racelab
from racelab.lab import cost as cost_mod
from racelab.lab.catalogue import Role, Variant, summary_of, variants


@dataclass(frozen=True)
class Row:
    variant: Variant
    function: str
    label: str
    verdict: str
    failure_kind: str | None
    found_after: int | None
    replay: str | None
    schedules: int
    exhausted: bool
    outcomes: dict[str, int]
    races: int
    lock_cycles: int  # potential deadlocks: cycles in the lock-order graph
    elapsed_s: float
    cost: cost_mod.Cost | None
    relative_cost: float | None

    @property
    def as_expected(self) -> bool:
        return self.variant.expected.met_by(self.verdict, self.failure_kind)

    def to_json(self) -> dict[str, Any]:
        v = self.variant
        return {
            "variant": self.label,
            "path": str(v.path),
            "function": self.function,
            "remedy": v.remedy,
            "role": v.role.value,
            "expected": {"verdict": v.expected.verdict, "kind": v.expected.kind},
            "verdict": self.verdict,
            "as_expected": self.as_expected,
            "failure": None
            if self.failure_kind is None
            else {"kind": self.failure_kind, "found_after": self.found_after, "schedule": self.replay},
            "schedules": self.schedules,
            "exhausted": self.exhausted,
            "outcomes": self.outcomes,
            "races": self.races,
            "lock_cycles": self.lock_cycles,
            "elapsed_s": round(self.elapsed_s, 4),
            "cost": None if self.cost is None else {**self.cost.to_json(), "relative": self.relative_cost},
        }


@dataclass(frozen=True)
class Comparison:
    scenario_id: str
    path: Path
    summary: str
    rows: tuple[Row, ...]
    #: Ctrl-C stopped the comparison: ``rows`` are the variants explored so far
    interrupted: bool = False

    @property
    def all_as_expected(self) -> bool:
        return all(r.as_expected for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario_id,
            "path": str(self.path),
            "summary": self.summary,
            "all_as_expected": self.all_as_expected,
            "interrupted": self.interrupted,
            "variants": [r.to_json() for r in self.rows],
        }


@dataclass(frozen=True)
class CostOptions:
    runs: int = 20  # 0: do not measure
    timeout_s: float = 5.0


def _function_name(result: Any) -> str:
    return str(result.id).rsplit("::", 1)[-1]


def _relative(cost: cost_mod.Cost | None, base: cost_mod.Cost | None) -> float | None:
    if cost is None or base is None or cost.median_s is None or not base.median_s:
        return None
    return cost.median_s / base.median_s


def _row(variant: Variant, result: Any, cost: cost_mod.Cost | None, base: cost_mod.Cost | None, many: bool) -> Row:
    failure = result.failure
    name = _function_name(result)
    return Row(
        variant=variant,
        function=name,
        label=f"{variant.label}::{name}" if many else variant.label,
        verdict=str(result.verdict),
        failure_kind=None if failure is None else str(failure.kind),
        found_after=None if failure is None else failure.found_after,
        replay=None if failure is None else failure.schedule,
        schedules=result.schedules,
        exhausted=bool(result.exhausted),
        outcomes=dict(result.outcomes),
        races=len(result.races or ()),
        lock_cycles=len(getattr(result, "lock_order", None) or ()),
        elapsed_s=float(result.elapsed_s),
        cost=cost,
        relative_cost=_relative(cost, base),
    )


def _costs(explored: list[tuple[Variant, Any]], costs: CostOptions) -> list[cost_mod.Cost | None]:
    if costs.runs <= 0:
        return [None] * len(explored)
    fns = [cost_mod.plain_function(v.path, _function_name(r)) for v, r in explored]
    return list(cost_mod.measure_many(fns, costs.runs, costs.timeout_s))


def compare(scenario: Path, fixes: list[Path] | None, settings: Any, costs: CostOptions) -> Comparison:
    """Explores the broken scenario, then each fix, with the same settings; then times them all.
    Ctrl-C stops it with the variants explored so far (``interrupted``; nothing is timed then)."""
    explored: list[tuple[Variant, Any]] = []
    interrupted = False
    for variant in variants(scenario, fixes):
        try:
            results = racelab.explore(str(variant.path), settings)
        except KeyboardInterrupt as stop:
            explored += [(variant, r) for r in getattr(stop, "results", ())]
            interrupted = True
            break
        explored += [(variant, r) for r in results]
    measured = [None] * len(explored) if interrupted else _costs(explored, costs)
    per_file: dict[Path, int] = {}
    for variant, _ in explored:
        per_file[variant.path] = per_file.get(variant.path, 0) + 1
    base_costs = {
        _function_name(r): c for (v, r), c in zip(explored, measured) if v.role is Role.BROKEN
    }
    rows = []
    for (variant, result), cost in zip(explored, measured):
        base = base_costs.get(_function_name(result), next(iter(base_costs.values()), None))
        rows.append(_row(variant, result, cost, base, per_file[variant.path] > 1))
    return Comparison(scenario.stem, scenario, summary_of(scenario), tuple(rows), interrupted)
