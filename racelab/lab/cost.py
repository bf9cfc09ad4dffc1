"""What a fix costs: the scenario run for real, uncontrolled and uninstrumented.

The file is imported with plain ``importlib`` (no instrumenting hook, no patched
``threading``) and its scenario function is called ``runs`` times with real threads.
Each call runs on a daemon thread and is given ``timeout`` seconds: a broken scenario
may really deadlock (lock-order inversion, a missed wake-up), and that must cost the
measurement a few seconds, not the process. Threads such a call starts inherit the
daemon flag, so a hung run never blocks interpreter exit.

Failures seen while timing (an assertion, an exception in a worker thread) are counted:
how rarely a racy scenario fails when nobody controls the schedule is worth showing.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from racelab.errors import UsageError


@dataclass(frozen=True)
class Cost:
    median_s: float | None  # None when no run completed
    runs: int  # completed runs
    failures: int  # completed runs that raised (in the function or in one of its threads)
    hung: bool  # a run did not finish within the timeout; measuring stopped there

    def to_json(self) -> dict[str, Any]:
        return {"median_s": self.median_s, "runs": self.runs, "failures": self.failures, "hung": self.hung}


_counter = 0


def load_plain(path: Path) -> ModuleType:
    """Imports ``path`` as a fresh, uninstrumented module."""
    global _counter
    _counter += 1
    name = f"_racelab_plain_{path.stem}_{_counter}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise UsageError(f"cannot import {path}: {type(exc).__name__}: {exc}") from None
    return module


def _plain_function(obj: Any) -> Callable[[], Any]:
    """The user's function behind a ``@racelab.scenario`` wrapper, if there is one."""
    return getattr(obj, "__wrapped__", obj)


class _Run:
    """One call of the scenario on a daemon thread, counting exceptions of its threads."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.failed = False
        self.elapsed = 0.0

    def __call__(self) -> None:
        start = time.perf_counter()
        try:
            self.fn()
        except Exception:
            self.failed = True
        self.elapsed = time.perf_counter() - start


def _timed_call(fn: Callable[[], Any], timeout: float, crashed: list[BaseException | None]) -> _Run | None:
    """One call on a daemon thread; None when it did not finish within ``timeout``."""
    run = _Run(fn)
    crashed.clear()
    runner = threading.Thread(target=run, name="racelab-cost", daemon=True)
    runner.start()
    runner.join(timeout)
    if runner.is_alive():
        return None
    run.failed = run.failed or bool(crashed)
    return run


def measure_many(fns: list[Callable[[], Any]], runs: int, timeout: float) -> list[Cost]:
    """Median wall time of ``runs`` real calls of each function.

    The calls are interleaved round-robin (one call of each function per round, after
    one warm-up round), so a burst of load on the machine slows every variant alike
    instead of one of them.
    """
    times: list[list[float]] = [[] for _ in fns]
    failures = [0] * len(fns)
    hung = [False] * len(fns)
    hook = threading.excepthook
    crashed: list[BaseException | None] = []
    threading.excepthook = lambda args: crashed.append(args.exc_value)
    try:
        for attempt in range(runs + 1):  # round 0 only warms up (imports, caches)
            for i, fn in enumerate(fns):
                if hung[i]:
                    continue
                run = _timed_call(fn, timeout, crashed)
                if run is None:
                    hung[i] = True
                elif attempt:
                    times[i].append(run.elapsed)
                    failures[i] += run.failed
    finally:
        threading.excepthook = hook
    return [Cost(_median(t), len(t), f, h) for t, f, h in zip(times, failures, hung)]


def measure(fn: Callable[[], Any], runs: int, timeout: float) -> Cost:
    """Median wall time of ``runs`` real calls of ``fn``."""
    return measure_many([fn], runs, timeout)[0]


def _median(times: list[float]) -> float | None:
    return statistics.median(times) if times else None


def plain_function(path: Path, name: str) -> Callable[[], Any]:
    """The function ``name`` of ``path`` imported plainly."""
    obj = getattr(load_plain(path), name, None)
    if not callable(obj):
        raise UsageError(f"{path} has no function {name}")
    return _plain_function(obj)


def measure_file(path: Path, name: str, runs: int, timeout: float) -> Cost:
    """Loads ``path`` plainly and measures its function ``name``."""
    return measure(plain_function(path, name), runs, timeout)
