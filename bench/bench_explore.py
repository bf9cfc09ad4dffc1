"""Schedules per second of the controlled runtime (random strategy, no early stop).

Prints figures; asserts nothing. Run: python bench/bench_explore.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time

import racelab
from racelab._core.explorer import explore_function  # noqa: F401 - imported for users reading this

LOST_UPDATE = '''
import threading

def scenario_lost_update_unchecked():
    box = {"n": 0}
    def work():
        box["n"] += 1
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return box["n"]

def scenario_locked_counter_4():
    box = {"n": 0}
    lock = threading.Lock()
    def work():
        with lock:
            box["n"] += 1
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 4
'''


def measure(path: str, name: str, n: int, detect: bool) -> tuple[float, int]:
    settings = racelab.Settings(strategy="random", max_schedules=n, time_limit=60, detect=detect)
    start = time.perf_counter()
    [result] = racelab.explore(f"{path}::{name}", settings)
    elapsed = time.perf_counter() - start
    return result.schedules / elapsed, result.schedules


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench_scenarios.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(LOST_UPDATE))
        print(f"racelab {racelab.__version__}, Python {sys.version.split()[0]}, {n} schedules per row")
        for name in ("scenario_lost_update_unchecked", "scenario_locked_counter_4"):
            for detect in (False, True):
                rate, count = measure(path, name, n, detect)
                label = "with race detector" if detect else "scheduler only"
                print(f"  {name:<32} {label:<20} {rate:>9,.0f} schedules/s ({count} schedules)")


if __name__ == "__main__":
    main()
