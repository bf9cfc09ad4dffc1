"""How a module is instrumented: an AST rewrite that makes shared accesses visible.

=====================  ==============================================================
source                 rewritten
=====================  ==============================================================
``o.a`` (load)         ``__rl_ga__(o, 'a')``
``o.a = v``            ``__rl_t__ = v; __rl_sa__(o, 'a', __rl_t__)``
``o.a += 1``           ``__rl_aa__(o, 'a', __rl_iadd__, 1)`` (a constant or a parameter on the right)
``o.a += v``           ``__rl_t__ = o; __rl_sa__(__rl_t__, 'a', __rl_iadd__(__rl_ga__(__rl_t__, 'a'), v))``
``c[k]`` (load)        ``__rl_gi__(c, k, 'c')``
``c[k] += v``          ``__rl_si__(c', k', __rl_iadd__(__rl_gi__(c', k', 'c'), v), 'c')``
``o.m(*a)``            ``__rl_mc__(o, 'm', *a)`` (atomic when ``o`` is a built-in container)
``g`` (global g)       ``(__rl_gr__(__name__, 'g') or g)``; stores go through ``__rl_gw__``
``x`` (nonlocal x)     ``(__rl_cr__(scope, 'x') or x)``; stores go through ``__rl_cw__``
``open(...)``          ``__rl_open__(...)`` (a tracked handle)
``for x in g``         ``for x in __rl_it__(g)``: each ``next`` of a generator is a point
``assert a == b``      the message shows both values
=====================  ==============================================================

Only globals that some function declares ``global`` are instrumented (others are never
rebound after import), and only closure variables that some inner function declares
``nonlocal`` (others never change). Evaluation order is Python's: the value of an
assignment first, then the target's container, then the store. The one exception is
``__rl_aa__``, whose operand is an argument and so is evaluated before the read; it is used
only when that cannot be told apart (``_inert``). Helper names end in ``__`` so that
private-name mangling in class bodies leaves them alone.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field

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
OPT_OUT = "racelab: no-instrument"


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


class _Collector(ast.NodeVisitor):
    """First pass: who binds which name, and which names are declared global/nonlocal."""

    def __init__(self) -> None:
        self.scopes: dict[ast.AST, _Scope] = {}
        self.global_names: set[str] = set()
        self.imports: set[str] = set()
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

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            if name != "*":
                self._bind(name)
                if self.stack[-1].kind == "module":
                    self.imports.add(name)

    visit_Import = _import
    visit_ImportFrom = _import

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


@dataclass(frozen=True)
class _Ref:
    kind: str  # "global" | "cell"
    token: str | None = None


class _Rewriter(ast.NodeTransformer):
    def __init__(self, collector: _Collector, source: str) -> None:
        self.c = collector
        self.source = source
        self.lines = source.splitlines()
        self.stack: list[_Scope] = []
        self.tmp = itertools.count()
        self.module_names = collector.scopes and next(iter(collector.scopes.values())).locals or set()
        self.params: dict[ast.AST, frozenset[str]] = {}  # function -> its parameters never unbound

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

    def _is_module_import(self, node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id in self.c.imports
                and node.id not in self.c.global_names and self._local_shadow(node.id) is False)

    def _local_shadow(self, name: str) -> bool:
        scope: _Scope | None = self.scope
        while scope is not None and scope.kind != "module":
            if scope.kind != "class" and (name in scope.locals or name in scope.nonlocals):
                return True
            scope = scope.parent
        return False

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
        return ast.Call(func=ast.Name(id=f"__rl_{helper}__", ctx=ast.Load()), args=list(args), keywords=[])

    def _src(self, node: ast.AST) -> str:
        text = self._segment(node)
        if text is None:
            text = ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= 60 else text[:57] + "..."

    def _read_point(self, name: str, ref: _Ref) -> ast.expr:
        if ref.kind == "global":
            return self._call("gr", ast.Name(id="__name__", ctx=ast.Load()), ast.Constant(name))
        return self._call("cr", ast.Name(id=ref.token, ctx=ast.Load()), ast.Constant(name))

    def _write_value(self, name: str, ref: _Ref, value: ast.expr) -> ast.expr:
        if ref.kind == "global":
            return self._call("gw", ast.Name(id="__name__", ctx=ast.Load()), ast.Constant(name), value)
        return self._call("cw", ast.Name(id=ref.token, ctx=ast.Load()), ast.Constant(name), value)

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
        self.stack.append(self.c.scopes[node])
        node.body = self._stmts(node.body)
        self.stack.pop()
        return node

    def _comprehension(self, node: ast.AST) -> ast.AST:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        gens[0].iter = self._call("it", self.visit(gens[0].iter))
        self.stack.append(self.c.scopes[node])
        for i, gen in enumerate(gens):
            if i:
                gen.iter = self.visit(gen.iter)
            gen.ifs = [self.visit(cond) for cond in gen.ifs]
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                setattr(node, part, self.visit(getattr(node, part)))
        self.stack.pop()
        return node

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension

    # annotations are left alone
    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    def _loop(self, node: ast.For | ast.AsyncFor) -> ast.AST:
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node, ast.For):
            node.iter = ast.copy_location(self._call("it", node.iter), node.iter)
        return node

    visit_For = _loop
    visit_AsyncFor = _loop

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
        return ast.copy_location(self._call("ga", value, ast.Constant(node.attr)), node)

    def _key(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Slice):
            parts = [ast.Constant(None) if p is None else self.visit(p) for p in (node.lower, node.upper, node.step)]
            return ast.copy_location(ast.Call(func=ast.Name(id="__rl_slice__", ctx=ast.Load()), args=parts,
                                              keywords=[]), node)
        return self.visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        value = self.visit(node.value)
        key = self._key(node.slice)
        return ast.copy_location(self._call("gi", value, key, ast.Constant(self._src(node.value))), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        args = [self.visit(a) for a in node.args]
        keywords = [self.visit(k) for k in node.keywords]
        if isinstance(func, ast.Attribute) and not self._is_module_import(func.value):
            obj = self.visit(func.value)
            call = ast.Call(func=ast.Name(id="__rl_mc__", ctx=ast.Load()),
                            args=[obj, ast.Constant(func.attr), *args], keywords=keywords)
            return ast.copy_location(call, node)
        builtin = {"open": "__rl_open__", "next": "__rl_nx__"}
        if isinstance(func, ast.Name) and func.id in builtin and func.id not in self.module_names \
                and not self._local_shadow(func.id):
            node.func = ast.copy_location(ast.Name(id=builtin[func.id], ctx=ast.Load()), func)
        else:
            node.func = self.visit(func)
        node.args = args
        node.keywords = keywords
        return node

    # ---- stores -----------------------------------------------------------------------

    def _needs_rewrite(self, target: ast.expr) -> bool:
        for sub in ast.walk(target):
            if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, ast.Store):
                return True
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and self._resolve(sub.id):
                return True
        return False

    def _assign_to(self, target: ast.expr, value: ast.expr, out: list[ast.stmt], anchor: ast.AST) -> None:
        """Append statements that store ``value`` (a simple expression) into ``target``."""
        if isinstance(target, ast.Attribute):
            out.append(ast.Expr(self._call("sa", self.visit(target.value), ast.Constant(target.attr), value)))
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
                pending.append((inner, tmp))
                holder: ast.expr = ast.Name(id=tmp, ctx=ast.Store())
                names.append(ast.Starred(value=holder, ctx=ast.Store()) if isinstance(elt, ast.Starred) else holder)
            out.append(ast.Assign(targets=[ast.Tuple(elts=names, ctx=ast.Store())], value=value))
            for inner, tmp in pending:
                self._assign_to(inner, ast.Name(id=tmp, ctx=ast.Load()), out, anchor)
        else:
            out.append(ast.Assign(targets=[target], value=value))
        for stmt in out:
            ast.copy_location(stmt, anchor)

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.stmt]:
        if not any(self._needs_rewrite(t) for t in node.targets):
            node.value = self.visit(node.value)
            return node
        value = self.visit(node.value)
        out: list[ast.stmt] = []
        if len(node.targets) == 1 and isinstance(node.targets[0], (ast.Attribute, ast.Subscript, ast.Name)) \
                and not isinstance(node.targets[0], ast.Name):
            tmp = self._tmp()
            out.append(ast.Assign(targets=[ast.Name(id=tmp, ctx=ast.Store())], value=value))
            self._assign_to(node.targets[0], ast.Name(id=tmp, ctx=ast.Load()), out, node)
            return out
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self._assign_to(node.targets[0], value, out, node)
            return out
        tmp = self._tmp()
        out.append(ast.Assign(targets=[ast.Name(id=tmp, ctx=ast.Store())], value=value))
        for target in node.targets:
            self._assign_to(target, ast.Name(id=tmp, ctx=ast.Load()), out, node)
        return out

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.stmt]:
        if node.value is None or not self._needs_rewrite(node.target):
            if node.value is not None:
                node.value = self.visit(node.value)
            return node
        assign = ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)
        return self.visit_Assign(assign)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        helper = f"i{_AUG_NAMES[type(node.op)]}"  # operator.iadd and friends
        target = node.target
        out: list[ast.stmt] = []
        if isinstance(target, ast.Name):
            ref = self._resolve(target.id)
            if ref is None:
                node.value = self.visit(node.value)
                return node
            current = ast.BoolOp(op=ast.Or(), values=[self._read_point(target.id, ref),
                                                      ast.Name(id=target.id, ctx=ast.Load())])
            new = self._call(helper, current, self.visit(node.value))
            out.append(ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())],
                                  value=self._write_value(target.id, ref, new)))
        elif isinstance(target, ast.Attribute) and self._inert(node.value):
            # the operand is evaluated before the read here, which nothing can tell apart
            op = ast.Name(id=f"__rl_{helper}__", ctx=ast.Load())
            out.append(ast.Expr(self._call("aa", self.visit(target.value), ast.Constant(target.attr), op,
                                           self.visit(node.value))))
        elif isinstance(target, ast.Attribute):
            obj = self._tmp()
            out.append(ast.Assign(targets=[ast.Name(id=obj, ctx=ast.Store())], value=self.visit(target.value)))
            load = ast.Name(id=obj, ctx=ast.Load())
            new = self._call(helper, self._call("ga", load, ast.Constant(target.attr)), self.visit(node.value))
            out.append(ast.Expr(self._call("sa", ast.Name(id=obj, ctx=ast.Load()), ast.Constant(target.attr), new)))
        elif isinstance(target, ast.Subscript):
            obj, key = self._tmp(), self._tmp()
            src = ast.Constant(self._src(target.value))
            out.append(ast.Assign(targets=[ast.Name(id=obj, ctx=ast.Store())], value=self.visit(target.value)))
            out.append(ast.Assign(targets=[ast.Name(id=key, ctx=ast.Store())], value=self._key(target.slice)))
            read = self._call("gi", ast.Name(id=obj, ctx=ast.Load()), ast.Name(id=key, ctx=ast.Load()), src)
            new = self._call(helper, read, self.visit(node.value))
            out.append(ast.Expr(self._call("si", ast.Name(id=obj, ctx=ast.Load()), ast.Name(id=key, ctx=ast.Load()),
                                           new, src)))
        else:  # pragma: no cover - the grammar allows nothing else
            return self.generic_visit(node)
        for stmt in out:
            ast.copy_location(stmt, node)
        return out

    def visit_Delete(self, node: ast.Delete) -> ast.AST | list[ast.stmt]:
        out: list[ast.stmt] = []
        for target in node.targets:
            if isinstance(target, ast.Attribute):
                out.append(ast.Expr(self._call("da", self.visit(target.value), ast.Constant(target.attr))))
            elif isinstance(target, ast.Subscript):
                out.append(ast.Expr(self._call("di", self.visit(target.value), self._key(target.slice),
                                               ast.Constant(self._src(target.value)))))
            elif isinstance(target, ast.Name) and self._resolve(target.id):
                ref = self._resolve(target.id)
                assert ref is not None
                out.append(ast.Expr(self._write_value(target.id, ref, ast.Constant(None))))
                out.append(ast.Delete(targets=[target]))
            else:
                out.append(ast.Delete(targets=[self.visit(target)]))
        for stmt in out:
            ast.copy_location(stmt, node)
        return out

    # ---- asserts ----------------------------------------------------------------------

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        if node.msg is not None:
            return self.generic_visit(node)
        src = self._src(node.test)
        test = node.test
        in_function = self.scope.kind == "function"
        if in_function and isinstance(test, ast.Compare) and len(test.ops) == 1 \
                and type(test.ops[0]) in _CMP_TEXT:
            left, right = self._tmp(), self._tmp()
            new_test = ast.Compare(
                left=ast.NamedExpr(target=ast.Name(id=left, ctx=ast.Store()), value=self.visit(test.left)),
                ops=test.ops,
                comparators=[ast.NamedExpr(target=ast.Name(id=right, ctx=ast.Store()),
                                           value=self.visit(test.comparators[0]))])
            msg = self._call("amsg", ast.Constant(src), ast.Name(id=left, ctx=ast.Load()),
                             ast.Constant(_CMP_TEXT[type(test.ops[0])]), ast.Name(id=right, ctx=ast.Load()))
            return ast.copy_location(ast.Assert(test=new_test, msg=msg), node)
        node.test = self.visit(test)
        node.msg = ast.Constant(f"assert {src}")
        return node


def rewrite(source: str, filename: str) -> ast.Module:
    """Parse ``source`` and return the instrumented module tree (raises SyntaxError)."""
    tree = ast.parse(source, filename)
    doc = ast.get_docstring(tree)
    if doc and OPT_OUT in doc:
        return tree
    collector = _Collector()
    collector.visit(tree)
    collector.finish()
    new = _Rewriter(collector, source).visit(tree)
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
