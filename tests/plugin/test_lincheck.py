"""check_linearizable: a locked queue passes, a racy one fails with a readable table."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from lin_queues import LockedQueue, QueueSpec, RacyQueue

from racelab.errors import UsageError
from racelab.lincheck import Call, Event, NotLinearizable, Outcome, check_history, check_linearizable

OPERATIONS = {"put": st.integers(0, 9), "get": None, "__len__": None}
INSTRUMENT = ("lin_queues",)


def test_locked_queue_is_linearizable() -> None:
    check_linearizable(LockedQueue, QueueSpec, OPERATIONS, instrument=INSTRUMENT, max_examples=25,
                       schedules_per_program=60)


def test_racy_queue_fails_with_a_table() -> None:
    with pytest.raises(NotLinearizable) as info:
        check_linearizable(RacyQueue, QueueSpec, OPERATIONS, instrument=INSTRUMENT)
    text = str(info.value)
    assert text.startswith("not linearizable: program T0: ")
    header = text.splitlines()[2]
    assert "thread 0" in header and "thread 1" in header and "|" in header
    assert "no order of these calls that respects real time explains every result" in text
    assert "the specification gives" in text
    assert "interleaving (1 preemption" in text
    assert "self.size" in text  # the trace shows the racy line of the queue


def test_same_seed_same_report() -> None:
    reports = []
    for _ in range(2):
        with pytest.raises(NotLinearizable) as info:
            check_linearizable(RacyQueue, QueueSpec, OPERATIONS, instrument=INSTRUMENT, seed=7)
        reports.append(str(info.value))
    assert reports[0] == reports[1]


def test_uninstrumented_object_is_refused() -> None:
    with pytest.raises(UsageError, match="instrument"):
        check_linearizable(RacyQueue, QueueSpec, OPERATIONS, max_examples=5, schedules_per_program=5)


def _event(thread: int, index: int, name: str, args: tuple[int, ...], value: object, start: int,
           end: int) -> Event:
    return Event(thread, index, Call(name, args), Outcome(value), start, end)


def test_history_check_respects_real_time() -> None:
    # get() -> None returned before put(1) started: fine; overlapping, either order works.
    ok = [_event(0, 0, "get", (), None, 0, 1), _event(1, 0, "put", (1,), None, 2, 3)]
    assert check_history(ok, QueueSpec).ok
    # put(1) finished before get() started, yet get() saw an empty queue: no order explains it.
    bad = [_event(0, 0, "put", (1,), None, 0, 1), _event(1, 0, "get", (), None, 2, 3)]
    verdict = check_history(bad, QueueSpec)
    assert not verdict.ok
    assert [e.call.name for e in verdict.explained] == ["put"]
    overlapping = [_event(0, 0, "put", (1,), None, 0, 3), _event(1, 0, "get", (), None, 1, 2)]
    assert check_history(overlapping, QueueSpec).ok


def test_operations_are_validated() -> None:
    with pytest.raises(UsageError):
        check_linearizable(RacyQueue, QueueSpec, {"put": 3}, instrument=INSTRUMENT)
    with pytest.raises(UsageError):
        check_linearizable(RacyQueue, QueueSpec, {}, instrument=INSTRUMENT)
