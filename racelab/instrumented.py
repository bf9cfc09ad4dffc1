"""Instrumented copies of functions that were imported the ordinary way.

Why this exists
---------------
pytest imports test modules itself, so in a test body ``box["n"] += 1`` is plain bytecode
and never a scheduling point; only the controlled ``threading`` primitives are. To make the
shared accesses of a test visible, racelab compiles the test's *module source* through the
instrumenting rewriter into a fresh module namespace and takes the same function from
there.

The function is found by its code object, not by name: the compiled module is searched for
a code object with the same ``co_qualname`` and first line. That works for module-level
functions, methods, nested closures and functions under any decorator. The copy gets the
fresh namespace as its globals (so module-level helpers it calls are instrumented copies
too) and the original's defaults and closure cells (so captured state is shared with the
caller). A closure cell that holds another function of the same file is given an
instrumented copy of that function in a new cell; other cells are the original cells.

The module is executed again to build the namespace. That runs its top-level code a second
time (imports, definitions, decorators); it should have no side effects beyond that, which
is true of ordinary test modules. Module-level state of the copy is separate from the
original's.

Rejected: rewriting only the function's own source (``inspect.getsource``). Decorators,
class bodies and closures make that fragile, and helpers it calls would stay plain.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import sys
import types
from typing import Any, Callable, Iterator, Sequence, TypeVar

from racelab.errors import ScenarioError, UsageError
from racelab.instrument import hook

F = TypeVar("F", bound=Callable[..., Any])

#: (file, mtime, instrument names) -> (module code, namespace); see ``instrumented``.
_namespace_cache: dict[tuple[str, float, tuple[str, ...]], tuple[types.CodeType, dict[str, Any]]] = {}
_code_cache: dict[tuple[str, float], types.CodeType] = {}


def _source_file(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    if code is None:
        raise UsageError(f"cannot instrument {func!r}: it is not a Python function")
    path = code.co_filename
    if not os.path.isfile(path):
        raise UsageError(f"cannot instrument {func.__qualname__}: its source file {path!r} is not readable")
    return path


def _module_code(path: str) -> types.CodeType:
    key = (path, os.path.getmtime(path))
    code = _code_cache.get(key)
    if code is None:
        with open(path, "rb") as f:
            source = importlib.util.decode_source(f.read())
        try:
            code = hook.compile_instrumented(source, path, asserts=True)
        except SyntaxError as exc:
            raise ScenarioError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
        _code_cache[key] = code
    return code


def _fresh_namespace(func: Callable[..., Any], code: types.CodeType) -> dict[str, Any]:
    """Execute ``code`` (the instrumented module of ``func``) into a new module namespace."""
    original = sys.modules.get(func.__module__)
    module = types.ModuleType(func.__module__)
    module.__file__ = code.co_filename
    if original is not None:
        module.__package__ = getattr(original, "__package__", None)
        spec = getattr(original, "__spec__", None)
        if spec is not None:
            module.__spec__ = spec
    hook.note_instrumented(func.__module__, code.co_filename)
    try:
        with _outside_hypothesis_test():
            exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - the user's module failed to run again
        raise ScenarioError(f"cannot re-run {code.co_filename} instrumented: {type(exc).__name__}: {exc}") from None
    return module.__dict__


def _outside_hypothesis_test() -> contextlib.AbstractContextManager[None]:
    """Running a module again from inside an ``@given`` test re-applies its ``@given`` decorators,
    which Hypothesis would take for nested tests; they are only defined here, never run."""
    if "hypothesis.control" not in sys.modules:
        return contextlib.nullcontext()
    variable = getattr(sys.modules["hypothesis.control"], "_current_build_context", None)
    with_value = getattr(variable, "with_value", None)
    return with_value(None) if with_value is not None else contextlib.nullcontext()


def _walk_code(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _walk_code(const)


def _find_code(module_code: types.CodeType, target: types.CodeType) -> types.CodeType | None:
    qualname = getattr(target, "co_qualname", target.co_name)
    for code in _walk_code(module_code):
        if getattr(code, "co_qualname", code.co_name) == qualname and code.co_firstlineno == target.co_firstlineno:
            return code
    return None


class _Copier:
    """Builds instrumented copies of the functions of one file against one namespace."""

    def __init__(self, path: str, module_code: types.CodeType, namespace: dict[str, Any]) -> None:
        self.path = path
        self.module_code = module_code
        self.namespace = namespace
        self.done: dict[int, Any] = {}
        self.cells: dict[int, types.CellType] = {}

    def copy(self, func: Any) -> Any:
        if id(func) in self.done:
            return self.done[id(func)]
        code = _find_code(self.module_code, func.__code__)
        if code is None:
            raise UsageError(f"cannot instrument {func.__qualname__}: its code was not found in {self.path} "
                             "(was the file changed after it was imported?)")
        if code.co_freevars != func.__code__.co_freevars:
            raise UsageError(f"cannot instrument {func.__qualname__}: the instrumented copy captures other "
                             f"variables ({', '.join(code.co_freevars)}) than the original")
        closure = None if not func.__closure__ else tuple(self._cell(c) for c in func.__closure__)
        copy = types.FunctionType(code, self.namespace, func.__name__, func.__defaults__, closure)
        self.done[id(func)] = copy
        copy.__kwdefaults__ = func.__kwdefaults__
        copy.__qualname__ = func.__qualname__
        copy.__doc__ = func.__doc__
        copy.__dict__.update(func.__dict__)
        return copy

    def _cell(self, cell: types.CellType) -> types.CellType:
        if id(cell) in self.cells:
            return self.cells[id(cell)]
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell (a variable not assigned yet)
            return cell
        if not (inspect.isfunction(value) and value.__code__.co_filename == self.path):
            return cell
        new = types.CellType()
        self.cells[id(cell)] = new  # registered first: recursive closures end here
        new.cell_contents = self.copy(value)
        return new


def instrumented(func: F, instrument: Sequence[str] = (), *, fresh: bool = False) -> F:
    """An instrumented copy of ``func``: its shared accesses become scheduling points.

    ``instrument`` names modules that the copy's module should see instrumented when it
    imports them. The namespace is cached per file and ``instrument`` unless ``fresh``;
    with ``fresh`` the caller must be inside an active exploration world (the module's
    imports then resolve there).
    """
    if getattr(func, "__racelab_instrumented__", False):
        return func
    path = _source_file(func)
    code = _module_code(path)
    names = tuple(instrument)
    if fresh:
        namespace = _fresh_namespace(func, code)
    else:
        key = (path, os.path.getmtime(path), names)
        cached = _namespace_cache.get(key)
        if cached is None or cached[0] is not code:
            from racelab._core.explorer import _World

            with _World(names):
                cached = (code, _fresh_namespace(func, code))
            _namespace_cache[key] = cached
        namespace = cached[1]
    copy = _Copier(path, code, namespace).copy(func)
    copy.__racelab_instrumented__ = True
    return copy  # type: ignore[no-any-return]


def resolve(obj: Any, instrument: Sequence[str]) -> Any:
    """``obj`` as seen inside an exploration world that instruments ``instrument``.

    A class or function from an instrumented module is looked up again by module and
    qualified name (the world imported that module afresh, instrumented); any other plain
    function becomes an instrumented copy; everything else is returned as it is.
    """
    module_name = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    wanted = module_name is not None and any(
        module_name == n or module_name.startswith(n + ".") for n in instrument)
    if wanted and qualname is not None:
        if "<locals>" in qualname:
            raise UsageError(f"{qualname} is defined inside a function; define it at module level so that "
                             f"racelab can load it from the instrumented module {module_name}")
        module = _import_instrumented(module_name, obj)  # type: ignore[arg-type]
        value: Any = module
        for part in qualname.split("."):
            value = getattr(value, part)
        return value
    if inspect.isfunction(obj):
        return instrumented(obj, instrument, fresh=True)
    return obj


def _import_instrumented(name: str, obj: Any) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    original = sys.modules.get(name)
    path = getattr(original, "__file__", None)
    if not path or not path.endswith(".py"):
        raise UsageError(f"cannot import the module {name} instrumented (it is not on sys.path)")
    return types.SimpleNamespace(**_fresh_namespace(obj, _module_code(path)))


__all__ = ["instrumented", "resolve"]
