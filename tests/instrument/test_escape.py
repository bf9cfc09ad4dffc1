"""The escape analysis: a local container is left uninstrumented only when no other thread can
ever reach it; every way out of the function makes it shared again, and a racy program that
hands its container to a thread is still caught."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import racelab
from racelab.instrument.escape import private_locals
from racelab.instrument.rewrite import rewrite


def private(source: str, *, shadowed: tuple[str, ...] = ()) -> set[str]:
    tree = ast.parse(textwrap.dedent(source))
    function = tree.body[0]
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return set(private_locals(function, names, shadowed))


KEPT = {
    "appended and iterated": "x = []\n    x.append(1)\n    for v in x:\n        print(v)",
    "subscripted": "x = {}\n    x['k'] = 1\n    del x['k']\n    return x.get('k')",
    "measured and tested": "x = set()\n    if x and len(x) > 1 or not x:\n        pass\n    return 3 in x",
    "read whole by a builtin": "x = [3, 1]\n    return sorted(x), sum(x), max(x)",
    "comprehension over it": "x = [1]\n    return [v * 2 for v in x]",
    "enumerate at once": "x = [1]\n    for i, v in enumerate(x):\n        pass",
    "items at once": "x = {}\n    for k, v in x.items():\n        pass",
    "a copy returned": "x = [1]\n    return x.copy()",
    "extended in place": "x = []\n    x += [1]",
    "made by list()": "x = list(range(3))\n    x.sort()",
}

ESCAPES = {
    "returned": "x = []\n    return x",
    "passed to a call": "x = []\n    start(x)",
    "stored in an attribute": "x = []\n    self.items = x",
    "stored in a container": "x = []\n    shared.append(x)",
    "aliased": "x = []\n    y = x",
    "captured by a closure": "x = []\n    return lambda: x",
    "captured by a nested function": "x = []\n    def inner():\n        return x\n    return inner",
    "captured by a generator expression": "x = [1]\n    return (v for v in x)",
    "yielded": "x = []\n    yield x",
    "rebound to something else": "x = []\n    x = make()",
    "bound by a for loop": "for x in lists:\n        x.append(1)",
    "bound by with": "with make() as x:\n        x.append(1)",
    "bound by a walrus": "if (x := []):\n        pass",
    "global": "global x\n    x = []",
    "starred": "x = []\n    print(*x)",
    "a view kept": "x = {}\n    v = x.keys()",
    "iterator kept": "x = []\n    it = iter(x)",
    "unknown method": "x = []\n    x.frobnicate()",
    "formatted": "x = []\n    s = f'{x}'",
    "a boolean value": "x = []\n    y = x or default",
}


@pytest.mark.parametrize("body", list(KEPT.values()), ids=list(KEPT))
def test_containers_that_stay_in_the_function_are_private(body: str) -> None:
    assert "x" in private(f"def f(self):\n    {body}\n")


@pytest.mark.parametrize("body", list(ESCAPES.values()), ids=list(ESCAPES))
def test_every_way_out_makes_it_shared(body: str) -> None:
    assert "x" not in private(f"def f(lists, self=None):\n    {body}\n")


def test_a_parameter_is_never_private() -> None:
    assert private("def f(x, *y, **z):\n    x.append(1)\n    y = []\n    z = {}\n") == set()


@pytest.mark.parametrize("peek", ["locals()", "vars()", "sys._getframe()", "inspect.currentframe()", "eval('x')"])
def test_a_function_that_looks_at_its_own_frame_has_no_private_locals(peek: str) -> None:
    assert private(f"def f():\n    x = []\n    x.append(1)\n    {peek}\n") == set()


def test_generators_and_coroutines_have_no_private_locals() -> None:
    """Another thread may resume the frame: its locals are shared by whoever drives it."""
    assert private("def f():\n    x = []\n    x.append(1)\n    yield len(x)\n") == set()
    assert private("async def f():\n    x = []\n    x.append(1)\n    return len(x)\n") == set()


def test_a_rebound_builtin_is_not_trusted() -> None:
    assert "x" in private("def f():\n    x = list()\n    x.append(1)\n")
    assert "x" not in private("def f():\n    x = list()\n    x.append(1)\n", shadowed=("list",))
    assert "x" not in private("def f():\n    x = []\n    sorted(x)\n", shadowed=("sorted",))


def test_the_rewriter_leaves_private_containers_alone() -> None:
    source = textwrap.dedent("""\
        def f(shared):
            mine = []
            for v in shared:
                mine.append(v)
            return len(mine), mine[0], shared[0]
        """)
    text = ast.unparse(rewrite(source, "example.py"))
    assert "'mine'" not in text and "mine, " not in text.replace("len(mine), mine[0]", "")
    assert "__rl_it__(shared" in text and "__rl_ri__(shared" in text


RACY = '''\
import threading


def fill(items):
    items.append(len(items))


def scenario_escaped_list():
    items = []                      # a fresh local list, but handed to two threads
    threads = [threading.Thread(target=fill, args=(items,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(items) == [0, 1], items


def scenario_private_list():
    done = []                       # private: only this function touches it
    for i in range(3):
        done.append(i)
    t = threading.Thread(target=sorted, args=((2, 1),))
    t.start()
    t.join()
    assert done == [0, 1, 2]
'''


def test_an_escaping_local_is_still_explored(tmp_path: Path) -> None:
    program = tmp_path / "escaping.py"
    program.write_text(RACY)
    settings = racelab.Settings(strategy="dpor", max_schedules=200, time_limit=30.0)
    (escaped,) = racelab.explore(f"{program}::scenario_escaped_list", settings)
    assert escaped.failure is not None and escaped.failure.kind == "assertion", escaped.verdict
    (kept,) = racelab.explore(f"{program}::scenario_private_list", settings)
    assert kept.failure is None and kept.exhausted and kept.verdict == "pass", kept.verdict
