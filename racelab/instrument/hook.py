"""Whether a module is instrumented: the import hook.

``Instrumentation`` is a context manager. While it is active, importing a module whose
name is one of ``names`` (or inside one of those packages) goes through an
``InstrumentingLoader`` that rewrites the source (``racelab.instrument.rewrite``) before
compiling it. Modules with those names that were already imported are set aside and
imported afresh, instrumented; on exit ``sys.modules`` and ``sys.meta_path`` are put back
exactly as they were, so the instrumented copies never leak into the rest of the process.

Safety habits from pytest's assertion rewriting: a cheap early bail-out on the module
name, an opt-out marker in the module docstring (``racelab: no-instrument``), and a
re-entry guard (the hook never instruments racelab's own engine).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any, Iterable, Sequence

from racelab.errors import ScenarioError
from racelab.instrument.rewrite import declared_instrumentation, rewrite
from racelab.instrument import runtime

_MISSING = object()
_ENGINE = ("racelab._core", "racelab.sync", "racelab.instrument", "racelab.strategies", "racelab.detect",
           "racelab.errors", "racelab.atomic", "racelab.cli")


def compile_instrumented(source: str, filename: str, *, asserts: bool = False) -> Any:
    runtime.install_helpers()
    return compile(rewrite(source, filename, asserts=asserts), filename, "exec", dont_inherit=True)


class InstrumentingLoader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> Any:  # type: ignore[override]
        source = importlib.util.decode_source(data) if isinstance(data, bytes) else data
        return compile_instrumented(source, str(path))

    def exec_module(self, module: ModuleType) -> None:
        runtime.mark_instrumented(module.__name__, str(self.path))
        super().exec_module(module)

    # never read or write bytecode caches of instrumented code
    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)

    def wanted(self, fullname: str) -> bool:
        if fullname.startswith(_ENGINE):
            return False
        return any(fullname == n or fullname.startswith(n + ".") for n in self.names)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not self.wanted(fullname):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = InstrumentingLoader(fullname, spec.origin)
        return spec


_real_exec = exec


def _dataclass_exec(source: Any, globals: Any = None, locals: Any = None) -> None:
    """``exec`` as ``dataclasses`` calls it to make a class's ``__init__``, ``__eq__``,
    ``__repr__``, ...: instrumented when the class comes from an instrumented module, so
    that the generated methods' accesses are seen like the class's own."""
    if isinstance(source, str) and isinstance(globals, dict) and globals.get("__name__") in runtime.INSTRUMENTED:
        try:
            source = compile_instrumented(source, "<string>")
        except SyntaxError:
            pass
        else:
            _note_generated(source)
    _real_exec(source, globals, locals)


def _note_generated(code: Any) -> None:
    runtime.GENERATED.add(code)
    for const in code.co_consts:
        if hasattr(const, "co_consts"):
            _note_generated(const)


class Instrumentation:
    """Instrument ``names`` (module or package names) while active."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = [n for n in dict.fromkeys(names) if n]
        self._finder = _Finder(self.names)
        self._saved_modules: dict[str, ModuleType] | None = None
        self._saved_path: list[str] | None = None

    def __enter__(self) -> "Instrumentation":
        self._saved_modules = dict(sys.modules)
        self._saved_path = list(sys.path)
        for name in list(sys.modules):
            if self._finder.wanted(name):
                del sys.modules[name]
        sys.meta_path.insert(0, self._finder)
        import dataclasses

        self._dataclass_exec = vars(dataclasses).get("exec", _MISSING)
        dataclasses.exec = _dataclass_exec  # type: ignore[attr-defined]
        return self

    def add_path(self, directory: str) -> None:
        if directory not in sys.path:
            sys.path.insert(0, directory)

    def __exit__(self, *exc: object) -> None:
        try:
            sys.meta_path.remove(self._finder)
        except ValueError:
            pass
        import dataclasses

        if self._dataclass_exec is _MISSING:
            vars(dataclasses).pop("exec", None)
        else:
            dataclasses.exec = self._dataclass_exec  # type: ignore[attr-defined]
        assert self._saved_modules is not None and self._saved_path is not None
        for name in list(sys.modules):
            if name not in self._saved_modules:
                del sys.modules[name]
        sys.modules.update(self._saved_modules)
        sys.path[:] = self._saved_path


def load_file(path: str, module_name: str) -> ModuleType:
    """Import the file at ``path`` instrumented, as ``module_name`` (registered in sys.modules)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror}") from None
    source = importlib.util.decode_source(data)
    try:
        code = compile_instrumented(source, path, asserts=True)
    except SyntaxError as exc:
        raise ScenarioError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    module = ModuleType(module_name)
    module.__file__ = path
    runtime.mark_instrumented(module_name, path)
    sys.modules[module_name] = module
    exec(code, module.__dict__)
    return module


def declared_in(path: str) -> list[str]:
    """The modules a scenario file asks to instrument (``__racelab_instrument__``)."""
    import ast

    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    return declared_instrumentation(tree)


def module_name_for(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem.isidentifier() else "scenario"
    if name in sys.modules or name in sys.builtin_module_names or name in sys.stdlib_module_names:
        name = f"racelab_scenario_{name}"
    return name
