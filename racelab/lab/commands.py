"""The ``compare`` and ``list`` subcommands.

Exit status of ``racelab compare``: 0 when the comparison ran (whatever the verdicts:
a failing broken scenario is the expected result), 2 for bad input; with ``--strict``,
1 when some variant did not behave as the catalogue expects (a broken scenario or wrong
fix that passed, a fix that failed, a failure of another kind).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import racelab
from racelab.cli import natural, positive_float, positive_int
from racelab.strategies import NAMES
from racelab.errors import UsageError
from racelab.lab.catalogue import catalogue, scenario_files
from racelab.lab.compare import Comparison, CostOptions, compare
from racelab.lab.render import render_catalogue, render_comparison

STRATEGIES = NAMES
DEFAULTS = {"strategy": "portfolio", "seed": 0, "max_schedules": 2000, "preemption_bound": 2}


def add_commands(subparsers: Any) -> None:
    _add_compare(subparsers)
    _add_list(subparsers)


def _add_compare(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare",
        help="explore a scenario and its fixes side by side",
        description="Explore a broken scenario and every fix with the same settings and print one table. "
        "Exit status: 0 when the comparison ran, 1 with --strict when a verdict is not the expected one, "
        "2 for bad input.",
    )
    p.add_argument("target", help="a scenario file, or a scenarios folder for the whole catalogue")
    p.add_argument("fixes", nargs="*", help="fix files (default: fixes/<scenario>_*.py beside the scenarios folder)")
    p.add_argument("--strategy", choices=STRATEGIES, default=DEFAULTS["strategy"])
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.add_argument("--max-schedules", type=positive_int, default=DEFAULTS["max_schedules"])
    p.add_argument("--time-limit", type=positive_float, default=None, help="seconds per variant")
    p.add_argument("--preemption-bound", type=natural, default=DEFAULTS["preemption_bound"])
    p.add_argument("--cost-runs", type=natural, default=20, help="uncontrolled runs timed per variant (0: skip)")
    p.add_argument("--cost-timeout", type=positive_float, default=5.0, help="seconds before an uncontrolled run counts as hung")
    p.add_argument("--strict", action="store_true", help="exit 1 when a variant does not behave as expected")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=run_compare)


def _add_list(subparsers: Any) -> None:
    p = subparsers.add_parser("list", help="list the scenario catalogue", description="One line per scenario: id and summary.")
    p.add_argument("folder", nargs="?", default="scenarios", help="the scenarios folder (default: scenarios)")
    p.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    p.set_defaults(func=run_list)


def _settings(args: argparse.Namespace) -> Any:
    return racelab.Settings(
        strategy=args.strategy,
        seed=args.seed,
        max_schedules=args.max_schedules,
        time_limit=args.time_limit,
        preemption_bound=args.preemption_bound,
    )


def _targets(args: argparse.Namespace) -> list[tuple[Path, list[Path] | None]]:
    target = Path(args.target)
    fixes = [Path(f) for f in args.fixes]
    if target.is_dir():
        if fixes:
            raise UsageError("fix files can only be given with a single scenario file, not a folder")
        found = scenario_files(target)
        if not found:
            raise UsageError(f"no scenario files in {target}")
        return [(p, None) for p in found]
    if not target.exists():
        raise UsageError(f"no such file or folder: {target}")
    return [(target, fixes or None)]


def _settings_json(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("strategy", "seed", "max_schedules", "time_limit", "preemption_bound", "cost_runs")
    return {k: getattr(args, k) for k in keys}


def run_compare(args: argparse.Namespace) -> int:
    targets = _targets(args)
    settings = _settings(args)
    costs = CostOptions(runs=args.cost_runs, timeout_s=args.cost_timeout)
    done: list[Comparison] = []
    interrupted = False
    try:
        for scenario, fixes in targets:
            comparison = compare(scenario, fixes, settings, costs)
            done.append(comparison)
            if not args.json:
                print(("\n" if len(done) > 1 else "") + render_comparison(comparison), flush=True)
            if comparison.interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:  # between two explorations, or while timing
        interrupted = True
    if args.json:
        print(json.dumps({"settings": _settings_json(args), "interrupted": interrupted,
                          "scenarios": [c.to_json() for c in done]}, indent=2))
    if interrupted:
        print("racelab: interrupted: the comparisons above are the results so far", file=sys.stderr)
        return 130
    if args.strict and not all(c.all_as_expected for c in done):
        return 1
    return 0


def run_list(args: argparse.Namespace) -> int:
    entries = catalogue(Path(args.folder))
    if args.json:
        data = [
            {
                "id": e.id,
                "path": str(e.path),
                "summary": e.summary,
                "expected": str(e.expected),
                "fixes": list(e.fixes),
            }
            for e in entries
        ]
        print(json.dumps(data, indent=2))
    else:
        print(render_catalogue(entries))
    sys.stdout.flush()
    return 0
