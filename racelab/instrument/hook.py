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
import site
import sys
import sysconfig
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
        note_instrumented(module.__name__, str(self.path), owned=True)
        super().exec_module(module)

    # never read or write bytecode caches of instrumented code
    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


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


def _library_dirs() -> tuple[str, ...]:
    """Where the standard library and installed packages live (never the user's project)."""
    dirs: set[str] = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(path)
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - a virtualenv's old site module
        pass
    user = getattr(site, "getusersitepackages", lambda: None)()
    if user:
        dirs.add(user)
    for entry in sys.path:
        if entry and os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages"):
            dirs.add(entry)
    dirs.add(os.path.dirname(os.path.dirname(os.path.abspath(runtime.__file__))))  # racelab itself
    return tuple(sorted({os.path.realpath(d) + os.sep for d in dirs}))


def _under(path: str, dirs: Sequence[str]) -> bool:
    return any(path.startswith(d) for d in dirs)


def project_roots(files: Iterable[str] = ()) -> list[str]:
    """The directories whose modules are the program's own, instrumented without asking: the
    directories of ``files`` (scenarios, scripts, tests) and their trees, and the entries of
    ``sys.path`` outside the standard library and installed packages."""
    libraries = _library_dirs()
    roots: list[str] = []
    candidates = [os.path.dirname(os.path.abspath(f)) for f in files]
    candidates += [os.path.abspath(entry or os.curdir) for entry in sys.path if not entry.endswith(".zip")]
    for directory in candidates:
        real = os.path.realpath(directory) + os.sep
        if os.path.isdir(real) and not _under(real, libraries) and real not in roots:
            roots.append(real)
    return roots


def _matches(fullname: str, names: Sequence[str]) -> bool:
    return any(fullname == n or fullname.startswith(n + ".") for n in names)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str], roots: Sequence[str], exclude: Sequence[str]) -> None:
        self.names = tuple(names)
        self.roots = tuple(roots)
        self.exclude = tuple(exclude)
        self.libraries = _library_dirs() if roots else ()

    def wanted(self, fullname: str, filename: str | None = None) -> bool:
        """Whether the module ``fullname`` (found at ``filename``) is instrumented."""
        if fullname.startswith(_ENGINE) or _matches(fullname, self.exclude):
            return False
        if _matches(fullname, self.names):
            return True
        if not self.roots or not filename or fullname == "racelab" or fullname.startswith("racelab."):
            return False
        real = os.path.realpath(filename)
        return _under(real, self.roots) and not _under(real, self.libraries)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        named = self.wanted(fullname)
        if not named and not self.roots:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec if named else None
        if not named and not self.wanted(fullname, spec.origin):
            return None  # the rest of sys.meta_path imports it as usual
        spec.loader = InstrumentingLoader(fullname, spec.origin)
        return spec


class Instrumentation:
    """Instrument ``names`` (module or package names) and the modules found under ``roots``
    (see ``project_roots``), except ``exclude``, while active."""

    def __init__(self, names: Iterable[str] = (), roots: Sequence[str] = (), exclude: Iterable[str] = ()) -> None:
        self.names = [n for n in dict.fromkeys(names) if n]
        self.exclude = [n for n in dict.fromkeys(exclude) if n]
        self._finder = _Finder(self.names, roots, self.exclude)
        self._saved_modules: dict[str, ModuleType] | None = None
        self._saved_path: list[str] | None = None
        #: The modules instrumented so far, in import order.
        self.loaded: list[str] = []
        self._owned: list[tuple[str, str]] = []

    def __enter__(self) -> "Instrumentation":
        self._saved_modules = dict(sys.modules)
        self._saved_path = list(sys.path)
        for name, module in list(sys.modules.items()):
            if self._finder.wanted(name, getattr(module, "__file__", None)):
                del sys.modules[name]
        sys.meta_path.insert(0, self._finder)
        _active_hooks.append(self)
        import dataclasses

        self._dataclass_exec = vars(dataclasses).get("exec", _MISSING)
        dataclasses.exec = _dataclass_exec  # type: ignore[attr-defined]
        return self

    def add_path(self, directory: str) -> None:
        if directory not in sys.path:
            sys.path.insert(0, directory)

    def check_names(self, given: str = "--instrument") -> None:
        """Every name to instrument must name a module (else: bad input, one line)."""
        for name in self.names:
            try:
                found = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                found = None
            except Exception as exc:  # noqa: BLE001 - a package whose __init__ fails
                raise ScenarioError(f"{given} {name}: cannot import it: {type(exc).__name__}: {exc}") from None
            if found is None:
                raise ScenarioError(f"{given} {name}: no module or package of that name can be imported")

    def __exit__(self, *exc: object) -> None:
        try:
            sys.meta_path.remove(self._finder)
        except ValueError:
            pass
        if self in _active_hooks:
            _active_hooks.remove(self)
        still = {pair for active in _active_hooks for pair in active._owned}
        for name, filename in self._owned:
            if (name, filename) not in still:
                runtime.INSTRUMENTED.discard(name)
                runtime._INSTRUMENTED_FILES.discard(filename)
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


_active_hooks: list[Instrumentation] = []


def note_instrumented(name: str, filename: str, *, owned: bool = False) -> None:
    """Module ``name`` (from ``filename``) runs instrumented from now on. ``owned``: only while
    the active instrumentation lasts (its copy leaves ``sys.modules`` with it)."""
    runtime.mark_instrumented(name, filename)
    for active in _active_hooks:
        active.loaded.append(name)
        if owned:
            active._owned.append((name, filename))


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
    note_instrumented(module_name, path, owned=True)
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
