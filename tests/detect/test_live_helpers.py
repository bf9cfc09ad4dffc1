"""Live mode's own attribute helpers decide what the generic helpers and the detector decide.

During a live run ``runtime.HELPERS`` holds ``live._attribute_paths``'s ``ga``/``sa``/``aa``,
which do the access and the detector's common cases in one call. Here the same random
scripts of reads, writes, ``+=`` and lock hand-offs, spread over threads in a fixed order
(hand-offs through raw ``_thread`` locks, which report nothing), run once through the
generic helpers (``+=`` spelled ``sa(o, a, iadd(ga(o, a), n))``, as the rewriter spells it
when the operand is not a constant or a parameter), once through the live ones and once
through ``runtime.aa``; the detectors must end in the same state with the same reports.
"""

from __future__ import annotations

import _thread
import builtins
import json
import operator
import random
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from racelab.detect import Detector
from racelab.detect.live import install, uninstall
from racelab.instrument import runtime


class Plain:
    def __init__(self) -> None:
        self.value = 0
        self.text = ""


class Slotted:
    __slots__ = ("value", "text")

    def __init__(self) -> None:
        self.value = 0
        self.text = ""


class Hooked:
    """``__getattr__`` may run code on a read: ``aa`` takes its general path."""

    def __init__(self) -> None:
        self.value = 0
        self.text = ""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


class Relocking:
    """A value whose ``+=`` takes and releases a lock: an event between the read and the write."""

    def __init__(self, lock: Any) -> None:
        self.lock = lock

    def __iadd__(self, other: int) -> "Relocking":
        with self.lock:
            pass
        return self


# The helpers are called from these one-line functions, a pair per kind of access, so that
# the detectors' records can be compared by kind (``LABELS``) whichever set made them.
# (As the rewriter spells them: ``__rl_ra__(o, 'a').a``, ``__rl_wa__(o, 'a').a = v``, and
# ``o.a op= n`` as ``__rl_aa__(...)`` or else the read, the operation and the write.)
def g_read(o: Any, a: str) -> Any: return getattr(runtime.ra(o, a), a)  # noqa: E704
def f_read(o: Any, a: str) -> Any: return getattr(builtins.__rl_ra__(o, a), a)  # noqa: E704
def g_write(o: Any, a: str, v: Any) -> None: setattr(runtime.wa(o, a), a, v)  # noqa: E704
def f_write(o: Any, a: str, v: Any) -> None: setattr(builtins.__rl_wa__(o, a), a, v)  # noqa: E704
def g_aug(o: Any, a: str, op: Any, n: Any) -> None: _aug_with(runtime.ra, runtime.wa, o, a, op, n)  # noqa: E704
def f_aug(o: Any, a: str, op: Any, n: Any) -> None: builtins.__rl_aa__(o, a, op, n) or _aug_with(builtins.__rl_ra__, builtins.__rl_wa__, o, a, op, n)  # noqa: E704,E501
def h_aug(o: Any, a: str, op: Any, n: Any) -> None: runtime.aa(o, a, op, n) or _aug_with(runtime.ra, runtime.wa, o, a, op, n)  # noqa: E704,E501


def _aug_with(ra: Any, wa: Any, o: Any, a: str, op: Any, n: Any) -> None:
    """The general form of ``o.a op= n``, its events attributed to the caller's line."""
    value = op(getattr(ra(o, a, 3), a), n)
    setattr(wa(o, a, 3), a, value)


GENERIC = {"read": g_read, "write": g_write, "aug": g_aug}
LIVE = {"read": f_read, "write": f_write, "aug": f_aug}
GENERIC_AA = {**GENERIC, "aug": h_aug}  # ``runtime.aa`` itself, as modules loaded outside a run call it
TABLES = (GENERIC, LIVE, GENERIC_AA)
LABELS = {function.__code__: kind for table in TABLES for kind, function in table.items()}
LINES = {function.__code__.co_firstlineno: kind for table in TABLES for kind, function in table.items()}


def locked(lock: Any, then: Callable[[], None]) -> None:
    with lock:
        then()


class Worker:
    """A thread that runs the steps it is handed, one at a time, without reporting the hand-off."""

    def __init__(self, name: str) -> None:
        self.go = _thread.allocate_lock()
        self.go.acquire()
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.step: Callable[[], None] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.loop, name=name, daemon=True)

    def loop(self) -> None:
        while True:
            self.go.acquire()
            step = self.step
            if step is None:
                return
            try:
                step()
            except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
                self.error = exc
            finally:
                self.done.release()

    def run(self, step: Callable[[], None] | None) -> None:
        self.step = step
        self.go.release()
        if step is not None:
            self.done.acquire()
            if self.error is not None:
                raise self.error


def script(seed: int) -> list[tuple[Any, ...]]:
    """Steps ``(worker, what, *args)``; objects and locks are named by index."""
    rng = random.Random(seed)
    steps: list[tuple[Any, ...]] = []
    for _ in range(120):
        worker = rng.randrange(3)
        obj = rng.randrange(4)
        what = rng.choice(["read", "write", "aug", "aug", "aug", "text", "lock", "locked-aug", "nested",
                           "relock", "fail", "missing"])
        steps.append((worker, what, obj, rng.randrange(3), rng.randrange(3)))
    return steps


def run_script(helpers: dict[str, Callable[..., Any]], steps: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Run ``steps`` through ``helpers`` in a fresh live run; the detectors' state, normalized."""
    det = Detector()
    observer, patcher = install(det)
    try:
        locks = [  # one line each: four lock classes
            threading.Lock(),
            threading.Lock(),
            threading.RLock(),
            threading.Lock(),
        ]
        objects: list[Any] = [Plain(), Slotted(), Hooked(), Plain()]
        objects[3].value = Relocking(locks[3])  # (the steps take locks 0-2 only)
        names = {id(obj): f"obj{index}" for index, obj in enumerate(objects)}
        names.update({id(lock): f"lock{index}" for index, lock in enumerate(locks)})
        read, write, aug = helpers["read"], helpers["write"], helpers["aug"]

        def act(what: str, obj: Any, i: int, j: int) -> Callable[[], None]:
            if what == "read":
                return lambda: read(obj, "value")
            if what == "write":
                return lambda: write(obj, "value", i)
            if what == "aug":
                return lambda: aug(obj, "value", operator.iadd, i)
            if what == "text":
                return lambda: aug(obj, "text", operator.iadd, "x")
            if what == "lock":
                return lambda: locked(locks[i], lambda: None)
            if what == "locked-aug":
                return lambda: locked(locks[i], lambda: aug(obj, "value", operator.iadd, 1))
            if what == "nested":
                if i == j and i != 2:  # (only lock 2, an RLock, may be taken twice)
                    j = (i + 1) % 3
                return lambda: locked(locks[i], lambda: locked(locks[j], lambda: aug(obj, "value", operator.iadd, 1)))
            if what == "relock":
                return lambda: aug(objects[3], "value", operator.iadd, 1)
            if what == "fail":
                def fail() -> None:
                    with pytest.raises((ZeroDivisionError, TypeError)):
                        aug(obj, "value", operator.ifloordiv, 0)
                return fail

            def missing() -> None:
                with pytest.raises(AttributeError):
                    aug(obj, "missing", operator.iadd, 1)
            return missing

        workers = [Worker(f"worker {index}") for index in range(3)]
        for worker in workers:
            worker.thread.start()
        for worker, what, obj, i, j in steps:
            workers[worker].run(act(what, objects[obj], i, j))
        for worker in workers:
            worker.run(None)
            worker.thread.join()
        observer.finish()
        return normalized(det, names)
    finally:
        uninstall(patcher)


def normalized(det: Detector, names: dict[int, str]) -> dict[str, Any]:
    race = det.race

    def code(c: Any) -> Any:
        return None if c is None else LABELS.get(c, c.co_name)

    cells = {}
    for (obj, attr), cell in race._shadow.items():
        writer, wclock, wcode, watomic, read, shared = cell.state()
        reads = None if shared is None else {tid: (clock, code(c), a) for tid, (clock, c, _, a) in shared.items()}
        if read is not None:
            read = (read[0], read[1], code(read[2]), read[3])
        cells[(names[obj], attr)] = (writer, wclock, code(wcode), watomic, read, reads)
    races = [
        (str(r.kind), r.location, [(a.thread, LINES.get(a.line, a.line), str(a.op)) for a in (r.first, r.second)])
        for r in det.races
    ]
    return {
        "cells": cells,
        "races": races,
        "seen": race.races_in_execution,
        "clocks": dict(race._clocks),
        "locks": {names[key]: state for key, state in race._locks.items() if key in names},
        "edges": sorted(det.lock_order._edges),
        "instance edges": sorted((names[a], names[b]) for a, b in det.lock_order._instance_edges),
        "held": {tid: held for tid, held in det.lock_order._held.items() if held},
    }


@pytest.mark.parametrize("seed", range(12))
def test_live_helpers_decide_as_the_generic_ones(seed: int) -> None:
    steps = script(seed)
    generic = run_script(GENERIC, steps)
    assert run_script(LIVE, steps) == generic
    assert run_script(GENERIC_AA, steps) == generic
    assert generic["cells"] and generic["clocks"]


def test_the_scripts_reach_races_and_lock_order() -> None:
    """The comparison above is not between two empty reports."""
    found = [run_script(GENERIC, script(seed)) for seed in range(12)]
    assert any(result["races"] for result in found)
    assert any(result["edges"] for result in found)
    kinds = {race[0] for result in found for race in result["races"]}
    assert kinds == {"write-write", "read-write"}


def test_install_swaps_the_helpers_for_the_run() -> None:
    names = ("__rl_ra__", "__rl_wa__", "__rl_aa__")
    runtime.install_helpers()
    generic = {name: getattr(builtins, name) for name in names}
    assert generic == {"__rl_ra__": runtime.ra, "__rl_wa__": runtime.wa, "__rl_aa__": runtime.aa}
    _, patcher = install(Detector())
    live = {name: getattr(builtins, name) for name in names}
    uninstall(patcher)
    assert all(live[name] is not generic[name] for name in generic)
    assert {name: getattr(builtins, name) for name in names} == generic


def test_live_helpers_outliving_their_run_are_plain_accesses() -> None:
    det = Detector()
    _, patcher = install(det)
    ra, wa, aa = (getattr(builtins, name) for name in ("__rl_ra__", "__rl_wa__", "__rl_aa__"))
    uninstall(patcher)
    box = Plain()
    wa(box, "value").value = 1
    assert aa(box, "value", operator.iadd, 2)
    assert ra(box, "value").value == 3
    assert det.race._shadow == {}


def test_aa_leaves_a_failing_operation_to_the_general_form(detector: Detector) -> None:
    box = Plain()
    assert not builtins.__rl_aa__(box, "value", operator.ifloordiv, 0)
    assert not builtins.__rl_aa__(box, "missing", operator.iadd, 1)
    assert detector.race._shadow == {}  # nothing reported: the general form reports the read
    with pytest.raises(ZeroDivisionError):
        f_aug(box, "value", operator.ifloordiv, 0)
    (cell,) = detector.race._shadow.values()
    assert cell.writer == -1 and cell.reader == 0  # read, never written


def test_aa_writes_in_the_epoch_after_a_release_inside_the_operation(detector: Detector) -> None:
    lock = threading.Lock()
    box = Plain()
    box.value = Relocking(lock)
    f_aug(box, "value", operator.iadd, 1)
    cell = detector.race._shadow[(id(box), "value")]
    me = 0
    assert cell.writer == me and cell.wclock == detector.race._clocks[me][me]  # the write: after the release
    assert cell.reader == -1


def test_lock_state_kept_on_a_lock_is_dropped_with_its_run() -> None:
    first = Detector()
    _, patcher = install(first)
    lock = threading.Lock()
    with lock:
        pass
    assert lock._state is first.race._locks[id(lock)]  # type: ignore[attr-defined]
    uninstall(patcher)
    assert lock._state is None  # type: ignore[attr-defined]
    second = Detector()
    _, patcher = install(second)
    try:
        with lock:
            pass
        assert lock._state is second.race._locks[id(lock)]  # type: ignore[attr-defined]
    finally:
        uninstall(patcher)


def test_live_helpers_are_bound_by_a_live_run(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(
        "import threading\n"
        "class Box:\n"
        "    def __init__(self):\n"
        "        self.n = 0\n"
        "box = Box()\n"
        "def work():\n"
        "    for _ in range(50):\n"
        "        box.n += 1\n"
        "threads = [threading.Thread(target=work) for _ in range(2)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "print(__rl_aa__.__module__, __rl_ra__.__module__)\n"
    )
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "racelab", "run", "--json", str(report), str(program)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["racelab.detect.live"] * 2
    (race,) = json.loads(report.read_text())["races"]
    assert race["location"] == "Box.n" and [access["line"] for access in race["accesses"]] == [8, 8]


def test_only_attributes_without_hooks_take_the_one_call_path() -> None:
    import types

    class Attributing:
        def __getattribute__(self, name: str) -> Any:
            return object.__getattribute__(self, name)

    class Inheriting(Hooked):
        pass

    class Setting:
        def __setattr__(self, name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

    for plain in (Plain, Slotted, Relocking):
        assert runtime._aug_plain(plain.__new__(plain), "value"), plain
    for hooked in (Hooked, Inheriting, Attributing, Setting):
        assert not runtime._aug_plain(hooked.__new__(hooked), "value"), hooked
    assert not runtime._aug_plain(types.ModuleType("m"), "value")
    assert not runtime._aug_plain(Plain, "value")
