"""Tracked file handles: an open file is a resource every thread of a process shares.

``open()`` in instrumented code returns a ``TrackedFile``. Its ``read``, ``write``,
``seek``, ``tell``, ``flush`` (and line-wise variants) are scheduling points on the
handle's shared offset. Each is atomic on the handle, as CPython's buffered I/O locks
internally: two threads that ``seek`` then ``write`` can still interleave between the two
calls, which is exactly the race a shared handle invites.
"""

from __future__ import annotations

import builtins
from typing import Any, Iterator

from racelab._core import control

_real_open = builtins.open


class TrackedFile:
    __slots__ = ("_f", "_rl_name", "__weakref__")

    def __init__(self, f: Any, name: str) -> None:
        self._f = f
        self._rl_name = name

    def _point(self, what: str) -> None:
        ex = control._active
        if ex is None:
            if control.live is not None:
                control.live.atomic(-1, id(self._f))
            return
        task = getattr(control._tls, "task", None)
        if task is None:
            return
        ex.schedule(task, id(self._f), True)
        if ex.verbose:
            ex.record_point(task, f"{what} file {self._rl_name}", f"file {self._rl_name}", None)
        if ex.observers:
            ex.keepalive.append(self._f)
            for obs in ex.observers:
                obs.atomic(task.tid, id(self._f))

    def read(self, *args: Any) -> Any:
        self._point("read")
        return self._f.read(*args)

    def readline(self, *args: Any) -> Any:
        self._point("readline")
        return self._f.readline(*args)

    def readlines(self, *args: Any) -> Any:
        self._point("readlines")
        return self._f.readlines(*args)

    def write(self, data: Any) -> Any:
        self._point("write")
        return self._f.write(data)

    def writelines(self, lines: Any) -> None:
        self._point("writelines")
        self._f.writelines(lines)

    def seek(self, *args: Any) -> int:
        self._point("seek")
        return self._f.seek(*args)

    def tell(self) -> int:
        self._point("tell")
        return self._f.tell()

    def flush(self) -> None:
        self._point("flush")
        self._f.flush()

    def truncate(self, *args: Any) -> int:
        self._point("truncate")
        return self._f.truncate(*args)

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        self._point("readline")
        return next(self._f)

    def __enter__(self) -> "TrackedFile":
        self._f.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __repr__(self) -> str:
        return f"<racelab tracked {self._f!r}>"


def tracked_open(file: Any, *args: Any, **kwargs: Any) -> Any:
    f = _real_open(file, *args, **kwargs)
    return TrackedFile(f, str(file))
