"""Child processes started by a scenario: run for real and said so, or refused with a clear error.

racelab schedules the threads of one process. What it does with another process depends on
whether exploring around it can work at all:

* ``subprocess`` (also ``os.system``, ``os.posix_spawn``): the child runs for real,
  uncontrolled. Each ``Popen`` call that waits for it (``__init__``, ``communicate``,
  ``wait``, ``poll``) is one scheduling point followed by one opaque step run outside
  control (``control.outside_control``): real time, real waits, the baton kept meanwhile.
  The child makes progress on its own, so those waits end, and the number of scheduling
  points does not depend on how fast it is (``subprocess`` polls with sleeps while it
  waits with a timeout), so replay stays exact. What the child does, and when, is not
  explored: the verdict becomes ``inconclusive`` ("a child process was started at
  file:line; racelab does not control it").
* ``multiprocessing`` (``Process.start``, ``Pool``, ``ProcessPoolExecutor``, managers) and
  ``os.fork``: a one-line error (exit status 2). A pool's helper threads would be controlled
  tasks blocked on real pipes, fed by processes that racelab cannot schedule, and a forked
  child inherits a copy of the scheduler whose other threads do not exist: nothing sound
  can come out of exploring either, and everything that could hang would.

Uncontrolled threads keep the real behaviour.
"""

from __future__ import annotations

import _posixsubprocess
import os
import subprocess
import sys
from typing import Any, Callable

from racelab._core import control
from racelab._core.patching import Patcher
from racelab.errors import ScenarioError

_MULTIPROCESSING = os.sep + "multiprocessing" + os.sep
_Popen = subprocess.Popen


def _from_multiprocessing(frame: Any) -> bool:
    while frame is not None:
        if _MULTIPROCESSING in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _refuse(what: str, frame: Any) -> None:
    """End the exploration with a one-line error (called on a controlled task)."""
    ex = control.active()
    assert ex is not None
    ex.fail_with_error(ScenarioError(
        f"{control.program_site(frame)}: the scenario {what}; racelab explores the threads of one process "
        "and cannot control another: keep it out of the scenario (subprocess can run, uncontrolled)"))


def _note_child(frame: Any, what: str) -> None:
    if _from_multiprocessing(frame):
        _refuse("starts a process with multiprocessing", frame)
    site = control.program_site(frame)
    control.note_unseen(f"child:{site}", f"a child process was started at {site} ({what}); racelab does not "
                        "control it: what it does, and when, is not explored")


def _child_starter(real: Callable[..., Any], what: str) -> Callable[..., Any]:
    def start(*args: Any, **kwargs: Any) -> Any:
        if control.current_task() is not None:
            _note_child(sys._getframe(1), what)
        return real(*args, **kwargs)

    start.__name__ = getattr(real, "__name__", "start")
    return start


def _popen_step(real: Callable[..., Any], name: str) -> Callable[..., Any]:
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        if control.current_task() is None:
            return real(self, *args, **kwargs)
        if name == "__init__":
            _note_child(sys._getframe(1), "subprocess")
        control.schedule_point(f"subprocess.Popen.{name}")
        with control.outside_control():
            return real(self, *args, **kwargs)

    step.__name__ = name
    step.__doc__ = real.__doc__
    return step


def _forker(real: Callable[..., Any], name: str) -> Callable[..., Any]:
    def fork(*args: Any, **kwargs: Any) -> Any:
        if control.current_task() is not None:
            frame = sys._getframe(1)
            _refuse("starts a process with multiprocessing" if _from_multiprocessing(frame) else f"calls os.{name}()",
                    frame)
        return real(*args, **kwargs)

    fork.__name__ = name
    return fork


def _process_start(real: Callable[..., Any]) -> Callable[..., Any]:
    def start(self: Any) -> None:
        if control.current_task() is not None:
            _refuse(f"starts a process with multiprocessing ({type(self).__name__} {self.name})", sys._getframe(1))
        return real(self)

    return start


def install(p: Patcher) -> None:
    """Patch the ways to start a process until ``p.undo()``."""
    for name in ("__init__", "communicate", "wait", "poll"):
        p.set(_Popen, name, _popen_step(vars(_Popen)[name], name))
    p.set(_posixsubprocess, "fork_exec", _child_starter(_posixsubprocess.fork_exec, "fork_exec"))
    for name in ("system", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            p.set(os, name, _child_starter(getattr(os, name), f"os.{name}"))
    for name in ("fork", "forkpty"):
        if hasattr(os, name):
            p.set(os, name, _forker(getattr(os, name), name))
    process = sys.modules.get("multiprocessing.process")
    if process is not None:
        p.set(process.BaseProcess, "start", _process_start(process.BaseProcess.start))
