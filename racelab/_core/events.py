"""The event stream that detectors observe.

The controlled runtime (``racelab explore``) and the live runtime (``racelab run``) both
describe what the program does as the same small vocabulary of events, in the style of
ThreadSanitizer's annotations:

* ``access``: a plain read or write of a named shared location (attribute, item, global,
  closure cell, or a container's ``WHOLE`` contents or ``SIZE``). ``loc`` is a hashable identity of the location, ``name`` is how a person
  calls it (``Account.balance``, ``box['n']``, ``global hits``), ``frame`` is the frame of
  the user code that performs it (read ``f_code.co_filename`` and ``f_lineno`` at once;
  frames change as the program runs).
* ``atomic``: a single atomic read-modify-write of ``obj`` (a built-in container method,
  an ``AtomicInt`` operation, a file-handle operation). Never a data race; it orders like a
  release followed by an acquire on ``obj``.
* ``release`` / ``acquire``: a happens-before edge. Everything the thread did before a
  ``release(sync)`` happens before everything a thread does after a later ``acquire(sync)``
  of the same ``sync`` key. Lock release/acquire, thread start (parent releases
  ``("start", child)``, child acquires it), join (child releases ``("end", child)`` when it
  finishes, joiner acquires it), Condition notify, Event set/wait, Barrier, Queue put/get,
  Semaphore release/acquire are all expressed this way.
* ``lock_acquired`` / ``lock_released``: a lock (anything mutual-exclusive: Lock, RLock,
  Condition's lock) was taken or given back, for lock-order validation. ``lock_class`` is
  the lock's creation site (``file:line``), ``lock`` its identity, ``frame`` the user frame
  that takes it.

Thread ids are small integers, stable within one execution (0 is the main thread of a
scenario). ``names[tid]`` gives the thread's name.
"""

from __future__ import annotations

import enum
from types import FrameType
from typing import Hashable, Protocol


class _Part:
    """A marker for a part of a container that is not one key: all of it, or its size."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self) -> str:
        return self._name


#: ``(id(container), WHOLE)``: every key and the size at once (iteration, a copy, ``==``).
WHOLE = _Part("WHOLE")
#: ``(id(container), SIZE)``: how many items there are (``len``, truthiness); written by
#: every operation that adds or removes an item.
SIZE = _Part("SIZE")


class Op(enum.Enum):
    READ = "read"
    WRITE = "write"

    def __str__(self) -> str:
        return self.value


class Observer(Protocol):
    """What a detector implements. Every method must be cheap: it runs on the hot path."""

    def begin(self, names: dict[int, str]) -> None:
        """A new execution starts; ``names`` is live (filled as threads are created)."""

    def access(self, tid: int, op: Op, loc: Hashable, name: str, frame: FrameType | None,
               obj: object = None) -> None:
        """``obj`` (live mode only) is the object accessed, so the observer may keep it alive."""

    def atomic(self, tid: int, obj: Hashable) -> None: ...

    def release(self, tid: int, sync: Hashable) -> None: ...

    def acquire(self, tid: int, sync: Hashable) -> None: ...

    def lock_acquired(self, tid: int, lock: Hashable, lock_class: str, frame: FrameType | None) -> None: ...

    def lock_released(self, tid: int, lock: Hashable) -> None: ...

    def end(self, schedule: str | None) -> None:
        """The execution is over; ``schedule`` is its replay token (None in live mode)."""
