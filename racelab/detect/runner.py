"""Running a real program under the live detector: what ``racelab run`` does.

The script runs as ``__main__`` in this process, instrumented by the import hook, with
``threading`` patched (``racelab.detect.live``). When its main code returns, the runner does
what the interpreter does at exit — stops idle ``concurrent.futures`` workers and joins the
non-daemon threads — before the detector's findings are read.

``racelab run -m MODULE`` runs a module the way ``python -m`` does: it is found with
``runpy``'s rules (a package runs its ``__main__``), through the import system, so the
hook instruments it when its name is in the instrument list; ``sys.path[0]`` is the current
directory and ``sys.argv[0]`` the module's file.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from racelab.detect.detector import Detector
from racelab.detect.live import install, uninstall
from racelab.detect.records import LockCycle, Race
from racelab.errors import ScenarioError, UsageError


@dataclass(frozen=True)
class LiveReport:
    """What ``run_program`` found: the program's exit status and the detector's findings."""

    status: int
    races: tuple[Race, ...]
    cycles: tuple[LockCycle, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "races": [race.to_json() for race in self.races],
            "lock_order": [cycle.to_json() for cycle in self.cycles],
        }


def _exit_status(code: object) -> int:
    """The process exit status ``sys.exit(code)`` would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _execute(path: str, argv: list[str], instrument: tuple[str, ...], exclude: tuple[str, ...]) -> int:
    """Run ``path`` instrumented as ``__main__`` with ``sys.argv = [path, *argv]``, then wait
    for its threads as the interpreter would at exit; the program's exit status. The modules
    of the program's own project are instrumented too (``hook.project_roots``)."""
    from racelab.instrument.hook import Instrumentation, declared_in, load_file, project_roots

    saved = list(sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        with Instrumentation([*instrument, *declared_in(path)], project_roots([path]), exclude) as instrumentation:
            instrumentation.check_names()
            return _as_main([path, *argv], lambda: load_file(path, "__main__"))
    finally:
        sys.path[:] = saved


def _execute_module(name: str, argv: list[str], instrument: tuple[str, ...], exclude: tuple[str, ...]) -> int:
    """Run module ``name`` as ``python -m`` would, under the hook, then wait for its threads."""
    from racelab.instrument.hook import Instrumentation, project_roots

    saved = list(sys.path)
    sys.path[0:1] = [os.getcwd()]
    try:
        with Instrumentation(instrument, project_roots(), exclude) as instrumentation:
            instrumentation.check_names()
            spec, code = _find_module(name)
            return _as_main([spec.origin, *argv], lambda: _run_module_code(spec, code))
    finally:
        sys.path[:] = saved


def _as_main(argv: list[str], run: Callable[[], object]) -> int:
    """Call ``run`` (which executes the program as ``__main__``) with ``sys.argv = argv``;
    the exit status the interpreter would give, after waiting for the program's threads."""
    saved_argv, saved_main = sys.argv, sys.modules.get("__main__")
    sys.argv = argv
    try:
        try:
            run()
            status = 0
        except SystemExit as stop:
            status = _exit_status(stop.code)
        except ScenarioError:  # the program cannot be compiled
            raise
        except KeyboardInterrupt:
            traceback.print_exc()
            status = 130
        except BaseException:  # noqa: BLE001 - the program crashed: report as Python would
            traceback.print_exc()
            status = 1
        _wait_for_threads()
    finally:
        sys.argv = saved_argv
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    return status


class _NoModule(Exception):
    """``runpy`` could not find the module to run (its message says why)."""


def _find_module(name: str) -> tuple[Any, Any]:
    """The spec and code object of module ``name`` by ``python -m``'s rules."""
    try:
        _, spec, code = runpy._get_module_details(name, _NoModule)  # type: ignore[attr-defined]
    except _NoModule as exc:
        raise UsageError(f"racelab run -m: {exc}") from None
    except SyntaxError as exc:
        raise ScenarioError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from None
    return spec, code


def _run_module_code(spec: Any, code: Any) -> None:
    """Execute ``code`` as the ``__main__`` module, with the globals ``runpy`` gives it."""
    from racelab.instrument.hook import InstrumentingLoader, note_instrumented

    module = ModuleType("__main__")
    if isinstance(spec.loader, InstrumentingLoader):
        note_instrumented("__main__", spec.origin, owned=True)
    module.__dict__.update(
        __file__=spec.origin, __cached__=spec.cached if spec.has_location else None,
        __loader__=spec.loader, __package__=spec.parent, __spec__=spec,
    )
    sys.modules["__main__"] = module
    exec(code, module.__dict__)


def _wait_for_threads() -> None:
    """What the interpreter does at exit: stop idle executor workers, join non-daemon threads."""
    workers = sys.modules.get("concurrent.futures.thread")
    if workers is not None and hasattr(workers, "_python_exit"):
        workers._python_exit()
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()


def run_program(path: str, argv: list[str], instrument: tuple[str, ...] = (),
                exclude: tuple[str, ...] = ()) -> LiveReport:
    """Run a real program under the live detector, as ``racelab run`` does.

    Meant for a process of its own: at the end it waits for the program's threads and shuts
    down ``concurrent.futures`` workers the way the interpreter does at exit.
    """
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    return _detecting(lambda: _execute(path, argv, instrument, exclude))


def run_module(name: str, argv: list[str], instrument: tuple[str, ...] = (),
               exclude: tuple[str, ...] = ()) -> LiveReport:
    """Run module ``name`` under the live detector as ``racelab run -m`` does (``python -m``'s
    rules: a package runs its ``__main__``). Meant for a process of its own, as ``run_program``."""
    if not name:
        raise UsageError("racelab run -m: no module name given")
    return _detecting(lambda: _execute_module(name, argv, instrument, exclude))


def _detecting(execute: Callable[[], int]) -> LiveReport:
    detector = Detector()
    _, patcher = install(detector)
    try:
        status = execute()
    finally:
        uninstall(patcher)
    return LiveReport(status, tuple(detector.races), tuple(detector.lock_cycles()))
