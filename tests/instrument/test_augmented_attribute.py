"""``obj.attr op= operand`` becomes one ``__rl_aa__`` call when evaluating the operand first
changes nothing, and that call makes the same scheduling points, events and trace as the
``ga``/``op``/``sa`` spelling it replaces."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import racelab
from racelab.instrument.rewrite import rewrite


def rewritten(source: str) -> str:
    return ast.unparse(rewrite(textwrap.dedent(source), "example.py"))


def calls(source: str, helper: str) -> int:
    return rewritten(source).count(f"__rl_{helper}__(")


@pytest.mark.parametrize("statement", ["o.x += 1", "o.x -= 2.5", "o.x *= n", "o.x |= kw", "o.y.x += args"])
def test_constant_or_parameter_operands_make_one_call(statement: str) -> None:
    source = f"def f(o, n, *args, **kw):\n    {statement}\n"
    assert calls(source, "aa") == 1


@pytest.mark.parametrize("body", [
    "o.x += n + 1",          # an expression: it may run code
    "o.x += local",          # a local that may be unbound
    "o.x += g",              # a global
    "o.x += -1",             # an operation on a constant (not a Constant node)
    "o.x += n\n    del n",   # a parameter that is unbound somewhere
    "o.x += n\n    try:\n        pass\n    except E as n:\n        pass",
    "o.x += n\n    def inner():\n        nonlocal n\n        n = 2",  # read through ``__rl_cr__``
])
def test_other_operands_keep_the_read_the_operation_and_the_write_apart(body: str) -> None:
    source = f"def f(o, n):\n    local = 1\n    {body}\n"
    assert calls(source, "aa") == 0 and calls(source, "wa") == 1 and calls(source, "ra") >= 1


def test_module_and_class_level_statements_take_constants_only() -> None:
    assert calls("o.x += 1\n", "aa") == 1
    assert calls("n = 1\no.x += n\n", "aa") == 0
    assert calls("class C:\n    o.x += 1\n    o.x += y\n", "aa") == 1


def test_evaluation_order_is_unchanged() -> None:
    """The object first and once, then (in the helper) the read, the operation and the write;
    when the helper cannot (the attribute has hooks), the same on the object it evaluated."""
    lines = [line.strip() for line in rewritten("def f(o):\n    o.a.b += 1\n").splitlines()[1:]]
    assert lines == [
        "if not __rl_aa__((__rl_t0__ := __rl_ra__(o, 'a').a), 'b', __rl_iadd__, 1):",
        "__rl_wa__(__rl_t0__, 'b').b = __rl_iadd__(__rl_ra__(__rl_t0__, 'b').b, 1)",
    ]


SCENARIOS = '''
import threading


class Box:
    def __init__(self):
        self.n = 0


class Hooked:
    def __init__(self):
        self.n = 0

    def __getattr__(self, name):
        raise AttributeError(name)


def _run(*targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def scenario_fused(kind=Box):
    box = kind()

    def work(step):
        box.n += step

    _run(lambda: work(1), lambda: work(2))
    assert box.n == 3, box.n


def scenario_spelled_out(kind=Box):
    box = kind()

    def work(step):
        box.n = box.n + step

    _run(lambda: work(1), lambda: work(2))
    assert box.n == 3, box.n


def scenario_fused_hooked():
    scenario_fused(Hooked)


def scenario_spelled_out_hooked():
    scenario_spelled_out(Hooked)
'''


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("aa") / "aug_scenarios.py"
    path.write_text(SCENARIOS)
    return path


def explored(path: Path, name: str, **settings: object) -> racelab.ScenarioResult:
    options = dict(strategy="dfs", preemption_bound=2, max_schedules=200, time_limit=30.0, detect=True,
                   shrink=False, **settings)
    (result,) = racelab.explore(f"{path}::{name}", racelab.Settings(**options))  # type: ignore[arg-type]
    return result


@pytest.mark.parametrize("suffix", ["", "_hooked"])
def test_explore_sees_the_same_points_and_finds_the_same_lost_update(scenarios: Path, suffix: str) -> None:
    fused = explored(scenarios, f"scenario_fused{suffix}")
    spelled = explored(scenarios, f"scenario_spelled_out{suffix}")
    assert fused.verdict == spelled.verdict == "fail"
    assert fused.schedules == spelled.schedules
    assert fused.failure is not None and spelled.failure is not None
    assert fused.failure.kind == spelled.failure.kind and fused.failure.message == spelled.failure.message
    assert fused.failure.schedule == spelled.failure.schedule
    steps = [(step.thread, step.op, step.location) for step in fused.failure.trace]
    assert steps == [(step.thread, step.op, step.location) for step in spelled.failure.trace]
    assert any(op.startswith("read Box.n") or op.startswith("read Hooked.n") for _, op, _ in steps)
    assert [(str(r.kind), r.location) for r in fused.races] == [(str(r.kind), r.location) for r in spelled.races]
