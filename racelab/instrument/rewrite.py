"""How a module is instrumented: an AST rewrite that makes shared accesses visible.

The rewritten code announces each access to a helper (``racelab.instrument.runtime``, found
as ``__rl_*__`` names in ``builtins``) and then performs the access itself, as the original
did, in its own frame:

=========================  =================================================================
source                     rewritten
=========================  =================================================================
``o.a`` (load)             ``__rl_ra__(o, 'a').a``
``o.a = v``                ``__rl_wa__(o, 'a').a = v``
``del o.a``                ``del __rl_da__(o, 'a').a``
``o.a += 1``               ``if not __rl_aa__(o, 'a', __rl_iadd__, 1): <the general form>``
``o.a += v``               ``__rl_wa__(T, 'a').a = __rl_iadd__(__rl_ra__((T := o), 'a').a, v)``
``c[k]`` (load)            ``__rl_ri__(c, k, 'c')[k]`` (``k`` evaluated once: kept in ``T``)
``c[k] = v``               ``__rl_wi__(c, k, 'c')[k] = v``
``c[k] += v``              ``__rl_wi__(C, K, 'c')[K] = __rl_iadd__(__rl_ri__((C := c), (K := k), 'c')[K], v)``
``o.m(*a)``                ``__rl_mc__(o, 'm')(*a)``
``f(*a)`` (``from m import f``)  ``__rl_cf__(f)(*a)``
``k in c``                 ``k in __rl_mk__(c, k)``
``len(x)``, ``if x:``      ``len(__rl_sz__(x))``, ``if __rl_sz__(x):``
``a == b``, ``sorted(x)``  ``__rl_wr__(a) == __rl_wr__(b)``, ``sorted(__rl_wr__(x))``
``for v in x``             ``for v in __rl_it__(x)`` (each ``next`` is a point)
``getattr(o, n)``          ``getattr(__rl_gx__(o, n), n)`` (``setattr``, ``delattr``, ``vars`` alike)
``g`` (global g)           ``(__rl_gr__('g') or g)``; stores go through ``__rl_gw__``
``x`` (nonlocal x)         ``(__rl_cr__(scope, 'x') or x)``; stores go through ``__rl_cw__``
=========================  =================================================================

Evaluation order is Python's: the value of an assignment first, then the target's
container, then its key, then the store. An operand that would otherwise be evaluated
twice is either *simple* (a constant or a name that nothing instrumented rebinds, whose
second evaluation cannot differ or fail differently) or kept in a temporary bound by
``:=`` — only where an assignment expression is legal and binds a function local; at
module or class level, and in a comprehension's iterable, the access is made by a
fallback helper instead (``__rl_gi__``/``__rl_si__``/``__rl_dl__``), which is the only case
where a ``__getitem__`` of the program's sees a helper frame. Module and class bodies run
at import time, outside any exploration.

Attribute names are passed to the helpers mangled as the compiler mangles them in class
bodies (``self.__size`` -> ``'_Cache__size'``); the attribute node itself is kept, so the
compiler mangles the real access. Only globals that some function declares ``global`` are
instrumented (others are never rebound after import), and closure variables that some
inner function declares ``nonlocal``. Match patterns and annotations are left alone.
"""

from __future__ import annotations

import ast
import copy
import itertools
import sys
from dataclasses import dataclass, field

from racelab.instrument import stdlib
from racelab.instrument.escape import private_locals

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_AUG_NAMES = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.MatMult: "matmul", ast.Div: "truediv",
    ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.Pow: "pow", ast.LShift: "lshift",
    ast.RShift: "rshift", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor",
}
_CMP_TEXT = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}
_ORDERING = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
OPT_OUT = "racelab: no-instrument"
_STDLIB = frozenset(sys.stdlib_module_names)

#: Built-in functions whose positional arguments they read whole (when those are containers).
_READS_ARGS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max", "any", "all",
                         "dict", "str", "repr", "ascii", "format", "print", "bytes", "bytearray"})
#: Built-in functions that iterate their arguments lazily: each is iterated under control.
_ITERATES_ARGS = {"enumerate": 0, "zip": 0, "map": 1, "filter": 1}
#: Node types that might evaluate to a shared container (others need no announcement).
_MAYBE_SHARED = (ast.Name, ast.Attribute, ast.Subscript, ast.Call)
_LITERALS = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
             ast.Constant, ast.JoinedStr)


@dataclass(eq=False)
class _Scope:
    node: ast.AST
    kind: str  # module | function | class | comprehension
    parent: "_Scope | None"
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)
    token: str | None = None
    #: locals bound to fresh containers that never leave the function (``escape``)
    private: frozenset[str] = frozenset()


class _Collector(ast.NodeVisitor):
    """First pass: who binds which name, and which names are declared global/nonlocal."""

    def __init__(self) -> None:
        self.scopes: dict[ast.AST, _Scope] = {}
        self.global_names: set[str] = set()
        self.imports: dict[str, str] = {}  # module-level name -> the module it names (import m)
        self.from_imports: dict[str, str] = {}  # module-level name -> "module.attr" (from m import attr)
        self.stack: list[_Scope] = []

    def _push(self, node: ast.AST, kind: str) -> _Scope:
        scope = _Scope(node, kind, self.stack[-1] if self.stack else None)
        self.scopes[node] = scope
        self.stack.append(scope)
        return scope

    def _bind(self, name: str) -> None:
        self.stack[-1].locals.add(name)

    def visit_Module(self, node: ast.Module) -> None:
        self._push(node, "module")
        self.generic_visit(node)
        self.stack.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for d in getattr(node, "decorator_list", []):
            self.visit(d)
        self.visit(node.args)  # defaults are evaluated outside
        if not isinstance(node, ast.Lambda):
            self._bind(node.name)
            if node.returns:
                self.visit(node.returns)
        scope = self._push(node, "function")
        a = node.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
            scope.locals.add(arg.arg)
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            self.visit(stmt)
        self.stack.pop()

    def visit_arguments(self, node: ast.arguments) -> None:
        for d in node.defaults + [d for d in node.kw_defaults if d is not None]:
            self.visit(d)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(d)
        self._bind(node.name)
        self._push(node, "class")
        for stmt in node.body:
            self.visit(stmt)
        self.stack.pop()

    def _comprehension(self, node: ast.AST) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.visit(gens[0].iter)
        scope = self._push(node, "comprehension")
        for i, gen in enumerate(gens):
            if i:
                self.visit(gen.iter)
            for name in ast.walk(gen.target):
                if isinstance(name, ast.Name):
                    scope.locals.add(name.id)
            for cond in gen.ifs:
                self.visit(cond)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self.visit(getattr(node, part))
        self.stack.pop()

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension

    def visit_Global(self, node: ast.Global) -> None:
        self.stack[-1].globals.update(node.names)
        if self.stack[-1].kind != "module":
            self.global_names.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.stack[-1].nonlocals.update(node.names)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._bind(node.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.stack[-1]
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        scope.locals.add(node.target.id)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            self._bind(name)
            if self.stack[-1].kind == "module":
                self.imports[name] = alias.name if alias.asname else alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            name = alias.asname or alias.name
            if name != "*":
                self._bind(name)
                if self.stack[-1].kind == "module":
                    self.from_imports[name] = f"{'.' * node.level}{node.module or ''}.{alias.name}"

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._bind(node.rest)
        self.generic_visit(node)

    def finish(self) -> None:
        for scope in self.scopes.values():
            scope.locals -= scope.globals | scope.nonlocals
        counter = itertools.count()
        for scope in self.scopes.values():
            for name in scope.nonlocals:
                owner = _enclosing_owner(scope.parent, name)
                if owner is not None:
                    owner.shared.add(name)
        for scope in self.scopes.values():
            if scope.shared and scope.kind == "function":
                scope.token = f"__rl_s{next(counter)}__"


def _enclosing_owner(scope: _Scope | None, name: str) -> _Scope | None:
    while scope is not None and scope.kind != "module":
        if scope.kind in ("function", "comprehension") and name in scope.locals:
            return scope
        scope = scope.parent
    return None


def _bound_parameters(function: ast.AST) -> frozenset[str]:
    """The parameters of ``function`` that no ``del`` or ``except ... as`` in it unbinds
    (nested scopes included, which can only make the set smaller)."""
    args: ast.arguments = function.args  # type: ignore[attr-defined]
    names = {arg.arg for arg in args.posonlyargs + args.args + args.kwonlyargs}
    names.update(arg.arg for arg in (args.vararg, args.kwarg) if arg is not None)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del):
            names.discard(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.discard(node.name)
    return frozenset(names)


def _name(id_: str) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Load())


def _scalar(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and not isinstance(node.value, (tuple, frozenset))


@dataclass(frozen=True)
class _Ref:
    kind: str  # "global" | "cell"
    token: str | None = None


class _Rewriter(ast.NodeTransformer):
    def __init__(self, collector: _Collector, source: str, asserts: bool) -> None:
        self.c = collector
        self.source = source
        self.asserts = asserts
        self.lines = source.splitlines()
        self.stack: list[_Scope] = []
        self.classes: list[str | None] = []  # enclosing class names (None: a function in between ends none)
        self.tmp = itertools.count()
        self.module_names = collector.scopes and next(iter(collector.scopes.values())).locals or set()
        self.params: dict[ast.AST, frozenset[str]] = {}  # function -> its parameters never unbound
        self.in_iterable = 0  # inside a comprehension's iterable: no ``:=`` there

    # ---- scopes -----------------------------------------------------------------------

    @property
    def scope(self) -> _Scope:
        return self.stack[-1]

    def _resolve(self, name: str) -> _Ref | None:
        scope = self.scope
        if scope.kind in ("module", "class"):
            return None
        if name in scope.globals:
            return _Ref("global") if name in self.c.global_names else None
        if name in scope.nonlocals:
            owner = _enclosing_owner(scope.parent, name)
            return _Ref("cell", owner.token) if owner is not None and owner.token else None
        if name in scope.locals:
            return _Ref("cell", scope.token) if name in scope.shared and scope.token else None
        parent = scope.parent
        while parent is not None and parent.kind != "module":
            if parent.kind != "class":
                if name in parent.globals:
                    break
                if name in parent.locals:
                    if name in parent.shared and parent.token:
                        return _Ref("cell", parent.token)
                    return None
            parent = parent.parent
        return _Ref("global") if name in self.c.global_names else None

    def _function_scope(self) -> _Scope | None:
        """The function whose locals an assignment expression here would bind, or None."""
        scope: _Scope | None = self.scope
        while scope is not None and scope.kind == "comprehension":
            scope = scope.parent
        return scope if scope is not None and scope.kind == "function" else None

    def _walrus_ok(self) -> bool:
        return not self.in_iterable and self._function_scope() is not None

    def _simple(self, node: ast.expr) -> bool:
        """Evaluating ``node`` twice gives the same value and has no effect: a constant, a name
        that nothing instrumented rebinds, a slice or tuple of those."""
        if _scalar(node) or isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return self._resolve(node.id) is None
        if isinstance(node, ast.Slice):
            return all(p is None or self._simple(p) for p in (node.lower, node.upper, node.step))
        if isinstance(node, ast.Tuple):
            return all(self._simple(e) for e in node.elts)
        return False

    def _inert(self, node: ast.expr) -> bool:
        """Whether evaluating ``node`` has no effect and cannot fail: a constant, or a parameter
        of the current function that is never unbound (``del``, ``except ... as``) and whose
        reads are not instrumented."""
        if isinstance(node, ast.Constant):
            return True
        if not isinstance(node, ast.Name) or self.scope.kind != "function" or self._resolve(node.id) is not None:
            return False
        params = self.params.get(self.scope.node)
        if params is None:
            params = self.params[self.scope.node] = _bound_parameters(self.scope.node)
        return node.id in params

    def _is_stdlib_import(self, node: ast.expr) -> bool:
        """``node`` names a standard-library module imported at module level and never rebound."""
        if not isinstance(node, ast.Name) or node.id not in self.c.imports:
            return False
        module = self.c.imports[node.id].partition(".")[0]
        return module in _STDLIB and node.id not in self.c.global_names and not self._local_shadow(node.id)

    def _local_shadow(self, name: str) -> bool:
        scope: _Scope | None = self.scope
        while scope is not None and scope.kind != "module":
            if scope.kind != "class" and (name in scope.locals or name in scope.nonlocals):
                return True
            scope = scope.parent
        return False

    def _builtin(self, node: ast.expr) -> str | None:
        """The built-in function ``node`` names, when no binding of the module shadows it."""
        if isinstance(node, ast.Name) and node.id not in self.module_names and not self._local_shadow(node.id) \
                and node.id not in self.c.global_names:
            return node.id
        return None

    def _mangle(self, attr: str) -> str:
        if not attr.startswith("__") or attr.endswith("__"):
            return attr
        for name in reversed(self.classes):
            if name is not None:
                stripped = name.lstrip("_")
                return f"_{stripped}{attr}" if stripped else attr
        return attr

    # ---- helpers ----------------------------------------------------------------------

    def _segment(self, node: ast.AST) -> str | None:
        """The node's source text (``ast.get_source_segment`` re-splits the source each call)."""
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if start is None or end is None or col is None or end_col is None:
            return None
        lines = self.lines
        if start == end:
            return lines[start - 1].encode()[col:end_col].decode(errors="replace")
        first = lines[start - 1].encode()[col:].decode(errors="replace")
        last = lines[end - 1].encode()[:end_col].decode(errors="replace")
        return "\n".join([first, *lines[start:end - 1], last])

    def _tmp(self) -> str:
        return f"__rl_t{next(self.tmp)}__"

    @staticmethod
    def _call(helper: str, *args: ast.expr) -> ast.Call:
        return ast.Call(func=_name(f"__rl_{helper}__"), args=list(args), keywords=[])

    def _src(self, node: ast.AST) -> str:
        text = self._segment(node)
        if text is None:
            text = ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= 60 else text[:57] + "..."

    def _read_point(self, name: str, ref: _Ref) -> ast.expr:
        if ref.kind == "global":
            return self._call("gr", ast.Constant(name))
        return self._call("cr", _name(ref.token or ""), ast.Constant(name))

    def _write_value(self, name: str, ref: _Ref, value: ast.expr) -> ast.expr:
        if ref.kind == "global":
            return self._call("gw", ast.Constant(name), value)
        return self._call("cw", _name(ref.token or ""), ast.Constant(name), value)

    def _once(self, node: ast.expr) -> tuple[ast.expr, ast.expr] | None:
        """``node`` (visited) as (first evaluation, later uses): itself twice when simple, else
        ``(T := node)`` and ``T``; None when neither is possible here."""
        if self._simple(node):
            return node, copy.deepcopy(node)
        if not self._walrus_ok():
            return None
        tmp = self._tmp()
        return ast.NamedExpr(target=ast.Name(id=tmp, ctx=ast.Store()), value=node), _name(tmp)

    def _private(self, node: ast.expr) -> bool:
        """``node`` names a container that no other thread can reach (``escape``)."""
        return isinstance(node, ast.Name) and self.scope.kind == "function" and node.id in self.scope.private

    def _announce(self, helper: str, node: ast.expr) -> ast.expr:
        """``__rl_<helper>__(node, 'source')`` when ``node`` might be a shared container, else ``node``."""
        if not isinstance(node, _MAYBE_SHARED) or self._private(node):
            return node
        return ast.copy_location(self._call(helper, node, ast.Constant(self._src(node))), node)

    def _iterated(self, node: ast.expr) -> ast.expr:
        if self._private(node) or (isinstance(node, ast.Call) and self._builtin(node.func) == "range"):
            return node
        return ast.copy_location(self._call("it", node, ast.Constant(self._src(node))), node)

    # ---- scopes in the tree -----------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> ast.AST:
        self.stack.append(self.c.scopes[node])
        node.body = self._stmts(node.body)
        self.stack.pop()
        return node

    def _stmts(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            new = self.visit(stmt)
            if new is None:
                continue
            if isinstance(new, list):
                out.extend(new)
            else:
                out.append(new)
        return out

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self.visit(node.args)
        scope = self.c.scopes[node]
        scope.private = private_locals(node, scope.locals - scope.shared, self.module_names | self.c.global_names)
        self.stack.append(scope)
        body = self._stmts(node.body)
        self.stack.pop()
        if scope.token:
            init = ast.Assign(targets=[ast.Name(id=scope.token, ctx=ast.Store())], value=self._call("scope"))
            ast.copy_location(init, node.body[0])
            doc = 1 if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                        and isinstance(body[0].value.value, str)) else 0
            body.insert(doc, init)
        node.body = body
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_arguments(self, node: ast.arguments) -> ast.AST:
        node.defaults = [self.visit(d) for d in node.defaults]
        node.kw_defaults = [None if d is None else self.visit(d) for d in node.kw_defaults]
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node.args = self.visit(node.args)
        self.stack.append(self.c.scopes[node])
        node.body = self.visit(node.body)
        self.stack.pop()
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.bases = [self.visit(b) for b in node.bases]
        node.keywords = [self.visit(k) for k in node.keywords]
        self.stack.append(self.c.scopes[node])
        self.classes.append(node.name)
        node.body = self._stmts(node.body)
        self.classes.pop()
        self.stack.pop()
        return node

    def _comprehension(self, node: ast.AST) -> ast.AST:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.in_iterable += 1
        gens[0].iter = self._iterated(self.visit(gens[0].iter))
        self.in_iterable -= 1
        self.stack.append(self.c.scopes[node])
        for i, gen in enumerate(gens):
            if i:
                self.in_iterable += 1
                gen.iter = self._iterated(self.visit(gen.iter))
                self.in_iterable -= 1
            gen.ifs = [self._test(cond) for cond in gen.ifs]
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                setattr(node, part, self.visit(getattr(node, part)))
        self.stack.pop()
        return node

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension

    # annotations and match patterns are left alone
    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    def visit_match_case(self, node: ast.match_case) -> ast.AST:
        if node.guard is not None:
            node.guard = self._test(node.guard)
        node.body = self._stmts(node.body)
        return node

    def visit_Match(self, node: ast.Match) -> ast.AST:
        node.subject = self._announce("wr", self.visit(node.subject))
        node.cases = [self.visit(case) for case in node.cases]
        return node

    def _loop(self, node: ast.For | ast.AsyncFor) -> ast.AST:
        if isinstance(node, ast.For):
            node.iter = self._iterated(self.visit(node.iter))
        else:
            node.iter = self.visit(node.iter)
        node.target = self._store_target(node.target) or node.target
        node.body = self._stmts(node.body)
        node.orelse = self._stmts(node.orelse)
        return node

    visit_For = _loop
    visit_AsyncFor = _loop

    # ---- truth tests ------------------------------------------------------------------

    def _test(self, node: ast.expr) -> ast.expr:
        """A truth-tested expression: announce the size read of a container."""
        if isinstance(node, ast.BoolOp):
            return self.visit(node)  # its operands are announced there
        return self._announce("sz", self.visit(node))

    def visit_If(self, node: ast.If) -> ast.AST:
        node.test = self._test(node.test)
        node.body = self._stmts(node.body)
        node.orelse = self._stmts(node.orelse)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node.test = self._test(node.test)
        node.body = self._stmts(node.body)
        node.orelse = self._stmts(node.orelse)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        node.test = self._test(node.test)
        node.body = self.visit(node.body)
        node.orelse = self.visit(node.orelse)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        node.values = [self._announce("sz", self.visit(v)) for v in node.values]
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not):
            node.operand = self._test(node.operand)
        else:
            node.operand = self.visit(node.operand)
        return node

    # ---- reads of whole containers ------------------------------------------------------

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        left = self.visit(node.left)
        comparators = [self.visit(c) for c in node.comparators]
        operands = [left, *comparators]
        scalar = any(_scalar(o) for o in operands)
        new = [left]
        for i, (op, right) in enumerate(zip(node.ops, comparators)):
            if isinstance(op, (ast.In, ast.NotIn)) and not isinstance(right, _LITERALS) and not self._private(right):
                member = operands[i]
                if i == 0 and self._simple(member):
                    right = ast.copy_location(self._call("mk", right, copy.deepcopy(member),
                                                         ast.Constant(self._src(right))), right)
                else:
                    right = self._announce("wr", right)
            elif isinstance(op, _ORDERING) and not scalar and not isinstance(right, _LITERALS):
                right = self._announce("wr", right)
            new.append(right)
        if not scalar and isinstance(node.ops[0], _ORDERING) and not isinstance(left, _LITERALS):
            new[0] = self._announce("wr", left)
        node.left, node.comparators = new[0], new[1:]
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node.value = self._announce("wr", self.visit(node.value))
        if node.format_spec is not None:
            node.format_spec = self.visit(node.format_spec)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node.left = self.visit(node.left)
        node.right = self.visit(node.right)
        if isinstance(node.op, ast.Mod) and isinstance(node.left, (ast.Constant, ast.JoinedStr)) \
                and isinstance(getattr(node.left, "value", ""), (str, bytes)):
            if isinstance(node.right, ast.Tuple):
                node.right.elts = [self._announce("wr", e) for e in node.right.elts]
            else:
                node.right = self._announce("wr", node.right)
        return node

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        node.value = self.visit(node.value)
        if isinstance(node.ctx, ast.Load):
            node.value = self._announce("wr", node.value)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        node.keys = [None if k is None else self.visit(k) for k in node.keys]
        node.values = [self._announce("wr", self.visit(v)) if k is None else self.visit(v)
                       for k, v in zip(node.keys, node.values)]
        return node

    # ---- loads ------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return node
        ref = self._resolve(node.id)
        if ref is None:
            return node
        return ast.copy_location(ast.BoolOp(op=ast.Or(), values=[self._read_point(node.id, ref), node]), node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        value = self.visit(node.value)
        attr = node.attr
        if attr.startswith("__") and attr.endswith("__"):
            if attr == "__dict__":
                node.value = ast.copy_location(self._call("rd", value), node.value)
            elif attr == "__weakref__":  # (racelab's own weak references are not the program's)
                return ast.copy_location(self._call("wref", value), node)
            else:
                node.value = value
            return node
        if self._is_stdlib_import(node.value):
            node.value = value
            return node
        node.value = ast.copy_location(self._call("ra", value, ast.Constant(self._mangle(attr))), node.value)
        return node

    def _key(self, node: ast.expr) -> ast.expr:
        """The key of a subscript as a value (a slice as ``slice(...)``)."""
        if isinstance(node, ast.Slice):
            parts = [ast.Constant(None) if p is None else self.visit(p) for p in (node.lower, node.upper, node.step)]
            return ast.copy_location(ast.Call(func=_name("__rl_slice__"), args=parts, keywords=[]), node)
        return self.visit(node)

    def _subscript(self, node: ast.Subscript, helper: str) -> tuple[ast.expr, ast.expr] | None:
        """(container expression announcing the access, key expression) for ``node``, or None
        when the key cannot be evaluated once here."""
        key = node.slice
        if self._private(node.value):
            return node.value, self.visit(key) if not isinstance(key, ast.Slice) else self.generic_visit(key)
        if not (self._simple(key) or self._walrus_ok()):
            return None
        value = self.visit(node.value)
        src = ast.Constant(self._src(node.value))
        if isinstance(key, ast.Slice) and self._simple(key):
            visited = self.visit(key)
            return self._call(helper, value, self._key(copy.deepcopy(key)), src), visited
        once = self._once(self._key(key))
        if once is None:
            return None
        first, later = once
        return self._call(helper, value, first, src), later

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        parts = self._subscript(node, "ri")
        if parts is None:
            return ast.copy_location(self._call("gi", self.visit(node.value), self._key(node.slice),
                                                ast.Constant(self._src(node.value))), node)
        node.value, node.slice = parts
        ast.copy_location(node.value, node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        builtin = self._builtin(func)
        if builtin is not None:
            special = self._builtin_call(node, builtin)
            if special is not None:
                return special
        if isinstance(func, ast.Attribute) and not (func.attr.startswith("__") and func.attr.endswith("__")
                                                    and func.attr not in ("__setattr__", "__delattr__",
                                                                          "__getattribute__", "__setitem__",
                                                                          "__getitem__", "__delitem__")):
            if self._is_stdlib_import(func.value) and func.attr not in _TABLE_NAMES:
                return self._stdlib_call(node, self.c.imports[func.value.id], func.attr)
            if self._private(func.value):
                node.args = [self.visit(a) for a in node.args]
                node.keywords = [self.visit(k) for k in node.keywords]
                return node
            obj = self.visit(func.value)
            node.func = ast.copy_location(self._call("mc", obj, ast.Constant(self._mangle(func.attr))), func)
        elif isinstance(func, ast.Name) and func.id in self.c.from_imports and func.id not in self.c.global_names \
                and not self._local_shadow(func.id):
            node.func = ast.copy_location(self._call("cf", func), func)
        else:
            node.func = self.visit(func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        for keyword in node.keywords:
            if keyword.arg is None:
                keyword.value = self._announce("wr", keyword.value)
        return node

    def _stdlib_call(self, node: ast.Call, module: str, name: str) -> ast.AST:
        """``module.name(...)`` of the standard library: its arguments are read whole in the call
        (``stdlib``), or iterated under control (``itertools``)."""
        args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if module == "itertools" and name in stdlib.ITERATES:
            where = stdlib.ITERATES[name]
            node.args = [a if isinstance(a, ast.Starred) or (where is not None and i not in where) else self._iterated(a)
                         for i, a in enumerate(args)]
            return node
        if stdlib.reads_arguments(module, name):
            args = [a if isinstance(a, ast.Starred) else self._announce("sa", a) for a in args]
            for keyword in node.keywords:
                keyword.value = self._announce("sa", keyword.value)
        node.args = args
        return node

    def _builtin_call(self, node: ast.Call, name: str) -> ast.AST | None:
        if any(isinstance(a, ast.Starred) for a in node.args) and name in ("getattr", "setattr", "delattr", "hasattr"):
            return None
        args = [self.visit(a) for a in node.args]
        keywords = [self.visit(k) for k in node.keywords]

        def done(new_args: list[ast.expr], func: ast.expr | None = None) -> ast.AST:
            node.args = new_args
            node.keywords = keywords
            if func is not None:
                node.func = ast.copy_location(func, node.func)
            return node

        if name == "open":
            return done(args, _name("__rl_open__"))
        if name == "next":
            return done(args, _name("__rl_nx__"))
        if name in ("len", "bool") and len(args) == 1:
            return done([self._announce("sz", args[0])])
        if name in _READS_ARGS:
            return done([a if isinstance(a, ast.Starred) else self._announce("wr", a) for a in args])
        if name in _ITERATES_ARGS:
            first = _ITERATES_ARGS[name]
            return done([a if i < first or isinstance(a, ast.Starred) else self._iterated(a)
                         for i, a in enumerate(args)])
        if name == "reversed" and len(args) == 1:
            return done([args[0], ast.Constant(self._src(args[0]))], _name("__rl_rv__"))
        if name == "iter" and len(args) == 1:
            return done([self._iterated(args[0])])
        if name in ("locals", "vars") and not args and not keywords and self.scope.kind == "function":
            # a function's namespace as the program sees it: without racelab's temporaries
            return self._call("lc", done(args))
        if name == "vars" and len(args) == 1:
            return done([self._call("va", args[0])])
        if name in ("getattr", "hasattr", "delattr") and len(args) >= 2:
            once = self._once(args[1])
            if once is None:
                return done(args)
            helper = "dx" if name == "delattr" else "gx"
            return done([self._call(helper, args[0], once[0]), once[1], *args[2:]])
        if name == "setattr" and len(args) == 3:
            if self._simple(args[0]) and self._simple(args[1]):
                return done([args[0], args[1], self._call("sx", copy.deepcopy(args[0]), copy.deepcopy(args[1]),
                                                          args[2])])
            return done(args, _name("__rl_setattr__"))
        node.args, node.keywords = args, keywords
        node.func = self.visit(node.func)
        for keyword in node.keywords:
            if keyword.arg is None:
                keyword.value = self._announce("wr", keyword.value)
        return node

    # ---- stores -----------------------------------------------------------------------

    def _store_target(self, target: ast.expr) -> ast.expr | None:
        """``target`` with its stores announced in place, or None when that cannot be done
        here (a global or nonlocal name inside an unpacking, a key that cannot be kept)."""
        if isinstance(target, ast.Attribute):
            target.value = ast.copy_location(self._call("wa", self.visit(target.value),
                                                        ast.Constant(self._mangle(target.attr))), target.value)
            return target
        if isinstance(target, ast.Subscript):
            parts = self._subscript(target, "wi")
            if parts is None:
                return None
            target.value, target.slice = parts
            return target
        if isinstance(target, ast.Name):
            return None if self._resolve(target.id) else target
        if isinstance(target, ast.Starred):
            inner = self._store_target(target.value)
            if inner is None:
                return None
            target.value = inner
            return target
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = []
            for elt in target.elts:
                new = self._store_target(elt)
                if new is None:
                    return None
                elts.append(new)
            target.elts = elts
            return target
        return target

    def _needs_rewrite(self, target: ast.expr) -> bool:
        for sub in ast.walk(target):
            if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, ast.Store):
                return True
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and self._resolve(sub.id):
                return True
        return False

    def _unpacked(self, targets: list[ast.expr], value: ast.expr) -> ast.expr:
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in targets):
            return self._announce("wr", value)
        return value

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.stmt]:
        if not any(self._needs_rewrite(t) for t in node.targets):
            node.value = self._unpacked(node.targets, self.visit(node.value))
            return node
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0]
            ref = self._resolve(target.id)
            assert ref is not None
            node.value = self._write_value(target.id, ref, self.visit(node.value))
            return node
        saved = copy.deepcopy(node.targets)
        value = self._unpacked(node.targets, self.visit(node.value))
        targets = []
        for target in node.targets:
            new = self._store_target(target)
            if new is None:
                return self._assign_by_temps(saved, value, node)
            targets.append(new)
        node.targets = targets
        node.value = value
        return node

    def _assign_by_temps(self, targets: list[ast.expr], value: ast.expr, anchor: ast.AST) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        tmp = self._tmp()
        out.append(ast.Assign(targets=[ast.Name(id=tmp, ctx=ast.Store())], value=value))
        temps = [tmp]
        for target in targets:
            self._assign_to(target, _name(tmp), out, temps)
        if self._function_scope() is None:
            out.append(ast.Delete(targets=[ast.Name(id=t, ctx=ast.Del()) for t in temps]))
        for stmt in out:
            ast.copy_location(stmt, anchor)
        return out

    def _assign_to(self, target: ast.expr, value: ast.expr, out: list[ast.stmt], temps: list[str]) -> None:
        """Append statements that store ``value`` (a name) into ``target``."""
        if isinstance(target, ast.Attribute):
            store = ast.Attribute(value=self._call("wa", self.visit(target.value),
                                                   ast.Constant(self._mangle(target.attr))),
                                  attr=target.attr, ctx=ast.Store())
            out.append(ast.Assign(targets=[store], value=value))
        elif isinstance(target, ast.Subscript):
            out.append(ast.Expr(self._call("si", self.visit(target.value), self._key(target.slice), value,
                                           ast.Constant(self._src(target.value)))))
        elif isinstance(target, ast.Name):
            ref = self._resolve(target.id)
            stored = self._write_value(target.id, ref, value) if ref else value
            out.append(ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())], value=stored))
        elif isinstance(target, (ast.Tuple, ast.List)):
            names: list[ast.expr] = []
            pending: list[tuple[ast.expr, str]] = []
            for elt in target.elts:
                inner = elt.value if isinstance(elt, ast.Starred) else elt
                tmp = self._tmp()
                temps.append(tmp)
                pending.append((inner, tmp))
                holder: ast.expr = ast.Name(id=tmp, ctx=ast.Store())
                names.append(ast.Starred(value=holder, ctx=ast.Store()) if isinstance(elt, ast.Starred) else holder)
            out.append(ast.Assign(targets=[ast.Tuple(elts=names, ctx=ast.Store())], value=value))
            for inner, tmp in pending:
                self._assign_to(inner, _name(tmp), out, temps)
        else:
            out.append(ast.Assign(targets=[target], value=value))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.stmt]:
        if node.value is None:
            return node
        if not self._needs_rewrite(node.target):
            node.value = self.visit(node.value)
            return node
        if isinstance(node.target, ast.Name):
            ref = self._resolve(node.target.id)
            assert ref is not None
            node.value = self._write_value(node.target.id, ref, self.visit(node.value))
            return node
        saved = copy.deepcopy(node.target)
        value = self.visit(node.value)
        new = self._store_target(node.target)
        if new is None:
            return self._assign_by_temps([saved], value, node)
        node.target = new
        node.value = value
        return node

    def visit_With(self, node: ast.With) -> ast.AST:
        for item in node.items:
            item.context_expr = self.visit(item.context_expr)
            if item.optional_vars is not None:
                item.optional_vars = self._store_target(item.optional_vars) or item.optional_vars
        node.body = self._stmts(node.body)
        return node

    visit_AsyncWith = visit_With

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        helper = f"__rl_i{_AUG_NAMES[type(node.op)]}__"  # operator.iadd and friends
        target = node.target
        if isinstance(target, ast.Name):
            return self._aug_name(node, target, helper)
        if isinstance(target, ast.Attribute):
            return self._aug_attribute(node, target, helper)
        if isinstance(target, ast.Subscript):
            return self._aug_subscript(node, target, helper)
        return self.generic_visit(node)  # pragma: no cover - the grammar allows nothing else

    def _aug_name(self, node: ast.AugAssign, target: ast.Name, helper: str) -> ast.AST:
        value = self.visit(node.value)
        ref = self._resolve(target.id)
        if ref is None:
            if (_scalar(node.value) and not isinstance(getattr(node.value, "value", None), (str, bytes))) \
                    or self._private(target):
                node.value = value
                return node
            # ``x op= v`` changes a container ``x`` in place: announced as such
            node.value = self._call("inplace", _name(target.id), value)
            return node
        current = ast.BoolOp(op=ast.Or(), values=[self._read_point(target.id, ref), _name(target.id)])
        new = ast.Call(func=_name(helper), args=[current, value], keywords=[])
        assign = ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())],
                            value=self._write_value(target.id, ref, new))
        return ast.copy_location(assign, node)

    def _aug_attribute(self, node: ast.AugAssign, target: ast.Attribute, helper: str) -> ast.AST | list[ast.stmt]:
        attr = ast.Constant(self._mangle(target.attr))
        obj = self.visit(target.value)
        value = self.visit(node.value)
        once = self._once(obj)
        if once is None:  # module or class level: a temporary, deleted at once
            tmp = self._tmp()
            first, later = _name(tmp), _name(tmp)
            prologue: list[ast.stmt] = [ast.Assign(targets=[ast.Name(id=tmp, ctx=ast.Store())], value=obj)]
            epilogue: list[ast.stmt] = [ast.Delete(targets=[ast.Name(id=tmp, ctx=ast.Del())])]
        else:
            first, later = once
            prologue, epilogue = [], []
        out: list[ast.stmt]
        if self._inert(node.value) and not prologue:
            # ``obj.attr += 1``: one call when nothing of it can run Python code, else the
            # general form on the object that call evaluated
            read = ast.Attribute(value=self._call("ra", copy.deepcopy(later), attr), attr=target.attr, ctx=ast.Load())
            store = ast.Attribute(value=self._call("wa", later, copy.deepcopy(attr)), attr=target.attr,
                                  ctx=ast.Store())
            general = ast.Assign(targets=[store], value=ast.Call(func=_name(helper), args=[read, value], keywords=[]))
            fast = self._call("aa", first, copy.deepcopy(attr), _name(helper), copy.deepcopy(value))
            out = [ast.If(test=ast.UnaryOp(op=ast.Not(), operand=fast), body=[general], orelse=[])]
        else:
            read = ast.Attribute(value=self._call("ra", first, attr), attr=target.attr, ctx=ast.Load())
            store = ast.Attribute(value=self._call("wa", later, copy.deepcopy(attr)), attr=target.attr,
                                  ctx=ast.Store())
            general = ast.Assign(targets=[store], value=ast.Call(func=_name(helper), args=[read, value], keywords=[]))
            out = [*prologue, general, *epilogue]
        for stmt in out:
            ast.copy_location(stmt, node)
        return ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])).body

    def _aug_subscript(self, node: ast.AugAssign, target: ast.Subscript, helper: str) -> ast.AST | list[ast.stmt]:
        container = self.visit(target.value)
        key = self._key(target.slice)
        value = self.visit(node.value)
        src = ast.Constant(self._src(target.value))
        c_once, k_once = self._once(container), self._once(key)
        if c_once is None or k_once is None:
            # module or class level: temporaries, deleted at once
            c_tmp, k_tmp = self._tmp(), self._tmp()
            out: list[ast.stmt] = [
                ast.Assign(targets=[ast.Name(id=c_tmp, ctx=ast.Store())], value=container),
                ast.Assign(targets=[ast.Name(id=k_tmp, ctx=ast.Store())], value=key),
                ast.Expr(self._call("si", _name(c_tmp), _name(k_tmp), ast.Call(
                    func=_name(helper), args=[self._call("gi", _name(c_tmp), _name(k_tmp), src), value],
                    keywords=[]), copy.deepcopy(src))),
                ast.Delete(targets=[ast.Name(id=c_tmp, ctx=ast.Del()), ast.Name(id=k_tmp, ctx=ast.Del())]),
            ]
        else:
            read = ast.Subscript(value=self._call("ri", c_once[0], k_once[0], src), slice=k_once[1], ctx=ast.Load())
            store = ast.Subscript(value=self._call("wi", c_once[1], copy.deepcopy(k_once[1]), copy.deepcopy(src)),
                                  slice=copy.deepcopy(k_once[1]), ctx=ast.Store())
            out = [ast.Assign(targets=[store], value=ast.Call(func=_name(helper), args=[read, value], keywords=[]))]
        for stmt in out:
            ast.copy_location(stmt, node)
        return ast.fix_missing_locations(ast.Module(body=out, type_ignores=[])).body

    def visit_Delete(self, node: ast.Delete) -> ast.AST | list[ast.stmt]:
        out: list[ast.stmt] = []
        plain: list[ast.expr] = []
        for target in node.targets:
            if isinstance(target, ast.Attribute):
                target.value = self._call("da", self.visit(target.value), ast.Constant(self._mangle(target.attr)))
                plain.append(target)
            elif isinstance(target, ast.Subscript):
                parts = self._subscript(target, "di")
                if parts is None:
                    if plain:
                        out.append(ast.Delete(targets=plain))
                        plain = []
                    out.append(ast.Expr(self._call("dl", self.visit(target.value), self._key(target.slice),
                                                   ast.Constant(self._src(target.value)))))
                else:
                    target.value, target.slice = parts
                    plain.append(target)
            elif isinstance(target, ast.Name) and self._resolve(target.id):
                ref = self._resolve(target.id)
                assert ref is not None
                if plain:
                    out.append(ast.Delete(targets=plain))
                    plain = []
                out.append(ast.Expr(self._write_value(target.id, ref, ast.Constant(None))))
                out.append(ast.Delete(targets=[target]))
            else:
                plain.append(self.visit(target))
        if plain:
            out.append(ast.Delete(targets=plain))
        for stmt in out:
            ast.copy_location(stmt, node)
        return out

    # ---- asserts ----------------------------------------------------------------------

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        if node.msg is not None or not self.asserts:
            node.test = self._test(node.test)
            if node.msg is not None:
                node.msg = self.visit(node.msg)
            return node
        src = self._src(node.test)
        test = node.test
        if self._walrus_ok() and isinstance(test, ast.Compare) and len(test.ops) == 1 \
                and type(test.ops[0]) in _CMP_TEXT:
            left, right = self._tmp(), self._tmp()
            compare = self.visit(test)
            new_test = ast.Compare(
                left=ast.NamedExpr(target=ast.Name(id=left, ctx=ast.Store()), value=compare.left),
                ops=compare.ops,
                comparators=[ast.NamedExpr(target=ast.Name(id=right, ctx=ast.Store()),
                                           value=compare.comparators[0])])
            msg = self._call("amsg", ast.Constant(src), _name(left),
                             ast.Constant(_CMP_TEXT[type(test.ops[0])]), _name(right))
            return ast.copy_location(ast.Assert(test=new_test, msg=msg), node)
        node.test = self._test(test)
        node.msg = ast.Constant(f"assert {src}")
        return node


#: Names of module functions that read or change their container arguments (see the runtime's table).
_TABLE_NAMES = frozenset({
    "copy", "deepcopy", "dumps", "dump", "heappush", "heappop", "heapify", "heappushpop", "heapreplace",
    "nlargest", "nsmallest", "bisect", "bisect_left", "bisect_right", "insort", "insort_left", "insort_right",
    "getitem", "setitem", "delitem", "contains", "countOf", "indexOf", "length_hint", "concat", "iconcat",
    "shuffle", "choice", "sample", "choices", "itemgetter", "attrgetter",
})


def rewrite(source: str, filename: str, *, asserts: bool = False) -> ast.Module:
    """Parse ``source`` and return the instrumented module tree (raises SyntaxError).

    ``asserts``: give a bare ``assert a == b`` a message with both values (scenario files
    and tests; a library's own asserts are left as they are).
    """
    tree = ast.parse(source, filename)
    doc = ast.get_docstring(tree)
    if doc and OPT_OUT in doc:
        return tree
    collector = _Collector()
    collector.visit(tree)
    collector.finish()
    new = _Rewriter(collector, source, asserts).visit(tree)
    return ast.fix_missing_locations(new)


def declared_instrumentation(tree: ast.Module) -> list[str]:
    """Module names listed in a top-level ``__racelab_instrument__ = [...]`` literal."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__racelab_instrument__"
                                                 for t in stmt.targets):
            try:
                value = ast.literal_eval(stmt.value)
            except ValueError:
                return []
            if isinstance(value, str):
                return [value]
            return [str(v) for v in value]
    return []
