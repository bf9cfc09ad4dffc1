"""Executions to exhaustion under ``--strategy dpor`` on the classic DPOR benchmarks.

Each program is ported to plain ``threading``; the published count is the number of
Mazurkiewicz traces, which an optimal DPOR explores exactly once each (Abdulla, Aronis,
Jonsson, Sagonas, "Source Sets: A Foundation for Optimal Dynamic Partial Order Reduction",
JACM 2017; the counters and lastzero/readers counts as measured for this port). Prints
figures and the ratio executions / optimal; asserts nothing.

Run: python bench/bench_dpor.py [time limit per row in seconds, default 120]
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time

import racelab

PROGRAMS = '''
import threading
from racelab.atomic import AtomicInt


def _run(bodies):
    threads = [threading.Thread(target=b) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def locked_counter(n):
    box = {"n": 0}
    lock = threading.Lock()
    def work():
        with lock:
            box["n"] += 1
    _run([work] * n)
    assert box["n"] == n


def unlocked_counter(n):
    box = {"n": 0}
    def work():
        box["n"] += 1
    _run([work] * n)
    return box["n"]


def lastzero(n):
    array = [0] * (n + 1)
    def zero():
        i = n
        while array[i] != 0:
            i -= 1
    def inc(j):
        def body():
            array[j] = array[j - 1] + 1
        return body
    _run([zero] + [inc(j) for j in range(1, n + 1)])


def readers(n):
    box = {"x": 0}
    def read():
        box["x"]
    def write():
        box["x"] = 1
    _run([read] * n + [write])


def indexer(n):
    size = 128
    table = [AtomicInt(0) for _ in range(size)]
    def work(tid):
        def body():
            for m in range(1, 5):
                w = m * 11 + tid
                h = (w * 7) % size
                while not table[h].compare_and_set(0, w):
                    h = (h + 1) % size
        return body
    _run([work(t) for t in range(n)])


def scenario_locked_counter_2(): locked_counter(2)
def scenario_locked_counter_3(): locked_counter(3)
def scenario_locked_counter_4(): locked_counter(4)
def scenario_locked_counter_5(): locked_counter(5)
def scenario_unlocked_counter_3(): return unlocked_counter(3)
def scenario_unlocked_counter_4(): return unlocked_counter(4)
def scenario_lastzero_3(): lastzero(3)
def scenario_lastzero_5(): lastzero(5)
def scenario_readers_4(): readers(4)
def scenario_readers_6(): readers(6)
def scenario_indexer_13(): indexer(13)
'''

#: (scenario, optimal count)
ROWS = [
    ("locked_counter_2", 2), ("locked_counter_3", 6), ("locked_counter_4", 24), ("locked_counter_5", 120),
    ("unlocked_counter_3", 36), ("unlocked_counter_4", 576),
    ("lastzero_3", 12), ("lastzero_5", 64),
    ("readers_4", 16), ("readers_6", 64),
    ("indexer_13", 64),
]


def main() -> None:
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "classic.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(PROGRAMS))
        print(f"racelab {racelab.__version__}, Python {sys.version.split()[0]}, dpor, {limit:g} s per row")
        print(f"  {'program':<22} {'optimal':>8} {'executions':>11} {'ratio':>7} {'s':>7} {'ms/exec':>8}")
        for name, optimal in ROWS:
            settings = racelab.Settings(strategy="dpor", max_schedules=10_000_000, time_limit=limit, detect=False,
                                        shrink=False)
            start = time.perf_counter()
            [result] = racelab.explore(f"{path}::scenario_{name}", settings)
            elapsed = time.perf_counter() - start
            done = "" if result.exhausted else f"  (not exhausted: {result.verdict})"
            print(f"  {name:<22} {optimal:>8} {result.schedules:>11,} {result.schedules / optimal:>7.2f} "
                  f"{elapsed:>7.1f} {1000 * elapsed / max(result.schedules, 1):>8.2f}{done}", flush=True)


if __name__ == "__main__":
    main()
