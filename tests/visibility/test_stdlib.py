"""Calls into the standard library, which racelab does not instrument: a function reads its
arguments in the call (so DPOR orders it against a writer), ``itertools`` iterates under
control, C methods are one atomic step, and a Python method of a standard-library object run
beside other threads withholds the certificate (``inconclusive``) instead of pretending it is
atomic."""

from __future__ import annotations

from pathlib import Path

import pytest

import racelab

PROGRAM = '''\
import collections
import itertools
import statistics
import threading
from statistics import mean


def run(*targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def scenario_module_function_reads_its_argument():
    lst = [1, 1]
    out = []
    run(lambda: out.append(statistics.mean(lst)), lambda: lst.append(4))
    assert out == [1], out


def scenario_imported_function_reads_its_argument():
    lst = [1, 1]
    out = []
    run(lambda: out.append(mean(lst)), lambda: lst.append(4))
    assert out == [1], out


def scenario_constructor_reads_its_argument():
    lst = ["a"]
    out = []
    run(lambda: out.append(collections.Counter(lst)["b"]), lambda: lst.append("b"))
    assert out == [0], out


def scenario_itertools_iterates_under_control():
    lst = [1, 2]
    out = []
    run(lambda: out.append(sum(itertools.chain(lst, [10]))), lambda: lst.append(4))
    assert out == [13], out


def scenario_python_method_of_a_stdlib_object():
    c = collections.Counter()
    run(lambda: c.update({"a": 1}), lambda: c.update({"a": 1}))
    assert c["a"] == 2


def scenario_c_methods_are_atomic():
    d = collections.deque()
    run(lambda: d.append(1), lambda: d.append(2))
    assert sorted(d) == [1, 2]


def scenario_python_method_alone_is_certain():
    c = collections.Counter()
    c.update({"a": 1})
    run(lambda: None)
    c.update({"a": 1})
    assert c["a"] == 2
'''


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stdlib") / "stdlib_calls.py"
    path.write_text(PROGRAM)
    return path


def explore(program: Path, name: str, strategy: str = "dpor") -> racelab.ScenarioResult:
    settings = racelab.Settings(strategy=strategy, max_schedules=500, time_limit=30.0)
    (result,) = racelab.explore(f"{program}::{name}", settings)
    return result


@pytest.mark.parametrize("name", ["scenario_module_function_reads_its_argument",
                                  "scenario_imported_function_reads_its_argument",
                                  "scenario_constructor_reads_its_argument",
                                  "scenario_itertools_iterates_under_control"])
def test_dpor_orders_a_stdlib_call_against_a_writer(program: Path, name: str) -> None:
    result = explore(program, name)
    assert result.failure is not None and result.failure.kind == "assertion", (
        f"{name}: {result.verdict}, {result.schedules} schedules, exhausted={result.exhausted}")


def test_a_python_method_of_a_stdlib_object_beside_threads_is_inconclusive(program: Path) -> None:
    result = explore(program, "scenario_python_method_of_a_stdlib_object")
    assert result.failure is None
    assert result.verdict == "inconclusive" and not result.exhausted, result.verdict
    assert any("Counter.update" in line and "collections" in line for line in result.unseen), result.unseen


@pytest.mark.parametrize("name", ["scenario_c_methods_are_atomic", "scenario_python_method_alone_is_certain"])
def test_what_racelab_sees_keeps_its_certificate(program: Path, name: str) -> None:
    result = explore(program, name)
    assert result.failure is None and result.verdict == "pass" and result.exhausted, (
        f"{name}: {result.verdict}, {result.unseen}")
