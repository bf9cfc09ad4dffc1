"""Reversible monkey-patching.

racelab patches the standard library only while it explores (or runs a program live) and
must leave every module exactly as it found it, including attributes that did not exist
before (``concurrent.futures`` resolves ``ThreadPoolExecutor`` lazily, for instance).
A ``Patcher`` records the original state of every attribute it touches and restores all of
them, in reverse order, on ``undo()``.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class Patcher:
    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []

    def set(self, target: Any, name: str, value: Any) -> None:
        """Set ``target.name = value`` until ``undo()``."""
        if isinstance(target, type) or hasattr(target, "__dict__"):
            original = vars(target).get(name, _MISSING)
        else:  # pragma: no cover - every patched target has a __dict__
            original = getattr(target, name, _MISSING)
        self._saved.append((target, name, original))
        setattr(target, name, value)

    def undo(self) -> None:
        while self._saved:
            target, name, original = self._saved.pop()
            if original is _MISSING:
                try:
                    delattr(target, name)
                except AttributeError:
                    pass
            else:
                setattr(target, name, original)

    def __enter__(self) -> "Patcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.undo()
