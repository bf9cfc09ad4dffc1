"""What the explorer reports: output capture, values in traces, generators, fairness."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import racelab

DFS = racelab.Settings(strategy="dfs", max_schedules=500, detect=False)

PRINTS = '''
import threading

def scenario_prints():
    box = {"n": 0}
    def work(i):
        print("worker", i, "sees", box["n"])
        box["n"] += 1
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 2
'''

GENERATOR = '''
import threading

def numbers(data):
    for i in range(len(data)):
        yield data[i]  # a shared read inside the generator: a point where another thread can run

def scenario_shared_generator():
    gen = numbers([0, 1, 2])
    seen = []
    def drain():
        for value in gen:
            seen.append(value)
    threads = [threading.Thread(target=drain) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(seen)
'''

LONG_LOOP = '''
import threading

def scenario_long_loops():
    box = {"n": 0}
    lock = threading.Lock()
    def work():
        for _ in range(150):
            with lock:
                box["n"] += 1
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 300
'''


def test_prints_stay_off_the_terminal_and_come_with_the_failure(tmp_path: Path) -> None:
    path = tmp_path / "prints.py"
    path.write_text(PRINTS)
    done = subprocess.run([sys.executable, "-m", "racelab", "explore", str(path), "--no-races"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Output of this schedule:" in done.stdout
    assert done.stdout.count("| worker") == 2  # only the reported schedule's output
    [result] = racelab.explore(str(path), DFS)
    assert result.failure is not None and "worker 0 sees" in result.failure.output


def test_a_generator_shared_by_threads_is_found(tmp_path: Path) -> None:
    path = tmp_path / "gen.py"
    path.write_text(GENERATOR)
    for strategy in ("dfs", "dpor"):
        [result] = racelab.explore(str(path), racelab.Settings(strategy=strategy, max_schedules=500, detect=False))
        assert result.failure is not None, strategy
        assert "generator already executing" in result.failure.message


def test_threads_that_make_progress_are_not_preempted_for_fairness(tmp_path: Path) -> None:
    """The non-preemptive schedule of two long loops has exactly one switch between them."""
    path = tmp_path / "loops.py"
    path.write_text(LONG_LOOP)
    [result] = racelab.explore(str(path), racelab.Settings(strategy="dfs", preemption_bound=0, detect=False))
    assert result.verdict == "pass" and result.exhausted
    replayed = racelab.replay(result.id, "rl1AA")
    workers = [step.thread for step in replayed.trace if step.thread != "MainThread"]
    switches = sum(1 for a, b in zip(workers, workers[1:]) if a != b)
    assert switches == 1, switches


def test_trace_shows_values_of_closure_and_global_accesses(tmp_path: Path) -> None:
    path = tmp_path / "values.py"
    path.write_text('''
import threading
total = 0

def scenario_values():
    global total
    total = 0
    count = 0
    def work():
        nonlocal count
        global total
        count += 1
        total += 10
    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert count == 2
''')
    [result] = racelab.explore(str(path), DFS)
    ops = [step.op for step in result.failure.trace]
    assert "read nonlocal count -> 0" in ops and "write nonlocal count <- 1" in ops
    assert "read global total -> 0" in ops and "write global total <- 10" in ops
