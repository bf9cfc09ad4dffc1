"""The happens-before race detector on synthetic event streams: racy / race-free twins."""

from __future__ import annotations

from pathlib import Path

import pytest

from racelab._core.events import Op
from racelab.detect import Detector, Race, RaceDetector, RaceKind
from racelab.detect.report import render_race

from .helpers import Trace

X = (1000, "value")  # the location Counter.value of some object


def two_threads() -> Trace:
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    return t


def pairs(detector: Detector) -> list[tuple[str, str, int, int]]:
    return [(str(r.kind), r.location, r.first.line, r.second.line) for r in detector.races]


# --- one twin per happens-before source, expressed as the runtime expresses it -------------

# source -> (what the producer emits after its write, what the consumer emits before its access)
HB_SOURCES: dict[str, tuple[object, object]] = {
    "lock": ("L", "L"),
    "condition notify": (("cond", 7), ("cond", 7)),
    "semaphore": (("sem", 8), ("sem", 8)),
    "event set/wait": (("event", 9), ("event", 9)),
    "queue put/get": (("queue", 10, 0), ("queue", 10, 0)),
    "future result": (("future", 11), ("future", 11)),
    "executor submit": (("submit", 12), ("submit", 12)),
}


@pytest.mark.parametrize("source", sorted(HB_SOURCES))
def test_hb_source_orders_accesses(source: str) -> None:
    produce, consume = HB_SOURCES[source]
    t = two_threads()
    t.write(1, X, 10)
    t.detector.release(1, produce)
    t.detector.acquire(2, consume)
    t.read(2, X, 20)
    t.write(2, X, 21)
    assert t.end().races == []


@pytest.mark.parametrize("source", sorted(HB_SOURCES))
def test_hb_source_racy_twin(source: str) -> None:
    produce, _ = HB_SOURCES[source]
    t = two_threads()
    t.write(1, X, 10)
    t.detector.release(1, produce)
    t.detector.acquire(2, ("something", "else"))  # e.g. a wait() that timed out
    t.read(2, X, 20)
    assert pairs(t.end()) == [("read-write", "x", 10, 20)]


def test_acquire_before_release_does_not_order() -> None:
    t = two_threads()
    t.detector.acquire(2, "L")
    t.write(1, X, 10)
    t.detector.release(1, "L")
    t.write(2, X, 20)
    assert pairs(t.end()) == [("write-write", "x", 10, 20)]


def test_start_and_join_order_parent_and_child() -> None:
    t = Trace()
    t.write(0, X, 1)
    t.spawn(0, 1)
    t.read(1, X, 2)
    t.write(1, X, 3)
    t.finish(1)
    t.join(0, 1)
    t.read(0, X, 4)
    assert t.end().races == []


def test_missing_join_is_a_race() -> None:
    t = Trace()
    t.spawn(0, 1)
    t.write(1, X, 3)
    t.finish(1)
    t.read(0, X, 4)  # no join
    races = t.end().races
    assert [(r.first.thread, r.second.thread) for r in races] == [("Thread-1", "MainThread")]


def test_write_before_start_is_not_ordered_with_a_write_after_it() -> None:
    t = Trace()
    t.spawn(0, 1)
    t.write(0, X, 1)  # parent writes after start: concurrent with the child
    t.write(1, X, 2)
    assert pairs(t.end()) == [("write-write", "x", 1, 2)]


def test_barrier_orders_everything_before_with_everything_after() -> None:
    t = Trace()
    for child in (1, 2, 3):
        t.spawn(0, child)
    slots = [(500, i) for i in (1, 2, 3)]
    for child in (1, 2, 3):
        t.write(child, slots[child - 1], 10 + child, f"slot[{child}]")
        t.detector.release(child, ("barrier", 1, 0))
    for child in (1, 2, 3):
        t.detector.acquire(child, ("barrier", 1, 0))
        for slot in slots:
            t.read(child, slot, 20 + child)
    assert t.end().races == []


def test_barrier_racy_twin_reads_before_waiting() -> None:
    t = Trace()
    t.spawn(0, 1)
    t.spawn(0, 2)
    t.write(1, (500, 1), 11, "slot[1]")
    t.read(2, (500, 1), 22, "slot[1]")
    assert pairs(t.end()) == [("read-write", "slot[1]", 11, 22)]


def test_lock_protected_counter_has_no_race_and_unlocked_one_has() -> None:
    locked = two_threads()
    for tid in (1, 2):
        locked.lock(tid, "L", 5)
        locked.read(tid, X, 6)
        locked.write(tid, X, 6)
        locked.unlock(tid, "L")
    assert locked.end().races == []
    unlocked = two_threads()
    for tid in (1, 2):
        unlocked.read(tid, X, 6)
        unlocked.write(tid, X, 6)
    # the read-write pair on line 6 is seen first; the write-write one has the same lines
    assert pairs(unlocked.end()) == [("read-write", "x", 6, 6)]


def test_reads_alone_never_race() -> None:
    t = two_threads()
    t.read(1, X, 1)
    t.read(2, X, 2)
    t.read(1, X, 3)
    assert t.end().races == []


def test_write_races_with_every_concurrent_reader() -> None:
    t = two_threads()
    t.spawn(0, 3)
    t.read(1, X, 1)
    t.detector.release(1, "S")
    t.read(2, X, 2)
    t.detector.acquire(3, "S")
    t.write(3, X, 3)
    assert pairs(t.end()) == [("read-write", "x", 2, 3)]


def test_same_thread_never_races_with_itself() -> None:
    t = two_threads()
    t.write(1, X, 1)
    t.read(1, X, 2)
    t.write(1, X, 3)
    assert t.end().races == []


# --- atomic operations -------------------------------------------------------------------

def test_atomic_operations_never_race() -> None:
    t = two_threads()
    for _ in range(3):
        t.detector.atomic(1, ("list", 1))
        t.detector.atomic(2, ("list", 1))
    assert t.end().races == []


def test_atomic_orders_like_release_acquire() -> None:
    t = two_threads()
    t.write(1, X, 1)
    t.detector.atomic(1, "flag")
    t.detector.atomic(2, "flag")
    t.read(2, X, 2)
    assert t.end().races == []


def test_atomic_in_the_wrong_order_does_not_order() -> None:
    t = two_threads()
    t.detector.atomic(2, "flag")
    t.write(1, X, 1)
    t.detector.atomic(1, "flag")
    t.read(2, X, 2)
    assert pairs(t.end()) == [("read-write", "x", 1, 2)]


# --- slices --------------------------------------------------------------------------------

BUF = 4242


def test_slice_write_conflicts_with_index_read_inside_it() -> None:
    t = two_threads()
    t.write(1, (BUF, slice(0, 4, 1)), 1, "buf[0:4]")
    t.read(2, (BUF, 2), 2, "buf[2]")
    t.read(2, (BUF, 7), 3, "buf[7]")
    assert pairs(t.end()) == [("read-write", "buf[2]", 1, 2)]


def test_index_write_conflicts_with_later_slice_read_and_step_is_honoured() -> None:
    t = two_threads()
    t.write(1, (BUF, 3), 1, "buf[3]")
    t.write(1, (BUF, 4), 1, "buf[4]")
    t.read(2, (BUF, slice(0, 6, 2)), 2, "buf[0:6:2]")  # 0, 2, 4
    assert pairs(t.end()) == [("read-write", "buf[0:6:2]", 1, 2)]


@pytest.mark.parametrize("order", ["index first", "slice first"])
def test_long_slice_is_the_whole_container(order: str) -> None:
    t = two_threads()
    big = (BUF, slice(0, 1000, 1))
    if order == "index first":
        t.write(1, (BUF, 999), 1, "buf[999]")
        t.read(2, big, 2, "buf[0:1000]")
        expected = [("read-write", "buf[0:1000]", 1, 2)]
    else:
        t.read(2, big, 2, "buf[0:1000]")
        t.write(1, (BUF, 999), 1, "buf[999]")
        expected = [("read-write", "buf[999]", 2, 1)]
    assert pairs(t.end()) == expected


def test_long_slices_conflict_with_each_other_and_not_with_other_containers() -> None:
    t = two_threads()
    t.write(1, (BUF, slice(0, 100, 1)), 1, "buf[:]")
    t.write(2, (BUF + 1, 5), 2, "other[5]")
    t.write(2, (BUF, slice(50, 200, 1)), 3, "buf[50:200]")
    assert pairs(t.end()) == [("write-write", "buf[50:200]", 1, 3)]


def test_tuple_form_of_slices_and_negative_steps() -> None:
    t = two_threads()
    t.write(1, (BUF, ("slice", 9, -1, -1)), 1, "buf[::-1]")  # as the instrumentation resolves it
    t.read(2, (BUF, 0), 2, "buf[0]")
    t.read(2, (BUF + 1, ("slice", None, None, None)), 3, "other[:]")  # unresolved: whole container
    t.write(1, (BUF + 1, 4), 4, "other[4]")
    assert pairs(t.end()) == [("read-write", "buf[0]", 1, 2), ("read-write", "other[4]", 3, 4)]


def test_empty_slice_touches_nothing() -> None:
    t = two_threads()
    t.write(1, (BUF, slice(3, 3, 1)), 1, "buf[3:3]")
    t.write(2, (BUF, 3), 2, "buf[3]")
    assert t.end().races == []


# --- reports, dedup, accumulation ----------------------------------------------------------

def racy_execution(detector: Detector, token: str, line: int = 10) -> None:
    t = Trace(detector)
    t.spawn(0, 1)
    t.spawn(0, 2)
    t.write(1, X, line, "Counter.value")
    t.write(2, X, line, "Counter.value")
    t.write(2, X, line, "Counter.value")
    t.write(1, X, line, "Counter.value")
    t.end(token)


def test_dedup_across_executions_keeps_the_first_schedule() -> None:
    detector = Detector()
    racy_execution(detector, "first")
    assert detector.races_in_execution == 2
    racy_execution(detector, "second")
    racy_execution(detector, "third", line=11)
    assert [(r.schedule, r.first.line) for r in detector.races] == [("first", 10), ("third", 11)]


def test_begin_resets_the_per_execution_state() -> None:
    detector = Detector()
    first = Trace(detector)
    first.spawn(0, 1)
    first.write(1, X, 1)
    first.end("a")
    second = Trace(detector)  # the same id in a new execution is a new object
    second.spawn(0, 2)
    second.write(2, X, 2)
    second.end("b")
    assert detector.races == [] and detector.races_in_execution == 0


def test_on_race_callback_fires_at_detection() -> None:
    seen: list[Race] = []
    detector = RaceDetector(on_race=seen.append)
    detector.begin({0: "main", 1: "a", 2: "b"})
    detector.release(0, "s")
    detector.access(1, Op.WRITE, X, "v", None)
    assert seen == []
    detector.access(2, Op.WRITE, X, "v", None)
    assert len(seen) == 1 and seen[0].schedule is None
    detector.end("tok")
    assert detector.races[0].schedule == "tok"


@pytest.fixture()
def program(tmp_path: Path) -> Path:
    path = tmp_path / "prog.py"
    path.write_text("import threading\n\nvalue = counter.value\ncounter.value = value + 1\n")
    return path


def test_json_and_text_report(program: Path) -> None:
    t = Trace(file=str(program))
    t.spawn(0, 1)
    t.spawn(0, 2)
    t.read(1, X, 3, "Counter.value")
    t.write(2, X, 4, "Counter.value")
    (race,) = t.end("Rtoken").races
    assert race.kind is RaceKind.READ_WRITE
    assert race.to_json() == {
        "kind": "read-write",
        "location": "Counter.value",
        "accesses": [
            {"thread": "Thread-1", "file": str(program), "line": 3, "op": "read"},
            {"thread": "Thread-2", "file": str(program), "line": 4, "op": "write"},
        ],
        "schedule": "Rtoken",
    }
    text = render_race(race)
    assert "DATA RACE (read-write) on Counter.value" in text
    assert "Write by thread 'Thread-2'" in text and f"prog.py:4" in text
    assert "Previous read by thread 'Thread-1'" in text and "value = counter.value" in text
    assert "counter.value = value + 1" in text and "Rtoken" in text
