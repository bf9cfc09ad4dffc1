"""A virtual clock: exploring never really sleeps, and timeouts are deterministic.

Under control, ``time.sleep(s)`` parks the thread until the virtual clock reaches now + s;
the clock moves by one microsecond a scheduling step and jumps to the next deadline when
every thread waits (see ``racelab._core.control``). ``time.time()`` and the monotonic
clocks read the virtual clock. Outside controlled threads, everything is real.
"""

from __future__ import annotations

import time as _time

from racelab._core.control import EPOCH, NO_OP
from racelab.sync.locks import _ctx
from racelab.sync.threads import yield_now

_real_sleep = _time.sleep
_real_time = _time.time
_real_time_ns = _time.time_ns
_real_monotonic = _time.monotonic
_real_monotonic_ns = _time.monotonic_ns
_real_perf_counter = _time.perf_counter
_real_perf_counter_ns = _time.perf_counter_ns
_MONOTONIC_BASE = 1000.0


def sleep(secs: float) -> None:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_sleep(secs)
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    if secs == 0:
        yield_now()
        return
    ex.schedule(task, NO_OP, False)
    if ex.verbose:
        ex.record_point(task, f"sleep({secs:g})", None, None)
    ex.block(task, _never, f"sleep({secs:g}) to end", secs)


def _never() -> bool:
    return False


def time() -> float:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_time()
    return EPOCH + ex.clock


def time_ns() -> int:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_time_ns()
    return int((EPOCH + ex.clock) * 1e9)


def monotonic() -> float:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_monotonic()
    return _MONOTONIC_BASE + ex.clock


def monotonic_ns() -> int:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_monotonic_ns()
    return int((_MONOTONIC_BASE + ex.clock) * 1e9)


def perf_counter() -> float:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_perf_counter()
    return _MONOTONIC_BASE + ex.clock


def perf_counter_ns() -> int:
    ex, task = _ctx()
    if task is None or ex is None:
        return _real_perf_counter_ns()
    return int((_MONOTONIC_BASE + ex.clock) * 1e9)
