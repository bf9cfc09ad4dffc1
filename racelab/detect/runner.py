"""Running a real program under the live detector: what ``racelab run`` does.

The script runs as ``__main__`` in this process, instrumented by the import hook, with
``threading`` patched (``racelab.detect.live``). When its main code returns, the runner does
what the interpreter does at exit — stops idle ``concurrent.futures`` workers and joins the
non-daemon threads — before the detector's findings are read.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any

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


def _execute(path: str, argv: list[str], instrument: tuple[str, ...]) -> int:
    """Run ``path`` instrumented as ``__main__`` with ``sys.argv = [path, *argv]``, then wait
    for its threads as the interpreter would at exit; the program's exit status."""
    from racelab.instrument.hook import Instrumentation, declared_in, load_file

    saved_argv, saved_main = sys.argv, sys.modules.get("__main__")
    sys.argv = [path, *argv]
    try:
        with Instrumentation([*instrument, *declared_in(path)]) as instrumentation:
            instrumentation.add_path(os.path.dirname(os.path.abspath(path)))
            try:
                load_file(path, "__main__")
                status = 0
            except SystemExit as stop:
                status = _exit_status(stop.code)
            except ScenarioError:  # the script cannot be compiled
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


def _wait_for_threads() -> None:
    """What the interpreter does at exit: stop idle executor workers, join non-daemon threads."""
    workers = sys.modules.get("concurrent.futures.thread")
    if workers is not None and hasattr(workers, "_python_exit"):
        workers._python_exit()
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()


def run_program(path: str, argv: list[str], instrument: tuple[str, ...] = ()) -> LiveReport:
    """Run a real program under the live detector, as ``racelab run`` does.

    Meant for a process of its own: at the end it waits for the program's threads and shuts
    down ``concurrent.futures`` workers the way the interpreter does at exit.
    """
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    detector = Detector()
    _, patcher = install(detector)
    try:
        status = _execute(path, argv, instrument)
    finally:
        uninstall(patcher)
    return LiveReport(status, tuple(detector.races), tuple(detector.lock_cycles()))

