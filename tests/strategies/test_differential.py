"""DPOR against brute force: on generated small programs, ``--strategy dpor`` finds exactly the
final states and failures that exhaustive, unbounded dfs finds.

Each program has 2–4 threads doing a few reads, writes and read-modify-writes of shared dict
entries, under locks or not, with try-locks, ``locked()``, a Condition hand-off, an Event, a
Semaphore, a queue and a list whose length is read. Every execution of both strategies is
graded (a failure does not stop the search), so the comparison is of the whole set of
behaviours: a dpor that skipped a trace shows up as a missing state or failure.

Unbounded dfs enumerates every interleaving, the main thread's starts and joins included, so
it is exhaustive only on small programs: 256 programs of 2 or 3 threads are compared for
equality. Wider programs (3 or 4 threads, more operations) are compared with dfs bounded to 2
preemptions: every behaviour it finds, dpor must find too. ``--strategy dpor --preemption-bound K``
(bounded partial-order reduction) must find exactly what dfs within K finds, on both.
"""

from __future__ import annotations

import math
import random
from typing import Any
from pathlib import Path

import pytest

import racelab
from racelab._core import control, explorer
from racelab.strategies.dfs import DFSStrategy
from racelab.strategies.dpor import BoundedDPORStrategy, DPORStrategy

PROGRAMS = 256
WIDE = 64
BATCH = 16
CAP = 5000  # dfs schedules: a program with more is not compared (and counted)


class _Collect(explorer._Search):
    """A search that grades every execution and stops only at the strategy's end."""

    def __init__(self, spec, strategy) -> None:
        super().__init__(spec, racelab.Settings(max_schedules=CAP, time_limit=60, detect=False, shrink=False,
                                                 stall_timeout=30))
        self.strategy = strategy
        self.seen: set[str] = set()

    def graded_failure(self, ex):
        for key, text in ex.unseen.items():
            self.unseen.setdefault(key, text)
        # (a failing thread ends alone and the others run on: ``keep_going``)
        failures = sorted(f"{f.kind.value}: {f.message}" for f in ex.failures)
        self.seen.add(repr((failures, ex.result if ex.finished else None)))
        return None

    def _search(self, start: float):
        return self._executions(self.strategy, start, CAP, 60)


@pytest.fixture(autouse=True)
def _keep_going(monkeypatch) -> None:
    monkeypatch.setattr(control.Execution, "keep_going", True)


def behaviours(path: Path, names: list[str], bound: int | None = None,
               dpor_bounds: tuple[int | None, ...] = (None,)) -> dict[str, dict[Any, tuple[set[str], int, bool]]]:
    """For each scenario: what dfs within ``bound`` preemptions (key "dfs") and dpor within each
    of ``dpor_bounds`` (key: the bound) find: (behaviours, executions, exhausted). dpor runs
    only where dfs was exhausted."""
    found: dict[str, dict[Any, tuple[set[str], int, bool]]] = {}
    with explorer._World(explorer._instrument_for([str(path)], racelab.Settings()), [str(path)]) as world:
        for spec in world.load(str(path), None):
            if spec.name not in names:
                continue
            found[spec.name] = {}
            runs = [("dfs", DFSStrategy(bound))] + [
                (k, DPORStrategy() if k is None else BoundedDPORStrategy(k)) for k in dpor_bounds]
            for key, strategy in runs:
                search = _Collect(spec, strategy)
                result = search.run()
                assert not search.unseen, f"{spec.name}: {search.unseen}"
                found[spec.name][key] = (search.seen, result.schedules, bool(strategy.exhausted))
                if not strategy.exhausted:
                    break
    return found


KINDS = ["locked", "locked", "try", "locked_q", "cond", "event", "sem", "queue", "assert"]


class _Program:
    """One generated program: shared ``s``, per-thread observations ``out``, and the
    primitives its threads use."""

    def __init__(self, rng: random.Random, n: int, ops: int) -> None:
        self.rng = rng
        self.uses: set[str] = set()
        # one or two kinds of operation per program, so that its threads meet on the same objects
        self.kinds = rng.sample(KINDS, rng.choice((1, 2, 2))) + ["simple", "simple"]
        self.points = [0] * n
        self.threads = [self.body(t, rng.randint(1, ops)) for t in range(n)]

    def body(self, t: int, ops: int) -> list[str]:
        lines: list[str] = []
        for i in range(ops):
            self.t = t
            lines.extend(self.op(t, i))
        self.points[t] += 1 + any("seen" in line for line in lines)  # its end, the write of what it saw
        return lines

    def cost(self) -> int:
        """The number of interleavings of the threads' scheduling points (a rough measure of
        what exhaustive dfs enumerates)."""
        return math.factorial(sum(self.points)) // math.prod(math.factorial(p) for p in self.points)

    def meets(self) -> bool:
        """Whether two threads touch one object, one of them changing it (else every schedule
        has the same behaviour)."""
        seen: dict[str, set[int]] = {}
        for t, body in enumerate(self.threads):
            text = "\n".join(body)
            for key in ("x", "y"):
                if f"s[{key!r}] =" in text or f"s[{key!r}] +=" in text:
                    seen.setdefault(f"w{key}", set()).add(t)
                if f"s[{key!r}]" in text:
                    seen.setdefault(key, set()).add(t)
            for name in ("items", "lock_a", "lock_b", "cond", "event", "sem", "q."):
                if name in text:
                    seen.setdefault(name, set()).add(t)
        if any(len(seen.get(k, ())) > 1 for k in ("items", "lock_a", "lock_b", "cond", "event", "sem", "q.")):
            return True
        return any(seen.get(f"w{k}") and len(seen.get(k, ())) > 1 for k in "xy")

    def _count(self, points: int) -> None:
        self.points[self.t] += points

    def simple(self, t: int, i: int) -> list[str]:
        r, key = self.rng, self.rng.choice("xxxy")
        kind = r.choice(("read", "read", "write", "write", "inc", "inc", "append", "len"))
        self._count(2 if kind == "inc" else 1)
        if kind == "read":
            return [f"seen.append(s[{key!r}])"]
        if kind == "write":
            return [f"s[{key!r}] = {t * 10 + i + 1}"]
        if kind == "inc":
            return [f"s[{key!r}] += 1"]
        self.uses.add("items")
        if kind == "append":
            return [f"items.append({t})"]
        return ["seen.append(len(items))"]

    def op(self, t: int, i: int) -> list[str]:
        r = self.rng
        kind = r.choice(self.kinds)
        self._count({"locked": 2, "try": 2, "cond": 4, "sem": 2, "queue": 2, "simple": 0}.get(kind, 1))
        if kind == "simple":
            return self.simple(t, i)
        if kind == "locked":
            lock = r.choice(("a", "b"))
            self.uses.add(f"lock_{lock}")
            inner = self.simple(t, i) + (self.simple(t, i + 5) if r.random() < 0.3 else [])
            return [f"with lock_{lock}:"] + ["    " + line for line in inner]
        if kind == "try":
            self.uses.add("lock_a")
            inner = self.simple(t, i)
            return ["if lock_a.acquire(blocking=False):", "    try:"] + ["        " + line for line in inner] + [
                "    finally:", "        lock_a.release()", "else:", "    seen.append('busy')"]
        if kind == "locked_q":
            self.uses.add("lock_a")
            return ["seen.append(lock_a.locked())"]
        if kind == "cond":
            self.uses.add("cond")
            if r.random() < 0.5:
                return ["with cond:", "    s['flag'] = 1", "    cond.notify_all()" if r.random() < 0.5 else "    cond.notify()"]
            # waits for the flag, or gives up after one wake-up (a deadlock if nobody notifies)
            return ["with cond:", "    if not s['flag']:", "        cond.wait()", "    seen.append(s['flag'])"]
        if kind == "event":
            self.uses.add("event")
            return [r.choice(("event.set()", "event.set()", "seen.append(event.is_set())",
                              "seen.append(event.is_set())", "event.wait()"))]
        if kind == "sem":
            self.uses.add("sem")
            if r.random() < 0.5:
                return ["if sem.acquire(False):", "    seen.append('got')", "    sem.release()"]
            return ["with sem:"] + ["    " + line for line in self.simple(t, i)]
        if kind == "queue":
            self.uses.add("q")
            return [r.choice((f"q.put({t})", f"q.put({t})", "seen.append(q.get())",
                              "try:\n    seen.append(q.get_nowait())\nexcept queue.Empty:\n    seen.append(None)"))]
        key = r.choice("xxy")
        return [f"assert s[{key!r}] != {r.randint(1, 2)}, 'saw ' + repr(s)"]

    def source(self, name: str) -> str:
        out = [f"def {name}():", "    s = {'x': 0, 'y': 0, 'flag': 0}", "    out = {}"]
        made = {"lock_a": "threading.Lock()", "lock_b": "threading.Lock()", "cond": "threading.Condition()",
                "event": "threading.Event()", "sem": "threading.Semaphore(1)", "q": "queue.Queue()",
                "items": "[]"}
        out += [f"    {name_} = {made[name_]}" for name_ in sorted(self.uses)]
        for t, body in enumerate(self.threads):
            out += [f"    def t{t}():", "        seen = []"]
            for line in body:
                out += ["        " + part for part in line.split("\n")]
            if any("seen" in line for line in body):
                out += [f"        out[{t}] = tuple(seen)"]
        n = len(self.threads)
        out += [f"    threads = [threading.Thread(target=f) for f in ({', '.join(f't{t}' for t in range(n))},)]",
                "    for th in threads:", "        th.start()", "    for th in threads:", "        th.join()",
                "    return (s['x'], s['y'], sorted(out.items())" + (", len(items)" if "items" in self.uses else "") + ")"]
        return "\n".join(out) + "\n"


def _generate(rng: random.Random, count: int, prefix: str, shapes: list[tuple[int, int, int]]) -> list[str]:
    """``count`` programs; each of a shape (threads, most operations per thread, most
    scheduling points in all) drawn from ``shapes``."""
    parts = []
    for k in range(count):
        n, ops, budget = rng.choice(shapes)
        program = _Program(rng, n, ops)
        while sum(program.points) > budget or not program.meets():
            program = _Program(rng, n, ops)
        parts.append(program.source(f"scenario_{prefix}{k:03d}"))
    return parts


def _programs() -> str:
    rng = random.Random(20261203)
    small = _generate(rng, PROGRAMS, "p", [(2, 2, 10)])
    wide = _generate(rng, WIDE, "w", [(3, 1, 7), (3, 2, 8), (4, 1, 8)])
    return "\n\n".join(["import queue", "import threading", ""] + small + wide)


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("differential") / "generated.py"
    path.write_text(_programs())
    return path


@pytest.mark.parametrize("batch", range(PROGRAMS // BATCH))
def test_dpor_finds_what_exhaustive_dfs_finds(programs: Path, batch: int) -> None:
    names = [f"scenario_p{k:03d}" for k in range(batch * BATCH, (batch + 1) * BATCH)]
    found = behaviours(programs, names)
    compared = varied = 0
    for name in names:
        if None not in found[name]:
            continue  # too many schedules to enumerate here: counted below
        (dfs, n_dfs, _), (dpor, n_dpor, dpor_done) = found[name]["dfs"], found[name][None]
        assert dpor_done, f"{name}: dpor not exhausted after {n_dpor} executions"
        assert dpor == dfs, (f"{name}: dpor ({n_dpor} executions) and dfs ({n_dfs}) differ:\n"
                             f"  only dfs: {sorted(dfs - dpor)}\n  only dpor: {sorted(dpor - dfs)}")
        assert n_dpor <= n_dfs
        compared += 1
        varied += len(dfs) > 1
    # at least 13 of each 16 (208 of the 256) are compared, and the programs are not trivial
    assert compared >= 13, f"only {compared} of {BATCH} programs small enough for dfs"
    assert varied >= 3, f"only {varied} of {compared} programs have more than one behaviour"


@pytest.mark.parametrize("batch", range(WIDE // BATCH))
def test_dpor_finds_what_bounded_dfs_finds_on_wider_programs(programs: Path, batch: int) -> None:
    names = [f"scenario_w{k:03d}" for k in range(batch * BATCH, (batch + 1) * BATCH)]
    found = behaviours(programs, names, bound=2, dpor_bounds=(None, 2))
    compared = 0
    for name in names:
        if 2 not in found[name]:
            continue
        (dfs, n_dfs, _), (dpor, n_dpor, dpor_done) = found[name]["dfs"], found[name][None]
        assert dpor_done, f"{name}: dpor not exhausted after {n_dpor} executions"
        assert dfs <= dpor, f"{name}: dfs within 2 preemptions ({n_dfs}) found what dpor ({n_dpor}) did not: " \
                            f"{sorted(dfs - dpor)}"
        bounded, n_bounded, bounded_done = found[name][2]
        assert bounded_done and bounded == dfs, (
            f"{name}: dpor within 2 preemptions ({n_bounded} executions) and dfs ({n_dfs}) differ:\n"
            f"  only dfs: {sorted(dfs - bounded)}\n  only dpor: {sorted(bounded - dfs)}")
        compared += 1
    assert compared >= 8, f"only {compared} of {BATCH} programs small enough for bounded dfs"


@pytest.mark.parametrize(("prefix", "count", "bound"), [("p", PROGRAMS, 0), ("p", PROGRAMS, 1), ("p", PROGRAMS, 2),
                                                       ("w", WIDE, 1)])
def test_bounded_dpor_finds_what_bounded_dfs_finds(programs: Path, prefix: str, count: int, bound: int) -> None:
    """``--strategy dpor --preemption-bound K`` against dfs within K: the same behaviours (each
    explores only schedules within the bound, and dpor must miss none of them)."""
    names = [f"scenario_{prefix}{k:03d}" for k in range(count)]
    found = behaviours(programs, names, bound=bound, dpor_bounds=(bound,))
    compared = fewer = 0
    for name in names:
        if bound not in found[name]:
            continue
        (dfs, n_dfs, _), (dpor, n_dpor, dpor_done) = found[name]["dfs"], found[name][bound]
        assert dpor_done, f"{name}: bounded dpor not exhausted after {n_dpor} executions"
        assert dpor == dfs, (f"{name}: dpor within {bound} ({n_dpor} executions) and dfs ({n_dfs}) differ:\n"
                             f"  only dfs: {sorted(dfs - dpor)}\n  only dpor: {sorted(dpor - dfs)}")
        compared += 1
        fewer += n_dpor < n_dfs
    assert compared >= count // 2, f"only {compared} of {count} programs small enough for bounded dfs"
    assert fewer >= compared // 2, f"bounded dpor saved executions on only {fewer} of {compared} programs"
