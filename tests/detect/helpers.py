"""Drive a detector with a synthetic event stream, as the controlled runtime would."""

from __future__ import annotations

import functools
from types import CodeType, SimpleNamespace
from typing import Any, Hashable

from racelab._core.events import Op
from racelab.detect import Detector

FILE = "/virtual/prog.py"


@functools.cache
def _code_at(line: int, file: str) -> tuple[CodeType, int]:
    code = compile("\n" * (line - 1) + "x = 1\n", file, "exec")
    offset = next(start for start, _, number in code.co_lines() if number == line)
    return code, offset


def frame(line: int, file: str = FILE) -> Any:
    """A stand-in for a frame at ``file:line``: detectors read ``f_code``, ``f_lasti``, ``f_lineno``."""
    code, offset = _code_at(line, file)
    return SimpleNamespace(f_code=code, f_lasti=offset, f_lineno=line)


class Trace:
    """One execution: ``t.write(1, loc, line)`` and friends feed the detector in order."""

    def __init__(self, detector: Detector | None = None, file: str = FILE) -> None:
        self.detector = detector or Detector()
        self.file = file
        self.names: dict[int, str] = {0: "MainThread"}
        self.detector.begin(self.names)

    def spawn(self, parent: int, child: int) -> None:
        self.names[child] = f"Thread-{child}"
        self.detector.release(parent, ("start", child))
        self.detector.acquire(child, ("start", child))

    def finish(self, child: int) -> None:
        self.detector.release(child, ("end", child))

    def join(self, joiner: int, child: int) -> None:
        self.detector.acquire(joiner, ("end", child))

    def write(self, tid: int, loc: Hashable, line: int, name: str = "x") -> None:
        self.detector.access(tid, Op.WRITE, loc, name, frame(line, self.file))

    def read(self, tid: int, loc: Hashable, line: int, name: str = "x") -> None:
        self.detector.access(tid, Op.READ, loc, name, frame(line, self.file))

    def lock(self, tid: int, lock: Hashable, line: int, lock_class: str = "prog.py:1") -> None:
        self.detector.acquire(tid, lock)
        self.detector.lock_acquired(tid, lock, lock_class, frame(line, self.file))

    def unlock(self, tid: int, lock: Hashable) -> None:
        self.detector.lock_released(tid, lock)
        self.detector.release(tid, lock)

    def end(self, token: str = "tok") -> Detector:
        self.detector.end(token)
        return self.detector
