"""Which local containers of a function no other thread can ever reach (a static escape analysis).

A scenario's main function typically builds ``threads = [Thread(...) for ...]`` and loops
over it twice; a library function builds a list, fills and returns a copy of it. Such a
container is *private*: it is made fresh in the function, and the only reference to it is the
local variable, which nothing hands to anyone else. No other thread can read or change it, so
its accesses need no scheduling point and no event, and leaving them out loses nothing — not
even for DPOR's certificate, since no operation of another thread can depend on them.

A local ``x`` of a function is private when, in that function and nowhere else:

* every binding of ``x`` is ``x = <fresh container>`` (a list, dict or set display or
  comprehension, or ``list()``/``dict()``/``set()`` of anything), and ``x`` is no parameter,
  ``global``/``nonlocal`` name or ``except``/``with``/``for``/``import`` target;
* the function is no generator or coroutine (another thread may resume its frame);
* no nested function, lambda, class body or generator expression mentions ``x`` (it would
  capture the variable), and the function does not look at its own frame (``locals()``,
  ``vars()``, ``eval``, ``exec``, ``sys._getframe``, ``inspect.currentframe``, ``globals``);
* every use of ``x`` keeps the container where it is: iterated (``for``, a comprehension's
  first iterable, ``enumerate(x)`` and kin right there), subscripted (``x[i]``, ``x[i] = v``,
  ``del x[i]``), a method from a list that returns no alias of it called on it (``x.append``,
  ``x.get``, ...; ``keys/values/items`` only where they are iterated at once), measured or
  tested (``len(x)``, ``if x``, ``not x``, ``k in x``, ``x == y``), read whole by a built-in
  that keeps no reference (``sorted(x)``, ``sum(x)``, ``print(x)``, ...), or extended in place
  (``x += [...]``).

Anything else (``x`` passed to a call, stored, returned, yielded, aliased, unpacked with
``*x``, formatted, ``x or y`` as a value) lets it escape. Names are looked up as Python
does at compile time, so the analysis runs on the function's own syntax tree, before any
rewriting.
"""

from __future__ import annotations

import ast
from typing import Iterable

_FRESH_CALLS = frozenset({"list", "dict", "set"})
_SAFE_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "index", "count", "get",
    "setdefault", "update", "add", "discard", "popleft", "appendleft", "popitem", "copy",
    "difference_update", "intersection_update", "symmetric_difference_update",
})
_VIEW_METHODS = frozenset({"keys", "values", "items"})
_READING_BUILTINS = frozenset({"len", "bool", "list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max",
                               "any", "all", "dict", "str", "repr", "print", "ascii", "format"})
_LAZY_BUILTINS = frozenset({"enumerate", "zip", "map", "filter", "reversed", "iter"})
_FRAME_PEEKS = frozenset({"locals", "vars", "eval", "exec", "globals", "_getframe", "currentframe"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.GeneratorExp)


def private_locals(function: ast.FunctionDef | ast.AsyncFunctionDef, candidates: Iterable[str],
                   shadowed: Iterable[str] = ()) -> frozenset[str]:
    """The names of ``candidates`` (locals of ``function``, not shared with inner functions)
    bound only to fresh containers that never leave the function (see the module docstring).
    ``shadowed``: builtin names the module rebinds (they are not the builtins there)."""
    names = set(candidates)
    if not names or isinstance(function, ast.AsyncFunctionDef):
        return frozenset()
    args = function.args
    names -= {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names -= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    parents: dict[ast.AST, ast.AST] = {}
    own: list[ast.AST] = []  # the nodes of this function's own scope
    stack: list[ast.AST] = list(reversed(function.body))
    for stmt in function.body:
        parents[stmt] = function
    while stack:
        node = stack.pop()
        own.append(node)
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            if isinstance(child, _SCOPES):
                # a nested scope that may outlive the call: any mention captures the name
                for inner in ast.walk(child):
                    if isinstance(inner, ast.Name) and inner.id in names:
                        names.discard(inner.id)
                continue
            stack.append(child)
    shadow = set(shadowed)
    for node in own:
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            # a generator's or coroutine's frame outlives the call and may be resumed by
            # another thread: its locals are shared by whoever drives it
            return frozenset()
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in _FRAME_PEEKS:
                return frozenset()
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            names -= set(node.names)
    for node in own:
        if isinstance(node, ast.Name) and node.id in names and not _keeps(node, parents, shadow):
            names.discard(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name in names:
            names.discard(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.discard(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name in names:
            names.discard(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest in names:
            names.discard(node.rest)
    return frozenset(names)


def _keeps(node: ast.Name, parents: dict[ast.AST, ast.AST], shadowed: set[str]) -> bool:
    """Whether this occurrence of a candidate keeps the container in the function."""
    parent = parents.get(node)
    if isinstance(node.ctx, ast.Store):
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node:
            return _fresh(parent.value, shadowed)
        if isinstance(parent, ast.AnnAssign) and parent.target is node and parent.value is not None:
            return _fresh(parent.value, shadowed)
        if isinstance(parent, ast.AugAssign) and parent.target is node:
            return True
        return False
    if isinstance(node.ctx, ast.Del):
        return False
    return _kept_by(node, parent, parents, shadowed)


def _fresh(value: ast.expr, shadowed: set[str]) -> bool:
    if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return True
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in _FRESH_CALLS
            and value.func.id not in shadowed)


def _iterated_at_once(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
        return True
    return isinstance(parent, ast.comprehension) and parent.iter is node


def _kept_by(node: ast.expr, parent: ast.AST | None, parents: dict[ast.AST, ast.AST], shadowed: set[str]) -> bool:
    if _iterated_at_once(node, parents):
        return True
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return True
    if isinstance(parent, ast.Attribute) and parent.value is node:
        call = parents.get(parent)
        if not (isinstance(call, ast.Call) and call.func is parent):
            return False
        if parent.attr in _SAFE_METHODS:
            return True
        return parent.attr in _VIEW_METHODS and _iterated_at_once(call, parents)
    if isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name) \
            and parent.func.id not in shadowed:
        if parent.func.id in _READING_BUILTINS:
            return True
        return parent.func.id in _LAZY_BUILTINS and _iterated_at_once(parent, parents)
    if isinstance(parent, ast.Compare):
        return True
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and getattr(parent, "test", None) is node:
        return True
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return True
    if isinstance(parent, ast.BoolOp):
        outer = parents.get(parent)
        while isinstance(outer, ast.BoolOp):  # ``if x and y or z``: still only tested
            parent, outer = outer, parents.get(outer)
        return (isinstance(outer, (ast.If, ast.While, ast.IfExp, ast.Assert)) and getattr(outer, "test", None) is parent) \
            or (isinstance(outer, ast.UnaryOp) and isinstance(outer.op, ast.Not))
    if isinstance(parent, ast.Expr):  # a bare ``x`` statement
        return True
    return False
