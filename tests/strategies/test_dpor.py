"""DPOR: as strong as exhaustive search on the lab's catalogue, and far fewer schedules."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import racelab
from racelab.lab.catalogue import Role, catalogue, variants

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LAB = [v for e in catalogue(SCENARIOS) if not e.id.startswith("server_") for v in variants(SCENARIOS / f"{e.id}.py")]
DPOR = racelab.Settings(strategy="dpor", max_schedules=5000, time_limit=60, detect=False)
COUNTER = '''
import threading

def _locked(n):
    box = {"n": 0}
    lock = threading.Lock()
    def work():
        with lock:
            box["n"] += 1
    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == n
    return box["n"]

def scenario_locked_2():
    return _locked(2)

def scenario_locked_3():
    return _locked(3)

def scenario_unlocked_2():
    box = {"n": 0}
    def work():
        box["n"] += 1
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box["n"] == 2
'''


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.label) for v in LAB])
def test_dpor_agrees_with_the_catalogue(variant) -> None:
    [result] = racelab.explore(str(variant.path), DPOR)
    if variant.role is Role.FIX:
        assert result.verdict == "pass", result.failure and result.failure.message
        assert result.exhausted, f"{variant.label}: {result.schedules} schedules, not exhausted"
    else:
        assert result.verdict == "fail", f"{variant.label} passed {result.schedules} schedules"
        assert str(result.failure.kind) == variant.expected.kind


def test_dpor_explores_far_fewer_schedules_than_bounded_dfs(tmp_path: Path) -> None:
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    counts = {}
    for strategy in ("dpor", "dfs"):
        settings = racelab.Settings(strategy=strategy, max_schedules=20000, time_limit=120, detect=False)
        for name in ("scenario_locked_2", "scenario_locked_3"):
            [result] = racelab.explore(f"{path}::{name}", settings)
            assert result.verdict == "pass" and result.exhausted
            assert set(result.outcomes) == {repr(int(name[-1]))}
            counts[strategy, name] = result.schedules
    assert counts["dpor", "scenario_locked_2"] * 10 < counts["dfs", "scenario_locked_2"]
    assert counts["dpor", "scenario_locked_3"] * 10 < counts["dfs", "scenario_locked_3"]
    # at least one schedule per order in which the threads take the lock
    assert counts["dpor", "scenario_locked_2"] >= 2 and counts["dpor", "scenario_locked_3"] >= 6


def test_dpor_finds_the_lost_update_and_is_deterministic(tmp_path: Path) -> None:
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    runs = [racelab.explore(f"{path}::scenario_unlocked_2", DPOR)[0] for _ in range(3)]
    assert all(r.verdict == "fail" for r in runs)
    assert len({(r.schedules, r.failure.schedule) for r in runs}) == 1
    replayed = racelab.replay(runs[0].id, runs[0].failure.schedule)
    assert replayed.failure is not None and replayed.failure.kind == "assertion"


ORDERS = '''
import threading

def scenario_lock_orders():
    order = []
    lock = threading.Lock()
    def work(i):
        with lock:
            order.append(i)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tuple(order)
'''


def test_dpor_covers_every_order_of_lock_acquisition(tmp_path: Path) -> None:
    """Soundness: each of the 3! orders is a different outcome, and all must be explored."""
    path = tmp_path / "orders.py"
    path.write_text(ORDERS)
    [result] = racelab.explore(str(path), DPOR)
    assert result.exhausted
    assert set(result.outcomes) == {repr(p) for p in itertools.permutations(range(3))}


TRY = '''
import queue
import threading

def _two(first, second):
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

def scenario_try_acquire():
    lock = threading.Lock()
    seen = {}
    def hold():
        with lock:
            pass
    def probe():
        seen["ok"] = lock.acquire(blocking=False)
        if seen["ok"]:
            lock.release()
    _two(hold, probe)
    assert seen["ok"]

def scenario_acquire_timeout_zero():
    lock = threading.Lock()
    seen = {}
    def hold():
        with lock:
            pass
    def probe():
        seen["ok"] = lock.acquire(timeout=0)
        if seen["ok"]:
            lock.release()
    _two(hold, probe)
    assert seen["ok"]

def scenario_semaphore_try():
    sem = threading.Semaphore(1)
    seen = {}
    def hold():
        with sem:
            pass
    def probe():
        seen["ok"] = sem.acquire(False)
    _two(hold, probe)
    assert seen["ok"]

def scenario_locked():
    lock = threading.Lock()
    seen = {}
    def hold():
        with lock:
            pass
    def probe():
        seen["locked"] = lock.locked()
    _two(hold, probe)
    assert not seen["locked"]

def scenario_get_nowait():
    q = queue.Queue()
    seen = {}
    def put():
        q.put(1)
    def probe():
        try:
            seen["item"] = q.get_nowait()
        except queue.Empty:
            seen["item"] = None
    _two(put, probe)
    assert seen["item"] == 1

def scenario_event_is_set():
    ev = threading.Event()
    seen = {}
    def setter():
        ev.set()
    def probe():
        seen["set"] = ev.is_set()
    _two(setter, probe)
    assert seen["set"]
'''


@pytest.mark.parametrize("name", ["scenario_try_acquire", "scenario_acquire_timeout_zero", "scenario_semaphore_try",
                                  "scenario_locked", "scenario_get_nowait", "scenario_event_is_set"])
@pytest.mark.parametrize("strategy", ["dpor", "dfs", "dpor-1"])
def test_a_non_blocking_operation_is_ordered_both_ways_against_the_holder(tmp_path: Path, name: str,
                                                                          strategy: str) -> None:
    """Soundness: a try-lock (or a probe) between another thread's acquire and release fails;
    no strategy may certify the program."""
    path = tmp_path / "tries.py"
    path.write_text(TRY)
    strategy, _, bound = strategy.partition("-")
    settings = racelab.Settings(strategy=strategy, max_schedules=5000, time_limit=60, detect=False,
                                preemption_bound=int(bound) if bound else None)
    [result] = racelab.explore(f"{path}::{name}", settings)
    assert result.verdict == "fail" and not result.exhausted, (result.verdict, result.schedules)
    assert str(result.failure.kind) == "assertion"


HOLDER = '''
import threading

def scenario_holder_changes():
    a, b = threading.Lock(), threading.Lock()
    step = threading.Event()
    def first():
        with a:
            step.wait()
    def second():
        step.set()
        with a:
            with b:
                pass
    def third():
        with b:
            with a:
                pass
    ts = [threading.Thread(target=f, name=f.__name__) for f in (first, second, third)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
'''


def test_a_deadlock_report_names_the_current_holder(tmp_path: Path) -> None:
    path = tmp_path / "holder.py"
    path.write_text(HOLDER)
    [result] = racelab.explore(str(path), DPOR)
    assert result.verdict == "fail" and str(result.failure.kind) == "deadlock"
    details = "\n".join(result.failure.details)
    # whoever waits for ``a`` is told who holds it at the end, not who held it when the wait began
    for line in result.failure.details:
        if "held by" in line:
            holder = line.split("held by ")[1].split(")")[0]
            assert holder in ("second", "third"), details


HANDOFF = '''
import threading

def _handoff(n):
    items = []
    cond = threading.Condition()
    def produce():
        for k in range(n):
            with cond:
                items.append(k)
                cond.notify()
    def consume():
        for _ in range(n):
            with cond:
                while not items:
                    cond.wait()
                items.pop(0)
    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

def scenario_handoff_1():
    _handoff(1)

def scenario_handoff_2():
    _handoff(2)
'''


def test_a_condition_wait_takes_its_lock_back_at_a_step_of_its_own(tmp_path: Path) -> None:
    """A woken waiter takes the lock back at a guarded step even when the lock is free: the
    notifier's release orders it, so the release does not race with the waiter's later steps,
    and one trace is never explored twice (as a wake-up before and after the release)."""
    from racelab._core import explorer
    from racelab.strategies.dfs import DFSStrategy
    from racelab.strategies.dpor import recorded

    path = tmp_path / "handoff.py"
    path.write_text(HANDOFF)
    strategy = recorded(DFSStrategy(None))
    make = explorer.make_strategy
    explorer.make_strategy = lambda settings: strategy
    try:
        racelab.explore(f"{path}::scenario_handoff_1", racelab.Settings(max_schedules=100_000, time_limit=60,
                                                                        detect=False, shrink=False))
    finally:
        explorer.make_strategy = make
    assert strategy.exhausted and len(strategy.traces) == 2  # the consumer waits, or it does not
    [one] = racelab.explore(f"{path}::scenario_handoff_1", DPOR)
    assert one.exhausted and one.schedules == 2
    # two items, 7 traces: the consumer waits for both items (1), for the second only (1), for
    # the first only with the second put after its take (1) or before it takes the lock back (2:
    # its wake-up goes before or after the second notify, which both write the Condition), or
    # for neither (2: the second put before or after its first take)
    [two] = racelab.explore(f"{path}::scenario_handoff_2", DPOR)
    assert two.exhausted and two.schedules == 7
