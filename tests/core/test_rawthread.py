"""The factories below ``threading`` are controlled while exploring: ``_thread.allocate_lock``,
``_thread.RLock``, ``threading._allocate_lock`` and ``_CRLock``, ``_thread.start_new_thread``
(``start_joinable_thread`` on 3.13), ``_queue.SimpleQueue``, and the names that modules loaded
before exploring bound to them."""

from __future__ import annotations

import _queue
import _thread
import functools
import importlib
import json
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

import racelab

from .helpers import REPO, SCENARIOS, assert_fails, assert_passes_exhaustively, explore_one, run_cli, scenario_names, target

FILE = "rawthread.py"
RAISES = ("scenario_bug_rlock_released_by_another_thread", "scenario_bug_start_new_thread_raises")
REAL = {"_thread.allocate_lock": _thread.allocate_lock, "_thread.RLock": _thread.RLock,
        "_thread.start_new_thread": _thread.start_new_thread, "_thread.LockType": _thread.LockType,
        "_queue.SimpleQueue": _queue.SimpleQueue, "queue.SimpleQueue": queue.SimpleQueue,
        "threading._allocate_lock": threading._allocate_lock,  # type: ignore[attr-defined]
        "threading._CRLock": threading._CRLock,  # type: ignore[attr-defined]
        "functools.RLock": getattr(functools, "RLock", None)}


def _current() -> dict[str, object]:
    return {name: getattr(sys.modules[name.split(".")[0]], name.split(".")[1], None) for name in REAL}


@pytest.fixture(scope="module", autouse=True)
def helper_imported_first() -> Iterator[ModuleType]:
    """The helper is imported before exploring, as a library would be: its names are the real
    factories, and racelab has to find and rebind them."""
    sys.path.insert(0, str(SCENARIOS))
    try:
        helper = importlib.import_module("_rawthread_helper")
        assert helper.allocate_lock is _thread.allocate_lock and helper.SimpleQueue is _queue.SimpleQueue
        yield helper
    finally:
        sys.path.remove(str(SCENARIOS))
        sys.modules.pop("_rawthread_helper", None)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_ok_"))
def test_correct_uses_pass_exhaustively(name: str) -> None:
    assert_passes_exhaustively(explore_one(FILE, name))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", scenario_names(FILE, "scenario_bug_"))
def test_misuses_are_found(name: str) -> None:
    kind = "exception" if name in RAISES or name.endswith("simple_queue") else "assertion"
    assert_fails(explore_one(FILE, name), kind)


@pytest.mark.timeout(60)
def test_every_binding_is_real_again_afterwards(helper_imported_first: ModuleType) -> None:
    explore_one(FILE, "scenario_ok_bound_rlock")
    assert _current() == REAL
    assert helper_imported_first.RLock is _thread.RLock and helper_imported_first.Lock is threading.Lock
    assert type(_thread.allocate_lock()).__module__ == "_thread"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["scenario_ok_bound_rlock", "scenario_bug_bound_start_new_thread",
                                  "scenario_ok_bound_simple_queue"])
def test_names_bound_while_exploring_are_controlled_too(name: str) -> None:
    """In a fresh process the helper is first imported by the scenario, while exploring."""
    proc = run_cli("explore", target(FILE, name), "--strategy", "dfs", "--no-races", "--json")
    [result] = json.loads(proc.stdout)["scenarios"]
    assert result["verdict"] == ("fail" if "_bug_" in name else "pass"), proc.stdout + proc.stderr
    assert result["verdict"] == "fail" or result["exhausted"]


def _other_pythons() -> list[Path]:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return []
    root = Path(subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30).stdout.strip())
    found = []
    for minor in ("3.12", "3.13"):
        candidates = sorted(root.glob(f"versions/{minor}.*/bin/python3"))
        if candidates:
            found.append(candidates[-1])
    return found


_RUN = """
import json, sys, racelab
settings = racelab.Settings(strategy="dfs", preemption_bound=2, max_schedules=600, time_limit=30, detect=False)
out = {}
for name in sys.argv[2:]:
    [r] = racelab.explore(sys.argv[1] + "::" + name, settings)
    out[name] = [r.verdict, r.exhausted]
print(json.dumps(out))
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("python", _other_pythons(), ids=lambda p: p.parts[-3])
def test_on_other_python_versions(python: Path) -> None:
    names = ["scenario_ok_allocate_lock", "scenario_ok_crlock", "scenario_ok_lock_type", "scenario_ok_start_new_thread",
             "scenario_ok_start_joinable_thread", "scenario_bug_start_joinable_thread", "scenario_ok_simple_queue",
             "scenario_ok_cached_property", "scenario_ok_import_system_locks_stay_real", "scenario_bug_bound_rlock"]
    proc = subprocess.run([str(python), "-c", _RUN, str(SCENARIOS / FILE), *names], capture_output=True, text=True,
                          timeout=100, cwd=REPO, env={"PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    verdicts = json.loads(proc.stdout)
    for name, (verdict, exhausted) in verdicts.items():
        assert verdict == ("fail" if "_bug_" in name else "pass") and (exhausted or verdict == "fail"), (name, verdict)


def test_lock_type_stand_in_outside_exploration_is_not_left_behind() -> None:
    assert _thread.LockType is REAL["_thread.LockType"]
    assert isinstance(threading.Lock(), _thread.LockType)
    racelab.explore(target(FILE, "scenario_ok_lock_type"), racelab.Settings(strategy="dfs", detect=False))
    assert _thread.LockType is REAL["_thread.LockType"]
