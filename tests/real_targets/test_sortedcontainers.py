"""sortedcontainers, shared by threads: racelab finds its races; a locked wrapper passes.

sortedcontainers is pure Python and not thread-safe: ``SortedList.add`` reads ``_maxes``,
picks a sublist, inserts and bumps ``_len`` with no lock. These tests run the real,
unmodified package, instrumented (``instrument=("sortedcontainers",)``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from hypothesis import strategies as st
from sortedcontainers import SortedDict, SortedList

from racelab import pytest_api
from racelab.lincheck import NotLinearizable, check_linearizable

INSTRUMENT = ("sortedcontainers",)


def explored(func: Callable[[], None], **options: Any) -> pytest_api.ExplorationFailed | None:
    """Run ``func`` as an ``@racelab.explore`` test would; the failure, or None when it passes."""
    try:
        pytest_api.explore(instrument=INSTRUMENT, max_schedules=300, **options)(func)()
    except pytest_api.ExplorationFailed as failure:
        return failure
    return None


def run_threads(*bodies: Callable[[], None]) -> None:
    threads = [threading.Thread(target=body) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class LockedSortedList:
    """The fix: one lock around every operation of a SortedList."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._list = SortedList()

    def add(self, value: int) -> None:
        with self._lock:
            self._list.add(value)

    def discard(self, value: int) -> None:
        with self._lock:
            self._list.discard(value)

    def __len__(self) -> int:
        with self._lock:
            return len(self._list)

    def check(self) -> None:
        with self._lock:
            self._list._check()


class SortedListSpec:
    """The sequential model: a sorted Python list."""

    def __init__(self) -> None:
        self.items: list[int] = []

    def add(self, value: int) -> None:
        self.items = sorted(self.items + [value])

    def discard(self, value: int) -> None:
        if value in self.items:
            self.items.remove(value)

    def __len__(self) -> int:
        return len(self.items)


def test_sortedlist_without_a_lock_breaks_its_invariant() -> None:
    def two_adders() -> None:
        sl = SortedList()
        run_threads(lambda: sl.add(1), lambda: sl.add(2))
        sl._check()

    failure = explored(two_adders)
    assert failure is not None
    assert failure.result.failure is not None and failure.result.failure.kind == "assertion"
    assert "sortedlist.py" in failure.racelab_report


def test_locked_sortedlist_keeps_its_invariant() -> None:
    def two_adders() -> None:
        sl = LockedSortedList()
        run_threads(lambda: sl.add(1), lambda: sl.add(2))
        sl.check()
        assert len(sl) == 2

    assert explored(two_adders) is None


OPERATIONS = {"add": st.integers(0, 3), "discard": st.integers(0, 3), "__len__": None}


def test_sortedlist_is_not_linearizable() -> None:
    with pytest.raises(NotLinearizable) as info:
        check_linearizable(SortedList, SortedListSpec, OPERATIONS, instrument=INSTRUMENT, max_examples=30,
                           schedules_per_program=50)
    assert "no order of these calls" in str(info.value) or "IndexError" in str(info.value) \
        or "assertion" in str(info.value)


def test_locked_sortedlist_is_linearizable() -> None:
    # the test module too, so that the SortedList inside the wrapper is the instrumented one
    check_linearizable(LockedSortedList, SortedListSpec, OPERATIONS, instrument=INSTRUMENT + (__name__,), max_examples=15,
                       schedules_per_program=40)


def test_sorteddict_setitem_is_check_then_act() -> None:
    """``SortedDict.__setitem__`` adds the key to its sorted key list when ``key not in self``:
    two threads setting the same new key can both see it missing and add it twice."""

    def two_setters() -> None:
        sd = SortedDict()
        run_threads(lambda: sd.__setitem__("k", 1), lambda: sd.__setitem__("k", 2))
        sd._check()
        assert len(sd.keys()) == 1

    failure = explored(two_setters)
    assert failure is not None
    assert "sorteddict.py" in failure.racelab_report
