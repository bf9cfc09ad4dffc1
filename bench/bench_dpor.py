"""Executions to exhaustion under ``--strategy dpor`` on the classic DPOR benchmarks.

Each program is ported to plain ``threading``; the published count is the number of
Mazurkiewicz traces, which an optimal DPOR explores exactly once each (Abdulla, Aronis,
Jonsson, Sagonas, "Source Sets: A Foundation for Optimal Dynamic Partial Order Reduction",
JACM 2017). Where no count is published for a port, the count is computed by brute force:
every schedule of unbounded dfs, grouped by trace. Prints figures and the ratio
executions / optimal; asserts nothing.

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


def filesystem(n):
    blocks, inodes = 26, 32
    locki = [threading.Lock() for _ in range(inodes)]
    lockb = [threading.Lock() for _ in range(blocks)]
    inode = [0] * inodes
    busy = [0] * blocks
    def work(tid):
        def body():
            i = tid % inodes
            with locki[i]:
                if inode[i] == 0:
                    b = (i * 2) % blocks
                    while True:
                        with lockb[b]:
                            if not busy[b]:
                                busy[b] = 1
                                inode[i] = b + 1
                                break
                        b = (b + 1) % blocks
        return body
    _run([work(t) for t in range(n)])


def fib(n):
    box = {"i": 1, "j": 1}
    def one():
        for _ in range(n):
            box["i"] = box["i"] + box["j"]
    def two():
        for _ in range(n):
            box["j"] = box["j"] + box["i"]
    _run([one, two])
    return box["i"], box["j"]


def sigma(n):
    array = [0] * n
    box = {"index": -1}
    def work():
        box["index"] += 1
        array[box["index"]] = 1
    _run([work] * n)
    return tuple(array)


def producer_consumer(n):
    items = []
    cond = threading.Condition()
    def produce():
        for k in range(n):
            with cond:
                items.append(k)
                cond.notify()
    def consume():
        got = 0
        while got < n:
            with cond:
                while not items:
                    cond.wait()
                items.pop(0)
                got += 1
    _run([produce, consume])


def barrier(n):
    gate = threading.Barrier(n)
    box = {"x": 0}
    def work(k):
        def body():
            box[k] = 1
            gate.wait()
            box["x"] += box[(k + 1) % n]
        return body
    _run([work(k) for k in range(n)])
    return box["x"]


def pipeline(n):
    import queue
    q = queue.Queue()
    out = []
    def put():
        for k in range(n):
            q.put(k)
    def get():
        for _ in range(n):
            out.append(q.get())
    _run([put, get, put])
    return len(out)


def lastwrite(n):
    box = {"var": 0}
    def writer(v):
        def body():
            box["var"] = v
        return body
    _run([writer(v) for v in range(1, n + 1)])
    return box["var"]


def dispatcher(n, requests):
    # n servers; each request spawns a picker that sets the chosen server id to
    # 0, 1, ..., n - 1 under lock k while the main thread reads it under k
    servers = [threading.Lock() for _ in range(n)]
    k = threading.Lock()
    box = {"sid": 0}
    in_channel = [0] * n
    out_channel = [0] * n
    def server(s):
        def body():
            with servers[s]:
                if in_channel[s] > 0:
                    out_channel[s] = in_channel[s]
        return body
    def pick():
        for x in range(n):
            with k:
                box["sid"] = x
    def request():
        picker = threading.Thread(target=pick)
        picker.start()
        with k:
            idx = box["sid"]
        with servers[idx]:
            in_channel[idx] = in_channel[idx] + 1
        picker.join()
        return idx
    workers = [threading.Thread(target=server(s)) for s in range(n)]
    for t in workers:
        t.start()
    picked = [request() for _ in range(requests)]
    for t in workers:  # the C main ends with pthread_exit; joining at the end orders nothing new
        t.join()
    return tuple(picked)


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
def scenario_indexer_14(): indexer(14)
def scenario_filesystem_14(): filesystem(14)
def scenario_filesystem_16(): filesystem(16)
def scenario_filesystem_18(): filesystem(18)
def scenario_fib_2(): return fib(2)
def scenario_sigma_2(): return sigma(2)
def scenario_producer_consumer_2(): producer_consumer(2)
def scenario_barrier_2(): return barrier(2)
def scenario_pipeline_1(): return pipeline(1)
def scenario_lastwrite_7(): return lastwrite(7)
def scenario_lastwrite_8(): return lastwrite(8)
def scenario_dispatcher_3(): return dispatcher(3, 3)
def scenario_dispatcher_3_2(): return dispatcher(3, 2)
def scenario_dispatcher_5_2(): return dispatcher(5, 2)
def scenario_dispatcher_5_3(): return dispatcher(5, 3)
'''

#: (scenario, optimal count)
ROWS = [
    ("locked_counter_2", 2), ("locked_counter_3", 6), ("locked_counter_4", 24), ("locked_counter_5", 120),
    ("unlocked_counter_3", 36), ("unlocked_counter_4", 576),
    ("lastzero_3", 12), ("lastzero_5", 64),
    ("readers_4", 16), ("readers_6", 64),
    ("indexer_13", 64), ("indexer_14", 512),
    # filesystem(N): inodes i < 32 are distinct; threads i and i+13 want the same block,
    # and nothing else collides: 2 ** (N - 13) traces
    ("filesystem_14", 2), ("filesystem_16", 8), ("filesystem_18", 32),
    # no published count for these ports: the traces counted by brute force (every schedule
    # of unbounded dfs, grouped by the order of their dependent steps)
    ("fib_2", None), ("sigma_2", None),
    ("producer_consumer_2", None), ("barrier_2", None), ("pipeline_1", None),
    # lastwrite(N) (Nidhugg benchmarks/from_OBSERVERS/lastwrite.c): N writes of one variable
    # in any order, read after the joins: N! traces (N under observers)
    ("lastwrite_7", 5040), ("lastwrite_8", 40320),
    # dispatcher(S, R) (Nidhugg benchmarks/from_RFSC/benchmarks/asserts/from_DPU/dispatcher.cc,
    # from DPU, CAV 2018): S servers, R requests; dispatcher_3 is Nidhugg's N = 3 (S = R = 3);
    # S = 3, 5 with R = 2 as in DPU's tests/regression/ssbs/dispatcher.test.sh, S = 5, R = 3 as
    # in its Table 1 (maximal configurations)
    ("dispatcher_3", 398), ("dispatcher_3_2", 59), ("dispatcher_5_2", 137), ("dispatcher_5_3", 1482),
]


def brute_force(target: str, limit: float) -> int | None:
    """The number of Mazurkiewicz traces: every schedule of unbounded dfs, grouped by trace."""
    from racelab._core import explorer
    from racelab.strategies.dfs import DFSStrategy
    from racelab.strategies.dpor import recorded

    strategy = recorded(DFSStrategy(None))
    make = explorer.make_strategy
    explorer.make_strategy = lambda settings: strategy
    try:
        racelab.explore(target, racelab.Settings(max_schedules=2_000_000, time_limit=limit, detect=False,
                                                 shrink=False))
    finally:
        explorer.make_strategy = make
    return len(strategy.traces) if strategy.exhausted else None


def main() -> None:
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "classic.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(PROGRAMS))
        print(f"racelab {racelab.__version__}, Python {sys.version.split()[0]}, dpor, {limit:g} s per row")
        print(f"  {'program':<22} {'optimal':>8} {'executions':>11} {'ratio':>7} {'s':>7} {'ms/exec':>8}")
        for name, optimal in ROWS:
            if optimal is None:
                optimal = brute_force(f"{path}::scenario_{name}", limit)
                if optimal is None:
                    print(f"  {name:<22} brute force not done in {limit:g} s")
                    continue
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
