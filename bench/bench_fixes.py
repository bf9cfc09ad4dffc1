"""Benchmark: exploration speed and uncontrolled cost of every catalogue variant.

Prints figures, asserts nothing. For each scenario and each of its fixes: the verdict,
schedules explored, exploration time, schedules per second, and the median wall time of
one uncontrolled run relative to the broken variant.

    python bench/bench_fixes.py [scenarios/] [--max-schedules N] [--cost-runs N] [--exclude PREFIX]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import racelab
from racelab.lab.catalogue import scenario_files
from racelab.lab.compare import CostOptions, compare
from racelab.lab.render import format_seconds, table

HEADERS = ("variant", "verdict", "schedules", "explore", "sched/s", "cost/run", "vs broken")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parents[1] / "scenarios"))
    parser.add_argument("--max-schedules", type=int, default=5000)
    parser.add_argument("--cost-runs", type=int, default=50)
    parser.add_argument("--exclude", default="server_", help="skip scenario ids with this prefix ('' keeps all)")
    args = parser.parse_args()
    settings = racelab.Settings(strategy="dfs", seed=0, max_schedules=args.max_schedules, preemption_bound=2)
    rows = []
    total_schedules, total_time = 0, 0.0
    for path in scenario_files(Path(args.folder)):
        if args.exclude and path.stem.startswith(args.exclude):
            continue
        for row in compare(path, None, settings, CostOptions(runs=args.cost_runs)).rows:
            rate = row.schedules / row.elapsed_s if row.elapsed_s else 0.0
            total_schedules += row.schedules
            total_time += row.elapsed_s
            relative = "-" if row.relative_cost is None else f"{row.relative_cost:.2f}x"
            cost = format_seconds(row.cost.median_s if row.cost else None)
            rows.append((row.label, row.verdict, str(row.schedules), f"{row.elapsed_s:.2f} s", f"{rate:.0f}", cost, relative))
    print(table(rows, HEADERS))
    print(f"\n{total_schedules} schedules in {total_time:.1f} s ({total_schedules / max(total_time, 1e-9):.0f} schedules/s)")


if __name__ == "__main__":
    main()
