"""Patching is fully undone: after explore the standard library and the import system are as before."""

from __future__ import annotations

import builtins
import concurrent.futures
import concurrent.futures.thread
import queue
import sys
import threading
import time
from typing import Any

import racelab

from .helpers import EXHAUSTIVE, SCENARIOS

TARGETS = [str(SCENARIOS / "known_bugs.py"), str(SCENARIOS / "executor.py::scenario_ok_submit_and_result"),
           str(SCENARIOS / "queues.py::scenario_ok_get_before_put"), str(SCENARIOS / "files.py"),
           str(SCENARIOS / "instrumented" / "uses_helper.py")]


def _snapshot() -> dict[str, Any]:
    cf = vars(concurrent.futures)
    return {
        "threading": dict(vars(threading)),
        "Thread": dict(vars(threading.Thread)),
        "queue": dict(vars(queue)),
        "time": dict(vars(time)),
        "concurrent.futures": {k: cf[k] for k in ("ThreadPoolExecutor",) if k in cf},
        "concurrent.futures.thread": dict(vars(concurrent.futures.thread)),
        "builtins.open": builtins.open,
        "meta_path": list(sys.meta_path),
        "path_hooks": list(sys.path_hooks),
        "path": list(sys.path),
        "modules": dict(sys.modules),
    }


def _explore_all() -> list[tuple[str, str]]:
    outcomes = []
    for target in TARGETS:
        named = ("racelab_tests_counter",) if "instrumented" in target else ()  # (found next to it anyway)
        settings = racelab.Settings(**{**EXHAUSTIVE, "max_schedules": 50, "preemption_bound": 1}, instrument=named)
        outcomes += [(r.id, r.verdict) for r in racelab.explore(target, settings)]
    return outcomes


def test_everything_is_restored_and_explore_runs_again() -> None:
    before = _snapshot()
    first = _explore_all()
    after = _snapshot()
    for key in before:
        if key == "modules":
            continue
        assert after[key] == before[key], f"{key} changed by explore"
    added = set(after["modules"]) - set(before["modules"])
    changed = [k for k in before["modules"] if after["modules"].get(k) is not before["modules"][k]]
    assert not changed, changed
    leftovers = [n for n in added if getattr(getattr(sys.modules[n], "__loader__", None), "__class__", type).__name__
                 == "InstrumentingLoader" or any(k.startswith("__rl_") for k in vars(sys.modules[n]))]
    assert not leftovers, leftovers
    assert not any(n.startswith("racelab_scenario_") or n == "racelab_tests_counter" for n in added), added
    assert threading.Lock is before["threading"]["Lock"] and time.sleep is before["time"]["sleep"]
    assert queue.Queue is before["queue"]["Queue"] and threading.Thread.start is before["Thread"]["start"]
    second = _explore_all()
    assert second == first
    assert any(verdict == "fail" for _, verdict in first) and any(verdict == "pass" for _, verdict in first)


def test_real_primitives_work_after_explore() -> None:
    _explore_all()
    lock = threading.Lock()
    assert type(lock).__module__ == "_thread"
    results: queue.Queue[int] = queue.Queue()
    t = threading.Thread(target=lambda: results.put(threading.get_ident()))
    t.start()
    t.join(timeout=10)
    assert results.get(timeout=10) == t.ident
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(pow, 2, 5).result(timeout=10) == 32
    assert type(pool).__module__ == "concurrent.futures.thread"
    local = threading.local()
    local.x = 1
    assert type(local).__module__ == "_thread"


def test_everything_is_restored_after_explore_raises() -> None:
    before = _snapshot()
    bad = SCENARIOS / "bad"
    for target, settings in [(bad / "many_threads.py", racelab.Settings(max_threads=3)),
                             (bad / "import_error.py", racelab.Settings()),
                             (bad / "takes_args.py", racelab.Settings()),
                             (SCENARIOS / "contract.py::scenario_nondeterministic", racelab.Settings(strategy="dfs"))]:
        try:
            racelab.explore(str(target), settings)
        except racelab.UsageError:
            pass
        except racelab.RacelabError:
            pass
        else:
            raise AssertionError(f"{target} did not raise")
        after = _snapshot()
        for key in before:
            if key != "modules":
                assert after[key] == before[key], f"{key} changed by a failed explore of {target}"
        added = set(after["modules"]) - set(before["modules"])
        stems = {"many_threads", "import_error", "takes_args", "contract"}
        assert not {n for n in added if n in stems or n.startswith("racelab_scenario_")}, added
