"""Atomic integers and references: what Python's standard library does not ship.

Why this module exists
----------------------
``n += 1`` on a shared attribute is a read, an add and a write; another thread may run
between them (always on a free-threaded build, at a bytecode boundary on a GIL build).
Java has ``AtomicInteger``, Go ``sync/atomic``; Python has neither, so a remedy that
says "make it atomic" needs these two classes.

How they stay correct
---------------------
* Under real threads each operation runs under a private ``_thread.allocate_lock()``.
  It is deliberately *not* ``threading.Lock``: racelab replaces ``threading.Lock`` with
  a controlled stand-in while exploring, and the internal lock must stay a plain,
  never-contended mutex that the scheduler does not see.
* Under exploration each public operation first calls
  ``racelab._core.control.atomic_op(self, "<op>")``: one scheduling point followed by the
  whole operation as a single step, and an ``atomic`` event, which the race detector
  treats as ordering (never as a data race). Outside racelab that call costs one global
  read.

Built-in operations that are atomic in CPython and may serve as well
--------------------------------------------------------------------
Each of these is one call into C that holds the GIL (or the object's own lock on a
free-threaded build) for its whole duration, so it never interleaves with another
thread's operation on the same object; racelab models each as one atomic step:

* ``next(itertools.count())``: a ready-made atomic ticket / id generator;
* ``dict.setdefault(key, value)``: atomic insert-if-absent (a lazy-init remedy, though
  ``value`` is built even when it is thrown away), ``dict.pop(key, None)``;
* ``list.append``, ``list.pop``; ``collections.deque.append`` / ``popleft``;
* ``queue.Queue`` / ``queue.SimpleQueue`` put and get (internally locked; they also
  give happens-before from producer to consumer).

What is *not* atomic: ``x += 1`` on any shared location, ``d[k] = d.get(k, 0) + 1``,
``if k not in d: d[k] = v``, ``lst[i] = lst[i] + 1``, and any sequence of two atomic
operations (an atomic check followed by an atomic act is still check-then-act).
"""

from __future__ import annotations

import _thread
from typing import Generic, TypeVar

from racelab._core import control

__all__ = ["AtomicInt", "AtomicRef"]

T = TypeVar("T")

_allocate_lock = _thread.allocate_lock


class AtomicInt:
    """An integer whose every operation is one indivisible step."""

    __slots__ = ("_value", "_lock")

    def __init__(self, value: int = 0) -> None:
        self._value = int(value)
        self._lock = _allocate_lock()

    def get(self) -> int:
        control.atomic_op(self, "get")
        with self._lock:
            return self._value

    def set(self, value: int) -> None:
        control.atomic_op(self, "set")
        with self._lock:
            self._value = int(value)

    def add_and_get(self, delta: int) -> int:
        """Adds ``delta`` and returns the new value."""
        control.atomic_op(self, "add_and_get")
        with self._lock:
            self._value += delta
            return self._value

    def get_and_add(self, delta: int) -> int:
        """Adds ``delta`` and returns the old value."""
        control.atomic_op(self, "get_and_add")
        with self._lock:
            old = self._value
            self._value = old + delta
            return old

    def compare_and_set(self, expected: int, new: int) -> bool:
        """Sets ``new`` only if the value is still ``expected``; True when it did."""
        control.atomic_op(self, "compare_and_set")
        with self._lock:
            if self._value != expected:
                return False
            self._value = int(new)
            return True

    def increment_and_get(self) -> int:
        return self.add_and_get(1)

    def decrement_and_get(self) -> int:
        return self.add_and_get(-1)

    def get_and_increment(self) -> int:
        return self.get_and_add(1)

    def get_and_decrement(self) -> int:
        return self.get_and_add(-1)

    def __repr__(self) -> str:
        return f"AtomicInt({self._value})"


class AtomicRef(Generic[T]):
    """A reference whose swap and compare-and-set are indivisible; comparison is by identity."""

    __slots__ = ("_value", "_lock")

    def __init__(self, value: T) -> None:
        self._value = value
        self._lock = _allocate_lock()

    def get(self) -> T:
        control.atomic_op(self, "get")
        with self._lock:
            return self._value

    def set(self, value: T) -> None:
        control.atomic_op(self, "set")
        with self._lock:
            self._value = value

    def get_and_set(self, value: T) -> T:
        """Stores ``value`` and returns the previous reference."""
        control.atomic_op(self, "get_and_set")
        with self._lock:
            old = self._value
            self._value = value
            return old

    def compare_and_set(self, expected: T, new: T) -> bool:
        """Stores ``new`` only if the current reference *is* ``expected``; True when it did."""
        control.atomic_op(self, "compare_and_set")
        with self._lock:
            if self._value is not expected:
                return False
            self._value = new
            return True

    def __repr__(self) -> str:
        return f"AtomicRef({self._value!r})"
